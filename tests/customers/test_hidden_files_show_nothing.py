"""Nothing of a file a user may not open shows anywhere (R-1.2): the change history, the
organisation's contact people, the group account of the 360 page."""

import pytest
from django.urls import reverse

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers import services
from yingke.customers.models import ContactLink, Customer
from yingke.customers.views.changes import history_for

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


# ---- 1. change history names only files the user may open ------------------------------

def test_history_hides_the_name_of_a_contact_file_the_user_may_not_open(client, world, org):
    client.force_login(world.am1)
    html = client.get(reverse("customers:history", args=[org.pk]), headers=HX).content.decode()
    assert "单田芳" not in html
    assert "a file you may not open" in html
    assert "迎客科技" in html  # the organisation itself is open to am1


def test_history_names_the_contact_for_a_user_who_may_open_it(client, world, org):
    client.force_login(world.gm)
    html = client.get(reverse("customers:history", args=[org.pk]), headers=HX).content.decode()
    assert "单田芳" in html and "a file you may not open" not in html


def test_history_of_a_person_hides_a_hidden_organisation(world):
    hidden_org = make_customer(world.h1, "O002", "秘密公司", owner=world.am2, kind=Customer.Kind.ORGANISATION)
    services.link_contact(world.gm, hidden_org, world.c_pool)
    texts = [c.after + c.before for c in history_for(world.c_pool, world.am1)]
    assert texts and not any("秘密公司" in t for t in texts)
    assert any("秘密公司" in c.after for c in history_for(world.c_pool, world.gm))


# ---- the organisation's contact people: nothing of a file the user may not open -------

def test_contact_person_of_a_hidden_file_shows_nothing(client, world, org):
    world.c_am2.job_title = "财务总监"
    services.save_customer(world.gm, world.c_am2)
    ContactLink.objects.filter(organisation=org).update(title="董事长")
    client.force_login(world.am1)  # sees full mobiles, but not 单田芳's file
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert "a file you may not open" in html
    for leak in ("单田芳", "13912340001", "139****0001", "0001", "财务总监", "董事长"):
        assert leak not in html, leak


def test_contact_mobile_is_full_when_the_person_file_is_open(client, world, org):
    client.force_login(world.gm)
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert "13912340001" in html




# ---- group accounts: files of other properties the user may not see are not even counted -

def test_group_account_does_not_count_hidden_files(client, world):
    services.link_group_files(SYSTEM, world.c_am1, world.c_h2)  # H2's file: not visible to H1's staff
    client.force_login(world.gm)
    html = client.get(reverse("customers:detail", args=[world.c_am1.pk])).content.decode()
    assert "张珊" not in html
    assert "property you do not see" not in html and "properties you do not see" not in html
    assert "other properties of the group" in html  # the file is in a group account
