"""R-7.4 / R-7.6: an open task past its due day and an open commitment past its date are
escalated once each to the sales manager of whoever it falls to (or the property's general
managers when there is none), as an in-app notification (core.models.Notification); done
items and items due today are not; "past" is on the property's local calendar."""

import datetime as dt

import pytest
from django.utils import translation

from tests.conftest import make_customer, make_user
from yingke.core import notify
from yingke.core.models import Notification
from yingke.core.roles import Role
from yingke.tracking import cadence, services
from yingke.tracking.models import Source, Task, TaskRole


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def today(world):
    return world.h1.local_today()


def noon(world, days=0):
    return world.h1.day_start(today(world) + dt.timedelta(days=days), dt.time(12))


def task(world, customer=None, due_days=-1, lead=None, **kw):
    """A task made well before its due day (a task made today is given the day: see below)."""
    kw.setdefault("created_at", world.h1.day_start(today(world) + dt.timedelta(days=min(due_days, 0) - 5)))
    return Task.objects.create(property=world.h1, customer=customer, lead=lead, title=kw.pop("title", "回访"),
                               due_on=today(world) + dt.timedelta(days=due_days), **kw)


def notes(user=None, **kw):
    qs = Notification.objects.filter(**kw)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs.order_by("id"))


def test_an_overdue_task_goes_to_the_owners_sales_manager_once(world):
    t = task(world, world.c_am1, title="第二次回访")
    first = cadence.escalate(world.h1, now=noon(world))
    again = cadence.escalate(world.h1, now=noon(world, 1))
    assert first == {"tasks": 1, "commitments": 0} and again == {"tasks": 0, "commitments": 0}
    sent = notes()
    assert [(n.user, n.kind) for n in sent] == [(world.sm, "tracking.tasks_overdue")]
    assert sent[0].link == f"/customers/{world.c_am1.pk}/" or str(world.c_am1.pk) in sent[0].link
    text = notify.text(sent[0])
    assert "第二次回访" in text and "张三" in text and "am1" in text
    assert Task.objects.get(pk=t.pk).escalated_at == noon(world)


def test_a_task_due_today_is_not_overdue_yet(world):
    task(world, world.c_am1, due_days=0)
    assert cadence.escalate(world.h1, now=noon(world))["tasks"] == 0
    assert cadence.escalate(world.h1, now=world.h1.day_start(today(world) + dt.timedelta(days=1)))["tasks"] == 1


def test_overdue_is_decided_on_the_local_calendar(world):
    """07:00 in Shanghai is 23:00 UTC the day before: a task due yesterday (local) is overdue
    then, though the UTC date is still its due day."""
    task(world, world.c_am1, due_days=-1)
    seven = world.h1.day_start(today(world), dt.time(7))
    assert seven.date() == today(world) - dt.timedelta(days=1)  # the UTC date
    assert cadence.escalate(world.h1, now=seven)["tasks"] == 1
    task(world, world.c_am2, due_days=0)
    late_evening = world.h1.day_start(today(world), dt.time(23, 59))
    assert cadence.escalate(world.h1, now=late_evening)["tasks"] == 0


def test_a_task_made_late_gives_its_person_a_day(world):
    """A task the scheduler caught up today (due yesterday) is escalated tomorrow, not today."""
    late = task(world, world.c_am1, due_days=-1, created_at=noon(world) - dt.timedelta(hours=1))
    assert cadence.escalate(world.h1, now=noon(world))["tasks"] == 0
    assert cadence.escalate(world.h1, now=noon(world, 1))["tasks"] == 1
    assert Task.objects.get(pk=late.pk).escalated_at == noon(world, 1)


def test_without_a_sales_manager_the_general_managers_are_told(world):
    make_user("gm_b", Role.GENERAL_MANAGER, world.h1)
    task(world, world.c_am3)  # am3 reports to nobody
    task(world, world.c_am1, role=TaskRole.SUPERVISOR)  # a supervisor's: nobody by name
    task(world, world.c_pool)  # the pool's
    sm_file = make_customer(world.h1, "S01", "经理的", owner=world.sm)
    task(world, sm_file)  # the sales manager's own file: no sales manager above them
    assert cadence.escalate(world.h1, now=noon(world))["tasks"] == 4
    assert {n.user.username for n in notes()} == {"gm", "gm_b"}
    assert len(notes(world.gm)) == 4 and not notes(world.gm2) and not notes(world.sm)


