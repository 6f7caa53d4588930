"""Snapshots (R-4.6): every run is stored with its parameters, counts and one entry per
customer; the customers' grades are set from it (an override wins and survives); the
number of queries does not grow with the number of customers; retention of nightly runs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_user
from yingke.core.permissions import SYSTEM
from yingke.core.roles import Role
from yingke.customers.models import Customer
from yingke.grading.models import GradeEntry, GradeOverride, GradingPolicy, GradingRun
from yingke.grading.services import previous_run, run_grading
from yingke.grading.tasks import prune_snapshots

from .grading_factories import add_visits, local, make_customers, make_property

D = dt.date(2026, 6, 15)


def visits_for(prop, customers, day=D):
    at = local(prop.time_zone, day, 12)
    add_visits([(prop, c, at, str(10 * (i + 1)), False) for i, c in enumerate(customers) for _ in range(i % 3 + 1)])


@pytest.mark.django_db
def test_a_run_stores_its_parameters_counts_and_an_entry_per_customer():
    prop = make_property(window=45, a_share="33.33", b_share="25")
    customers = make_customers(prop, 6)
    visits_for(prop, customers[:5])
    run = run_grading(SYSTEM, prop, as_of=D)
    assert (run.window_days, run.a_share, run.b_share) == (45, Decimal("33.33"), Decimal("25"))
    assert (run.customers, run.effective, run.a_count, run.b_count, run.c_count, run.d_count) == (6, 5, 2, 1, 2, 1)
    assert run.visits == 1 + 2 + 3 + 1 + 2 and run.finished_at >= run.started_at
    assert GradeEntry.objects.filter(run=run).count() == 6
    # Changing the parameters afterwards does not change the stored run.
    GradingPolicy.objects.filter(property=prop).update(window_days=7)
    run.refresh_from_db()
    assert run.window_days == 45


@pytest.mark.django_db
def test_an_override_survives_a_run():
    prop = make_property()
    low, high, mid = make_customers(prop, 3)
    at = local(prop.time_zone, D)
    add_visits([(prop, high, at, "900.00", False), (prop, high, at, "900.00", False), (prop, low, at, "5.00", False),
                (prop, mid, at, "50.00", False)])
    GradeOverride.objects.create(customer=low, grade="A", reason="董事长的朋友")
    run_grading(SYSTEM, prop, as_of=D)
    low.refresh_from_db()
    high.refresh_from_db()
    assert (low.grade, low.grade_computed) == ("A", "C")
    assert (high.grade, high.grade_computed) == ("A", "A")
    assert GradeEntry.objects.get(customer=low).grade == "C"  # the snapshot keeps the computation
    GradeOverride.objects.filter(customer=low).delete()
    run_grading(SYSTEM, prop, as_of=D)
    low.refresh_from_db()
    assert (low.grade, low.grade_computed) == ("C", "C")


@pytest.mark.django_db
def test_only_the_grading_property_is_touched():
    prop, other = make_property(), make_property()
    mine, = make_customers(prop, 1)
    theirs, = make_customers(other, 1)
    visits_for(prop, [mine])
    Customer.objects.filter(pk=theirs.pk).update(grade="B", grade_computed="B")
    run_grading(SYSTEM, prop, as_of=D)
    theirs.refresh_from_db()
    assert (theirs.grade, theirs.grade_computed) == ("B", "B")
    assert not GradeEntry.objects.filter(customer=theirs).exists()


@pytest.mark.django_db
def test_only_the_general_manager_or_administrator_may_grade():
    prop = make_property()
    gm = make_user("gm_s", Role.GENERAL_MANAGER, prop)
    am = make_user("am_s", Role.ACCOUNT_MANAGER, prop)
    other_gm = make_user("gm_o", Role.GENERAL_MANAGER, make_property())
    with pytest.raises(PermissionDenied):
        run_grading(am, prop, as_of=D)
    with pytest.raises(PermissionDenied):
        run_grading(other_gm, prop, as_of=D)
    assert not GradingRun.objects.exists()
    assert run_grading(gm, prop, as_of=D).created_by == gm


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_customers():
    counts = []
    for n in (3, 40):
        prop = make_property()
        customers = make_customers(prop, n)
        visits_for(prop, customers[: n - 1])
        GradeOverride.objects.create(customer=customers[0], grade="D", reason="test")
        run_grading(SYSTEM, prop, as_of=D - dt.timedelta(days=1))  # a previous run
        with CaptureQueriesContext(connection) as ctx:
            run_grading(SYSTEM, prop, as_of=D)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 20  # ~8 of the run, the rest churn.flag_losses


@pytest.mark.django_db
def test_the_previous_run_is_the_latest_finished_one_before():
    prop = make_property()
    first = run_grading(SYSTEM, prop, as_of=D - dt.timedelta(days=2))
    second = run_grading(SYSTEM, prop, as_of=D - dt.timedelta(days=1))
    third = run_grading(SYSTEM, prop, as_of=D)
    assert previous_run(third) == second and previous_run(second) == first and previous_run(first) is None


@pytest.mark.django_db
def test_default_as_of_is_today_in_the_property_time_zone():
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    prop = make_property(time_zone="Pacific/Kiritimati")  # UTC+14
    run = run_grading(SYSTEM, prop)
    assert run.as_of == timezone.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date()


@pytest.mark.django_db
def test_retention_keeps_recent_nightly_runs_month_ends_and_runs_started_by_people():
    prop = make_property()
    today = dt.date(2026, 6, 15)
    nightly = GradingRun.Trigger.NIGHTLY

    def run(day, trigger=nightly):
        return GradingRun.objects.create(property=prop, as_of=day, window_days=60, a_share=20, b_share=50,
                                         trigger=trigger).pk

    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(166)]  # 1 Jan … 15 Jun
    ids = {d: run(d) for d in days}
    manual = run(dt.date(2026, 1, 10), GradingRun.Trigger.COMMAND)
    deleted = prune_snapshots(prop, today)
    kept = set(GradingRun.objects.filter(property=prop).values_list("as_of", flat=True))
    cutoff = today - dt.timedelta(days=90)  # 17 March
    assert kept == {d for d in days if d >= cutoff} | {dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                                                        dt.date(2026, 1, 10)}
    assert GradingRun.objects.filter(pk=manual).exists()
    assert deleted == len(days) - len(kept) + 1  # the manual run is among `kept` dates
    assert not GradingRun.objects.filter(pk=ids[dt.date(2026, 3, 16)]).exists()  # March's last is recent
    assert prune_snapshots(prop, today) == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_property_do_not_interleave():
    """A run waits for the policy lock held by another transaction (PostgreSQL row lock;
    SQLite has one writer at a time anyway, so this asks PostgreSQL)."""
    import threading
    import time

    from django.db import connections, transaction

    from yingke.grading.services import lock_policy

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers by itself)")
    prop = make_property()
    visits_for(prop, make_customers(prop, 3))
    locked, released, finished = threading.Event(), {}, {}

    def holder():
        try:
            with transaction.atomic():
                lock_policy(prop)
                locked.set()
                time.sleep(1.0)
                released["at"] = time.monotonic()
        finally:
            connections.close_all()

    def grader():
        try:
            locked.wait(10)
            run_grading(SYSTEM, prop, as_of=D)
            finished["at"] = time.monotonic()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=holder), threading.Thread(target=grader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert finished["at"] >= released["at"]
    assert GradingRun.objects.filter(property=prop).count() == 1


@pytest.mark.django_db
def test_snapshot_rows_follow_the_export_order_and_can_be_limited():
    from yingke.grading.export import snapshot_rows

    prop = make_property()
    customers = make_customers(prop, 5)
    visits_for(prop, customers[2:])  # K0002 1 visit ¥10, K0003 2 × ¥20, K0004 3 × ¥30
    run = run_grading(SYSTEM, prop, as_of=D)
    rows = list(snapshot_rows(run))
    assert [r[0] for r in rows] == ["K0004", "K0003", "K0002", "K0000", "K0001"]
    assert rows[0] == ("K0004", "客人4", "A", 3, Decimal("90.00"), Decimal("30.00"), 1, 1)
    assert rows[3] == ("K0000", "客人0", "D", 0, Decimal("0.00"), None, None, None)
    limited = list(snapshot_rows(run, Customer.objects.filter(customer_code__in=["K0001", "K0003"])))
    assert [r[0] for r in limited] == ["K0003", "K0001"]
