"""Monthly visit plans and visit reports (R-7.8; seed 004 §3.1, §3.4): the one place that
writes them. Every function takes the acting user first and asks core.permissions.

- A plan belongs to an account or sales manager (its owner) for one property and month (the
  first day). Its lines are visits to guest files the owner sees, on days of that month. The
  owner edits it while it is a draft or returned, and submits it; a submission after the end of
  the previous month (the property's local date) is late — decided at the first submission.
  Their sales manager or the general manager (`require(actor, PLAN, plan)`) approves it or
  returns it with a note; an approved plan is locked. Who sees a plan: its owner and those who
  lead them (`plans_visible_to`, the CONTROL rule as a query, limited to the leader's properties).
- A visit report is written by whoever visited (general, sales and account managers of the
  file's property) within `VisitReport.DUE_DAYS` days; a later one is flagged `late`. It logs a
  follow-up (channel "visit", so the ordinal counts it) and turns each promise into a
  Commitment linked to the report. A planned line whose day has passed without a report is
  "due" for DUE_DAYS days, then "late" (`line_state`).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.periods import add_months
from yingke.core.permissions import CONTROL, PLAN, TRACK, is_staff, require
from yingke.core.roles import OWNER_ROLES, Role
from yingke.core.services import Conflict, _raise, clean_paragraphs, clean_text, valid_id
from yingke.customers.models import Customer
from yingke.tracking import services
from yingke.tracking.models import Channel, Outcome, PlannedVisit, VisitPlan, VisitReport

Status = VisitPlan.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)
MAX_LINES = 200  # visits in one month's plan
MAX_PROMISES = 20  # promised items in one report
MONTHS_AHEAD = 12  # a plan may be made this many months ahead


# ---- reading -------------------------------------------------------------------------------

def plans_visible_to(user):
    """The plans `user` sees: their own; as general manager, every plan of their properties by
    an account or sales manager; as sales manager, their team's (CONTROL, R-6.4)."""
    qs = VisitPlan.objects.all()
    if permissions.is_system(user):
        return qs
    if not is_staff(user):
        return qs.none()
    rule = Q(owner=user) if user.role in OWNER_ROLES else Q(pk__in=[])
    if user.role == Role.GENERAL_MANAGER:
        rule |= Q(property_id__in=user.property_ids(), owner__role__in=OWNER_ROLES)
    elif user.role == Role.SALES_MANAGER:
        rule |= Q(owner__manager_id=user.pk)
    return qs.filter(rule)


def may_decide(user, plan: VisitPlan) -> bool:
    return plan.status == Status.SUBMITTED and permissions.can(user, PLAN, plan)


def may_edit(user, plan: VisitPlan) -> bool:
    return plan.status in EDITABLE and is_staff(user) and plan.owner_id == user.pk


def month_start(value) -> dt.date:
    return value.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1)


def is_late_submission(plan: VisitPlan, when=None) -> bool:
    """Submitted after the end of the previous month, in the property's local time."""
    return plan.property.local_day(when or timezone.now()) >= plan.month


def line_state(line: PlannedVisit, today: dt.date) -> str:
    """"reported", "planned" (the day is to come), "due" (a report is due: the day passed at
    most DUE_DAYS ago) or "late" (no report, and more than DUE_DAYS days since)."""
    if getattr(line, "report", None) is not None:
        return "reported"
    if line.planned_on >= today:
        return "planned"
    return "due" if (today - line.planned_on).days <= VisitReport.DUE_DAYS else "late"


def lines_awaiting_report(user, today_of=None):
    """The planned visits of `user`'s submitted or approved plans whose day has passed without a
    report (newest first), each with `.state` "due" or "late"."""
    if not is_staff(user):
        return []
    rows = (PlannedVisit.objects.visible_to(user)  # a file that has moved on is not theirs to report on
            .filter(plan__owner=user, plan__status__in=[Status.SUBMITTED, Status.APPROVED], report__isnull=True)
            .select_related("plan__property", "customer").order_by("-planned_on", "-id"))
    out, todays = [], {}
    for line in rows.filter(planned_on__lt=timezone.localdate() + dt.timedelta(days=1))[:200]:
        prop = line.plan.property
        today = todays.setdefault(prop.pk, prop.local_today())
        if line.planned_on < today:
            line.state = line_state(line, today)
            out.append(line)
    return out


