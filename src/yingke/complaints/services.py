"""Complaints (R-8.1–R-8.3): recording, the six steps, approval of compensation, time limits.

The six steps (R-8.2) are a state machine: a complaint's `step` is the last step done, and
the only move is to the next one (`advance`), by someone who may handle it (permissions:
HANDLE). Each step done leaves a ComplaintStep with who, when and whether it was late, and the
complaint's change history (simple_history) keeps every field's before and after.

  1 listen and record   – `record` (the guest's words are required)
  2 apologise           – who apologised and how (text optional)
  3 verify              – what was found (required)
  4 agree a solution    – solution (required) and compensation; a compensation value above
                          the property's threshold needs an approver (APPROVE): someone else
                          proposes (`approval_pending`) and the approver decides (`decide`)
  5 carry it out        – what was done (required); not while approval is pending
  6 check back, archive – the guest's answer (required: a complaint cannot be archived
                          without it) and their satisfaction

`resolve_on_the_spot` records steps 2–6 at once (same person, same time, each step kept).
Time limits (R-8.3): the next step is due `limit_hours(severity, step)` after the previous
one, counted on the property's clock (calendar or business hours) — `due_at`. Escalation is
in complaints.escalation. Archiving sends `complaint_closed` (the follow-up cadences of the
tracking issue start from it).
"""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.complaints.models import (
    Channel,
    Compensation,
    Complaint,
    ComplaintPolicy,
    ComplaintStep,
    Kind,
    Satisfaction,
    Severity,
    Step,
)
from yingke.core import notify, permissions
from yingke.core.models import AuditEvent, Outlet, Property, User
from yingke.core.permissions import APPROVE, COMPLAIN, HANDLE, SEE, history_user
from yingke.core.roles import COMPENSATION_APPROVERS
from yingke.core.services import Conflict, clean_paragraphs, clean_text
from yingke.customers.identity import normalize_mobile
from yingke.customers.models import Customer

# complaint_closed(sender=Complaint, complaint=<Complaint>, actor=<user>) – sent on commit of
# the archiving step; the tracking issue's cadences ("complaint closed") listen.
complaint_closed = Signal()

TEXT_MAX = 4000
MAX_AMOUNT = Decimal("9999999999.99")

# What each step needs from the form or API (field: required).
STEP_FIELDS = {
    Step.APOLOGISED: {"apology": False},
    Step.VERIFIED: {"findings": True},
    Step.AGREED: {"solution": True},
    Step.CARRIED_OUT: {"carried_out": True},
    Step.ARCHIVED: {"check_back": True},
}


def policy_of(prop: Property) -> ComplaintPolicy:
    policy = ComplaintPolicy.objects.filter(property=prop).first()
    return policy if policy is not None else ComplaintPolicy(property=prop)


def _choice(value, choices, field, errors):
    value = str(value or "").strip()
    if value not in choices.values:
        errors.setdefault(field, []).append(_("Choose one of the listed values."))
    return value


AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")


def _amount(value, field, errors) -> Decimal:
    """An amount as staff type it: ASCII digits, at most two decimals, thousands commas and a
    ¥ sign allowed; anything else (other scripts' digits, exponents, underscores) refused."""
    if value in (None, ""):
        return Decimal("0.00")
    text = str(value).strip().replace(",", "").replace("¥", "").replace("￥", "").strip()
    if not AMOUNT.fullmatch(text) or not text.isascii():
        errors.setdefault(field, []).append(_("Enter an amount of zero or more, with at most two decimals, "
                                              "such as 200 or 88.50."))
        return Decimal("0.00")
    return Decimal(text).quantize(Decimal("0.01"))


def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _stamp(obj, actor):
    obj._history_user = history_user(actor)


