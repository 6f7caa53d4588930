"""Import pages: /imports/ (R-3.2, R-12.4)."""

from django.urls import path

from yingke.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.upload, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/discard/", views.discard, name="discard"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/rejected.csv", views.rejected_csv, name="rejected_csv"),
    path("<int:pk>/problems.<str:fmt>", views.problems_export, name="problems_export"),
]
