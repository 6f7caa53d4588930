"""R-7.6 follow-up cadences (seed 004 lines 70–100): the defaults exactly as written (buyers 3,
30, 60 days for the account manager; non-buyers 3 and 15; the supervisor 15, 30, 60 for
buyers), the four events (file created, first purchase, complaint closed, banquet held), the
property's local days, the 14-day catch-up window and the day a rule came into use, and
idempotency: a second run, two runs at once, a unique key per rule, customer, offset and event.
Every run is a SchedulerRun with what it made per property and rule.

Time is passed as `now` (the project has no freezegun/time-machine): the world's files are made
today, and the scheduler is run on later days."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import make_customer
from tests.races import db_read, race, shared_database
from yingke.complaints import services as complaints
from yingke.core.models import Property
from yingke.tracking import cadence
from yingke.tracking.models import Buyers, CadenceRule, Event, SchedulerRun, Task, TaskRole
from yingke.visits.models import Visit
from yingke.visits.services import record_visit, void_visit

AM, SUP = TaskRole.ACCOUNT_MANAGER, TaskRole.SUPERVISOR


def day0(world):
    return world.h1.local_today()


def at(world, days, hour=12, minute=0):
    """The instant `days` after the world's day 0, at local hour:minute in H1."""
    return world.h1.day_start(day0(world) + dt.timedelta(days=days), dt.time(hour, minute))


def run(world, days, hour=12, **kw):
    return cadence.run_scheduler(now=at(world, days, hour), properties=[world.h1], **kw)


def tasks_of(customer):
    return sorted((t.rule.role, t.offset, t.rule.buyers, t.due_on) for t in
                  Task.objects.filter(customer=customer).select_related("rule"))


def rule(world, event, offsets, buyers=Buyers.ANY, role=AM, only=True, **kw):
    if only:
        CadenceRule.objects.filter(property=world.h1).update(is_active=False)
    return CadenceRule.objects.create(property=world.h1, name=f"{event} {offsets}", event=event, buyers=buyers,
                                      offsets=offsets, role=role, active_from=day0(world) - dt.timedelta(days=90),
                                      **kw)


def buy(world, customer, amount="388", **kw):
    return record_visit(world.gm, customer, occurred_at=timezone.now() - dt.timedelta(minutes=5),
                        amount=Decimal(amount), **kw)


# ---- the defaults --------------------------------------------------------------------------------

def test_the_defaults_are_exactly_those_of_r_7_6(world):
    rules = {(r.event, r.buyers, tuple(r.offsets), r.role, r.is_active)
             for r in CadenceRule.objects.filter(property=world.h1)}
    assert rules == {
        (Event.FILE_CREATED, Buyers.BUYERS, (3, 30, 60), AM, True),
        (Event.FILE_CREATED, Buyers.NON_BUYERS, (3, 15), AM, True),
        (Event.FILE_CREATED, Buyers.BUYERS, (15, 30, 60), SUP, True),
    }
    assert CadenceRule.objects.filter(property=world.h2).count() == 3
    assert all(r.active_from == world.h1.local_today() for r in CadenceRule.objects.filter(property=world.h1))
    assert cadence.ensure_default_rules(world.h1) == 0 and CadenceRule.objects.filter(property=world.h1).count() == 3
    names = [r.name for r in CadenceRule.objects.filter(property=world.h1)]
    assert all(names) and len(set(names)) == 3


def test_a_new_property_gets_the_defaults(db):
    prop = Property.objects.create(code="H9", name="新店")
    assert CadenceRule.objects.filter(property=prop).count() == 3


def test_non_buyers_get_3_and_15_days(world):
    assert run(world, 2).created == 0
    assert run(world, 3).created == 4  # c_am1, c_am2, c_am3, c_pool of H1
    d0 = day0(world)
    assert tasks_of(world.c_am2) == [(AM, 3, Buyers.NON_BUYERS, d0 + dt.timedelta(days=3))]
    t = Task.objects.get(customer=world.c_am2)
    assert (t.event, t.event_ref, t.assignee, t.lead, t.done_at, t.property) == \
        (Event.FILE_CREATED, 0, None, None, None, world.h1)
    assert run(world, 15).created == 4
    for days in (30, 60, 90):
        assert run(world, days).created == 0
    assert tasks_of(world.c_am2) == [(AM, 3, Buyers.NON_BUYERS, d0 + dt.timedelta(days=3)),
                                     (AM, 15, Buyers.NON_BUYERS, d0 + dt.timedelta(days=15))]
    assert not Task.objects.filter(customer=world.c_h2).exists()  # only the properties asked for


