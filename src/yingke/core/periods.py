"""Report periods of whole local days (complaint and tracking reports): `from`/`to` as dates
(YYYY-MM-DD) or months (YYYY-MM), years 2000–2100, at most five years; the default is the last 12
months up to the property's today. One parser, so every report answers bad input alike."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_DAYS = 5 * 366 + 1  # the longest period: five years


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive

    @property
    def key(self) -> tuple[str, str]:
        return self.first.isoformat(), self.last.isoformat()


def add_months(first: dt.date, n: int) -> dt.date:
    m = first.year * 12 + first.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def default_period(prop) -> Period:
    today = prop.local_today()
    return Period(add_months(today.replace(day=1), -11), today)


def parse_day(text, end: bool) -> dt.date | None:
    """YYYY-MM-DD, or YYYY-MM (its first day, or its last day when `end`); None when not one."""
    text = str(text or "").strip()
    try:
        if not text.isascii():  # strptime reads full-width and other Unicode digits
            raise ValueError
        if len(text) == 10:
            value = dt.datetime.strptime(text, "%Y-%m-%d").date()
        elif len(text) == 7:
            value = dt.datetime.strptime(text, "%Y-%m").date()
            if end:
                value = month_end(value)
        else:
            raise ValueError
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def parse_period(prop, first, last) -> tuple[Period, dict]:
    """The period of `from`/`to`, or the default; errors per field (with the default period)."""
    errors: dict[str, list[str]] = {}
    if not first and not last:
        return default_period(prop), errors
    a, b = parse_day(first, False), parse_day(last, True)
    if first and a is None:
        errors["from"] = [_("Enter a date as YYYY-MM-DD between 2000 and 2100.")]
    if last and b is None:
        errors["to"] = [_("Enter a date as YYYY-MM-DD between 2000 and 2100.")]
    if errors:
        return default_period(prop), errors
    a = a or add_months(b.replace(day=1), -11)
    b = b or prop.local_today()
    if a > b:
        return default_period(prop), {"to": [_("The last day must not be before the first.")]}
    if (b - a).days >= MAX_DAYS:
        return default_period(prop), {"to": [_("Choose a period of at most five years.")]}
    return Period(a, b), errors


def quick_periods(prop) -> list[tuple[str, Period]]:
    """The period chooser's shortcuts: month, quarter, year (this and last), last 12 months."""
    today = prop.local_today()
    this = today.replace(day=1)
    q = this.replace(month=(this.month - 1) // 3 * 3 + 1)
    year = this.replace(month=1)
    return [
        (_("This month"), Period(this, month_end(this))),
        (_("Last month"), Period(add_months(this, -1), month_end(add_months(this, -1)))),
        (_("This quarter"), Period(q, month_end(add_months(q, 2)))),
        (_("Last quarter"), Period(add_months(q, -3), month_end(add_months(q, -1)))),
        (_("This year"), Period(year, month_end(add_months(year, 11)))),
        (_("Last year"), Period(add_months(year, -12), month_end(add_months(year, -1)))),
        (_("Last 12 months"), default_period(prop)),
    ]
