"""R-6.2 in the API: the rules of a property, staff settings, the queue, bulk assign and a file's
assignment history; permissions by role; bad input is a 422 and changes nothing."""

import pytest

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.control import assignment
from yingke.control.models import Assignment, StaffSetting, Unassigned
from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer

R = Assignment.Rule

@pytest.fixture
def as_():
    return token_client


def test_policy_read_by_role(world, as_):
    for who, status in [("gm", 200), ("sm", 200), ("am1", 200), ("admin", 200), ("desk", 403), ("gm2", 404)]:
        r = as_(getattr(world, who)).get("/api/assignment-policies/H1")
        assert r.status_code == status, who
    body = as_(world.gm).get("/api/assignment-policies/h1").json()
    assert body["order"] == ["creator", "area", "new_staff", "balance"] and body["can_change"] is True
    assert as_(world.sm).get("/api/assignment-policies/H1").json()["can_change"] is False
    assert as_(world.gm).get("/api/assignment-policies/NOPE").status_code == 404


def test_policy_patch(world, as_):
    r = as_(world.gm).patch("/api/assignment-policies/H1", {"order": ["balance", "area", "creator", "new_staff"],
                                                            "new_staff_share": 10})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["order"][0] == "balance" and body["new_staff_share"] == 10 and body["new_staff_months"] == 3
    assert body["changes"][0]["who"] == "gm"
    assert as_(world.sm).patch("/api/assignment-policies/H1", {"new_staff_share": 20}).status_code == 403
    assert assignment.policy_of(world.h1).new_staff_share == 10


@pytest.mark.parametrize("bad", [
    {"order": ["balance", "balance", "creator", "new_staff"]},
    {"order": ["balance", "area", "creator"]},
    {"order": ["balance", "area", "creator", "queue"]},
    {"order": "balance"},
    {"new_staff_share": 101},
    {"new_staff_months": -1},
    {"new_staff_months": 1.5},
    {"extra": 1},
    {"order": ["balance", "area", "creator", "new_staff\u0000"]},
])
def test_policy_bad_input(world, as_, bad):
    r = as_(world.gm).patch("/api/assignment-policies/H1", bad)
    assert r.status_code == 422, (bad, r.content)
    pol = assignment.policy_of(world.h1)
    assert pol.order == ["creator", "area", "new_staff", "balance"] and pol.new_staff_share == 30


def test_staff_settings_list_and_patch(world, as_):
    items = as_(world.gm).get("/api/staff-settings", {"property": "H1"}).json()["items"]
    assert {i["user"]["username"] for i in items} == {"sm", "am1", "am2", "am3"}
    sm_items = as_(world.sm).get("/api/staff-settings", {"property": "H1"}).json()["items"]
    assert {i["user"]["username"] for i in sm_items} == {"sm", "am1", "am2"}
    am1 = next(i for i in sm_items if i["user"]["username"] == "am1")
    assert am1["can_change"] is True and am1["daily_target"] == 1
    r = as_(world.sm).patch(f"/api/staff-settings/{am1['id']}", {"areas": "海淀区，ＣＢＤ", "capacity": 40,
                                                                  "weight": 3, "started_on": "2025-01-02"})
    assert r.status_code == 200, r.content
    assert (r.json()["capacity"], r.json()["weight"], r.json()["areas"]) == (40, 3, "海淀区，ＣＢＤ")
    assert as_(world.sm).patch(f"/api/staff-settings/{am1['id']}", {"capacity": None}).json()["capacity"] is None
    # am1 reads their own row, may not change it; am3's row is not sm's
    own = as_(world.am1).get("/api/staff-settings", {"property": "H1"}).json()["items"]
    assert [i["user"]["username"] for i in own] == ["am1"] and own[0]["can_change"] is False
    assert as_(world.am1).patch(f"/api/staff-settings/{am1['id']}", {"weight": 9}).status_code == 403
    am3 = StaffSetting.objects.get(property=world.h1, user=world.am3)
    assert as_(world.sm).patch(f"/api/staff-settings/{am3.pk}", {"weight": 9}).status_code == 404
    assert as_(world.gm2).patch(f"/api/staff-settings/{am3.pk}", {"weight": 9}).status_code == 404
    assert as_(world.desk).get("/api/staff-settings", {"property": "H1"}).status_code == 403
    assert as_(world.gm).patch("/api/staff-settings/99999999999999999999", {"weight": 9}).status_code in (404, 422)


