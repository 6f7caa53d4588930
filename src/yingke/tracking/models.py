"""Finding and tracking customers (R-7.1, R-7.3, R-7.4, R-7.6, R-7.8, R-11.4, R-11.5; seeds 001, 004).

- Lead (潜在客户): a prospect with its source method (the seven of seed 001) and its stage in
  the funnel target → contacted → preliminary → fine selection → key prospect → activity plan
  → customer. Has a property and an owner, so `core.permissions.row_rule` applies as to files.
  Converting it creates or links a guest file (`customer`); its follow-ups and tasks then
  belong to that file too.
- FollowUp (跟进): one logged interaction with a lead or a file (its "subject": `customer` when
  there is a file, else `lead`), with its ordinal for that subject (1st, 2nd …), numbered by
  time under a lock of the subject's row (`tracking.followups`). No unique constraint on the
  ordinal: a merge or a conversion renumbers, which a constraint would stop half-way.
- CadenceRule (R-7.6): on an event, tasks at offsets (days) for a role, for buyers, non-buyers
  or anyone. Task: a due follow-up (from a rule, or a next step typed by hand), done only with
  a written result — completing one logs its FollowUp. A rule's task is unique per rule,
  customer, offset and event occurrence (`event_ref`), so the scheduler never makes one twice.
- Commitment (承诺, R-7.4): what was promised to a customer, to whom, by when, by whom.
- VisitPlan / PlannedVisit / VisitReport (R-7.8): the month's visit plan of an account manager,
  submitted by the end of the previous month, approved by their sales manager; a report within
  two days of each visit; promised items become commitments.
- Opportunity (R-11.4): banquets, weddings, group bookings, corporate agreements in a pipeline.
- SourceSpend (R-11.5): marketing spend per source and month.
- SchedulerRun: each run of the cadence scheduler and escalations, with what it made.
"""

import builtins
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from yingke.core.models import Property
from yingke.core.permissions import RuleQuerySet
from yingke.customers.models import Customer
from yingke.tracking.queries import SubjectQuerySet

USER = settings.AUTH_USER_MODEL


class Source(models.TextChoices):
    """The seven ways of finding customers of seed 001 (R-7.1)."""

    DOOR_TO_DOOR = "door_to_door", _("Door-to-door canvassing")
    MARKETING = "marketing", _("Marketing")
    REFERRAL = "referral", _("Referral")
    DATA_LOOKUP = "data_lookup", _("Data lookup")
    INFORMANT = "informant", _("Delegated informant")
    OWN_RECORDS = "own_records", _("Own customer records")
    EVENTS = "events", _("Hotel events")


class Stage(models.IntegerChoices):
    """The funnel of seed 001 (R-7.1): 所有目标对象 → 接触 → 初选 → 精选 → 重点潜在客户 → 客户活动计划 → 客户."""

    TARGET = 1, _("Target")
    CONTACTED = 2, _("Contacted")
    PRELIMINARY = 3, _("Preliminary selection")
    FINE = 4, _("Fine selection")
    KEY = 5, _("Key prospect")
    PLAN = 6, _("Activity plan")
    CUSTOMER = 7, _("Customer")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", pgettext_lazy("follow-up channel", "Visit")
    IN_PERSON = "in_person", _("In person")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Talked")
    NO_ANSWER = "no_answer", _("Not reached")
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")
    BOOKED = "booked", _("Booked")


class Lead(models.Model):
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="leads", verbose_name=_("property"))
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="leads",
                              verbose_name=_("account manager"))
    kind = models.CharField(_("type"), max_length=10, choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, db_index=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    needs = models.TextField(_("needs and notes"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    source_detail = models.CharField(_("campaign, event or reference"), max_length=100, blank=True)
    referrer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals",
                                 verbose_name=_("referred by"))
    informant = models.CharField(_("informant"), max_length=50, blank=True)
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices, default=Stage.TARGET)
    reached = models.PositiveSmallIntegerField(_("furthest stage"), choices=Stage.choices, default=Stage.TARGET,
                                               editable=False)
    stage_changed_at = models.DateTimeField(_("stage changed"), default=timezone.now, editable=False)
    dropped_at = models.DateTimeField(_("dropped"), null=True, blank=True, editable=False)
    drop_reason = models.CharField(_("why dropped"), max_length=200, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads",
                                 verbose_name=_("guest file"))
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     editable=False)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RuleQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["property", "stage", "id"], name="lead_prop_stage"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(fields=["property", "created_at"], name="lead_prop_created"),
        ]

    def __str__(self):
        return self.name

    @builtins.property
    def is_open(self) -> bool:
        return self.dropped_at is None and self.stage != Stage.CUSTOMER


