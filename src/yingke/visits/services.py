"""Entering, correcting and voiding visits and stays by hand and through the API (R-3.1, R-3.3).

Each function takes the acting user first and asks core.permissions (R-1.2):
  record_visit  – RECORD on the file (the roles that open files: GM, sales and account
                  managers, the front desk); 404 for a file the actor may not see;
  correct_visit, void_visit – AMEND on the visit: editors of the file, or whoever recorded it.
Bad input raises ValidationError({field: [messages]}); a document number already recorded
in the property is a Conflict (409). Either way nothing changes.

Rules: the property is always the customer's (never taken from the input); the outlet must
belong to it; a document number is unique per property; amounts have at most two decimals
and may be negative (a refund); a stay has arrival ≤ departure, its nights are computed,
its rate is ≥ 0. A voided visit stays in the history (who, when, why) and counts nowhere.
Every change is a django-simple-history record with the actor and a reason, and the
file's consumption profile is refreshed in the same transaction (R-2.3).
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.models import Outlet, User
from yingke.core.parsing import CellError, parse_decimal
from yingke.core.permissions import AMEND, RECORD
from yingke.core.services import Conflict, plain
from yingke.visits.models import Visit
from yingke.visits.profile import refresh_profiles
from yingke.visits.signals import visits_changed

# What a caller may set; property, customer, keys and void fields are the service's.
FIELDS = ["occurred_at", "outlet", "amount", "covers", "table_no", "occasion", "doc_no", "served_by",
          "arrival", "departure", "room_type", "rate", "channel"]
STAY_FIELDS = ["arrival", "departure", "room_type", "rate", "channel"]
TEXT_FIELDS = ["table_no", "doc_no", "room_type", "channel"]
MAX_AMOUNT = Decimal("9999999999.99")  # the column: 12 digits, 2 decimals
MAX_RATE = Decimal("99999999.99")
EARLIEST = dt.date(2000, 1, 1)

REASON_RECORDED = "recorded"
REASON_CORRECTED = "corrected"
REASON_VOIDED = "voided"


def _stamp(visit, actor, reason):
    visit._history_user = permissions.history_user(actor)
    visit._change_reason = reason


def money_text(value) -> str:
    """What was typed or sent, as text for the one amount parser: a number (JSON, Decimal,
    int) in plain notation, a string as it is."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "nan"
    return str(value)


