"""The database's grading equals a plain Python implementation of R-4 (grading_factories.
reference) on random data full of ties: equal counts, amounts and last-visit times,
refunds, voided visits, visits at 00:00:00 and 23:59:59 local on both window edges, other
properties' visits, several time zones, shares of 0, 100, 33.33 %."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yingke.core.permissions import SYSTEM
from yingke.grading.models import GradeEntry
from yingke.grading.services import run_grading

from .grading_factories import add_visits, local, make_customers, make_property, reference, stored

D = dt.date(2026, 3, 8)  # DST starts that night in America/New_York
ZONES = ["Asia/Shanghai", "America/New_York", "Pacific/Auckland", "UTC"]
AMOUNTS = ["100.00", "100.00", "50.50", "0.00", "0.05", "0.01", "33.33", "-20.00", "-100.00", "1234.56",
           "99999.99"]
TIMES = [(0, 0, 0), (23, 59, 59), (12, 0, 0), (12, 0, 0), (19, 30, 0)]
SHARES = ["0", "100", "33.33", "20", "50", "0.01", "99.99", "66.67"]

visit = st.tuples(
    st.integers(min_value=-1, max_value=8),  # day offset, see day_of
    st.sampled_from(TIMES),
    st.sampled_from(AMOUNTS),
    st.sampled_from([False, False, False, True]),  # voided
    st.integers(min_value=0, max_value=9),  # 0 → the visit is recorded in another property
    st.booleans(),  # near the window's first day instead of its last
)
case = st.fixed_dictionaries({
    "zone": st.sampled_from(ZONES),
    "window": st.sampled_from([1, 2, 3, 7]),
    "a": st.sampled_from(SHARES),
    "b": st.sampled_from(SHARES),
    "customers": st.lists(st.lists(visit, max_size=5), max_size=14),
})


def day_of(window, offset, near_start):
    """Near the start: offset 0 is D − W (out), 1 the window's first day (in), −1 the day
    before D − W. Otherwise: offset 0 is D + 1 (out), 1 is D (in), 2 the day before, …"""
    if near_start:
        return D - dt.timedelta(days=window) + dt.timedelta(days=offset)
    return D + dt.timedelta(days=1) - dt.timedelta(days=offset)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=case)
def test_database_grading_equals_the_rule_as_written(data):
    prop = make_property(time_zone=data["zone"], window=data["window"], a_share=data["a"], b_share=data["b"])
    other = make_property(time_zone=data["zone"])
    customers = make_customers(prop, len(data["customers"]))
    strangers = make_customers(other, 2, prefix="S")
    rows, plain = [], []
    for c, visits in zip(customers, data["customers"], strict=True):
        for back, (h, m, s), amount, voided, where, near_start in visits:
            at = local(data["zone"], day_of(data["window"], back, near_start), h, m, s)
            p = other if where == 0 else prop
            rows.append((p, c, at, amount, voided))
            plain.append((p.pk, c.pk, at, amount, voided))
    day = local(data["zone"], D, 12)
    rows += [(other, s, day, "500.00", False) for s in strangers]  # another property's customers
    plain += [(other.pk, s.pk, day, "500.00", False) for s in strangers]
    add_visits(rows)

    run = run_grading(SYSTEM, prop, as_of=D)

    expected = reference(customers, plain, D, data["window"], data["a"], data["b"], data["zone"])
    order = expected.pop("_order")
    assert stored(run) == expected
    assert list(GradeEntry.objects.filter(run=run).order_by("position").values_list("customer_id", flat=True)) \
        == order
    assert list(GradeEntry.objects.filter(run=run).order_by("position").values_list("position", flat=True)) \
        == list(range(1, len(customers) + 1))