def test_buyers_get_3_30_60_days_and_the_supervisor_15_30_60(world):
    buy(world, world.c_am1)
    assert world.c_am1.__class__.objects.get(pk=world.c_am1.pk).visit_count == 1
    for days in (3, 15, 30, 60):
        run(world, days)
    d0 = day0(world)
    assert tasks_of(world.c_am1) == sorted(
        [(AM, n, Buyers.BUYERS, d0 + dt.timedelta(days=n)) for n in (3, 30, 60)]
        + [(SUP, n, Buyers.BUYERS, d0 + dt.timedelta(days=n)) for n in (15, 30, 60)])
    assert [o for _r, o, b, _d in tasks_of(world.c_am2)] == [3, 15]
    assert set(Task.objects.filter(rule__role=SUP).values_list("role", flat=True)) == {SUP}


def test_a_second_run_makes_nothing(world):
    first = run(world, 3)
    again = run(world, 3)
    later = run(world, 4)
    assert (first.created, again.created, later.created) == (4, 0, 0)
    assert Task.objects.count() == 4


def test_the_unique_key_refuses_a_second_task(world):
    run(world, 3)
    t = Task.objects.filter(customer=world.c_am1).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(property=t.property, customer=t.customer, rule=t.rule, offset=t.offset,
                            event_ref=t.event_ref, event=t.event, title="again", due_on=t.due_on)
    other_ref = Task.objects.create(property=t.property, customer=t.customer, rule=t.rule, offset=t.offset,
                                    event_ref=t.event_ref + 1, event=t.event, title="another event", due_on=t.due_on)
    assert other_ref.pk


def test_a_run_after_an_outage_catches_up_14_days(world):
    assert run(world, 3 + 13).created == 8  # the 3-day tasks (13 days late) and the 15-day ones
    assert Task.objects.filter(offset=3, due_on=day0(world) + dt.timedelta(days=3)).count() == 4


def test_older_than_14_days_is_not_caught_up(world):
    assert run(world, 3 + 14).created == 4  # only the 15-day tasks
    assert not Task.objects.filter(offset=3).exists()


def test_a_rule_makes_nothing_due_before_it_came_into_use(world):
    CadenceRule.objects.filter(property=world.h1, buyers=Buyers.NON_BUYERS).update(
        active_from=day0(world) + dt.timedelta(days=4))
    for days in (3, 4, 5, 15):
        run(world, days)
    assert sorted(set(Task.objects.values_list("offset", flat=True))) == [15]


def test_an_inactive_rule_makes_nothing(world):
    CadenceRule.objects.filter(property=world.h1).update(is_active=False)
    assert run(world, 3).created == 0 and not Task.objects.exists()


def test_the_local_day_of_the_event_counts(world):
    """A file made at 00:30 local (16:30 UTC the day before) was made on day 0: its 3-day task
    is due on day 3 and made on day 3 local, not at noon of day 2 (when UTC already says day 3 of
    the UTC date)."""
    late = make_customer(world.h1, "T001", "夜里", owner=world.am1)
    late.__class__.objects.filter(pk=late.pk).update(created_at=at(world, 0, 0, 30))
    early = make_customer(world.h1, "T002", "前一晚", owner=world.am1)
    early.__class__.objects.filter(pk=early.pk).update(created_at=at(world, -1, 23, 50))
    run(world, 2, hour=12)
    assert tasks_of(late) == [] and [o for _r, o, _b, _d in tasks_of(early)] == [3]
    cadence.run_scheduler(now=at(world, 3, 0, 5), properties=[world.h1])
    assert tasks_of(late) == [(AM, 3, Buyers.NON_BUYERS, day0(world) + dt.timedelta(days=3))]
    assert tasks_of(early)[0][3] == day0(world) + dt.timedelta(days=2)


# ---- the four events ---------------------------------------------------------------------------------

def test_first_purchase(world):
    r = rule(world, Event.FIRST_PURCHASE, [2])
    buy(world, world.c_am1)
    buy(world, world.c_am1)  # a second purchase is no second event
    buy(world, world.c_am2, amount="-50")  # a refund is no purchase
    assert run(world, 1).created == 0
    assert run(world, 2).created == 1
    t = Task.objects.get()
    assert (t.customer, t.rule, t.event, t.event_ref, t.offset, t.due_on) == \
        (world.c_am1, r, Event.FIRST_PURCHASE, 0, 2, day0(world) + dt.timedelta(days=2))


def test_complaint_closed(world):
    rule(world, Event.COMPLAINT_CLOSED, [1])
    closed = []
    for words in ("菜凉了", "上菜慢"):
        c = complaints.record(world.desk, world.h1, kind="food", words=words, customer=world.c_am2)
        closed.append(complaints.resolve_on_the_spot(world.desk, c, solution="重做", carried_out="已重做",
                                                     check_back="满意", satisfaction="satisfied"))
    complaints.record(world.desk, world.h1, kind="food", words="还开着", customer=world.c_am1)  # open
    anonymous = complaints.record(world.desk, world.h1, kind="price", words="贵")
    complaints.resolve_on_the_spot(world.desk, anonymous, solution="解释", carried_out="好", check_back="好",
                                   satisfaction="satisfied")
    assert all(c.closed_at is not None for c in closed)
    assert run(world, 1).created == 2
    assert sorted(Task.objects.values_list("customer_id", "event", "event_ref")) == sorted(
        (world.c_am2.pk, Event.COMPLAINT_CLOSED, c.pk) for c in closed)
    assert run(world, 1).created == 0


