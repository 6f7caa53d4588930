"""R-1.3 through the API: GET /api/staff/{id}/holdings, POST /api/staff/{id}/handover — who may
(every role), bad input 422 changes nothing, 409 when nothing is left, 404 outside one's staff."""

import pytest

from tests.api.helpers import session_client, token_client
from tests.conftest import make_customer
from yingke.control.models import Assignment, Handover
from yingke.customers.models import Customer


def test_holdings(world):
    make_customer(world.h1, "C010", "王五", owner=world.am1)
    response = token_client(world.admin).get(f"/api/staff/{world.am1.pk}/holdings")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "am1" and body["properties"] == ["H1"] and body["total"] == 2
    kinds = {k["key"]: k for k in body["kinds"]}
    assert kinds["customers"]["total"] == 2
    assert kinds["customers"]["per_property"] == [{"property": world.h1.pk, "property_code": "H1", "count": 2}]
    assert kinds["claims_made"]["total"] == 0
    assert "王五" not in response.content.decode()


def test_handover_to_a_member(world):
    client = session_client(world.gm)
    response = client.post(f"/api/staff/{world.am1.pk}/handover", {"to": world.am2.pk, "reason": "离职"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["to"] == world.am2.pk and body["by_rules"] is False and body["counts"]["customers"] == 1
    assert Customer.objects.get(pk=world.c_am1.pk).owner_id == world.am2.pk
    assert Assignment.objects.get(customer=world.c_am1).handover_id == body["id"]
    again = client.post(f"/api/staff/{world.am1.pk}/handover", {"to": world.am2.pk, "reason": "离职"})
    assert again.status_code == 409
    assert client.get(f"/api/staff/{world.am1.pk}/holdings").json()["total"] == 0


def test_handover_by_the_rules(world):
    response = token_client(world.gm).post(f"/api/staff/{world.am1.pk}/handover",
                                           {"to": None, "by_rules": True, "reason": "离职"})
    assert response.status_code == 201, response.content
    assert Customer.objects.get(pk=world.c_am1.pk).owner_id not in (None, world.am1.pk)


@pytest.mark.parametrize("body, field", [
    ({"reason": "离职"}, "to"),
    ({"to": 1, "by_rules": True, "reason": "离职"}, "to"),
    ({"to": "am2", "reason": "离职"}, "to"),
    ({"to": 0, "reason": "离职"}, "to"),
    ({"to": 2**63, "reason": "离职"}, "to"),
    ({"to": "AM2", "reason": "离职"}, "to"),
    ({"by_rules": True}, "reason"),
    ({"by_rules": True, "reason": ""}, "reason"),
    ({"by_rules": True, "reason": "x" * 301}, "reason"),
    ({"by_rules": True, "reason": "a\u0000b"}, None),
    ({"by_rules": True, "reason": "\ud800"}, None),
    ({"by_rules": "yes please", "reason": "离职"}, "by_rules"),
    ({"by_rules": True, "reason": "离职", "properties": ["H2"]}, "properties"),
    ({"by_rules": True, "reason": "离职", "extra": 1}, "extra"),
])
def test_bad_input_is_422_and_changes_nothing(world, body, field):
    response = token_client(world.gm).post(f"/api/staff/{world.am1.pk}/handover", body)
    assert response.status_code == 422, response.content
    if field:
        assert field in response.json()["errors"], response.json()
    assert Customer.objects.get(pk=world.c_am1.pk).owner_id == world.am1.pk
    assert not Handover.objects.exists()


def test_a_to_of_another_property_is_422(world):
    response = token_client(world.gm).post(f"/api/staff/{world.am1.pk}/handover",
                                           {"to": world.am_h2.pk, "reason": "离职"})
    assert response.status_code == 422 and "to" in response.json()["errors"]


@pytest.mark.parametrize("who, status", [
    ("gm", 201), ("admin", 201), ("sm", 403), ("am1", 403), ("am2", 403), ("desk", 403), ("sup", 403),
    ("gm2", 404), ("am_h2", 403),
])
def test_who_may(world, who, status):
    client = token_client(getattr(world, who))
    target = world.am1 if who != "am1" else world.am2
    read = client.get(f"/api/staff/{target.pk}/holdings")
    assert read.status_code == (200 if status == 201 else status)
    posted = client.post(f"/api/staff/{target.pk}/handover", {"to": world.am3.pk, "reason": "离职"})
    assert posted.status_code == status, posted.content
    assert Handover.objects.exists() == (status == 201)


def test_unknown_and_oneself(world):
    client = token_client(world.gm)
    assert client.get("/api/staff/999999/holdings").status_code == 404
    assert client.get(f"/api/staff/{2**63}/holdings").status_code == 404
    assert client.post(f"/api/staff/{world.gm.pk}/handover", {"by_rules": True, "reason": "x"}).status_code == 403
