"""Visits and stays (消费记录, R-3.1, R-3.3).

A visit is one consumption occasion; a stay is a visit with arrival, departure, nights,
room type, rate and booking channel (the stay fields are empty on a meal). One table
serves both, so that every report, the import engine and the merge see one kind of row.

`doc_key` makes a source document unique per property (R-3.2): the document number
when the row has one, otherwise "#" + a hash of the row's content (imports) or of a
random token (entered by hand), so a re-import of the same file is stored once.
A voided visit stays in the history and counts nowhere (voided_at is set).
"""

import builtins
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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

    # The composite indexes below lead with property and customer; the FKs' own indexes
    # would only slow imports down (about 40 % of a bulk insert's cost on SQLite).
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="visits", verbose_name=_("property"),
                                 db_index=False)
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("outlet"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visits", verbose_name=_("customer"),
                                 db_index=False)
    occurred_at = models.DateTimeField(_("date and time"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    covers = models.PositiveIntegerField(_("covers"), default=1)
    table_no = models.CharField(_("table or room"), max_length=20, blank=True)
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices, blank=True)
    doc_no = models.CharField(_("document number"), max_length=40, blank=True)
    doc_key = models.CharField(max_length=64, editable=False, default="")
    served_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("account manager"), db_index=False)
    # A stay: empty on a meal.
    arrival = models.DateField(_("arrival"), null=True, blank=True)
    departure = models.DateField(_("departure"), null=True, blank=True)
    nights = models.PositiveSmallIntegerField(_("nights"), null=True, blank=True, editable=False)
    room_type = models.CharField(_("room type"), max_length=40, blank=True)
    rate = models.DecimalField(_("room rate"), max_digits=10, decimal_places=2, null=True, blank=True)
    channel = models.CharField(_("booking channel"), max_length=40, blank=True)
    # Voiding keeps the row in the history; a voided visit counts nowhere.
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("voided by"), editable=False, db_index=False)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True, editable=False)
    import_run = models.ForeignKey("imports.ImportRun", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="visits", verbose_name=_("import"), editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("recorded by"), editable=False, db_index=False)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["created_at"])
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "doc_key"], name="visit_doc_unique_per_property",
                violation_error_message=_("A visit with this document number is already recorded in this property."),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="visit_cust_time"),
            models.Index(fields=["property", "occurred_at"], name="visit_prop_time"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} ¥{self.amount}"

    def save(self, *args, **kwargs):
        # Entered by hand: the document number is the key; without one, a random token (an
        # import sets the key itself, from the document number or the row's content).
        if self.doc_no:
            self.doc_key = self.doc_no
        elif not self.doc_key:
            self.doc_key = "#" + uuid.uuid4().hex
        super().save(*args, **kwargs)

    @builtins.property
    def is_stay(self) -> bool:
        return self.arrival is not None

    @builtins.property
    def is_void(self) -> bool:
        return self.voided_at is not None
