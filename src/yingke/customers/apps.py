from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _default_modules(sender, instance, created, raw=False, **kwargs):
    """A new property gets the six default customer modules (R-5.1)."""
    if created and not raw:
        from yingke.customers.modules import ensure_default_modules

        ensure_default_modules(instance)


class CustomersConfig(AppConfig):
    name = "yingke.customers"
    label = "customers"
    verbose_name = _("Guest files")

    def ready(self):
        from yingke.core.models import Property

        post_save.connect(_default_modules, sender=Property, dispatch_uid="customers.default_modules")
