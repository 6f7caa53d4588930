"""Complaints and guest feedback (R-8.1–R-8.5, R-2.6).

- ComplaintPolicy: per property, the compensation amount above which an approver is needed,
  the clock of the time limits (calendar or business hours) and the limit per severity and
  step (R-8.3); every change kept in its history.
- Complaint: one guest's complaint (R-8.1), its state the last of the six steps done (R-8.2).
- ComplaintStep: each step done, with who and when (a step is never done twice).
- ComplaintPhoto: a photo stored under $YINGKE_HOME/media/complaints/, served only to those
  who see the complaint.
- Escalation: an overdue step escalated to a level (1 the lobby manager, 2 the general
  manager); unique per complaint, step and level, so running the job twice escalates once.
- Feedback: a submission of the public page (R-8.4): praise, a suggestion or a complaint.
"""

import builtins
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yingke.core.models import Outlet, Property
from yingke.customers.models import Customer

USER = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    FACILITIES = "facilities", _("Facilities")
    ATTITUDE = "attitude", _("Service attitude")
    QUALITY = "quality", _("Service quality")
    FOOD = "food", _("Food")
    PRICE = "price", _("Price")
    SECURITY = "security", _("Security and lost items")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Minor")
    MEDIUM = "medium", _("Moderate")
    HIGH = "high", _("Serious")
    CRITICAL = "critical", _("Critical")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    PUBLIC_PAGE = "public_page", _("Feedback page (QR code)")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("E-mail")
    OTA = "ota", _("OTA review")


class Step(models.IntegerChoices):
    """The six steps of R-8.2, in order; a complaint's state is the last one done."""

    RECORDED = 1, _("Listened and recorded")
    APOLOGISED = 2, _("Apologised")
    VERIFIED = 3, _("Verified")
    AGREED = 4, _("Solution agreed")
    CARRIED_OUT = 5, _("Carried out")
    ARCHIVED = 6, _("Checked back and archived")


class Compensation(models.TextChoices):
    NONE = "none", _("None")
    AMOUNT = "amount", _("Refund or discount")
    VOUCHER = "voucher", _("Voucher")
    UPGRADE = "upgrade", _("Upgrade")
    GIFT = "gift", _("Gift")
    OTHER = "other", _("Other")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    PARTLY = "partly", _("Partly satisfied")
    DISSATISFIED = "dissatisfied", _("Not satisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


# defaults: hours allowed for each next step (2–6) after the previous one, per severity.
DEFAULT_LIMITS = {
    Severity.CRITICAL: {2: 0.25, 3: 1, 4: 2, 5: 4, 6: 24},
    Severity.HIGH: {2: 0.5, 3: 2, 4: 4, 5: 8, 6: 48},
    Severity.MEDIUM: {2: 1, 3: 4, 4: 8, 5: 24, 6: 72},
    Severity.LOW: {2: 2, 3: 8, 4: 24, 5: 48, 6: 120},
}


def default_limits() -> dict:
    return {str(sev): {str(step): hours for step, hours in steps.items()} for sev, steps in DEFAULT_LIMITS.items()}


class ComplaintPolicy(models.Model):
    class Clock(models.TextChoices):
        CALENDAR = "calendar", _("Calendar hours")
        BUSINESS = "business", _("Business hours")

    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="complaint_policy",
                                    verbose_name=_("property"))
    approval_threshold = models.DecimalField(_("approval needed above"), max_digits=12, decimal_places=2,
                                             default=Decimal("500.00"), validators=[MinValueValidator(0)])
    clock = models.CharField(_("time limits count"), max_length=10, choices=Clock.choices, default=Clock.CALENDAR)
    business_start = models.TimeField(_("business hours from"), default=dt.time(9, 0))
    business_end = models.TimeField(_("business hours until"), default=dt.time(18, 0))
    business_days = models.CharField(_("business days"), max_length=7, default="1234567",
                                     help_text=_("ISO weekdays, 1 = Monday … 7 = Sunday"))
    limits = models.JSONField(_("time limits (hours)"), default=default_limits)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("complaint policy")
        verbose_name_plural = _("complaint policies")

    def __str__(self):
        return f"{self.property_id}"

    def limit_hours(self, severity: str, step: int) -> float:
        try:
            return float(self.limits[str(severity)][str(int(step))])
        except (KeyError, TypeError, ValueError):
            return float(DEFAULT_LIMITS[Severity(severity)][int(step)])


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user):
        from yingke.core.permissions import complaint_rule

        return self.filter(complaint_rule(user))