def test_an_inactive_sales_manager_is_passed_over(world):
    world.sm.is_active = False
    world.sm.save()
    task(world, world.c_am1)
    cadence.escalate(world.h1, now=noon(world))
    assert [n.user for n in notes()] == [world.gm]


def test_the_assignee_is_who_it_falls_to(world):
    task(world, world.c_pool, assignee=world.am2)
    cadence.escalate(world.h1, now=noon(world))
    sent = notes()
    assert [n.user for n in sent] == [world.sm] and "am2" in notify.text(sent[0])


def test_a_leads_task_escalates_with_a_link_to_the_lead(world):
    lead = services.create_lead(world.am1, world.h1, name="潜客", source=Source.MARKETING)
    task(world, lead=lead)
    cadence.escalate(world.h1, now=noon(world))
    sent = notes()
    assert [n.user for n in sent] == [world.sm] and f"/{lead.pk}/" in sent[0].link
    assert "潜客" in notify.text(sent[0])


def test_done_items_are_not_escalated(world):
    t = task(world, world.c_am1, due_days=0)
    services.complete_task(world.am1, t, channel="phone", outcome="reached", summary="打过了")
    c = services.add_commitment(world.am1, world.c_am1, promised="送水果", due_on=today(world))
    services.keep_commitment(world.am1, c, "送了")
    assert cadence.escalate(world.h1, now=noon(world, 3)) == {"tasks": 0, "commitments": 0}
    assert not notes()


def test_an_overdue_commitment_goes_to_the_owners_sales_manager_once(world):
    c = services.add_commitment(world.am2, world.c_am2, promised="送生日蛋糕", to_whom="单总", due_on=today(world))
    services.add_commitment(world.am3, world.c_am3, promised="打折", due_on=today(world))
    assert cadence.escalate(world.h1, now=noon(world)) == {"tasks": 0, "commitments": 0}
    assert cadence.escalate(world.h1, now=noon(world, 1)) == {"tasks": 0, "commitments": 2}
    assert cadence.escalate(world.h1, now=noon(world, 2)) == {"tasks": 0, "commitments": 0}
    to_sm = notes(world.sm)
    assert [n.kind for n in to_sm] == ["tracking.commitments_overdue"]
    assert "送生日蛋糕" in notify.text(to_sm[0]) and "am2" in notify.text(to_sm[0])
    assert [n.user for n in notes(key__contains=":commitments:")] == [world.sm, world.gm]
    from yingke.tracking.models import Commitment
    assert Commitment.objects.get(pk=c.pk).escalated_at is not None


def test_the_scheduler_escalates_and_counts_per_property(world):
    task(world, world.c_am1)
    services.add_commitment(world.am1, world.c_am1, promised="回电", due_on=today(world) - dt.timedelta(days=1))
    run = cadence.run_scheduler(now=noon(world, 1), properties=[world.h1])  # the promise was recorded today
    assert run.escalated == 2
    assert run.details["H1"]["escalated"] == {"tasks": 1, "commitments": 1}
    assert cadence.run_scheduler(now=noon(world, 1), properties=[world.h1]).escalated == 0
    assert len(notes(world.sm)) == 2


def test_other_properties_are_their_own(world):
    Task.objects.create(property=world.h2, customer=world.c_h2, title="H2", due_on=world.h2.local_today()
                        - dt.timedelta(days=1), created_at=noon(world, -3))
    assert cadence.escalate(world.h1, now=noon(world)) == {"tasks": 0, "commitments": 0}
    assert cadence.escalate(world.h2, now=noon(world))["tasks"] == 1
    assert [n.user for n in notes()] == [world.gm2]


def test_the_unread_count_goes_up_once(world):
    task(world, world.c_am1)
    cadence.escalate(world.h1, now=noon(world))
    Task.objects.update(escalated_at=None)  # even if asked again, the key is sent once
    cadence.escalate(world.h1, now=noon(world))
    world.sm.refresh_from_db()
    assert world.sm.unread_notifications == 1 and len(notes(world.sm)) == 1
