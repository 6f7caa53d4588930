"""The daily and customer-month aggregates equal a direct computation from the visits:
local days of the property's time zone (edges at local midnight), meal periods [starts, ends),
voided visits nowhere, refunds negative, room nights of stays on the rooms outlet."""

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import Decimal

from yingke.core.models import Outlet
from yingke.core.permissions import SYSTEM
from yingke.reports import aggregates
from yingke.reports.models import CustomerMonthStat, DailyOutletStat, MealPeriod, OwnerMonthStat, StaleDay
from yingke.visits.models import Visit
from yingke.visits.services import void_visit

from .conftest import local, visit

PERIODS = [("breakfast", dt.time(6), dt.time(10)), ("lunch", dt.time(10, 30), dt.time(14, 30)),
           ("dinner", dt.time(16, 30), dt.time(21, 30))]


def direct(prop, periods=PERIODS):
    tz = zoneinfo.ZoneInfo(prop.time_zone)
    daily = defaultdict(lambda: [0, 0, Decimal(0), 0, 0, Decimal(0), 0])
    monthly = defaultdict(lambda: [0, 0, Decimal(0)])
    for v in Visit.objects.filter(property=prop, voided_at__isnull=True).select_related("outlet", "customer"):
        t = v.occurred_at.astimezone(tz)
        if v.outlet and v.outlet.kind == Outlet.Kind.ROOMS:
            period = "day"
        else:
            period = next((c for c, s, e in periods if s <= t.time() < e), "other")
        row = daily[(v.outlet_id, t.date(), period)]
        managed = v.customer.owner_id is not None
        served = v.amount >= 0  # a refund is not a visit: revenue only
        row[0] += served
        row[1] += v.covers * served
        row[2] += v.amount
        if managed:
            row[3] += served
            row[4] += v.covers * served
            row[5] += v.amount
        if v.outlet and v.outlet.kind == Outlet.Kind.ROOMS and served:
            row[6] += v.nights or 0
        m = monthly[(v.customer_id, t.date().replace(day=1))]
        m[0] += served
        m[1] += v.covers * served
        m[2] += v.amount
    return ({k: v for k, v in daily.items()}, {k: v for k, v in monthly.items()})


def stored(prop):
    daily = {(r.outlet_id, r.day, r.period): [r.visits, r.covers, r.revenue, r.managed_visits, r.managed_covers,
                                              r.managed_revenue, r.room_nights]
             for r in DailyOutletStat.objects.filter(property=prop)}
    monthly = {(r.customer_id, r.month): [r.visits, r.covers, r.revenue]
               for r in CustomerMonthStat.objects.filter(property=prop)}
    return daily, monthly


def assert_equal(prop, periods=PERIODS):
    aggregates.refresh_stale(prop)
    assert not StaleDay.objects.filter(property=prop).exists()
    d_daily, d_monthly = direct(prop, periods)
    s_daily, s_monthly = stored(prop)
    assert s_daily == d_daily
    assert s_monthly == d_monthly
    owners = defaultdict(lambda: [0, 0, Decimal(0)])
    for v in Visit.objects.filter(property=prop, voided_at__isnull=True).select_related("customer"):
        row = owners[(v.customer.owner_id, v.occurred_at.astimezone(zoneinfo.ZoneInfo(prop.time_zone)).date()
                      .replace(day=1))]
        row[0] += v.amount >= 0
        row[1] += v.covers * (v.amount >= 0)
        row[2] += v.amount
    assert {(r.owner_id, r.month): [r.visits, r.covers, r.revenue]
            for r in OwnerMonthStat.objects.filter(property=prop)} == dict(owners)