@transaction.atomic
def record(actor, prop: Property, *, kind, words, severity=Severity.MEDIUM, channel=Channel.IN_PERSON,
           customer: Customer | None = None, contact_name="", contact_phone="", outlet: Outlet | None = None,
           location="", staff_involved="", occurred_at=None, now=None) -> Complaint:
    """Step 1, listen and record (R-8.1). A guest named must be one the actor sees, of the
    same property; without one the complaint is anonymous (a contact is kept when given)."""
    permissions.require(actor, COMPLAIN, prop)
    errors: dict = {}
    c = Complaint(property=prop)
    c.kind = _choice(kind, Kind, "kind", errors)
    c.severity = _choice(severity, Severity, "severity", errors)
    c.channel = _choice(channel, Channel, "channel", errors)
    c.words = clean_paragraphs(words, "words", TEXT_MAX, errors=errors)
    c.contact_name = clean_text(contact_name, "contact_name", 60, required=False, errors=errors)
    c.contact_phone = clean_text(contact_phone, "contact_phone", 40, required=False, errors=errors)
    try:  # a mobile is stored as the guest files store it (masked alike); other text as typed
        c.contact_phone = normalize_mobile(c.contact_phone) if c.contact_phone else ""
    except ValidationError:
        pass
    c.location = clean_text(location, "location", 40, required=False, errors=errors)
    c.staff_involved = clean_text(staff_involved, "staff_involved", 200, required=False, errors=errors)
    if customer is not None:
        if customer.property_id != prop.pk or not permissions.can(actor, SEE, customer):
            errors.setdefault("customer", []).append(_("No such guest file in this property."))
        c.customer = customer
    if outlet is not None and outlet.property_id != prop.pk:
        errors.setdefault("outlet", []).append(_("The outlet belongs to another property."))
    c.outlet = outlet
    now = now or timezone.now()
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):  # a local time of the property
            occurred_at = occurred_at.replace(tzinfo=prop.zone)
        if occurred_at > now + dt.timedelta(minutes=5):
            errors.setdefault("occurred_at", []).append(_("The time of the incident cannot be in the future."))
        elif occurred_at.year < 2000:
            errors.setdefault("occurred_at", []).append(_("Enter a time from the year 2000 on."))
    c.occurred_at = occurred_at
    _raise(errors)
    c.created_by = history_user(actor)
    c.created_at = c.step_at = now
    c.step = Step.RECORDED
    _stamp(c, actor)
    c.save()
    ComplaintStep.objects.create(complaint=c, step=Step.RECORDED, done_by=history_user(actor), done_at=now)
    AuditEvent.record(actor, "complaint.record", f"complaint:{c.pk}")
    return c


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _check_next(c: Complaint, step: Step) -> None:
    if c.step >= Step.ARCHIVED:
        raise Conflict({"step": [_("This complaint is archived; nothing more can be done to it.")]})
    if step != c.step + 1:
        raise Conflict({"step": [_("This complaint is at step “%(now)s”; the next step is “%(next)s”.")
                                 % {"now": Step(c.step).label, "next": Step(c.step + 1).label}]})


def _needs_approval(c: Complaint, policy: ComplaintPolicy) -> bool:
    return c.compensation != Compensation.NONE and c.compensation_amount > policy.approval_threshold


def _done(actor, c: Complaint, step: Step, now, note="", policy=None) -> None:
    policy = policy or policy_of(c.property)
    late = now > due_at(c, policy)
    c.step, c.step_at = step, now
    if step == Step.ARCHIVED:
        c.closed_at = now
    ComplaintStep.objects.create(complaint=c, step=step, done_by=history_user(actor), done_at=now,
                                 note=note[:TEXT_MAX], overdue=late)


def _step_data(c: Complaint, step: Step, data: dict, errors: dict) -> None:
    for field, required in STEP_FIELDS[step].items():
        if field in data or required:
            setattr(c, field, clean_paragraphs(data.get(field), field, TEXT_MAX, required=required, errors=errors))
    if step == Step.AGREED:
        c.compensation = _choice(data.get("compensation") or Compensation.NONE, Compensation, "compensation", errors)
        c.compensation_amount = _amount(data.get("compensation_amount"), "compensation_amount", errors)
        if c.compensation == Compensation.NONE and c.compensation_amount:
            errors.setdefault("compensation", []).append(_("Choose the kind of compensation for this value."))
    if step == Step.ARCHIVED:
        c.satisfaction = _choice(data.get("satisfaction"), Satisfaction, "satisfaction", errors)
        if "check_back" in errors:
            errors["check_back"] = [_("A complaint cannot be archived without the result of checking back with "
                                      "the guest.")]


@transaction.atomic
def advance(actor, complaint: Complaint, step, now=None, **data) -> Complaint:
    """Do the next step (R-8.2). `step` is the step asked for, so that a second click or a
    stale page gets a clear Conflict instead of doing the step after."""
    permissions.require(actor, HANDLE, complaint)
    c = _locked(complaint)
    try:
        step = Step(int(step))
    except (TypeError, ValueError):
        raise ValidationError({"step": [_("Unknown step.")]}) from None
    _check_next(c, step)
    if c.approval_pending:
        raise Conflict({"step": [_("The compensation is waiting for the general manager's approval.")]})
    errors: dict = {}
    _step_data(c, step, data, errors)
    _raise(errors)
    now = now or timezone.now()
    policy = policy_of(c.property)
    if step == Step.AGREED and _needs_approval(c, policy):
        if permissions.can(actor, APPROVE, c):
            c.approver = history_user(actor)
        else:
            c.approval_pending = True
            _stamp(c, actor)
            c.save()
            _ask_approval(c)
            AuditEvent.record(actor, "complaint.propose", f"complaint:{c.pk}",
                              amount=str(c.compensation_amount))
            return c
    _done(actor, c, step, now, policy=policy)
    _stamp(c, actor)
    c.save()
    AuditEvent.record(actor, "complaint.step", f"complaint:{c.pk}", step=int(step))
    if step == Step.ARCHIVED:
        _closed(actor, c)
    return c


