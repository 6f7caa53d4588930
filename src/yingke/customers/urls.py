from django.urls import path

from yingke.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
]
