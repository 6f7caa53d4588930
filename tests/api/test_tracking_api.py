"""The tracking API (issue 15 point 9): leads, follow-ups, tasks, commitments, cadence rules and
scheduler runs under the row-level rule of files — every endpoint per role, 404 outside the rule
(422 on a body's id), bad input 422 changing nothing, conflicts 409, ordinals, conversion with
duplicates, masked mobiles, paging."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import ApiClient, token_client
from tests.api.test_odd_unicode import odd_text
from yingke.core.services import clean_paragraphs
from yingke.customers.identity import mask_mobile
from yingke.customers.models import Customer
from yingke.tracking import services
from yingke.tracking.cadence import run_scheduler
from yingke.tracking.models import CadenceRule, Commitment, FollowUp, Lead, SchedulerRun, Task

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
ROLES = ["gm", "sm", "am1", "am2", "am3", "desk", "sup", "admin", "gm2"]
MOBILE = "13800138000"
# Who sees which lead (the rule of files): am1's and am3's leads of H1, am_h2's of H2.
SEES = {
    "l1": {"gm", "sm", "am1", "desk", "sup"},
    "l3": {"gm", "am3", "desk", "sup"},
    "lh2": {"gm2"},
}
TRACKERS = {"gm", "sm", "am1", "am2", "am3", "gm2"}  # may open leads in their property


@pytest.fixture
def tw(world):
    w = world
    w.l1 = services.create_lead(w.am1, w.h1, name="王五", mobile=MOBILE, employer="迎客科技", source="marketing")
    w.l3 = services.create_lead(w.am3, w.h1, name="赵六", source="door_to_door")
    w.lh2 = services.create_lead(w.am_h2, w.h2, name="钱七", source="events")
    return w


def api(w, role) -> ApiClient:
    if role == "anonymous":
        return ApiClient(Client(), {})
    return token_client(getattr(w, role))


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def today():
    return dt.date.today()


# ---- the document ------------------------------------------------------------------------------

OPERATIONS = {
    ("get", "/api/tracking/leads"), ("post", "/api/tracking/leads"), ("get", "/api/tracking/leads/{lead_id}"),
    ("patch", "/api/tracking/leads/{lead_id}"), ("post", "/api/tracking/leads/{lead_id}/stage"),
    ("post", "/api/tracking/leads/{lead_id}/drop"), ("post", "/api/tracking/leads/{lead_id}/reopen"),
    ("get", "/api/tracking/leads/{lead_id}/possible-files"), ("post", "/api/tracking/leads/{lead_id}/convert"),
    ("get", "/api/tracking/follow-ups"), ("post", "/api/tracking/follow-ups"), ("get", "/api/tracking/tasks"),
    ("post", "/api/tracking/tasks"), ("post", "/api/tracking/tasks/{task_id}/done"),
    ("get", "/api/tracking/commitments"), ("post", "/api/tracking/commitments"),
    ("post", "/api/tracking/commitments/{commitment_id}/keep"), ("get", "/api/tracking/cadence-rules"),
    ("get", "/api/tracking/scheduler-runs"), ("post", "/api/tracking/cadence-rules"),
    ("patch", "/api/tracking/cadence-rules/{rule_id}"), ("post", "/api/tracking/scheduler-runs"),
}


def test_every_operation_is_documented_with_its_answers(client):
    schema = client.get("/api/openapi.json").json()
    found = {(m, p) for p, ops in schema["paths"].items() if p.startswith("/api/tracking/") for m in ops}
    assert OPERATIONS <= found
    for method, path in OPERATIONS:
        op = schema["paths"][path][method]
        assert op["tags"] == ["tracking"]
        assert {"200", "201"} & set(op["responses"]), (method, path)
        assert {"401", "403", "422"} <= set(op["responses"]), (method, path)
    assert "ordinal" in schema["components"]["schemas"]["FollowUpOut"]["properties"]
    listed = {p["name"] for p in schema["paths"]["/api/tracking/leads"]["get"]["parameters"]}
    assert {"stage", "source", "owner", "state", "q", "cursor", "limit"} <= listed


def test_nobody_logged_in_gets_401(tw):
    anon = api(tw, "anonymous")
    for method, path in OPERATIONS:
        path = path.replace("{lead_id}", str(tw.l1.pk)).replace("{task_id}", "1").replace("{commitment_id}", "1").replace(
            "{rule_id}", "1")
        response = getattr(anon, method)(path, {}) if method != "get" else anon.get(path)
        assert response.status_code == 401, (method, path)


# ---- leads --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_leads_list_and_detail_follow_the_rule_of_files(tw, role):
    client = api(tw, role)
    want = {getattr(tw, key).pk for key, roles in SEES.items() if role in roles}
    assert ids(client.get("/api/tracking/leads", {"limit": 100})) == want
    for key in SEES:
        lead = getattr(tw, key)
        expected = 200 if lead.pk in want else 404
        assert client.get(f"/api/tracking/leads/{lead.pk}").status_code == expected, (role, key)
        assert client.get(f"/api/tracking/leads/{lead.pk}/possible-files").status_code == expected
        if expected == 404:  # a write on a lead out of sight: 404 whatever the body
            assert client.patch(f"/api/tracking/leads/{lead.pk}", {"name": "x"}).status_code == 404
            assert client.post(f"/api/tracking/leads/{lead.pk}/stage", {"stage": 2}).status_code == 404
            assert client.post(f"/api/tracking/leads/{lead.pk}/drop", {"reason": "x"}).status_code == 404
            assert client.post(f"/api/tracking/leads/{lead.pk}/convert", {}).status_code == 404
    assert client.get("/api/tracking/leads/99999999").status_code == 404
    assert client.get(f"/api/tracking/leads/{2**63}").status_code == 404


@pytest.mark.parametrize("role,full", [("gm", True), ("am1", True), ("sm", True), ("desk", False), ("sup", False)])
def test_lead_mobile_is_masked_for_roles_without_full_mobiles(tw, role, full):
    client = api(tw, role)
    shown = MOBILE if full else mask_mobile(MOBILE)
    assert client.get(f"/api/tracking/leads/{tw.l1.pk}").json()["mobile"] == shown
    listed = client.get("/api/tracking/leads").content.decode()
    assert (MOBILE in listed) is full


def test_lead_list_filters_and_keyset_pages(tw):
    for i in range(4):
        services.create_lead(tw.am1, tw.h1, name=f"客户{i}", source="referral", referrer=tw.c_am1)
    client = api(tw, "am1")
    first = client.get("/api/tracking/leads", {"limit": 2}).json()
    assert first["count"] == 5 and len(first["items"]) == 2 and first["next"]
    seen = [i["id"] for i in first["items"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert ids(client.get("/api/tracking/leads", {"source": "marketing"})) == {tw.l1.pk}
    assert ids(client.get("/api/tracking/leads", {"q": "王"})) == {tw.l1.pk}
    bad = client.get("/api/tracking/leads", {"stage": "9", "owner": "nobody"}, **EN)
    assert bad.status_code == 422 and {"stage", "owner"} <= set(bad.json()["errors"])
    assert client.get("/api/tracking/leads", {"cursor": "bogus"}).status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_a_lead(tw, role):
    client = api(tw, role)
    before = Lead.objects.count()
    response = client.post("/api/tracking/leads", {"name": "孙八", "source": "data_lookup", "mobile": "13912345670"})
    want = 201 if role in TRACKERS else 403
    assert response.status_code == want, response.content
    assert Lead.objects.count() == before + (want == 201)
    if want == 201:
        body = response.json()
        assert body["stage"] == 1 and body["state"] == "open" and body["property_code"] in ("H1", "H2")
        owner = body["owner"]["username"] if body["owner"] else None
        assert owner == (role if role not in ("gm", "gm2") else None)


def test_lead_sources_need_their_reference(tw):
    client = api(tw, "am1")
    missing = client.post("/api/tracking/leads", {"name": "孙八", "source": "referral"}, **EN)
    assert missing.status_code == 422 and list(missing.json()["errors"]) == ["referrer"]
    hidden = client.post("/api/tracking/leads", {"name": "孙八", "source": "referral", "referrer": tw.c_am2.pk})
    assert hidden.status_code == 422 and list(hidden.json()["errors"]) == ["referrer"]
    made = client.post("/api/tracking/leads", {"name": "孙八", "source": "referral", "referrer": tw.c_am1.pk,
                                               "stage": 3})
    assert made.status_code == 201, made.content
    assert made.json()["referrer"] == {"id": tw.c_am1.pk, "customer_code": "C001", "name": "张三"}
    assert made.json()["stage"] == 3
    informant = client.post("/api/tracking/leads", {"name": "孙八", "source": "informant"})
    assert informant.status_code == 422 and list(informant.json()["errors"]) == ["informant"]
    assert client.post("/api/tracking/leads", {"name": "孙八", "source": "informant",
                                               "informant": "老周"}).status_code == 201


def test_property_of_a_new_lead(tw):
    assert api(tw, "gm2").post("/api/tracking/leads", {"property": "H1", "name": "x",
                                                       "source": "events"}).status_code == 404
    assert api(tw, "desk").post("/api/tracking/leads", {"property": "H1", "name": "x",
                                                        "source": "events"}).status_code == 403
    tw.gm.properties.add(tw.h2)
    gm = api(tw, "gm")
    several = gm.post("/api/tracking/leads", {"name": "x", "source": "events"}, **EN)
    assert several.status_code == 422 and "H1, H2" in several.json()["errors"]["property"][0]
    assert gm.post("/api/tracking/leads", {"name": "x", "source": "events",
                                           "property": "h2"}).json()["property_code"] == "H2"


BAD_LEADS = [
    {"name": "", "source": "events"},
    {"name": "   ", "source": "events"},
    {"name": "a\x00b", "source": "events"},
    {"name": "a\x01b", "source": "events"},
    {"name": "x" * 101, "source": "events"},
    {"name": "x", "source": "phone"},
    {"name": "x"},
    {"name": "x", "source": "events", "stage": 7},
    {"name": "x", "source": "events", "stage": True},
    {"name": "x", "source": "events", "stage": "2"},
    {"name": "x", "source": "events", "mobile": "12345"},
    {"name": "x", "source": "events", "email": "not-an-email"},
    {"name": "x", "source": "events", "owner": 2**63},
    {"name": "x", "source": "events", "colour": "red"},
]


@pytest.mark.parametrize("body", BAD_LEADS)
def test_bad_lead_input_is_a_422_changing_nothing(tw, body):
    before = Lead.objects.count()
    response = api(tw, "am1").post("/api/tracking/leads", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]
    assert Lead.objects.count() == before


def test_a_lone_surrogate_is_a_422(tw):
    response = api(tw, "am1").post("/api/tracking/leads", '{"name": "\\ud800", "source": "events"}')
    assert response.status_code == 422 and list(response.json()["errors"]) == ["name"]


def test_changing_a_lead(tw):
    am1 = api(tw, "am1")
    response = am1.patch(f"/api/tracking/leads/{tw.l1.pk}", {"employer": "新公司", "needs": "宴会\n婚礼", "owner": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employer"] == "新公司" and body["needs"] == "宴会\n婚礼" and body["owner"] is None
    assert body["name"] == "王五"  # not sent, unchanged
    assert api(tw, "desk").patch(f"/api/tracking/leads/{tw.l1.pk}", {"employer": "x"}).status_code == 403
    assert am1.patch(f"/api/tracking/leads/{tw.l1.pk}", {"name": None}).status_code == 422
    assert am1.patch(f"/api/tracking/leads/{tw.l1.pk}", {"owner": tw.am2.pk}).status_code == 422


def test_moving_dropping_and_reopening(tw):
    am1, path = api(tw, "am1"), f"/api/tracking/leads/{tw.l1.pk}"
    moved = am1.post(f"{path}/stage", {"stage": 4, "expect": 1})
    assert moved.status_code == 200 and moved.json()["stage"] == 4 and moved.json()["reached"] == 4
    stale = am1.post(f"{path}/stage", {"stage": 5, "expect": 1}, **EN)
    assert stale.status_code == 409 and "meanwhile" in stale.json()["detail"]
    assert am1.post(f"{path}/stage", {"stage": 7}).status_code == 422
    assert api(tw, "desk").post(f"{path}/stage", {"stage": 2}).status_code == 403
    assert am1.post(f"{path}/drop", {"reason": ""}).status_code == 422
    assert am1.post(f"{path}/drop", {"reason": "\u200b"}).status_code == 422
    dropped = am1.post(f"{path}/drop", {"reason": "没有预算"})
    assert dropped.status_code == 200 and dropped.json()["state"] == "dropped"
    assert am1.post(f"{path}/drop", {"reason": "again"}).status_code == 409
    assert am1.post(f"{path}/stage", {"stage": 2}).status_code == 409
    assert ids(am1.get("/api/tracking/leads", {"state": "dropped"})) == {tw.l1.pk}
    reopened = am1.post(f"{path}/reopen")
    assert reopened.status_code == 200 and reopened.json()["state"] == "open"
    assert am1.post(f"{path}/reopen").status_code == 409


def test_possible_files_show_the_visible_and_count_the_hidden(tw):
    # l1 has the mobile of am2's guest: am1 may not see that file.
    Lead.objects.filter(pk=tw.l1.pk).update(mobile=tw.c_am2.mobile)
    body = api(tw, "am1").get(f"/api/tracking/leads/{tw.l1.pk}/possible-files").json()
    assert body == {"visible": [], "hidden": 1}
    gm = api(tw, "gm").get(f"/api/tracking/leads/{tw.l1.pk}/possible-files").json()
    assert [c["id"] for c in gm["visible"]] == [tw.c_am2.pk] and gm["hidden"] == 0
    desk = api(tw, "desk").get(f"/api/tracking/leads/{tw.l1.pk}/possible-files").json()
    assert desk["visible"][0]["mobile"] == mask_mobile(tw.c_am2.mobile)


def test_convert_refuses_a_duplicate_until_confirmed(tw):
    Lead.objects.filter(pk=tw.l1.pk).update(mobile=tw.c_am1.mobile)
    am1, path = api(tw, "am1"), f"/api/tracking/leads/{tw.l1.pk}/convert"
    files = Customer.objects.count()
    refused = am1.post(path, {}, **EN)
    assert refused.status_code == 409 and "already exists" in refused.json()["detail"]
    assert Customer.objects.count() == files
    made = am1.post(path, {"create_anyway": True})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["created"] is True and body["lead"]["state"] == "converted"
    assert body["lead"]["customer"]["id"] == body["customer_id"]
    assert Customer.objects.get(pk=body["customer_id"]).customer_code == body["customer_code"]
    assert am1.post(path, {"create_anyway": True}).status_code == 409  # converted already
    assert am1.post(path, {"create_anyway": 1}).status_code == 422


def test_convert_links_a_file_one_may_change(tw):
    am1, path = api(tw, "am1"), f"/api/tracking/leads/{tw.l1.pk}/convert"
    hidden = am1.post(path, {"customer_id": tw.c_am2.pk})
    assert hidden.status_code == 422 and list(hidden.json()["errors"]) == ["customer_id"]
    other = am1.post(path, {"customer_id": tw.c_h2.pk})
    assert other.status_code == 422 and list(other.json()["errors"]) == ["customer_id"]
    assert api(tw, "desk").post(path, {"customer_id": tw.c_am1.pk}).status_code == 403
    linked = am1.post(path, {"customer_id": tw.c_am1.pk})
    assert linked.status_code == 200, linked.content
    assert linked.json()["customer_id"] == tw.c_am1.pk and linked.json()["created"] is False
    assert Lead.objects.get(pk=tw.l1.pk).customer_id == tw.c_am1.pk


# ---- follow-ups -----------------------------------------------------------------------------------

def log(client, **body):
    return client.post("/api/tracking/follow-ups", {"channel": "phone", "outcome": "reached",
                                                    "summary": "聊了预订", **body})


def test_follow_ups_carry_their_ordinal_through_conversion(tw):
    am1 = api(tw, "am1")
    now = dt.datetime.now(dt.UTC)
    first = log(am1, lead_id=tw.l1.pk, occurred_at=(now - dt.timedelta(days=3)).isoformat())
    assert first.status_code == 201, first.content
    assert first.json()["ordinal"] == 1 and first.json()["lead"] == {"id": tw.l1.pk, "name": "王五"}
    assert first.json()["customer"] is None
    assert log(am1, lead_id=tw.l1.pk).json()["ordinal"] == 2
    assert Lead.objects.get(pk=tw.l1.pk).stage == 2  # talking to a target makes it contacted
    # the file's own follow-up, between the lead's two in time
    on_file = log(am1, customer_id=tw.c_am1.pk, occurred_at=(now - dt.timedelta(days=1)).isoformat())
    assert on_file.json()["ordinal"] == 1 and on_file.json()["customer"]["id"] == tw.c_am1.pk
    am1.post(f"/api/tracking/leads/{tw.l1.pk}/convert", {"customer_id": tw.c_am1.pk})
    listed = am1.get("/api/tracking/follow-ups", {"customer_id": tw.c_am1.pk}).json()["items"]
    assert [i["ordinal"] for i in listed] == [3, 2, 1]  # latest first, numbered by time
    fourth = log(am1, lead_id=tw.l1.pk)  # a converted lead's follow-up goes to its file
    assert fourth.status_code == 201 and fourth.json()["ordinal"] == 4
    assert fourth.json()["customer"]["id"] == tw.c_am1.pk


@pytest.mark.parametrize("role,status", [("gm", 201), ("sm", 201), ("am1", 201), ("desk", 201), ("sup", 201),
                                         ("am2", 422), ("admin", 422), ("gm2", 422)])
def test_who_may_log_a_follow_up_on_a_file(tw, role, status):
    before = FollowUp.objects.count()
    response = log(api(tw, role), customer_id=tw.c_am1.pk)
    assert response.status_code == status, response.content
    if status == 422:
        assert list(response.json()["errors"]) == ["customer_id"]
    assert FollowUp.objects.count() == before + (status == 201)


BAD_FOLLOW_UPS = [
    ({}, "customer_id"),
    ({"customer_id": "C001"}, "customer_id"),
    ({"customer_id": None}, "customer_id"),
    ({"lead_id": 99_999_999}, "lead_id"),
    ({"summary": ""}, "summary"),
    ({"summary": "  \u200b "}, "summary"),
    ({"summary": "a\x00b"}, "summary"),
    ({"channel": "fax"}, "channel"),
    ({"outcome": None}, "outcome"),
    ({"occurred_at": "2999-01-01T10:00:00"}, "occurred_at"),
    ({"occurred_at": "1999-12-31T10:00:00"}, "occurred_at"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"next_on": "2000-01-01", "next_step": "再打电话"}, "next_on"),
    ({"next_on": "2100-01-01"}, "next_step"),
    ({"next_on": "2026-02-30", "next_step": "x"}, "next_on"),
    ({"next_on": 20260101, "next_step": "x"}, "next_on"),
]


@pytest.mark.parametrize("extra,field", BAD_FOLLOW_UPS)
def test_bad_follow_up_input_is_a_422_naming_the_field(tw, extra, field):
    before = FollowUp.objects.count(), Task.objects.count()
    body = {"customer_id": tw.c_am1.pk, **extra} if "lead_id" not in extra else extra
    if extra == {}:
        body = {}
    response = log(api(tw, "am1"), **body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert (FollowUp.objects.count(), Task.objects.count()) == before


def test_both_subjects_at_once_are_refused(tw):
    response = log(api(tw, "gm"), customer_id=tw.c_am1.pk, lead_id=tw.l1.pk)
    assert response.status_code == 422 and "customer_id" in response.json()["errors"]


def test_a_next_step_makes_a_task(tw):
    response = log(api(tw, "am1"), customer_id=tw.c_am1.pk, next_step="送样品", next_on=str(today()))
    assert response.status_code == 201 and response.json()["next_step"] == "送样品"
    tasks = api(tw, "am1").get("/api/tracking/tasks", {"due": "today"}).json()["items"]
    assert [t["title"] for t in tasks] == ["送样品"]


def test_follow_up_list_filters_and_pages(tw):
    am1, gm = api(tw, "am1"), api(tw, "gm")
    for _ in range(3):
        log(am1, customer_id=tw.c_am1.pk)
    log(gm, lead_id=tw.l3.pk)
    assert len(ids(gm.get("/api/tracking/follow-ups"))) == 4
    assert len(ids(am1.get("/api/tracking/follow-ups"))) == 3  # not am3's lead
    assert ids(am1.get("/api/tracking/follow-ups", {"lead_id": tw.l3.pk})) == set()
    assert len(ids(gm.get("/api/tracking/follow-ups", {"author": "me"}))) == 1
    assert len(ids(gm.get("/api/tracking/follow-ups", {"author": str(tw.am1.pk)}))) == 3
    assert len(ids(gm.get("/api/tracking/follow-ups", {"from": str(today() - dt.timedelta(days=1)),
                                                       "to": str(today() + dt.timedelta(days=1))}))) == 4
    assert ids(gm.get("/api/tracking/follow-ups", {"to": "2020-01-01"})) == set()
    page = gm.get("/api/tracking/follow-ups", {"limit": 3}).json()
    assert page["count"] == 4 and len(page["items"]) == 3 and page["next"]
    rest = gm.get(page["next"]).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    assert {i["id"] for i in page["items"]}.isdisjoint({i["id"] for i in rest["items"]})
    assert gm.get("/api/tracking/follow-ups", {"property": "H2"}).status_code == 404
    assert gm.get("/api/tracking/follow-ups", {"from": "2026-02-30"}).status_code == 422
    assert gm.get("/api/tracking/follow-ups", {"author": "everyone"}).status_code == 422
    assert gm.get("/api/tracking/follow-ups", {"from": "2026-03-02", "to": "2026-03-01"}).status_code == 422


# ---- tasks -------------------------------------------------------------------------------------

def add_task(client, **body):
    return client.post("/api/tracking/tasks", {"title": "回访", "due_on": str(today()), **body})


def test_tasks_by_hand_mine_and_my_team(tw):
    am1 = api(tw, "am1")
    made = add_task(am1, customer_id=tw.c_am1.pk)
    assert made.status_code == 201, made.content
    task = made.json()
    assert task["assignee"]["username"] == "am1" and task["falls_to"]["username"] == "am1"
    assert task["customer"]["id"] == tw.c_am1.pk and task["rule_id"] is None
    assert ids(am1.get("/api/tracking/tasks")) == {task["id"]}
    assert ids(api(tw, "am2").get("/api/tracking/tasks")) == set()
    assert ids(api(tw, "sm").get("/api/tracking/tasks", {"member": tw.am1.pk})) == {task["id"]}
    assert ids(api(tw, "gm").get("/api/tracking/tasks", {"member": tw.am1.pk})) == {task["id"]}
    # a member one does not lead, and an unknown id, alike
    for role, member in (("am2", tw.am1.pk), ("am1", tw.sm.pk), ("sm", tw.am3.pk), ("gm2", tw.am1.pk),
                         ("gm", 99_999_999)):
        assert api(tw, role).get("/api/tracking/tasks", {"member": member}).status_code == 404, role
    on_lead = add_task(am1, lead_id=tw.l1.pk, due_on=str(today() + dt.timedelta(days=2)))
    assert on_lead.status_code == 201 and on_lead.json()["lead"] == {"id": tw.l1.pk, "name": "王五"}
    assert ids(am1.get("/api/tracking/tasks", {"due": "today"})) == {task["id"]}
    Task.objects.filter(pk=task["id"]).update(due_on=today() - dt.timedelta(days=3))
    overdue = am1.get("/api/tracking/tasks", {"due": "overdue"}).json()["items"]
    assert [t["id"] for t in overdue] == [task["id"]] and overdue[0]["overdue"] is True


def test_bad_task_input(tw):
    am1 = api(tw, "am1")
    before = Task.objects.count()
    for body, field in (({"customer_id": tw.c_am2.pk}, "customer_id"),
                        ({"customer_id": tw.c_am1.pk, "due_on": "2001-01-01"}, "due_on"),
                        ({"customer_id": tw.c_am1.pk, "title": " "}, "title"),
                        ({"customer_id": tw.c_am1.pk, "assignee_id": tw.am2.pk}, "assignee_id"),
                        ({"customer_id": tw.c_am1.pk, "assignee_id": 99_999_999}, "assignee_id"),
                        ({"lead_id": tw.l3.pk}, "lead_id")):
        response = add_task(am1, **body)
        assert response.status_code == 422 and field in response.json()["errors"], (body, response.content)
    assert Task.objects.count() == before


def test_a_task_is_done_only_with_a_written_result(tw):
    am1 = api(tw, "am1")
    log(am1, customer_id=tw.c_am1.pk)
    task = add_task(am1, customer_id=tw.c_am1.pk).json()
    path = f"/api/tracking/tasks/{task['id']}/done"
    missing = am1.post(path, {"channel": "phone", "outcome": "reached"})
    assert missing.status_code == 422 and "summary" in missing.json()["errors"]
    blank = am1.post(path, {"channel": "phone", "outcome": "reached", "summary": "   "})
    assert blank.status_code == 422 and "summary" in blank.json()["errors"]
    assert Task.objects.get(pk=task["id"]).done_at is None
    assert api(tw, "am2").post(path, {"channel": "phone", "outcome": "reached", "summary": "x"}).status_code == 404
    assert api(tw, "desk").post(path, {"channel": "phone", "outcome": "reached", "summary": "x"}).status_code == 403
    done = am1.post(path, {"channel": "wechat", "outcome": "interested", "summary": "客人想订包间"})
    assert done.status_code == 200, done.content
    assert done.json()["ordinal"] == 2 and done.json()["channel"] == "wechat"
    assert Task.objects.get(pk=task["id"]).follow_up_id == done.json()["id"]
    assert am1.post(path, {"channel": "phone", "outcome": "reached", "summary": "again"}).status_code == 409
    assert ids(am1.get("/api/tracking/tasks")) == set()
    assert ids(am1.get("/api/tracking/tasks", {"state": "done"})) == {task["id"]}
    assert ids(am1.get("/api/tracking/tasks", {"state": "all"})) == {task["id"]}
    # the sales manager completes a team member's task
    other = add_task(am1, customer_id=tw.c_am1.pk).json()
    assert api(tw, "sm").post(f"/api/tracking/tasks/{other['id']}/done",
                              {"channel": "phone", "outcome": "reached", "summary": "经理代办"}).status_code == 200
    assert am1.post("/api/tracking/tasks/99999999/done", {"channel": "phone", "outcome": "reached",
                                                          "summary": "x"}).status_code == 404


# ---- commitments ------------------------------------------------------------------------------

def promise(client, **body):
    return client.post("/api/tracking/commitments", {"promised": "寄送生日蛋糕", "to_whom": "张总",
                                                     "due_on": str(today()), **body})


def test_commitments_recorded_listed_and_kept(tw):
    am1 = api(tw, "am1")
    made = promise(am1, customer_id=tw.c_am1.pk)
    assert made.status_code == 201, made.content
    c = made.json()
    assert c["owner"]["username"] == "am1" and c["customer"]["id"] == tw.c_am1.pk and c["done_at"] is None
    assert ids(am1.get("/api/tracking/commitments")) == {c["id"]}
    assert ids(api(tw, "am2").get("/api/tracking/commitments")) == set()
    assert ids(api(tw, "gm").get("/api/tracking/commitments", {"owner": str(tw.am1.pk)})) == {c["id"]}
    assert ids(api(tw, "gm").get("/api/tracking/commitments", {"owner": "me"})) == set()
    path = f"/api/tracking/commitments/{c['id']}/keep"
    assert api(tw, "am2").post(path, {"result": "x"}).status_code == 404
    assert api(tw, "desk").post(path, {"result": "x"}).status_code == 403
    assert am1.post(path, {"result": ""}).status_code == 422
    kept = am1.post(path, {"result": "已送达"})
    assert kept.status_code == 200 and kept.json()["result"] == "已送达" and kept.json()["done_at"]
    assert am1.post(path, {"result": "again"}).status_code == 409
    assert ids(am1.get("/api/tracking/commitments")) == set()
    assert ids(am1.get("/api/tracking/commitments", {"state": "done"})) == {c["id"]}


def test_front_desk_records_and_keeps_its_own_commitment(tw):
    desk = api(tw, "desk")
    made = desk.post("/api/tracking/commitments", {"customer_id": tw.c_pool.pk, "promised": "升级房型",
                                                   "due_on": str(today())})
    assert made.status_code == 201 and made.json()["owner"]["username"] == "desk"
    assert made.json()["to_whom"] == ""
    assert desk.post(f"/api/tracking/commitments/{made.json()['id']}/keep", {"result": "已升级"}).status_code == 200
    other = promise(desk, customer_id=tw.c_am1.pk, owner_id=tw.am1.pk)
    assert other.status_code == 422 and list(other.json()["errors"]) == ["owner_id"]


def test_bad_commitments(tw):
    am1 = api(tw, "am1")
    before = Commitment.objects.count()
    for body, field in (({"customer_id": tw.c_am2.pk}, "customer_id"), ({"customer_id": tw.c_h2.pk}, "customer_id"),
                        ({"customer_id": tw.c_am1.pk, "owner_id": tw.am2.pk}, "owner_id"),
                        ({"customer_id": tw.c_am1.pk, "promised": ""}, "promised"),
                        ({"customer_id": tw.c_am1.pk, "due_on": "2026-13-01"}, "due_on"),
                        ({"customer_id": True}, "customer_id")):
        response = promise(am1, **body)
        assert response.status_code == 422 and field in response.json()["errors"], (body, response.content)
    assert Commitment.objects.count() == before


# ---- cadence rules and scheduler runs ------------------------------------------------------------

def test_cadence_rules_of_a_property(tw):
    rules = api(tw, "gm").get("/api/tracking/cadence-rules").json()
    assert rules["count"] == 3
    assert sorted(r["offsets"] for r in rules["items"]) == [[3, 15], [3, 30, 60], [15, 30, 60]]
    assert {r["can_change"] for r in rules["items"]} == {True}
    am1 = api(tw, "am1").get("/api/tracking/cadence-rules", {"property": "h1"}).json()
    assert am1["count"] == 3 and {r["can_change"] for r in am1["items"]} == {False}
    assert api(tw, "gm").get("/api/tracking/cadence-rules", {"property": "H2"}).status_code == 404
    assert api(tw, "gm").get("/api/tracking/cadence-rules", {"property": "NOPE"}).status_code == 404


def test_scheduler_runs_for_those_who_configure(tw):
    Task.objects.all().delete()
    run_scheduler(SchedulerRun.Trigger.COMMAND, properties=[tw.h1, tw.h2])
    SchedulerRun.objects.create(trigger=SchedulerRun.Trigger.JOB, created=2,
                                details={"H2": {"tasks": {"9": 2}, "escalated": {"tasks": 0, "commitments": 0}}})
    gm = api(tw, "gm").get("/api/tracking/scheduler-runs").json()
    assert gm["count"] == 2
    assert [r["details"] for r in gm["items"]][0] == {}  # H2 is not the gm's
    assert gm["items"][0]["created"] == 0
    gm2 = api(tw, "gm2").get("/api/tracking/scheduler-runs", {"limit": 1}).json()
    assert gm2["items"][0]["details"]["H2"]["tasks"] == {"9": 2} and gm2["items"][0]["created"] == 2
    assert gm2["next"] and len(api(tw, "gm2").get(gm2["next"]).json()["items"]) == 1
    assert api(tw, "admin").get("/api/tracking/scheduler-runs").status_code == 200
    for role in ("am1", "sm", "desk", "sup"):
        assert api(tw, role).get("/api/tracking/scheduler-runs").status_code == 403, role


def test_a_rule_made_task_is_completed_through_the_api(tw):
    """The scheduler's task of a file created 3 days ago, done by its account manager."""
    Customer.objects.filter(pk=tw.c_am1.pk).update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    CadenceRule.objects.filter(property=tw.h1).update(active_from=today() - dt.timedelta(days=30))
    run_scheduler(SchedulerRun.Trigger.COMMAND, properties=[tw.h1])
    am1 = api(tw, "am1")
    tasks = am1.get("/api/tracking/tasks").json()["items"]
    made = [t for t in tasks if t["rule_id"]]
    assert made and made[0]["customer"]["id"] == tw.c_am1.pk and made[0]["offset"] == 3
    done = am1.post(f"/api/tracking/tasks/{made[0]['id']}/done", {"channel": "sms", "outcome": "no_answer",
                                                                  "summary": "短信问候"})
    assert done.status_code == 200 and done.json()["ordinal"] == 1


