from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "yingke.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from yingke.reports.aggregates import on_visits_changed
        from yingke.visits.signals import visits_changed

        visits_changed.connect(on_visits_changed, dispatch_uid="reports.mark_stale")
