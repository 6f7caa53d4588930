"""R-8.5: the complaint report's figures on built data — counts by type, outlet, severity and
local month, hours to resolve (median and 90th percentile against a plain Python computation),
the share resolved on the spot, open and overdue now — and who may read them (page and API)."""

import datetime as dt
import random
import statistics
import zoneinfo

import pytest
from django.test import Client

from yingke.complaints import reports, services
from yingke.complaints.models import Complaint, Step
from yingke.core import periods
from yingke.core.models import ApiToken, Outlet
from yingke.core.permissions import NotVisible

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def local(y, m, d, hh=12, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def make(world, at, kind="food", severity="medium", customer=None, outlet=None, hours=None, spot=False):
    """A complaint recorded at `at`; archived `hours` later (on the spot or step by step)."""
    c = services.record(world.desk, world.h1, kind=kind, severity=severity, words="不满意", customer=customer,
                        outlet=outlet, now=at)
    if hours is None:
        return c
    done = at + dt.timedelta(hours=hours)
    if spot:
        return services.resolve_on_the_spot(world.desk, c, now=done, solution="当场处理", carried_out="已处理", check_back="满意",
                                            satisfaction="satisfied")
    data = {2: {"apology": "致歉"}, 3: {"findings": "属实"}, 4: {"solution": "重做"}, 5: {"carried_out": "已重做"},
            6: {"check_back": "满意", "satisfaction": "satisfied"}}
    for step in range(2, 7):
        c = services.advance(world.desk, c, step, now=at + (done - at) * (step - 1) / 5, **data[step])
    return c


PERIOD = periods.Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30))
NOW = dt.datetime(2025, 7, 15, 4, 0, tzinfo=UTC)


@pytest.fixture
def built(world):
    cn = Outlet.objects.get(property=world.h1, code="CN")
    bar = Outlet.objects.create(property=world.h1, code="BAR", name="大堂吧", capacity=10)
    w = world
    # Outside the period, by local date: 2024-12-31 23:59 and 2025-07-01 00:01 Shanghai.
    make(w, local(2024, 12, 31, 23, 59), kind="price")
    make(w, local(2025, 7, 1, 0, 1), kind="price")
    # In the period.
    make(w, local(2025, 1, 1, 0, 1), kind="food", severity="low", outlet=cn, customer=w.c_am1, hours=2, spot=True)
    make(w, local(2025, 3, 31, 23, 30), kind="food", severity="high", outlet=cn, hours=10)  # March (UTC: 15:30)
    make(w, local(2025, 4, 1, 0, 30), kind="attitude", severity="high", outlet=bar, hours=30)  # April (UTC: Mar 31)
    make(w, local(2025, 4, 2), kind="attitude", severity="critical", outlet=bar, customer=w.c_am2)  # open
    make(w, local(2025, 5, 5), kind="facilities", customer=w.c_am3, hours=1, spot=True)
    make(w, local(2025, 6, 30, 23, 59), kind="food", severity="medium", outlet=cn)  # open
    return w


def test_counts_by_type_outlet_severity_and_local_month(built):
    d = reports.report(built.gm, built.h1, PERIOD, now=NOW)
    t = d["totals"]
    assert (t["complaints"], t["archived"], t["open"], t["on_the_spot"]) == (6, 4, 2, 2)
    assert t["on_the_spot_share"] == 0.5
    kinds = {r["kind"]: (r["complaints"], r["archived"], r["on_the_spot"]) for r in d["by_kind"]}
    assert kinds == {"food": (3, 2, 1), "attitude": (2, 1, 0), "facilities": (1, 1, 1), "quality": (0, 0, 0),
                     "price": (0, 0, 0), "security": (0, 0, 0), "other": (0, 0, 0)}
    assert {r["severity"]: r["complaints"] for r in d["by_severity"]} == {"low": 1, "medium": 2, "high": 2,
                                                                          "critical": 1}
    assert [(r["outlet"], r["complaints"]) for r in d["by_outlet"][:2]] == [("中餐厅", 3), ("大堂吧", 2)]
    assert [(r["outlet_id"], r["complaints"]) for r in d["by_outlet"][2:]] == [(None, 1)]
    assert [(r["month"], r["complaints"], r["archived"]) for r in d["by_month"]] == [
        ("2025-01", 1, 1), ("2025-02", 0, 0), ("2025-03", 1, 1), ("2025-04", 2, 1), ("2025-05", 1, 1),
        ("2025-06", 1, 0)]


def test_hours_to_resolve_overall_and_per_type(built):
    d = reports.report(built.gm, built.h1, PERIOD, now=NOW)
    # Archived: food 2 h and 10 h, attitude 30 h, facilities 1 h.
    assert d["totals"]["median_hours"] == 6.0  # (2 + 10) / 2
    assert d["totals"]["p90_hours"] == 24.0  # rank 0.9 × 3 = 2.7 between 10 and 30
    food = next(r for r in d["by_kind"] if r["kind"] == "food")
    assert (food["median_hours"], food["p90_hours"]) == (6.0, 9.2)
    price = next(r for r in d["by_kind"] if r["kind"] == "price")
    assert (price["median_hours"], price["p90_hours"]) == (None, None)


