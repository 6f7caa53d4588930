from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _defaults(sender, instance, created, raw=False, **kwargs):
    """A new property gets its grading parameters and the reasons for loss (R-4, R-9.1)."""
    if created and not raw:
        from yingke.grading.defaults import ensure_defaults

        ensure_defaults(instance)


def _grade_after_merge(sender, survivor, **kwargs):
    """A merge moved the merged-away file's rows — its override among them, when the survivor
    had none — onto the survivor (customers.signals.files_merged, inside the merge's
    transaction): the grade in force is derived again, the override's grade if there is one,
    else the computed grade. One UPDATE."""
    from django.db.models import F, Subquery
    from django.db.models.functions import Coalesce

    from yingke.customers.models import Customer
    from yingke.grading.models import GradeOverride

    override = GradeOverride.objects.filter(customer_id=survivor.pk).values("grade")[:1]
    Customer.objects.filter(pk=survivor.pk).update(grade=Coalesce(Subquery(override), F("grade_computed")))
    survivor.refresh_from_db(fields=["grade"])


class GradingConfig(AppConfig):
    name = "yingke.grading"
    label = "grading"
    verbose_name = _("Grading, modules and churn")

    def ready(self):
        from yingke.core.models import Property
        from yingke.customers.signals import files_merged

        post_save.connect(_defaults, sender=Property, dispatch_uid="grading.defaults")
        files_merged.connect(_grade_after_merge, dispatch_uid="grading.grade_after_merge")
