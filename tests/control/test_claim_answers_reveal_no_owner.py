"""What the answers about claims tell whom (R-6.1, R-12.1): the claimant learns the decision
and its reason, never who decided (that names the owning team) — in the API as on the page; a
sales manager sees the claims they may decide now and the decisions they made, not the old
claims of a team they inherited."""

from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import make_user
from yingke.control import claims
from yingke.core.roles import Role


def test_the_claimant_does_not_learn_who_decided(world):
    made = claims.claim_by_code(world.am3, world.h1, "C001", "我来").claim  # am1's file: sm decides
    claims.refuse(world.sm, made, "不行")
    item = token_client(world.am3).get("/api/claims").json()["items"][0]
    assert item["status"] == "refused" and item["decision_reason"] == "不行"
    assert item["decided_by"] is None and item["owner"] is None and item["customer"]["name"] is None
    # those who decide it see who did
    for reader in (world.sm, world.gm):
        item = token_client(reader).get("/api/claims").json()["items"][0]
        assert item["decided_by"]["username"] == "sm"


def test_the_claimant_sees_their_own_withdrawal(world):
    made = claims.claim_by_code(world.am3, world.h1, "C001", "我来").claim
    claims.withdraw(world.am3, made)
    item = token_client(world.am3).get("/api/claims").json()["items"][0]
    assert item["status"] == "withdrawn" and item["decided_by"]["username"] == "am3"


def test_a_sales_manager_who_inherits_a_team_sees_only_what_they_decide_now(world):
    decided = claims.claim_by_code(world.am3, world.h1, "C001", "我来").claim
    claims.refuse(world.gm, decided, "不行")  # am1's file, decided by the general manager
    pending = claims.claim_by_code(world.am3, world.h1, "C002", "我也来").claim  # am2's file, pending
    sm2 = make_user("sm2", Role.SALES_MANAGER, world.h1)
    world.am1.manager = sm2  # sm2 inherits am1; am2 stays with sm
    world.am1.save(update_fields=["manager"])
    assert set(claims.decidable(sm2)) == set()  # the old, decided claim of am1's file is not sm2's
    assert set(claims.decidable(world.sm)) == {pending}
    c = Client()
    c.force_login(sm2)
    body = c.get("/control/claims/").content.decode()
    assert "张三" not in body and "单田芳" not in body
    assert token_client(sm2).get("/api/claims").json()["items"] == []
    # a decision sm2 makes stays in their list
    again = claims.claim_by_code(world.am2, world.h1, "C001", "再来").claim
    claims.refuse(sm2, again, "不行")
    assert set(claims.decidable(sm2)) == {again}


def test_a_sales_manager_loses_a_pending_claim_when_the_file_leaves_the_team(world):
    pending = claims.claim_by_code(world.am3, world.h1, "C001", "我来").claim
    assert pending in claims.decidable(world.sm)
    world.am1.manager = None
    world.am1.save(update_fields=["manager"])
    assert pending not in claims.decidable(world.sm)
    assert pending in claims.decidable(world.gm)
