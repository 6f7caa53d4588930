"""Grading pages: runs, snapshots and their export, parameters, overrides."""

from django.urls import path

from yingke.grading import views

urlpatterns = [
    path("", views.grading_index, name="index"),
    path("grade/", views.grade_now, name="grade_now"),
    path("parameters/", views.policy_update, name="policy"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/export.<str:fmt>", views.run_export, name="run_export"),
    path("customers/<int:pk>/grade/", views.grade_card, name="grade_card"),
    path("customers/<int:pk>/grade/override/", views.override_set, name="override_set"),
    path("customers/<int:pk>/grade/override/remove/", views.override_remove, name="override_remove"),
]
