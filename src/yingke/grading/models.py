"""Customer grading (客户分级, R-4), module targets (R-5.2) and churn (R-9.1).

A grading run of one property stores a snapshot: one `GradeEntry` per customer of the
property at the time of the run (A, B, C and D), with the measures and ranks of R-4.2–R-4.4.
The grade in force is kept on the customer (`Customer.grade`, `Customer.grade_computed`) for
lists, search and filters; a general manager's override (`GradeOverride`) wins over the
computed grade and survives later runs.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yingke.core.models import Property, User, code_validator
from yingke.customers.models import GRADES, Customer, Module
from yingke.customers.queries import RelatedToCustomerQuerySet

GRADE_CHOICES = [(g, g) for g in GRADES]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class GradingPolicy(models.Model):
    """The grading parameters of one property (R-4): window W, A share p, B share q."""

    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="grading_policy",
                                    verbose_name=_("property"))
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text=_("A customer with a visit in the last this many days (up to and including the as-of date) is "
                    "effective."))
    a_share = models.DecimalField(_("A share (%)"), max_digits=5, decimal_places=2, default=Decimal("20"),
                                  validators=PERCENT)
    b_share = models.DecimalField(_("B share of the rest (%)"), max_digits=5, decimal_places=2,
                                  default=Decimal("50"), validators=PERCENT)
    nightly = models.BooleanField(_("grade every night"), default=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("changed by"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("grading parameters")
        verbose_name_plural = _("grading parameters")

    def __str__(self):
        return f"{self.property.code}: W={self.window_days} p={self.a_share} q={self.b_share}"


class GradingRun(models.Model):
    """One grading of one property as of a date: the snapshot's header (R-4.6)."""

    class Trigger(models.TextChoices):
        COMMAND = "command", _("Command line")
        WEB = "web", _("Web page")
        API = "api", _("API")
        NIGHTLY = "nightly", _("Nightly job")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="grading_runs",
                                 verbose_name=_("property"))
    as_of = models.DateField(_("as of"))
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    a_share = models.DecimalField(_("A share (%)"), max_digits=5, decimal_places=2)
    b_share = models.DecimalField(_("B share of the rest (%)"), max_digits=5, decimal_places=2)
    trigger = models.CharField(_("started from"), max_length=10, choices=Trigger.choices)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("started by"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Counts of the snapshot (filled when the run finishes).
    customers = models.PositiveIntegerField(_("customers"), default=0)
    effective = models.PositiveIntegerField(_("effective customers"), default=0)
    a_count = models.PositiveIntegerField("A", default=0)
    b_count = models.PositiveIntegerField("B", default=0)
    c_count = models.PositiveIntegerField("C", default=0)
    d_count = models.PositiveIntegerField("D", default=0)
    visits = models.PositiveIntegerField(_("visits in the window"), default=0)
    amount = models.DecimalField(_("amount in the window"), max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("grading run")
        verbose_name_plural = _("grading runs")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["property", "-as_of", "-id"], name="grading_run_prop_asof")]

    def __str__(self):
        return f"{self.property.code} {self.as_of}"


class GradeEntry(models.Model):
    """One customer in one run's snapshot (R-4.6). For grade D: visits 0, amount 0 and no
    standard or ranks."""

    # No database FK constraints (deletes still cascade through the ORM): PostgreSQL checks
    # Django's deferred constraints at COMMIT, one lookup per row and key — ~1 s of a 50,000-row
    # snapshot. The rows are written only by the grading run, from rows it has just read.
    # No index of its own either: (run, customer) and (run, position) lead with it. A lone
    # run_id index misled PostgreSQL (before ANALYZE sees a new run) into scanning a whole run
    # per customer looked up by (run, customer).
    run = models.ForeignKey(GradingRun, on_delete=models.CASCADE, related_name="entries", verbose_name=_("run"),
                            db_constraint=False, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grade_entries",
                                 verbose_name=_("customer"), db_index=False, db_constraint=False)
    grade = models.CharField(_("grade"), max_length=1, choices=GRADE_CHOICES)
    visits = models.PositiveIntegerField(_("visits"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    standard = models.DecimalField(_("standard"), max_digits=14, decimal_places=2, null=True, blank=True)
    rank_visits = models.PositiveIntegerField(_("rank by visits"), null=True, blank=True)
    rank_amount = models.PositiveIntegerField(_("rank by amount"), null=True, blank=True)
    last_visit_at = models.DateTimeField(_("last visit in the window"), null=True, blank=True)
    # 1-based place in the snapshot's export order: A by the key, then B and C by the
    # key, then D by customer code (so an export is one index range, no sort).
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("grade entry")
        verbose_name_plural = _("grade entries")
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="grade_entry_unique")]
        indexes = [models.Index(fields=["customer", "run"], name="grade_entry_customer"),
                   models.Index(fields=["run", "position"], name="grade_entry_run_position")]

    def __str__(self):
        return f"{self.run_id}: {self.customer_id} {self.grade}"


