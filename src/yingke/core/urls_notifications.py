"""/notifications/: each member of staff's in-app notifications (namespace "notifications")."""

from django.urls import path

from yingke.core import views_notifications as views

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_all_read, name="read_all"),
    path("<int:pk>/open/", views.open_notification, name="open"),
]
