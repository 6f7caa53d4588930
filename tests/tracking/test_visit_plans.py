"""R-7.8: monthly visit plans (submitted by the end of the previous month, approved by the sales
manager or the GM, locked once approved) and visit reports (due within two days, logged as a
follow-up with its ordinal, promises become commitments), as services and as pages."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from yingke.core.services import Conflict
from yingke.tracking import plans, services
from yingke.tracking.models import Channel, Commitment, FollowUp, VisitPlan, VisitReport

S = VisitPlan.Status


def today(world):
    return world.h1.local_today()


def next_month(world):
    return plans.next_month(today(world))


def plan_with_line(world, owner, customer, month=None):
    month = month or next_month(world)
    plan = plans.create_plan(owner, world.h1, month)
    plans.add_line(owner, plan, customer=customer, planned_on=month.replace(day=3), purpose="介绍新菜单")
    return plan


def client(user):
    c = Client()
    c.force_login(user)
    return c


# ---- plans ---------------------------------------------------------------------------------

def test_plan_for_next_month_is_on_time_for_this_month_late(world):
    on_time = plan_with_line(world, world.am1, world.c_am1)
    assert plans.submit_plan(world.am1, on_time).late is False
    late = plan_with_line(world, world.am1, world.c_am1, month=today(world).replace(day=1))
    late = plans.submit_plan(world.am1, late)
    assert late.status == S.SUBMITTED and late.late is True


def test_lateness_is_decided_at_the_first_submission(world):
    plan = plan_with_line(world, world.am1, world.c_am1)
    plans.submit_plan(world.am1, plan)
    VisitPlan.objects.filter(pk=plan.pk).update(late=False, status=S.SUBMITTED)
    plan = plans.decide_plan(world.sm, plan, False, "多安排两家企业客户")
    assert plan.status == S.RETURNED and plan.decision_note == "多安排两家企业客户"
    plan = plans.submit_plan(world.am1, plan)
    assert plan.status == S.SUBMITTED and plan.late is False


def test_one_plan_per_month_and_only_current_or_future_months(world):
    plans.create_plan(world.am1, world.h1, next_month(world))
    with pytest.raises(Conflict):
        plans.create_plan(world.am1, world.h1, next_month(world).strftime("%Y-%m"))
    last_month = (today(world).replace(day=1) - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as e:
        plans.create_plan(world.am1, world.h1, last_month)
    assert "month" in e.value.message_dict
    with pytest.raises(PermissionDenied):
        plans.create_plan(world.desk, world.h1, next_month(world))
    with pytest.raises(PermissionDenied):
        plans.create_plan(world.gm, world.h1, next_month(world))  # the GM reads and decides plans


def test_lines_are_files_the_owner_sees_on_days_of_the_month(world):
    plan = plans.create_plan(world.am1, world.h1, next_month(world))
    day = plan.month.replace(day=10)
    with pytest.raises(ValidationError) as e:
        plans.add_line(world.am1, plan, customer=world.c_am2, planned_on=day, purpose="拜访")
    assert "customer" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        plans.add_line(world.am1, plan, customer=world.c_am1, planned_on=plans.next_month(plan.month), purpose="拜访")
    assert "planned_on" in e.value.message_dict
    with pytest.raises(ValidationError):
        plans.add_line(world.am1, plan, customer=world.c_h2, planned_on=day, purpose="拜访")
    plans.add_line(world.am1, plan, customer=world.c_pool, planned_on=day, purpose="拜访")
    assert plan.visits.count() == 1


def test_submit_needs_a_line(world):
    plan = plans.create_plan(world.am1, world.h1, next_month(world))
    with pytest.raises(ValidationError):
        plans.submit_plan(world.am1, plan)


def test_only_their_sales_manager_or_the_gm_decides(world):
    plan = plans.submit_plan(world.am1, plan_with_line(world, world.am1, world.c_am1))
    for outsider in (world.am1, world.am2, world.am3, world.desk, world.gm2):
        with pytest.raises(PermissionDenied):
            plans.decide_plan(outsider, plan, True)
    outside_team = plans.submit_plan(world.am3, plan_with_line(world, world.am3, world.c_am3))
    with pytest.raises(PermissionDenied):  # am3 is not in sm's team
        plans.decide_plan(world.sm, outside_team, True)
    assert plans.decide_plan(world.gm, outside_team, True).status == S.APPROVED
    assert plans.decide_plan(world.sm, plan, True).decided_by == world.sm


def test_returning_needs_a_note_and_only_a_submitted_plan_is_decided(world):
    plan = plan_with_line(world, world.am1, world.c_am1)
    with pytest.raises(Conflict):
        plans.decide_plan(world.sm, plan, True)
    plans.submit_plan(world.am1, plan)
    with pytest.raises(ValidationError):
        plans.decide_plan(world.sm, plan, False, "")
    plans.decide_plan(world.sm, plan, True)
    with pytest.raises(Conflict):
        plans.decide_plan(world.gm, plan, False, "再想想")


def test_an_approved_plan_is_locked_a_returned_one_is_editable(world):
    plan = plan_with_line(world, world.am1, world.c_am1)
    plans.submit_plan(world.am1, plan)
    with pytest.raises(Conflict):  # submitted: waits for the manager
        plans.add_line(world.am1, plan, customer=world.c_am1, planned_on=plan.month, purpose="再访")
    plans.decide_plan(world.sm, plan, False, "请补充")
    plans.add_line(world.am1, plan, customer=world.c_pool, planned_on=plan.month, purpose="再访")
    plans.submit_plan(world.am1, plan)
    plans.decide_plan(world.sm, plan, True)
    line = plan.visits.first()
    with pytest.raises(Conflict):
        plans.add_line(world.am1, plan, customer=world.c_am1, planned_on=plan.month, purpose="再访")
    with pytest.raises(Conflict):
        plans.remove_line(world.am1, line)
    with pytest.raises(Conflict):
        plans.set_lines(world.am1, plan, [])
    with pytest.raises(Conflict):
        plans.submit_plan(world.am1, plan)
    assert plan.visits.count() == 2


def test_only_the_owner_edits_their_plan(world):
    plan = plan_with_line(world, world.am1, world.c_am1)
    with pytest.raises(PermissionDenied):
        plans.add_line(world.sm, plan, customer=world.c_am1, planned_on=plan.month, purpose="x")
    with pytest.raises(PermissionDenied):
        plans.submit_plan(world.sm, plan)


def test_who_sees_a_plan(world):
    p1 = plan_with_line(world, world.am1, world.c_am1)
    p3 = plan_with_line(world, world.am3, world.c_am3)
    seen = {name: set(plans.plans_visible_to(getattr(world, name)).values_list("pk", flat=True))
            for name in ("gm", "sm", "am1", "am2", "am3", "desk", "sup", "admin", "gm2", "am_h2")}
    assert seen == {"gm": {p1.pk, p3.pk}, "sm": {p1.pk}, "am1": {p1.pk}, "am2": set(), "am3": {p3.pk},
                    "desk": set(), "sup": set(), "admin": set(), "gm2": set(), "am_h2": set()}


# ---- reports -------------------------------------------------------------------------------

def test_report_logs_a_visit_follow_up_with_its_ordinal_and_promises_become_commitments(world):
    from django.utils import timezone

    services.log_follow_up(world.am1, world.c_am1, channel=Channel.PHONE, outcome="reached", summary="约拜访时间",
                           occurred_at=timezone.now() - dt.timedelta(days=3))
    visited = today(world) - dt.timedelta(days=1)
    report = plans.create_report(
        world.am1, world.c_am1, visited_on=visited, purpose="介绍宴会套餐", outcome="客户有意向\n下月谈细节",
        next_steps="发报价单", promises=[
            {"promised": "发送宴会报价", "to_whom": "王秘书", "due_on": visited + dt.timedelta(days=3)},
            {"promised": "安排试菜", "due_on": visited + dt.timedelta(days=10)}])
    assert report.late is False and report.owner == world.am1
    fu = FollowUp.objects.get(pk=report.follow_up_id)
    assert (fu.channel, fu.ordinal, fu.customer_id) == (Channel.VISIT, 2, world.c_am1.pk)
    assert world.h1.local_day(fu.occurred_at) == visited
    promised = Commitment.objects.filter(visit_report=report).order_by("due_on")
    assert [(c.promised, c.to_whom, c.owner_id, c.customer_id) for c in promised] == [
        ("发送宴会报价", "王秘书", world.am1.pk, world.c_am1.pk), ("安排试菜", "", world.am1.pk, world.c_am1.pk)]


def test_report_late_after_two_days(world):
    t = today(world)
    on_time = plans.create_report(world.am1, world.c_am1, visited_on=t - dt.timedelta(days=VisitReport.DUE_DAYS),
                                  purpose="回访", outcome="满意")
    late = plans.create_report(world.am1, world.c_am1, visited_on=t - dt.timedelta(days=VisitReport.DUE_DAYS + 1),
                               purpose="回访", outcome="满意")
    assert (on_time.late, late.late) == (False, True)
    todays = plans.create_report(world.am1, world.c_am1, visited_on=t, purpose="回访", outcome="满意")
    assert todays.late is False


def test_report_bad_input_changes_nothing(world):
    t = today(world)
    cases = [
        {"visited_on": t + dt.timedelta(days=1)},  # the future
        {"purpose": "  "},
        {"outcome": ""},
        {"promises": [{"promised": "报价", "due_on": t - dt.timedelta(days=5)}]},  # due before the visit
        {"promises": [{"promised": "", "due_on": t}]},
        {"promises": [{"promised": "x", "due_on": "2026-02-30"}]},
        {"planned": 999999},
    ]
    for extra in cases:
        data = {"visited_on": t, "purpose": "回访", "outcome": "满意", **extra}
        with pytest.raises(ValidationError):
            plans.create_report(world.am1, world.c_am1, **data)
    assert not VisitReport.objects.exists() and not FollowUp.objects.exists() and not Commitment.objects.exists()


def test_report_only_on_visible_files_by_managers(world):
    from django.http import Http404

    with pytest.raises(Http404):
        plans.create_report(world.am1, world.c_am2, visited_on=today(world), purpose="x", outcome="y")
    with pytest.raises(PermissionDenied):
        plans.create_report(world.desk, world.c_am1, visited_on=today(world), purpose="x", outcome="y")


def test_planned_lines_are_due_then_late_and_reported_once(world):
    t = today(world)
    plan = plans.create_plan(world.am1, world.h1, t)
    for back in (0, 1, 3):
        day = t - dt.timedelta(days=back)
        if day.month == t.month:
            plans.add_line(world.am1, plan, customer=world.c_am1, planned_on=day, purpose=f"拜访{back}")
    plans.submit_plan(world.am1, plan)
    states = {line.purpose: plans.line_state(line, t) for line in plan.visits.all()}
    expected = {"拜访0": "planned", "拜访1": "due", "拜访3": "late"}
    assert states == {k: v for k, v in expected.items() if k in states}
    awaiting = plans.lines_awaiting_report(world.am1)
    assert {line.purpose: line.state for line in awaiting} == {k: v for k, v in states.items() if v != "planned"}
    line = plan.visits.order_by("planned_on").first()
    plans.create_report(world.am1, world.c_am1, visited_on=line.planned_on, purpose="x", outcome="y", planned=line)
    assert plans.line_state(plan.visits.get(pk=line.pk), t) == "reported"
    with pytest.raises(Conflict):
        plans.create_report(world.am1, world.c_am1, visited_on=line.planned_on, purpose="x", outcome="y", planned=line)
    with pytest.raises(ValidationError):  # another owner's line
        plans.create_report(world.sm, world.c_am1, visited_on=line.planned_on, purpose="x", outcome="y",
                            planned=plan.visits.exclude(pk=line.pk).first() or line)


# ---- pages ---------------------------------------------------------------------------------

def test_plan_pages_flow(world):
    am1, sm = client(world.am1), client(world.sm)
    month = next_month(world)
    r = am1.post(reverse("tracking:plan_new"), {"property": "H1", "month": month.strftime("%Y-%m")})
    plan = VisitPlan.objects.get(owner=world.am1)
    assert r.status_code == 302 and r.url == reverse("tracking:plan", args=[plan.pk])
    r = am1.post(reverse("tracking:plan_line_add", args=[plan.pk]),
                 {"customer_code": "C002", "planned_on": month.replace(day=5).isoformat(), "purpose": "拜访"})
    assert r.status_code == 422  # am2's guest: not one am1 sees
    r = am1.post(reverse("tracking:plan_line_add", args=[plan.pk]),
                 {"customer_code": "c001", "planned_on": month.replace(day=5).isoformat(), "purpose": "拜访"})
    assert r.status_code == 302 and plan.visits.count() == 1
    assert am1.post(reverse("tracking:plan_submit", args=[plan.pk])).status_code == 302
    page = sm.get(reverse("tracking:plans"))
    assert page.status_code == 200 and "plans-waiting" in page.content.decode()
    r = sm.post(reverse("tracking:plan_decide", args=[plan.pk]), {"decision": "return", "note": ""})
    assert r.status_code == 422
    r = sm.post(reverse("tracking:plan_decide", args=[plan.pk]), {"decision": "approve"})
    plan.refresh_from_db()
    assert r.status_code == 302 and plan.status == S.APPROVED
    assert am1.get(reverse("tracking:plan", args=[plan.pk])).status_code == 200
    r = am1.post(reverse("tracking:plan_line_add", args=[plan.pk]),
                 {"customer_code": "C001", "planned_on": month.replace(day=6).isoformat(), "purpose": "再访"})
    assert r.status_code == 302 and plan.visits.count() == 1  # locked: a message, nothing added


def test_visit_report_pages(world):
    am1 = client(world.am1)
    visited = today(world) - dt.timedelta(days=3)
    r = am1.post(reverse("tracking:visit_report_new") + f"?customer={world.c_am1.pk}", {
        "visited_on": visited.isoformat(), "purpose": "回访", "outcome": "客户满意", "follow_up_outcome": "interested",
        "promised_1": "寄送会员卡", "to_whom": "", "due_on_1": today(world).isoformat()})
    report = VisitReport.objects.get()
    assert r.status_code == 302 and report.late is True and report.commitments.count() == 1
    listing = am1.get(reverse("tracking:visit_reports")).content.decode()
    assert "回访" in listing
    assert am1.get(reverse("tracking:visit_report", args=[report.pk])).status_code == 200
    r = am1.post(reverse("tracking:visit_report_new"), {
        "customer_code": "C001", "visited_on": visited.isoformat(), "purpose": "回访", "outcome": "x",
        "follow_up_outcome": "reached", "promised_1": "报价", "due_on_1": (visited - dt.timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and VisitReport.objects.count() == 1


@pytest.mark.parametrize("who,status", [("am2", 404), ("am3", 404), ("desk", 404), ("gm2", 404), ("admin", 404),
                                        ("sm", 200), ("gm", 200), ("am1", 200)])
def test_plan_and_report_pages_404_outside_the_rule(world, who, status):
    plan = plan_with_line(world, world.am1, world.c_am1)
    report = plans.create_report(world.am1, world.c_am1, visited_on=today(world), purpose="x", outcome="y")
    c = client(getattr(world, who))
    got = c.get(reverse("tracking:plan", args=[plan.pk])).status_code
    assert got == (status if who not in ("desk", "admin") else 403)
    report_status = c.get(reverse("tracking:visit_report", args=[report.pk])).status_code
    if who in ("desk", "admin"):
        assert report_status == 403
    else:
        assert report_status == (404 if who in ("am2", "am3", "gm2") else 200)
    for name in ("plan_submit", "plan_decide"):
        assert c.post(reverse(f"tracking:{name}", args=[plan.pk])).status_code in ((404,) if status == 404 else
                                                                                  (302, 403, 422))
    new_report = c.get(reverse("tracking:visit_report_new") + f"?customer={world.c_am3.pk}").status_code
    assert new_report == {"gm": 200, "am3": 200, "desk": 403, "admin": 403}.get(who, 404)
