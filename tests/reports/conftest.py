"""Helpers of the report tests: visits recorded through the one service, snapshots written
directly (the grading engine is another app's)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from yingke.core.models import Outlet
from yingke.core.permissions import SYSTEM
from yingke.grading.models import GradeEntry, GradingRun
from yingke.visits.services import record_visit

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(y, m, d, hh=12, mm=0, tz=SHANGHAI):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


def visit(customer, when, amount, covers=2, outlet=None, **extra):
    return record_visit(SYSTEM, customer, occurred_at=when, amount=Decimal(str(amount)), covers=covers,
                        outlet=outlet, **extra)


def snapshot(prop, as_of, grades: dict, window=60):
    """A finished run with one entry per customer: {customer: (grade, amount)}."""
    counts = {g: sum(1 for gr, _a in grades.values() if gr == g) for g in "ABCD"}
    run = GradingRun.objects.create(
        property=prop, as_of=as_of, window_days=window, a_share=Decimal(20), b_share=Decimal(50),
        trigger=GradingRun.Trigger.COMMAND, finished_at=timezone.now(), customers=len(grades),
        effective=counts["A"] + counts["B"] + counts["C"], a_count=counts["A"], b_count=counts["B"],
        c_count=counts["C"], d_count=counts["D"])
    GradeEntry.objects.bulk_create([
        GradeEntry(run=run, customer=c, grade=g, amount=Decimal(str(a)), visits=0 if g == "D" else 1)
        for c, (g, a) in grades.items()])
    return run


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached report results are keyed by ids that another test's rolled-back rows may reuse."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outlets(world):
    cn = Outlet.objects.get(property=world.h1, code="CN")
    rooms = Outlet.objects.create(property=world.h1, code="RM", name="客房", kind=Outlet.Kind.ROOMS, capacity=10)
    return type("Outlets", (), {"cn": cn, "rooms": rooms})()
