"""The periodic job refreshes stale days of every property and computes the default view's
slow parts ahead of the page (snapshot summaries, Pareto, migration)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from yingke.reports import dashboard, tasks
from yingke.reports.models import ReportCache, RunGradeStat, StaleDay

from .conftest import local, snapshot, visit


def test_periodic_refresh_and_warm(world):
    prev = (timezone.localdate().replace(day=1) - dt.timedelta(1)).replace(day=1)
    visit(world.c_am1, local(prev.year, prev.month, 3, 12), 100)
    visit(world.c_h2, local(prev.year, prev.month, 3, 12), 70)
    snapshot(world.h1, prev + dt.timedelta(days=3), {world.c_am1: ("A", 100)})
    snapshot(world.h1, prev + dt.timedelta(days=9), {world.c_am1: ("B", 100), world.c_am2: ("D", 0)})
    assert StaleDay.objects.count() == 2
    tasks.refresh_stale_reports.call_local()
    assert not StaleDay.objects.exists()
    assert RunGradeStat.objects.filter(property=world.h1).count() == 2  # the month's last run: B and D
    key = dashboard._pareto_key(world.h1, dashboard.default_period(world.h1), "all")
    version, _at, payload = dashboard.cached(key)
    assert payload["total"] == "100.00" and version == dashboard.aggregates.version(world.h1)
    assert ReportCache.objects.filter(key__startswith="reports:migration:").exists()
    d = dashboard.dashboard(world.gm, world.h1, dashboard.default_period(world.h1))
    assert d["pareto"]["total"] == Decimal("100.00") and not d["pareto"]["lagging"]
    assert {r["from"]: r["B"] for r in d["migration"]["rows"]}["A"] == 1


def test_nightly_job_runs(world):
    tasks.nightly_reports.call_local()
    assert not StaleDay.objects.exists()
