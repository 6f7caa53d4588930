"""Customer modules, their targets and contribution; churn (losses and their reasons)."""

from django.urls import path

from yingke.grading import views_segments as views

urlpatterns = [
    path("modules/", views.module_list, name="modules"),
    path("modules/new/", views.module_create, name="module_create"),
    path("modules/<int:pk>/", views.module_edit, name="module_edit"),
    path("modules/<int:pk>/delete/", views.module_delete, name="module_delete"),
    path("modules/apply-suggestions/", views.module_apply_suggestions, name="module_apply_suggestions"),
    path("modules/<int:pk>/targets/", views.module_targets, name="module_targets"),
    path("modules/targets/<int:pk>/", views.target_edit, name="module_target_edit"),
    path("modules/report/", views.module_report, name="module_report"),
    path("modules/report/export.<str:fmt>", views.module_report_export, name="module_report_export"),
    path("losses/", views.loss_list, name="losses"),
    path("losses/export.<str:fmt>", views.loss_export, name="losses_export"),
    path("losses/<int:pk>/explain/", views.loss_explain, name="loss_explain"),
    path("losses/report/", views.churn_report, name="churn_report"),
    path("losses/report/export.<str:fmt>", views.churn_report_export, name="churn_report_export"),
    path("loss-reasons/", views.reason_list, name="loss_reasons"),
    path("loss-reasons/<int:pk>/", views.reason_edit, name="loss_reason_edit"),
    path("loss-reasons/<int:pk>/move/", views.reason_move, name="loss_reason_move"),
]
