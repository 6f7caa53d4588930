"""Complaint pages for staff (complaints.views): the list and its export, recording, the
detail page with the six steps, approval, photos, and the settings."""

from django.urls import path

from yingke.complaints import views, views_feedback

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("export.<str:fmt>", views.complaint_export, name="export"),
    path("new/", views.complaint_new, name="new"),
    path("settings/", views.complaint_settings, name="settings"),
    path("feedback/", views_feedback.feedback_list, name="feedback"),
    path("feedback/export.<str:fmt>", views_feedback.feedback_export, name="feedback_export"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/step/", views.complaint_step, name="step"),
    path("<int:pk>/on-the-spot/", views.complaint_on_the_spot, name="on_the_spot"),
    path("<int:pk>/decide/", views.complaint_decide, name="decide"),
    path("<int:pk>/photos/", views.photo_upload, name="photo_upload"),
    path("<int:pk>/photos/<int:photo_id>/", views.photo_file, name="photo"),
    path("<int:pk>/photos/<int:photo_id>/remove/", views.photo_remove, name="photo_remove"),
]