@pytest.mark.parametrize("bad", [{"weight": -1}, {"weight": None}, {"capacity": "x"}, {"started_on": "2025-02-30"},
                                 {"areas": "长" * 201}, {"areas": "a\x01b"}, {"nope": 1}, {"daily_target": 101}])
def test_staff_settings_bad_input(world, as_, bad):
    assignment.ensure_settings(world.h1)
    s = StaffSetting.objects.get(property=world.h1, user=world.am1)
    r = as_(world.gm).patch(f"/api/staff-settings/{s.pk}", bad)
    assert r.status_code == 422, (bad, r.content)
    s.refresh_from_db()
    assert (s.weight, s.capacity, s.areas, s.daily_target) == (1, None, "", 1)


def test_queue(world, as_):
    for u in (world.sm, world.am1, world.am2, world.am3):
        StaffSetting.objects.update_or_create(property=world.h1, user=u, defaults={"capacity": 0})
    c = make_customer(world.h1, "Q1", "排队", area="海淀")
    assignment.assign_by_rules(SYSTEM, [c.pk], reason="t")
    body = as_(world.sm).get("/api/assignment-queue", {"property": "H1"}).json()
    assert [i["customer"] for i in body["items"]] == [c.pk] and body["items"][0]["reason"]
    assert as_(world.am1).get("/api/assignment-queue", {"property": "H1"}).status_code == 403
    assert as_(world.gm2).get("/api/assignment-queue", {"property": "H1"}).status_code == 404
    assert as_(world.gm).get("/api/assignment-queue").status_code == 422


def test_bulk_assign_and_history(world, as_):
    r = as_(world.gm).post("/api/customers/assign", {"ids": [world.c_pool.pk, world.c_am1.pk],
                                                     "owner": world.am3.pk, "reason": "调整"})
    assert r.status_code == 200, r.content
    assert r.json()["moved"] == 2
    assert Customer.objects.get(pk=world.c_pool.pk).owner_id == world.am3.pk
    hist = as_(world.gm).get(f"/api/customers/{world.c_am1.pk}/assignments").json()["items"]
    assert hist[0]["rule"] == "bulk" and hist[0]["previous_owner"]["username"] == "am1"
    assert hist[0]["by"]["username"] == "gm" and hist[0]["reason"] == "调整"
    # am1 no longer sees the file: its history is 404 for them
    assert as_(world.am1).get(f"/api/customers/{world.c_am1.pk}/assignments").status_code == 404
    r = as_(world.gm).post("/api/customers/assign", {"ids": [world.c_pool.pk], "owner": None, "reason": "退回"})
    assert r.status_code == 200 and Customer.objects.get(pk=world.c_pool.pk).owner_id is None
    assert Assignment.objects.filter(customer=world.c_pool, rule=R.RELEASE).exists()


def test_bulk_assign_is_all_or_nothing(world, as_):
    r = as_(world.sm).post("/api/customers/assign", {"ids": [world.c_pool.pk, world.c_am3.pk],
                                                     "owner": world.am1.pk})
    assert r.status_code == 422
    assert "1" in r.json()["errors"]["ids"][0]
    assert Customer.objects.get(pk=world.c_pool.pk).owner_id is None
    r = as_(world.sm).post("/api/customers/assign", {"ids": [world.c_pool.pk], "owner": world.am3.pk})
    assert r.status_code == 422 and Customer.objects.get(pk=world.c_pool.pk).owner_id is None
    assert as_(world.desk).post("/api/customers/assign", {"ids": [world.c_pool.pk], "owner": world.am1.pk}
                                ).status_code == 422
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("bad", [{}, {"ids": []}, {"ids": ["a"], "owner": None}, {"ids": [1.5], "owner": None},
                                 {"ids": [0], "owner": None}, {"ids": [2**70], "owner": None},
                                 {"ids": [1], "owner": 0}, {"ids": [1], "owner": 999999},
                                 {"ids": [1], "owner": None, "reason": "x" * 301},
                                 {"ids": [1], "owner": None, "more": 1}, {"ids": list(range(1, 1100)), "owner": None}])
def test_bulk_assign_bad_input(world, as_, bad):
    if bad.get("ids") == [1]:
        bad = dict(bad, ids=[world.c_am1.pk])
    r = as_(world.gm).post("/api/customers/assign", bad)
    assert r.status_code == 422, (bad, r.content)
    assert not Assignment.objects.exists() and not Unassigned.objects.exists()


def test_history_of_an_unknown_file(world, as_):
    assert as_(world.gm).get("/api/customers/999999/assignments").status_code == 404
