"""Who reads the dashboard (R-11.1, R-1.2) and what they see: the general manager the
property's figures, the sales manager only the files of their team, everybody else 403; a
property the reader does not work at 404 like an unknown one (core.permissions.chosen_property). Recording or voiding a visit
changes the figures (stale days refreshed on the page view)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation

from yingke.core.models import Outlet, Property
from yingke.core.permissions import SYSTEM
from yingke.reports import dashboard
from yingke.reports.models import StaleDay
from yingke.visits.services import void_visit

from .conftest import local, snapshot, visit


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def last_month_day(day=10, hh=12):
    today = timezone.localdate()
    first = today.replace(day=1)
    prev = (first - dt.timedelta(1)).replace(day=1)
    return local(prev.year, prev.month, day, hh), prev


@pytest.fixture
def filled(world):
    when, month = last_month_day()
    cn = Outlet.objects.get(property=world.h1, code="CN")
    visit(world.c_am1, when, 1000, covers=10, outlet=cn)
    visit(world.c_am2, when + dt.timedelta(hours=7), 500, covers=4, outlet=cn)  # dinner
    visit(world.c_am3, when, 300, outlet=cn)
    visit(world.c_pool, when, 200, outlet=cn)  # no account manager: a walk-in
    visit(world.c_h2, when, 9999)
    snapshot(world.h1, month + dt.timedelta(days=20), {world.c_am1: ("A", 1000), world.c_am2: ("B", 500),
                                                       world.c_am3: ("C", 300), world.c_pool: ("C", 200)})
    return world


def figures(user, prop):
    with translation.override("en"):
        return dashboard.dashboard(user, prop, dashboard.default_period(prop))


def test_general_manager_sees_the_property(filled):
    d = figures(filled.gm, filled.h1)
    assert not d["team_limited"]
    assert d["pareto"]["customers"] == 4
    assert d["pareto"]["total"] == Decimal("2000.00")
    eff = d["effective"]["latest"]
    # managed files graded A–C: am1, am2, am3 (the pool file has no account manager)
    assert eff["customers"] == 3 and eff["revenue"] == Decimal("1800.00")
    assert eff["window_revenue"] == Decimal("2000.00") and eff["share"] == 0.9
    managed = {r["measure"]: r for r in d["managed"]["rows"]}
    assert managed["revenue"]["managed"] == Decimal("1800.00") and managed["revenue"]["walk_in"] == Decimal("200.00")
    assert managed["visits"]["managed_share"] == 0.75
    occ = {(r["outlet_code"], r["period"]): r for r in d["occupancy"]["rows"]}
    assert occ[("CN", "lunch")]["served"] == 3 and occ[("CN", "dinner")]["served"] == 1
    assert occ[("CN", "lunch")]["available"] == 30 * d["days"]
    assert sum(r["revenue"] for r in d["monthly"]["rows"]) == Decimal("2000.00")
    assert d["grades"]["latest"]["a_share"] == 0.25


def test_sales_manager_sees_only_the_team(filled):
    d = figures(filled.sm, filled.h1)
    assert d["team_limited"]
    assert d["occupancy"] is None and d["managed"] is None
    assert d["pareto"]["customers"] == 2 and d["pareto"]["total"] == Decimal("1500.00")
    assert d["effective"]["latest"]["customers"] == 2 and d["effective"]["latest"]["share"] is None
    assert sum(r["revenue"] for r in d["monthly"]["rows"]) == Decimal("1500.00")
    assert [r["A"] + r["B"] + r["C"] + r["D"] for r in d["grades"]["rows"]] == [2]


@pytest.mark.parametrize("role,status", [("gm", 200), ("sm", 200), ("am1", 403), ("desk", 403), ("sup", 403),
                                         ("admin", 403), ("gm2", 404)])
def test_who_may_open_the_dashboard_of_h1(filled, role, status):
    response = client_for(getattr(filled, role)).get("/reports/?property=H1")
    assert response.status_code == status


@pytest.mark.parametrize("role", ["am1", "desk", "sup", "admin"])
def test_other_roles_get_403_without_a_property(filled, role):
    c = client_for(getattr(filled, role))
    assert c.get("/reports/").status_code == 403
    assert c.get("/reports/export/monthly.csv").status_code == 403


def test_unknown_property_is_404_and_anonymous_goes_to_login(filled):
    assert client_for(filled.gm).get("/reports/?property=NOPE").status_code == 404
    response = Client().get("/reports/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_page_shows_the_team_limit_and_hides_property_figures(filled):
    with translation.override("en"):
        gm = client_for(filled.gm).get("/reports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        sm = client_for(filled.sm).get("/reports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="chart-occupancy"' in gm and 'id="chart-managed"' in gm
    assert 'id="chart-occupancy"' not in sm and 'id="chart-managed"' not in sm
    assert 'id="chart-monthly"' in sm


def test_bad_period_is_a_message_not_a_500(filled):
    c = client_for(filled.gm)
    for query in ("from=2026-13&to=x", "from=2026-05&to=2026-01", "from=1999-01&to=2026-01", "from=\x00",
                  "from=2020-01&to=2026-12", "from_run=abc&to_run=-1", "from=２０２６-０１"):
        response = c.get("/reports/?" + query)
        assert response.status_code == 200, query


def test_parse_period():
    prop = Property(code="X", name="X", time_zone="Asia/Shanghai")  # not saved: parsing asks no query
    period, errors = dashboard.parse_period(prop, "2026-01", "2026-03")
    assert (period.first, period.last, errors) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31), {})
    period, errors = dashboard.parse_period(prop, "2024-02-15", None)
    assert (period.first, period.last) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert "to" in dashboard.parse_period(prop, "2026-03", "2026-01")[1]
    assert "from" in dashboard.parse_period(prop, "March", "2026-01")[1]


def total(d):
    return sum(r["revenue"] for r in d["monthly"]["rows"])


def test_recording_and_voiding_a_visit_changes_the_figures(filled, django_capture_on_commit_callbacks):
    first = figures(filled.gm, filled.h1)
    before = first["pareto"]["total"]
    when, _month = last_month_day(day=12)
    v = visit(filled.c_am1, when, 250)
    assert StaleDay.objects.filter(property=filled.h1, day=when.date()).exists()
    with django_capture_on_commit_callbacks(execute=True):
        after = figures(filled.gm, filled.h1)
    assert not StaleDay.objects.filter(property=filled.h1).exists()
    assert total(after) == before + Decimal("250.00")
    assert after["effective"]["latest"]["window_revenue"] == first["effective"]["latest"]["window_revenue"] + 250
    # The Pareto of a moment ago is shown (marked lagging) while the job recomputes it.
    assert after["pareto"]["lagging"] and after["pareto"]["total"] == before
    assert figures(filled.gm, filled.h1)["pareto"]["total"] == before + Decimal("250.00")
    void_visit(SYSTEM, v, "mistake")
    with django_capture_on_commit_callbacks(execute=True):
        assert total(figures(filled.gm, filled.h1)) == before
    assert figures(filled.gm, filled.h1)["pareto"]["total"] == before


def test_a_pareto_older_than_its_time_is_computed_again(filled):
    from yingke.reports.models import ReportCache

    figures(filled.gm, filled.h1)
    visit(filled.c_am1, last_month_day(day=12)[0], 250)
    ReportCache.objects.update(computed_at=timezone.now() - dt.timedelta(hours=1))
    assert figures(filled.gm, filled.h1)["pareto"]["total"] == Decimal("2250.00")


def test_more_stale_days_than_a_page_refreshes_go_to_the_job(filled, settings):
    from yingke.reports import aggregates

    aggregates.mark_stale(filled.h1.pk, None)  # every day since the first visit
    days = StaleDay.objects.filter(property=filled.h1).count()
    assert days > aggregates.VIEW_REFRESH_DAYS or days >= 1
    d = figures(filled.gm, filled.h1)  # jobs run immediately under tests: nothing left
    assert d["pareto"]["total"] == Decimal("2000.00")
    assert not StaleDay.objects.filter(property=filled.h1).exists()


def test_page_query_count_is_bounded(filled, django_assert_max_num_queries):
    c = client_for(filled.gm)
    c.get("/reports/")  # refreshes the stale days
    when, month = last_month_day(day=15)
    for i in range(30):  # more snapshots and visits must not add queries
        snapshot(filled.h1, month + dt.timedelta(days=i % 27), {filled.c_am1: ("A", 10)})
        visit(filled.c_pool, when + dt.timedelta(minutes=i), 10)
    c.get("/reports/")
    with django_assert_max_num_queries(22):
        assert c.get("/reports/").status_code == 200


def test_exports_csv_and_xlsx(filled):
    c = client_for(filled.gm)
    response = c.get("/reports/export/monthly.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 13 and sum(Decimal(r[3]) for r in rows[1:]) == Decimal("2000.00")
    for table in ("effective", "occupancy", "managed", "grades", "migration", "pareto"):
        r = c.get(f"/reports/export/{table}.xlsx")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml"), table
    assert c.get("/reports/export/nope.csv").status_code == 404
    assert c.get("/reports/export/monthly.pdf").status_code == 404
    sm = client_for(filled.sm)
    assert sm.get("/reports/export/occupancy.csv").status_code == 403
    assert sm.get("/reports/export/pareto.csv").status_code == 200


def test_volatility_is_the_coefficient_of_variation_of_complete_months(world):
    """Seed 000: about 10 % with an effective customer service system, 15–30 % without. Months
    before the first visits do not count; the current month (not complete) does not count."""
    this = timezone.localdate().replace(day=1)
    months = [dashboard.add_months(this, -n) for n in (4, 3, 2, 1)]
    for m, amount in zip(months, (900, 1100, 1000, 1000), strict=True):
        visit(world.c_am1, local(m.year, m.month, 5), amount)
    visit(world.c_am1, local(this.year, this.month, 1, 0, 1), 50000)  # this month: not complete
    d = figures(world.gm, world.h1)
    assert d["monthly"]["months_used"] == 4
    # mean 1000, population sd sqrt((100² + 100² + 0 + 0) / 4) = 70.71 → 7.07 %
    assert d["monthly"]["cv"] == 0.0707 and d["monthly"]["band"] == "steady"


def test_navigation_filter_says_who_reads_reports(world):
    from yingke.reports.templatetags.reports_ui import reads_reports

    assert reads_reports(world.gm) and reads_reports(world.sm)
    assert not any(reads_reports(getattr(world, r)) for r in ("am1", "desk", "sup", "admin"))
