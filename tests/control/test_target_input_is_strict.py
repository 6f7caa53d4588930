"""API inputs of the control module are what they say (R-6.3, R-1.3, R-6.1): a count is a JSON
whole number — true, "5" or 5.0 is 422 and changes nothing (pydantic would coerce them); a
flag is a JSON boolean. And copying targets into the first period (2000) is a clear message,
not an error page."""

import pytest

from tests.api.helpers import token_client
from yingke.control.models import Claim, Handover, PositionTarget

PUT = "/api/targets/{pk}/month/2026-01-01?property=H1"


@pytest.mark.parametrize("value", [True, False, "5", 5.0, [5], {"n": 5}])
@pytest.mark.parametrize("field", ["effective", "a_customers", "visits", "new_customers", "follow_ups"])
def test_a_count_that_is_not_a_whole_number_is_422(world, field, value):
    r = token_client(world.gm).put(PUT.format(pk=world.am1.pk), {field: value}, content_type="application/json")
    assert r.status_code == 422, r.content
    assert not PositionTarget.objects.exists()


def test_revenue_true_is_422_and_whole_numbers_pass(world):
    api = token_client(world.gm)
    r = api.put(PUT.format(pk=world.am1.pk), {"revenue": True}, content_type="application/json")
    assert r.status_code == 422
    r = api.put(PUT.format(pk=world.am1.pk), {"visits": 5, "revenue": "12.50"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["target"]["visits"] == 5


@pytest.mark.parametrize("body", [{"to": True, "reason": "离职"}, {"to": "3", "reason": "离职"},
                                  {"by_rules": 1, "reason": "离职"}, {"by_rules": "true", "reason": "离职"}])
def test_handover_input_is_strict(world, body):
    r = token_client(world.gm).post(f"/api/staff/{world.am1.pk}/handover", body, content_type="application/json")
    assert r.status_code == 422
    assert not Handover.objects.exists()


@pytest.mark.parametrize("body", [{"property": True, "customer_code": "C001", "reason": "我来"},
                                  {"property": "1", "customer_code": "C001", "reason": "我来"}])
def test_claim_by_code_property_is_strict(world, body):
    r = token_client(world.am3).post("/api/claims", body, content_type="application/json")
    assert r.status_code == 422
    assert not Claim.objects.exists()


def test_claim_from_pool_flag_is_strict(world):
    r = token_client(world.am1).post(f"/api/customers/{world.c_pool.pk}/claim", {"reason": "我来", "from_pool": 1},
                                     content_type="application/json")
    assert r.status_code == 422


@pytest.mark.parametrize("kind, start", [("month", "2000-01-01"), ("week", "2000-01-03")])
def test_copying_into_the_first_period_is_a_message(client, world, kind, start):
    PositionTarget.objects.create(property=world.h1, user=world.am1, kind=kind, start=start, visits=3)
    before = PositionTarget.objects.count()
    client.force_login(world.gm)
    r = client.post("/control/targets/copy/", {"property": "H1", "kind": kind, "start": start}, follow=True)
    assert r.status_code == 200
    texts = [str(m) for m in r.context["messages"]]
    assert len(texts) == 1 and "2000" in texts[0]
    assert PositionTarget.objects.count() == before