@pytest.mark.parametrize("role,status", [("gm", 201), ("admin", 201), ("sm", 403), ("am1", 403), ("desk", 403),
                                         ("sup", 403)])
def test_who_may_add_a_cadence_rule(tw, role, status):
    before = CadenceRule.objects.count()
    response = api(tw, role).post("/api/tracking/cadence-rules", {"name": "投诉后回访", "event": "complaint_closed",
                                                                 "offsets": [7, 1], "role": "supervisor"})
    assert response.status_code == status, response.content
    assert CadenceRule.objects.count() == before + (status == 201)
    if status == 201:
        body = response.json()
        assert body["offsets"] == [1, 7] and body["is_active"] and body["property_code"] == "H1"
        assert body["active_from"] == str(tw.h1.local_today()) and body["can_change"] is True


def test_changing_a_cadence_rule(tw):
    rule = CadenceRule.objects.filter(property=tw.h1).order_by("pk").first()
    gm, path = api(tw, "gm"), f"/api/tracking/cadence-rules/{rule.pk}"
    changed = gm.patch(path, {"offsets": [5, 10], "is_active": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["offsets"] == [5, 10] and changed.json()["is_active"] is False
    assert changed.json()["name"] == rule.name
    assert api(tw, "am1").patch(path, {"is_active": True}).status_code == 403
    assert api(tw, "gm2").patch(path, {"is_active": True}).status_code == 404
    assert gm.patch("/api/tracking/cadence-rules/99999999", {"is_active": True}).status_code == 404
    for body, field in (({"offsets": [3, 3]}, "offsets"), ({"offsets": []}, "offsets"), ({"offsets": [0]}, "offsets"),
                        ({"offsets": [366]}, "offsets"), ({"offsets": "3, 30"}, "offsets"),
                        ({"offsets": [True]}, "offsets"), ({"offsets": ["3"]}, "offsets"),
                        ({"is_active": "yes"}, "is_active"), ({"is_active": None}, "is_active"),
                        ({"name": " "}, "name"), ({"event": "birthday"}, "event"), ({"colour": 1}, "colour")):
        response = gm.patch(path, body)
        assert response.status_code == 422, (body, response.content)
        assert [k.split(".")[0] for k in response.json()["errors"]] == [field], (body, response.content)
    assert CadenceRule.objects.get(pk=rule.pk).offsets == [5, 10]


def test_running_the_scheduler_now_is_idempotent(tw):
    Customer.objects.filter(pk=tw.c_am1.pk).update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    CadenceRule.objects.filter(property=tw.h1).update(active_from=today() - dt.timedelta(days=30))
    gm = api(tw, "gm")
    first = gm.post("/api/tracking/scheduler-runs", {})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["trigger"] == "page" and body["user"]["username"] == "gm" and body["created"] >= 1
    assert set(body["details"]) == {"H1"}
    again = gm.post("/api/tracking/scheduler-runs", {"property": "H1"}).json()
    assert again["created"] == 0
    assert api(tw, "am1").post("/api/tracking/scheduler-runs", {}).status_code == 403
    assert api(tw, "gm2").post("/api/tracking/scheduler-runs", {"property": "H1"}).status_code == 404


# ---- odd Unicode in every text field and query parameter ------------------------------------------

def one_line(text):
    return " ".join(text.split())


def paragraphs(text):
    return clean_paragraphs(text, "x", 10**6, required=False)


def tracking_state():
    return [list(m.objects.order_by("pk").values()) for m in (Lead, FollowUp, Task, Commitment, CadenceRule)]


def text_targets(w):
    """(label, method, url, payload for a text, read back what was stored, normalisation)."""
    lead, file = f"/api/tracking/leads/{w.l1.pk}", w.c_am1.pk
    fu = {"customer_id": file, "channel": "phone", "outcome": "reached"}
    targets = [(f"lead {f}", "post", "/api/tracking/leads", lambda t, f=f: {"name": "测试", "source": "informant",
                                                                            "informant": "老周", f: t},
                lambda r, f=f: getattr(Lead.objects.get(pk=r["id"]), f), paragraphs if f == "needs" else one_line)
               for f in ("name", "employer", "job_title", "needs", "source_detail", "informant")]
    targets += [
        ("lead change", "patch", lead, lambda t: {"employer": t}, lambda r: Lead.objects.get(pk=r["id"]).employer,
         one_line),
        ("lead mobile", "post", "/api/tracking/leads", lambda t: {"name": "x", "source": "events", "mobile": t},
         None, None),
        ("lead email", "post", "/api/tracking/leads", lambda t: {"name": "x", "source": "events", "email": t},
         None, None),
        ("lead property", "post", "/api/tracking/leads", lambda t: {"name": "x", "source": "events", "property": t},
         None, None),
        ("drop reason", "post", f"{lead}/drop", lambda t: {"reason": t}, lambda r: Lead.objects.get(
            pk=r["id"]).drop_reason, one_line),
        ("summary", "post", "/api/tracking/follow-ups", lambda t: {**fu, "summary": t},
         lambda r: FollowUp.objects.get(pk=r["id"]).summary, paragraphs),
        ("next step", "post", "/api/tracking/follow-ups", lambda t: {**fu, "summary": "好", "next_step": t},
         lambda r: FollowUp.objects.get(pk=r["id"]).next_step, one_line),
        ("task title", "post", "/api/tracking/tasks", lambda t: {"customer_id": file, "title": t,
                                                                 "due_on": str(today())},
         lambda r: Task.objects.get(pk=r["id"]).title, one_line),
        ("promised", "post", "/api/tracking/commitments", lambda t: {"customer_id": file, "promised": t,
                                                                     "to_whom": t, "due_on": str(today())},
         lambda r: Commitment.objects.get(pk=r["id"]).promised, one_line),
        ("rule name", "post", "/api/tracking/cadence-rules", lambda t: {"name": t, "offsets": [3]},
         lambda r: CadenceRule.objects.get(pk=r["id"]).name, one_line),
    ]
    return targets


def gm_api(w):
    if not hasattr(w, "api"):
        w.api = token_client(w.gm)
    return w.api


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_odd_text_in_tracking_writes(tw, data):
    client = gm_api(tw)
    label, method, url, payload, read_back, normalise = data.draw(st.sampled_from(text_targets(tw)), label="target")
    text = data.draw(odd_text, label="text")
    Lead.objects.filter(pk=tw.l1.pk).update(dropped_at=None, drop_reason="")
    before = tracking_state()
    response = getattr(client, method)(url, payload(text))
    assert response.status_code < 500, (label, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), label
    if response.status_code >= 400:
        assert response.status_code == 422, (label, response.content[:300])
        assert tracking_state() == before, label
        assert all(isinstance(m, str) and m for ms in response.json()["errors"].values() for m in ms)
    elif read_back:
        assert read_back(response.json()) == normalise(text), label


QUERIES = ["/api/tracking/leads?q={}", "/api/tracking/leads?property={}", "/api/tracking/leads?owner={}",
           "/api/tracking/leads?cursor={}", "/api/tracking/leads?created_from={}", "/api/tracking/follow-ups?author={}",
           "/api/tracking/follow-ups?cursor={}", "/api/tracking/follow-ups?from={}", "/api/tracking/tasks?property={}",
           "/api/tracking/commitments?owner={}", "/api/tracking/cadence-rules?property={}",
           "/api/tracking/scheduler-runs?cursor={}"]


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=st.sampled_from(QUERIES), text=odd_text)
def test_odd_text_in_tracking_queries(tw, query, text):
    response = gm_api(tw).get(query.format(quote(text.encode("utf-8", "surrogatepass"))))
    assert response.status_code in (200, 404, 422), (query, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
