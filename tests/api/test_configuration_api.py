"""Configuration API (R-1.1, R-1.2, R-1.3): properties, outlets, staff, tags — every role
on every route, foreign rows 404, deactivation 409 while owning files, odd input 422 and
nothing changed."""

import json

import pytest
from django.contrib.auth.hashers import check_password

from tests.conftest import EXPECTED, make_customer
from yingke.core.models import AuditEvent, Outlet, Property, User
from yingke.customers.models import Customer, Tag


@pytest.fixture
def tagged(world):
    vip = Tag.objects.create(property=world.h1, name="VIP")
    vip2 = Tag.objects.create(property=world.h1, name="vip")
    h2 = Tag.objects.create(property=world.h2, name="常客")
    world.c_am1.tags.add(vip)
    world.c_am2.tags.add(vip, vip2)
    world.c_h2.tags.add(h2)
    world.vip, world.vip2, world.tag_h2 = vip, vip2, h2
    return world


def calls(w):
    """(method, url, body, touches a row of H1) for every configuration route."""
    outlet = w.h1.outlets.get()
    return [
        ("get", "/api/properties", None, False),
        ("post", "/api/properties", {"code": "H9", "name": "新店"}, False),
        ("patch", f"/api/properties/{w.h1.pk}", {"name": "迎客大酒店"}, True),
        ("get", "/api/outlets", None, False),
        ("post", "/api/outlets", {"property": "H1", "code": "NEW", "name": "新厅"}, True),
        ("patch", f"/api/outlets/{outlet.pk}", {"capacity": 31}, True),
        ("get", "/api/staff", None, False),
        ("post", "/api/staff", {"username": "newbie", "password": "Gx7-lantern-9q", "role": "front_desk",
                                "properties": ["H1"]}, True),
        ("patch", f"/api/staff/{w.desk.pk}", {"display_name": "前台"}, True),
        ("post", f"/api/staff/{w.desk.pk}/password", {"password": "Gx7-lantern-9q"}, True),
        ("get", "/api/tags", None, False),
        ("post", "/api/tags", {"property": "H1", "name": "新标签"}, True),
        ("patch", f"/api/tags/{w.vip.pk}", {"name": "VIP"}, True),
        ("post", f"/api/tags/{w.vip2.pk}/merge", {"into": w.vip.pk}, True),
        ("delete", f"/api/tags/{w.vip.pk}", None, True),
    ]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_on_each_configuration_route(tagged, api_as, role):
    """admin and gm of H1: allowed (2xx; only the administrator adds properties); gm2:
    404 on H1's rows; every other role: 403."""
    client = api_as(getattr(tagged, role))
    for method, url, body, row in calls(tagged):
        response = getattr(client, method)(url, body) if body is not None else getattr(client, method)(url)
        status = response.status_code
        if role in ("admin", "gm"):
            expected = 403 if (role == "gm" and url == "/api/properties" and method == "post") else None
            if expected:
                assert status == expected, (role, method, url, status, response.content)
            else:
                assert status in (200, 201, 204), (role, method, url, status, response.content)
        elif role == "gm2":
            if url == "/api/properties" and method == "post":
                assert status == 403
            elif url == "/api/staff" and method == "post":
                assert status == 422  # granting H1, which they do not configure: a field error
                assert "properties" in response.json()["errors"]
            else:
                assert status == (404 if row else 200), (role, method, url, status, response.content)
        else:
            assert status == 403, (role, method, url, status)
            assert "detail" in response.json()


def test_lists_show_only_configured_properties(tagged, api_as):
    client = api_as(tagged.gm)
    assert [p["code"] for p in client.get("/api/properties").json()["items"]] == ["H1"]
    assert {o["property"] for o in client.get("/api/outlets").json()["items"]} == {"H1"}
    staff = {s["username"] for s in client.get("/api/staff", {"limit": 200}).json()["items"]}
    assert staff == {"gm", "sm", "am1", "am2", "am3", "desk", "sup", "admin"}
    tags = client.get("/api/tags").json()["items"]
    assert {t["name"]: t["files"] for t in tags} == {"VIP": 2, "vip": 1}
    assert client.get("/api/outlets", {"property": "H2"}).status_code == 404
    assert client.get("/api/staff", {"property": "H2"}).status_code == 404
    page = client.get("/api/staff", {"limit": 3}).json()
    assert page["count"] == 8 and len(page["items"]) == 3 and "offset=3" in page["next"]