@transaction.atomic
def decide(actor, complaint: Complaint, approve: bool, reason: str = "", now=None) -> Complaint:
    """The approver's answer to a proposed compensation above the threshold: approved, the
    solution is agreed (step 4, the approver recorded); refused, the proposal is withdrawn
    and the step waits for a new one (the reason is required and kept in the history)."""
    permissions.require(actor, APPROVE, complaint)
    c = _locked(complaint)
    if not c.approval_pending:
        raise Conflict({"approve": [_("No compensation of this complaint is waiting for approval.")]})
    reason = clean_text(reason, "reason", 300, required=not approve)
    now = now or timezone.now()
    c.approval_pending = False
    if approve:
        c.approver = history_user(actor)
        _done(actor, c, Step.AGREED, now, note=reason)
    else:
        c.compensation, c.compensation_amount = Compensation.NONE, Decimal("0.00")
    _stamp(c, actor)
    c._change_reason = reason[:100] if reason else None
    c.save()
    AuditEvent.record(actor, "complaint.approve" if approve else "complaint.refuse", f"complaint:{c.pk}",
                      reason=reason)
    return c


@transaction.atomic
def resolve_on_the_spot(actor, complaint: Complaint, now=None, **data) -> Complaint:
    """Steps 2–6 at once, each recorded (same person and time), when the guest was satisfied
    there and then; compensation above the threshold needs the approver to do it."""
    permissions.require(actor, HANDLE, complaint)
    c = _locked(complaint)
    _check_next(c, Step.APOLOGISED)
    errors: dict = {}
    data = {**data}
    data.setdefault("findings", data.get("solution"))
    for step in (Step.APOLOGISED, Step.VERIFIED, Step.AGREED, Step.CARRIED_OUT, Step.ARCHIVED):
        _step_data(c, step, data, errors)
    _raise(errors)
    policy = policy_of(c.property)
    if _needs_approval(c, policy):
        if not permissions.can(actor, APPROVE, c):
            raise Conflict({"compensation_amount": [_("Compensation above %(limit)s needs the general manager's "
                                                      "approval: take the complaint step by step.")
                                                    % {"limit": policy.approval_threshold}]})
        c.approver = history_user(actor)
    now = now or timezone.now()
    c.on_the_spot = True
    for step in (Step.APOLOGISED, Step.VERIFIED, Step.AGREED, Step.CARRIED_OUT, Step.ARCHIVED):
        _done(actor, c, step, now, policy=policy)
    _stamp(c, actor)
    c.save()
    AuditEvent.record(actor, "complaint.on_the_spot", f"complaint:{c.pk}")
    _closed(actor, c)
    return c


def _closed(actor, c: Complaint) -> None:
    transaction.on_commit(lambda: complaint_closed.send(sender=Complaint, complaint=c, actor=actor))


def _ask_approval(c: Complaint) -> None:
    approvers = User.objects.filter(is_active=True, role__in=list(COMPENSATION_APPROVERS), properties=c.property)
    notify.send(approvers, "complaint.approval", f"complaint:{c.pk}:approval:{timezone.now().isoformat()}",
                {"complaint": c.pk, "amount": str(c.compensation_amount)}, link=f"/complaints/{c.pk}/")


# ---- time limits (R-8.3) ------------------------------------------------------------------

def due_at(c: Complaint, policy: ComplaintPolicy | None = None) -> dt.datetime | None:
    """When the next step is due: the previous step's time plus the limit, on the clock."""
    if c.step >= Step.ARCHIVED:
        return None
    policy = policy or policy_of(c.property)
    hours = policy.limit_hours(c.severity, c.step + 1)
    return add_hours(c.step_at, hours, policy, c.property.zone)


