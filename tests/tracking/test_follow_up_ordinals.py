"""R-7.3: every follow-up has its ordinal for its customer (or its lead while there is no
file): 1, 2, 3 in time order; one entered later for an earlier time slots in and the later ones
move up; a written summary is required; two follow-ups logged at the same moment in two
transactions (real threads and connections: PostgreSQL's row lock, SQLite's write lock) never
share a number."""

import datetime as dt
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from tests.races import db_read, race, shared_database
from yingke.core.permissions import NotVisible
from yingke.tracking import services
from yingke.tracking.models import FollowUp, Lead, Source, Stage, Task

HOLD = 0.4


def log(actor, subject, summary="通话", **kw):
    kw = {"channel": "phone", "outcome": "reached", **kw}
    return services.log_follow_up(actor, subject, summary=summary, **kw)


def in_time_order(**subject) -> bool:
    rows = FollowUp.objects.filter(**subject).order_by("occurred_at", "id").values_list("ordinal", flat=True)
    return list(rows) == list(range(1, len(rows) + 1))


def numbered(**subject):
    return list(FollowUp.objects.filter(**subject).order_by("ordinal").values_list("summary", "ordinal"))


def test_ordinals_count_in_time_order(world):
    now = timezone.now()
    first = log(world.am1, world.c_am1, "一", occurred_at=now - dt.timedelta(days=3))
    second = log(world.am1, world.c_am1, "二", occurred_at=now - dt.timedelta(days=2))
    third = log(world.sm, world.c_am1, "三")
    assert [first.ordinal, second.ordinal, third.ordinal] == [1, 2, 3]
    assert log(world.am2, world.c_am2, "别人").ordinal == 1  # each customer counts its own


def test_a_back_dated_follow_up_slots_in_and_the_later_ones_move_up(world):
    now = timezone.now()
    log(world.am1, world.c_am1, "一", occurred_at=now - dt.timedelta(days=10))
    log(world.am1, world.c_am1, "三", occurred_at=now - dt.timedelta(days=2))
    log(world.am1, world.c_am1, "四")
    late = log(world.am1, world.c_am1, "二", occurred_at=(now - dt.timedelta(days=5)).isoformat())
    assert late.ordinal == 2
    assert numbered(customer=world.c_am1) == [("一", 1), ("二", 2), ("三", 3), ("四", 4)]
    earliest = log(world.am1, world.c_am1, "零", occurred_at=(now - dt.timedelta(days=30)).date())
    assert earliest.ordinal == 1
    assert [n for _s, n in numbered(customer=world.c_am1)] == [1, 2, 3, 4, 5]


def test_the_same_time_is_ordered_by_entry(world):
    when = timezone.now() - dt.timedelta(hours=1)
    a = log(world.am1, world.c_am1, "a", occurred_at=when)
    b = log(world.am1, world.c_am1, "b", occurred_at=when)
    assert (a.ordinal, b.ordinal) == (1, 2)


def test_a_leads_follow_ups_are_numbered_on_the_lead(world):
    lead = services.create_lead(world.am1, world.h1, name="潜客", source=Source.MARKETING)
    other = services.create_lead(world.am1, world.h1, name="另一个", source=Source.MARKETING)
    assert [log(world.am1, lead, str(i)).ordinal for i in range(3)] == [1, 2, 3]
    assert log(world.am1, other).ordinal == 1


@pytest.mark.parametrize("summary", ["", "   ", "\n\n", "\u200b", "\u200b\u200c\u200d\ufeff", None])
def test_a_follow_up_needs_a_written_summary(world, summary):
    with pytest.raises(ValidationError) as e:
        log(world.am1, world.c_am1, summary)
    assert "summary" in e.value.message_dict
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("kw, field", [({"channel": "fax"}, "channel"), ({"outcome": "maybe"}, "outcome"),
                                       ({"channel": None}, "channel"), ({"occurred_at": "yesterday"}, "occurred_at"),
                                       ({"occurred_at": "1999-12-31T12:00"}, "occurred_at"),
                                       ({"next_on": "2026-02-30"}, "next_on"),
                                       ({"next_on": "2000-01-01", "next_step": "回访"}, "next_on"),
                                       ({"next_step": "x" * 201}, "next_step"),
                                       ({"next_on": "2099-01-01"}, "next_step")])
