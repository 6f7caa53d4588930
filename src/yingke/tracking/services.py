"""Leads, follow-ups, tasks and commitments (R-7.1, R-7.3, R-7.4, R-7.6): the one place that
writes them. Every function takes the acting user first and asks core.permissions; views, the
API, the CLI and jobs only call these. Bad input is a ValidationError naming the field; a
state that forbids the change (a lead already converted, a task already done) is a Conflict.

Ordinals (R-7.3): a follow-up's ordinal is its place among its subject's follow-ups (the file's,
or the lead's while there is no file), by time then id. `log_follow_up` locks the subject's row
(PostgreSQL `SELECT … FOR UPDATE`; SQLite's write lock is taken at BEGIN IMMEDIATE) and
renumbers the subject, so two follow-ups logged at once never share a number and one entered
later for an earlier time slots in. A conversion and a merge renumber the file the same way.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, When
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.parsing import CellError, parse_decimal
from yingke.core.permissions import (
    COMPLETE,
    EDIT,
    FOLLOW,
    TRACK,
    assignable_owners,
    history_user,
    is_staff,
    require,
)
from yingke.core.services import Conflict, _raise, clean_paragraphs, clean_text, valid_id, visible
from yingke.customers.identity import normalize_mobile
from yingke.customers.models import Customer
from yingke.customers.services import save_customer
from yingke.tracking.models import Channel, Commitment, FollowUp, Lead, Outcome, Source, Stage, Task, TaskRole

LEAD_TEXT = {"name": 100, "employer": 100, "job_title": 50, "source_detail": 100, "informant": 50}
MAX_AHEAD = dt.timedelta(minutes=10)  # a follow-up "when" may be this far in the future (clock skew)


def _stamp(obj, actor, reason: str = ""):
    obj._history_user = history_user(actor)
    if reason:
        obj._change_reason = reason[:100]


def _choice(value, choices, field, errors):
    if value not in choices.values:
        errors.setdefault(field, []).append(_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in choices.labels)})
    return value


def amount_of(value, field, errors, max_digits: int = 12) -> Decimal | None:
    """An amount in yuan, 0 or more, as staff type it ("1234.5", "￥1,234.50", full-width digits: the
    import's parser, core.parsing.parse_decimal), at most two places and `max_digits` digits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.setdefault(field, []).append(_("This field is required."))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        errors.setdefault(field, []).append(_("Not an amount; write it as 1234.50."))
        return None
    try:
        amount = parse_decimal(value if isinstance(value, str) else str(value), 2, max_digits)
    except CellError as e:
        errors.setdefault(field, []).append(str(e))
        return None
    if amount < 0:
        errors.setdefault(field, []).append(_("Enter an amount of 0 or more."))
        return None
    return amount


def _date(value, field, errors, required=True):
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("This field is required."))
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
            return None
    if not 2000 <= value.year <= 2100:
        errors.setdefault(field, []).append(_("Enter a date between 2000 and 2100."))
        return None
    return value


def _owner(actor, prop, owner, errors, field="owner"):
    """A new owner the actor may choose for a row of `prop` (as for files, R-6.1), or None."""
    if owner in (None, ""):
        return None
    pk = getattr(owner, "pk", owner)
    found = assignable_owners(actor, prop).filter(pk=pk).first() if valid_id(pk) else None
    if found is None:
        errors.setdefault(field, []).append(_("You cannot make this member of staff responsible for it."))
    return found


# ---- leads (R-7.1) ---------------------------------------------------------------------------

