"""An override and a grading run of the same property do not interleave (PostgreSQL): setting
or removing an override takes the runs' lock (the GradingPolicy row) before the customer's row,
so a run cannot put its computed grade back over an override made while it was running.
SQLite serialises writers by itself; the PostgreSQL run of the suite (CI runs both) proves it."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction

from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer
from yingke.grading.overrides import remove_override, set_override
from yingke.grading.services import run_grading

from .grading_factories import add_visits, local

D = dt.date(2026, 3, 31)
pytestmark = pytest.mark.django_db(transaction=True)


def _race(change, run_after=0.0):
    """`change` (an override change) runs in a transaction held open 1.5 s; a grading run
    starts once `change` has been made. Returns the errors of both threads."""
    changed, errors = threading.Event(), []

    def overrider():
        try:
            with transaction.atomic():
                change()
                changed.set()
                time.sleep(1.5)
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(e)
        finally:
            changed.set()
            connections.close_all()

    def grader(prop):
        try:
            changed.wait(10)
            time.sleep(run_after)
            run_grading(SYSTEM, prop, as_of=D)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            connections.close_all()

    return overrider, grader, errors


def _start(*targets):
    threads = [threading.Thread(target=t, args=a) for t, a in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def test_a_run_does_not_put_its_grade_back_over_a_new_override(world):
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer)")
    customer = world.c_am1
    add_visits([(world.h1, customer, local(world.h1.time_zone, D), "100.00", False)])  # computed: A
    overrider, grader, errors = _race(lambda: set_override(world.gm, Customer.objects.get(pk=customer.pk),
                                                           "B", "长期合作单位"))
    _start((overrider, ()), (grader, (world.h1,)))
    assert errors == []
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=customer.pk) == ("B", "A")


def test_a_run_does_not_keep_a_removed_override_in_force(world):
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer)")
    customer = world.c_am1
    add_visits([(world.h1, customer, local(world.h1.time_zone, D), "100.00", False)])  # computed: A
    set_override(world.gm, Customer.objects.get(pk=customer.pk), "C", "试用")
    overrider, grader, errors = _race(lambda: remove_override(world.gm, Customer.objects.get(pk=customer.pk),
                                                              "已核实"))
    _start((overrider, ()), (grader, (world.h1,)))
    assert errors == []
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=customer.pk) == ("A", "A")
