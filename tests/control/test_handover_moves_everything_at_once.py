"""R-1.3 (seed 004: the files are handed over before a person leaves): the handover moves
everything a member of staff holds in one transaction, records it on each file, and the new
owners and the pool see the files at once."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.conftest import make_customer, make_user
from yingke.control import handover as ho
from yingke.control.models import Assignment, Claim, Handover, PositionTarget, Unassigned
from yingke.core.models import AuditEvent, User
from yingke.core.permissions import SYSTEM
from yingke.core.roles import Role
from yingke.core.services import Conflict
from yingke.customers.models import Customer


def files_of(user):
    return set(Customer.objects.filter(owner=user).values_list("customer_code", flat=True))


def pending_claim(world, claimant, customer):
    return Claim.objects.create(property=world.h1, customer=customer, claimant=claimant, owner=customer.owner,
                                reason="我认识他")


def next_month(prop):
    today = prop.local_today()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@pytest.fixture
def leaver(world):
    """am1 holds three files, a pending claim of am3's file, and a target of next month."""
    make_customer(world.h1, "C010", "王五", owner=world.am1)
    make_customer(world.h1, "C011", "赵六", owner=world.am1)
    claim = pending_claim(world, world.am1, world.c_am3)
    start = next_month(world.h1)
    PositionTarget.objects.create(property=world.h1, user=world.am1, kind="month", start=start, visits=10,
                                  effective=5)
    PositionTarget.objects.create(property=world.h1, user=world.am2, kind="month", start=start, visits=4)
    # this month's target stays with am1: it records what they were asked while here
    PositionTarget.objects.create(property=world.h1, user=world.am1, kind="month",
                                  start=world.h1.local_today().replace(day=1), visits=7)
    return type("Leaver", (), {"claim": claim, "start": start})()


def test_holdings_by_kind_and_property(world, leaver):
    held = ho.holdings(world.am1)
    assert held["customers"] == {world.h1.pk: 3}
    assert held["claims_made"] == {world.h1.pk: 1}
    assert held["targets"] == {world.h1.pk: 1}
    assert held["team"] == {} and held["claims_to_decide"] == {}
    # the sales manager: their team, and the claims waiting for them
    pending_claim(world, world.am3, world.c_am1)
    held_sm = ho.holdings(world.sm)
    assert held_sm["team"] == {world.h1.pk: 2} and held_sm["claims_to_decide"] == {world.h1.pk: 1}
    assert held_sm["customers"] == {}


def test_handover_to_a_member_moves_everything_and_records_it(world, leaver):
    h = ho.handover(world.gm, world.am1, to=world.am2, reason="离职")
    assert files_of(world.am1) == set()
    assert files_of(world.am2) == {"C001", "C002", "C010", "C011"}
    assert h.counts["customers"] == 3 and h.counts["claims_made"] == 1 and h.counts["targets"] == 1
    # recorded on each file: who took what, when, why
    rows = Assignment.objects.filter(handover=h)
    assert rows.count() == 3
    assert {(a.previous_owner_id, a.owner_id, a.rule, a.reason, a.actor_id) for a in rows} == {
        (world.am1.pk, world.am2.pk, Assignment.Rule.HANDOVER, "离职", world.gm.pk)}
    last = Customer.history.filter(customer_code="C010").latest("history_date")
    assert last.owner_id == world.am2.pk and last.history_user_id == world.gm.pk
    # the pending claim is withdrawn, with the reason
    leaver.claim.refresh_from_db()
    assert leaver.claim.status == Claim.Status.WITHDRAWN and "离职" in leaver.claim.decision_reason
    # next month's target is added to am2's; this month's stays with am1
    assert PositionTarget.objects.get(user=world.am2, start=leaver.start).visits == 14
    assert PositionTarget.objects.get(user=world.am2, start=leaver.start).effective == 5
    assert not PositionTarget.objects.filter(user=world.am1, start=leaver.start).exists()
    assert PositionTarget.objects.filter(user=world.am1).count() == 1
    assert AuditEvent.objects.filter(action="control.handover", target="user:am1").count() == 1
    assert ho.total(ho.holdings(world.am1)) == 0
    assert "am2" in ho.summary(h) and "3" in ho.summary(h)