def _lead_fields(actor, lead: Lead, data: dict, errors: dict) -> None:
    for name, size in LEAD_TEXT.items():
        if name in data:
            setattr(lead, name, clean_text(data[name], name, size, required=name == "name", errors=errors))
    if "needs" in data:
        lead.needs = clean_paragraphs(data["needs"], "needs", 2000, required=False, errors=errors)
    if "kind" in data:
        lead.kind = _choice(data["kind"], Customer.Kind, "kind", errors)
    if "mobile" in data:
        try:
            lead.mobile = normalize_mobile(data["mobile"])
        except ValidationError as e:
            errors.setdefault("mobile", []).extend(e.messages)
    if "email" in data:
        email = clean_text(data["email"], "email", 254, required=False, errors=errors)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.setdefault("email", []).append(_("Enter a valid e-mail address."))
        lead.email = email
    if "source" in data:
        lead.source = _choice(data["source"], Source, "source", errors)
    if "referrer" in data:
        ref = data["referrer"]
        if ref in (None, ""):
            lead.referrer = None
        else:
            pk = getattr(ref, "pk", ref)
            found = Customer.objects.visible_to(actor).filter(pk=pk, property=lead.property).first() \
                if valid_id(pk) else None
            if found is None and lead.pk is not None and valid_id(pk) and pk == lead.referrer_id:
                found = lead.referrer  # unchanged, though the file has moved out of the actor's sight
            if found is None:
                errors.setdefault("referrer", []).append(_("Choose a guest file of this property that you can see."))
            lead.referrer = found
    if "owner" in data:
        if data["owner"] in (None, ""):
            lead.owner = None
        elif getattr(data["owner"], "pk", data["owner"]) != lead.owner_id:
            lead.owner = _owner(actor, lead.property, data["owner"], errors)
    if lead.source == Source.REFERRAL and not lead.referrer_id and "referrer" not in errors:
        errors.setdefault("referrer", []).append(_("A referral names the guest who referred them."))
    if lead.source == Source.INFORMANT and not visible(lead.informant) and "informant" not in errors:
        errors.setdefault("informant", []).append(_("Name the informant who passed this lead on."))
    if lead.source != Source.REFERRAL:
        lead.referrer = None
    if lead.source != Source.INFORMANT:
        lead.informant = ""


def create_lead(actor, prop, **data) -> Lead:
    """A new lead in `prop`, at the stage given (default: target). Its owner defaults to the
    actor when the actor may own files."""
    require(actor, TRACK, prop)
    errors: dict = {}
    lead = Lead(property=prop, created_by=history_user(actor))
    if "owner" not in data and is_staff(actor) and assignable_owners(actor, prop).filter(pk=actor.pk).exists():
        lead.owner = actor
    data.setdefault("source", "")
    _lead_fields(actor, lead, data, errors)
    stage = data.get("stage", Stage.TARGET)
    if stage not in Stage.values or stage == Stage.CUSTOMER:
        errors.setdefault("stage", []).append(_("A new lead starts at one of the stages before “Customer”."))
    _raise(errors)
    lead.stage = lead.reached = stage
    _stamp(lead, actor)
    lead.save()
    return lead


def _locked_lead(lead: Lead) -> Lead:
    locked = Lead.objects.select_for_update(of=("self",)).filter(pk=lead.pk).first()
    if locked is None:
        raise permissions.NotVisible
    return locked


def update_lead(actor, lead: Lead, **data) -> Lead:
    with transaction.atomic():
        lead = _locked_lead(lead)
        require(actor, EDIT, lead)
        errors: dict = {}
        data.pop("stage", None)
        _lead_fields(actor, lead, data, errors)
        _raise(errors)
        _stamp(lead, actor)
        lead.save()
    return lead


def move_stage(actor, lead: Lead, stage, expect=None) -> Lead:
    """Move an open lead to another stage before "Customer" (conversion is `convert`); `expect`
    is the stage the user saw (the board's drag): another means someone moved it meanwhile."""
    if stage not in Stage.values or stage == Stage.CUSTOMER:
        raise ValidationError({"stage": [_("Move the lead to one of the stages before “Customer”; to make it a "
                                           "customer, convert it.")]})
    with transaction.atomic():
        lead = _locked_lead(lead)
        require(actor, EDIT, lead)
        if not lead.is_open:
            raise Conflict(_("This lead is closed: it was converted or dropped."))
        if expect is not None and expect != lead.stage:
            raise Conflict(_("Someone moved this lead meanwhile; it is now at “%(stage)s”.") % {
                "stage": lead.get_stage_display()})
        if stage != lead.stage:
            lead.stage = stage
            lead.reached = max(lead.reached, stage)
            lead.stage_changed_at = timezone.now()
            _stamp(lead, actor)
            lead.save()
    return lead


def drop_lead(actor, lead: Lead, reason) -> Lead:
    reason = clean_text(reason, "reason", 200)
    with transaction.atomic():
        lead = _locked_lead(lead)
        require(actor, EDIT, lead)
        if not lead.is_open:
            raise Conflict(_("This lead is closed: it was converted or dropped."))
        lead.dropped_at, lead.drop_reason = timezone.now(), reason
        _stamp(lead, actor, reason)
        lead.save()
    return lead


