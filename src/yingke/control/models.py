"""Responsibility and control (R-1.3, R-6.1–R-6.5, R-7.2). The behaviour pattern (R-7.5)
is kept on the customer (customers.Customer.usual_interval …), computed by control.pattern.

- Claim: an account manager's claim of an owned file, decided by the owner's sales manager
  (a claim of a pool file is granted at once and leaves only an Assignment).
- Assignment: every change of a file's account manager, with the rule that decided it.
- AssignmentPolicy / StaffSetting: the assignment rules of a property, and per member of
  staff their areas, capacity, weight, start date and daily development target.
- Unassigned: files waiting for the sales manager (no rule found an owner).
- PositionTarget: a member of staff's targets for a month or a week (R-6.3).
- Handover: one handover of a leaving member of staff's work (R-1.3); its moves are
  Assignments pointing to it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yingke.core.models import Property
from yingke.customers.models import Customer

USER = settings.AUTH_USER_MODEL


class Claim(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the sales manager")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        LAPSED = "lapsed", _("Lapsed (the file changed hands)")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="claims", verbose_name=_("customer"))
    claimant = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="claims", verbose_name=_("claimed by"))
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("account manager when claimed"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("reason"), max_length=500)
    decision_reason = models.TextField(_("reason for the decision"), max_length=500, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("claimed"), default=timezone.now)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [models.Index(fields=["property", "status", "created_at"], name="claim_prop_status")]

    def __str__(self):
        return f"{self.customer_id} ← {self.claimant_id} ({self.status})"


class Assignment(models.Model):
    class Rule(models.TextChoices):
        CLAIM = "claim", _("Claimed from the pool")
        APPROVED = "approved", _("Claim approved")
        RELEASE = "release", _("Released to the pool")
        MANUAL = "manual", _("Assigned by hand")
        BULK = "bulk", _("Assigned in bulk")
        CREATOR = "creator", _("Brought in by")
        AREA = "area", _("Area match")
        NEW_STAFF = "new_staff", _("Share for new staff")
        BALANCE = "balance", _("Balanced by capacity and workload")
        QUEUE = "queue", _("Queued for the sales manager")
        HANDOVER = "handover", _("Handover")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assignments",
                                 verbose_name=_("customer"))
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("account manager"))  # None: the shared pool
    previous_owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("previous account manager"))
    rule = models.CharField(_("rule"), max_length=12, choices=Rule.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))  # None: a job or the command line
    handover = models.ForeignKey("Handover", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assignments", verbose_name=_("handover"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [models.Index(fields=["customer", "-created_at"], name="assign_customer"),
                   models.Index(fields=["property", "-created_at"], name="assign_prop")]

    def __str__(self):
        return f"{self.customer_id} → {self.owner_id} ({self.rule})"


DEFAULT_ORDER = ["creator", "area", "new_staff", "balance"]  # then the queue


def default_order():
    return list(DEFAULT_ORDER)


class AssignmentPolicy(models.Model):
    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="assignment_policy",
                                    verbose_name=_("property"))
    order = models.JSONField(_("rules in order"), default=default_order)  # codes of DEFAULT_ORDER
    new_staff_months = models.PositiveSmallIntegerField(_("new staff for (months)"), default=3)
    new_staff_share = models.PositiveSmallIntegerField(_("share for new staff (%)"), default=30)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment rules")
        verbose_name_plural = _("assignment rules")

    def __str__(self):
        return f"{self.property_id}: {', '.join(self.order)}"


class StaffSetting(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="control_settings",
                             verbose_name=_("member of staff"))
    areas = models.CharField(_("areas"), max_length=200, blank=True)  # separated by commas or 、
    capacity = models.PositiveIntegerField(_("capacity (files)"), null=True, blank=True)  # None: no cap
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    started_on = models.DateField(_("started on"), null=True, blank=True)  # None: date joined
    daily_target = models.PositiveSmallIntegerField(_("new prospects a day"), default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("control settings of a member of staff")
        verbose_name_plural = _("control settings of staff")
        constraints = [models.UniqueConstraint(fields=["property", "user"], name="staff_setting_unique")]

    def __str__(self):
        return f"{self.property_id}/{self.user_id}"


class Unassigned(models.Model):
    """A file no assignment rule could give an owner: the sales manager decides (R-6.2)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="unassigned",
                                    verbose_name=_("customer"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("file waiting for assignment")
        verbose_name_plural = _("files waiting for assignment")
        indexes = [models.Index(fields=["property", "created_at"], name="unassigned_prop")]

    def __str__(self):
        return f"{self.customer_id} ({self.created_at:%Y-%m-%d})"


class PositionTarget(models.Model):
    class Kind(models.TextChoices):
        MONTH = "month", _("Month")
        WEEK = "week", _("Week")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="position_targets",
                             verbose_name=_("member of staff"))
    kind = models.CharField(_("period"), max_length=5, choices=Kind.choices)
    start = models.DateField(_("from"))  # the first of the month, or the Monday of the week
    effective = models.PositiveIntegerField(_("effective customers"), null=True, blank=True)
    a_customers = models.PositiveIntegerField(_("A customers"), null=True, blank=True)
    visits = models.PositiveIntegerField(_("visits"), null=True, blank=True)
    revenue = models.DecimalField(_("revenue from own customers"), max_digits=14, decimal_places=2, null=True,
                                  blank=True)
    new_customers = models.PositiveIntegerField(_("new customers developed"), null=True, blank=True)
    follow_ups = models.PositiveIntegerField(_("follow-ups done"), null=True, blank=True)
    set_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("set by"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("position target")
        verbose_name_plural = _("position targets")
        constraints = [models.UniqueConstraint(fields=["property", "user", "kind", "start"],
                                               name="position_target_unique")]
        indexes = [models.Index(fields=["property", "kind", "start"], name="target_prop_period")]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.start}"


class Handover(models.Model):
    from_user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="handovers_given",
                                  verbose_name=_("from"))
    to_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("to"))  # None: by the assignment rules
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))
    counts = models.JSONField(_("moved"), default=dict)  # {"customers": n, …}
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self):
        return f"{self.from_user_id} → {self.to_user_id or 'rules'}"
