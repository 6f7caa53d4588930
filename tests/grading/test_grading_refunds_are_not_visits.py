"""A refund (a negative amount) is not a visit (R-4 with the project rule of visits/profile.py):
f counts rows with amount ≥ 0, m sums every amount of the window (refunds negative), a
customer with only refunds in the window is D, and the run's totals follow the snapshot."""

import datetime as dt
from decimal import Decimal

import pytest

from yingke.core.permissions import SYSTEM
from yingke.grading.models import GradeEntry
from yingke.grading.services import run_grading

from .grading_factories import add_visits, local, make_customers, make_property

D = dt.date(2026, 3, 31)
TZ = "Asia/Shanghai"


@pytest.mark.django_db
def test_a_refund_in_the_window_of_a_dinner_before_it_leaves_the_customer_d():
    prop = make_property(window=60)
    (k,) = make_customers(prop, 1)
    add_visits([(prop, k, local(TZ, D - dt.timedelta(days=90)), "200.00", False),  # the dinner, out of the window
                (prop, k, local(TZ, D - dt.timedelta(days=5)), "-200.00", False)])  # its refund, in the window
    run = run_grading(SYSTEM, prop, as_of=D)
    e = GradeEntry.objects.get(run=run, customer=k)
    assert (e.grade, e.visits, e.amount, e.standard, e.rank_visits, e.last_visit_at) == (
        "D", 0, Decimal("0.00"), None, None, None)
    assert (run.effective, run.d_count, run.visits, run.amount) == (0, 1, 0, Decimal("0.00"))
    k.refresh_from_db()
    assert (k.grade, k.grade_computed) == ("D", "D")


@pytest.mark.django_db
def test_a_dinner_fully_refunded_in_the_window_is_one_visit_of_zero():
    prop = make_property(window=60)
    k, other = make_customers(prop, 2)
    dinner = local(TZ, D - dt.timedelta(days=10), 19)
    add_visits([(prop, k, dinner, "300.00", False),
                (prop, k, local(TZ, D - dt.timedelta(days=2), 10), "-300.00", False),  # later than the dinner
                (prop, other, local(TZ, D - dt.timedelta(days=1)), "50.00", False)])
    run = run_grading(SYSTEM, prop, as_of=D)
    e = GradeEntry.objects.get(run=run, customer=k)
    assert (e.visits, e.amount, e.standard) == (1, Decimal("0.00"), Decimal("0.00"))
    assert e.grade != "D" and e.last_visit_at == dinner  # the refund is not the latest visit
    assert (run.effective, run.visits, run.amount) == (2, 2, Decimal("50.00"))


@pytest.mark.django_db
def test_the_latest_visit_of_the_tie_break_is_not_a_refund():
    """Two customers equal in f and m: the one whose latest *visit* is later ranks first, even
    when the other has a later refund."""
    prop = make_property(window=60)
    early, late = make_customers(prop, 2)
    add_visits([
        (prop, early, local(TZ, D - dt.timedelta(days=20)), "110.00", False),
        (prop, early, local(TZ, D - dt.timedelta(days=1)), "-10.00", False),  # a late refund
        (prop, late, local(TZ, D - dt.timedelta(days=10)), "100.00", False),
    ])
    run = run_grading(SYSTEM, prop, as_of=D)
    ranks = {e.customer_id: e.rank_visits for e in GradeEntry.objects.filter(run=run)}
    assert ranks == {late.pk: 1, early.pk: 2}
