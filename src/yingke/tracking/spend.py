"""Marketing spend per lead source and month (R-11.5): the one place that writes SourceSpend.

Entered by whoever configures the property (`require(actor, CONFIGURE, prop)`: the general
manager). The amount is read like an import's amount cell (core.parsing.parse_decimal: "1234.5",
"￥1,234.50", "１２８．００"), must be ≥ 0 with at most two decimals; the month is YYYY-MM (or
any day of it). Setting a month again replaces its amount; every change is an AuditEvent.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yingke.core.models import AuditEvent
from yingke.core.periods import parse_day
from yingke.core.permissions import CONFIGURE, history_user, require
from yingke.core.services import clean_text
from yingke.tracking.models import Source, SourceSpend
from yingke.tracking.services import amount_of

MAX_DIGITS = 12  # SourceSpend.amount


def parse_month(value, errors: dict) -> dt.date | None:
    """The month of "YYYY-MM" or a date in it (2000–2100, core.periods), its first day."""
    day = value if isinstance(value, dt.date) and 2000 <= value.year <= 2100 else (
        None if isinstance(value, dt.date) else parse_day(value, False))
    if day is None:
        errors.setdefault("month", []).append(_("Enter a month as YYYY-MM between 2000 and 2100."))
        return None
    return day.replace(day=1)


def parse_amount(value, errors: dict) -> Decimal | None:
    return amount_of(value, "amount", errors, MAX_DIGITS)


def set_spend(actor, prop, source, month, amount, note="") -> SourceSpend:
    """Set the spend on `source` in `month` (replacing what was there)."""
    require(actor, CONFIGURE, prop)
    errors: dict = {}
    if source not in Source.values:
        errors.setdefault("source", []).append(_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in Source.labels)})
    month = parse_month(month, errors)
    amount = parse_amount(amount, errors)
    note = clean_text(note, "note", 200, required=False, errors=errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = SourceSpend.objects.select_for_update().filter(property=prop, source=source, month=month).first()
        before = None if row is None else {"amount": str(row.amount), "note": row.note}
        if row is None:
            row = SourceSpend(property=prop, source=source, month=month)
        row.amount, row.note, row.updated_by = amount, note, history_user(actor)
        row._history_user = history_user(actor)
        row.save()
        after = {"amount": str(amount), "note": note}
        if before != after:
            AuditEvent.record(actor, "source_spend", f"{prop.code} {source} {month:%Y-%m}", before=before,
                              after=after)
    return row


def spend_list(actor, prop, year: int | None = None):
    """The property's spend rows (for the configuring roles), newest month first."""
    require(actor, CONFIGURE, prop)
    qs = SourceSpend.objects.filter(property=prop).select_related("updated_by").order_by("-month", "source")
    if year is not None:
        qs = qs.filter(month__year=year)
    return qs