def test_gm_of_h1_cannot_touch_h2(tagged, api_as):
    client = api_as(tagged.gm)
    assert client.patch(f"/api/properties/{tagged.h2.pk}", {"name": "改"}).status_code == 404
    assert client.post("/api/outlets", {"property": "H2", "code": "X", "name": "x"}).status_code == 404
    assert client.patch(f"/api/outlets/{tagged.h2.outlets.get().pk}", {"name": "改"}).status_code == 404
    assert client.patch(f"/api/staff/{tagged.am_h2.pk}", {"is_active": False}).status_code == 404
    assert client.patch(f"/api/tags/{tagged.tag_h2.pk}", {"name": "改"}).status_code == 404
    # Granting H2: refused on the field.
    response = client.patch(f"/api/staff/{tagged.desk.pk}", {"properties": ["H1", "H2"]})
    assert response.status_code == 422 and "properties" in response.json()["errors"]
    merge = client.post(f"/api/tags/{tagged.vip.pk}/merge", {"into": tagged.tag_h2.pk})
    assert merge.status_code == 422 and "into" in merge.json()["errors"]
    tagged.h2.refresh_from_db()
    assert tagged.h2.name == "迎客酒楼" and User.objects.get(pk=tagged.am_h2.pk).is_active
    assert Tag.objects.get(pk=tagged.tag_h2.pk).name == "常客"
    assert list(tagged.desk.properties.values_list("code", flat=True)) == ["H1"]


def test_deactivation_is_409_while_owning_files(world, api_as):
    make_customer(world.h1, "C010", "王五", owner=world.am1)
    client = api_as(world.admin)
    response = client.patch(f"/api/staff/{world.am1.pk}", {"is_active": False})
    assert response.status_code == 409
    body = response.json()
    assert "2" in body["detail"] and body["errors"]["is_active"]
    assert client.get("/api/staff", {"q": "am1"}).json()["items"][0]["owned_files"] == 2
    team = client.patch(f"/api/staff/{world.sm.pk}", {"is_active": False})
    assert team.status_code == 409 and "2" in team.json()["detail"]
    # Moving an owner to a role that cannot own files waits for the handover too.
    assert client.patch(f"/api/staff/{world.am1.pk}", {"role": "front_desk"}).status_code == 409
    assert User.objects.filter(pk__in=[world.am1.pk, world.sm.pk], is_active=True).count() == 2
    assert User.objects.get(pk=world.am1.pk).role == "account_manager"
    ok = client.patch(f"/api/staff/{world.desk.pk}", {"is_active": False})
    assert ok.status_code == 200 and ok.json()["is_active"] is False
    assert AuditEvent.objects.filter(action="config.staff.deactivate", target="user:desk").count() == 1
    assert client.patch(f"/api/staff/{world.admin.pk}", {"is_active": False}).status_code == 403  # oneself


def test_staff_created_and_changed(world, api_as):
    client = api_as(world.gm)
    body = {"username": "wangli", "display_name": "王丽", "password": "Gx7-lantern-9q", "role": "account_manager",
            "properties": ["h1"], "manager": "sm"}
    created = client.post("/api/staff", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["properties"], data["manager"], data["owned_files"]) == (["H1"], "sm", 0)
    assert client.post("/api/staff", {**body, "username": "WANGLI"}).status_code == 422  # taken
    assert client.post("/api/staff", {**body, "username": "x1", "role": "admin"}).status_code == 422
    assert client.post("/api/staff", {**body, "username": "x2", "manager": "am1"}).status_code == 422
    weak = client.post("/api/staff", {**body, "username": "x3", "password": "1234567890"})
    assert weak.status_code == 422 and weak.json()["errors"]["password"]
    assert User.objects.filter(username__startswith="x").count() == 0
    changed = client.patch(f"/api/staff/{data['id']}", {"role": "sales_manager"})
    assert changed.status_code == 200 and changed.json()["manager"] is None  # cleared for other roles
    assert client.patch(f"/api/staff/{data['id']}", {"properties": []}).status_code == 422
    assert client.patch(f"/api/staff/{world.admin.pk}", {"display_name": "x"}).status_code == 403


