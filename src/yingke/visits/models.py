"""Visits (消费记录, R-3.1). The import pipeline and stays come with the visits issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yingke.core.models import Outlet, Property, User
from yingke.customers.models import Customer
from yingke.customers.queries import RelatedToCustomerQuerySet


class Visit(models.Model):
    class Occasion(models.TextChoices):
        HOSTING = "hosting", _("Hosting a banquet")
        HOSTED = "hosted", _("Being hosted")
        GOVERNMENT = "government", _("Government reception")
        BUSINESS = "business", _("Business meeting")
        SOCIAL = "social", _("Social dining")
        WEDDING = "wedding", _("Wedding banquet")
        BIRTHDAY = "birthday", _("Birthday banquet")
        FAMILY = "family", _("Family dinner")
        STAY = "stay", _("Hotel stay")
        OTHER = "other", _("Other")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="visits", verbose_name=_("property"))
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("outlet"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visits", verbose_name=_("customer"))
    occurred_at = models.DateTimeField(_("date and time"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    covers = models.PositiveIntegerField(_("covers"), default=1)
    table_no = models.CharField(_("table or room"), max_length=20, blank=True)
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices, blank=True)
    doc_no = models.CharField(_("document number"), max_length=40, blank=True)
    served_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("account manager"))

    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="visit_cust_time"),
            models.Index(fields=["property", "occurred_at"], name="visit_prop_time"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} ¥{self.amount}"