class Subject(models.Model):
    """A row about a lead or a guest file: `customer` when there is a file (a converted lead's
    rows get it too), else `lead`. Seen when the file (or, without one, the lead) is seen."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+", verbose_name=_("property"))
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss",
                             verbose_name=_("lead"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="%(class)ss", verbose_name=_("customer"))

    objects = SubjectQuerySet.as_manager()

    class Meta:
        abstract = True

    @builtins.property
    def subject(self):
        return self.customer if self.customer_id else self.lead


class FollowUp(Subject):
    ordinal = models.PositiveIntegerField(_("ordinal"), default=1, editable=False)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    summary = models.TextField(_("what was said"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_on = models.DateField(_("next step on"), null=True, blank=True)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("by"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="fu_customer_time"),
            models.Index(fields=["lead", "occurred_at"], name="fu_lead_time"),
            models.Index(fields=["property", "occurred_at"], name="fu_prop_time"),
            models.Index(fields=["author", "occurred_at"], name="fu_author_time"),
        ]
        constraints = [models.CheckConstraint(condition=Q(lead__isnull=False) | Q(customer__isnull=False),
                                              name="followup_has_subject")]

    def __str__(self):
        return f"#{self.ordinal} {self.get_channel_display()}"


class Event(models.TextChoices):
    FILE_CREATED = "file_created", _("File created")
    FIRST_PURCHASE = "first_purchase", _("First purchase")
    COMPLAINT_CLOSED = "complaint_closed", _("Complaint closed")
    BANQUET_HELD = "banquet_held", _("Banquet held")


class Buyers(models.TextChoices):
    BUYERS = "buyers", _("Buyers")
    NON_BUYERS = "non_buyers", _("Non-buyers")
    ANY = "any", _("Anyone")


class TaskRole(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SUPERVISOR = "supervisor", _("Guest-service supervisor")


class CadenceRule(models.Model):
    """R-7.6: on `event`, follow-ups due `offsets` days later, for `role`, for buyers (a guest
    with a purchase when the task falls due), non-buyers or anyone."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="cadence_rules",
                                 verbose_name=_("property"))
    name = models.CharField(_("name"), max_length=60)
    event = models.CharField(_("event"), max_length=20, choices=Event.choices, default=Event.FILE_CREATED)
    buyers = models.CharField(_("applies to"), max_length=12, choices=Buyers.choices, default=Buyers.ANY)
    offsets = models.JSONField(_("days after the event"), default=list)
    role = models.CharField(_("role"), max_length=20, choices=TaskRole.choices, default=TaskRole.ACCOUNT_MANAGER)
    is_active = models.BooleanField(_("in use"), default=True)
    active_from = models.DateField(_("active from"), default=dt.date.today, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["property", "event", "id"]

    def __str__(self):
        return self.name

    @builtins.property
    def offsets_text(self) -> str:
        return ", ".join(str(d) for d in self.offsets)


class Task(Subject):
    rule = models.ForeignKey(CadenceRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks",
                             verbose_name=_("cadence rule"))
    event = models.CharField(_("event"), max_length=20, choices=Event.choices, blank=True)
    event_ref = models.BigIntegerField(default=0, editable=False)  # the occurrence: complaint or visit id, 0 once
    offset = models.PositiveIntegerField(_("day"), null=True, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=TaskRole.choices, default=TaskRole.ACCOUNT_MANAGER)
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="tracking_tasks",
                                 verbose_name=_("assigned to"))
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                editable=False)
    follow_up = models.OneToOneField(FollowUp, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="task", editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["property", "done_at", "due_on"], name="task_prop_open_due"),
            models.Index(fields=["customer", "due_on"], name="task_customer_due"),
            models.Index(fields=["assignee", "done_at", "due_on"], name="task_assignee_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["rule", "customer", "offset", "event", "event_ref"],
                                    name="task_once_per_rule"),
            models.CheckConstraint(condition=Q(lead__isnull=False) | Q(customer__isnull=False),
                                   name="task_has_subject"),
        ]

    def __str__(self):
        return self.title

    @builtins.property
    def is_open(self) -> bool:
        return self.done_at is None


class Commitment(models.Model):
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+", verbose_name=_("property"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="commitments",
                                 verbose_name=_("customer"))
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("promised by"))
    promised = models.CharField(_("what was promised"), max_length=300)
    to_whom = models.CharField(_("to whom"), max_length=60, blank=True)
    due_on = models.DateField(_("by when"))
    done_at = models.DateTimeField(_("kept"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                editable=False)
    result = models.CharField(_("how it was kept"), max_length=300, blank=True)
    visit_report = models.ForeignKey("VisitReport", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="commitments", editable=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = SubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "done_at", "due_on"], name="commit_owner_open_due"),
                   models.Index(fields=["property", "done_at", "due_on"], name="commit_prop_open_due")]

    def __str__(self):
        return self.promised

    @builtins.property
    def is_open(self) -> bool:
        return self.done_at is None


class VisitPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for changes")

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+", verbose_name=_("property"))
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="visit_plans",
                              verbose_name=_("account manager"))
    month = models.DateField(_("month"))  # the first day of the month planned
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    late = models.BooleanField(_("submitted late"), default=False, editable=False)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decision_note = models.CharField(_("manager's note"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["-month", "owner_id"]
        constraints = [models.UniqueConstraint(fields=["property", "owner", "month"], name="visit_plan_once")]

    def __str__(self):
        return f"{self.owner} {self.month:%Y-%m}"


class PlannedVisit(models.Model):
    plan = models.ForeignKey(VisitPlan, on_delete=models.CASCADE, related_name="visits", verbose_name=_("plan"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="planned_visits",
                                 verbose_name=_("customer"))
    planned_on = models.DateField(_("planned for"))
    purpose = models.CharField(_("purpose"), max_length=200)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["planned_on", "id"]

    def __str__(self):
        return self.purpose


class VisitReport(models.Model):
    DUE_DAYS = 2  # the report within two days of the visit

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+", verbose_name=_("property"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visit_reports",
                                 verbose_name=_("customer"))
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="visit_reports", verbose_name=_("visited by"))
    planned = models.OneToOneField(PlannedVisit, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="report", verbose_name=_("planned visit"))
    visited_on = models.DateField(_("visited on"))
    purpose = models.CharField(_("purpose"), max_length=200)
    outcome = models.TextField(_("outcome"))
    next_steps = models.TextField(_("next steps"), blank=True)
    follow_up = models.OneToOneField(FollowUp, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="visit_report", editable=False)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, editable=False)
    late = models.BooleanField(_("late"), default=False, editable=False)

    history = HistoricalRecords()
    objects = SubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit report")
        verbose_name_plural = _("visit reports")
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return self.purpose


class OpportunityKind(models.TextChoices):
    BANQUET = "banquet", _("Banquet")
    WEDDING = "wedding", _("Wedding")
    GROUP = "group", _("Group booking")
    CORPORATE = "corporate", _("Corporate agreement")
    OTHER = "other", _("Other")


class OpportunityStage(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    PROPOSAL = "proposal", _("Proposal sent")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", pgettext_lazy("opportunity stage", "Lost")


DEFAULT_PROBABILITY = {"inquiry": 10, "proposal": 30, "negotiation": 60, "won": 100, "lost": 0}


class Opportunity(models.Model):
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="+", verbose_name=_("property"))
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities",
                              verbose_name=_("account manager"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="opportunities", verbose_name=_("customer"))
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="opportunities",
                             verbose_name=_("lead"))
    kind = models.CharField(_("type"), max_length=12, choices=OpportunityKind.choices)
    title = models.CharField(_("title"), max_length=100)
    stage = models.CharField(_("stage"), max_length=12, choices=OpportunityStage.choices,
                             default=OpportunityStage.INQUIRY)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10,
                                                   validators=[MaxValueValidator(100)])
    expected_on = models.DateField(_("expected date"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    lost_reason = models.CharField(_("why lost"), max_length=200, blank=True)
    visits = models.ManyToManyField("visits.Visit", blank=True, related_name="opportunities",
                                    verbose_name=_("visits that realised it"))
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = RuleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_on", "id"]
        indexes = [models.Index(fields=["property", "stage", "expected_on"], name="opp_prop_stage_date")]

    def __str__(self):
        return self.title

    @builtins.property
    def weighted(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class SourceSpend(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+", verbose_name=_("property"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    month = models.DateField(_("month"))  # the first day of the month
    amount = models.DecimalField(_("spend (yuan)"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("marketing spend")
        verbose_name_plural = _("marketing spend")
        ordering = ["-month", "source"]
        constraints = [models.UniqueConstraint(fields=["property", "source", "month"], name="spend_once")]

    def __str__(self):
        return f"{self.source} {self.month:%Y-%m}"


class SchedulerRun(models.Model):
    """One run of the cadence scheduler and the escalations (R-7.6, issue 15 point 8)."""

    class Trigger(models.TextChoices):
        JOB = "job", _("Job worker")
        COMMAND = "command", _("Command line")
        PAGE = "page", _("By hand")

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices, default=Trigger.JOB)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.PositiveIntegerField(_("tasks created"), default=0)
    escalated = models.PositiveIntegerField(_("escalated"), default=0)
    details = models.JSONField(default=dict, blank=True)  # {property code: {rule id: tasks, …}, …}

    class Meta:
        verbose_name = _("scheduler run")
        verbose_name_plural = _("scheduler runs")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M}"
