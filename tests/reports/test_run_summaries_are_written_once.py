"""A grading run is summed into RunGradeStat once: calling summarise_runs again, or a second
caller summing the same run between another's check and its insert, never doubles the
dashboard's figures; the database refuses a second (run, owner, grade) row; on PostgreSQL a
caller waiting for the property's lock finds the run summed and adds nothing."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction

from yingke.reports import aggregates, dashboard
from yingke.reports.models import ReportState, RunGradeStat

from .conftest import snapshot


def summed(run):
    return sorted(RunGradeStat.objects.filter(run=run).values_list("owner_id", "grade", "customers", "amount"),
                  key=lambda r: (r[0] or 0, r[1]))


@pytest.fixture
def run(world):
    return snapshot(world.h1, world.h1.local_today(), {world.c_am1: ("A", 1000), world.c_am2: ("A", 500),
                                                       world.c_am3: ("C", 300), world.c_pool: ("D", 0)})


def test_twice_is_once(world, run):
    assert aggregates.summarise_runs([run.pk]) == 1
    first = summed(run)
    assert aggregates.summarise_runs([run.pk, run.pk]) == 0
    assert summed(run) == first
    assert (world.am1.pk, "A", 1, Decimal("1000.00")) in first


def test_another_caller_summing_between_the_check_and_the_insert_does_not_double(world, run):
    """The second caller runs right after the first one's look for existing rows (the window
    in which both used to insert)."""
    state = {"done": False}

    def interleave(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not state["done"] and "reports_rungradestat" in sql and sql.lstrip().upper().startswith("SELECT"):
            state["done"] = True
            aggregates.summarise_runs([run.pk])  # the other caller
        return result

    with connection.execute_wrapper(interleave):
        aggregates.summarise_runs([run.pk])
    assert state["done"]
    rows = summed(run)
    assert len(rows) == len(set((o, g) for o, g, _n, _a in rows)) == 4
    figures = dashboard.dashboard(world.gm, world.h1, dashboard.default_period(world.h1))
    assert figures["effective"]["latest"]["customers"] == 3  # A, A, C with an account manager


def test_the_database_refuses_a_second_row(world, run):
    aggregates.summarise_runs([run.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        RunGradeStat.objects.create(run=run, property=world.h1, owner=world.am1, grade="A", customers=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_caller_waiting_for_the_lock_finds_the_run_summed(world):
    run = snapshot(world.h1, world.h1.local_today(), {world.c_am1: ("A", 1000), world.c_am2: ("B", 500)})
    state, _created = ReportState.objects.get_or_create(property=world.h1)
    result, errors = {}, []

    def other():
        try:
            result["n"] = aggregates.summarise_runs([run.pk])
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        ReportState.objects.select_for_update().get(pk=state.pk)  # as a refresh or another summing holds it
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the other caller must wait for the property's lock"
        aggregates._sum_run(run)  # this transaction sums the run meanwhile
    thread.join(10)
    assert not errors and result["n"] == 0
    assert RunGradeStat.objects.filter(run=run).count() == 2
