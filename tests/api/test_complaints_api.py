"""The complaints API (issue 16, R-8.1–R-8.3): every endpoint × role, the six steps through the
API (stale retries 409, every transition audited), bad input 422 changing nothing, guest data
only as the role may see it, the overdue filter against services.overdue, query counts."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.helpers import ApiClient, token_client
from yingke.complaints import services
from yingke.complaints.models import (
    Complaint,
    ComplaintPhoto,
    ComplaintPolicy,
    ComplaintStep,
    Escalation,
)
from yingke.core.models import AuditEvent
from yingke.customers.identity import mask_mobile

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
ROLES = ["gm", "desk", "sup", "am1", "am2", "admin", "gm2"]
# Who sees which complaint: through the guest's file (c_am1: am1's), anonymous ones the property-wide roles.
SEES = {
    "guest": {"gm", "desk", "sup", "am1"},
    "anon": {"gm", "desk", "sup"},
    "h2": {"gm2"},
}
PHONE = "13800001111"
STEP_DATA = {
    2: {"apology": "当面致歉"},
    3: {"findings": "属实"},
    4: {"solution": "重做菜品", "compensation": "voucher", "compensation_amount": "100"},
    5: {"carried_out": "已送代金券"},
    6: {"check_back": "客人满意", "satisfaction": "satisfied"},
}


@pytest.fixture
def cases(world):
    """Three complaints: am1's guest 张三 at H1 (recorded by the front desk), an anonymous one at H1
    with a contact phone, and one at H2."""
    w = world
    w.guest = services.record(w.desk, w.h1, kind="food", severity="medium", words="菜里有头发。\n很不满意",
                              customer=w.c_am1, location="A12")
    w.anon = services.record(w.desk, w.h1, kind="attitude", severity="high", words="服务员态度差",
                             contact_name="王先生", contact_phone=PHONE)
    w.h2c = services.record(w.gm2, w.h2, kind="price", severity="low", words="价格太贵")
    return w


def client_of(w, role) -> ApiClient:
    if role == "anonymous":
        from django.test import Client

        return ApiClient(Client(), {})
    return token_client(getattr(w, role))


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# ---- reading: every role ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_list_and_detail_show_exactly_the_visible_complaints(cases, role):
    w, api = cases, client_of(cases, role)
    want = {getattr(w, key if key != "h2" else "h2c").pk for key, roles in SEES.items() if role in roles}
    assert ids(api.get("/api/complaints", {"limit": 100})) == want
    for key in SEES:
        c = getattr(w, key if key != "h2" else "h2c")
        response = api.get(f"/api/complaints/{c.pk}")
        assert response.status_code == (200 if c.pk in want else 404), (role, key)


def test_nobody_logged_in_gets_401_everywhere(cases):
    api = client_of(cases, "anonymous")
    c = cases.guest.pk
    for method, path, body in (("get", "/api/complaints", None), ("get", f"/api/complaints/{c}", None),
                               ("post", "/api/complaints", {"kind": "food", "words": "x"}),
                               ("post", f"/api/complaints/{c}/steps", {"step": 2}),
                               ("post", f"/api/complaints/{c}/on-the-spot", {}),
                               ("post", f"/api/complaints/{c}/approval", {"approve": True}),
                               ("get", "/api/complaint-policy", None), ("put", "/api/complaint-policy", {})):
        response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)
        assert response.status_code == 401, (method, path)


@pytest.mark.parametrize("role,full", [("gm", True), ("am1", True), ("desk", False), ("sup", False)])
def test_guest_data_is_what_the_role_may_see(cases, role, full):
    api = client_of(cases, role)
    if role != "am1":
        anon = api.get(f"/api/complaints/{cases.anon.pk}").json()
        assert anon["guest"] is None and anon["contact_name"] == "王先生"
        assert anon["contact_phone"] == (PHONE if full else mask_mobile(PHONE))
        listed = {i["id"]: i for i in api.get("/api/complaints").json()["items"]}
        assert listed[cases.anon.pk]["contact_phone"] == anon["contact_phone"]
        assert (PHONE in api.get("/api/complaints").content.decode()) is full
    guest = api.get(f"/api/complaints/{cases.guest.pk}").json()
    assert guest["guest"] == {"id": cases.c_am1.pk, "customer_code": "C001", "name": "张三"}
    assert "13812345678" not in json.dumps(guest)  # never the guest's mobile


def test_detail_has_steps_due_time_escalations_and_photos(cases):
    w, api = cases, client_of(cases, "gm")
    c = w.guest
    ComplaintStep.objects.filter(complaint=c).update(done_at=c.step_at)
    photo = ComplaintPhoto.objects.create(complaint=c, path="complaints/x.jpg", content_type="image/jpeg", size=10)
    Escalation.objects.create(complaint=c, step=2, level=1, due_at=c.step_at + dt.timedelta(hours=1))
    body = api.get(f"/api/complaints/{c.pk}").json()
    assert body["reference"] == f"TS{c.pk:06d}" and body["state"] == "open" and body["next_step"] == 2
    assert [(s["step"], s["done_by"]["username"], s["late"]) for s in body["steps"]] == [(1, "desk", False)]
    due = services.due_at(Complaint.objects.get(pk=c.pk))
    assert abs(dt.datetime.fromisoformat(body["due_at"]) - due) < dt.timedelta(milliseconds=1)
    assert body["overdue"] is False
    assert [(e["step"], e["level"]) for e in body["escalations"]] == [(2, 1)]
    assert body["photos"][0]["url"].endswith(f"/complaints/{c.pk}/photos/{photo.pk}/")
    assert body["photos"][0]["url"].startswith("http")
    assert body["words"] == "菜里有头发。\n很不满意" and body["location"] == "A12"


# ---- recording --------------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [("gm", 201), ("desk", 201), ("sup", 201), ("am1", 201), ("am2", 201),
                                         ("admin", 403), ("gm2", 201)])
def test_who_may_record(cases, role, status):
    api = client_of(cases, role)
    before = Complaint.objects.count()
    response = api.post("/api/complaints", {"kind": "food", "words": "汤是凉的", "contact_phone": PHONE})
    assert response.status_code == status, response.content
    assert Complaint.objects.count() == before + (status == 201)
    if status == 201:
        body = response.json()
        assert body["step"] == 1 and body["steps"][0]["done_by"]["username"] == role
        assert AuditEvent.objects.filter(action="complaint.record", target=f"complaint:{body['id']}",
                                         user=getattr(cases, role)).exists()


def test_recording_with_a_guest_and_an_outlet(cases):
    api = client_of(cases, "am1")
    response = api.post("/api/complaints", {"kind": "food", "words": "太咸", "customer": cases.c_am1.pk,
                                            "outlet": "cn", "severity": "critical", "channel": "phone",
                                            "occurred_at": "2025-03-01T12:00:00"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["guest"]["name"] == "张三" and body["outlet"]["code"] == "CN" and body["property_code"] == "H1"
    assert body["occurred_at"].startswith("2025-03-01T")


@pytest.mark.parametrize("role,customer,status,field", [
    ("am2", "c_am1", 422, "customer"),  # a file am2 does not see: the same answer as one that does not exist
    ("gm", "c_h2", 422, "customer"),  # a file of another property
    ("gm", None, 422, "customer"),  # no such file
])
def test_a_guest_not_yours_to_name_is_refused(cases, role, customer, status, field):
    api = client_of(cases, role)
    pk = getattr(cases, customer).pk if customer else 9_999_999
    before = Complaint.objects.count()
    response = api.post("/api/complaints", {"kind": "food", "words": "x", "customer": pk}, **EN)
    assert response.status_code == status and list(response.json()["errors"]) == [field]
    assert Complaint.objects.count() == before


def test_property_rules_of_recording(cases):
    assert client_of(cases, "gm2").post("/api/complaints", {"property": "H1", "kind": "food",
                                                           "words": "x"}).status_code == 404
    assert client_of(cases, "gm").post("/api/complaints", {"property": "NOPE", "kind": "food",
                                                          "words": "x"}).status_code == 404
    assert client_of(cases, "admin").post("/api/complaints", {"property": "H1", "kind": "food",
                                                             "words": "x"}).status_code == 403
    cases.gm.properties.add(cases.h2)
    two = client_of(cases, "gm")
    response = two.post("/api/complaints", {"kind": "food", "words": "x"}, **EN)
    assert response.status_code == 422 and "H1, H2" in response.json()["errors"]["property"][0]
    assert two.post("/api/complaints", {"kind": "food", "words": "x", "property": "h2"}).json()["property_code"] == "H2"
    # the guest's property when none is named
    assert two.post("/api/complaints", {"kind": "food", "words": "x",
                                        "customer": cases.c_am1.pk}).json()["property_code"] == "H1"
    response = two.post("/api/complaints", {"kind": "food", "words": "x", "outlet": "NOPE", "property": "H1"})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["outlet"]


ODD_WORDS = ["", "   ", "\u200b", "a\x00b", "a\x01b", "a\x1bb", "x" * 4001]


@pytest.mark.parametrize("words", ODD_WORDS)
def test_bad_words_are_a_422_naming_the_field(cases, words):
    before = Complaint.objects.count()
    response = client_of(cases, "desk").post("/api/complaints", {"kind": "food", "words": words})
    assert response.status_code == 422, response.content
    assert "words" in response.json()["errors"]
    assert Complaint.objects.count() == before


def test_lone_surrogates_are_a_422_never_a_500(cases):
    api = client_of(cases, "desk")
    raw = '{"kind": "food", "words": "a\\ud800b"}'
    response = api.post("/api/complaints", raw)
    assert response.status_code == 422 and "words" in response.json()["errors"]
    response = api.get("/api/complaints", {"property": "\x00"})
    assert response.status_code == 422


@pytest.mark.parametrize("text", ["\u202eevil\u202c", "😀👨‍👩‍👧‍👦", "e\u0301\u0308", "Ｆｕｌｌ　ｗｉｄｔｈ", "龍" * 4000])
def test_odd_but_storable_unicode_is_kept(cases, text):
    response = client_of(cases, "desk").post("/api/complaints", {"kind": "other", "words": text,
                                                                 "contact_name": "\u3000张 三\u3000"})
    assert response.status_code == 201, response.content
    c = Complaint.objects.get(pk=response.json()["id"])
    assert c.words == " ".join(text.split()) and c.contact_name == "张 三"  # spaces collapsed (services)


@pytest.mark.parametrize("body,field", [
    ({"kind": "nope"}, "kind"),
    ({"severity": "urgent"}, "severity"),
    ({"channel": "fax"}, "channel"),
    ({"customer": 0}, "customer"),
    ({"customer": 2**63}, "customer"),
    ({"customer": "1"}, "customer"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    ({"occurred_at": "1999-12-31T23:00:00Z"}, "occurred_at"),
    ({"occurred_at": "2999-01-01T00:00:00"}, "occurred_at"),
    ({"occurred_at": "not a time"}, "occurred_at"),
    ({"location": "x" * 41}, "location"),
    ({"unknown": 1}, "unknown"),
])
def test_bad_record_input_is_a_422(cases, body, field):
    before = Complaint.objects.count()
    response = client_of(cases, "gm").post("/api/complaints", {"kind": "food", "words": "x", **body})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert Complaint.objects.count() == before


def test_a_future_incident_is_refused_by_the_service(cases):
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = client_of(cases, "gm").post("/api/complaints", {"kind": "food", "words": "x", "occurred_at": later})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["occurred_at"]


# ---- the six steps ------------------------------------------------------------------------------

def step(api, c, n, headers=None, **extra):
    return api.post(f"/api/complaints/{c.pk}/steps", {"step": n, **STEP_DATA[n], **extra}, **(headers or {}))


def test_the_front_desk_takes_a_complaint_through_the_six_steps(cases):
    api, c = client_of(cases, "desk"), cases.guest
    for n in range(2, 7):
        response = step(api, c, n)
        assert response.status_code == 200, (n, response.content)
        assert response.json()["step"] == n
    body = response.json()
    assert body["state"] == "archived" and body["due_at"] is None and body["closed_at"]
    assert [(s["step"], s["done_by"]["username"]) for s in body["steps"]] == [
        (1, "desk"), (2, "desk"), (3, "desk"), (4, "desk"), (5, "desk"), (6, "desk")]
    assert body["compensation"] == "voucher" and Decimal(str(body["compensation_amount"])) == Decimal("100")
    audits = AuditEvent.objects.filter(target=f"complaint:{c.pk}", action="complaint.step", user=cases.desk)
    assert sorted(a.details["step"] for a in audits) == [2, 3, 4, 5, 6]
    assert ids(api.get("/api/complaints", {"state": "archived"})) == {c.pk}


@pytest.mark.parametrize("role,status", [("gm", 200), ("desk", 200), ("sup", 200), ("am1", 200), ("am2", 404),
                                         ("admin", 404), ("gm2", 404)])
def test_who_may_do_a_step(cases, role, status):
    response = step(client_of(cases, role), cases.guest, 2)
    assert response.status_code == status
    assert Complaint.objects.get(pk=cases.guest.pk).step == (2 if status == 200 else 1)
    assert AuditEvent.objects.filter(action="complaint.step").count() == (status == 200)


def test_a_stale_retry_or_a_skipped_step_is_a_409_and_changes_nothing(cases):
    api, c = client_of(cases, "desk"), cases.guest
    assert step(api, c, 2).status_code == 200
    again = step(api, c, 2, EN)
    assert again.status_code == 409 and "step" in again.json()["errors"]
    skipped = step(api, c, 4, EN)
    assert skipped.status_code == 409 and "the next step is" in skipped.json()["detail"]
    assert Complaint.objects.get(pk=c.pk).step == 2
    assert ComplaintStep.objects.filter(complaint=c).count() == 2


@pytest.mark.parametrize("body,field", [
    ({"step": 1}, "step"), ({"step": 7}, "step"), ({"step": "two"}, "step"), ({}, "step"),
    ({"step": 2, "findings": "x"}, "findings"),  # a field of another step
    ({"step": 2, "apology": "a\x00b"}, "apology"),
    ({"step": 2, "apology": "x" * 2001}, "apology"),
])
def test_bad_step_input_is_a_422(cases, body, field):
    response = client_of(cases, "desk").post(f"/api/complaints/{cases.guest.pk}/steps", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Complaint.objects.get(pk=cases.guest.pk).step == 1


def test_archiving_without_the_check_back_is_refused_with_a_clear_message(cases):
    api, c = client_of(cases, "desk"), cases.guest
    for n in range(2, 6):
        assert step(api, c, n).status_code == 200
    response = api.post(f"/api/complaints/{c.pk}/steps", {"step": 6, "satisfaction": "satisfied"}, **EN)
    assert response.status_code == 422
    assert "check" in response.json()["errors"]["check_back"][0].lower()
    assert Complaint.objects.get(pk=c.pk).step == 5


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-1", "1.234", "1e3000", "10000000000", "abc", True,
                                    -0.01, 1e300])
def test_nan_negative_and_huge_amounts_are_a_422(cases, amount):
    api, c = client_of(cases, "desk"), cases.guest
    for n in (2, 3):
        assert step(api, c, n).status_code == 200
    response = api.post(f"/api/complaints/{c.pk}/steps", {"step": 4, "solution": "s", "compensation": "amount",
                                                          "compensation_amount": amount})
    assert response.status_code == 422, (amount, response.content)
    assert "compensation_amount" in response.json()["errors"]
    assert Complaint.objects.get(pk=c.pk).step == 3


def test_raw_nan_and_infinity_in_the_json_are_a_422(cases):
    api, c = client_of(cases, "desk"), cases.guest
    for n in (2, 3):
        assert step(api, c, n).status_code == 200
    for raw in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = '{"step": 4, "solution": "s", "compensation": "amount", "compensation_amount": RAW}'.replace("RAW", raw)
        response = api.post(f"/api/complaints/{c.pk}/steps", body)
        assert response.status_code == 422, (raw, response.content)
    assert Complaint.objects.get(pk=c.pk).step == 3


# ---- compensation approval ----------------------------------------------------------------------

@pytest.fixture
def proposed(cases):
    api, c = client_of(cases, "desk"), cases.guest
    for n in (2, 3):
        assert step(api, c, n).status_code == 200
    response = api.post(f"/api/complaints/{c.pk}/steps", {"step": 4, "solution": "免单", "compensation": "amount",
                                                          "compensation_amount": 800})
    assert response.status_code == 202, response.content
    assert response.json()["approval_pending"] is True and response.json()["step"] == 3
    assert AuditEvent.objects.filter(action="complaint.propose", target=f"complaint:{c.pk}").exists()
    return cases


@pytest.mark.parametrize("role,status", [("gm", 200), ("desk", 403), ("sup", 403), ("am1", 403), ("am2", 404),
                                         ("admin", 404), ("gm2", 404)])
def test_who_may_approve(proposed, role, status):
    c = proposed.guest
    gm_view = client_of(proposed, "gm").get(f"/api/complaints/{c.pk}").json()
    assert gm_view["can_approve"] is True
    response = client_of(proposed, role).post(f"/api/complaints/{c.pk}/approval", {"approve": True})
    assert response.status_code == status, response.content
    c.refresh_from_db()
    assert c.step == (4 if status == 200 else 3) and c.approval_pending is (status != 200)
    assert AuditEvent.objects.filter(action="complaint.approve").count() == (status == 200)
    if status == 200:
        assert response.json()["approver"]["username"] == "gm"
        assert response.json()["steps"][-1]["done_by"]["username"] == "gm"


def test_approval_conflicts_and_refusals(proposed):
    api, c = client_of(proposed, "gm"), proposed.guest
    blocked = client_of(proposed, "desk").post(f"/api/complaints/{c.pk}/steps", {"step": 5, "carried_out": "x"})
    assert blocked.status_code == 409  # waiting for approval
    assert api.post(f"/api/complaints/{c.pk}/approval", {"approve": False}).status_code == 422  # a reason
    assert api.post(f"/api/complaints/{c.pk}/approval", {"approve": "yes"}).status_code == 422  # strict bool
    response = api.post(f"/api/complaints/{c.pk}/approval", {"approve": False, "reason": "太高"})
    assert response.status_code == 200 and response.json()["compensation"] == "none"
    assert AuditEvent.objects.filter(action="complaint.refuse", details__reason="太高").exists()
    assert api.post(f"/api/complaints/{c.pk}/approval", {"approve": True}).status_code == 409  # nothing pending


# ---- on the spot --------------------------------------------------------------------------------

SPOT = {"apology": "致歉", "solution": "换菜", "carried_out": "已换", "check_back": "满意", "satisfaction": "satisfied"}


@pytest.mark.parametrize("role,status", [("gm", 200), ("desk", 200), ("sup", 200), ("am1", 200), ("am2", 404),
                                         ("admin", 404), ("gm2", 404)])
def test_resolved_on_the_spot_by_role(cases, role, status):
    c = cases.guest
    response = client_of(cases, role).post(f"/api/complaints/{c.pk}/on-the-spot", SPOT)
    assert response.status_code == status, response.content
    if status == 200:
        body = response.json()
        assert body["on_the_spot"] and body["state"] == "archived" and len(body["steps"]) == 6
        assert AuditEvent.objects.filter(action="complaint.on_the_spot", target=f"complaint:{c.pk}").count() == 1
        again = client_of(cases, role).post(f"/api/complaints/{c.pk}/on-the-spot", SPOT)
        assert again.status_code == 409
    else:
        assert Complaint.objects.get(pk=c.pk).step == 1


def test_on_the_spot_bad_input_and_approval_needed(cases):
    api, c = client_of(cases, "desk"), cases.guest
    response = api.post(f"/api/complaints/{c.pk}/on-the-spot", {**SPOT, "check_back": ""})
    assert response.status_code == 422 and "check_back" in response.json()["errors"]
    response = api.post(f"/api/complaints/{c.pk}/on-the-spot", {**SPOT, "compensation": "amount",
                                                                "compensation_amount": "800"})
    assert response.status_code == 409 and "compensation_amount" in response.json()["errors"]
    assert Complaint.objects.get(pk=c.pk).step == 1 and not AuditEvent.objects.filter(
        action="complaint.on_the_spot").exists()


# ---- the list: filters, paging, overdue, query counts ------------------------------------------------

def test_filters(cases):
    api = client_of(cases, "gm")
    assert ids(api.get("/api/complaints", {"kind": "food"})) == {cases.guest.pk}
    assert ids(api.get("/api/complaints", {"severity": "high"})) == {cases.anon.pk}
    assert ids(api.get("/api/complaints", {"customer": cases.c_am1.pk})) == {cases.guest.pk}
    assert ids(api.get("/api/complaints", {"customer": cases.c_h2.pk})) == set()
    assert ids(api.get("/api/complaints", {"state": "open", "property": "h1"})) == {cases.guest.pk, cases.anon.pk}
    assert api.get("/api/complaints", {"property": "H2"}).status_code == 404
    assert api.get("/api/complaints", {"property": "NOPE"}).status_code == 404
    for bad in ({"state": "closed"}, {"kind": "x"}, {"customer": "abc"}, {"overdue": "maybe"}, {"limit": 0},
                {"limit": 10**6}, {"offset": -1}, {"cursor": "!!!"}):
        response = api.get("/api/complaints", bad)
        assert response.status_code == 422, (bad, response.content)


def test_keyset_and_offset_paging(cases):
    for i in range(5):
        services.record(cases.desk, cases.h1, kind="other", words=f"第{i}条")
    api = client_of(cases, "gm")
    first = api.get("/api/complaints", {"limit": 3}).json()
    assert first["count"] == 7 and len(first["items"]) == 3 and first["next"]
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == list(Complaint.objects.filter(property=cases.h1).order_by("-created_at", "-pk")
                        .values_list("pk", flat=True)) and third["next"] is None
    by_offset = api.get("/api/complaints", {"limit": 3, "offset": 3}).json()
    assert [i["id"] for i in by_offset["items"]] == seen[3:6] and by_offset["next"]


@pytest.mark.parametrize("clock", ["calendar", "business"])
def test_the_overdue_filter_agrees_with_the_service(cases, clock):
    w = cases
    ComplaintPolicy.objects.create(property=w.h1, clock=clock, business_start=dt.time(9), business_end=dt.time(18),
                                   business_days="12345")
    now = timezone.now()
    made = []
    for i, hours in enumerate([0.1, 0.5, 0.9, 1.1, 3, 7.9, 8.1, 30, 80, 200]):
        for severity in ("low", "medium", "high", "critical"):
            c = services.record(w.desk, w.h1, kind="other", severity=severity, words=f"{i}{severity}")
            Complaint.objects.filter(pk=c.pk).update(step_at=now - dt.timedelta(hours=hours), step=1 + i % 5)
            made.append(c.pk)
    api = client_of(w, "gm")
    late = ids(api.get("/api/complaints", {"overdue": "true", "limit": 200}))
    on_time = ids(api.get("/api/complaints", {"overdue": "false", "limit": 200}))
    rows = Complaint.objects.filter(pk__in=made).select_related("property")
    expected = {c.pk for c in rows if services.overdue(c)}
    assert late & set(made) == expected and expected and expected != set(made)
    assert on_time & set(made) == set(made) - expected
    listed = {i["id"]: i["overdue"] for i in api.get("/api/complaints", {"limit": 200}).json()["items"]}
    assert {pk for pk in made if listed[pk]} == expected


def test_list_query_count_does_not_grow_with_rows(cases):
    api = client_of(cases, "gm")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/complaints", {"limit": 100, "overdue": "false"}).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    count()  # the key's first use writes its own rows
    few = count()
    for i in range(12):
        c = services.record(cases.desk, cases.h1, kind="other", words=f"多{i}",
                            customer=[cases.c_am1, cases.c_am2, cases.c_pool, None][i % 4],
                            contact_phone=PHONE)
        services.advance(cases.desk, c, 2)
    services.record(cases.gm2, cases.h2, kind="other", words="H2")
    many = count()
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 10


# ---- the policy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role,get,put", [("gm", 200, 200), ("desk", 200, 403), ("sup", 200, 403),
                                          ("am1", 200, 403), ("am2", 200, 403), ("admin", 200, 200),
                                          ("gm2", 404, 404)])
def test_policy_by_role(cases, role, get, put):
    api = client_of(cases, role)
    response = api.get("/api/complaint-policy", {"property": "H1"})
    assert response.status_code == get
    if get == 200:
        body = response.json()
        assert body["property_code"] == "H1" and body["clock"] == "calendar" and body["can_change"] is (put == 200)
        assert body["limits"]["critical"]["2"] == 0.25
    response = api.put("/api/complaint-policy?property=H1", {"approval_threshold": "300"})
    assert response.status_code == put, response.content
    assert ComplaintPolicy.objects.filter(property=cases.h1, approval_threshold=300).exists() is (put == 200)


def test_policy_change_keeps_the_rest(cases):
    api = client_of(cases, "gm")
    response = api.put("/api/complaint-policy", {"clock": "business", "business_start": "08:30",
                                                 "business_end": "20:00", "business_days": [1, 2, 3, 4, 5],
                                                 "limits": {"high": {"2": 1.5}}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["limits"]["high"]["2"] == 1.5 and body["limits"]["high"]["3"] == 2
    assert body["limits"]["low"]["6"] == 120 and body["business_days"] == [1, 2, 3, 4, 5]
    assert body["business_start"] == "08:30" and body["clock"] == "business"
    policy = ComplaintPolicy.objects.get(property=cases.h1)
    assert policy.history.count() == 1 and policy.history.first().history_user == cases.gm


@pytest.mark.parametrize("body,field", [
    ({"limits": {"high": {"2": 0}}}, "limits.high.2"),
    ({"limits": {"high": {"2": 2161}}}, "limits.high.2"),
    ({"limits": {"high": {"7": 1}}}, "limits.high.[key]"),
    ({"limits": {"urgent": {"2": 1}}}, "limits.urgent.[key]"),
    ({"approval_threshold": "NaN"}, "approval_threshold"),
    ({"approval_threshold": -1}, "approval_threshold"),
    ({"approval_threshold": "1e3000"}, "approval_threshold"),
    ({"clock": "lunar"}, "clock"),
    ({"business_start": "09:00+08:00"}, "business_start"),
    ({"business_start": "24:00"}, "business_start"),
    ({"business_start": "9:00"}, "business_start"),
    ({"business_start": "19:00"}, "business_end"),
    ({"business_days": []}, "business_days"),
    ({"business_days": [8]}, "business_days.0"),
])
def test_bad_policy_input_is_a_422(cases, body, field):
    response = client_of(cases, "gm").put("/api/complaint-policy", body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(key.startswith(field.split(".[")[0]) for key in errors), errors
    assert not ComplaintPolicy.objects.filter(property=cases.h1).exists()


def test_raw_nan_hours_are_a_422(cases):
    response = client_of(cases, "gm").put("/api/complaint-policy", '{"limits": {"high": {"2": NaN}}}')
    assert response.status_code == 422
    assert not ComplaintPolicy.objects.exists()


ODD = ["\x00", "a\x01b", "\u202eevil\u202c", "\u200f\u200e\u061c", "😀👨‍👩‍👧‍👦🏳️‍🌈", "e\u0301\u0308\u20dd",
       "Ｆｕｌｌ　ｗｉｄｔｈ", "\ufeff\u200b\u2060", "\u3000张 三\u3000", " ", "", "x" * 10_000, "\t\r\n"]


@pytest.mark.parametrize("text", ODD)
def test_odd_text_in_every_field_is_never_a_server_error(cases, text):
    api, c = client_of(cases, "desk"), cases.guest
    fields = {name: text for name in ("apology", "findings", "solution", "carried_out", "check_back")}
    response = api.post(f"/api/complaints/{c.pk}/on-the-spot", {**fields, "satisfaction": "satisfied"})
    assert response.status_code in (200, 422), response.content
    assert (Complaint.objects.get(pk=c.pk).step == 6) is (response.status_code == 200)
    for n in (2, 3):
        response = api.post(f"/api/complaints/{c.pk}/steps", {"step": n, list(STEP_DATA[n])[0]: text})
        assert response.status_code in (200, 409, 422), response.content
    record = {name: text for name in ("contact_name", "contact_phone", "location", "staff_involved", "words")}
    assert api.post("/api/complaints", {"kind": "other", **record}).status_code in (201, 422)
    gm = client_of(cases, "gm")
    assert gm.post(f"/api/complaints/{c.pk}/approval", {"approve": False, "reason": text}).status_code in (409, 422)
    for query in ({"property": text}, {"cursor": text}, {"kind": text}):
        assert api.get("/api/complaints", query).status_code in (200, 404, 422), query
    assert api.get("/api/complaint-policy", {"property": text}).status_code in (200, 404, 422)
    assert api.get("/api/notifications", {"cursor": text}).status_code in (200, 422)


@pytest.mark.parametrize("pk", [0, 2**63, 10**30])
def test_ids_beyond_a_row_id_are_404(cases, pk):
    api = client_of(cases, "gm")
    assert api.get(f"/api/complaints/{pk}").status_code == 404
    assert api.post(f"/api/complaints/{pk}/steps", {"step": 2}).status_code == 404
    assert api.post(f"/api/complaints/{pk}/approval", {"approve": True}).status_code == 404


def test_every_complaint_route_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/complaints", "/api/complaints/{complaint_id}", "/api/complaints/{complaint_id}/steps",
                 "/api/complaints/{complaint_id}/on-the-spot", "/api/complaints/{complaint_id}/approval",
                 "/api/complaint-policy"):
        assert path in paths, path
