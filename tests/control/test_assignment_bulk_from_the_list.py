"""R-6.2 "bulk assign and reassign from the customer list": all or nothing, each file checked with
require_assign, recorded with the rule bulk (release for the pool); the list shows the bar to the
roles that change files, without more queries per row."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.conftest import make_customer
from yingke.control import assignment
from yingke.control.models import Assignment
from yingke.customers.models import Customer

BULK = reverse("control:bulk_assign")
LIST = reverse("customers:list")
R = Assignment.Rule


def owners(*cs):
    return [Customer.objects.get(pk=c.pk).owner_id for c in cs]


def said(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("who, shown", [("gm", True), ("sm", True), ("am1", True), ("desk", False),
                                        ("sup", False)])
def test_the_list_offers_bulk_assign_to_roles_that_change_files(client, world, who, shown):
    client.force_login(getattr(world, who))
    page = client.get(LIST).content.decode()
    assert ('id="bulk-assign"' in page) is shown
    assert ('name="ids"' in page) is shown


def test_the_owner_select_holds_whom_the_actor_may_assign(client, world):
    client.force_login(world.sm)
    page = client.get(LIST).content.decode()
    bar = page[page.index('id="bulk-assign"'):]
    bar = bar[:bar.index("</form>")]
    assert f'value="{world.am1.pk}"' in bar and f'value="{world.am2.pk}"' in bar and 'value="pool"' in bar
    assert f'value="{world.am3.pk}"' not in bar  # not sm's team


def test_gm_assigns_several_files_at_once(client, world):
    a = make_customer(world.h1, "B1", "甲")
    r = None
    client.force_login(world.gm)
    r = client.post(BULK, {"ids": [a.pk, world.c_pool.pk, world.c_am1.pk], "owner": world.am3.pk,
                           "reason": "重新分配", "next": LIST + "?owner=none"})
    assert r.status_code == 302 and r["Location"] == LIST + "?owner=none"
    assert owners(a, world.c_pool, world.c_am1) == [world.am3.pk] * 3
    rows = Assignment.objects.filter(customer__in=[a, world.c_pool, world.c_am1])
    assert {(x.rule, x.reason, x.actor_id) for x in rows} == {(R.BULK, "重新分配", world.gm.pk)}
    assert {x.previous_owner_id for x in rows} == {None, world.am1.pk}


def test_release_to_the_pool(client, world):
    client.force_login(world.sm)
    client.post(BULK, {"ids": [world.c_am1.pk, world.c_am2.pk], "owner": "pool", "reason": "退回公海"})
    assert owners(world.c_am1, world.c_am2) == [None, None]
    assert set(Assignment.objects.values_list("rule", flat=True)) == {R.RELEASE}


def test_all_or_nothing_names_how_many_and_why(client, world):
    client.force_login(world.sm)
    # c_am3 is not visible to sm: nothing moves, and the message says 1 of 3
    r = client.post(BULK, {"ids": [world.c_am1.pk, world.c_pool.pk, world.c_am3.pk], "owner": world.am2.pk})
    assert r.status_code == 302
    assert owners(world.c_am1, world.c_pool, world.c_am3) == [world.am1.pk, None, world.am3.pk]
    assert "1" in said(r) and "3" in said(r)
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("who, target, ok", [
    ("gm", "am3", True), ("sm", "am1", True), ("sm", "am3", False), ("am1", "am1", True), ("am1", "am2", False),
    ("desk", "am1", False), ("sup", "am1", False), ("admin", "am1", False), ("gm2", "am1", False)])
def test_who_may_assign_to_whom(client, world, who, target, ok):
    client.force_login(getattr(world, who))
    client.post(BULK, {"ids": [world.c_pool.pk], "owner": getattr(world, target).pk, "reason": "分配"})
    assert owners(world.c_pool) == [getattr(world, target).pk if ok else None]


def test_an_account_manager_may_not_take_an_h2_owner_nor_reassign_others(client, world):
    client.force_login(world.am1)
    client.post(BULK, {"ids": [world.c_am1.pk], "owner": world.am_h2.pk})
    assert owners(world.c_am1) == [world.am1.pk]
    client.post(BULK, {"ids": [world.c_am2.pk], "owner": world.am1.pk})  # not visible to am1
    assert owners(world.c_am2) == [world.am2.pk]


@pytest.mark.parametrize("data", [
    {},
    {"ids": [], "owner": "pool"},
    {"ids": ["abc"], "owner": "pool"},
    {"ids": ["１"], "owner": "pool"},
    {"ids": ["99999999999999999999999"], "owner": "pool"},
    {"ids": ["-1"], "owner": "pool"},
    {"ids": ["{c}"], "owner": "nobody"},
    {"ids": ["{c}"], "owner": "99999999999999999999"},
    {"ids": ["{c}"], "owner": "{desk}"},
    {"ids": ["{c}"], "owner": "{am1}", "reason": "x\x00y"},
    {"ids": ["{c}"], "owner": "{am1}", "reason": "长" * 301},
])
def test_bad_input_changes_nothing(client, world, data):
    data = {k: ([v.format(c=world.c_pool.pk) for v in val] if isinstance(val, list)
                else val.format(am1=world.am1.pk, desk=world.desk.pk)) for k, val in data.items()}
    client.force_login(world.gm)
    r = client.post(BULK, data)
    assert r.status_code == 302
    assert owners(world.c_pool) == [None]
    assert not Assignment.objects.exists()
    assert said(r)


def test_next_may_not_leave_the_site(client, world):
    client.force_login(world.gm)
    r = client.post(BULK, {"ids": [world.c_pool.pk], "owner": world.am1.pk, "next": "https://evil.example/x"})
    assert r["Location"] == LIST
    r = client.post(BULK, {"ids": [world.c_pool.pk], "owner": world.am1.pk, "next": "//evil.example/x"})
    assert r["Location"] == LIST


def test_get_is_not_allowed(client, world):
    client.force_login(world.gm)
    assert client.get(BULK).status_code == 405


def test_service_limits(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        assignment.bulk_assign(world.gm, list(range(1, assignment.MAX_BULK + 2)), world.am1)
    with pytest.raises(ValidationError):
        assignment.bulk_assign(world.gm, [True], world.am1)


def test_list_with_the_bar_keeps_its_query_count(client, world, django_assert_max_num_queries):
    for i in range(30):
        make_customer(world.h1, f"L{i:02d}", f"列{i}", owner=world.am1 if i % 2 else None)
    client.force_login(world.gm)
    with django_assert_max_num_queries(13):  # 13th: the open-complaint flags of the page (one query)
        assert client.get(LIST).status_code == 200
    client.force_login(world.sm)
    with django_assert_max_num_queries(13):
        assert client.get(LIST, {"owner": "none"}).status_code == 200
