"""Claims in the API (R-6.1): 201 when a pool file is yours, 202 when a request was made,
409 for a lost race or a pending claim, 404 for a file or claim out of sight, 403 for one
seen but not yours to act on, 422 for bad input (nothing changed); the list shows claims
one made or decides, and an account manager's view of an owned file holds only its code."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.helpers import session_client, token_client
from yingke.control import claims
from yingke.control.models import Assignment, Claim
from yingke.customers.models import Customer


def owner_id(c):
    return Customer.objects.get(pk=c.pk).owner_id


def test_claiming_a_pool_file_is_201_and_yours(world):
    r = token_client(world.am1).post(f"/api/customers/{world.c_pool.pk}/claim", {"reason": "老客户"})
    assert r.status_code == 201, r.content
    assert r.json() == {"result": "owned", "customer_code": "C004", "claim": None}
    assert owner_id(world.c_pool) == world.am1.pk


def test_claiming_an_owned_file_is_202_a_request(world):
    r = token_client(world.sm).post(f"/api/customers/{world.c_am1.pk}/claim", {"reason": "我来"})
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["result"] == "requested" and body["claim"]["status"] == "pending"
    assert owner_id(world.c_am1) == world.am1.pk
    # A file the caller does not see (am3's, outside sm's team) is 404 by id: claim it by code.
    assert token_client(world.sm).post(f"/api/customers/{world.c_am3.pk}/claim",
                                       {"reason": "我来"}).status_code == 404


def test_the_loser_of_a_race_gets_409(world):
    """The answer a loser gets once the winner committed (the race itself: test_claims_race)."""
    claims.claim(world.am1, Customer.objects.get(pk=world.c_pool.pk), "先")
    r = token_client(world.am2).post(f"/api/customers/{world.c_pool.pk}/claim", {"reason": "我"})
    assert r.status_code == 409 and "刚刚已有人认领" in r.json()["detail"]
    # The sales manager still sees the file (am1's): asked for a pool claim only, 409; otherwise a request.
    r = token_client(world.sm).post(f"/api/customers/{world.c_pool.pk}/claim", {"reason": "我", "from_pool": True})
    assert r.status_code == 409
    assert not Claim.objects.exists()
    assert token_client(world.sm).post(f"/api/customers/{world.c_pool.pk}/claim", {"reason": "我"}).status_code == 202
    assert owner_id(world.c_pool) == world.am1.pk


def test_only_a_recent_claim_from_the_pool_answers_409_to_those_who_cannot_see_the_file(world):
    # am1's file was never in the pool: to am2 it does not exist.
    r = token_client(world.am2).post(f"/api/customers/{world.c_am1.pk}/claim", {"reason": "我"})
    assert r.status_code == 404
    claims.claim(world.am1, Customer.objects.get(pk=world.c_pool.pk), "先")
    Assignment.objects.update(created_at=timezone.now() - claims.RACE_WINDOW - dt.timedelta(seconds=1))
    assert token_client(world.am2).post(f"/api/customers/{world.c_pool.pk}/claim",
                                        {"reason": "我"}).status_code == 404
    assert token_client(world.am_h2).post(f"/api/customers/{world.c_pool.pk}/claim",
                                          {"reason": "我"}).status_code == 404


def test_a_second_pending_claim_is_409(world):
    client = token_client(world.am2)
    body = {"property": world.h1.pk, "customer_code": "C001", "reason": "要"}
    assert client.post("/api/claims", body).status_code == 202
    r = client.post("/api/claims", body)
    assert r.status_code == 409 and "您已申请认领" in r.json()["detail"]
    assert Claim.objects.count() == 1


def test_claim_by_code_reveals_only_the_code(world):
    r = token_client(world.am2).post("/api/claims", {"property": world.h1.pk, "customer_code": "c001",
                                                      "reason": "听说过"})
    assert r.status_code == 202
    text = r.content.decode()
    for secret in ("张三", "13812345678", "5678", "am1"):
        assert secret not in text, secret
    claim = r.json()["claim"]
    assert claim["customer"] == {"id": None, "customer_code": "C001", "name": None}
    assert claim["owner"] is None
    listed = token_client(world.am2).get("/api/claims").json()["items"]
    assert listed[0]["customer"]["name"] is None and listed[0]["owner"] is None
    # The decider sees it all.
    decided = token_client(world.sm).get("/api/claims", {"status": "pending"}).json()["items"]
    assert decided[0]["customer"]["name"] == "张三" and decided[0]["owner"]["username"] == "am1"
    assert decided[0]["can_decide"] is True


def test_claim_by_code_of_another_property_or_unknown_code(world):
    client = token_client(world.am2)
    assert client.post("/api/claims", {"property": world.h2.pk, "customer_code": "C001",
                                       "reason": "x"}).status_code == 404
    r = client.post("/api/claims", {"property": world.h1.pk, "customer_code": "C999", "reason": "x"})
    assert r.status_code == 422 and "code" in r.json()["errors"]


def test_approve_refuse_withdraw_status_codes(world):
    made = claims.claim_by_code(world.am2, world.h1, "C001", "要").claim
    assert token_client(world.am1).post(f"/api/claims/{made.pk}/approve", {}).status_code == 404
    assert token_client(world.am2).post(f"/api/claims/{made.pk}/approve", {}).status_code == 403
    assert token_client(world.sm).post(f"/api/claims/{made.pk}/refuse", {"reason": " "}).status_code == 422
    assert token_client(world.sm).post(f"/api/claims/{made.pk}/withdraw").status_code == 403
    r = token_client(world.sm).post(f"/api/claims/{made.pk}/approve", {"reason": "同意"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert owner_id(world.c_am1) == world.am2.pk
    assert token_client(world.sm).post(f"/api/claims/{made.pk}/refuse", {"reason": "晚了"}).status_code == 409
    assert token_client(world.am2).post(f"/api/claims/{made.pk}/withdraw").status_code == 409
    seen = token_client(world.am2).get("/api/claims").json()["items"][0]
    assert seen["status"] == "approved" and seen["decision_reason"] == "同意" and seen["customer"]["name"] == "张三"


def test_release_via_the_api(world):
    client = token_client(world.am1)
    assert client.post(f"/api/customers/{world.c_am1.pk}/release", {}).status_code == 422
    assert owner_id(world.c_am1) == world.am1.pk
    r = client.post(f"/api/customers/{world.c_am1.pk}/release", {"reason": "客户离职"})
    assert r.status_code == 200 and r.json() == {"customer": world.c_am1.pk, "owner": None}
    assert Assignment.objects.get(customer=world.c_am1).rule == Assignment.Rule.RELEASE
    assert client.post(f"/api/customers/{world.c_am1.pk}/release", {"reason": "再"}).status_code == 409
    assert token_client(world.desk).post(f"/api/customers/{world.c_am2.pk}/release",
                                         {"reason": "x"}).status_code == 403
    assert token_client(world.am1).post(f"/api/customers/{world.c_am2.pk}/release",
                                        {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("body", [{"reason": "a\u0000b"}, {"reason": "\ud800"}, {"reason": "x" * 501},
                                  {"reason": 5}, {"reason": "ok", "extra": 1}, {"reason": "\u202e\u200b"}])
def test_bad_input_is_422_and_changes_nothing(world, body):
    r = token_client(world.am1).post(f"/api/customers/{world.c_pool.pk}/claim", body)
    assert r.status_code in (400, 422), r.content
    assert owner_id(world.c_pool) is None and not Assignment.objects.exists()


@pytest.mark.parametrize("path", ["/api/customers/0/claim", "/api/customers/9223372036854775808/claim",
                                  "/api/claims/0/approve", "/api/claims/9223372036854775807/refuse",
                                  "/api/customers/-1/release"])
def test_bad_ids_are_404(world, path):
    assert token_client(world.gm).post(path, {"reason": "x"}).status_code == 404


def test_session_writes_need_csrf(world):
    r = session_client(world.am1, csrf=False).post(f"/api/customers/{world.c_pool.pk}/claim", {"reason": "x"})
    assert r.status_code == 403
    assert owner_id(world.c_pool) is None


def test_the_list_filters_by_status_and_side(world):
    a = claims.claim_by_code(world.am2, world.h1, "C001", "一").claim
    b = claims.claim_by_code(world.am1, world.h1, "C002", "二").claim
    claims.refuse(world.sm, b, "不")
    sm = token_client(world.sm)
    assert {i["id"] for i in sm.get("/api/claims").json()["items"]} == {a.pk, b.pk}
    assert {i["id"] for i in sm.get("/api/claims", {"status": "refused"}).json()["items"]} == {b.pk}
    assert {i["id"] for i in sm.get("/api/claims", {"mine": "true"}).json()["items"]} == set()
    am1 = token_client(world.am1).get("/api/claims").json()["items"]
    assert [i["id"] for i in am1] == [b.pk] and am1[0]["decision_reason"] == "不"
    assert token_client(world.am3).get("/api/claims").json()["items"] == []
    assert token_client(world.sm).get("/api/claims", {"status": "bogus"}).status_code == 422
