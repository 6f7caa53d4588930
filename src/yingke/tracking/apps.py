from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    """Finding and tracking customers (R-7.1, R-7.3, R-7.4, R-7.6, R-7.8, R-11.4, R-11.5): leads,
    follow-ups and their ordinals, cadences, commitments, visit plans, the pipeline."""

    name = "yingke.tracking"
    label = "tracking"
    verbose_name = _("Finding and tracking customers")

    def ready(self):
        from yingke.core import notify
        from yingke.core.models import Property
        from yingke.customers.signals import files_merged
        from yingke.tracking import hooks

        notify.RENDERERS.update(hooks.RENDERERS)
        hooks.register_sections()  # the control table's follow-ups and commitments
        hooks.register_holdings()  # handover
        post_save.connect(_defaults, sender=Property, dispatch_uid="tracking.defaults")
        files_merged.connect(hooks.renumber_after_merge, dispatch_uid="tracking.renumber_after_merge")


def _defaults(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from yingke.tracking.cadence import ensure_default_rules

        ensure_default_rules(instance)
