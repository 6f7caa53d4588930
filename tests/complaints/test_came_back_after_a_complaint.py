"""R-8.5 / seed 003: did the guest come back within 30 and 90 days after the complaint, split by
resolved quickly (archived within 24 h) or not, against comparable guests without a complaint
(same property, a visit in a month with a complaint, never complained; first visit of the
month, same return rule). Only windows that have fully passed count; voided visits, a visit
on the complaint's own day and the stay complained about are not returns."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.complaints.test_complaint_reports import make
from tests.conftest import make_customer
from yingke.complaints import reports
from yingke.core import periods
from yingke.core.permissions import SYSTEM
from yingke.visits.services import record_visit, void_visit


def visit(customer, when, **extra):
    return record_visit(SYSTEM, customer, occurred_at=when, amount=Decimal("300"), covers=2, **extra)


def rows(d):
    return {r["group"]: (r["total"], r["n30"], r["back30"], r["n90"], r["back90"]) for r in d["came_back"]["rows"]}


@pytest.fixture
def scene(world):
    prop, zone = world.h1, world.h1.zone
    now = timezone.now()
    # Month M: a local month that began at least 120 days ago (every 90-day window in it has passed).
    first = (now - dt.timedelta(days=120)).astimezone(zone).date().replace(day=1)

    def at(day, hh=12, mm=0):
        return dt.datetime.combine(first + dt.timedelta(days=day - 1), dt.time(hh, mm), tzinfo=zone)

    w = world
    # Quickly resolved (on the spot, 1 h): c_am1 back on day 12 (10 days later) -> 30 and 90.
    make(w, at(2), customer=w.c_am1, hours=1, spot=True)
    visit(w.c_am1, at(12))
    # Quickly resolved (20 h): c_pool's only visit afterwards is voided -> not back.
    make(w, at(2, 9), customer=w.c_pool, hours=20)
    void_visit(w.gm, visit(w.c_pool, at(7)), "录错了")
    # Not quickly (archived after 3 days): c_am2 back 40 days later -> 90 only; a same-day
    # dinner after the complaint at lunch does not count.
    make(w, at(3), customer=w.c_am2, hours=72)
    visit(w.c_am2, at(3, 19))
    visit(w.c_am2, at(3) + dt.timedelta(days=40))
    # Still open: c_am3 complained on the second night of a stay that ended 2 days later (the
    # stay complained about), then came back for a meal on day 100 (over 90 days) -> no return.
    make(w, at(5), customer=w.c_am3)
    visit(w.c_am3, at(7, 11), arrival=(first + dt.timedelta(days=3)), departure=(first + dt.timedelta(days=6)))
    visit(w.c_am3, at(5) + dt.timedelta(days=96))
    # Anonymous complaints are not followed.
    make(w, at(6), hours=2, spot=True)
    # Ten days ago: in neither window yet, though the guest came back already.
    recent = now - dt.timedelta(days=10)
    g = make_customer(prop, "C020", "王五", mobile="13812340020")
    make(w, recent, customer=g, hours=1, spot=True)
    visit(g, recent + dt.timedelta(days=2))

    # Comparable guests (never complained), month M.
    b1 = make_customer(prop, "C011", "钱一", mobile="13812340011")
    visit(b1, at(1))
    visit(b1, at(15))  # a second visit of the month: b1 counts once, from day 1, back within 30
    b2 = make_customer(prop, "C012", "孙二", mobile="13812340012")
    visit(b2, at(10))  # never again
    b3 = make_customer(prop, "C013", "周三", mobile="13812340013")
    visit(b3, at(20))
    visit(b3, at(20) + dt.timedelta(days=60))  # back within 90
    v = visit(b3, at(20) + dt.timedelta(days=5))
    void_visit(w.gm, v, "重复")  # a voided return does not count
    # Not comparable: a visit in a month without a complaint with a guest (M + 2 months)...
    b4 = make_customer(prop, "C014", "吴四", mobile="13812340014")
    visit(b4, at(1) + dt.timedelta(days=65))
    # ... a guest who complained (c_am1 visits in M: day 12 is a return, not a reference) ...
    # ... and another property's guest.
    visit(w.c_h2, at(4))
    # The recent complaint's month is a comparison month too: a guest seen 3 days ago counts
    # but is in no window yet.
    b5 = make_customer(prop, "C015", "郑五", mobile="13812340015")
    visit(b5, now - dt.timedelta(days=3))
    same_month = recent.astimezone(zone).month == (now - dt.timedelta(days=3)).astimezone(zone).month
    period = periods.Period(first, prop.local_today())
    return type("Scene", (), {"w": w, "period": period, "first": first, "now": now, "same_month": same_month})()


def test_complaints_split_by_resolved_quickly(scene):
    d = reports.report(scene.w.gm, scene.w.h1, scene.period, now=scene.now)
    got = rows(d)
    assert got["quick"] == (3, 2, 1, 2, 1)  # c_am1 back, c_pool voided; the recent one not yet counted
    assert got["slow"] == (2, 2, 0, 2, 1)  # c_am2 back after 40 days; c_am3 only the stay and day 100
    assert got["all"] == (5, 4, 1, 4, 2)
    shares = {r["group"]: (r["share30"], r["share90"]) for r in d["came_back"]["rows"]}
    assert shares["quick"] == (0.5, 0.5) and shares["slow"] == (0.0, 0.5) and shares["all"] == (0.25, 0.5)


def test_comparable_guests_without_a_complaint(scene):
    d = reports.report(scene.w.gm, scene.w.h1, scene.period, now=scene.now)
    total = 4 if scene.same_month else 3  # b1, b2, b3 in month M; b5 when in the recent complaint's month
    assert rows(d)["base"] == (total, 3, 1, 3, 2)  # b1 back in 14 days; b3 in 60 (its voided day-25 visit no)
    assert d["came_back"]["months"][0] == f"{scene.first:%Y-%m}"


def test_windows_open_only_when_fully_passed(scene):
    """Looking from 25 days after the recent complaint, it is in the 30-day figure? Not yet;
    from 31 days after, it is (and came back), but not in the 90-day figure."""
    later = scene.now + dt.timedelta(days=21)
    d = reports.report(scene.w.gm, scene.w.h1, scene.period, now=later)
    assert rows(d)["quick"][1:3] == (3, 2) and rows(d)["quick"][3:] == (2, 1)
    d = reports.report(scene.w.gm, scene.w.h1, scene.period, now=scene.now + dt.timedelta(days=19))
    assert rows(d)["quick"][1:3] == (2, 1)


def test_a_period_without_complaints_has_no_comparison(world):
    p = periods.Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    d = reports.report(world.gm, world.h1, p)
    assert rows(d)["base"] == (0, 0, 0, 0, 0) and d["came_back"]["months"] == []
    assert all(r["share30"] is None for r in d["came_back"]["rows"])