# ---- plans ---------------------------------------------------------------------------------

def _month(value, prop, errors) -> dt.date | None:
    if isinstance(value, str) and len(value.strip()) == 7:  # "YYYY-MM"
        value = value.strip() + "-01"
    day = services._date(value, "month", errors)
    if day is None:
        return None
    month = month_start(day)
    this = month_start(prop.local_today())
    last = add_months(this, MONTHS_AHEAD)
    if month < this:
        errors.setdefault("month", []).append(_("A visit plan is made for this month or a month to come."))
    elif month > last:
        errors.setdefault("month", []).append(_("A visit plan can be made at most %(n)d months ahead.")
                                              % {"n": MONTHS_AHEAD})
    return month


def create_plan(actor, prop, month) -> VisitPlan:
    """A new draft plan of the actor (an account or sales manager working at `prop`) for `month`
    (any day of it, or "YYYY-MM"). A second plan for the same month is a Conflict."""
    require(actor, TRACK, prop)
    if actor.role not in OWNER_ROLES:
        raise PermissionDenied(_("Visit plans are made by account and sales managers."))
    errors: dict = {}
    month = _month(month, prop, errors)
    _raise(errors)
    if VisitPlan.objects.filter(property=prop, owner=actor, month=month).exists():
        raise Conflict(_("You already have a visit plan for this month."))
    plan = VisitPlan(property=prop, owner=actor, month=month)
    services._stamp(plan, actor)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # a second click at the same moment
        raise Conflict(_("You already have a visit plan for this month.")) from None
    return plan


def _locked_plan(plan: VisitPlan) -> VisitPlan:
    locked = VisitPlan.objects.select_for_update(of=("self",)).select_related("property", "owner") \
        .filter(pk=plan.pk).first()
    if locked is None:
        raise permissions.NotVisible
    return locked


def _editable(actor, plan: VisitPlan) -> None:
    require(actor, CONTROL, plan.owner)  # seen (404 otherwise is the caller's fetch)
    if plan.owner_id != actor.pk:
        raise PermissionDenied(_("Only the plan's own account manager changes it."))
    if plan.status == Status.APPROVED:
        raise Conflict(_("This visit plan is approved and can no longer be changed."))
    if plan.status == Status.SUBMITTED:
        raise Conflict(_("This visit plan is submitted; it can be changed once the manager returns it."))


def _line_fields(actor, plan: VisitPlan, data: dict, errors: dict, prefix: str = "") -> dict:
    out = {}
    raw = data.get("customer")
    pk = getattr(raw, "pk", raw)
    customer = Customer.objects.visible_to(actor).filter(pk=pk, property_id=plan.property_id).first() \
        if valid_id(pk) else None
    if customer is None:
        errors.setdefault(f"{prefix}customer", []).append(_("Choose a guest file of this property that you can see."))
    out["customer"] = customer
    day = services._date(data.get("planned_on"), f"{prefix}planned_on", errors)
    if day is not None and month_start(day) != plan.month:
        errors.setdefault(f"{prefix}planned_on", []).append(_("Choose a day of %(month)s.")
                                                            % {"month": plan.month.strftime("%Y-%m")})
    out["planned_on"] = day
    out["purpose"] = clean_text(data.get("purpose"), f"{prefix}purpose", 200, errors=errors)
    return out


def add_line(actor, plan: VisitPlan, *, customer, planned_on, purpose) -> PlannedVisit:
    with transaction.atomic():
        plan = _locked_plan(plan)
        _editable(actor, plan)
        errors: dict = {}
        fields = _line_fields(actor, plan, {"customer": customer, "planned_on": planned_on, "purpose": purpose},
                              errors)
        if plan.visits.count() >= MAX_LINES:
            errors.setdefault("__all__", []).append(_("A plan holds at most %(n)d visits.") % {"n": MAX_LINES})
        _raise(errors)
        return PlannedVisit.objects.create(plan=plan, **fields)


