"""The merge screen (R-2.8): side by side, only the fields that differ, values shown as the
user may see them (an ID number only masked), a choice is "kept" or "merged" — never the
value itself — and bad input is a clear message that changes nothing."""

import pytest
from django.test import Client

from tests.conftest import make_customer
from yingke.customers import services
from yingke.customers.identity import id_check_char
from yingke.customers.models import Customer, DuplicateDismissal

ID = "44030519751212003"
ID = ID + id_check_char(ID)


@pytest.fixture
def two(world):
    w = world
    w.a = make_customer(w.h1, "S001", "林平之", owner=w.am1, mobile="13300001111")
    w.b = make_customer(w.h1, "S002", "林平芝", owner=w.am1, mobile="13300002222", job_title="镖头")
    services.save_customer(w.gm, Customer.objects.get(pk=w.b.pk), id_number=ID)
    return w


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_side_by_side_only_what_differs_and_ids_masked(two):
    text = client_for(two.am1).get(f"/duplicates/merge/{two.a.pk}/", {"other": two.b.pk}).content.decode()
    assert "13300001111" in text and "13300002222" in text
    assert ID not in text and "4403**********" + ID[-4:] in text
    assert 'name="choice_job_title"' in text and 'name="choice_mobile"' in text
    assert 'name="choice_nationality"' not in text  # the same on both: nothing to choose
    values = {v for v in __import__("re").findall(r'name="choice_\w+" value="([^"]*)"', text)}
    assert values == {"kept", "merged"}


def test_choices_are_applied(two):
    response = client_for(two.am1).post(f"/duplicates/merge/{two.a.pk}/", {
        "other": two.b.pk, "choice_mobile": "merged", "choice_name": "kept", "choice_id_number": "merged"})
    assert response.status_code == 302
    a = Customer.objects.get(pk=two.a.pk)
    assert (a.mobile, a.name, a.job_title) == ("13300002222", "林平之", "镖头")
    assert services.id_number_of(a) == ID


def test_the_other_file_by_its_code(two):
    client = client_for(two.am1)
    page = client.get(f"/duplicates/merge/{two.a.pk}/")
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    page = client.get(f"/duplicates/merge/{two.a.pk}/", {"code": "s002"})
    assert page.status_code == 200 and 'name="choice_job_title"' in page.content.decode()


@pytest.mark.parametrize("query", [{"code": "NOPE"}, {"code": "S001"}, {"other": "abc"}, {"other": "0"},
                                   {"other": "99999999999999999999999"}, {"code": "C\x00"}, {"code": "🙂" * 40}])
def test_bad_other_file_is_a_message(two, query):
    response = client_for(two.am1).get(f"/duplicates/merge/{two.a.pk}/", query)
    assert response.status_code == 422
    assert 'class="msg msg-error"' in response.content.decode()


def test_bad_posts_change_nothing(two):
    client = client_for(two.am1)
    before = sorted(Customer.objects.values_list("pk", "name", "mobile", "updated_at"))
    for data in ({}, {"other": two.b.pk, "choice_name": "both"}, {"other": two.a.pk},
                 {"other": two.c_h2.pk}, {"other": two.b.pk, "choice_mobile": "\x00"}):
        response = client.post(f"/duplicates/merge/{two.a.pk}/", data)
        assert response.status_code in (404, 422), (data, response.status_code)
    assert sorted(Customer.objects.values_list("pk", "name", "mobile", "updated_at")) == before


def test_not_a_duplicate_from_the_list(two):
    client = client_for(two.am1)
    make_customer(two.h1, "S003", "岳灵珊", owner=two.am1, mobile="13300001111")
    assert "岳灵珊" in client.get("/duplicates/").content.decode()
    a3 = Customer.objects.get(customer_code="S003")
    response = client.post("/duplicates/dismiss/", {"a": two.a.pk, "b": a3.pk, "next": "/duplicates/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/duplicates/?page=1"
    assert DuplicateDismissal.objects.count() == 1
    client.get("/", follow=True)  # the confirmation message is shown once (am1's home: the control table)
    assert "岳灵珊" not in client.get("/duplicates/").content.decode()
    # An outside "next" is not followed; bad ids are a message.
    response = client.post("/duplicates/dismiss/", {"a": two.a.pk, "b": a3.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/duplicates/"
    for data in ({"a": "x", "b": 1}, {"a": two.a.pk}, {"a": two.a.pk, "b": two.a.pk}):
        assert client.post("/duplicates/dismiss/", data).status_code == 302
    assert DuplicateDismissal.objects.count() == 1


@pytest.mark.parametrize("query", [{"reason": "nonsense"}, {"property": "NOPE"}, {"page": "x"}, {"page": "99"},
                                   {"reason": "\x00"}])
def test_odd_list_input_is_never_a_500(two, query):
    response = client_for(two.gm).get("/duplicates/", query)
    assert response.status_code in (200, 422)


def test_the_administrator_sees_no_list(two):
    assert client_for(two.admin).get("/duplicates/").status_code == 403
