"""Contact people, preferences, special dates and notes through the API (R-2.1, R-2.4–2.6)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import make_customer
from yingke.customers.models import ContactLink, Customer, Note, Preference, SpecialDate
from yingke.customers.services import link_contact

pytestmark = pytest.mark.django_db


def counts():
    return (Customer.objects.count(), ContactLink.objects.count(), Preference.objects.count(),
            SpecialDate.objects.count(), Note.objects.count())


# ---- contacts ------------------------------------------------------------------------

@pytest.fixture
def org(world):
    return make_customer(world.h1, "ORG1", "迎客集团", owner=world.am1, kind="org")


def test_contacts_add_list_remove(world, org, api_as):
    api = api_as(world.am1)
    url = f"/api/customers/{org.pk}/contacts"
    added = api.post(url, {"person_id": world.c_pool.pk, "title": "办公室主任", "is_primary": True})
    assert added.status_code == 201, added.content
    assert added.json()["person"] == {"id": world.c_pool.pk, "name": "李四", "mobile": "13612340003",
                                      "job_title": "", "visible": True}
    new = api.post(url, {"person": {"name": "王秘书", "mobile": "13700001111", "job_title": "秘书"},
                         "title": "秘书"})
    assert new.status_code == 201, new.content
    person = Customer.objects.get(pk=new.json()["person"]["id"])
    assert (person.kind, person.owner, person.property) == ("person", world.am1, world.h1)

    listed = api.get(url).json()
    assert listed["count"] == 2
    assert [c["person"]["name"] for c in listed["items"]] == ["李四", "王秘书"]  # main contact first
    assert listed["items"][0]["is_primary"] is True

    assert api.delete(f"{url}/{world.c_pool.pk}").status_code == 204
    assert api.delete(f"{url}/{world.c_pool.pk}").status_code == 404
    assert Customer.objects.filter(pk=world.c_pool.pk).exists()  # the person's file stays
    assert [c["person"]["name"] for c in api.get(url).json()["items"]] == ["王秘书"]


def test_contact_whose_file_is_not_open_to_the_user(world, org, api_as):
    link_contact(world.gm, org, world.c_am2, title="董事长")
    listed = api_as(world.am1).get(f"/api/customers/{org.pk}/contacts", **{"Accept-Language": "en"}).json()["items"]
    # Nothing of a file the user may not open: no id, name, mobile or job title.
    assert listed[0]["person"] == {"id": None, "name": "a file you may not open", "mobile": "", "job_title": "",
                                   "visible": False}
    assert api_as(world.am1).get(f"/api/customers/{world.c_am2.pk}").status_code == 404
    # The front desk sees contacts with masked mobiles.
    desk = api_as(world.desk).get(f"/api/customers/{org.pk}/contacts").json()["items"]
    assert desk[0]["person"]["mobile"] == "139****0001" and desk[0]["person"]["visible"] is True


@pytest.mark.parametrize("payload,field", [
    ({}, "person_id"),
    ({"person_id": 1, "person": {"name": "x"}}, "person_id"),
    ({"person": {"name": "王秘书", "mobile": "123"}}, "person.mobile"),
    ({"person": {"mobile": "13700001111"}}, "person.name"),
    ({"person": {"name": "x", "owner": 1}}, "person.owner"),
    ({"person_id": "abc"}, "person_id"),
])
def test_contact_bad_input(world, org, api_as, payload, field):
    before = counts()
    response = api_as(world.am1).post(f"/api/customers/{org.pk}/contacts", payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert counts() == before


def test_contact_rules(world, org, api_as):
    api = api_as(world.gm)
    other_org = make_customer(world.h1, "ORG2", "另一单位", kind="org")
    cases = [
        (f"/api/customers/{world.c_am1.pk}/contacts", {"person_id": world.c_pool.pk}, "organisation"),
        (f"/api/customers/{org.pk}/contacts", {"person_id": other_org.pk}, "person"),
        (f"/api/customers/{org.pk}/contacts", {"person_id": world.c_h2.pk}, "person_id"),  # not visible
    ]
    before = counts()
    for url, payload, field in cases:
        response = api.post(url, payload)
        assert response.status_code == 422 and field in response.json()["errors"], (url, response.content)
    assert counts() == before
    # Regular information: the supervisor sees but may not change contacts.
    response = api_as(world.sup).post(f"/api/customers/{org.pk}/contacts", {"person_id": world.c_pool.pk})
    assert response.status_code == 403
    assert api_as(world.sup).get(f"/api/customers/{org.pk}/contacts").status_code == 200


# ---- preferences ---------------------------------------------------------------------

def test_preferences(world, api_as):
    api = api_as(world.desk)
    url = f"/api/customers/{world.c_am1.pk}/preferences"
    created = api.post(url, {"category": "pillow", "value": " 低枕 "}, **{"Accept-Language": "en"})
    assert created.status_code == 201
    body = created.json()
    assert (body["category"], body["category_label"], body["value"], body["created_by"]) == \
        ("pillow", "Pillow", "低枕", "desk")
    api.post(url, {"category": "tea", "value": "龙井"})
    listed = api.get(url).json()
    assert [p["value"] for p in listed["items"]] == ["低枕", "龙井"] and listed["count"] == 2
    assert api.delete(f"{url}/{body['id']}").status_code == 204
    assert [p["value"] for p in api.get(url).json()["items"]] == ["龙井"]


@pytest.mark.parametrize("payload,field", [
    ({"category": "nope", "value": "x"}, "category"),
    ({"category": "tea", "value": ""}, "value"),
    ({"category": "tea"}, "value"),
    ({"category": "tea", "value": "x" * 201}, "value"),
])
def test_preference_bad_input(world, api_as, payload, field):
    before = counts()
    response = api_as(world.gm).post(f"/api/customers/{world.c_am1.pk}/preferences", payload)
    assert response.status_code == 422 and field in response.json()["errors"], response.content
    assert counts() == before


# ---- special dates -------------------------------------------------------------------

@pytest.fixture
def today(monkeypatch):
    day = dt.date(2025, 7, 20)  # lunar 2025 has a leap 6th month: 闰六月初十 = 2025-08-03
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)
    return day


def test_special_dates_next_occurrence_and_reminder(world, api_as, today):
    api = api_as(world.am1)
    url = f"/api/customers/{world.c_am1.pk}/special-dates"
    specs = [
        {"kind": "birthday", "calendar": "lunar", "month": 6, "day": 10, "leap_month": True},
        {"kind": "wedding", "calendar": "lunar", "month": 6, "day": 10, "remind_days": 3},
        {"kind": "company", "calendar": "solar", "month": 7, "day": 25, "year": 2010, "label": "司庆"},
        {"kind": "custom", "calendar": "lunar", "month": 8, "day": 15, "label": "中秋"},
    ]
    for spec in specs:
        response = api.post(url, spec)
        assert response.status_code == 201, response.content
    items = api.get(url).json()["items"]
    got = [(i["kind"], i["next_occurrence"], i["days_until"], i["reminder_due"]) for i in items]
    assert got == [
        ("company", "2025-07-25", 5, True),
        ("birthday", "2025-08-03", 14, False),  # leap month in a year that has it
        ("custom", "2025-10-06", 78, False),
        ("wedding", "2026-07-23", 368, False),  # an ordinary-month date never falls in the leap month
    ]
    assert items[1]["description"] == "农历闰六月初十"

    birthday = items[1]
    changed = api.patch(f"{url}/{birthday['id']}", {"remind_days": 14})
    assert changed.status_code == 200 and changed.json()["reminder_due"] is True
    assert api.delete(f"{url}/{birthday['id']}").status_code == 204
    assert api.get(url).json()["count"] == 3


@pytest.mark.parametrize("payload,field", [
    ({"calendar": "lunar", "month": 6, "day": 31}, "day"),
    ({"calendar": "solar", "month": 2, "day": 30}, "day"),
    ({"calendar": "solar", "month": 13, "day": 1}, "month"),
    ({"calendar": "solar", "month": 3, "day": 1, "leap_month": True}, "leap_month"),
    ({"month": 3, "day": 1, "year": 1800}, "year"),
    ({"month": 3}, "day"),
    ({"month": 3, "day": 1, "kind": "x"}, "kind"),
    ({"month": 3, "day": 1, "remind_days": -1}, "remind_days"),
])
def test_special_date_bad_input(world, api_as, payload, field):
    before = counts()
    response = api_as(world.gm).post(f"/api/customers/{world.c_am1.pk}/special-dates", payload)
    assert response.status_code == 422 and field in response.json()["errors"], response.content
    assert counts() == before


def test_special_date_bad_patch_changes_nothing(world, api_as):
    spec = SpecialDate.objects.create(customer=world.c_am1, month=3, day=8)
    url = f"/api/customers/{world.c_am1.pk}/special-dates/{spec.pk}"
    for payload in ({"day": 32}, {"month": None}, {"calendar": "solar", "leap_month": True}):
        assert api_as(world.gm).patch(url, payload).status_code == 422
    spec.refresh_from_db()
    assert (spec.month, spec.day, spec.leap_month) == (3, 8, False)


# ---- notes ---------------------------------------------------------------------------

def test_notes(world, api_as):
    api = api_as(world.sup)
    url = f"/api/customers/{world.c_am3.pk}/notes"
    first = api.post(url, {"text": "房间很安静，非常满意", "kind": "praise", "outlet": "CN"})
    assert first.status_code == 201, first.content
    assert first.json()["outlet"] == {"code": "CN", "name": "中餐厅"} and first.json()["author"] == "sup"
    api.post(url, {"text": "上菜慢"})
    items = api.get(url).json()["items"]
    assert [n["text"] for n in items] == ["上菜慢", "房间很安静，非常满意"]  # newest first
    assert items[0]["kind"] == "note"


@pytest.mark.parametrize("payload,field", [
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({}, "text"),
    ({"text": "x", "kind": "rant"}, "kind"),
    ({"text": "x", "outlet": "MAIN"}, "outlet"),  # H2's outlet
])
def test_note_bad_input(world, api_as, payload, field):
    before = counts()
    response = api_as(world.gm).post(f"/api/customers/{world.c_am1.pk}/notes", payload)
    assert response.status_code == 422 and field in response.json()["errors"], response.content
    assert counts() == before


# ---- query counts --------------------------------------------------------------------

def test_file_part_lists_have_bounded_query_counts(world, org, api_as, django_assert_max_num_queries):
    for i in range(15):
        person = make_customer(world.h1, f"CP{i}", f"联系人{i}", owner=world.am2)
        link_contact(world.gm, org, person)
        Preference.objects.create(customer=org, category="tea", value=f"茶{i}", created_by=world.gm)
        SpecialDate.objects.create(customer=org, month=1 + i % 12, day=1 + i)
        Note.objects.create(customer=org, text=f"备注{i}", author=world.gm, outlet=world.h1.outlets.first())
    api = api_as(world.gm)
    api.get("/api/me")
    for part in ("contacts", "preferences", "special-dates", "notes"):
        with django_assert_max_num_queries(7):
            data = api.get(f"/api/customers/{org.pk}/{part}", {"limit": 50}).json()
        assert data["count"] == 15, part


# ---- change history ------------------------------------------------------------------

def test_history_shows_who_changed_what(world, api_as):
    url = f"/api/customers/{world.c_am1.pk}"
    api_as(world.am1).patch(url, {"mobile": "13800001111", "job_title": "董事长"})
    api_as(world.desk).post(url + "/notes", {"text": "喜欢安静"})
    items = api_as(world.desk).get(url + "/history", **{"Accept-Language": "en"}).json()["items"]
    note = items[0]
    assert (note["who"], note["action"], note["subject"]) == ("desk", "created", "note")
    changed = {i["field"]: i for i in items if i["action"] == "changed"}
    assert changed["job title"]["after"] == "董事长" and changed["job title"]["who"] == "am1"
    assert (changed["mobile"]["before"], changed["mobile"]["after"]) == ("138****5678", "138****1111")
    full = api_as(world.gm).get(url + "/history", **{"Accept-Language": "en"}).json()["items"]
    assert {"13812345678", "13800001111"} <= {i["before"] for i in full} | {i["after"] for i in full}
    assert api_as(world.am2).get(url + "/history").status_code == 404


def test_history_query_count(world, api_as, django_assert_max_num_queries):
    api = api_as(world.gm)
    url = f"/api/customers/{world.c_am1.pk}"
    for i in range(10):
        api.patch(url, {"job_title": f"职位{i}", "tags": [f"T{i}"]})
        api.post(url + "/preferences", {"category": "tea", "value": f"茶{i}"})
    with django_assert_max_num_queries(16):
        data = api.get(url + "/history", {"limit": 100}).json()
    assert data["count"] >= 30
