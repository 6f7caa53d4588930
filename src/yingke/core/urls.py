from django.urls import path

from yingke.core import views

urlpatterns = [
    path("", views.home, name="home"),
]