def remove_line(actor, line: PlannedVisit) -> None:
    with transaction.atomic():
        plan = _locked_plan(line.plan)
        _editable(actor, plan)
        if VisitReport.objects.filter(planned_id=line.pk).exists():
            raise Conflict(_("This visit has its report and stays in the plan."))
        PlannedVisit.objects.filter(pk=line.pk, plan=plan).delete()


def set_lines(actor, plan: VisitPlan, lines: list[dict]) -> VisitPlan:
    """Replace the plan's lines (the API): a line with an `id` of the plan is changed, one
    without is added, the plan's other lines are removed — except those with a report (Conflict)."""
    with transaction.atomic():
        plan = _locked_plan(plan)
        _editable(actor, plan)
        errors: dict = {}
        if len(lines) > MAX_LINES:
            errors.setdefault("lines", []).append(_("A plan holds at most %(n)d visits.") % {"n": MAX_LINES})
            _raise(errors)
        current = {v.pk: v for v in plan.visits.all()}
        keep, new = {}, []
        for i, data in enumerate(lines):
            fields = _line_fields(actor, plan, data, errors, prefix=f"lines.{i}.")
            pk = data.get("id")
            if pk is not None:
                if pk not in current or pk in keep:
                    errors.setdefault(f"lines.{i}.id", []).append(_("No such visit in this plan."))
                    continue
                keep[pk] = fields
            else:
                new.append(fields)
        _raise(errors)
        gone = [pk for pk in current if pk not in keep]
        if VisitReport.objects.filter(planned_id__in=gone).exists():
            raise Conflict(_("A visit that has its report stays in the plan."))
        PlannedVisit.objects.filter(pk__in=gone).delete()
        for pk, fields in keep.items():
            line = current[pk]
            for name, value in fields.items():
                setattr(line, name, value)
            line.save()
        for fields in new:
            PlannedVisit.objects.create(plan=plan, **fields)
    return plan


def submit_plan(actor, plan: VisitPlan) -> VisitPlan:
    """Send a draft (or returned) plan to the manager; late when first sent after the end of the
    previous month."""
    with transaction.atomic():
        plan = _locked_plan(plan)
        _editable(actor, plan)
        if not plan.visits.exists():
            raise ValidationError({"__all__": [_("Plan at least one visit before submitting the plan.")]})
        now = timezone.now()
        if plan.submitted_at is None:
            plan.late = is_late_submission(plan, now)
        plan.status, plan.submitted_at = Status.SUBMITTED, now
        services._stamp(plan, actor, _("Submitted"))
        plan.save()
    return plan


def decide_plan(actor, plan: VisitPlan, approve: bool, note="") -> VisitPlan:
    """Approve (locks it) or return (a note says what to change) a submitted plan: the owner's
    sales manager or the general manager of the property."""
    note = clean_text(note, "note", 300, required=not approve)
    with transaction.atomic():
        plan = _locked_plan(plan)
        require(actor, PLAN, plan)
        if plan.status != Status.SUBMITTED:
            raise Conflict(_("This visit plan is not waiting for a decision (it is “%(status)s”).")
                           % {"status": plan.get_status_display()})
        plan.status = Status.APPROVED if approve else Status.RETURNED
        plan.decided_by, plan.decided_at, plan.decision_note = actor, timezone.now(), note
        services._stamp(plan, actor, _("Approved") if approve else _("Returned"))
        plan.save()
    return plan


# ---- visit reports -------------------------------------------------------------------------