def test_percentiles_match_a_plain_python_computation(world):
    rng = random.Random(16)
    start = local(2025, 2, 1, 9)
    durations = {"food": [], "quality": []}
    for i in range(23):
        kind = "food" if i % 3 else "quality"
        hours = rng.choice([0.5, 1, 3, 7.25, 12, 26, 50, 49.5, 120]) + i / 10
        make(world, start + dt.timedelta(hours=7 * i), kind=kind, hours=hours, spot=i % 2 == 0)
        durations[kind].append(hours)
    d = reports.report(world.gm, world.h1, PERIOD, now=NOW)

    def plain(values):  # the "inclusive" quantiles interpolate like percentile_cont
        values = sorted(values)
        return round(statistics.median(values), 1), round(statistics.quantiles(values, n=10, method="inclusive")[8], 1)

    every = durations["food"] + durations["quality"]
    assert (d["totals"]["median_hours"], d["totals"]["p90_hours"]) == plain(every)
    for kind, values in durations.items():
        row = next(r for r in d["by_kind"] if r["kind"] == kind)
        assert (row["median_hours"], row["p90_hours"]) == plain(values)
    assert reports.percentile([5.0], 0.9) == 5.0 and reports.percentile([], 0.5) is None


def test_open_and_overdue_now_follow_the_services_rule(world):
    now = dt.datetime(2025, 7, 14, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    made = []
    for i, sev in enumerate(["low", "medium", "high", "critical"] * 6):
        at = now - dt.timedelta(hours=0.2 + i * 3.7)
        c = make(world, at, severity=sev)
        if i % 4 == 1:
            c = services.advance(world.desk, c, 2, now=at + dt.timedelta(minutes=20), apology="致歉")
        made.append(c)
    make(world, now - dt.timedelta(days=3), hours=1, spot=True)  # archived: neither open nor overdue
    period = periods.Period(dt.date(2025, 1, 1), dt.date(2025, 7, 14))

    def expected(at):
        rows = Complaint.objects.filter(property=world.h1, step__lt=Step.ARCHIVED).select_related("property")
        return len(rows), sum(services.overdue(c, at) for c in rows)

    for at in (now, now + dt.timedelta(hours=5), now + dt.timedelta(days=2, minutes=7)):
        d = reports.report(world.gm, world.h1, period, now=at)
        assert (d["open_now"], d["overdue_now"]) == expected(at)
    assert 0 < expected(now)[1] < 24
    # On business hours (Mon–Fri 09:00–18:00) the same rule, counted in the database.
    services.save_policy(world.gm, world.h1, clock="business", business_start=dt.time(9), business_end=dt.time(18),
                         business_days="12345")
    for at in (now, now + dt.timedelta(hours=9, minutes=13), now + dt.timedelta(days=5, hours=1)):
        d = reports.report(world.gm, world.h1, period, now=at)
        assert (d["open_now"], d["overdue_now"]) == expected(at)


def test_the_period_is_read_as_local_dates_and_checked(world):
    today = world.h1.local_today()
    p, errors = periods.parse_period(world.h1, None, None)
    assert not errors and p.last == today and p.first.day == 1 and (today - p.first).days < 366
    p, errors = periods.parse_period(world.h1, "2025-02", "2025-02")
    assert not errors and (p.first, p.last) == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    for a, b, field in [("2025-13-01", None, "from"), ("nope", None, "from"), (None, "２０２５-01-01", "to"),
                        ("2025-05-01", "2025-04-01", "to"), ("2001-01-01", "2025-01-01", "to")]:
        _p, errors = periods.parse_period(world.h1, a, b)
        assert field in errors


# -- who reads them ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["gm", "desk", "sup"])
def test_property_wide_roles_read_the_report(built, role):
    d = reports.report(getattr(built, role), built.h1, PERIOD, now=NOW)
    assert d["totals"]["complaints"] == 6


@pytest.mark.parametrize("role", ["am1", "sm"])
def test_account_and_sales_managers_may_not(built, role):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        reports.report(getattr(built, role), built.h1, PERIOD)
    with pytest.raises(PermissionDenied):
        reports.property_for(getattr(built, role), "H1")


def test_another_propertys_manager_does_not_see_h1(built):
    with pytest.raises(NotVisible):
        reports.property_for(built.gm2, "H1")
    d = reports.report(built.gm2, built.h2, PERIOD, now=NOW)
    assert d["totals"]["complaints"] == 0


def api(user, url):
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}", HTTP_ACCEPT_LANGUAGE="en")


def test_api_returns_the_same_figures(built):
    r = api(built.gm, "/api/complaint-reports?property=H1&from=2025-01-01&to=2025-06-30")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["from"] == "2025-01-01" and body["totals"]["complaints"] == 6
    assert {x["kind"]: x["complaints"] for x in body["by_kind"]}["food"] == 3
    assert [x["complaints"] for x in body["by_month"]] == [1, 0, 1, 2, 1, 1]
    assert [x["group"] for x in body["came_back"]["rows"]] == ["quick", "slow", "all", "base"]
    r = api(built.desk, "/api/complaint-reports/month.csv?property=H1&from=2025-01-01&to=2025-06-30")
    assert r.status_code == 403  # the front desk reads but does not export (EXPORTERS)


@pytest.mark.parametrize("role,status", [("desk", 200), ("sup", 200), ("am1", 403), ("sm", 403), ("admin", 403)])
def test_api_permissions(built, role, status):
    assert api(getattr(built, role), "/api/complaint-reports?property=H1").status_code == status


def test_api_404_and_422(built):
    assert api(built.gm2, "/api/complaint-reports?property=H1").status_code == 404
    assert api(built.gm, "/api/complaint-reports?property=ZZ").status_code == 404
    assert api(built.gm, "/api/complaint-reports/nope.csv?property=H1").status_code == 404
    r = api(built.gm, "/api/complaint-reports?from=2025-05-01&to=2025-04-01")
    assert r.status_code == 422 and "to" in r.json()["errors"]
    assert api(built.gm, "/api/complaint-reports?from=2025-02-30").status_code == 422
    assert api(built.gm, "/api/complaint-reports?from=x").status_code == 422
