"""R-9.1: one open loss per customer even when two grading runs of one property flag at the same
time (PostgreSQL: two transactions; the GradingPolicy row lock serialises them, and the second
sees the first's losses). On SQLite writes are serialised by the database itself."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from yingke.grading import churn
from yingke.grading.models import GradeEntry, GradingPolicy, GradingRun, Loss

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_runs_flag_each_customer_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer)")
    from yingke.grading.defaults import ensure_defaults

    ensure_defaults(world.h1)
    customers = [world.c_am1, world.c_am2, world.c_am3, world.c_pool]
    first = GradingRun.objects.create(property=world.h1, as_of=dt.date(2026, 10, 1), window_days=60, a_share=20,
                                      b_share=50, trigger="command", finished_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    GradeEntry.objects.bulk_create([GradeEntry(run=first, customer=c, grade="A") for c in customers])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run_once():
        try:
            with transaction.atomic():
                run = GradingRun.objects.create(property=world.h1, as_of=dt.date(2026, 11, 1), window_days=60,
                                                a_share=20, b_share=50, trigger="command")
                GradeEntry.objects.bulk_create([GradeEntry(run=run, customer=c, grade="D") for c in customers])
                barrier.wait(timeout=10)  # both runs exist, neither committed: each is "newest" to itself
                results.append(churn.flag_losses(run, first))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [(0, 0), (4, 0)]
    assert Loss.objects.count() == 4
    assert GradingPolicy.objects.filter(property=world.h1).count() == 1
