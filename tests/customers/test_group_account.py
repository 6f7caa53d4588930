"""R-1.1: a customer of several properties — each property keeps its own file, linked as
one group account; staff see only the linked files the rule lets them see."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import make_customer
from yingke.customers.models import Customer, GroupAccount
from yingke.customers.services import link_group_files, unlink_group_file


@pytest.fixture
def orgs(world):
    a = make_customer(world.h1, "ORG1", "迎客科技有限公司", kind=Customer.Kind.ORGANISATION, owner=world.am1)
    b = make_customer(world.h2, "K9-H2", "迎客科技有限公司", kind=Customer.Kind.ORGANISATION, owner=world.am_h2)
    world.gm.properties.add(world.h2)  # a group general manager
    return a, b


def test_link_and_unlink_with_history(world, orgs):
    a, b = orgs
    group = link_group_files(world.gm, a, b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.group_account == b.group_account == group
    assert a.history.latest("history_date").history_user == world.gm
    unlink_group_file(world.gm, a)
    b.refresh_from_db()
    assert a.group_account is None and b.group_account == group  # only the user's own file changes
    unlink_group_file(world.gm, b)
    assert not GroupAccount.objects.exists()  # empty groups go


def test_linking_never_writes_files_the_user_may_not_change(world, orgs):
    a, b = orgs
    link_group_files(world.gm, a, b)
    c = make_customer(world.h2, "K10", "迎客科技有限公司", kind=Customer.Kind.ORGANISATION, owner=world.am_h2)
    world.am_h2.properties.add(world.h1)
    d = make_customer(world.h1, "ORG3", "迎客科技有限公司", kind=Customer.Kind.ORGANISATION, owner=world.am_h2)
    link_group_files(world.am_h2, c, d)
    # am1 may change ORG1 only; merging its group with d's would write to b, c and d.
    world.am1.properties.add(world.h2)
    with pytest.raises(ValidationError):
        link_group_files(world.am1, a, d)
    assert Customer.objects.get(pk=d.pk).group_account != Customer.objects.get(pk=a.pk).group_account


def test_two_groups_merge_and_bad_links_are_refused(world, orgs):
    a, b = orgs
    c = make_customer(world.h1, "ORG2", "另一家公司", kind=Customer.Kind.ORGANISATION)
    with pytest.raises(ValidationError):
        link_group_files(world.gm, a, c)  # same property
    with pytest.raises(ValidationError):
        link_group_files(world.gm, world.c_am1, b)  # person with organisation
    assert not GroupAccount.objects.exists()


def test_page_lists_only_visible_linked_files(world, orgs):
    a, b = orgs
    client = Client()
    client.force_login(world.gm)
    response = client.post(f"/customers/{a.pk}/group/", {"property": world.h2.pk, "customer_code": "k9-h2"})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.group_account_id is not None
    page = client.get(f"/customers/{a.pk}/").content.decode()
    assert "K9-H2" in page
    # am1 sees ORG1 but not H2's file: it is counted, not shown.
    am = Client()
    am.force_login(world.am1)
    page = am.get(f"/customers/{a.pk}/").content.decode()
    assert "K9-H2" not in page and f"/customers/{b.pk}/" not in page


def test_link_needs_a_file_the_user_may_edit(world, orgs):
    a, b = orgs
    client = Client()
    client.force_login(world.gm)
    response = client.post(f"/customers/{a.pk}/group/", {"property": world.h2.pk, "customer_code": "NOPE"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert not GroupAccount.objects.exists()
    sup = Client()
    sup.force_login(world.sup)
    assert sup.post(f"/customers/{a.pk}/group/", {"property": world.h2.pk, "customer_code": "K9-H2"}).status_code == 403