def _visit_moment(prop, day: dt.date):
    """The follow-up time of a visit on local `day`: noon, or now when that is still to come."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=prop.zone)
    return min(noon, timezone.now())


def _promises(promises, visited_on, errors) -> list[dict]:
    out = []
    if not isinstance(promises, list | tuple):
        errors.setdefault("promises", []).append(_("Give the promises as a list."))
        return out
    if len(promises) > MAX_PROMISES:
        errors.setdefault("promises", []).append(_("At most %(n)d promised items.") % {"n": MAX_PROMISES})
        return out
    for i, p in enumerate(promises):
        p = p if isinstance(p, dict) else {}
        what = clean_text(p.get("promised"), f"promises.{i}.promised", 300, errors=errors)
        to_whom = clean_text(p.get("to_whom"), f"promises.{i}.to_whom", 60, required=False, errors=errors)
        due = services._date(p.get("due_on"), f"promises.{i}.due_on", errors)
        if due is not None and visited_on is not None and due < visited_on:
            errors.setdefault(f"promises.{i}.due_on", []).append(_("A promise falls due on or after the visit."))
        out.append({"promised": what, "to_whom": to_whom, "due_on": due})
    return out


def create_report(actor, customer: Customer, *, visited_on, purpose, outcome, next_steps="", promises=(),
                  planned=None, follow_up_outcome=Outcome.REACHED) -> VisitReport:
    """The report of a visit to `customer` (a file the actor sees), optionally of a line of the
    actor's own plan. Logs the visit as a follow-up and makes each promise a commitment."""
    require(actor, permissions.FOLLOW, customer)
    require(actor, TRACK, customer.property)
    prop = customer.property
    errors: dict = {}
    visited_on = services._date(visited_on, "visited_on", errors)
    today = prop.local_today()
    if visited_on is not None and visited_on > today:
        errors.setdefault("visited_on", []).append(_("A visit is reported once it has happened: the date cannot "
                                                     "be in the future."))
    elif visited_on is not None and visited_on.year < 2000:
        errors.setdefault("visited_on", []).append(_("Enter a date after 2000."))
    purpose = clean_text(purpose, "purpose", 200, errors=errors)
    outcome_text = clean_paragraphs(outcome, "outcome", 2000, errors=errors)
    next_steps = clean_paragraphs(next_steps, "next_steps", 1000, required=False, errors=errors)
    if follow_up_outcome not in Outcome.values:
        errors.setdefault("follow_up_outcome", []).append(_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in Outcome.labels)})
    items = _promises(list(promises) if isinstance(promises, list | tuple) else promises, visited_on, errors)
    line = None
    if planned not in (None, ""):
        pk = getattr(planned, "pk", planned)
        line = PlannedVisit.objects.select_related("plan").filter(pk=pk, plan__owner_id=actor.pk).first() \
            if valid_id(pk) else None
        if line is None:
            errors.setdefault("planned", []).append(_("Choose a visit of your own plan."))
        elif line.customer_id != customer.pk:
            errors.setdefault("planned", []).append(_("This planned visit is to another guest."))
    _raise(errors)
    with transaction.atomic():
        if line is not None:
            line = PlannedVisit.objects.select_for_update(of=("self",)).get(pk=line.pk)
            if VisitReport.objects.filter(planned=line).exists():
                raise Conflict(_("This planned visit already has its report."))
        summary = f"{purpose}\n{outcome_text}"[:2000]
        follow_up = services.log_follow_up(actor, customer, channel=Channel.VISIT, outcome=follow_up_outcome,
                                           summary=summary, occurred_at=_visit_moment(prop, visited_on),
                                           next_step=" ".join(next_steps.split())[:200])
        report = VisitReport(property=prop, customer=customer, owner=actor, planned=line, visited_on=visited_on,
                             purpose=purpose, outcome=outcome_text, next_steps=next_steps, follow_up=follow_up,
                             submitted_at=timezone.now())
        report.late = (today - visited_on).days > VisitReport.DUE_DAYS
        services._stamp(report, actor)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:  # the planned line was reported at the same moment
            raise Conflict(_("This planned visit already has its report.")) from None
        for i, item in enumerate(items):
            try:
                services.add_commitment(actor, customer, visit_report=report, **item)
            except ValidationError as e:
                raise ValidationError({f"promises.{i}.{k}": v for k, v in e.message_dict.items()}) from None
    return report
