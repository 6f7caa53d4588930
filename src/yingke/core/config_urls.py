"""Configuration pages (/settings/): properties, outlets, staff; tags are at /settings/tags/
(customers.tag_urls, since core imports no domain app)."""

from django.urls import path

from yingke.core import config_views as views

app_name = "config"
urlpatterns = [
    path("", views.index, name="index"),
    path("properties/new/", views.property_create, name="property_create"),
    path("properties/<int:pk>/", views.property_detail, name="property"),
    path("properties/<int:pk>/outlets/new/", views.outlet_create, name="outlet_create"),
    path("outlets/<int:pk>/", views.outlet_edit, name="outlet_edit"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/active/", views.staff_active, name="staff_active"),
    path("staff/<int:pk>/password/", views.staff_password, name="staff_password"),
]