def test_banquet_held(world):
    rule(world, Event.BANQUET_HELD, [1, 7])
    held = [buy(world, world.c_am1, occasion=o) for o in ("hosting", "wedding", "birthday")]
    buy(world, world.c_am1, occasion="business")
    buy(world, world.c_am2, occasion="hosted")  # a guest at someone else's banquet
    voided = buy(world, world.c_am3, occasion="wedding")
    void_visit(world.gm, voided, "录错了")
    buy(world, world.c_pool, amount="0", occasion="birthday")
    assert run(world, 1).created == 3
    assert run(world, 7).created == 3
    assert sorted(Task.objects.values_list("event_ref", "offset")) == sorted(
        (v.pk, n) for v in held for n in (1, 7))
    assert set(Task.objects.values_list("customer_id", flat=True)) == {world.c_am1.pk}
    assert Visit.objects.count() == 7


# ---- the log ----------------------------------------------------------------------------------------

def test_every_run_is_logged_with_what_it_made_per_property_and_rule(world):
    non_buyers = CadenceRule.objects.get(property=world.h1, buyers=Buyers.NON_BUYERS)
    h2_rule = CadenceRule.objects.get(property=world.h2, buyers=Buyers.NON_BUYERS)
    made = cadence.run_scheduler(now=at(world, 3), trigger=SchedulerRun.Trigger.COMMAND, user=world.gm)
    assert made.created == 5 and made.escalated == 0 and made.finished_at is not None
    assert (made.trigger, made.user) == (SchedulerRun.Trigger.COMMAND, world.gm)
    assert made.details == {"H1": {"tasks": {str(non_buyers.pk): 4}, "escalated": {"tasks": 0, "commitments": 0}},
                            "H2": {"tasks": {str(h2_rule.pk): 1}, "escalated": {"tasks": 0, "commitments": 0}}}
    empty = cadence.run_scheduler(now=at(world, 3))
    assert (empty.created, empty.details) == (0, {})
    assert SchedulerRun.objects.count() == 2
    assert cadence.run_label(made)


def test_the_periodic_job_runs_the_scheduler(world):
    from yingke.tracking.tasks import run_cadences

    before = SchedulerRun.objects.count()
    run_cadences.call_local()
    assert SchedulerRun.objects.count() == before + 1
    assert SchedulerRun.objects.latest("id").trigger == SchedulerRun.Trigger.JOB


def test_who_is_a_buyer_is_decided_on_the_due_day(world):
    """The file was made 4 days ago; on day 3 (yesterday) the guest had not bought: the non-buyers'
    3-day task. They buy today: the buyers' 3-day task (due yesterday) is not made afterwards."""
    CadenceRule.objects.filter(property=world.h1).update(active_from=day0(world) - dt.timedelta(days=30))
    world.c_am1.__class__.objects.filter(pk=world.c_am1.pk).update(created_at=at(world, -4))
    run(world, -1)
    assert [(o, b) for _r, o, b, _d in tasks_of(world.c_am1)] == [(3, Buyers.NON_BUYERS)]
    buy(world, world.c_am1)  # today, day 4 of the file
    run(world, 0)
    assert [(o, b) for _r, o, b, _d in tasks_of(world.c_am1)] == [(3, Buyers.NON_BUYERS)]


# ---- two runs at once -------------------------------------------------------------------------------

@pytest.fixture
def shared_db(tmp_path):
    """PostgreSQL: the test database. SQLite: a file copy with the production settings, as in
    tests/control/test_claims_race.py."""
    with shared_database(tmp_path):
        yield


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_each_task_once(world, shared_db, monkeypatch):
    real = cadence.occurrences

    def slow(*args):
        found = real(*args)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(cadence, "occurrences", slow)
    when = at(world, 3 + 12)
    results, errors = race(lambda: cadence.run_scheduler(now=when), lambda: cadence.run_scheduler(now=when))
    assert errors == [None, None], errors
    # 4 + 4 in H1, 1 + 1 in H2, each made by exactly one of the runs (they lock per property, so
    # one run may make H1's and the other H2's)
    assert sum(r.created for r in results) == 10

    def stored():
        return Task.objects.count(), SchedulerRun.objects.count(), \
            Task.objects.values("rule", "customer", "offset", "event_ref").distinct().count()

    assert db_read(stored) == (10, 2, 10)
