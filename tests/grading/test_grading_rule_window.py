"""R-4.1–R-4.5 by hand: window edges in the property's time zone, voided visits, refunds,
no visits, exact rounding of k and of the standard."""

import datetime as dt
from decimal import Decimal

import pytest

from yingke.core.permissions import SYSTEM
from yingke.grading.compute import ceil_share, window_for
from yingke.grading.models import GradeEntry
from yingke.grading.services import run_grading

from .grading_factories import add_visits, local, make_customers, make_property, stored

D = dt.date(2026, 3, 31)


def entry(run, customer):
    return GradeEntry.objects.get(run=run, customer=customer)


@pytest.mark.django_db
@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Asia/Shanghai"])
def test_window_is_the_w_local_days_ending_with_the_as_of_date(tz):
    prop = make_property(time_zone=tz, window=10)
    before, first, last, after = make_customers(prop, 4)
    first_day = D - dt.timedelta(days=9)
    add_visits([
        (prop, before, local(tz, D - dt.timedelta(days=10), 23, 59, 59), "100", False),  # d = D − W: out
        (prop, first, local(tz, first_day, 0, 0, 0), "100", False),  # first day, 00:00: in
        (prop, last, local(tz, D, 23, 59, 59), "100", False),  # d = D, 23:59:59: in
        (prop, after, local(tz, D + dt.timedelta(days=1), 0, 0, 0), "100", False),  # the day after: out
    ])
    run = run_grading(SYSTEM, prop, as_of=D)
    grades = {c.customer_code: g.grade for c, g in ((c, entry(run, c)) for c in (before, first, last, after))}
    assert grades[before.customer_code] == "D" and grades[after.customer_code] == "D"
    assert grades[first.customer_code] != "D" and grades[last.customer_code] != "D"
    assert run.effective == 2 and run.d_count == 2 and run.customers == 4


def test_window_instants_follow_the_time_zone():
    w = window_for(D, 60, "America/Los_Angeles")  # PDT, UTC−7, at both ends (DST began 8 March)
    assert w.first_day == dt.date(2026, 1, 31)
    assert w.start == dt.datetime(2026, 1, 31, 8, tzinfo=dt.UTC)  # PST at the start: UTC−8
    assert w.end == dt.datetime(2026, 4, 1, 7, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_voided_visits_do_not_count_and_refunds_lower_the_amount_but_are_not_visits():
    prop = make_property()
    a, b, c = make_customers(prop, 3)
    day = local("Asia/Shanghai", D)
    add_visits([
        (prop, a, day, "300.00", False), (prop, a, day, "-100.00", False),  # refund: not a visit, m − 100
        (prop, b, day, "999.00", True),  # voided only: not effective
        (prop, c, day, "-50.00", False),  # only a refund in the window: not effective
    ])
    run = run_grading(SYSTEM, prop, as_of=D)
    ea, eb, ec = entry(run, a), entry(run, b), entry(run, c)
    assert (ea.visits, ea.amount, ea.standard) == (1, Decimal("200.00"), Decimal("200.00"))
    assert (eb.grade, eb.visits, eb.amount, eb.standard, eb.rank_visits) == ("D", 0, Decimal("0"), None, None)
    assert (ec.grade, ec.visits, ec.amount, ec.standard, ec.rank_visits) == ("D", 0, Decimal("0"), None, None)
    assert run.visits == 1 and run.amount == Decimal("200.00") and run.effective == 1


@pytest.mark.django_db
def test_standard_is_rounded_half_up_to_cents():
    prop = make_property()
    third, half_cent, negative, neg_down = make_customers(prop, 4)
    day = local("Asia/Shanghai", D)
    add_visits([(prop, third, day, a, False) for a in ("40.00", "30.00", "30.00")]  # 100.00 / 3 → 33.33
               + [(prop, half_cent, day, a, False) for a in ("0.02", "0.03")]  # 0.05 / 2 = 0.025 → 0.03
               + [(prop, negative, day, a, False) for a in ("0.00", "0.00", "-0.05")]  # −0.05 / 2 → −0.03
               + [(prop, neg_down, day, a, False) for a in ("0.00", "0.00", "0.00", "-20.01")])  # −6.67
    run = run_grading(SYSTEM, prop, as_of=D)
    assert entry(run, third).standard == Decimal("33.33")
    assert entry(run, half_cent).standard == Decimal("0.03")
    assert entry(run, negative).standard == Decimal("-0.03")
    assert entry(run, neg_down).standard == Decimal("-6.67")


@pytest.mark.django_db
def test_no_visits_make_everyone_d():
    prop = make_property()
    customers = make_customers(prop, 3)
    run = run_grading(SYSTEM, prop, as_of=D)
    assert (run.effective, run.customers, run.d_count, run.a_count) == (0, 3, 3, 0)
    for c in customers:
        c.refresh_from_db()
        assert (c.grade, c.grade_computed) == ("D", "D")


@pytest.mark.django_db
def test_a_property_without_customers_gives_an_empty_snapshot():
    run = run_grading(SYSTEM, make_property(), as_of=D)
    assert (run.customers, run.effective) == (0, 0) and run.finished_at is not None


def test_k_is_the_exact_ceiling():
    assert [ceil_share(2000, n) for n in (0, 1, 4, 5, 6, 7, 10, 11)] == [0, 1, 1, 1, 2, 2, 2, 3]
    assert [ceil_share(5000, n) for n in (0, 1, 3, 7, 8)] == [0, 1, 2, 4, 4]
    assert ceil_share(3333, 3) == 1 and ceil_share(3334, 3) == 2 and ceil_share(10000, 7) == 7
    assert ceil_share(0, 7) == 0 and ceil_share(1, 1) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("n", "a", "b"), [(7, 2, 3), (5, 1, 2), (11, 3, 4), (1, 1, 0)])
def test_k_rounding_with_20_and_50_percent_on_odd_n(n, a, b):
    prop = make_property()
    customers = make_customers(prop, n)
    day = local("Asia/Shanghai", D)
    add_visits([(prop, c, day, str(10 * (i + 1)), False) for i, c in enumerate(customers)])
    run = run_grading(SYSTEM, prop, as_of=D)
    assert (run.a_count, run.b_count, run.c_count) == (a, b, n - a - b)
    assert {e.grade for e in stored(run).values()} <= {"A", "B", "C"}