def reopen_lead(actor, lead: Lead) -> Lead:
    with transaction.atomic():
        lead = _locked_lead(lead)
        require(actor, EDIT, lead)
        if lead.dropped_at is None:
            raise Conflict(_("Only a dropped lead can be reopened."))
        lead.dropped_at, lead.drop_reason = None, ""
        _stamp(lead, actor)
        lead.save()
    return lead


def possible_files(actor, lead: Lead) -> dict:
    """Guest files of the lead's property that may be the same person (R-7.1): the same mobile,
    or the same name and employer. {"visible": [files the actor sees], "hidden": how many others}
    — like the new-file form, the answer says only that others exist."""
    q = Q(pk__in=[])
    if lead.mobile:
        q |= Q(mobile=lead.mobile)
    if lead.name and lead.employer:
        q |= Q(name=lead.name, employer=lead.employer)
    same = Customer.objects.filter(q, property_id=lead.property_id)
    visible = list(same.visible_to(actor).order_by("id")[:10])
    hidden = same.exclude(pk__in=Customer.objects.visible_to(actor).values("pk")).count()
    return {"visible": visible, "hidden": hidden}


def convert(actor, lead: Lead, *, customer=None, create_anyway=False, code="") -> Customer:
    """Make the lead a customer (R-7.1): link it to an existing file of its property (`customer`,
    one the actor may change) or open a new one from its details. A new file is refused with a
    Conflict naming the matches while possible duplicates exist, unless `create_anyway`. The lead's
    follow-ups, tasks and opportunities then belong to the file too, numbered in time with the
    file's own follow-ups."""
    with transaction.atomic():
        lead = _locked_lead(lead)
        require(actor, EDIT, lead)
        if not lead.is_open:
            raise Conflict(_("This lead is closed: it was converted or dropped."))
        if customer is not None:
            pk = getattr(customer, "pk", customer)
            customer = Customer.objects.editable_by(actor).filter(pk=pk, property_id=lead.property_id).first() \
                if valid_id(pk) else None
            if customer is None:
                raise ValidationError({"customer": [_("Choose a guest file of this property that you may change.")]})
        else:
            found = possible_files(actor, lead)
            if (found["visible"] or found["hidden"]) and not create_anyway:
                raise Conflict(_("A guest file with this mobile, or this name and employer, already exists: link "
                                 "the lead to it, or confirm that this is someone else."))
            file = Customer(property=lead.property, kind=lead.kind, name=lead.name, mobile=lead.mobile,
                            employer=lead.employer, job_title=lead.job_title, email=lead.email,
                            main_needs=lead.needs, owner=lead.owner, customer_code=code or "")
            file._change_reason = _("Converted from a lead")
            customer = save_customer(actor, file)
        lead.customer = customer
        lead.stage = lead.reached = Stage.CUSTOMER
        lead.stage_changed_at = lead.converted_at = timezone.now()
        lead.converted_by = history_user(actor)
        _stamp(lead, actor, _("Converted"))
        lead.save()
        FollowUp.objects.filter(lead=lead).update(customer=customer, property_id=customer.property_id)
        Task.objects.filter(lead=lead).update(customer=customer)
        lead.opportunities.filter(customer__isnull=True).update(customer=customer)
        renumber(customer=customer)
    return customer


# ---- follow-ups (R-7.3) ----------------------------------------------------------------------

def _subject_of(subject):
    """(customer, lead) for a subject given as a file or a lead: a converted lead's rows go to its file."""
    if isinstance(subject, Customer):
        return subject, None
    if isinstance(subject, Lead):
        return (subject.customer, subject) if subject.customer_id else (None, subject)
    raise TypeError(subject)


def renumber(*, customer=None, lead=None) -> int:
    """Number the subject's follow-ups 1, 2, … by time then id; rows whose number changes are
    updated. Returns how many changed."""
    rows = FollowUp.objects.filter(customer=customer) if customer is not None else \
        FollowUp.objects.filter(lead=lead, customer__isnull=True)
    ranked = rows.annotate(n=Window(RowNumber(), order_by=[F("occurred_at").asc(), F("id").asc()]))
    changes = {r.pk: r.n for r in ranked.only("pk", "ordinal") if r.ordinal != r.n}
    if changes:
        FollowUp.objects.filter(pk__in=list(changes)).update(
            ordinal=Case(*[When(pk=pk, then=n) for pk, n in changes.items()], output_field=IntegerField()))
    return len(changes)


