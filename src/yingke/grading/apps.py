from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _defaults(sender, instance, created, raw=False, **kwargs):
    """A new property gets its grading parameters and the reasons for loss (R-4, R-9.1)."""
    if created and not raw:
        from yingke.grading.defaults import ensure_defaults

        ensure_defaults(instance)


class GradingConfig(AppConfig):
    name = "yingke.grading"
    label = "grading"
    verbose_name = _("Grading, modules and churn")

    def ready(self):
        from yingke.core.models import Property

        post_save.connect(_defaults, sender=Property, dispatch_uid="grading.defaults")
