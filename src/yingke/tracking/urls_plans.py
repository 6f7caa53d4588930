"""URLs of the tracking pages (visit plans, visit reports, pipeline); included by tracking/urls.py."""

from django.urls import path

from yingke.tracking import views_pipeline as vp
from yingke.tracking import views_plans as v

urlpatterns = [
    path("plans/", v.plan_list, name="plans"),
    path("plans/new/", v.plan_new, name="plan_new"),
    path("plans/<int:pk>/", v.plan_detail, name="plan"),
    path("plans/<int:pk>/lines/", v.plan_line_add, name="plan_line_add"),
    path("plans/<int:pk>/lines/<int:line_id>/remove/", v.plan_line_remove, name="plan_line_remove"),
    path("plans/<int:pk>/submit/", v.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/decide/", v.plan_decide, name="plan_decide"),
    path("visit-reports/", v.report_list, name="visit_reports"),
    path("visit-reports/new/", v.report_new, name="visit_report_new"),
    path("visit-reports/<int:pk>/", v.report_detail, name="visit_report"),
    path("pipeline/", vp.pipeline_board, name="pipeline"),
    path("pipeline/export.<str:fmt>", vp.pipeline_export, name="pipeline_export"),
    path("pipeline/new/", vp.opportunity_new, name="opportunity_new"),
    path("pipeline/forecast/", vp.forecast, name="forecast"),
    path("pipeline/forecast/export.<str:fmt>", vp.forecast_export, name="forecast_export"),
    path("pipeline/<int:pk>/", vp.opportunity_detail, name="opportunity"),
    path("pipeline/<int:pk>/edit/", vp.opportunity_edit, name="opportunity_edit"),
    path("pipeline/<int:pk>/stage/", vp.opportunity_stage, name="opportunity_stage"),
]