def test_a_failure_midway_moves_nothing(world, leaver, monkeypatch):
    def explode(ctx):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ho, "HOLDINGS", [*ho.HOLDINGS, ho.Holding("boom", "boom", lambda m, ids: {}, explode)])
    with pytest.raises(RuntimeError):
        ho.handover(world.gm, world.am1, to=world.am2, reason="离职")
    assert files_of(world.am1) == {"C001", "C010", "C011"}
    assert not Assignment.objects.exists() and not Handover.objects.exists()
    assert Claim.objects.get(pk=leaver.claim.pk).status == Claim.Status.PENDING
    assert PositionTarget.objects.filter(user=world.am1).count() == 2
    assert PositionTarget.objects.get(user=world.am2).visits == 4


def test_registered_kinds_are_counted_and_moved(world, monkeypatch):
    seen = {}

    def mover(ctx):
        seen["owners"] = dict(ctx.owners)
        return 2

    monkeypatch.setattr(ho, "HOLDINGS", [*ho.HOLDINGS, ("follow_ups", "open follow-ups",
                                                        lambda m, ids: {ids[0]: 2}, mover)])
    assert ho.holdings(world.am1)["follow_ups"] == {world.h1.pk: 2}
    assert ("open follow-ups", 2) in ho.blocking(world.am1)
    h = ho.handover(world.gm, world.am1, to=world.am2, reason="离职")
    assert h.counts["follow_ups"] == 2 and seen["owners"] == {world.c_am1.pk: world.am2.pk}


def test_by_the_rules_excludes_the_leaver(world, leaver):
    h = ho.handover(world.gm, world.am1, by_rules=True, reason="离职")
    assert files_of(world.am1) == set()
    moved = Customer.objects.filter(customer_code__in=["C001", "C010", "C011"], property=world.h1)
    assert all(c.owner_id in {world.am2.pk, world.am3.pk, world.sm.pk} for c in moved)
    rows = Assignment.objects.filter(handover=h)
    assert rows.count() == 3 and all(a.previous_owner_id == world.am1.pk for a in rows)
    assert h.to_user is None and h.counts["by_rules"] is True and sum(h.counts["owners"].values()) == 3
    # by the rules, future targets are removed: the sales manager sets the new owners' targets
    assert not PositionTarget.objects.filter(user=world.am1, start=leaver.start).exists()
    assert PositionTarget.objects.get(user=world.am2, start=leaver.start).visits == 4


def test_by_the_rules_with_nobody_left_puts_files_in_the_pool_and_the_queue(world):
    for user in (world.am2, world.am3, world.sm):
        User.objects.filter(pk=user.pk).update(is_active=False)
    h = ho.handover(world.gm, world.am1, by_rules=True, reason="离职")
    c = Customer.objects.get(pk=world.c_am1.pk)
    assert c.owner_id is None and Unassigned.objects.filter(customer=c).exists()
    assert h.counts["customers"] == 1 and h.counts["owners"] == {"": 1}
    # the pool: every account manager of the property sees the file at once
    assert Customer.objects.visible_to(world.am_h2).filter(pk=c.pk).count() == 0
    fresh = make_user("am9", Role.ACCOUNT_MANAGER, world.h1)
    assert Customer.objects.visible_to(fresh).filter(pk=c.pk).exists()


def test_new_owner_sees_the_files_at_once(world, leaver):
    assert not Customer.objects.visible_to(world.am3).filter(customer_code="C010").exists()
    ho.handover(world.gm, world.am1, to=world.am3, reason="离职")
    assert Customer.objects.visible_to(world.am3).filter(customer_code="C010").exists()
    assert not Customer.objects.visible_to(world.am1).filter(customer_code="C010").exists()


def test_a_sales_managers_team_follows_a_new_sales_manager(world):
    sm2 = make_user("sm2", Role.SALES_MANAGER, world.h1)
    make_customer(world.h1, "C020", "钱七", owner=world.sm)
    claim = pending_claim(world, world.am3, world.c_am1)
    h = ho.handover(world.gm, world.sm, to=sm2, reason="调岗")
    assert set(User.objects.filter(manager=sm2).values_list("username", flat=True)) == {"am1", "am2"}
    assert h.counts["team"] == 2 and h.counts["team_to"] == "sm2" and h.counts["customers"] == 1
    # the claim waiting for the leaver now waits for the new sales manager
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PENDING
    from yingke.core.permissions import DECIDE, can
    assert can(sm2, DECIDE, claim) and not can(world.sm, DECIDE, claim)


