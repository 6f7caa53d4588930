"""visits URLs: the visits and stays of one guest file (customer id, then visit id)."""

from django.urls import path

from yingke.visits import views

app_name = "visits"
urlpatterns = [
    path("customer/<int:pk>/", views.section, name="section"),
    path("customer/<int:pk>/add/", views.add, name="add"),
    path("customer/<int:pk>/<int:item>/correct/", views.correct, name="correct"),
    path("customer/<int:pk>/<int:item>/void/", views.void, name="void"),
    path("customer/<int:pk>/<int:item>/history/", views.history, name="history"),
]
