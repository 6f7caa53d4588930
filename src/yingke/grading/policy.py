"""The grading parameters of a property (R-4): window W (days), A share p (%), B share q (%)
of the rest, and whether the nightly job grades the property.

Changed by whoever may GRADE the property (its general manager; an administrator of it),
validated (W 1–3660 days; p and q 0–100 with at most two decimals; a boolean for nightly),
and recorded: every change is a row of GradingPolicy's history with who and when, so the
page shows old → new per change. Bad input raises ValidationError naming each field and
changes nothing; a save that changes nothing writes no history row.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.parsing import CellError, parse_decimal
from yingke.core.permissions import GRADE
from yingke.grading.models import GradingPolicy

W_MIN, W_MAX = 1, 3660
FIELDS = ["window_days", "a_share", "b_share", "nightly"]


def policy_of(property) -> GradingPolicy:
    """The property's parameters (created with the defaults if missing)."""
    policy, _created = GradingPolicy.objects.get_or_create(property_id=property.pk)
    return policy


def _window(value, errors):
    if isinstance(value, bool):
        value = None
    try:
        w = int(str(value).strip()) if isinstance(value, str) else value
        if not isinstance(w, int) or isinstance(w, bool):
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("window_days", []).append(_("Enter a whole number of days."))
        return None
    if not W_MIN <= w <= W_MAX:
        errors.setdefault("window_days", []).append(
            _("Enter a number of days from %(min)s to %(max)s.") % {"min": W_MIN, "max": W_MAX})
    return w


def parse_share(value) -> Decimal:
    """A percentage p or q (a Decimal, a number, or a text such as '20', '12.5', '20%') as a
    Decimal with two places, from 0 to 100 with at most two decimals; a binary float is read by
    its shortest repr (0.57, not 0.5700000000000001). Raises ValueError with the message shown
    to the user (the page, the API and this service say the same)."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("Enter a percentage from 0 to 100."))
    if not isinstance(value, Decimal | int | float | str):
        raise ValueError(_("Enter a percentage from 0 to 100."))
    try:
        if isinstance(value, float):
            value = repr(value)
        number = value if isinstance(value, Decimal) else parse_decimal(str(value).strip().rstrip("%").strip(),
                                                                        places=2, max_digits=5)
        if not number.is_finite():
            raise InvalidOperation
        if number != number.quantize(Decimal("0.01")):
            raise CellError("places")
    except (CellError, InvalidOperation, ValueError, ArithmeticError):
        raise ValueError(_("Enter a percentage from 0 to 100 with at most two decimals.")) from None
    if not Decimal(0) <= number <= Decimal(100):
        raise ValueError(_("Enter a percentage from 0 to 100."))
    return number.quantize(Decimal("0.01"))


def _share(value, field, errors):
    try:
        return parse_share(value)
    except ValueError as e:
        errors.setdefault(field, []).append(str(e))
        return None


def _bool(value, errors):
    if isinstance(value, bool):
        return value
    errors.setdefault("nightly", []).append(_("Enter true or false."))
    return None


def update_policy(actor, property, window_days, a_share, b_share, nightly) -> GradingPolicy:
    """Set the grading parameters of `property` (each change recorded with who and when)."""
    permissions.require(actor, GRADE, property)
    errors: dict = {}
    values = {"window_days": _window(window_days, errors), "a_share": _share(a_share, "a_share", errors),
              "b_share": _share(b_share, "b_share", errors), "nightly": _bool(nightly, errors)}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = policy_of(property)
        policy = GradingPolicy.objects.select_for_update().get(pk=policy.pk)
        if all(getattr(policy, k) == v for k, v in values.items()):
            return policy
        for key, value in values.items():
            setattr(policy, key, value)
        policy.updated_at = timezone.now()
        policy.updated_by = permissions.history_user(actor)
        policy._history_user = permissions.history_user(actor)
        policy.save()
    return policy


def shown(value) -> str:
    """A parameter as the page shows it: 20.00 → '20', True → 'Yes'."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def policy_changes(policy: GradingPolicy, limit: int = 30) -> list[dict]:
    """The changes of the parameters, newest first: when, who, and (field, old, new) for each
    field that changed. The first record (the defaults) is not a change."""
    records = list(policy.history.select_related("history_user").order_by("-history_date", "-history_id")
                   [: limit + 1])
    out = []
    for newer, older in zip(records, records[1:], strict=False):
        fields = [(f, getattr(older, f), getattr(newer, f)) for f in FIELDS if getattr(older, f) != getattr(newer, f)]
        if fields:
            out.append({"when": newer.history_date, "who": newer.history_user, "fields": fields,
                        "changes": [(capfirst(GradingPolicy._meta.get_field(f).verbose_name), shown(old), shown(new))
                                    for f, old, new in fields]})
    return out
