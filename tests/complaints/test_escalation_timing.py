"""R-8.3: time limits and escalation with a frozen clock (`now=` everywhere). An overdue step
escalates to the lobby manager (front desk role) once its limit has passed, to the general
manager one more limit later; on calendar or business hours; running the job twice escalates
once; one notification per recipient; an advanced or archived complaint stops escalating."""

import datetime as dt

import pytest
from django.utils import translation

from tests.conftest import make_user
from yingke.complaints import escalation, services
from yingke.complaints.models import Complaint, Escalation, Step
from yingke.core import notify
from yingke.core.models import Notification
from yingke.core.roles import Role

H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)


def local(prop, y, m, d, hour, minute=0):
    return dt.datetime(y, m, d, hour, minute, tzinfo=prop.zone)


@pytest.fixture
def t0(world):
    return local(world.h1, 2026, 3, 10, 11)  # a Tuesday, 11:00 in Shanghai


def record(world, at, severity="medium", customer="c_am1"):
    return services.record(world.desk, world.h1, kind="food", severity=severity, words="汤是凉的",
                           customer=getattr(world, customer) if customer else None, now=at)


def escalations(c):
    return sorted(Escalation.objects.filter(complaint=c).values_list("step", "level"))


def notified(c):
    return sorted(Notification.objects.filter(key__startswith=f"complaint:{c.pk}:step:")
                  .values_list("user__username", "args__level"))


def test_level_one_after_the_limit_level_two_after_another(world, t0):
    c = record(world, t0)  # medium: apologise within 1 hour
    assert services.due_at(c) == t0 + H
    assert escalation.escalate_overdue(now=t0 + H) == 0  # due, not yet overdue
    assert escalation.escalate_overdue(now=t0 + H + MIN) == 1
    assert escalations(c) == [(Step.APOLOGISED, 1)]
    assert notified(c) == [("desk", 1)]
    assert escalation.escalate_overdue(now=t0 + 2 * H) == 0  # the second limit not yet over
    assert escalation.escalate_overdue(now=t0 + 2 * H + MIN) == 1
    assert escalations(c) == [(Step.APOLOGISED, 1), (Step.APOLOGISED, 2)]
    assert notified(c) == [("desk", 1), ("gm", 2)]
    e = Escalation.objects.get(complaint=c, level=2)
    assert e.due_at == t0 + 2 * H and e.created_at == t0 + 2 * H + MIN


def test_a_late_first_run_makes_both_levels_at_once(world, t0):
    c = record(world, t0, severity="critical")  # 15 minutes
    assert escalation.escalate_overdue(now=t0 + 3 * H) == 2
    assert escalations(c) == [(Step.APOLOGISED, 1), (Step.APOLOGISED, 2)]


def test_running_twice_escalates_once(world, t0):
    c = record(world, t0)
    later = t0 + 5 * H
    assert escalation.escalate_overdue(now=later) == 2
    counts = (Escalation.objects.count(), Notification.objects.count())
    assert escalation.escalate_overdue(now=later) == 0
    assert escalation.escalate_overdue(now=later + 24 * H) == 0
    assert (Escalation.objects.count(), Notification.objects.count()) == counts
    assert escalations(c) == [(Step.APOLOGISED, 1), (Step.APOLOGISED, 2)]


def test_a_notification_row_per_recipient_of_the_property_only(world, t0):
    desk2 = make_user("desk2", Role.FRONT_DESK, world.h1)
    gone = make_user("desk_gone", Role.FRONT_DESK, world.h1)
    gone.is_active = False
    gone.save()
    make_user("desk_h2", Role.FRONT_DESK, world.h2)
    c = record(world, t0)
    escalation.escalate_overdue(now=t0 + H + MIN)
    assert notified(c) == [("desk", 1), ("desk2", 1)]
    n = Notification.objects.get(user=desk2)
    assert n.kind == "complaint.escalation" and n.link == f"/complaints/{c.pk}/" and n.read_at is None
    assert c.reference in notify.text(n)
    with translation.override("en"):
        assert c.reference in notify.text(n) and "Lobby manager" in notify.text(n)
    assert notify.unread_count(desk2) == 1 and notify.unread_count(world.gm) == 0


