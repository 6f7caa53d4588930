"""control: assignment rules and staff settings, the queue, bulk assignment (R-6.2)."""

from django.urls import path

from yingke.control import views_assign as views

urlpatterns = [
    path("assignment/", views.assignment_page, name="assignment"),
    path("assignment/rules/", views.policy_update, name="assignment_policy"),
    path("assignment/staff/<int:pk>/", views.setting_update, name="staff_setting"),
    path("queue/", views.queue_page, name="queue"),
    path("queue/apply/", views.queue_apply, name="queue_apply"),
    path("queue/<int:pk>/assign/", views.queue_assign, name="queue_assign"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
]
