"""The nightly grading job (grading/tasks.py) run through the real job machinery
(core.jobs.run_due, huey in immediate mode under tests): once a property's local time is
past 02:00 it grades as of yesterday (local), once; properties without "grade every night"
are left alone; each property by its own time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from yingke.core.jobs import run_due
from yingke.customers.models import Customer
from yingke.grading import tasks
from yingke.grading.models import GradeEntry, GradingRun

from .grading_factories import add_visits, local, make_customers, make_property

UTC = dt.UTC


def run_jobs_at(monkeypatch, when: dt.datetime) -> None:
    """`yingke run-jobs --once` at `when`: periodic tasks due that minute run."""
    monkeypatch.setattr(tasks, "clock", lambda: when)
    run_due(when.astimezone(UTC).replace(tzinfo=None))


def quarter(tz, day, hour, minute):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(tz))


@pytest.mark.django_db
def test_nightly_run_grades_yesterday_once_after_two_oclock(monkeypatch):
    prop = make_property(time_zone="Asia/Shanghai", window=60)
    a, b = make_customers(prop, 2)
    add_visits([(prop, a, local(prop.time_zone, dt.date(2026, 6, 15), 23, 59, 59), "100.00", False),
                (prop, b, local(prop.time_zone, dt.date(2026, 6, 16), 0, 30), "100.00", False)])
    run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 16), 1, 45))
    assert not GradingRun.objects.filter(property=prop).exists()  # before 02:00 local: not yet
    run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 16), 2, 0))
    run = GradingRun.objects.get(property=prop)
    assert (run.as_of, run.trigger, run.created_by) == (dt.date(2026, 6, 15), "nightly", None)
    assert GradeEntry.objects.get(run=run, customer=a).grade == "A"
    assert GradeEntry.objects.get(run=run, customer=b).grade == "D"  # today's visit is not yesterday's
    assert Customer.objects.get(pk=a.pk).grade == "A"
    for hour, minute in ((2, 15), (9, 30), (23, 45)):  # later the same day: nothing more
        run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 16), hour, minute))
    assert GradingRun.objects.filter(property=prop).count() == 1
    run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 17), 2, 15))  # the next night
    assert list(GradingRun.objects.filter(property=prop).order_by("as_of").values_list("as_of", flat=True)) == [
        dt.date(2026, 6, 15), dt.date(2026, 6, 16)]


@pytest.mark.django_db
def test_each_property_by_its_own_clock_and_only_when_nightly(monkeypatch):
    shanghai = make_property(time_zone="Asia/Shanghai")
    la = make_property(time_zone="America/Los_Angeles")
    off = make_property(time_zone="Asia/Shanghai", nightly=False)
    # 2026-06-16 03:00 in Shanghai is 2026-06-15 12:00 in Los Angeles.
    run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 16), 3, 0))
    assert GradingRun.objects.get(property=shanghai).as_of == dt.date(2026, 6, 15)
    assert GradingRun.objects.get(property=la).as_of == dt.date(2026, 6, 14)
    assert not GradingRun.objects.filter(property=off).exists()


@pytest.mark.django_db
def test_a_manual_run_for_the_same_date_does_not_stop_the_nightly_one(monkeypatch):
    from yingke.core.permissions import SYSTEM
    from yingke.grading.services import run_grading

    prop = make_property(time_zone="Asia/Shanghai")
    run_grading(SYSTEM, prop, as_of=dt.date(2026, 6, 15))
    run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 16), 2, 30))
    assert sorted(GradingRun.objects.filter(property=prop).values_list("trigger", flat=True)) == ["command",
                                                                                                   "nightly"]


@pytest.mark.django_db
def test_nightly_runs_prune_old_snapshots(monkeypatch):
    prop = make_property(time_zone="Asia/Shanghai")
    for day in (dt.date(2026, 1, 5), dt.date(2026, 1, 20), dt.date(2026, 6, 1)):
        GradingRun.objects.create(property=prop, as_of=day, window_days=60, a_share=20, b_share=50,
                                  trigger=GradingRun.Trigger.NIGHTLY)
    run_jobs_at(monkeypatch, quarter("Asia/Shanghai", dt.date(2026, 6, 16), 2, 0))
    assert list(GradingRun.objects.filter(property=prop).order_by("as_of").values_list("as_of", flat=True)) == [
        dt.date(2026, 1, 20), dt.date(2026, 6, 1), dt.date(2026, 6, 15)]
