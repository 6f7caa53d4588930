"""A refund (a negative amount) is not a visit (visits/profile.py): in the dashboard's
aggregates it lowers the revenue but serves no table, cover or room night, on the day, in the
customer's month and among the managed figures."""

import datetime as dt
from decimal import Decimal

from yingke.reports import aggregates, dashboard
from yingke.reports.models import CustomerMonthStat, DailyOutletStat, OwnerMonthStat

from .conftest import local, visit

DAY = dt.date(2026, 4, 1)


def day_row(world, outlet):
    return DailyOutletStat.objects.get(property=world.h1, outlet=outlet, day=DAY, period="lunch")


def test_a_refund_lowers_revenue_and_serves_no_table(world, outlets):
    cn = outlets.cn
    visit(world.c_am1, local(2026, 4, 1, 12), 800, covers=6, outlet=cn)
    visit(world.c_pool, local(2026, 4, 1, 12, 30), 200, covers=2, outlet=cn)
    aggregates.refresh_stale(world.h1)
    before = day_row(world, cn)
    assert (before.visits, before.covers, before.revenue) == (2, 8, Decimal("1000.00"))

    visit(world.c_am1, local(2026, 4, 1, 13), -300, covers=6, outlet=cn)  # part of the first bill refunded
    aggregates.refresh_stale(world.h1)
    row = day_row(world, cn)
    assert (row.visits, row.covers, row.revenue) == (2, 8, Decimal("700.00"))
    assert (row.managed_visits, row.managed_covers, row.managed_revenue) == (1, 6, Decimal("500.00"))
    month = CustomerMonthStat.objects.get(property=world.h1, customer=world.c_am1, month=DAY.replace(day=1))
    assert (month.visits, month.covers, month.revenue) == (1, 6, Decimal("500.00"))
    owner = OwnerMonthStat.objects.get(property=world.h1, owner=world.am1, month=DAY.replace(day=1))
    assert (owner.visits, owner.revenue) == (1, Decimal("500.00"))


def test_a_refund_of_a_stay_is_no_room_night(world, outlets):
    visit(world.c_am1, None, 1200, covers=2, outlet=outlets.rooms, arrival=dt.date(2026, 3, 29), departure=DAY)
    visit(world.c_am1, None, -400, covers=2, outlet=outlets.rooms, arrival=dt.date(2026, 3, 31), departure=DAY)
    aggregates.refresh_stale(world.h1)
    row = DailyOutletStat.objects.get(property=world.h1, outlet=outlets.rooms, day=DAY)
    assert (row.visits, row.room_nights, row.revenue) == (1, 3, Decimal("800.00"))


def test_the_occupancy_counts_tables_served_only(world, outlets):
    cn = outlets.cn
    visit(world.c_am1, local(2026, 4, 1, 12), 800, outlet=cn)
    visit(world.c_am1, local(2026, 4, 1, 12, 5), -800, outlet=cn)
    period = dashboard.Period(DAY, dashboard.month_end(DAY))
    data = dashboard.dashboard(world.gm, world.h1, period)
    lunch = next(r for r in data["occupancy"]["rows"] if r["outlet_code"] == "CN" and r["period"] == "lunch")
    assert lunch["served"] == 1
    tables = next(r for r in data["managed"]["rows"] if r["measure"] == "visits")
    assert (tables["total"], tables["managed"]) == (1, 1)
    revenue = next(r for r in data["managed"]["rows"] if r["measure"] == "revenue")
    assert revenue["total"] == Decimal("0.00")
