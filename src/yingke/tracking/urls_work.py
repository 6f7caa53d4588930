"""URLs of the tracking pages (follow-ups, tasks, commitments, cadences); included by tracking/urls.py.
Views in tracking.views_work."""

from django.urls import path

from yingke.tracking import views_work as views

urlpatterns = [
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/export.<str:fmt>", views.tasks_export, name="tasks_export"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/export.<str:fmt>", views.follow_ups_export, name="follow_ups_export"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/export.<str:fmt>", views.commitments_export, name="commitments_export"),
    path("commitments/<int:pk>/keep/", views.commitment_keep, name="commitment_keep"),
    path("customers/<int:customer_id>/card/", views.customer_card, name="customer_card"),
    path("customers/<int:customer_id>/follow-up/", views.customer_follow_up, name="customer_follow_up"),
    path("customers/<int:customer_id>/task/", views.customer_task, name="customer_task"),
    path("customers/<int:customer_id>/commitment/", views.commitment_add, name="commitment_add"),
    path("cadences/", views.cadences, name="cadences"),
    path("cadences/new/", views.cadence_new, name="cadence_new"),
    path("cadences/runs/", views.runs, name="runs"),
    path("cadences/run/", views.run_now, name="run_now"),
    path("cadences/<int:pk>/", views.cadence_edit, name="cadence_edit"),
]