def test_bad_input_is_refused_and_nothing_is_saved(world, kw, field):
    with pytest.raises(ValidationError) as e:
        log(world.am1, world.c_am1, **kw)
    assert field in e.value.message_dict
    assert not FollowUp.objects.exists() and not Task.objects.exists()


def test_a_follow_up_cannot_be_in_the_future(world):
    with pytest.raises(ValidationError) as e:
        log(world.am1, world.c_am1, occurred_at=timezone.now() + dt.timedelta(hours=1))
    assert "occurred_at" in e.value.message_dict
    assert log(world.am1, world.c_am1, occurred_at=timezone.now() + dt.timedelta(minutes=2)).ordinal == 1  # skew


def test_a_next_step_makes_a_task_for_the_author(world):
    day = world.h1.local_today() + dt.timedelta(days=2)
    f = log(world.am1, world.c_am1, next_step="送样品", next_on=day.isoformat())
    task = Task.objects.get()
    assert (task.customer, task.assignee, task.due_on, task.title, task.done_at) == \
        (world.c_am1, world.am1, day, "送样品", None)
    assert f.next_on == day


def test_who_may_log(world):
    for user in (world.am2, world.am3, world.admin, world.gm2):
        with pytest.raises(NotVisible):
            log(user, world.c_am1)
    for user in (world.am1, world.sm, world.gm, world.desk, world.sup):
        log(user, world.c_am1)
    assert [n for _s, n in numbered(customer=world.c_am1)] == [1, 2, 3, 4, 5]
    lead = services.create_lead(world.am1, world.h1, name="潜客", source=Source.MARKETING)
    with pytest.raises(NotVisible):
        log(world.am2, lead)
    assert isinstance(PermissionDenied(), Exception)


# ---- two at once --------------------------------------------------------------------------------

@pytest.fixture
def shared_db(tmp_path):
    """PostgreSQL: the test database. SQLite: a file copy with the production settings (WAL,
    busy_timeout, BEGIN IMMEDIATE), as in tests/control/test_claims_race.py."""
    with shared_database(tmp_path):
        yield


@pytest.fixture
def slow_renumber(monkeypatch):
    """services.renumber as it is, then a pause inside the caller's transaction: the two
    transactions always overlap."""
    real = services.renumber

    def renumber(**kwargs):
        n = real(**kwargs)
        time.sleep(HOLD)
        return n

    monkeypatch.setattr(services, "renumber", renumber)


@pytest.mark.django_db(transaction=True)
def test_two_follow_ups_logged_at_once_never_share_a_number(world, shared_db, slow_renumber):
    log(world.am1, world.c_am1, "before") if connection.vendor != "sqlite" else None
    results, errors = race(lambda: log(world.am1, world.c_am1, "甲"), lambda: log(world.sm, world.c_am1, "乙"))
    assert errors == [None, None], errors
    ordinals = db_read(lambda: sorted(FollowUp.objects.filter(customer=world.c_am1).values_list("ordinal", flat=True)))
    assert ordinals == list(range(1, len(ordinals) + 1)) and len(ordinals) in (2, 3)
    assert db_read(lambda: in_time_order(customer=world.c_am1))


@pytest.mark.django_db(transaction=True)
def test_two_follow_ups_of_a_lead_at_once_never_share_a_number(world, shared_db, slow_renumber):
    lead = db_read(lambda: services.create_lead(world.am1, world.h1, name="潜客", source=Source.MARKETING))
    results, errors = race(lambda: log(world.am1, lead, "甲", outcome="no_answer"),
                           lambda: log(world.gm, lead, "乙", outcome="no_answer"),
                           lambda: log(world.sm, lead, "丙", outcome="no_answer"))
    assert errors == [None, None, None], errors
    assert db_read(lambda: sorted(FollowUp.objects.filter(lead=lead).values_list("ordinal", flat=True))) == [1, 2, 3]
    assert db_read(lambda: in_time_order(lead=lead))
    # (each caller's copy holds its number at its commit: a later commit with an earlier time moves it up)
    assert db_read(lambda: Lead.objects.get(pk=lead.pk).stage) == Stage.TARGET