def test_a_team_without_a_new_sales_manager_is_led_by_the_general_manager(world):
    h = ho.handover(world.gm, world.sm, by_rules=True, reason="离职")
    assert not User.objects.filter(manager=world.sm).exists()
    assert h.counts["team"] == 2 and h.counts["team_to"] is None
    assert "现在没有销售经理" in ho.summary(h)


@pytest.mark.parametrize("who", ["sm", "am1", "am2", "desk", "sup"])
def test_roles_that_may_not_hand_over_are_refused(world, who):
    with pytest.raises(PermissionDenied):
        ho.handover(getattr(world, who), world.am3, to=world.am2, reason="离职")
    assert files_of(world.am3) == {"C003"}


def test_another_property_is_not_visible(world):
    with pytest.raises(Http404):
        ho.handover(world.gm2, world.am1, to=world.am2, reason="离职")
    with pytest.raises(Http404):
        ho.holdings_for(world.gm2, world.am1.pk)


def test_general_manager_administrator_and_system_may(world):
    ho.handover(world.admin, world.am1, to=world.am2, reason="离职")
    assert files_of(world.am2) == {"C001", "C002"}
    a = Assignment.objects.get(customer=world.c_am1)
    assert a.actor_id == world.admin.pk  # the real actor, though the administrator sees no files
    ho.handover(SYSTEM, world.am2, to=world.am3, reason="离职")
    assert Assignment.objects.filter(customer=world.c_am2).latest("created_at").actor_id is None
    ho.handover(world.gm, world.am3, by_rules=True, reason="离职")
    assert files_of(world.am3) == set()


@pytest.mark.parametrize("kwargs, field", [
    ({"to": None}, "to"),  # neither
    ({"by_rules": True, "to": "am2"}, "to"),  # both
    ({"to": "am1"}, "to"),  # oneself
    ({"to": "desk"}, "to"),  # a role that cannot own files
    ({"to": "am_h2"}, "to"),  # another property
    ({"to": "gone"}, "to"),  # inactive
    ({"to": "am2", "reason": "  "}, "reason"),
    ({"to": "am2", "reason": "x" * 301}, "reason"),
    ({"to": "am2", "reason": "a\x00b"}, "reason"),
    ({"to": "am2", "properties": ["H2"]}, "properties"),
    ({"to": "am2", "properties": ["\ud800"]}, "properties"),
])
def test_bad_input_changes_nothing(world, kwargs, field):
    make_user("gone", Role.ACCOUNT_MANAGER, world.h1).__class__.objects.filter(username="gone").update(
        is_active=False)
    data = {"reason": "离职", **kwargs}
    if isinstance(data.get("to"), str):
        data["to"] = User.objects.get(username=data["to"])
    with pytest.raises(ValidationError) as e:
        ho.handover(world.gm, world.am1, **data)
    assert field in e.value.message_dict
    assert files_of(world.am1) == {"C001"} and not Handover.objects.exists()


def test_a_sales_manager_cannot_be_chosen_by_an_account_manager_rule(world):
    """`to` must be one the actor may make responsible: the GM chooses any owner of the property."""
    assert {u.username for u in ho.candidates(world.gm, world.am1, [world.h1])} == {"sm", "am2", "am3"}
    assert {u.username for u in ho.candidates(world.admin, world.am1, [world.h1])} == {"sm", "am2", "am3"}


def test_nothing_to_hand_over_is_a_conflict(world):
    with pytest.raises(Conflict):
        ho.handover(world.gm, world.desk, by_rules=True, reason="离职")
    ho.handover(world.gm, world.am1, to=world.am2, reason="离职")
    with pytest.raises(Conflict):
        ho.handover(world.gm, world.am1, to=world.am2, reason="again")
    assert Handover.objects.count() == 1


def test_only_the_properties_the_actor_configures(world):
    world.am1.properties.add(world.h2)
    world.am2.properties.add(world.h2)
    c = make_customer(world.h2, "C050", "孙八", owner=world.am1)
    h = ho.handover(world.gm, world.am1, to=world.am2, reason="离职")
    assert h.counts["properties"] == ["H1"]
    assert Customer.objects.get(pk=c.pk).owner_id == world.am1.pk  # H2 is gm2's to hand over
    ho.handover(world.gm2, world.am1, to=world.am2, reason="离职")
    assert Customer.objects.get(pk=c.pk).owner_id == world.am2.pk
