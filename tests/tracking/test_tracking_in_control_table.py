"""R-6.4 with R-7.3/R-7.4/R-7.6: the control table's "follow-ups due and overdue" and
"commitments due" sections (tracking.hooks): what falls to the member (assigned to them; an
account manager's task of a file or lead they own), due by the table's day; commitments they
owe due by tomorrow; the team's counts equal each member's table; the page shows them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.conftest import make_customer
from yingke.control import table as control
from yingke.tracking import services
from yingke.tracking.models import Source, Task, TaskRole


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def section(table, key):
    return next(p for p in table["sections"] if p.key == key)


def task(world, subject, due, **kw):
    customer = subject if subject.__class__.__name__ == "Customer" else None
    lead = None if customer else subject
    return Task.objects.create(property=world.h1, customer=customer, lead=lead, title=kw.pop("title", "回访"),
                               due_on=due, **kw)


@pytest.fixture
def work(world):
    """Tasks and commitments around H1's today for am1, am2 and sm."""
    today = world.h1.local_today()
    w = type("Work", (), {"today": today})()
    day = dt.timedelta(days=1)
    w.lead = services.create_lead(world.am1, world.h1, name="潜客甲", source=Source.MARKETING, mobile="13800005555")
    w.mine_today = task(world, world.c_am1, today, title="今天回访")
    w.mine_late = task(world, world.c_am1, today - 3 * day, title="第二次回访")
    task(world, world.c_am1, today + day, title="明天的")  # not due yet
    done = task(world, world.c_am1, today - day, title="做完了")
    services.complete_task(world.am1, done, channel="phone", outcome="reached", summary="好")
    task(world, world.c_am1, today, role=TaskRole.SUPERVISOR, title="主管的")  # the supervisor's
    w.pool_assigned = task(world, world.c_pool, today, assignee=world.am1, title="公共池的")
    task(world, world.c_pool, today, title="没人负责的")  # the pool's: nobody's table
    w.lead_task = task(world, w.lead, today - day, title="联系潜客")
    task(world, world.c_am2, today, title="am2的")
    task(world, world.c_am2, today - 5 * day, assignee=world.sm, title="经理亲自")
    sm_file = make_customer(world.h1, "S001", "经理客户", owner=world.sm)
    task(world, sm_file, today, title="经理的")
    w.promise_late = services.add_commitment(world.am1, world.c_am1, promised="送贺卡", due_on=today - 2 * day)
    services.add_commitment(world.am1, world.c_am1, promised="明天送", due_on=today + day)
    services.add_commitment(world.am1, world.c_am1, promised="下周", due_on=today + 7 * day)
    kept = services.add_commitment(world.am1, world.c_am1, promised="已送", due_on=today)
    services.keep_commitment(world.am1, kept, "送到了")
    services.add_commitment(world.am2, world.c_am2, promised="am2的", due_on=today)
    services.add_commitment(world.sm, world.c_pool, promised="经理的承诺", due_on=today)
    return w


def test_the_follow_ups_due_and_overdue_that_fall_to_the_member(world, work):
    part = section(control.control_table(world.am1, world.am1, world.h1), "follow_ups")
    reasons = [r.reason for r in part.rows]
    assert part.count == 4 and len(reasons) == 4
    assert reasons[0].startswith("第二次回访") and (work.today - dt.timedelta(days=3)).strftime("%m-%d") in reasons[0]
    assert {r.reason.split(" — ")[0] for r in part.rows} == {"今天回访", "第二次回访", "公共池的", "联系潜客"}
    assert [r.date for r in part.rows] == sorted(r.date for r in part.rows)  # the oldest first
    lead_row = next(r for r in part.rows if r.name == "潜客甲")
    assert lead_row.url == reverse("tracking:lead", args=[work.lead.pk]) and lead_row.code == ""
    assert lead_row.mobile == "13800005555"
    file_row = next(r for r in part.rows if r.reason.startswith("今天回访"))
    assert (file_row.id, file_row.code, file_row.url) == (world.c_am1.pk, "C001", "")
    assert part.tracked and f"member={world.am1.pk}" in part.link