def parse_money(value, field, errors, *, lo, hi, label_negative=None):
    """An amount typed by hand or sent to the API, read by the project's one amount parser
    (core.parsing.parse_decimal, R-3.2): '￥1,234.50', '1234.5元', full-width digits and
    '-88' (a refund) are read; '1,5', '12.3.4', '1e5' and a third decimal are refused, never
    guessed. Then the bounds [lo, hi] of the field."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    digits = len(str(hi.quantize(Decimal(1), rounding="ROUND_DOWN")))
    try:
        number = parse_decimal(money_text(value), places=2, max_digits=digits + 2)
    except CellError as e:
        errors.setdefault(field, []).append(str(e))
        return None
    if number < lo:
        errors.setdefault(field, []).append(label_negative or _("Enter a value of at least %(limit)s.") % {"limit": lo})
        return None
    if number > hi:
        errors.setdefault(field, []).append(_("Enter a value of at most %(limit)s.") % {"limit": hi})
        return None
    return number


def visit_time_in_range(when: dt.datetime) -> bool:
    """A visit happened between 2000-01-01 and tomorrow, local time (the one place this is
    decided, for the form, the API and the service). The year is looked at first, as
    written: converting 0001-01-01T00:00+14:00 or 9999-12-31T23:00-12:00 to local time
    would overflow."""
    today = timezone.localdate()
    if not EARLIEST.year - 1 <= when.year <= today.year + 1:
        return False
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    local = timezone.localtime(when).date()
    return EARLIEST <= local <= today + dt.timedelta(days=1)


def _check(visit: Visit, errors: dict) -> None:
    """Validate and derive the stored form of `visit` (fields already set); errors per field."""
    customer = visit.customer
    visit.property_id = customer.property_id  # always the file's property
    for name in TEXT_FIELDS:
        value = getattr(visit, name)
        text = " ".join(str(value or "").split())
        if not plain(text):
            errors.setdefault(name, []).append(_("Remove the control characters or invalid symbols."))
        setattr(visit, name, text)
    if visit.outlet_id is not None and visit.outlet.property_id != customer.property_id:
        errors.setdefault("outlet", []).append(_("The outlet belongs to another property."))
    if visit.served_by_id is not None and (
            not visit.served_by.is_active or customer.property_id not in visit.served_by.property_ids()):
        errors.setdefault("served_by", []).append(_("Choose a member of staff of this property."))
    amount = parse_money(visit.amount, "amount", errors, lo=-MAX_AMOUNT, hi=MAX_AMOUNT)
    if amount is None and "amount" not in errors:
        errors.setdefault("amount", []).append(_("Enter the amount (a negative amount is a refund)."))
    visit.amount = amount
    if visit.rate not in (None, ""):
        visit.rate = parse_money(visit.rate, "rate", errors, lo=Decimal(0), hi=MAX_RATE,
                              label_negative=_("A room rate cannot be negative."))
    else:
        visit.rate = None
    # A stay: arrival and departure together, in order; nights computed.
    is_stay = any(getattr(visit, f) not in (None, "") for f in STAY_FIELDS)
    if is_stay:
        if visit.arrival is None:
            errors.setdefault("arrival", []).append(_("A stay needs its arrival date."))
        if visit.departure is None:
            errors.setdefault("departure", []).append(_("A stay needs its departure date."))
        if visit.arrival and visit.departure:
            if visit.departure < visit.arrival:
                errors.setdefault("departure", []).append(_("The departure cannot be before the arrival."))
            elif (visit.departure - visit.arrival).days > 366:
                errors.setdefault("departure", []).append(_("A stay of more than a year is not possible."))
            else:
                visit.nights = (visit.departure - visit.arrival).days
            if visit.occurred_at is None:  # a stay is dated by its check-out, at noon local time
                visit.occurred_at = timezone.make_aware(dt.datetime.combine(visit.departure, dt.time(12)))
            if not visit.occasion:
                visit.occasion = Visit.Occasion.STAY
    else:
        visit.nights = None
    if visit.occurred_at is None:
        errors.setdefault("occurred_at", []).append(_("Enter the date and time of the visit."))
    else:
        if not visit_time_in_range(visit.occurred_at):
            errors.setdefault("occurred_at", []).append(_("Enter a date between 2000 and today."))
        elif timezone.is_naive(visit.occurred_at):
            visit.occurred_at = timezone.make_aware(visit.occurred_at)
    for name in ("arrival", "departure"):
        day = getattr(visit, name)
        if day is not None and not EARLIEST <= day <= timezone.localdate() + dt.timedelta(days=366):
            errors.setdefault(name, []).append(_("Enter a date between 2000 and next year."))
    if visit.covers is None or isinstance(visit.covers, bool) or not isinstance(visit.covers, int) \
            or not 1 <= visit.covers <= 9999:
        errors.setdefault("covers", []).append(_("Enter a number of guests from 1 to 9999."))
    exclude = ["property", "customer", "outlet", "served_by", "amount", "rate", "occurred_at", "covers",
               "arrival", "departure", "doc_key", *errors]
    try:
        visit.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as e:
        for field, messages in e.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def _doc_taken(visit: Visit) -> None:
    """A document number is unique per property (R-3.2): say which visit already has it."""
    if not visit.doc_no:
        return
    other = (Visit.objects.filter(property_id=visit.property_id, doc_key=visit.doc_no)
             .exclude(pk=visit.pk).only("occurred_at").first())
    if other is not None:
        raise Conflict({"doc_no": [
            _("Document number %(doc)s is already recorded in this property, for a visit on %(date)s.") % {
                "doc": visit.doc_no, "date": timezone.localtime(other.occurred_at).strftime("%Y-%m-%d %H:%M")}]})


def _save(visit: Visit, actor, reason: str) -> Visit:
    errors: dict[str, list[str]] = {}
    _check(visit, errors)
    if errors:
        raise ValidationError(errors)
    _doc_taken(visit)
    if not visit.doc_no and visit.doc_key and not visit.doc_key.startswith("#"):
        visit.doc_key = ""  # the number was removed: a fresh token keeps the row unique
    _stamp(visit, actor, reason)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        _doc_taken(visit)  # a concurrent entry took the number
        raise
    refresh_profiles([visit.customer_id])
    return visit


def _apply(visit: Visit, data: dict) -> None:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    for name, value in data.items():
        if name in ("outlet", "served_by"):
            model = Outlet if name == "outlet" else User
            if value not in (None, "") and not isinstance(value, model):
                raise ValidationError({name: [_("Choose a valid option.")]})
            setattr(visit, name, value or None)
        elif name in ("table_no", "doc_no", "room_type", "channel", "occasion"):
            setattr(visit, name, value or "")
        else:
            setattr(visit, name, value)


@transaction.atomic
def record_visit(actor, customer, **data) -> Visit:
    """Enter a visit or a stay on `customer`'s file (RECORD)."""
    permissions.require(actor, RECORD, customer)
    visit = Visit(customer=customer, property_id=customer.property_id, covers=1,
                  created_by=actor if permissions.is_staff(actor) else None)
    _apply(visit, data)
    _save(visit, actor, REASON_RECORDED)
    visits_changed.send(sender=Visit, property_id=visit.property_id, times=[visit.occurred_at])
    return visit


@transaction.atomic
def correct_visit(actor, visit: Visit, **changes) -> Visit:
    """Change what was recorded (AMEND: editors of the file, or whoever recorded it)."""
    permissions.require(actor, AMEND, visit)
    visit = Visit.objects.select_for_update(of=("self",)).select_related("customer", "outlet").get(pk=visit.pk)
    if visit.is_void:
        raise Conflict({"__all__": [_("A voided visit cannot be corrected; record a new one.")]})
    before = visit.occurred_at
    _apply(visit, changes)
    _save(visit, actor, REASON_CORRECTED)
    visits_changed.send(sender=Visit, property_id=visit.property_id, times=[before, visit.occurred_at])
    return visit


@transaction.atomic
def void_visit(actor, visit: Visit, reason: str) -> Visit:
    """Void a visit: it stays in the history, struck through, and counts nowhere (AMEND)."""
    permissions.require(actor, AMEND, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    text = " ".join(str(reason or "").split())
    if not text:
        raise ValidationError({"reason": [_("Say why the visit is voided.")]})
    if not plain(text):
        raise ValidationError({"reason": [_("Remove the control characters or invalid symbols.")]})
    if len(text) > 200:
        raise ValidationError({"reason": [_("Enter at most %(max)s characters.") % {"max": 200}]})
    if visit.is_void:
        raise Conflict({"__all__": [_("This visit is already voided.")]})
    visit.voided_at = timezone.now()
    visit.voided_by = permissions.history_user(actor)
    visit.void_reason = text
    _stamp(visit, actor, REASON_VOIDED)
    visit.save()
    refresh_profiles([visit.customer_id])
    visits_changed.send(sender=Visit, property_id=visit.property_id, times=[visit.occurred_at])
    return visit
