"""Behaviour pattern (R-7.5): recomputed when visits change — a visit recorded, corrected or
voided (visits.services → visits_changed, in the change's transaction) and an import (queued
for the property after the commit) — and nightly for every property (tasks_pattern)."""

import datetime as dt
from pathlib import Path

from yingke.control.tasks_pattern import nightly_patterns
from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer
from yingke.imports import engine
from yingke.visits.models import Visit
from yingke.visits.services import correct_visit, record_visit, void_visit

SH = dt.timezone(dt.timedelta(hours=8))


def pattern(customer):
    c = Customer.objects.get(pk=customer.pk)
    return c.usual_interval, c.usual_weekday, c.usual_meal_period, c.expected_next_visit


def at(day, hour=12):
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SH)


def test_recording_correcting_and_voiding_a_visit_recompute_the_pattern(world):
    guest = world.c_am1
    record_visit(world.am1, guest, occurred_at=at("2026-03-02"), amount="100")
    assert pattern(guest) == (None, None, "", None)
    second = record_visit(world.am1, guest, occurred_at=at("2026-03-09", 19), amount="100")
    assert pattern(guest) == (7, 0, "dinner", dt.date(2026, 3, 16))
    correct_visit(world.am1, second, occurred_at=at("2026-03-12", 19))
    assert pattern(guest) == (10, 3, "dinner", dt.date(2026, 3, 22))  # Thursday the 12th, the later
    void_visit(world.am1, second, "录错了")
    assert pattern(guest) == (None, None, "", None)
    # another customer's file is not touched
    assert pattern(world.c_am2) == (None, None, "", None)


def test_an_import_queues_the_property(world, tmp_path, django_capture_on_commit_callbacks):
    path = Path(tmp_path / "pos.csv")
    path.write_text("\n".join(["单据号,客户编号,消费时间,实收",
                               "D1,C001,2026-11-03 19:30,100", "D2,C001,2026-11-10 19:30,120",
                               "D3,C004,2026-11-04 12:30,12"]) + "\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        engine.execute_run(engine.start_run("visits", world.h1, path), actor=SYSTEM)
    assert pattern(world.c_am1) == (7, 1, "dinner", dt.date(2026, 11, 17))
    assert pattern(world.c_pool) == (None, None, "", None)


def test_the_nightly_job_recomputes_every_property(world):
    for customer, days in ((world.c_am3, ["2026-01-01", "2026-01-31"]), (world.c_h2, ["2026-02-01", "2026-02-03"])):
        for i, d in enumerate(days):
            Visit.objects.create(property_id=customer.property_id, customer=customer, occurred_at=at(d),
                                 amount=100, doc_key=f"#{customer.pk}-{i}")
    nightly_patterns.call_local()
    assert pattern(world.c_am3)[0] == 30
    assert pattern(world.c_h2)[0] == 2


def test_a_merge_recomputes_the_survivors_pattern(world):
    from tests.conftest import make_customer
    from yingke.customers.merge import merge

    twin = make_customer(world.h1, "C009", "张三", owner=world.am1, mobile="13812345679")
    record_visit(world.am1, world.c_am1, occurred_at=at("2026-03-02"), amount="100")
    record_visit(world.am1, twin, occurred_at=at("2026-03-06", 19), amount="100")
    assert pattern(world.c_am1) == (None, None, "", None)
    merge(world.gm, world.c_am1, twin)  # the twin's visit moves over: two visiting days now
    assert pattern(world.c_am1) == (4, 4, "dinner", dt.date(2026, 3, 10))