def test_the_sales_manager_and_the_supervisor_see_their_own_tasks(world, work):
    sm = section(control.control_table(world.sm, world.sm, world.h1), "follow_ups")
    assert {r.reason.split(" — ")[0] for r in sm.rows} == {"经理亲自", "经理的"}
    sup = services.open_tasks_for(world.sup, world.h1, work.today)
    assert [t.title for t in sup] == ["主管的"]


def test_the_commitments_due_by_tomorrow(world, work):
    part = section(control.control_table(world.am1, world.am1, world.h1), "commitments")
    assert part.count == 2
    assert "送贺卡" in part.rows[0].reason and "明天送" in part.rows[1].reason
    assert part.rows[0].date == work.today - dt.timedelta(days=2) and part.rows[0].code == "C001"


def test_a_later_day_lists_what_will_be_due(world, work):
    later = work.today + dt.timedelta(days=1)
    part = section(control.control_table(world.am1, world.am1, world.h1, later), "follow_ups")
    assert part.count == 5  # tomorrow's task too
    assert section(control.control_table(world.am1, world.am1, world.h1, later + dt.timedelta(days=5)),
                   "commitments").count == 3


@pytest.mark.parametrize("reader", ["sm", "gm"])
def test_the_team_counts_equal_each_members_table(world, work, reader):
    reader = getattr(world, reader)
    team = control.team_table(reader, world.h1)
    for line in team["members"]:
        own = control.control_table(reader, line["member"], world.h1)
        for key in ("follow_ups", "commitments"):
            assert line["counts"][key] == section(own, key).count, (line["member"], key)
    counts = {line["member"].username: (line["counts"]["follow_ups"], line["counts"]["commitments"])
              for line in team["members"]}
    assert counts["am1"] == (4, 2) and counts["am2"] == (1, 1) and counts["sm"] == (2, 1)


def test_a_task_moves_off_the_table_once_done(world, work):
    services.complete_task(world.am1, work.mine_late, channel="visit", outcome="interested", summary="拜访了")
    assert section(control.control_table(world.am1, world.am1, world.h1), "follow_ups").count == 3
    services.keep_commitment(world.sm, work.promise_late, "经理代办")
    assert section(control.control_table(world.am1, world.am1, world.h1), "commitments").count == 1


def test_a_task_follows_its_file_to_the_new_owner(world, work):
    from yingke.control import ownership
    from yingke.control.models import Assignment

    ownership.move(world.gm, [world.c_am1.pk], world.am2, rule=Assignment.Rule.MANUAL, reason="调整")
    am2 = {r.reason.split(" — ")[0] for r in section(control.control_table(world.am2, world.am2, world.h1),
                                                      "follow_ups").rows}
    am1 = {r.reason.split(" — ")[0] for r in section(control.control_table(world.am1, world.am1, world.h1),
                                                      "follow_ups").rows}
    assert {"今天回访", "第二次回访"} <= am2 and not {"今天回访", "第二次回访"} & am1
    assert "公共池的" in am1  # assigned to am1 by name: stays


def test_the_page_lists_them(client, world, work):
    client.cookies["django_language"] = "en"
    client.force_login(world.am1)
    body = client.get(reverse("control:today")).content.decode()
    assert "今天回访" in body and "联系潜客" in body and "送贺卡" in body
    assert reverse("tracking:lead", args=[work.lead.pk]) in body
    assert "am2的" not in body and "经理的" not in body


def test_a_task_is_assigned_only_to_someone_who_sees_its_file(world):
    with pytest.raises(ValidationError) as e:
        services.add_task(world.sm, world.c_am1, title="帮忙", due_on=world.h1.local_today(), assignee=world.am2)
    assert "assignee" in e.value.message_dict
