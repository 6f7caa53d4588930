"""control: the handover screen (R-1.3; control.views_handover)."""

from django.urls import path

from yingke.control import views_handover as views

urlpatterns = [
    path("handover/<int:user_id>/", views.handover_page, name="handover"),
]
