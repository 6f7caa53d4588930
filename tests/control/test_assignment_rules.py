"""R-6.2 (seed 004 档案分配原则): each assignment rule in its order, the order configurable, area
matching, the new-staff share, weighted balance with caps, the queue; every assignment records
its rule."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import make_customer, make_user
from yingke.control import assignment
from yingke.control.assignment import assign_by_rules, decide, norm_area, split_areas
from yingke.control.models import Assignment, AssignmentPolicy, StaffSetting, Unassigned
from yingke.core.permissions import SYSTEM
from yingke.core.roles import Role
from yingke.customers.models import Customer

R = Assignment.Rule


def setting(prop, user, **kw):
    s, _ = StaffSetting.objects.get_or_create(property=prop, user=user)
    for k, v in kw.items():
        setattr(s, k, v)
    s.save()
    return s


def pool(prop, n, prefix="N", **fields):
    return [make_customer(prop, f"{prefix}{i:03d}", f"客{i}", **fields) for i in range(n)]


def old_staff(world):
    """Everybody of H1 started long ago (no new-staff share unless a test says so)."""
    long_ago = dt.date(2020, 1, 1)
    for u in (world.sm, world.am1, world.am2, world.am3):
        setting(world.h1, u, started_on=long_ago)


def test_creator_rule_gives_the_file_to_whoever_brought_it_in(world):
    old_staff(world)
    c = make_customer(world.h1, "N1", "王五", actor=world.am2)  # opened by am2, into the pool
    c.owner = None
    Customer.objects.filter(pk=c.pk).update(owner=None)
    assert Customer.objects.get(pk=c.pk).created_by_id == world.am2.pk
    [(pk, owner, rule)] = decide(world.h1, [c.pk])
    assert (pk, owner, rule) == (c.pk, world.am2.pk, R.CREATOR)


def test_creator_who_is_not_an_owner_role_does_not_count(world):
    old_staff(world)
    c = make_customer(world.h1, "N1", "王五", actor=world.desk)
    [(_pk, owner, rule)] = decide(world.h1, [c.pk])
    assert rule == R.BALANCE and owner != world.desk.pk


def test_creator_rule_skips_a_deactivated_or_excluded_member(world):
    old_staff(world)
    c = make_customer(world.h1, "N1", "王五", actor=world.am2)
    Customer.objects.filter(pk=c.pk).update(owner=None)
    assert decide(world.h1, [c.pk], exclude=[world.am2.pk])[0][2] == R.BALANCE
    world.am2.is_active = False
    world.am2.save()
    assert decide(world.h1, [c.pk])[0][2] == R.BALANCE


@pytest.mark.parametrize("staff_areas, customer_area", [
    ("朝阳区, 海淀区", "海淀区"),
    ("朝阳区、海淀区", " 海淀 区 "),
    ("朝阳区，海淀区", "海淀区"),          # full-width comma
    ("ＣＢＤ、望京", "cbd"),              # full-width letters, case
    ("  Pudong ;  Xuhui  ", "PUDONG"),
])
def test_area_match_with_odd_spacing_and_full_width(world, staff_areas, customer_area):
    old_staff(world)
    setting(world.h1, world.am3, areas=staff_areas)
    c = make_customer(world.h1, "N1", "王五", area=customer_area)
    assert decide(world.h1, [c.pk])[0][1:] == (world.am3.pk, R.AREA)


def test_area_helpers():
    assert split_areas("朝阳区、 海淀区, ＣＢＤ；望京") == {"朝阳区", "海淀区", "cbd", "望京"}
    assert norm_area("  Ｈａｉ  Dian ") == "haidian"
    assert split_areas("") == set() and split_areas(" , 、 ") == set()


def test_area_among_several_matches_goes_to_the_least_loaded(world):
    old_staff(world)
    setting(world.h1, world.am1, areas="海淀区")
    setting(world.h1, world.am2, areas="海淀区")
    make_customer(world.h1, "X1", "甲", owner=world.am2)  # am1 owns 1 (c_am1), am2 owns 2 now
    cs = pool(world.h1, 3, area="海淀区")
    got = decide(world.h1, [c.pk for c in cs])
    assert [o for _p, o, _r in got] == [world.am1.pk, world.am1.pk, world.am2.pk]  # 1→2→3 vs 2: ties by id
    assert {r for *_x, r in got} == {R.AREA}


def test_area_respects_capacity(world):
    old_staff(world)
    setting(world.h1, world.am3, areas="海淀区", capacity=1)  # owns c_am3 already
    c = make_customer(world.h1, "N1", "王五", area="海淀区")
    assert decide(world.h1, [c.pk])[0][2] == R.BALANCE


def test_balance_is_weighted_by_workload_and_capped(world):
    old_staff(world)
    # owned now: sm 0, am1 1, am2 1, am3 1
    setting(world.h1, world.sm, weight=0)           # takes no balanced files
    setting(world.h1, world.am1, weight=2)
    setting(world.h1, world.am2, weight=1, capacity=2)
    setting(world.h1, world.am3, weight=1)
    cs = pool(world.h1, 6)
    got = decide(world.h1, [c.pk for c in cs])
    owners = [o for _p, o, _r in got]
    # owned ÷ weight: am1 1/2 → am1 (2/2); am1 1, am2 1, am3 1 → am1 by id (3/2); am2 1 = am3 1 → am2
    # (2, its cap); am3 1 < am1 1.5 → am3 (2); am1 1.5 → am1 (2); am1 2 = am3 2 → am1 by id
    assert owners == [world.am1.pk, world.am1.pk, world.am2.pk, world.am3.pk, world.am1.pk, world.am1.pk]
    assert all(r == R.BALANCE for *_x, r in got)
    # am2 reached its cap of 2 and got nothing more
    assert owners.count(world.am2.pk) == 1


def test_everyone_at_capacity_goes_to_the_queue(world):
    old_staff(world)
    for u in (world.sm, world.am1, world.am2, world.am3):
        setting(world.h1, u, capacity=1, started_on=dt.date(2020, 1, 1))
    setting(world.h1, world.sm, capacity=0)
    cs = pool(world.h1, 2)
    counts = assign_by_rules(SYSTEM, [c.pk for c in cs], reason="test")
    assert counts == {R.QUEUE: 2}
    assert Unassigned.objects.filter(customer__in=cs).count() == 2
    assert set(Assignment.objects.filter(customer__in=cs).values_list("rule", flat=True)) == set()  # stayed None
    # once someone has room, applying again moves them and empties the queue
    setting(world.h1, world.am3, capacity=None)
    assert assign_by_rules(SYSTEM, [c.pk for c in cs], reason="again") == {R.BALANCE: 2}
    assert not Unassigned.objects.filter(customer__in=cs).exists()


def test_no_owner_in_the_property_queues_with_the_reason(world):
    c = make_customer(world.h2, "N1", "王五")
    world.am_h2.is_active = False
    world.am_h2.save(update_fields=["is_active"])
    assert assign_by_rules(SYSTEM, [c.pk], reason="t") == {R.QUEUE: 1}
    assert "没有可接收档案的在职客户经理或销售经理" in Unassigned.objects.get(customer=c).reason


def test_new_staff_get_their_share(world):
    old_staff(world)
    newbie = make_user("newbie", Role.ACCOUNT_MANAGER, world.h1, manager=world.sm)
    setting(world.h1, newbie, started_on=world.h1.local_today() - dt.timedelta(days=10))
    pol = assignment.policy_of(world.h1)
    pol.new_staff_share = 30
    pol.save()
    cs = pool(world.h1, 10)
    counts = assign_by_rules(SYSTEM, [c.pk for c in cs], reason="t")
    assert counts[R.NEW_STAFF] == 3
    got = list(Assignment.objects.filter(customer__in=cs).order_by("customer_id").values_list("rule", "owner_id"))
    assert [r for r, _o in got].count(R.NEW_STAFF) == 3
    assert {o for r, o in got if r == R.NEW_STAFF} == {newbie.pk}
    # deterministic: files 4, 7, 10 of the month
    assert [i for i, (r, _o) in enumerate(got, 1) if r == R.NEW_STAFF] == [4, 7, 10]
    # the running count carries on in the next run of the month
    more = pool(world.h1, 4, prefix="M")  # files 11–14: the 14th is new staff's (floor(14 × 30 %) = 4)
    assert assign_by_rules(SYSTEM, [c.pk for c in more], reason="t").get(R.NEW_STAFF) == 1


def test_new_staff_by_date_joined_and_months(world):
    old_staff(world)
    newbie = make_user("newbie", Role.ACCOUNT_MANAGER, world.h1)  # no setting: joined today
    pol = assignment.policy_of(world.h1)
    pol.order, pol.new_staff_share = ["new_staff", "balance", "creator", "area"], 100
    pol.save()
    c = make_customer(world.h1, "N1", "王五")
    assert decide(world.h1, [c.pk])[0][1:] == (newbie.pk, R.NEW_STAFF)
    pol.new_staff_months = 0  # nobody is new
    pol.save()
    assert decide(world.h1, [c.pk])[0][2] == R.BALANCE
    pol.new_staff_months = 3
    pol.save()
    setting(world.h1, newbie, started_on=world.h1.local_today() - dt.timedelta(days=200))
    assert decide(world.h1, [c.pk])[0][2] == R.BALANCE


def test_the_order_is_configurable(world):
    old_staff(world)
    setting(world.h1, world.am3, areas="海淀区")
    c = make_customer(world.h1, "N1", "王五", area="海淀区", actor=world.am1)
    Customer.objects.filter(pk=c.pk).update(owner=None)
    assert decide(world.h1, [c.pk])[0][1:] == (world.am1.pk, R.CREATOR)   # creator first by default
    assignment.update_policy(world.gm, world.h1, order=["area", "creator", "new_staff", "balance"])
    assert decide(world.h1, [c.pk])[0][1:] == (world.am3.pk, R.AREA)
    assignment.update_policy(world.gm, world.h1, order=["balance", "area", "creator", "new_staff"])
    assert decide(world.h1, [c.pk])[0][2] == R.BALANCE


def test_every_assignment_records_its_rule_and_reason(world):
    old_staff(world)
    setting(world.h1, world.am3, areas="海淀区")
    a = make_customer(world.h1, "N1", "甲", actor=world.am1)
    Customer.objects.filter(pk=a.pk).update(owner=None)
    b = make_customer(world.h1, "N2", "乙", area="海淀区")
    c = make_customer(world.h1, "N3", "丙")
    counts = assign_by_rules(SYSTEM, [a.pk, b.pk, c.pk], reason="新档案")
    assert counts == {R.CREATOR: 1, R.AREA: 1, R.BALANCE: 1}
    rows = {x.customer_id: x for x in Assignment.objects.filter(customer__in=[a, b, c])}
    assert rows[a.pk].rule == R.CREATOR and rows[a.pk].owner_id == world.am1.pk
    assert rows[b.pk].rule == R.AREA and rows[b.pk].owner_id == world.am3.pk
    assert rows[c.pk].rule == R.BALANCE and rows[c.pk].reason == "新档案"
    assert Customer.objects.get(pk=b.pk).owner_id == world.am3.pk


def test_decide_writes_nothing(world):
    cs = pool(world.h1, 3)
    decide(world.h1, cs)
    assert not Assignment.objects.exists() and not Unassigned.objects.exists()
    assert Customer.objects.filter(pk__in=[c.pk for c in cs], owner__isnull=True).count() == 3


def test_decide_counts_workload_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    old_staff(world)
    few, many = pool(world.h1, 2), pool(world.h1, 40, prefix="M")
    assignment.policy_of(world.h1)
    with django_assert_max_num_queries(8):
        decide(world.h1, [c.pk for c in few])
    with django_assert_max_num_queries(8):
        decide(world.h1, [c.pk for c in many])


def test_policy_changes_are_checked_and_recorded(world):
    assignment.policy_of(world.h1)
    with pytest.raises(PermissionDenied):
        assignment.update_policy(world.sm, world.h1, new_staff_share=50)
    with pytest.raises(ValidationError) as e:
        assignment.update_policy(world.gm, world.h1, order=["area", "area", "balance", "creator"],
                                 new_staff_share=101, new_staff_months="３x")
    assert set(e.value.message_dict) == {"order", "new_staff_share", "new_staff_months"}
    assert AssignmentPolicy.objects.get(property=world.h1).order == ["creator", "area", "new_staff", "balance"]
    assignment.update_policy(world.gm, world.h1, new_staff_share="５０", new_staff_months=6)
    pol = AssignmentPolicy.objects.get(property=world.h1)
    assert (pol.new_staff_share, pol.new_staff_months) == (50, 6)
    [change] = assignment.policy_changes(pol)
    assert change["who"] == world.gm and len(change["changes"]) == 2


def test_new_files_job_picks_only_never_assigned_files(world):
    old_staff(world)
    fresh = make_customer(world.h1, "N1", "新")
    released = make_customer(world.h1, "N2", "放", owner=world.am1)
    from yingke.control.ownership import move

    move(world.am1, [released.pk], None, rule=R.RELEASE, reason="不跟了")
    old = make_customer(world.h1, "N3", "旧")
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    from yingke.control.tasks import assign_new_files_now

    counts = assign_new_files_now()
    assert sum(counts.values()) == 2  # fresh, and the fixture's c_pool (opened today)
    assert Customer.objects.get(pk=fresh.pk).owner_id is not None
    assert Customer.objects.get(pk=released.pk).owner_id is None
    assert Customer.objects.get(pk=old.pk).owner_id is None
    assert assign_new_files_now() == {}  # idempotent