def test_local_day_edges_meal_periods_voids_refunds_and_stays(world, outlets):
    cn, rooms = outlets.cn, outlets.rooms
    visit(world.c_am1, local(2026, 3, 31, 23, 59), 100, outlet=cn)  # last minute of March, local
    visit(world.c_am1, local(2026, 4, 1, 0, 0), 200, outlet=cn)  # first minute of April (UTC: March 31)
    visit(world.c_pool, local(2026, 4, 1, 9, 59), 30, covers=1, outlet=cn)  # breakfast
    visit(world.c_pool, local(2026, 4, 1, 10, 0), 40, outlet=cn)  # breakfast ends at 10:00: other
    visit(world.c_am2, local(2026, 4, 1, 10, 30), 500, covers=6, outlet=cn)  # lunch starts
    visit(world.c_am2, local(2026, 4, 1, 21, 29), 800, covers=8, outlet=cn)  # dinner
    visit(world.c_am2, local(2026, 4, 1, 21, 30), -120, covers=1, outlet=cn)  # a refund, after dinner
    gone = visit(world.c_am3, local(2026, 4, 1, 12), 9999, outlet=cn)
    void_visit(SYSTEM, gone, "wrong table")
    visit(world.c_am3, local(2026, 4, 2, 19), 300)  # no outlet
    visit(world.c_am1, None, 1200, covers=2, outlet=rooms, arrival=dt.date(2026, 4, 1),
          departure=dt.date(2026, 4, 4))
    assert_equal(world.h1)
    day = DailyOutletStat.objects.get(property=world.h1, outlet=cn, day=dt.date(2026, 4, 1), period="dinner")
    assert (day.visits, day.revenue, day.managed_visits) == (1, Decimal("800.00"), 1)
    other = DailyOutletStat.objects.get(property=world.h1, outlet=cn, day=dt.date(2026, 4, 1), period="other")
    # 00:00 and 10:00 are tables served; the 21:30 refund lowers the revenue only
    assert (other.visits, other.revenue, other.managed_visits) == (2, Decimal("120.00"), 1)
    stay = DailyOutletStat.objects.get(property=world.h1, outlet=rooms)
    assert (stay.day, stay.period, stay.room_nights) == (dt.date(2026, 4, 4), "day", 3)
    assert not DailyOutletStat.objects.filter(revenue=Decimal("9999")).exists()


def test_configured_meal_periods_and_a_zone_with_daylight_saving(world, outlets):
    prop = world.h1
    prop.time_zone = "America/New_York"
    prop.save()
    MealPeriod.objects.create(property=prop, code="brunch", name="Brunch", starts=dt.time(9), ends=dt.time(15))
    ny = zoneinfo.ZoneInfo("America/New_York")
    # 2026-03-08: clocks go forward at 02:00; the local day has 23 hours.
    for hh, mm in ((0, 0), (1, 59), (3, 0), (9, 0), (14, 59), (15, 0), (23, 59)):
        visit(world.c_am1, dt.datetime(2026, 3, 8, hh, mm, tzinfo=ny), 10 + hh, outlet=outlets.cn)
    visit(world.c_pool, dt.datetime(2026, 3, 7, 23, 59, tzinfo=ny), 5, outlet=outlets.cn)
    visit(world.c_pool, dt.datetime(2026, 3, 9, 0, 0, tzinfo=ny), 6, outlet=outlets.cn)
    assert_equal(prop, periods=[("brunch", dt.time(9), dt.time(15))])
    days = dict(DailyOutletStat.objects.filter(property=prop).values_list("day").annotate(
        n=__import__("django.db.models", fromlist=["Sum"]).Sum("visits")))
    assert days == {dt.date(2026, 3, 7): 1, dt.date(2026, 3, 8): 7, dt.date(2026, 3, 9): 1}


def test_many_visits_over_months_equal_the_direct_sum(world, outlets):
    import random

    rnd = random.Random(13)
    customers = [world.c_am1, world.c_am2, world.c_am3, world.c_pool]
    for _i in range(120):
        when = local(2026, rnd.randint(1, 6), rnd.randint(1, 28), rnd.randint(0, 23), rnd.choice([0, 29, 30, 59]))
        v = visit(rnd.choice(customers), when, rnd.choice([-50, 0, 88.8, 123.45, 2000]), covers=rnd.randint(1, 12),
                  outlet=rnd.choice([outlets.cn, None]))
        if rnd.random() < 0.1:
            void_visit(SYSTEM, v, "test")
    assert_equal(world.h1)
    # A full rebuild gives the same rows.
    before = stored(world.h1)
    aggregates.rebuild(world.h1)
    assert stored(world.h1) == before
