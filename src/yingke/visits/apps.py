from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _refresh_merged_profile(sender, survivor, **kwargs):
    """A merge moved visits onto the survivor: its consumption profile is derived again
    (R-2.3), inside the merge's transaction (customers.signals.files_merged)."""
    from yingke.visits.profile import refresh_profiles

    refresh_profiles([survivor.pk])


class VisitsConfig(AppConfig):
    name = "yingke.visits"
    label = "visits"
    verbose_name = _("Visits and stays")

    def ready(self):
        from yingke.customers.signals import files_merged

        files_merged.connect(_refresh_merged_profile, dispatch_uid="visits.refresh_merged_profile")
