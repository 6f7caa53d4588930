"""Behaviour pattern (R-7.5): the set-based SQL of control.pattern gives, on random data, what
a plain Python reading of the rules gives — on SQLite and on PostgreSQL (run the file with
DATABASE_URL set). Zones: Asia/Shanghai and America/New_York (daylight saving)."""

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest

from yingke.control.pattern import refresh_patterns
from yingke.core.models import Outlet, Property
from yingke.customers.models import Customer
from yingke.reports.aggregates import meal_periods
from yingke.visits.models import Visit


def expected_pattern(prop, visits, periods):
    """The rules in plain Python: visits = [(instant, amount, voided, outlet_kind)]."""
    counted = [(t, kind) for t, amount, voided, kind in visits if not voided and amount >= 0]
    days = sorted({prop.local_day(t) for t, _kind in counted})
    if len(days) < 2:
        return (None, None, "", None)
    gaps = sorted((b - a).days for a, b in zip(days, days[1:], strict=False))
    n = len(gaps)
    low, high = gaps[(n - 1) // 2], gaps[n // 2]
    interval = (low + high + 1) // 2
    weekdays = Counter(d.weekday() for d in days)
    top = max(weekdays.values())
    weekday = max(d for d in days if weekdays[d.weekday()] == top).weekday()
    votes, recent = Counter(), {}
    for t, kind in counted:
        if kind == Outlet.Kind.ROOMS:
            continue
        local = t.astimezone(prop.zone).time()
        code = next((c for c, _n, s, e in periods if s <= local < e), None)
        if code is None:
            continue
        votes[code] += 1
        recent[code] = max(recent.get(code, t), t)
    meal = ""
    if votes:
        best = max(votes.values())
        meal = max((c for c in votes if votes[c] == best), key=lambda c: recent[c])
    return (interval, weekday, meal, days[-1] + dt.timedelta(days=interval))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_equals_python_on_random_visits(db, zone, seed):
    rng = random.Random(f"{zone}-{seed}")
    prop = Property.objects.create(code=f"R{seed}{zone[:2].upper()}", name="随机", time_zone=zone)
    dining = Outlet.objects.create(property=prop, code="CN", name="中餐厅")
    rooms = Outlet.objects.create(property=prop, code="RM", name="客房", kind=Outlet.Kind.ROOMS)
    customers = Customer.objects.bulk_create([
        Customer(property=prop, customer_code=f"X{i:03d}", name=f"客{i}") for i in range(60)])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows, truth = [], {}
    for c in customers:
        visits = []
        style = rng.choice(["none", "one", "sparse", "regular", "busy"])
        count = {"none": 0, "one": 1, "sparse": rng.randint(2, 4), "regular": rng.randint(5, 15),
                 "busy": rng.randint(15, 40)}[style]
        base = start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 400))
        step = rng.choice([1, 3, 7, 14, 30])
        for k in range(count):
            # regular visits drift by a few hours (some cross local midnight), outliers now and then
            t = base + dt.timedelta(days=step * k + (rng.choice([0, 0, 0, 45]) if style != "busy" else 0),
                                    minutes=rng.randint(-300, 300))
            t = t.replace(second=rng.choice([0, 0, 59]))
            amount = rng.choice([Decimal("88"), Decimal("0"), Decimal("-20")] if rng.random() < 0.15
                                else [Decimal("188")])
            voided = rng.random() < 0.08
            outlet = rooms if rng.random() < 0.2 else rng.choice([dining, None])
            visits.append((t, amount, voided, outlet.kind if outlet else None))
            rows.append(Visit(property=prop, customer=c, occurred_at=t, amount=amount, outlet=outlet, doc_key=f"#{len(rows)}",
                              voided_at=t if voided else None))
        truth[c.pk] = visits
    Visit.objects.bulk_create(rows)
    refresh_patterns(prop)
    periods = meal_periods(prop)
    got = {c.pk: (c.usual_interval, c.usual_weekday, c.usual_meal_period, c.expected_next_visit)
           for c in Customer.objects.filter(property=prop)}
    want = {pk: expected_pattern(prop, visits, periods) for pk, visits in truth.items()}
    assert got == want
    assert sum(1 for v in want.values() if v[0] is not None) > 20  # the data exercises the rules
    assert refresh_patterns(prop) == 0  # idempotent: nothing changes the second time
