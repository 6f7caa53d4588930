"""Recurring special dates on the solar and the lunar calendar (R-2.5).

Rules (documented in docs/architecture.md and tested on 2025, 2026, 2028):

* Solar 29 February falls on 28 February in common years.
* A lunar date recurs on the same lunar month and day each lunar year.
* A date in a leap month (闰月) falls in that leap month in years that have it, and on
  the ordinary month of the same number in years that don't.
* A date in an ordinary month never falls in the leap month of the same number.
* Day 30 in a month that has only 29 days falls on day 29 (the month's last day).
"""

import calendar
import datetime as dt
from functools import lru_cache

from django.db.models import Q
from django.utils.translation import gettext as _
from lunar_python import Lunar, LunarMonth, LunarYear, Solar

LUNAR_MONTHS = "正二三四五六七八九十冬腊"
LUNAR_DAYS = (
    "初一 初二 初三 初四 初五 初六 初七 初八 初九 初十 十一 十二 十三 十四 十五 "
    "十六 十七 十八 十九 二十 廿一 廿二 廿三 廿四 廿五 廿六 廿七 廿八 廿九 三十"
).split()


@lru_cache(maxsize=512)
def leap_month_of(lunar_year: int) -> int:
    return LunarYear.fromYear(lunar_year).getLeapMonth()


@lru_cache(maxsize=4096)
def month_length(lunar_year: int, month: int) -> int:
    """Days in a lunar month; `month` negative for the leap month."""
    return LunarMonth.fromYm(lunar_year, month).getDayCount()


@lru_cache(maxsize=65536)
def lunar_to_solar(lunar_year: int, month: int, day: int, leap: bool) -> dt.date:
    """The solar date of a recurring lunar date in `lunar_year`, by the rules above."""
    m = -month if leap and leap_month_of(lunar_year) == month else month
    day = min(day, month_length(lunar_year, m))
    s = Lunar.fromYmd(lunar_year, m, day).getSolar()
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


@lru_cache(maxsize=65536)
def solar_to_lunar(date: dt.date) -> tuple[int, int, int]:
    """(lunar year, month — negative in a leap month, day)."""
    lunar = Solar.fromYmd(date.year, date.month, date.day).getLunar()
    return lunar.getYear(), lunar.getMonth(), lunar.getDay()


def solar_in_year(year: int, month: int, day: int) -> dt.date:
    if month == 2 and day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return dt.date(year, month, day)


def next_occurrence(spec, today: dt.date) -> dt.date:
    """The first date on or after `today` on which the special date `spec` falls."""
    if spec.calendar == "lunar":
        ly = solar_to_lunar(today)[0]
        for year in (ly - 1, ly, ly + 1):
            date = lunar_to_solar(year, spec.month, spec.day, spec.leap_month)
            if date >= today:
                return date
        return lunar_to_solar(ly + 2, spec.month, spec.day, spec.leap_month)
    date = solar_in_year(today.year, spec.month, spec.day)
    return date if date >= today else solar_in_year(today.year + 1, spec.month, spec.day)


def specs_falling_on(date: dt.date) -> Q:
    """A Q over SpecialDate selecting every recurring date that falls on `date`."""
    q = Q(calendar="solar", month=date.month, day=date.day)
    if date.month == 2 and date.day == 28 and not calendar.isleap(date.year):
        q |= Q(calendar="solar", month=2, day=29)
    ly, lm, ld = solar_to_lunar(date)
    month = abs(lm)
    days = [ld]
    if ld == month_length(ly, lm) and ld == 29:
        days.append(30)
    if lm < 0:  # a leap month: only dates recorded in a leap month fall here
        leaps = [True]
    elif leap_month_of(ly) == month:  # the ordinary month of a year whose leap month follows it
        leaps = [False]
    else:  # leap-month dates fall on the ordinary month in years without that leap month
        leaps = [False, True]
    q |= Q(calendar="lunar", month=month, day__in=days, leap_month__in=leaps)
    return q



def describe(spec) -> str:
    """'农历闰六月初十' or '3月8日' / 'March 8' in the active language."""
    if spec.calendar == "lunar":
        leap = "闰" if spec.leap_month else ""
        return f"农历{leap}{LUNAR_MONTHS[spec.month - 1]}月{LUNAR_DAYS[spec.day - 1]}"
    return _("%(month)d/%(day)d") % {"month": spec.month, "day": spec.day}


def validate_spec(calendar_kind: str, month: int, day: int, leap: bool) -> list[tuple[str, str]]:
    """Errors (field, message) for an impossible recurring date."""
    errors = []
    if not 1 <= (month or 0) <= 12:
        errors.append(("month", _("Month must be between 1 and 12.")))
        return errors
    limit = 30 if calendar_kind == "lunar" else calendar.monthrange(2000, month)[1]
    if not 1 <= (day or 0) <= limit:
        errors.append(("day", _("Day must be between 1 and %(limit)d.") % {"limit": limit}))
    if leap and calendar_kind != "lunar":
        errors.append(("leap_month", _("Only lunar dates can be in a leap month.")))
    return errors
