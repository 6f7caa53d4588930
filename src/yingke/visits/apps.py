from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _refresh_merged_profile(sender, survivor, **kwargs):
    """A merge moved visits onto the survivor: its consumption profile is derived again
    (R-2.3), inside the merge's transaction (customers.signals.files_merged)."""
    from yingke.visits.profile import refresh_profiles

    refresh_profiles([survivor.pk])


def _refresh_profiles_naming_outlet(sender, outlet, **kwargs):
    """An outlet was renamed (core.signals.outlet_renamed): the profiles of the customers
    with visits there list outlets by name, so they are derived again, set-based (R-2.3)."""
    from yingke.visits.models import Visit
    from yingke.visits.profile import refresh_profiles

    ids = Visit.objects.filter(outlet_id=outlet.pk).order_by().values_list("customer_id", flat=True).distinct()
    refresh_profiles(list(ids))


class VisitsConfig(AppConfig):
    name = "yingke.visits"
    label = "visits"
    verbose_name = _("Visits and stays")

    def ready(self):
        from yingke.core.signals import outlet_renamed
        from yingke.customers.signals import files_merged

        files_merged.connect(_refresh_merged_profile, dispatch_uid="visits.refresh_merged_profile")
        outlet_renamed.connect(_refresh_profiles_naming_outlet, dispatch_uid="visits.refresh_outlet_names")