class Complaint(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="complaints", verbose_name=_("guest"))
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.IN_PERSON)
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("outlet"))
    location = models.CharField(_("room or table"), max_length=40, blank=True)
    staff_involved = models.CharField(_("staff involved"), max_length=200, blank=True)
    words = models.TextField(_("the guest's words"), max_length=4000)
    occurred_at = models.DateTimeField(_("occurred"), null=True, blank=True)

    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices, default=Step.RECORDED)
    step_at = models.DateTimeField(_("last step done"), default=timezone.now)
    on_the_spot = models.BooleanField(_("resolved on the spot"), default=False)

    apology = models.TextField(_("apology"), blank=True, max_length=2000)
    findings = models.TextField(_("verification findings"), blank=True, max_length=4000)
    solution = models.TextField(_("solution"), blank=True, max_length=4000)
    compensation = models.CharField(_("compensation"), max_length=10, choices=Compensation.choices,
                                    default=Compensation.NONE)
    compensation_amount = models.DecimalField(_("compensation value"), max_digits=12, decimal_places=2,
                                              default=Decimal("0.00"), validators=[MinValueValidator(0)])
    approval_pending = models.BooleanField(_("waiting for approval"), default=False)
    approver = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("approved by"))
    carried_out = models.TextField(_("what was done"), blank=True, max_length=4000)
    check_back = models.TextField(_("check-back result"), blank=True, max_length=4000)
    satisfaction = models.CharField(_("guest's satisfaction"), max_length=12, choices=Satisfaction.choices,
                                    blank=True)

    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    closed_at = models.DateTimeField(_("archived"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["property", "step", "step_at"], name="complaint_open"),
            models.Index(fields=["customer", "-created_at"], name="complaint_cust"),
            models.Index(fields=["property", "-created_at"], name="complaint_prop_created"),
        ]

    def __str__(self):
        return self.reference

    @builtins.property
    def reference(self) -> str:
        return f"TS{self.pk or 0:06d}"

    @builtins.property
    def is_open(self) -> bool:
        return self.step < Step.ARCHIVED

    @builtins.property
    def next_step(self):
        return Step(self.step + 1) if self.step < Step.ARCHIVED else None


class ComplaintStep(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("done by"))
    done_at = models.DateTimeField(_("done"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, max_length=4000)
    overdue = models.BooleanField(_("late"), default=False)

    class Meta:
        ordering = ["complaint", "step"]
        constraints = [models.UniqueConstraint(fields=["complaint", "step"], name="complaint_step_once")]

    def __str__(self):
        return f"{self.complaint_id}:{self.step}"


class ComplaintPhoto(models.Model):
    MAX_BYTES = 5 * 1024 * 1024
    TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    path = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["complaint", "id"]

    def __str__(self):
        return self.path


class Escalation(models.Model):
    class Level(models.IntegerChoices):
        LOBBY = 1, _("Lobby manager")
        GENERAL_MANAGER = 2, _("General manager")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    step = models.PositiveSmallIntegerField(_("overdue step"), choices=Step.choices)
    level = models.PositiveSmallIntegerField(_("escalated to"), choices=Level.choices)
    due_at = models.DateTimeField(_("was due"))
    created_at = models.DateTimeField(_("escalated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["complaint", "step", "level"], name="escalate_once")]

    def __str__(self):
        return f"{self.complaint_id}:{self.step}:{self.level}"


class Feedback(models.Model):
    class Kind(models.TextChoices):
        PRAISE = "praise", _("Praise")
        SUGGESTION = "suggestion", _("Suggestion")
        COMPLAINT = "complaint", _("Complaint")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    location = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField(max_length=2000)
    name = models.CharField(max_length=60, blank=True)
    mobile = models.CharField(max_length=40, blank=True)
    consent = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    complaint = models.OneToOneField(Complaint, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="feedback")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["property", "-created_at"], name="feedback_prop_created")]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d}"