def test_password_reset(world, api_as):
    client = api_as(world.admin)
    assert client.post(f"/api/staff/{world.am1.pk}/password", {"password": "short"}).status_code == 422
    assert client.post(f"/api/staff/{world.am1.pk}/password", {"password": "am1-password"}).status_code == 422
    assert client.post(f"/api/staff/{world.am1.pk}/password", {"password": "Gx7-lantern-9q"}).status_code == 204
    assert check_password("Gx7-lantern-9q", User.objects.get(pk=world.am1.pk).password)
    assert client.post(f"/api/staff/{world.admin.pk}/password", {"password": "Gx7-lantern-9q"}).status_code == 403


def test_only_group_administrators_add_properties(world, api_as):
    created = api_as(world.admin).post("/api/properties", {"code": "H3", "name": "迎客度假村",
                                                           "time_zone": "Asia/Urumqi"})
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "code": "H3", "name": "迎客度假村", "kind": "hotel",
                              "time_zone": "Asia/Urumqi", "outlets_strict": False, "outlets": 0, "staff": 1}
    assert api_as(world.admin).post("/api/properties", {"code": "h3", "name": "x"}).status_code == 422
    assert api_as(world.gm).post("/api/properties", {"code": "H4", "name": "x"}).status_code == 403
    assert not Property.objects.filter(code="H4").exists()
    patched = api_as(world.gm).patch(f"/api/properties/{world.h1.pk}", {"code": "HX"})
    assert patched.status_code == 422  # the code is set once (unknown field)


ODD = ["a\x00b", "\ud800", "x" * 5000, "  ", "line\nbreak", "\u202e\u0000"]


@pytest.mark.parametrize("value", ODD)
def test_odd_text_in_every_text_field_is_422_and_changes_nothing(tagged, api_as, value):
    client = api_as(tagged.admin)
    outlet = tagged.h1.outlets.get()
    sends = [
        ("post", "/api/properties", {"code": "H5", "name": value}),
        ("post", "/api/properties", {"code": value, "name": "x"}),
        ("patch", f"/api/properties/{tagged.h1.pk}", {"name": value}),
        ("post", "/api/outlets", {"property": "H1", "code": "Z", "name": value}),
        ("post", "/api/outlets", {"property": value, "code": "Z", "name": "x"}),
        ("patch", f"/api/outlets/{outlet.pk}", {"name": value}),
        ("patch", f"/api/outlets/{outlet.pk}", {"code": value}),
        ("post", "/api/staff", {"username": value, "password": "Gx7-lantern-9q", "role": "gm", "properties": ["H1"]}),
        ("post", "/api/staff", {"username": "ok1", "password": "Gx7-lantern-9q", "role": "gm",
                                "properties": ["H1"], "display_name": value}),
        ("post", "/api/staff", {"username": "ok2", "password": value, "role": "gm", "properties": ["H1"]}),
        ("post", "/api/staff", {"username": "ok3", "password": "Gx7-lantern-9q", "role": "gm",
                                "properties": [value]}),
        ("patch", f"/api/staff/{tagged.desk.pk}", {"display_name": value}),
        ("patch", f"/api/staff/{tagged.desk.pk}", {"manager": value}),
        ("post", f"/api/staff/{tagged.desk.pk}/password", {"password": value}),
        ("post", "/api/tags", {"property": "H1", "name": value}),
        ("patch", f"/api/tags/{tagged.vip.pk}", {"name": value}),
    ]
    for method, url, body in sends:
        if not value.strip() and body.get("display_name") == value:
            continue  # an optional name left blank is fine
        raw = json.dumps(body)  # "\ud800" is sent as the JSON escape, as a client would
        response = getattr(client, method)(url, raw)
        assert response.status_code == 422, (url, body, response.status_code, response.content[:300])
        assert response.json()["errors"], (url, body)
    tagged.h1.refresh_from_db()
    outlet.refresh_from_db()
    assert (tagged.h1.name, outlet.name, outlet.code) == ("迎客大酒店", "中餐厅", "CN")
    assert Property.objects.count() == 2 and Outlet.objects.count() == 2
    assert not User.objects.filter(username__startswith="ok").exists()
    assert User.objects.get(pk=tagged.desk.pk).display_name == "desk"
    assert set(Tag.objects.values_list("name", flat=True)) == {"VIP", "vip", "常客"}
    assert not AuditEvent.objects.filter(action__startswith="config.").exists()


