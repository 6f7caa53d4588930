"""R-2.5: special dates recur on the solar or lunar calendar; leap months and day 30.

Rule under test (customers/lunar.py): a leap-month date falls in the leap month in
years that have it and on the ordinary month otherwise; ordinary-month dates never
fall in the leap month; day 30 in a 29-day month falls on day 29.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from lunar_python import Lunar

from yingke.core.permissions import SYSTEM
from yingke.customers.lunar import (
    leap_month_of,
    lunar_to_solar,
    next_occurrence,
    solar_to_lunar,
    specs_falling_on,
)
from yingke.customers.models import SpecialDate
from yingke.customers.services import save_special_date


def spec(calendar, month, day, leap=False):
    return SimpleNamespace(calendar=calendar, month=month, day=day, leap_month=leap)


def solar(y, m, d):
    s = Lunar.fromYmd(y, m, d).getSolar()
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


def test_leap_years_as_the_architecture_says():
    assert leap_month_of(2025) == 6
    assert leap_month_of(2026) == 0
    assert leap_month_of(2028) == 5


def test_ordinary_lunar_birthday_each_year():
    # 农历八月十五 (mid-autumn) 2026 is 25 Sep 2026.
    assert next_occurrence(spec("lunar", 8, 15), dt.date(2026, 1, 1)) == dt.date(2026, 9, 25)
    assert next_occurrence(spec("lunar", 8, 15), dt.date(2026, 9, 26)) == solar(2027, 8, 15)


def test_ordinary_month_date_never_falls_in_leap_month():
    # 2025 has a leap 6th month; 六月初十 falls in the ordinary 6th month only.
    first = lunar_to_solar(2025, 6, 10, leap=False)
    assert first == solar(2025, 6, 10)
    after = first + dt.timedelta(days=1)
    assert next_occurrence(spec("lunar", 6, 10), after) == solar(2026, 6, 10)


def test_leap_month_birthday_in_leap_year_and_in_other_years():
    # Born 闰六月初十 2025: in 2025 it is the leap month, in 2026 (no leap) the ordinary 6th month,
    # in 2028 (leap 5th month, not 6th) the ordinary 6th month too.
    assert lunar_to_solar(2025, 6, 10, leap=True) == solar(2025, -6, 10)
    assert lunar_to_solar(2026, 6, 10, leap=True) == solar(2026, 6, 10)
    assert lunar_to_solar(2028, 6, 10, leap=True) == solar(2028, 6, 10)
    # A 闰五月 date in 2028 falls in the leap fifth month.
    assert lunar_to_solar(2028, 5, 3, leap=True) == solar(2028, -5, 3)
    assert lunar_to_solar(2028, 5, 3, leap=False) == solar(2028, 5, 3)


def test_day_30_in_a_29_day_month_falls_on_the_29th():
    # 2026: the 2nd lunar month has 29 days, the 3rd has 30.
    assert lunar_to_solar(2026, 2, 30, leap=False) == solar(2026, 2, 29)
    assert lunar_to_solar(2026, 3, 30, leap=False) == solar(2026, 3, 30)
    # 2025's leap 6th month has 29 days.
    assert lunar_to_solar(2025, 6, 30, leap=True) == solar(2025, -6, 29)


def test_solar_feb_29_in_common_years():
    assert next_occurrence(spec("solar", 2, 29), dt.date(2026, 1, 1)) == dt.date(2026, 2, 28)
    assert next_occurrence(spec("solar", 2, 29), dt.date(2027, 3, 1)) == dt.date(2028, 2, 29)


def test_next_occurrence_is_today_when_it_falls_today():
    assert next_occurrence(spec("solar", 11, 26), dt.date(2026, 11, 26)) == dt.date(2026, 11, 26)


@pytest.mark.parametrize("year", [2025, 2026, 2028])
def test_set_based_query_agrees_with_next_occurrence(world, year):
    """Every day of the year: the SQL selection equals the dates whose next occurrence is that day."""
    c = world.c_am1
    specs = [
        save_special_date(SYSTEM, SpecialDate(customer=c, calendar=cal, month=m, day=d, leap_month=leap))
        for cal, m, d, leap in [
            ("lunar", 1, 1, False), ("lunar", 6, 10, False), ("lunar", 6, 10, True), ("lunar", 5, 3, True),
            ("lunar", 2, 30, False), ("lunar", 6, 30, True), ("lunar", 12, 30, False), ("solar", 2, 29, False),
            ("solar", 12, 31, False), ("solar", 3, 1, False),
        ]
    ]
    day = dt.date(year, 1, 1)
    while day.year == year:
        selected = set(SpecialDate.objects.filter(specs_falling_on(day)).values_list("id", flat=True))
        expected = {s.id for s in specs if next_occurrence(s, day) == day}
        assert selected == expected, (day, solar_to_lunar(day))
        day += dt.timedelta(days=1)
