"""Regression tests for review findings in the guest-file views (R-1.2, R-12.1, R-12.3)."""

import base64
import json

import pytest
from django.urls import reverse

from tests.conftest import make_customer
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


# ---- 2. a contact's mobile is masked when the contact's own file is hidden --------------

def test_contact_mobile_is_masked_when_the_person_file_is_hidden(client, world, org):
    client.force_login(world.am1)  # sees full mobiles, but not 单田芳's file
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert "单田芳" in html
    assert "13912340001" not in html and "139****0001" in html


def test_contact_mobile_is_full_when_the_person_file_is_open(client, world, org):
    client.force_login(world.gm)
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert "13912340001" in html


# ---- 3. a supervisor may not change contact people -------------------------------------

def test_supervisor_may_not_add_a_contact_person(client, world, org):
    client.force_login(world.sup)
    r = client.post(reverse("customers:contact_add", args=[org.pk]), {"person": "C004", "title": "x"}, headers=HX)
    assert r.status_code == 403
    assert not ContactLink.objects.filter(organisation=org, person=world.c_pool).exists()


def test_supervisor_may_not_remove_a_contact_person(client, world, org):
    link = ContactLink.objects.get(organisation=org)
    client.force_login(world.sup)
    r = client.post(reverse("customers:contact_delete", args=[org.pk, link.pk]), headers=HX)
    assert r.status_code == 403
    assert ContactLink.objects.filter(pk=link.pk).exists()


def test_supervisor_sees_no_contact_form_or_remove_button(client, world, org):
    client.force_login(world.sup)
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert reverse("customers:contact_add", args=[org.pk]) not in html
    link = ContactLink.objects.get(organisation=org)
    assert reverse("customers:contact_delete", args=[org.pk, link.pk]) not in html
    client.force_login(world.am1)
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert reverse("customers:contact_delete", args=[org.pk, link.pk]) in html


def test_editor_still_adds_and_removes_contact_people(client, world, org):
    client.force_login(world.am1)
    r = client.post(reverse("customers:contact_add", args=[org.pk]), {"person": "C004", "title": "助理"},
                    headers=HX)
    assert r.status_code == 200
    link = ContactLink.objects.get(organisation=org, person=world.c_pool)
    r = client.post(reverse("customers:contact_delete", args=[org.pk, link.pk]), headers=HX)
    assert r.status_code == 200 and not ContactLink.objects.filter(pk=link.pk).exists()


# ---- 4. malformed list cursors show the first page --------------------------------------

def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = [
    cursor([None, 1]),
    cursor(["zhang\x00", 1]),
    cursor([1, 1]),
    cursor(["a", "1"]),
    cursor(["a", True]),
    cursor(["a", None]),
    cursor(["a", 10**30]),
    cursor([["a"], 1]),
    cursor("ab"),
    base64.urlsafe_b64encode(b'["\\ud800", 1]').decode(),
]


@pytest.mark.parametrize("token", BAD_CURSORS)
@pytest.mark.parametrize("param", ["after", "before"])
@pytest.mark.parametrize("sort", ["name", "-created", "code"])
def test_bad_list_cursor_shows_the_first_page(client, world, token, param, sort):
    client.force_login(world.gm)
    r = client.get(reverse("customers:list"), {param: token, "sort": sort})
    assert r.status_code == 200
    assert "张三" in r.content.decode()


def test_good_list_cursor_still_pages(client, world, settings):
    settings.PAGE_SIZE = 2
    client.force_login(world.gm)
    first = client.get(reverse("customers:list"), {"sort": "code"}).context["page"]
    second = client.get(reverse("customers:list"), {"sort": "code", "after": first.next_cursor}).context["page"]
    assert [c.customer_code for c in second.rows] == ["C003", "C004"]


# ---- 6. control characters in the search box -------------------------------------------

@pytest.mark.parametrize("path", ["/search/", "/search/suggest/"])
def test_search_ignores_control_characters(client, world, path):
    client.force_login(world.gm)
    r = client.get(path, {"q": "张\x00三\x07"})
    assert r.status_code == 200
    assert "张三" in r.content.decode()
    assert "\x00" not in r.content.decode()


def test_search_of_only_control_characters_is_empty(client, world):
    client.force_login(world.gm)
    r = client.get("/search/", {"q": "\x00\x01"})
    assert r.status_code == 200 and r.context["q"] == "" and r.context["hits"] == []
