"""Issue 15 points 2–4 in the UI: the task list, the follow-up log, the commitments and the 360
page's card render per role, show only rows the reader may see (others are 404), a task is done
only with a written result (its follow-up then appears on the card with its ordinal), and the
card's queries do not grow with the file's history."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yingke.core.models import AuditEvent
from yingke.tracking import services
from yingke.tracking.models import Commitment, FollowUp, Task, TaskRole

TASKS = reverse("tracking:tasks")
LOG = reverse("tracking:follow_ups")
COMMITMENTS = reverse("tracking:commitments")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def card(customer):
    return reverse("tracking:customer_card", args=[customer.pk])


def task_for(world, customer, title="Call back", days=0, **extra):
    return Task.objects.create(property=customer.property, customer=customer, title=title,
                               due_on=customer.property.local_today() + dt.timedelta(days=days),
                               role=TaskRole.ACCOUNT_MANAGER, **extra)


def done_data(pk, summary="Talked about the banquet in May.", **extra):
    data = {f"task{pk}-channel": "phone", f"task{pk}-outcome": "reached", f"task{pk}-summary": summary}
    data.update({f"task{pk}-{k}": v for k, v in extra.items()})
    return data


# ---- the task list -----------------------------------------------------------------------------

def test_my_tasks_due_first_then_upcoming(client, world):
    overdue = task_for(world, world.c_am1, "Overdue call", days=-2)
    today = task_for(world, world.c_am1, "Call today")
    later = task_for(world, world.c_am1, "Call next week", days=7)
    other = task_for(world, world.c_am2, "Not mine")
    client.force_login(world.am1)
    r = client.get(TASKS)
    assert r.status_code == 200
    body = r.content.decode()
    due_part, upcoming_part = body.split('id="upcoming"')
    assert overdue.title in due_part and today.title in due_part and later.title in upcoming_part
    assert later.title not in due_part and due_part.index(overdue.title) < due_part.index(today.title)
    assert "overdue" in due_part and other.title not in body
    assert reverse("customers:detail", args=[world.c_am1.pk]) in body
    assert reverse("tracking:task_done", args=[overdue.pk]) in body


@pytest.mark.parametrize("who", ["gm", "sm", "am1", "am2", "am3", "desk", "sup", "gm2", "am_h2"])
def test_the_pages_render_for_every_role(client, world, who):
    client.force_login(getattr(world, who))
    for url in (TASKS, LOG, COMMITMENTS):
        r = client.get(url)
        assert r.status_code == 200, (who, url)
        assert " style=" not in r.content.decode() and "<script>" not in r.content.decode()


def test_admin_has_no_task_list(client, world):
    client.force_login(world.admin)
    assert client.get(TASKS).status_code == 403


def test_a_sales_manager_reads_a_team_members_tasks_only(client, world):
    t = task_for(world, world.c_am1, "Team call")
    client.force_login(world.sm)
    r = client.get(TASKS, {"member": world.am1.pk})
    assert r.status_code == 200 and t.title in r.content.decode()
    assert client.get(TASKS, {"member": world.am3.pk}).status_code == 404  # not in the team
    assert client.get(TASKS, {"member": "abc"}).status_code == 404
    assert client.get(TASKS, {"member": "99999999999999999999"}).status_code == 404
    assert client.get(TASKS, {"property": "H2"}).status_code == 404
    client.force_login(world.am1)
    assert client.get(TASKS, {"member": world.am2.pk}).status_code == 404


def test_a_task_is_not_done_without_a_written_summary(client, world):
    t = task_for(world, world.c_am1)
    client.force_login(world.am1)
    url = reverse("tracking:task_done", args=[t.pk])
    for summary in ("", "   ", "\u200b\u200b"):
        r = client.post(url, done_data(t.pk, summary=summary))
        assert r.status_code == 422, summary
        t.refresh_from_db()
        assert t.done_at is None and not FollowUp.objects.exists()
    r = client.post(url, {**done_data(t.pk), "next": TASKS})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.done_at is not None and t.follow_up.summary == "Talked about the banquet in May."
    r = client.post(url, done_data(t.pk), follow=True)  # a second click: a message, nothing else
    assert "already done" in r.content.decode() and FollowUp.objects.count() == 1


def test_tasks_of_files_one_may_not_see_are_404(client, world):
    t = task_for(world, world.c_am2)
    client.force_login(world.am1)
    assert client.post(reverse("tracking:task_done", args=[t.pk]), done_data(t.pk)).status_code == 404
    client.force_login(world.desk)  # sees the file, but the task is not theirs to do
    assert client.post(reverse("tracking:task_done", args=[t.pk]), done_data(t.pk)).status_code == 403
    t.refresh_from_db()
    assert t.done_at is None


def test_task_export(client, world):
    task_for(world, world.c_am1, "=cmd|calc")
    client.force_login(world.am1)
    r = client.get(reverse("tracking:tasks_export", args=["csv"]))
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "'=cmd|calc" in text and "张三" in text
    assert AuditEvent.objects.filter(action="export", target__startswith="tasks-am1").exists()
    client.force_login(world.desk)
    assert client.get(reverse("tracking:tasks_export", args=["csv"])).status_code == 403


# ---- the follow-up log and commitments ---------------------------------------------------------

def test_the_log_shows_only_visible_follow_ups_with_filters(client, world):
    services.log_follow_up(world.am1, world.c_am1, channel="phone", outcome="reached", summary="Mine one")
    services.log_follow_up(world.am1, world.c_am1, channel="wechat", outcome="interested", summary="Mine two")
    services.log_follow_up(world.am2, world.c_am2, channel="phone", outcome="reached", summary="Theirs")
    client.force_login(world.am1)
    body = client.get(LOG).content.decode()
    assert "Mine one" in body and "Mine two" in body and "Theirs" not in body
    assert "2nd follow-up" in body and "1st follow-up" in body
    body = client.get(LOG, {"channel": "wechat"}).content.decode()
    assert "Mine two" in body and "Mine one" not in body
    for bad in ({"channel": "fax"}, {"date_from": "2026-13-01"}, {"date_from": "9999-12-31"},
                {"author": "\x00"}, {"property": "ZZ"}, {"date_from": "2026-05-02", "date_to": "2026-05-01"}):
        r = client.get(LOG, bad)
        assert r.status_code == 422, bad
    assert client.get(LOG, {"after": "garbage"}).status_code == 200
    client.force_login(world.sm)
    body = client.get(LOG, {"author": world.am2.pk}).content.decode()
    assert "Theirs" in body and "Mine one" not in body


def test_follow_up_log_pages_and_exports(client, world):
    for i in range(30):
        FollowUp.objects.create(property=world.h1, customer=world.c_am1, channel="phone", outcome="reached",
                                summary=f"Call {i:02d}", ordinal=i + 1,
                                occurred_at=world.h1.day_start(dt.date(2026, 1, 1)) + dt.timedelta(hours=i))
    client.force_login(world.am1)
    first = client.get(LOG).content.decode()
    assert "Call 29" in first and "Call 00" not in first and 'rel="next"' in first
    r = client.get(reverse("tracking:follow_ups_export", args=["csv"]), {"channel": "phone"})
    rows = b"".join(r.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 31


def test_commitments_list_and_keep(client, world):
    today = world.h1.local_today()
    late = services.add_commitment(world.am1, world.c_am1, promised="Send the menu", due_on=today)
    Commitment.objects.filter(pk=late.pk).update(due_on=today - dt.timedelta(days=3))
    services.add_commitment(world.am2, world.c_am2, promised="Their promise", due_on=today)
    client.force_login(world.am1)
    body = client.get(COMMITMENTS).content.decode()
    assert "Send the menu" in body and "Their promise" not in body and "overdue" in body
    assert "Send the menu" in client.get(COMMITMENTS, {"state": "overdue"}).content.decode()
    assert "Send the menu" not in client.get(COMMITMENTS, {"state": "kept"}).content.decode()
    assert client.get(COMMITMENTS, {"state": "nonsense"}).status_code == 422
    url = reverse("tracking:commitment_keep", args=[late.pk])
    assert client.post(url, {f"keep{late.pk}-result": ""}).status_code == 422
    r = client.post(url, {f"keep{late.pk}-result": "Sent by WeChat", "next": COMMITMENTS})
    assert r.status_code == 302
    late.refresh_from_db()
    assert late.done_at is not None and late.result == "Sent by WeChat"
    assert "Sent by WeChat" in client.get(COMMITMENTS, {"state": "kept"}).content.decode()
    other = Commitment.objects.get(promised="Their promise")
    assert client.post(reverse("tracking:commitment_keep", args=[other.pk]),
                       {f"keep{other.pk}-result": "x"}).status_code == 404
    r = client.get(reverse("tracking:commitments_export", args=["xlsx"]), {"state": "all"})
    assert r.status_code == 200


# ---- the 360 page's card -----------------------------------------------------------------------

def test_the_card_is_one_section_and_404_outside_the_rule(client, world):
    client.force_login(world.am1)
    r = client.get(card(world.c_am1))
    body = r.content.decode().strip()
    assert r.status_code == 200
    assert body.startswith('<section class="card" id="tracking"') and body.endswith("</section>")
    assert 'hx-trigger="tracking-changed from:body"' in body and 'hx-trigger="load' not in body
    for other in (world.c_am2, world.c_am3, world.c_h2):
        assert client.get(card(other)).status_code == 404
        assert client.post(reverse("tracking:customer_follow_up", args=[other.pk]),
                           {"fu-channel": "phone", "fu-outcome": "reached", "fu-summary": "x"}).status_code == 404
    assert client.get("/tracking/customers/99999999999999999999/card/").status_code == 404
    for who in ("gm", "sm", "desk", "sup"):
        client.force_login(getattr(world, who))
        assert client.get(card(world.c_am1)).status_code == 200, who
    client.force_login(world.admin)
    assert client.get(card(world.c_am1)).status_code == 404


def test_a_completed_task_shows_its_follow_up_with_its_ordinal_on_the_card(client, world):
    for i in range(4):
        services.log_follow_up(world.am1, world.c_am1, channel="phone", outcome="reached", summary=f"Call {i}",
                               occurred_at=dt.datetime(2026, 1, 1 + i, 10, tzinfo=dt.UTC))
    t = task_for(world, world.c_am1, "Fifth call")
    client.force_login(world.am1)
    before = client.get(card(world.c_am1)).content.decode()
    assert "Fifth call" in before and reverse("tracking:task_done", args=[t.pk]) in before
    r = client.post(reverse("tracking:task_done", args=[t.pk]), {**done_data(t.pk, summary="Booked a table"),
                                                                  "card": "1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Trigger"] == "tracking-changed"
    body = r.content.decode()
    assert body.strip().startswith('<section class="card" id="tracking"')
    assert "5th follow-up" in body and "Booked a table" in body
    assert reverse("tracking:task_done", args=[t.pk]) not in body  # no longer open
    # the same from the plain page: back to the file
    t2 = task_for(world, world.c_am1, "Sixth call")
    r = client.post(reverse("tracking:task_done", args=[t2.pk]), {**done_data(t2.pk), "card": "1"})
    assert r.status_code == 302 and r["Location"].endswith(reverse("customers:detail", args=[world.c_am1.pk]) +
                                                           "#tracking")
    assert "6th follow-up" in client.get(card(world.c_am1)).content.decode()


def test_card_forms_log_add_and_promise(client, world):
    client.force_login(world.am1)
    htmx = {"HTTP_HX_REQUEST": "true"}
    url = reverse("tracking:customer_follow_up", args=[world.c_am1.pk])
    r = client.post(url, {"fu-channel": "phone", "fu-outcome": "reached", "fu-summary": ""}, **htmx)
    assert r.status_code == 422 and "HX-Trigger" not in r and "Write down what was said" in r.content.decode()
    r = client.post(url, {"fu-channel": "visit", "fu-outcome": "interested", "fu-summary": "Visited the office",
                          "fu-next_step": "Send the offer", "fu-next_on": str(world.h1.local_today())}, **htmx)
    assert r.status_code == 200 and r["HX-Trigger"] == "tracking-changed"
    assert "1st follow-up" in r.content.decode() and "Send the offer" in r.content.decode()
    assert Task.objects.filter(customer=world.c_am1, title="Send the offer", assignee=world.am1).exists()
    r = client.post(reverse("tracking:customer_task", args=[world.c_am1.pk]),
                    {"nt-title": "Birthday call", "nt-due_on": "2001-01-01"}, **htmx)
    assert r.status_code == 422 and "cannot be in the past" in r.content.decode()
    r = client.post(reverse("tracking:customer_task", args=[world.c_am1.pk]),
                    {"nt-title": "Birthday call", "nt-due_on": str(world.h1.local_today() + dt.timedelta(days=3)),
                     "nt-assignee": str(world.am2.pk)}, **htmx)
    assert r.status_code == 422  # am1 may not assign am2
    r = client.post(reverse("tracking:commitment_add", args=[world.c_am1.pk]),
                    {"nc-promised": "A cake on the birthday", "nc-to_whom": "张先生",
                     "nc-due_on": str(world.h1.local_today())})
    assert r.status_code == 302
    assert Commitment.objects.get(promised="A cake on the birthday").owner == world.am1
    body = client.get(card(world.c_am1)).content.decode()
    assert "A cake on the birthday" in body and reverse("tracking:commitment_keep", args=[
        Commitment.objects.get().pk]) in body


def test_the_card_queries_do_not_grow_with_the_history(client, world):
    client.force_login(world.sm)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(card(world.c_am1)).status_code == 200
        return len(ctx.captured_queries)

    services.log_follow_up(world.am1, world.c_am1, channel="phone", outcome="reached", summary="One")
    task_for(world, world.c_am1)
    services.add_commitment(world.am1, world.c_am1, promised="P", due_on=world.h1.local_today())
    small = count()
    for i in range(8):
        services.log_follow_up(world.am1, world.c_am1, channel="phone", outcome="reached", summary=f"More {i}")
        task_for(world, world.c_am1, f"T{i}", days=i, assignee=world.am2 if i % 2 else None)
        services.add_commitment(world.gm, world.c_am1, promised=f"P{i}", due_on=world.h1.local_today(),
                                owner=world.sm if i % 2 else world.am1)
    assert count() == small <= 12