def _lock_subject(customer, lead):
    if customer is not None:
        Customer.objects.select_for_update(of=("self",)).filter(pk=customer.pk).exists()
    else:
        Lead.objects.select_for_update(of=("self",)).filter(pk=lead.pk).exists()


def _occurred(value, errors):
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors.setdefault("occurred_at", []).append(_("Enter a date and time."))
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(12))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + MAX_AHEAD:
        errors.setdefault("occurred_at", []).append(_("A follow-up is logged once it has happened: the time "
                                                      "cannot be in the future."))
    elif value.year < 2000:
        errors.setdefault("occurred_at", []).append(_("Enter a date after 2000."))
    return value


def log_follow_up(actor, subject, *, channel, outcome, summary, occurred_at=None, next_step="", next_on=None,
                  task=None) -> FollowUp:
    """Log an interaction with a lead or a guest file (R-7.3): a written summary is required. A
    `next_on` date makes a task for the author (or the lead's or file's owner) due that day."""
    customer, lead = _subject_of(subject)
    require(actor, FOLLOW, customer if customer is not None else lead)
    errors: dict = {}
    _choice(channel, Channel, "channel", errors)
    _choice(outcome, Outcome, "outcome", errors)
    summary = clean_paragraphs(summary, "summary", 2000, errors=errors)
    next_step = clean_text(next_step, "next_step", 200, required=False, errors=errors)
    when = _occurred(occurred_at, errors)
    next_on = _date(next_on, "next_on", errors, required=False)
    prop = (customer or lead).property
    if next_on is not None and next_on < prop.local_today():
        errors.setdefault("next_on", []).append(_("The next step cannot be in the past."))
    if next_on is not None and not next_step and "next_step" not in errors:
        errors.setdefault("next_step", []).append(_("Say what the next step is."))
    _raise(errors)
    with transaction.atomic():
        _lock_subject(customer, lead)
        f = FollowUp(property=prop, customer=customer, lead=lead, channel=channel, outcome=outcome,
                     summary=summary, occurred_at=when, next_step=next_step, next_on=next_on,
                     author=actor if is_staff(actor) else None)
        f.ordinal = FollowUp.objects.filter(customer=customer) .count() + 1 if customer is not None else \
            FollowUp.objects.filter(lead=lead, customer__isnull=True).count() + 1
        _stamp(f, actor)
        f.save()
        renumber(customer=customer, lead=lead)
        f.refresh_from_db(fields=["ordinal"])
        if lead is not None and outcome != Outcome.NO_ANSWER:  # talking to a target makes it contacted
            fresh = Lead.objects.get(pk=lead.pk)
            if fresh.is_open and fresh.stage == Stage.TARGET:
                fresh.stage, fresh.reached = Stage.CONTACTED, max(fresh.reached, Stage.CONTACTED)
                fresh.stage_changed_at = timezone.now()
                _stamp(fresh, actor, _("Follow-up logged"))
                fresh.save()
        if next_on is not None:
            Task.objects.create(property=prop, customer=customer, lead=lead, title=next_step, due_on=next_on,
                                role=TaskRole.ACCOUNT_MANAGER, assignee=actor if is_staff(actor) else None)
    return f


# ---- tasks (R-7.6) ---------------------------------------------------------------------------

def complete_task(actor, task: Task, *, channel, outcome, summary, occurred_at=None, next_step="",
                  next_on=None) -> FollowUp:
    """A task is done only with a written result (R-7.6): completing it logs its follow-up."""
    with transaction.atomic():
        locked = Task.objects.select_for_update(of=("self",)).filter(pk=task.pk).first()
        if locked is None:
            raise permissions.NotVisible
        require(actor, COMPLETE, locked)
        if locked.done_at is not None:
            raise Conflict(_("This task is already done."))
        f = log_follow_up(actor, locked.customer or locked.lead, channel=channel, outcome=outcome, summary=summary,
                          occurred_at=occurred_at, next_step=next_step, next_on=next_on)
        locked.done_at, locked.done_by, locked.follow_up = timezone.now(), history_user(actor), f
        locked.save(update_fields=["done_at", "done_by", "follow_up"])
    task.done_at, task.follow_up = locked.done_at, f
    return f


