"""R-6.2 pages: the rules (changed by whoever may CONFIGURE the property, recorded and shown), the
staff settings (TARGET on the member), the queue (assign each file, apply the rules now)."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.conftest import make_customer
from yingke.control import assignment
from yingke.control.models import Assignment, AssignmentPolicy, StaffSetting, Unassigned
from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer

PAGE = reverse("control:assignment")
QUEUE = reverse("control:queue")
R = Assignment.Rule


def policy_post(**over):
    data = {"property": "H1", "rule_1": "creator", "rule_2": "area", "rule_3": "new_staff", "rule_4": "balance",
            "new_staff_months": "3", "new_staff_share": "30"}
    data.update(over)
    return data


@pytest.mark.parametrize("who, status", [("gm", 200), ("sm", 200), ("am1", 200), ("admin", 200),
                                         ("desk", 403), ("sup", 403)])
def test_who_opens_the_rules_page(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.get(PAGE).status_code == status


def test_page_queries_do_not_grow_with_staff(client, world, django_assert_max_num_queries):
    from tests.conftest import make_user
    from yingke.core.roles import Role

    for i in range(8):
        make_user(f"x{i}", Role.ACCOUNT_MANAGER, world.h1, manager=world.sm)
    client.force_login(world.gm)
    client.get(PAGE)  # the settings rows are made once
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200


def test_gm_reorders_the_rules_and_the_change_is_shown(client, world):
    client.force_login(world.gm)
    r = client.post(reverse("control:assignment_policy"), policy_post(move="1:up", new_staff_share="40"))
    assert r.status_code == 302
    pol = AssignmentPolicy.objects.get(property=world.h1)
    assert pol.order == ["area", "creator", "new_staff", "balance"] and pol.new_staff_share == 40
    page = client.get(PAGE).content.decode()
    assert "40" in page and world.gm.label in page


def test_sm_may_not_change_the_rules(client, world):
    client.force_login(world.sm)
    r = client.post(reverse("control:assignment_policy"), policy_post(new_staff_share="50"))
    assert r.status_code == 403
    assert assignment.policy_of(world.h1).new_staff_share == 30


@pytest.mark.parametrize("bad", [{"rule_2": "creator"}, {"new_staff_share": "101"}, {"new_staff_months": "三"},
                                 {"rule_1": "nonsense"}, {"new_staff_share": "\u200b"}])
def test_bad_rules_change_nothing(client, world, bad):
    client.force_login(world.gm)
    r = client.post(reverse("control:assignment_policy"), policy_post(**bad))
    assert r.status_code == 422
    pol = assignment.policy_of(world.h1)
    assert pol.order == ["creator", "area", "new_staff", "balance"] and pol.new_staff_share == 30


def _setting(world, user):
    assignment.ensure_settings(world.h1)
    return StaffSetting.objects.get(property=world.h1, user=user)


def setting_post(s, **over):
    data = {"areas": "海淀区、朝阳区", "capacity": "50", "weight": "2", "started_on": "2025-03-01", "daily_target": "2"}
    data.update(over)
    return {f"s{s.pk}-{k}": v for k, v in data.items()}


def test_sales_manager_sets_their_people(client, world):
    s = _setting(world, world.am1)
    client.force_login(world.sm)
    r = client.post(reverse("control:staff_setting", args=[s.pk]) + "?property=H1", setting_post(s))
    assert r.status_code == 302
    s.refresh_from_db()
    assert (s.areas, s.capacity, s.weight, s.started_on, s.daily_target) == (
        "海淀区、朝阳区", 50, 2, dt.date(2025, 3, 1), 2)
    r = client.post(reverse("control:staff_setting", args=[s.pk]) + "?property=H1", setting_post(s, capacity=""))
    s.refresh_from_db()
    assert s.capacity is None
    assert s.history.first().history_user == world.sm


def test_outside_the_team_is_not_found_and_an_account_manager_may_not(client, world):
    s3 = _setting(world, world.am3)  # not in sm's team
    client.force_login(world.sm)
    assert client.post(reverse("control:staff_setting", args=[s3.pk]), setting_post(s3)).status_code == 404
    s1 = _setting(world, world.am1)
    client.force_login(world.am1)  # sees their own row, may not change it
    assert client.post(reverse("control:staff_setting", args=[s1.pk]), setting_post(s1)).status_code == 403
    s1.refresh_from_db()
    assert s1.weight == 1


@pytest.mark.parametrize("bad", [{"weight": "-1"}, {"capacity": "x"}, {"started_on": "2025-02-30"},
                                 {"areas": "a\x01b"}, {"daily_target": ""}])
def test_bad_staff_settings_change_nothing(client, world, bad):
    s = _setting(world, world.am1)
    client.force_login(world.gm)
    r = client.post(reverse("control:staff_setting", args=[s.pk]), setting_post(s, **bad))
    assert r.status_code == 422
    s.refresh_from_db()
    assert (s.weight, s.capacity, s.areas) == (1, None, "")


def _queued(world, n=2):
    for u in (world.sm, world.am1, world.am2, world.am3):
        StaffSetting.objects.update_or_create(property=world.h1, user=u, defaults={"capacity": 0})
    cs = [make_customer(world.h1, f"Q{i}", f"排{i}") for i in range(n)]
    assert assignment.assign_by_rules(SYSTEM, [c.pk for c in cs], reason="t") == {R.QUEUE: n}
    return cs


@pytest.mark.parametrize("who, status", [("gm", 200), ("sm", 200), ("am1", 403), ("desk", 403), ("admin", 403)])
def test_who_sees_the_queue(client, world, who, status):
    _queued(world)
    client.force_login(getattr(world, who))
    r = client.get(QUEUE)
    assert r.status_code == status
    if status == 200:
        assert "排0" in r.content.decode()


def test_assign_a_queued_file_by_hand(client, world):
    a, b = _queued(world)
    client.force_login(world.sm)
    r = client.post(reverse("control:queue_assign", args=[a.pk]), {"owner": world.am3.pk})  # not sm's team
    assert r.status_code == 302 and Customer.objects.get(pk=a.pk).owner_id is None
    r = client.post(reverse("control:queue_assign", args=[a.pk]), {"owner": world.am1.pk})
    assert Customer.objects.get(pk=a.pk).owner_id == world.am1.pk
    assert not Unassigned.objects.filter(customer=a).exists()
    assert Assignment.objects.filter(customer=a, rule=R.MANUAL, actor=world.sm).exists()
    r = client.post(reverse("control:queue_assign", args=[world.c_am1.pk]), {"owner": world.am2.pk}, follow=True)
    assert "不再在待分配队列中" in r.content.decode()  # not in the queue: said, nothing moved
    assert Customer.objects.get(pk=world.c_am1.pk).owner_id == world.am1.pk
    for bad in ["", "abc", "99999999999999999999999", "０"]:
        client.post(reverse("control:queue_assign", args=[b.pk]), {"owner": bad})
    assert Customer.objects.get(pk=b.pk).owner_id is None


def test_apply_the_rules_now(client, world):
    cs = _queued(world)
    StaffSetting.objects.filter(property=world.h1, user=world.am2).update(capacity=None)
    client.force_login(world.gm)
    r = client.post(reverse("control:queue_apply"))
    assert r.status_code == 302
    assert set(Customer.objects.filter(pk__in=[c.pk for c in cs]).values_list("owner_id", flat=True)) == {
        world.am2.pk}
    assert not Unassigned.objects.exists()
    client.force_login(world.am1)
    assert client.post(reverse("control:queue_apply")).status_code == 403


def test_queue_page_queries_are_bounded(client, world, django_assert_max_num_queries):
    _queued(world, 5)
    client.force_login(world.sm)
    with django_assert_max_num_queries(15):
        assert client.get(QUEUE).status_code == 200
