"""Behaviour pattern (R-7.5, seed 000 客户行为规律表): the rules of control.pattern on worked
examples — median interval, distinct days, refunds and voids, local dates, weekday and meal
period ties, fewer than two days."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import make_customer
from yingke.control.pattern import is_overdue, overdue_days, refresh_patterns
from yingke.core.models import Outlet, Property
from yingke.customers.models import Customer
from yingke.reports.models import MealPeriod
from yingke.visits.models import Visit

SH = dt.timezone(dt.timedelta(hours=8))


def visit(customer, when, amount="100", outlet=None, voided=False):
    """A visit written directly (no service, no signal): the rules are tested on the data alone."""
    return Visit.objects.create(property_id=customer.property_id, customer=customer, occurred_at=when,
                                amount=Decimal(amount), outlet=outlet,
                                voided_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if voided else None)


def at(day: str, hour=12, minute=0, tz=SH):
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=tz)


def pattern(customer):
    c = Customer.objects.get(pk=customer.pk)
    return c.usual_interval, c.usual_weekday, c.usual_meal_period, c.expected_next_visit


@pytest.fixture
def guest(world):
    return make_customer(world.h1, "P001", "规律客")


def test_median_not_mean_with_an_outlier_gap(world, guest):
    # gaps 7, 7, 7, 60: mean 20.25, median 7
    days = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-03-27"]
    for d in days:
        visit(guest, at(d))
    assert refresh_patterns(world.h1) == 1
    interval, _weekday, _meal, nxt = pattern(guest)
    assert interval == 7
    assert nxt == dt.date(2026, 4, 3)


def test_even_number_of_gaps_is_the_mean_of_the_two_middle_rounded_half_up(world, guest):
    # gaps 3, 7, 10, 30 → middle 7 and 10 → 8.5 → 9
    for d in ["2026-01-01", "2026-01-04", "2026-01-11", "2026-01-21", "2026-02-20"]:
        visit(guest, at(d))
    refresh_patterns(world.h1)
    assert pattern(guest)[0] == 9
    # two gaps, 7 and 8 → 7.5 → 8
    other = make_customer(world.h1, "P002", "另一位")
    for d in ["2026-01-01", "2026-01-08", "2026-01-16"]:
        visit(other, at(d))
    refresh_patterns(world.h1)
    assert pattern(other)[0] == 8
    assert pattern(other)[3] == dt.date(2026, 1, 24)


def test_several_visits_on_one_day_count_once(world, guest):
    for d in ["2026-02-02", "2026-02-09", "2026-02-16"]:
        visit(guest, at(d, 12))
    visit(guest, at("2026-02-09", 18))
    visit(guest, at("2026-02-09", 19))
    refresh_patterns(world.h1)
    assert pattern(guest)[0] == 7  # not 0: gaps 7, 7 on distinct days


def test_refunds_and_voided_visits_are_ignored(world, guest):
    visit(guest, at("2026-03-02"))
    visit(guest, at("2026-03-04"), amount="-100")  # a refund is not a visit
    visit(guest, at("2026-03-05"), voided=True)
    visit(guest, at("2026-03-12"))
    refresh_patterns(world.h1)
    assert pattern(guest)[0] == 10
    assert pattern(guest)[3] == dt.date(2026, 3, 22)


def test_fewer_than_two_visiting_days_leave_everything_empty(world, guest):
    visit(guest, at("2026-03-02", 12))
    visit(guest, at("2026-03-02", 19))
    refresh_patterns(world.h1)
    assert pattern(guest) == (None, None, "", None)


def test_a_pattern_is_cleared_when_its_visits_are_voided(world, guest):
    v1 = visit(guest, at("2026-03-02"))
    v2 = visit(guest, at("2026-03-09"))
    refresh_patterns(world.h1)
    assert pattern(guest)[0] == 7
    Visit.objects.filter(pk=v2.pk).update(voided_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    refresh_patterns(world.h1)
    assert pattern(guest) == (None, None, "", None)  # one day left
    Visit.objects.filter(pk=v1.pk).update(amount=Decimal("-5"))
    visit(guest, at("2026-03-20"), voided=True)
    Visit.objects.filter(pk=v2.pk).update(voided_at=None, amount=Decimal("-1"))
    Customer.objects.filter(pk=guest.pk).update(usual_interval=3, usual_weekday=1, usual_meal_period="lunch",
                                                expected_next_visit=dt.date(2026, 1, 1))
    assert refresh_patterns(world.h1) == 1  # no counting visit at all: cleared
    assert pattern(guest) == (None, None, "", None)
    assert refresh_patterns(world.h1) == 0  # idempotent


def test_local_dates_across_midnight_in_shanghai(world, guest):
    # 16:30 UTC is 00:30 the next day in Shanghai: the visits are on Mon 2 Mar and Mon 9 Mar
    # local (in UTC they would be Sun 1 Mar and Mon 9 Mar: 8 days)
    visit(guest, dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC))
    visit(guest, dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.UTC))
    refresh_patterns(world.h1)
    assert pattern(guest)[:2] == (7, 0)
    assert pattern(guest)[3] == dt.date(2026, 3, 16)


def test_local_dates_in_new_york_across_daylight_saving(world):
    prop = Property.objects.create(code="NY", name="纽约店", time_zone="America/New_York")
    guest = make_customer(prop, "N001", "纽约客")
    # 2026-03-08 is the switch to EDT. 04:30 UTC on 7 Mar = 23:30 EST 6 Mar (Fri);
    # 03:30 UTC on 14 Mar = 23:30 EDT 13 Mar (Fri); 02:00 UTC on 1 Mar = 21:00 EST 28 Feb (Sat)
    visit(guest, dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC))
    visit(guest, dt.datetime(2026, 3, 7, 4, 30, tzinfo=dt.UTC))
    visit(guest, dt.datetime(2026, 3, 14, 3, 30, tzinfo=dt.UTC))
    refresh_patterns(prop)
    interval, weekday, meal, nxt = pattern(guest)
    # local days 28 Feb, 6 Mar, 13 Mar: gaps 6 and 7 → 6.5 → 7; Fridays twice
    assert (interval, weekday, nxt) == (7, 4, dt.date(2026, 3, 20))
    assert meal == "dinner"  # 21:00 local on 28 Feb; 23:30 is "other", which does not vote


def test_weekday_tie_goes_to_the_most_recent(world, guest):
    # Monday 2 Mar, Tuesday 10 Mar, Monday 16 Mar, Tuesday 24 Mar: two each, Tuesday latest
    for d in ["2026-03-02", "2026-03-10", "2026-03-16", "2026-03-24"]:
        visit(guest, at(d))
    refresh_patterns(world.h1)
    assert pattern(guest)[1] == 1
    visit(guest, at("2026-03-30"))  # a third Monday
    refresh_patterns(world.h1)
    assert pattern(guest)[1] == 0


def test_meal_period_is_the_most_frequent_with_the_property_periods(world, guest):
    rooms = Outlet.objects.create(property=world.h1, code="RM", name="客房", kind=Outlet.Kind.ROOMS)
    visit(guest, at("2026-03-02", 12))  # lunch
    visit(guest, at("2026-03-03", 18))  # dinner
    visit(guest, at("2026-03-04", 19))  # dinner
    visit(guest, at("2026-03-05", 12), outlet=rooms)  # rooms: the day, not a meal
    visit(guest, at("2026-03-05", 12, 30), outlet=rooms)
    visit(guest, at("2026-03-06", 12, 30), outlet=rooms)
    refresh_patterns(world.h1)
    assert pattern(guest)[2] == "dinner"
    # the property's own periods replace the defaults (reports.aggregates.meal_periods)
    MealPeriod.objects.create(property=world.h1, code="tea", name="下午茶", starts=dt.time(11), ends=dt.time(13))
    MealPeriod.objects.create(property=world.h1, code="late", name="夜宵", starts=dt.time(17), ends=dt.time(18, 30))
    refresh_patterns(world.h1)
    assert pattern(guest)[2] == "late"  # tea once (12:00), late once (18:00), 19:00 other; late is the later
    visit(guest, at("2026-03-07", 12, 15))
    refresh_patterns(world.h1)
    assert pattern(guest)[2] == "tea"


def test_meal_period_tie_goes_to_the_most_recent_visit(world, guest):
    visit(guest, at("2026-03-02", 19))
    visit(guest, at("2026-03-03", 12))
    refresh_patterns(world.h1)
    assert pattern(guest)[2] == "lunch"
    visit(guest, at("2026-03-04", 8))
    visit(guest, at("2026-03-05", 8))
    refresh_patterns(world.h1)
    assert pattern(guest)[2] == "breakfast"


def test_only_the_listed_customers_are_recomputed(world, guest):
    other = make_customer(world.h1, "P002", "另一位")
    for c in (guest, other):
        visit(c, at("2026-03-02"))
        visit(c, at("2026-03-05"))
    assert refresh_patterns(world.h1, [guest.pk, world.c_h2.pk]) == 1
    assert pattern(guest)[0] == 3
    assert pattern(other)[0] is None


def test_overdue_is_computed_against_the_property_local_today(world, guest):
    guest.expected_next_visit = world.h1.local_today() - dt.timedelta(days=3)
    assert is_overdue(guest) and overdue_days(guest) == 3
    guest.expected_next_visit = world.h1.local_today()
    assert not is_overdue(guest) and overdue_days(guest) == 0
    guest.expected_next_visit = None
    assert not is_overdue(guest)