def add_task(actor, subject, *, title, due_on, assignee=None) -> Task:
    """A follow-up task typed by hand, for the actor (or a member of staff they may assign)."""
    customer, lead = _subject_of(subject)
    row = customer if customer is not None else lead
    require(actor, FOLLOW, row)
    errors: dict = {}
    title = clean_text(title, "title", 200, errors=errors)
    due_on = _date(due_on, "due_on", errors)
    if due_on is not None and due_on < row.property.local_today():
        errors.setdefault("due_on", []).append(_("The due date cannot be in the past."))
    if assignee not in (None, ""):
        assignee = _owner(actor, row.property, assignee, errors, "assignee")
    elif is_staff(actor):
        assignee = actor
    if assignee is not None and not permissions.can(assignee, permissions.SEE, row):
        errors.setdefault("assignee", []).append(_("This member of staff cannot see this guest file or lead."))
    _raise(errors)
    return Task.objects.create(property=row.property, customer=customer, lead=lead, title=title, due_on=due_on,
                               role=TaskRole.ACCOUNT_MANAGER, assignee=assignee)


def live_tasks(qs):
    """Tasks still worth doing: not those of a dropped lead (they come back if it is reopened)."""
    return qs.exclude(customer__isnull=True, lead__dropped_at__isnull=False)


def falls_to(user) -> Q:
    """The tasks that fall to `user`: assigned to them; an account manager's task of a file or lead
    they own; a supervisor's task of the property for a supervisor."""
    mine = Q(assignee=user) | (Q(assignee__isnull=True, role=TaskRole.ACCOUNT_MANAGER) & (
        Q(customer__owner=user) | Q(customer__isnull=True, lead__owner=user)))
    if getattr(user, "role", None) == TaskRole.SUPERVISOR:
        mine |= Q(assignee__isnull=True, role=TaskRole.SUPERVISOR)
    return mine


def open_tasks_for(user, prop, day=None):
    """The open tasks that fall to `user` in `prop` (the "my tasks" list and the control table)."""
    qs = live_tasks(Task.objects.visible_to(user)).filter(falls_to(user), property=prop, done_at__isnull=True)
    if day is not None:
        qs = qs.filter(due_on__lte=day)
    return qs


# ---- commitments (R-7.4) ---------------------------------------------------------------------

def add_commitment(actor, customer: Customer, *, promised, due_on, to_whom="", owner=None, visit_report=None) -> Commitment:
    require(actor, FOLLOW, customer)
    errors: dict = {}
    promised = clean_text(promised, "promised", 300, errors=errors)
    to_whom = clean_text(to_whom, "to_whom", 60, required=False, errors=errors)
    due_on = _date(due_on, "due_on", errors)
    if owner in (None, ""):
        owner = actor if is_staff(actor) else customer.owner
    elif is_staff(actor) and getattr(owner, "pk", owner) == actor.pk:
        owner = actor
    else:
        owner = _owner(actor, customer.property, owner, errors)
    if owner is None and "owner" not in errors:
        errors.setdefault("owner", []).append(_("Say who keeps this promise."))
    elif owner is not None and not permissions.can(owner, permissions.SEE, customer):
        errors.setdefault("owner", []).append(_("This member of staff cannot see this guest file or lead."))
    _raise(errors)
    c = Commitment(property=customer.property, customer=customer, owner=owner, promised=promised, to_whom=to_whom,
                   due_on=due_on, visit_report=visit_report, created_by=history_user(actor))
    _stamp(c, actor)
    c.save()
    return c


def keep_commitment(actor, commitment: Commitment, result) -> Commitment:
    result = clean_text(result, "result", 300)
    with transaction.atomic():
        c = Commitment.objects.select_for_update(of=("self",)).filter(pk=commitment.pk).first()
        if c is None:
            raise permissions.NotVisible
        require(actor, COMPLETE, c)
        if c.done_at is not None:
            raise Conflict(_("This promise was already kept."))
        c.done_at, c.done_by, c.result = timezone.now(), history_user(actor), result
        _stamp(c, actor)
        c.save()
    return c


def all_open(model, user, prop):
    """Open tasks or commitments of `prop` the user sees (lists for managers)."""
    return model.objects.visible_to(user).filter(property=prop, done_at__isnull=True)


