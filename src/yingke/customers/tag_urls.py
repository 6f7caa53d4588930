"""Tag pages, mounted at /settings/tags/ (configuration: R-1.2)."""

from django.urls import path

from yingke.customers.views import tags as views

app_name = "tags"
urlpatterns = [
    path("", views.tag_list, name="list"),
    path("<int:pk>/", views.tag_edit, name="edit"),
    path("<int:pk>/merge/", views.tag_merge, name="merge"),
    path("<int:pk>/delete/", views.tag_delete, name="delete"),
]
