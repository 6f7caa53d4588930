"""URLs of the tracking reports (funnel, follow-up ordinals, lead sources against spend) and the
spend page; included by tracking/urls.py."""

from django.urls import path

from yingke.tracking import views_reports

urlpatterns = [
    path("reports/funnel/", views_reports.funnel, name="funnel"),
    path("reports/ordinals/", views_reports.ordinals, name="ordinals"),
    path("reports/sources/", views_reports.sources, name="sources"),
    path("reports/spend/", views_reports.spend_page, name="spend"),
    path("reports/<slug:report>/export/<slug:table>.<str:fmt>", views_reports.export_table, name="report_export"),
]
