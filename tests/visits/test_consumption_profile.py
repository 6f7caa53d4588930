"""R-2.3: the consumption profile is derived from visits and stays, set-based.

The profile equals a plain Python computation over random visits (voids and refunds
included), on SQLite and PostgreSQL; refreshing 1,000 customers costs the same two queries
as refreshing one.
"""

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_customer
from yingke.core.models import Outlet
from yingke.customers.models import Customer
from yingke.visits.models import Visit
from yingke.visits.profile import refresh_profiles

CENT = Decimal("0.01")


def expected_profile(visits):
    """The rules of visits/profile.py, written out plainly."""
    live = [v for v in visits if v.voided_at is None]
    spend = [v for v in live if v.amount >= 0]
    refunds = [v for v in live if v.amount < 0]
    stays = [v for v in spend if v.arrival is not None]
    total = sum((v.amount for v in live), Decimal(0))

    def top(values):
        counts = Counter(x for x in values if x)
        return [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]

    consumption = {
        "room_types": top(v.room_type for v in stays),
        "outlets": top(v.outlet.name for v in spend if v.outlet),
        "channels": top(v.channel for v in stays),
    }
    return {
        "visit_count": len(spend),
        "total_spend": total.quantize(CENT),
        "average_spend": (total / len(spend)).quantize(CENT) if spend else Decimal("0.00"),
        "first_visit_at": min((v.occurred_at for v in spend), default=None),
        "last_visit_at": max((v.occurred_at for v in spend), default=None),
        "stay_count": len(stays),
        "nights": sum(v.nights for v in stays),
        "refund_count": len(refunds),
        "refund_total": -sum((v.amount for v in refunds), Decimal(0)).quantize(CENT),
        "consumption": {k: v for k, v in consumption.items() if v},
    }


def stored_profile(customer):
    c = Customer.objects.get(pk=customer.pk)
    return {name: getattr(c, name) for name in (
        "visit_count", "total_spend", "average_spend", "first_visit_at", "last_visit_at", "stay_count", "nights",
        "refund_count", "refund_total", "consumption")}


def random_visits(rng, prop, customers, outlets, n):
    now = timezone.now().replace(microsecond=0)
    visits = []
    for i in range(n):
        c = rng.choice(customers)
        stay = rng.random() < 0.3
        arrival = (now - dt.timedelta(days=rng.randint(2, 700))).date()
        nights = rng.randint(0, 5)
        amount = Decimal(rng.randint(-50000, 500000)) / 100 if rng.random() < 0.9 else Decimal(-rng.randint(1, 9999))
        v = Visit(property=prop, customer=c, outlet=rng.choice(outlets + [None]), amount=amount,
                  occurred_at=now - dt.timedelta(minutes=rng.randint(0, 10**6)), doc_no=f"D{i}", doc_key=f"D{i}",
                  covers=rng.randint(1, 12))
        if stay:
            v.arrival, v.departure, v.nights = arrival, arrival + dt.timedelta(days=nights), nights
            # names that an array literal must quote (PostgreSQL writes profiles through one)
            v.room_type = rng.choice(["豪华大床房", "行政套房", "标准双床房", "", "Deluxe King", 'Suite "A" \\ 1'])
            v.channel = rng.choice(["携程", "直订", "", "美团", "Booking", "NULL", "{a,b}"])
        if rng.random() < 0.15:
            v.voided_at, v.void_reason = now, "录错"
        visits.append(v)
    Visit.objects.bulk_create(visits)
    return visits


def test_profile_equals_a_plain_computation_over_random_visits(world):
    rng = random.Random(7)
    extra = [make_customer(world.h1, f"P{i:03d}", f"客人{i}") for i in range(12)]
    customers = [world.c_am1, world.c_am2, world.c_pool, *extra]
    outlets = [world.h1.outlets.get(), Outlet.objects.create(property=world.h1, code="BQ", name="宴会厅"),
               Outlet.objects.create(property=world.h1, code="BAR", name="大堂吧")]
    visits = random_visits(rng, world.h1, customers, outlets, 600)
    assert refresh_profiles([c.pk for c in customers]) == len(customers)
    for c in customers:
        mine = [v for v in visits if v.customer_id == c.pk]
        assert stored_profile(c) == expected_profile(mine), c.name
    # A customer without visits has the empty profile; a property-wide refresh agrees.
    assert stored_profile(world.c_am3) == expected_profile([])
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(visit_count=999, consumption={"x": 1})
    assert refresh_profiles(property=world.h1) == Customer.objects.filter(property=world.h1).count()
    for c in customers:
        assert stored_profile(c) == expected_profile([v for v in visits if v.customer_id == c.pk])


def test_refunds_reduce_spend_and_voids_count_nowhere(world):
    c, now = world.c_am1, timezone.now()
    Visit.objects.bulk_create([
        Visit(property=world.h1, customer=c, amount=Decimal("1000.50"), occurred_at=now, doc_key="a"),
        Visit(property=world.h1, customer=c, amount=Decimal("-200.25"), occurred_at=now, doc_key="b"),
        Visit(property=world.h1, customer=c, amount=Decimal("5000"), occurred_at=now, doc_key="c",
              voided_at=now, void_reason="重复"),
    ])
    refresh_profiles([c.pk])
    c.refresh_from_db()
    assert (c.visit_count, c.total_spend, c.average_spend) == (1, Decimal("800.25"), Decimal("800.25"))
    assert (c.refund_count, c.refund_total) == (1, Decimal("200.25"))


def test_refreshing_a_thousand_customers_costs_two_queries_as_one_does(world):
    prop = world.h1
    made = Customer.objects.bulk_create([Customer(property=prop, customer_code=f"B{i}", name=f"批量{i}")
                                         for i in range(1000)])
    ids = [c.pk for c in made] if made[0].pk else list(
        Customer.objects.filter(customer_code__startswith="B").order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    outlet = prop.outlets.get()
    Visit.objects.bulk_create([Visit(property=prop, outlet=outlet, customer_id=pk, occurred_at=now, amount=100,
                                     doc_key=f"K{pk}-{j}") for pk in ids for j in range(3)], batch_size=1000)
    with CaptureQueriesContext(connection) as one:
        refresh_profiles(ids[:1])
    with CaptureQueriesContext(connection) as many:
        assert refresh_profiles(ids) == 1000
    assert len(many) == len(one) == 2  # one read of the visits, one UPDATE
    c = Customer.objects.get(pk=ids[-1])
    assert (c.visit_count, c.total_spend, c.consumption) == (3, Decimal("300.00"), {"outlets": [["中餐厅", 3]]})
