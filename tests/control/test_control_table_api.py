"""R-6.4 in the API: GET /api/control-table (a member's table as JSON, every section) and
GET /api/control-table/team (one line of counts per member), with the permissions of the pages
(404 whose table one may not read, like an unknown member or property; 422 bad input)."""

import datetime as dt

import pytest

from yingke.customers.models import Customer

URL = "/api/control-table"
TEAM = "/api/control-table/team"


def overdue(world, customer, days=3):
    today = world.h1.local_today()
    Customer.objects.filter(pk=customer.pk).update(expected_next_visit=today - dt.timedelta(days=days),
                                                   usual_interval=7, grade="A")


def test_own_table_as_json(client, world):
    overdue(world, world.c_am1)
    client.force_login(world.am1)
    body = client.get(URL).json()
    assert body["member"]["username"] == "am1" and body["property"] == "H1"
    assert body["day"] == world.h1.local_today().isoformat()
    assert [s["key"] for s in body["sections"]] == ["follow_ups", "commitments", "complaints", "overdue", "unseen",
                                                   "dates"]
    sections = {s["key"]: s for s in body["sections"]}
    assert sections["follow_ups"] == {**sections["follow_ups"], "tracked": True, "count": 0, "rows": []}
    (row,) = sections["overdue"]["rows"]
    assert row["id"] == world.c_am1.pk and row["code"] == "C001" and row["mobile"] == "13812345678"
    assert row["grade"] == "A" and row["date"] == (world.h1.local_today() - dt.timedelta(days=3)).isoformat()
    assert sections["overdue"]["count"] == 1 and body["total"] == 1
    assert body["development"] == {"done": 0, "target": 1, "met": False}


def test_a_given_day_and_limit(client, world):
    overdue(world, world.c_am1, days=3)
    client.force_login(world.sm)
    day = world.h1.local_today() - dt.timedelta(days=5)
    body = client.get(URL, {"member": world.am1.pk, "property": "H1", "day": day.isoformat()}).json()
    assert body["day"] == day.isoformat()
    assert next(s for s in body["sections"] if s["key"] == "overdue")["count"] == 0  # not yet late then
    body = client.get(URL, {"member": world.am1.pk, "limit": 1}).json()
    assert next(s for s in body["sections"] if s["key"] == "overdue")["count"] == 1


@pytest.mark.parametrize("reader, member, status", [
    ("am1", "am2", 404), ("am3", "am1", 404), ("desk", "am1", 404), ("admin", "am1", 404), ("sm", "am3", 404),
    ("gm", "am_h2", 404), ("sm", "am1", 200), ("gm", "am3", 200), ("gm2", "am_h2", 200),
])
def test_who_reads_whose_table(client, world, reader, member, status):
    client.force_login(getattr(world, reader))
    response = client.get(URL, {"member": getattr(world, member).pk})
    assert response.status_code == status
    assert ("detail" in response.json()) == (status != 200)


@pytest.mark.parametrize("params, status", [
    ({"member": 999999}, 404), ({"member": "x"}, 422), ({"member": 0}, 422), ({"property": "NOPE"}, 404),
    ({"property": "H 1"}, 422), ({"day": "2026-02-30"}, 422), ({"day": "1999-12-31"}, 422),
    ({"day": "2999-01-01"}, 422), ({"day": "２０２６-01-01"}, 422), ({"limit": 0}, 422), ({"limit": 10**6}, 422),
])
def test_bad_input_is_a_clear_error(client, world, params, status):
    client.force_login(world.am1)
    response = client.get(URL, params)
    assert response.status_code == status, response.content
    assert response.json()["detail"]


def test_team_counts(client, world):
    overdue(world, world.c_am1)
    overdue(world, world.c_am2, days=1)
    client.force_login(world.sm)
    body = client.get(TEAM).json()
    assert body["property"] == "H1"
    lines = {x["member"]["username"]: x for x in body["members"]}
    assert list(lines) == ["am1", "am2", "sm"]
    assert lines["am1"]["counts"]["overdue"] == 1 and lines["am1"]["counts"]["follow_ups"] == 0
    assert lines["am2"]["counts"]["overdue"] == 1 and lines["sm"]["total"] == 0
    client.force_login(world.gm)
    assert len(client.get(TEAM).json()["members"]) == 4


@pytest.mark.parametrize("reader", ["am1", "desk", "sup", "admin"])
def test_team_is_refused_to_others(client, world, reader):
    client.force_login(getattr(world, reader))
    assert client.get(TEAM).status_code == 403


def test_anonymous_gets_401(client, world):
    assert client.get(URL).status_code == 401
    assert client.get(TEAM).status_code == 401
