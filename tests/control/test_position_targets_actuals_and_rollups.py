"""Actuals of position targets (R-6.3) from visits and grades, on the property's local days
(Asia/Shanghai, UTC+8): a visit at 00:30 local on the 1st belongs to that month although it
is still the last day of the month before in UTC; roll-ups to team and property; the daily
development target (R-7.2); the pages' query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_customer
from yingke.control import targets
from yingke.control.models import PositionTarget, StaffSetting
from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry, GradingRun
from yingke.tracking.models import FollowUp
from yingke.visits.models import Visit

UTC = dt.UTC
MARCH = targets.TargetPeriod("month", dt.date(2026, 3, 1))
WEEK = targets.TargetPeriod("week", dt.date(2026, 3, 2))  # Monday 2 – Sunday 8 March
MID_MARCH = dt.date(2026, 3, 15)


def visit(c, when, amount, **kw):
    return Visit.objects.create(property=c.property, customer=c, occurred_at=when, amount=Decimal(amount), **kw)


@pytest.fixture
def data(world):
    w = world
    # am1: two files; one visits at 00:30 local on 1 March (UTC: still 28 February) and on
    # Sunday 8 March 23:30 local; a refund; a voided visit; one visit at 00:30 local 1 April.
    w.c_am1b = make_customer(w.h1, "C101", "王五", owner=w.am1)
    visit(w.c_am1, dt.datetime(2026, 2, 28, 16, 30, tzinfo=UTC), "100.00")  # 1 Mar 00:30 local
    visit(w.c_am1, dt.datetime(2026, 3, 8, 15, 30, tzinfo=UTC), "200.00")  # Sun 8 Mar 23:30 local
    visit(w.c_am1b, dt.datetime(2026, 3, 8, 16, 30, tzinfo=UTC), "300.00")  # Mon 9 Mar 00:30 local
    visit(w.c_am1b, dt.datetime(2026, 3, 10, 4, 0, tzinfo=UTC), "-50.00")  # a refund: revenue, not a visit
    visit(w.c_am1b, dt.datetime(2026, 3, 11, 4, 0, tzinfo=UTC), "999.00", voided_at=timezone.now())
    visit(w.c_am1, dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "400.00")  # 1 Apr 00:30 local
    visit(w.c_am1, dt.datetime(2026, 2, 28, 15, 30, tzinfo=UTC), "800.00")  # 28 Feb 23:30 local
    visit(w.c_am2, dt.datetime(2026, 3, 5, 4, 0, tzinfo=UTC), "1000.00")
    visit(w.c_pool, dt.datetime(2026, 3, 5, 4, 0, tzinfo=UTC), "5000.00")  # nobody's
    # Grades now: am1 A and C, am2 B, am3 D.
    Customer.objects.filter(pk=w.c_am1.pk).update(grade="A")
    Customer.objects.filter(pk=w.c_am1b.pk).update(grade="C")
    Customer.objects.filter(pk=w.c_am2.pk).update(grade="B")
    Customer.objects.filter(pk=w.c_am3.pk).update(grade="D")
    # New files created by am2: one at 00:10 local 2 March, one at 23:50 local 1 March (week before).
    for code, when in (("N1", dt.datetime(2026, 3, 1, 16, 10, tzinfo=UTC)),
                       ("N2", dt.datetime(2026, 3, 1, 15, 50, tzinfo=UTC))):
        c = make_customer(w.h1, code, "新客" + code, owner=w.am2, actor=w.am2)
        Customer.objects.filter(pk=c.pk).update(created_at=when)
    # Follow-ups by am1 (tracking): 00:20 local 1 March counts in March, 23:40 local 28 February does not.
    for when in (dt.datetime(2026, 2, 28, 16, 20, tzinfo=UTC), dt.datetime(2026, 2, 28, 15, 40, tzinfo=UTC),
                 dt.datetime(2026, 3, 20, 2, 0, tzinfo=UTC)):
        FollowUp.objects.create(property=w.h1, customer=w.c_am1, channel="phone", outcome="reached", summary="回访",
                                occurred_at=when, author=w.am1)
    return w


def test_month_actuals_on_local_days(data):
    a = targets.actuals(data.h1, [data.am1.pk, data.am2.pk, data.am3.pk], MARCH, MID_MARCH)
    assert a[data.am1.pk] == {"effective": 2, "a_customers": 1, "visits": 3, "revenue": Decimal("550.00"),
                              "new_customers": 0, "follow_ups": 2}
    assert a[data.am2.pk] == {"effective": 1, "a_customers": 0, "visits": 1, "revenue": Decimal("1000.00"),
                              "new_customers": 2, "follow_ups": 0}
    assert a[data.am3.pk]["effective"] == 0 and a[data.am3.pk]["visits"] == 0


def test_week_actuals_end_at_sunday_midnight_local(data):
    a = targets.actuals(data.h1, [data.am1.pk, data.am2.pk], WEEK, MID_MARCH)
    assert (a[data.am1.pk]["visits"], a[data.am1.pk]["revenue"]) == (1, Decimal("200.00"))  # 9 Mar is next week
    assert a[data.am2.pk]["new_customers"] == 1  # 1 March 23:50 local is the week before
    nxt = targets.actuals(data.h1, [data.am1.pk], WEEK.next(), MID_MARCH)[data.am1.pk]
    assert (nxt["visits"], nxt["revenue"]) == (1, Decimal("250.00"))  # the refund lowers revenue only


def test_a_finished_period_reads_its_last_snapshot(data):
    feb = targets.TargetPeriod("month", dt.date(2026, 2, 1))
    assert targets.actuals(data.h1, [data.am1.pk], feb, MID_MARCH)[data.am1.pk]["effective"] is None  # no snapshot
    run = GradingRun.objects.create(property=data.h1, as_of=dt.date(2026, 2, 27), window_days=60, a_share=20,
                                    b_share=50, trigger="command", finished_at=timezone.now())
    GradingRun.objects.create(property=data.h1, as_of=dt.date(2026, 3, 1), window_days=60, a_share=20,
                              b_share=50, trigger="command", finished_at=timezone.now())  # after February
    GradeEntry.objects.create(run=run, customer=data.c_am1, grade="B")
    GradeEntry.objects.create(run=run, customer=data.c_am1b, grade="D")
    a = targets.actuals(data.h1, [data.am1.pk], feb, MID_MARCH)[data.am1.pk]
    assert (a["effective"], a["a_customers"], a["visits"], a["revenue"]) == (1, 0, 1, Decimal("800.00"))


def test_rollups_to_team_and_property(data):
    for member, visits, revenue in ((data.am1, 10, "1000"), (data.am2, 5, None), (data.am3, 4, "100")):
        targets.set_targets(data.gm, data.h1, member, "month", MARCH.start, {"visits": visits, "revenue": revenue})
    t = targets.target_table(data.gm, data.h1, MARCH, MID_MARCH)
    team = t["teams"][0]
    assert "sm" in team["label"] and team["target"]["visits"] == 15 and team["actual"]["visits"] == 4
    assert team["target"]["revenue"] == Decimal("1000.00") and team["actual"]["revenue"] == Decimal("1550.00")
    assert team["target"]["effective"] is None and team["achieved"]["visits"] == Decimal("26.7")
    assert t["total"]["target"]["visits"] == 19 and t["total"]["actual"]["visits"] == 4
    assert t["total"]["achieved"]["follow_ups"] is None and t["total"]["actual"]["follow_ups"] == 2  # no target
    line = next(x for x in t["lines"] if x["member"] == data.am1)
    assert line["achieved"]["visits"] == Decimal("30.0") and line["achieved"]["revenue"] == Decimal("55.0")
    # The sales manager reads their team whole, not the property; an account manager no roll-up.
    sm = targets.target_table(data.sm, data.h1, MARCH, MID_MARCH)
    assert len(sm["teams"]) == 1 and sm["total"] is None
    am = targets.target_table(data.am1, data.h1, MARCH, MID_MARCH)
    assert am["teams"] == [] and am["total"] is None and len(am["lines"]) == 1


def test_development_today_counts_todays_own_new_files(world):
    assert targets.development_today(world.am1, world.h1) == (0, 1)  # default: one a day, created lazily
    assert StaffSetting.objects.get(user=world.am1).daily_target == 1
    make_customer(world.h1, "D1", "今天", owner=world.am1, actor=world.am1)
    old = make_customer(world.h1, "D2", "昨天", owner=world.am1, actor=world.am1)
    Customer.objects.filter(pk=old.pk).update(created_at=world.h1.day_start(world.h1.local_today()) -
                                              dt.timedelta(minutes=1))
    make_customer(world.h1, "D3", "别人", owner=world.am2, actor=world.am2)
    StaffSetting.objects.filter(user=world.am1).update(daily_target=3)
    assert targets.development_today(world.am1, world.h1) == (1, 3)


def test_development_today_counts_new_leads_but_not_their_conversion(world):
    """R-7.2: a lead opened today is a new prospect; converting it opens a file, which is not a second one."""
    from yingke.tracking import services as tracking

    lead = tracking.create_lead(world.am1, world.h1, name="潜在客户", source="door_to_door")
    assert targets.development_today(world.am1, world.h1) == (1, 1)
    tracking.convert(world.am1, lead)
    assert targets.development_today(world.am1, world.h1) == (1, 1)
    make_customer(world.h1, "D9", "直接建档", owner=world.am1, actor=world.am1)
    assert targets.development_today(world.am1, world.h1) == (2, 1)


def test_targets_page_lists_members_with_few_queries(client, data, django_assert_max_num_queries):
    for i in range(8):
        u = type(data.am1).objects.create_user(username=f"extra{i}", password="x", role="account_manager",
                                               manager=data.sm)
        u.properties.add(data.h1)
        make_customer(data.h1, f"E{i}", f"客{i}", owner=u)
        PositionTarget.objects.create(property=data.h1, user=u, kind="month", start=MARCH.start, visits=3)
    client.force_login(data.gm)
    url = reverse("control:targets") + "?property=H1&kind=month&start=2026-03-20"
    with django_assert_max_num_queries(20):
        r = client.get(url)
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count('href="/control/targets/') >= 12 and "extra7" in body
    client.force_login(data.am1)
    body = client.get(url).content.decode()
    assert "am1" in body and "extra7" not in body and f"/control/targets/{data.am1.pk}/" not in body


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("am1", 200), ("desk", 403), ("sup", 403),
                                         ("admin", 403), ("gm2", 200)])
def test_who_opens_the_targets_page(client, world, role, status):
    client.force_login(getattr(world, role))
    assert client.get(reverse("control:targets")).status_code == status
    assert client.get(reverse("control:targets") + "?start=nonsense&kind=%00").status_code == status


def test_gm2_cannot_open_h1(client, world):
    client.force_login(world.gm2)
    assert client.get(reverse("control:targets") + "?property=H1").status_code == 404