def test_tag_rename_merge_delete_are_recorded_in_each_file_history(tagged, api_as):
    client = api_as(tagged.gm)
    before = {c.pk: c.history.count() for c in Customer.objects.all()}
    renamed = client.patch(f"/api/tags/{tagged.vip.pk}", {"name": "贵宾"})
    assert renamed.status_code == 200 and renamed.json() == {"id": tagged.vip.pk, "property": "H1", "name": "贵宾",
                                                             "files": 2}
    assert client.patch(f"/api/tags/{tagged.vip2.pk}", {"name": "贵宾"}).status_code == 409  # a tag of that name exists: merge instead
    merged = client.post(f"/api/tags/{tagged.vip2.pk}/merge", {"into": tagged.vip.pk})
    assert merged.status_code == 200 and merged.json()["files"] == 2
    assert not Tag.objects.filter(pk=tagged.vip2.pk).exists()
    assert client.delete(f"/api/tags/{tagged.vip.pk}").status_code == 204
    assert not tagged.c_am1.tags.exists() and not tagged.c_am2.tags.exists()
    after = {c.pk: c.history.count() for c in Customer.objects.all()}
    # am1's file: rename + delete; am2's: rename + merge + delete; others untouched.
    assert after[tagged.c_am1.pk] - before[tagged.c_am1.pk] == 2
    assert after[tagged.c_am2.pk] - before[tagged.c_am2.pk] == 3
    assert all(after[pk] == before[pk] for pk in before if pk not in (tagged.c_am1.pk, tagged.c_am2.pk))
    reasons = list(tagged.c_am2.history.order_by("history_id").values_list("history_change_reason", "history_user"))[-3:]
    assert [r[1] for r in reasons] == [tagged.gm.pk] * 3
    assert "VIP" in reasons[0][0] and "贵宾" in reasons[0][0]
    assert "vip" in reasons[1][0] and "贵宾" in reasons[2][0]
    # The snapshot after the merge still carries the surviving tag.
    merge_record = list(tagged.c_am2.history.order_by("history_id"))[-2]
    assert [t.tag_id for t in merge_record.tags.all()] == [tagged.vip.pk]
    assert set(AuditEvent.objects.filter(action__startswith="config.tag").values_list("action", flat=True)) == {
        "config.tag.rename", "config.tag.merge", "config.tag.delete"}


def test_schema_types_are_kept_strictly(world, api_as):
    """Schemathesis found these: a boolean is not a number, null is not a value to require."""
    client = api_as(world.admin)
    body = {"property": "H1", "code": "BAR", "name": "酒吧", "kind": "bar"}
    assert client.post("/api/outlets", {**body, "capacity": False}).status_code == 422
    assert client.post("/api/outlets", {**body, "capacity": 12.0}).status_code == 201  # a JSON integer
    outlet = client.get("/api/outlets", {"property": "H1"}).json()["items"]
    bar = next(o for o in outlet if o["code"] == "BAR")
    assert client.patch(f"/api/outlets/{bar['id']}", {"kind": None}).status_code == 422
    assert client.patch(f"/api/staff/{world.am1.pk}", {"is_active": None}).status_code == 422


def test_strict_outlets_are_set_by_whoever_configures_the_property(world, api_as):
    assert api_as(world.gm).patch(f"/api/properties/{world.h1.pk}", {"outlets_strict": True}).json()[
        "outlets_strict"] is True
    world.h1.refresh_from_db()
    assert world.h1.outlets_strict
    assert api_as(world.gm).patch(f"/api/properties/{world.h1.pk}", {"outlets_strict": None}).status_code == 422
    assert api_as(world.sm).patch(f"/api/properties/{world.h1.pk}", {"outlets_strict": False}).status_code in (403, 404)
    world.h1.refresh_from_db()
    assert world.h1.outlets_strict