class GradeOverride(models.Model):
    """A general manager's grade for one customer, with the reason (R-4, issue 13). Shown beside
    the computed grade and kept across runs until removed; every change is in its history."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="grade_override",
                                    verbose_name=_("customer"))
    grade = models.CharField(_("grade"), max_length=1, choices=GRADE_CHOICES)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("set by"))
    created_at = models.DateTimeField(_("set"), default=timezone.now)

    history = HistoricalRecords()
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("grade override")
        verbose_name_plural = _("grade overrides")

    def __str__(self):
        return f"{self.customer_id}: {self.grade}"


class ModuleTarget(models.Model):
    """The target table of one customer module for one period (R-5.2)."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="targets", verbose_name=_("module"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    customers = models.PositiveIntegerField(_("effective customers"), default=0)
    visits = models.PositiveIntegerField(_("visits"), default=0)
    amount = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=Decimal("0"))
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("module target")
        verbose_name_plural = _("module targets")
        ordering = ["module", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["module", "period_start", "period_end"], name="module_target_unique"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="module_target_period_order"),
        ]

    def __str__(self):
        return f"{self.module_id}: {self.period_start} – {self.period_end}"


class LossReason(models.Model):
    """A reason an effective customer was lost (R-9.1); configurable per property, the six of
    R-9.1 by default."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="loss_reasons",
                                 verbose_name=_("property"))
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("reason for loss")
        verbose_name_plural = _("reasons for loss")
        ordering = ["property", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="loss_reason_code_unique"),
            models.UniqueConstraint(fields=["property", "name"], name="loss_reason_name_unique"),
        ]

    def __str__(self):
        return self.name


class Loss(models.Model):
    """An effective customer who became D at a run (R-9.1): flagged as lost, explained by
    their account manager, and closed when they are effective again (won back)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="losses",
                                 verbose_name=_("customer"), db_index=False)
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"),
                                 db_index=False)
    run = models.ForeignKey(GradingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="losses",
                            verbose_name=_("run"))
    lost_on = models.DateField(_("lost on"))
    previous_grade = models.CharField(_("grade before"), max_length=1, choices=GRADE_CHOICES)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("account manager"))
    module = models.ForeignKey(Module, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("customer module"))
    reason = models.ForeignKey(LossReason, null=True, blank=True, on_delete=models.PROTECT, related_name="losses",
                               verbose_name=_("reason"))
    note = models.CharField(_("details"), max_length=500, blank=True)
    explained_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("recorded by"))
    explained_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    won_back_on = models.DateField(_("won back on"), null=True, blank=True)
    won_back_run = models.ForeignKey(GradingRun, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="won_back", verbose_name=_("won back at run"))

    history = HistoricalRecords()
    objects = RelatedToCustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("lost customer")
        verbose_name_plural = _("lost customers")
        ordering = ["-lost_on", "-id"]
        # At most one open loss (won_back_on empty) per customer: kept by the churn service,
        # which locks the customer rows (a conditional unique constraint would not survive a merge).
        indexes = [
            models.Index(fields=["customer", "-lost_on"], name="loss_customer"),
            models.Index(fields=["property", "-lost_on"], name="loss_property"),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.lost_on}"