def add_hours(start: dt.datetime, hours: float, policy: ComplaintPolicy, zone) -> dt.datetime:
    """`start` plus `hours` of the policy's clock: calendar hours, or business hours (the
    window business_start–business_end of each business day, local time)."""
    if policy.clock != ComplaintPolicy.Clock.BUSINESS:
        return start + dt.timedelta(hours=hours)
    days = {int(d) for d in policy.business_days if d.isdigit() and 1 <= int(d) <= 7} or set(range(1, 8))
    open_, close = policy.business_start, policy.business_end
    if close <= open_:
        return start + dt.timedelta(hours=hours)
    left = dt.timedelta(hours=hours)
    local = start.astimezone(zone)
    day = local.date()
    for _i in range(800):  # at most ~2 years of days: a limit never runs longer
        if day.isoweekday() in days:
            begin = dt.datetime.combine(day, open_, tzinfo=zone)
            end = dt.datetime.combine(day, close, tzinfo=zone)
            frm = max(begin, local)
            if frm < end:
                if frm + left <= end:
                    return (frm + left).astimezone(dt.UTC)
                left -= end - frm
        day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return start + dt.timedelta(hours=hours)  # pragma: no cover - unreachable with a sane policy


def overdue(c: Complaint, now=None, policy=None) -> bool:
    due = due_at(c, policy)
    return due is not None and (now or timezone.now()) > due


def policies_of(props) -> dict[int, ComplaintPolicy]:
    """{property id: its policy (the defaults when none is saved)} in one query."""
    props = list(props)
    found = {p.property_id: p for p in ComplaintPolicy.objects.filter(property__in=props)} if props else {}
    return {prop.pk: found.get(prop.pk) or ComplaintPolicy(property=prop) for prop in props}


def overdue_cutoff(policy: ComplaintPolicy, zone, severity: str, step: int, now: dt.datetime) -> dt.datetime:
    """T such that a complaint whose previous step was done at s has `step` overdue at `now`
    exactly when s < T. add_hours never decreases as its start grows, so on the business clock
    T is found by bisection (to the microsecond); on the calendar clock it is now − hours."""
    hours = policy.limit_hours(severity, step)
    if policy.clock != ComplaintPolicy.Clock.BUSINESS:
        return now - dt.timedelta(hours=hours)

    def late(start):
        return now > add_hours(start, hours, policy, zone)

    span = dt.timedelta(hours=hours) + dt.timedelta(days=7)
    lo = now - span
    while not late(lo):
        span *= 2
        if span > dt.timedelta(days=3660):
            return lo
        lo = now - span
    hi, one = now, dt.timedelta(microseconds=1)
    while hi - lo > one:
        mid = lo + (hi - lo) / 2
        if late(mid):
            lo = mid
        else:
            hi = mid
    return hi


def overdue_q(props, now: dt.datetime, policies=None) -> Q:
    """Open complaints of `props` whose next step is overdue at `now` (the rule of `overdue`),
    as one Q: per property, severity and step, the previous step done before its cutoff."""
    props = list(props)
    policies = policies if policies is not None else policies_of(props)
    q = Q(pk__in=[])
    for prop in props:
        policy = policies[prop.pk]
        for severity in Severity.values:
            for step in range(Step.RECORDED, Step.ARCHIVED):
                cutoff = overdue_cutoff(policy, prop.zone, severity, step + 1, now)
                q |= Q(property_id=prop.pk, severity=severity, step=step, step_at__lt=cutoff)
    return q


# ---- policy -------------------------------------------------------------------------------

@transaction.atomic
def save_policy(actor, prop: Property, *, approval_threshold=None, clock=None, business_start=None,
                business_end=None, business_days=None, limits=None) -> ComplaintPolicy:
    """Change the complaint settings of a property (CONFIGURE), each change kept in history."""
    permissions.require(actor, permissions.CONFIGURE, prop)
    policy = policy_of(prop)
    errors: dict = {}
    if approval_threshold is not None:
        policy.approval_threshold = _amount(approval_threshold, "approval_threshold", errors)
    if clock is not None:
        policy.clock = _choice(clock, ComplaintPolicy.Clock, "clock", errors)
    if business_start is not None:
        policy.business_start = business_start
    if business_end is not None:
        policy.business_end = business_end
    if policy.business_end <= policy.business_start:
        errors.setdefault("business_end", []).append(_("Business hours must end after they start."))
    if business_days is not None:
        days = "".join(sorted({str(d) for d in business_days if str(d) in "1234567" and str(d)}))
        if not days:
            errors.setdefault("business_days", []).append(_("Choose at least one business day."))
        policy.business_days = days
    if limits is not None:
        clean = {}
        for sev in Severity.values:
            clean[sev] = {}
            for step in range(2, 7):
                raw = (limits.get(sev) or {}).get(str(step), (limits.get(sev) or {}).get(step))
                try:
                    hours = float(raw)
                except (TypeError, ValueError):
                    hours = -1
                if not (0 < hours <= 24 * 90) or hours != hours:
                    errors.setdefault(f"limit_{sev}_{step}", []).append(
                        _("Enter a number of hours greater than 0 and at most 2160."))
                clean[sev][str(step)] = hours
        policy.limits = clean
    _raise(errors)
    _stamp(policy, actor)
    policy.save()
    return policy
