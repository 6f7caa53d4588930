"""Claims (R-6.1), the service: a pool file is the claimant's at once; an owned file becomes a
request that the owner's sales manager (or the general manager) approves or refuses with a
reason; one pending claim per claimant and file; release with a reason; withdraw."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yingke.control import claims
from yingke.control.models import Assignment, Claim
from yingke.core.permissions import NotVisible
from yingke.core.services import Conflict
from yingke.customers.models import Customer


def fresh(c):
    return Customer.objects.select_related("owner").get(pk=c.pk)


def test_a_pool_file_is_the_claimants_at_once(world):
    out = claims.claim(world.am1, fresh(world.c_pool), "老客户，我来跟进")
    assert out.owned and out.claim is None
    assert fresh(world.c_pool).owner == world.am1
    a = Assignment.objects.get(customer=world.c_pool)
    assert (a.rule, a.owner, a.previous_owner, a.actor, a.reason) == (
        Assignment.Rule.CLAIM, world.am1, None, world.am1, "老客户，我来跟进")
    assert not Claim.objects.exists()
    assert fresh(world.c_pool).history.first().history_user == world.am1


def test_an_owned_file_becomes_a_request_then_approval_moves_it(world):
    out = claims.claim_by_code(world.am2, world.h1, "c001", "客户指定我服务")
    assert not out.owned
    made = out.claim
    assert (made.status, made.owner, made.claimant) == (Claim.Status.PENDING, world.am1, world.am2)
    assert fresh(world.c_am1).owner == world.am1  # nothing moved yet
    claims.approve(world.sm, made, "同意")
    made.refresh_from_db()
    assert (made.status, made.decided_by, made.decision_reason) == (Claim.Status.APPROVED, world.sm, "同意")
    assert fresh(world.c_am1).owner == world.am2
    a = Assignment.objects.get(customer=world.c_am1)
    assert (a.rule, a.previous_owner, a.owner, a.actor) == (Assignment.Rule.APPROVED, world.am1, world.am2, world.sm)


def test_refusal_needs_a_reason_and_leaves_the_file(world):
    made = claims.claim_by_code(world.am2, world.h1, "C001", "想接手").claim
    with pytest.raises(ValidationError) as e:
        claims.refuse(world.sm, made, "  \u200b ")
    assert "reason" in e.value.message_dict
    assert Claim.objects.get(pk=made.pk).status == Claim.Status.PENDING
    claims.refuse(world.sm, made, "客户一直由张经理维护")
    made.refresh_from_db()
    assert (made.status, made.decision_reason) == (Claim.Status.REFUSED, "客户一直由张经理维护")
    assert fresh(world.c_am1).owner == world.am1
    assert not Assignment.objects.exists()


def test_approving_one_claim_lapses_the_others(world):
    first = claims.claim_by_code(world.am2, world.h1, "C001", "一").claim
    second = claims.claim_by_code(world.am3, world.h1, "C001", "二").claim
    claims.approve(world.gm, second)
    assert Claim.objects.get(pk=first.pk).status == Claim.Status.LAPSED
    assert Claim.objects.get(pk=second.pk).status == Claim.Status.APPROVED
    assert fresh(world.c_am1).owner == world.am3
    assert Assignment.objects.get(customer=world.c_am1).reason == "二"  # the claim's reason when none is given


def test_a_second_pending_claim_of_one_file_is_refused(world):
    claims.claim_by_code(world.am2, world.h1, "C001", "一")
    with pytest.raises(Conflict) as e:
        claims.claim_by_code(world.am2, world.h1, "C001", "再来")
    assert "您已申请认领" in " ".join(e.value.messages)
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("role", ["gm", "sm", "am1", "am2", "am3", "desk", "sup", "admin", "gm2", "am_h2"])
def test_only_the_owners_sales_manager_or_the_gm_decides(world, role):
    made = claims.claim_by_code(world.am2, world.h1, "C001", "接手").claim  # c_am1: am1's, in sm's team
    actor = getattr(world, role)
    allowed = role in ("gm", "sm")
    if allowed:
        claims.refuse(actor, made, "不行")
        assert Claim.objects.get(pk=made.pk).status == Claim.Status.REFUSED
        return
    expected = (PermissionDenied, NotVisible) if role != "am2" else PermissionDenied
    with pytest.raises(expected):
        claims.refuse(actor, claims.claim_for(actor, made.pk) if role == "am2" else made, "不行")
    with pytest.raises(expected):
        claims.approve(actor, made)
    assert Claim.objects.get(pk=made.pk).status == Claim.Status.PENDING
    assert fresh(world.c_am1).owner == world.am1


def test_a_claim_of_a_file_outside_the_team_goes_to_the_gm_not_the_sales_manager(world):
    made = claims.claim_by_code(world.am1, world.h1, "C003", "接手").claim  # c_am3: am3 has no sales manager
    with pytest.raises(PermissionDenied):
        claims.approve(world.sm, made)
    assert made.pk not in set(claims.decidable(world.sm).values_list("pk", flat=True))
    claims.approve(world.gm, made)
    assert fresh(world.c_am3).owner == world.am1


def test_nobody_decides_their_own_claim(world):
    made = claims.claim(world.sm, fresh(world.c_am1), "我亲自跟").claim  # sm sees the team's file
    assert made is not None
    with pytest.raises(PermissionDenied):
        claims.approve(world.sm, made)
    assert made.pk not in set(claims.decidable(world.sm).values_list("pk", flat=True))
    claims.approve(world.gm, made)
    assert fresh(world.c_am1).owner == world.sm


@pytest.mark.parametrize("role", ["gm", "desk", "sup", "admin", "am_h2", "gm2"])
def test_roles_that_do_not_own_files_or_work_elsewhere_cannot_claim(world, role):
    actor = getattr(world, role)
    with pytest.raises((PermissionDenied, NotVisible)):
        claims.claim(actor, fresh(world.c_pool), "要")
    with pytest.raises(PermissionDenied):
        claims.claim_by_code(actor, world.h1, "C001", "要")
    assert fresh(world.c_pool).owner is None
    assert not Claim.objects.exists() and not Assignment.objects.exists()


def test_claiming_a_file_you_cannot_see_by_id_is_not_found(world):
    with pytest.raises(NotVisible):
        claims.claim(world.am2, fresh(world.c_am1), "要")
    assert not Claim.objects.exists()


def test_claiming_your_own_file_is_refused(world):
    with pytest.raises(PermissionDenied):
        claims.claim_by_code(world.am1, world.h1, "C001", "要")
    assert not Claim.objects.exists()


def test_release_puts_the_file_back_with_its_reason_and_lapses_claims(world):
    pending = claims.claim_by_code(world.am2, world.h1, "C001", "要").claim
    with pytest.raises(ValidationError):
        claims.release(world.am1, fresh(world.c_am1), "")
    assert fresh(world.c_am1).owner == world.am1
    claims.release(world.am1, fresh(world.c_am1), "客户已调往外地")
    assert fresh(world.c_am1).owner is None
    a = Assignment.objects.get(customer=world.c_am1)
    assert (a.rule, a.previous_owner, a.owner, a.reason) == (Assignment.Rule.RELEASE, world.am1, None, "客户已调往外地")
    assert Claim.objects.get(pk=pending.pk).status == Claim.Status.LAPSED
    with pytest.raises(Conflict):
        claims.release(world.gm, fresh(world.c_am1), "再放")


@pytest.mark.parametrize("role,allowed", [("am1", True), ("sm", True), ("gm", True), ("am2", False),
                                          ("am3", False), ("desk", False), ("sup", False), ("admin", False),
                                          ("gm2", False)])
def test_who_may_release_a_file(world, role, allowed):
    actor = getattr(world, role)
    if allowed:
        claims.release(actor, fresh(world.c_am1), "放回")
        assert fresh(world.c_am1).owner is None
    else:
        with pytest.raises((PermissionDenied, NotVisible)):
            claims.release(actor, fresh(world.c_am1), "放回")
        assert fresh(world.c_am1).owner == world.am1


def test_withdraw_only_by_the_claimant_and_only_while_pending(world):
    made = claims.claim_by_code(world.am2, world.h1, "C001", "要").claim
    with pytest.raises(PermissionDenied):
        claims.withdraw(world.sm, made)
    claims.withdraw(world.am2, made)
    assert Claim.objects.get(pk=made.pk).status == Claim.Status.WITHDRAWN
    with pytest.raises(Conflict):
        claims.withdraw(world.am2, made)
    with pytest.raises(Conflict):
        claims.approve(world.sm, made)
    assert fresh(world.c_am1).owner == world.am1


def test_a_claim_for_someone_who_left_cannot_be_approved(world):
    made = claims.claim_by_code(world.am3, world.h1, "C001", "要").claim
    world.am3.is_active = False
    world.am3.save()
    with pytest.raises(Conflict):
        claims.approve(world.sm, made)
    assert fresh(world.c_am1).owner == world.am1
    claims.refuse(world.sm, made, "已离职")


@pytest.mark.parametrize("reason", ["", "   ", "\u200b\u200d", "a\x00b", "坏\x07字", "\ud800", "长" * 501])
def test_bad_reasons_change_nothing(world, reason):
    with pytest.raises(ValidationError) as e:
        claims.claim(world.am1, fresh(world.c_pool), reason)
    assert "reason" in e.value.message_dict
    with pytest.raises(ValidationError):
        claims.claim_by_code(world.am2, world.h1, "C001", reason)
    assert fresh(world.c_pool).owner is None
    assert not Claim.objects.exists() and not Assignment.objects.exists()


@pytest.mark.parametrize("code", ["", "NOPE", "C0\x0001", "\ud800", "Ｃ００１X", "x" * 31])
def test_unknown_or_odd_codes_say_only_that_no_file_has_it(world, code):
    with pytest.raises(ValidationError) as e:
        claims.claim_by_code(world.am2, world.h1, code, "要")
    assert "code" in e.value.message_dict
    assert not Claim.objects.exists()


def test_a_full_width_code_finds_the_file(world):
    out = claims.claim_by_code(world.am2, world.h1, " ｃ００１ ", "全角也能找到")
    assert out.claim.customer_id == world.c_am1.pk


def test_claim_for_answers_not_found_for_others_and_bad_ids(world):
    made = claims.claim_by_code(world.am2, world.h1, "C001", "要").claim
    for actor in (world.am1, world.am3, world.desk, world.gm2, world.admin):
        with pytest.raises(NotVisible):
            claims.claim_for(actor, made.pk)
    for bad in (0, -1, 2**63, "1", None, True):
        with pytest.raises(NotVisible):
            claims.claim_for(world.gm, bad)
    assert claims.claim_for(world.am2, made.pk) == made
    assert claims.claim_for(world.sm, made.pk) == made