def test_advancing_stops_the_step_and_the_next_step_has_its_own_clock(world, t0):
    c = record(world, t0)
    escalation.escalate_overdue(now=t0 + H + MIN)
    assert [e.complaint_id for e in escalation.open_escalations(world.desk)] == [c.pk]
    c = services.advance(world.desk, c, Step.APOLOGISED, apology="致歉", now=t0 + 90 * MIN)
    assert list(escalation.open_escalations(world.desk)) == []  # the step escalated is done
    assert escalation.escalate_overdue(now=t0 + 3 * H) == 0  # no level 2 for a step done
    # verify: 4 hours after the apology
    assert escalation.escalate_overdue(now=t0 + 90 * MIN + 4 * H) == 0
    assert escalation.escalate_overdue(now=t0 + 90 * MIN + 4 * H + MIN) == 1
    assert escalations(c) == [(Step.APOLOGISED, 1), (Step.VERIFIED, 1)]
    assert [e.step for e in escalation.open_escalations(world.desk)] == [Step.VERIFIED]


def test_archived_complaints_never_escalate(world, t0):
    c = record(world, t0)
    services.resolve_on_the_spot(world.desk, c, apology="致歉", solution="换一份热汤", carried_out="已换",
                                 check_back="客人满意", satisfaction="satisfied", now=t0 + 10 * MIN)
    assert Complaint.objects.get(pk=c.pk).step == Step.ARCHIVED
    assert escalation.escalate_overdue(now=t0 + 30 * 24 * H) == 0
    assert not Escalation.objects.exists() and not Notification.objects.exists()


def test_archiving_after_an_escalation_clears_the_home_panels(world, t0):
    c = record(world, t0)
    escalation.escalate_overdue(now=t0 + 5 * H)
    assert len(escalation.open_escalations(world.gm)) == 1
    services.resolve_on_the_spot(world.desk, c, apology="致歉", solution="退款", carried_out="已退",
                                 check_back="客人接受", satisfaction="partly", now=t0 + 6 * H)
    assert list(escalation.open_escalations(world.gm)) == [] == list(escalation.open_escalations(world.desk))
    assert escalation.escalate_overdue(now=t0 + 100 * H) == 0


def test_business_hours_clock(world):
    h1 = world.h1
    services.save_policy(world.gm, h1, clock="business", business_start=dt.time(9), business_end=dt.time(18),
                         business_days=[1, 2, 3, 4, 5])
    friday_evening = local(h1, 2026, 3, 13, 17, 30)  # Friday 17:30
    c = record(world, friday_evening)  # medium: 1 business hour → Monday 09:30
    monday = local(h1, 2026, 3, 16, 9, 30)
    assert services.due_at(c) == monday
    assert escalation.escalate_overdue(now=friday_evening + 2 * H) == 0  # 19:30 calendar, closed
    assert escalation.escalate_overdue(now=local(h1, 2026, 3, 15, 23, 59)) == 0  # the weekend
    assert escalation.escalate_overdue(now=monday) == 0
    assert escalation.escalate_overdue(now=monday + MIN) == 1
    assert escalation.escalate_overdue(now=monday + H) == 0  # level 2 at 10:30
    assert escalation.escalate_overdue(now=monday + H + MIN) == 1
    assert escalations(c) == [(Step.APOLOGISED, 1), (Step.APOLOGISED, 2)]
    assert Escalation.objects.get(complaint=c, level=2).due_at == monday + H


def test_level_two_crosses_the_close_of_business(world):
    h1 = world.h1
    services.save_policy(world.gm, h1, clock="business", business_start=dt.time(9), business_end=dt.time(18))
    c = record(world, local(h1, 2026, 3, 10, 16, 30))  # due 17:30; level 2 one business hour later
    assert escalation.escalate_overdue(now=local(h1, 2026, 3, 10, 17, 31)) == 1
    assert escalation.escalate_overdue(now=local(h1, 2026, 3, 10, 23, 0)) == 0
    assert escalation.escalate_overdue(now=local(h1, 2026, 3, 11, 9, 31)) == 1
    assert Escalation.objects.get(complaint=c, level=2).due_at == local(h1, 2026, 3, 11, 9, 30)


