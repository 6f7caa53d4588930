"""The QR sheet of the public feedback page (/complaints/qr/, namespace "complaints")."""

from django.urls import path

from yingke.complaints import views_qr

urlpatterns = [
    path("", views_qr.qr_page, name="qr"),
]
