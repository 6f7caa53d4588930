"""Complaint reports (R-8.5): the page and the export of each of its tables."""

from django.urls import path

from yingke.complaints import views_reports

urlpatterns = [
    path("", views_reports.report, name="report"),
    path("export/<slug:table>.<str:fmt>", views_reports.export_table, name="report_export"),
]