def test_limits_follow_severity_and_the_policy(world, t0):
    critical = record(world, t0, severity="critical")  # 0.25 h
    low = record(world, t0, severity="low")  # 2 h
    assert escalation.escalate_overdue(now=t0 + 16 * MIN) == 1
    assert escalations(critical) == [(Step.APOLOGISED, 1)] and escalations(low) == []
    limits = {sev: {str(s): 10 for s in range(2, 7)} for sev in ("low", "medium", "high", "critical")}
    services.save_policy(world.gm, world.h1, limits=limits)
    assert escalation.escalate_overdue(now=t0 + 9 * H) == 0  # low now has 10 hours
    assert escalation.escalate_overdue(now=t0 + 10 * H + MIN) == 1
    assert escalations(low) == [(Step.APOLOGISED, 1)]


def test_only_the_properties_asked_and_anonymous_complaints_too(world, t0):
    anonymous = record(world, t0, customer=None)
    other = services.record(world.gm2, world.h2, kind="price", words="太贵", now=t0)
    assert escalation.escalate_overdue(now=t0 + H + MIN, property_ids=[world.h2.pk]) == 1
    assert escalations(anonymous) == [] and escalations(other) == [(Step.APOLOGISED, 1)]
    assert escalation.escalate_overdue(now=t0 + H + MIN) == 1
    assert escalations(anonymous) == [(Step.APOLOGISED, 1)]
    assert [e.complaint_id for e in escalation.open_escalations(world.desk)] == [anonymous.pk]
    assert list(escalation.open_escalations(world.gm2)) == []  # level 1 is not the GM's
    assert list(escalation.open_escalations(world.am1)) == []  # not an escalation role


def test_the_gm_sees_level_two_and_the_lobby_manager_level_one(world, t0):
    c = record(world, t0)
    escalation.escalate_overdue(now=t0 + 5 * H)
    assert [(e.complaint_id, e.level) for e in escalation.open_escalations(world.desk)] == [(c.pk, 1)]
    assert [(e.complaint_id, e.level) for e in escalation.open_escalations(world.gm)] == [(c.pk, 2)]
    assert list(escalation.open_escalations(world.gm2)) == []  # another property


def test_without_a_lobby_manager_level_one_reaches_the_general_manager(world):
    from yingke.complaints import services
    from yingke.complaints.escalation import escalate_overdue

    world.desk.is_active = False
    world.desk.save()
    c = services.record(world.sup, world.h1, kind="food", severity="medium", words="慢")
    assert escalate_overdue(now=c.step_at + dt.timedelta(hours=1, minutes=1)) == 1
    assert world.gm.notifications.filter(kind="complaint.escalation").count() == 1


def test_a_step_waiting_for_approval_escalates_to_the_general_manager(world):
    from yingke.complaints import services
    from yingke.complaints.escalation import escalate_overdue
    from yingke.complaints.models import Step

    c = services.record(world.desk, world.h1, kind="food", severity="medium", words="慢")
    t = c.step_at
    for step, data in ((Step.APOLOGISED, {}), (Step.VERIFIED, {"findings": "属实"})):
        t += dt.timedelta(minutes=10)
        c = services.advance(world.desk, c, step, now=t, **data)
    c = services.advance(world.desk, c, Step.AGREED, solution="免单", compensation="amount",
                         compensation_amount="900")
    assert c.approval_pending
    world.gm.notifications.all().delete()
    assert escalate_overdue(now=c.step_at + dt.timedelta(hours=8, minutes=1)) == 1  # medium: 8 h to agree
    assert world.gm.notifications.filter(kind="complaint.escalation").count() == 1
    assert not world.desk.notifications.filter(kind="complaint.escalation").exists()
