"""Duplicate files and merging (R-2.8), mounted at /duplicates/."""

from django.urls import path

from yingke.customers.views import duplicates as views

app_name = "duplicates"
urlpatterns = [
    path("", views.duplicate_list, name="list"),
    path("dismiss/", views.duplicate_dismiss, name="dismiss"),
    path("merge/<int:pk>/", views.merge_page, name="merge"),
]
