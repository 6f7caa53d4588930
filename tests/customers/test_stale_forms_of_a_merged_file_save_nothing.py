"""A write sent to a merged-away id is never forwarded to the survivor (R-2.8, R-12.4): an
old full-field edit form of the merged file would otherwise undo the values chosen in the
merge. The UI answers 404 with a page naming the file it became; the API answers 404 with
a message naming it; reads still answer with the survivor, child lists included."""

import pytest
from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.customers import merge as merging
from yingke.customers.models import Customer, Note, Preference
from yingke.visits.models import Visit


@pytest.fixture
def stale(world):
    w = world
    w.kept = make_customer(w.h1, "R1", "黄蓉", owner=w.am1, mobile="13600006666", employer="桃花岛")
    w.gone = make_customer(w.h1, "R2", "黄蓉", owner=w.am1, mobile="13600007777", employer="丐帮")
    w.client = Client()
    w.client.force_login(w.am1)
    form = w.client.get(f"/customers/{w.gone.pk}/edit/").context["form"]
    w.data = {name: (form[name].value() or "") for name in form.fields}
    Note.objects.create(customer=w.gone, text="旧备注", kind="note", author=w.am1)
    Preference.objects.create(customer=w.gone, category="tea", value="普洱", created_by=w.am1)
    merging.merge(w.gm, w.kept, w.gone)  # keeps R1's mobile and employer
    return w


def test_the_stale_edit_form_saves_nothing(stale):
    w = stale
    response = w.client.post(f"/customers/{w.gone.pk}/edit/", w.data)
    assert response.status_code == 404
    assert "R1" in response.content.decode()
    kept = Customer.objects.get(pk=w.kept.pk)
    assert (kept.mobile, kept.employer) == ("13600006666", "桃花岛")


def test_reads_still_redirect(stale):
    w = stale
    response = w.client.get(f"/customers/{w.gone.pk}/edit/")
    assert response.status_code == 301 and response["Location"] == f"/customers/{w.kept.pk}/edit/"
    assert w.client.head(f"/customers/{w.gone.pk}/").status_code == 301


@pytest.mark.parametrize("method,path,body", [
    ("patch", "/api/customers/{id}", {"employer": "丐帮"}),
    ("post", "/api/customers/{id}/notes", {"text": "旧客户端", "kind": "note"}),
    ("post", "/api/customers/{id}/preferences", {"category": "tea", "value": "龙井"}),
    ("post", "/api/customers/{id}/visits", {"occurred_at": "2026-11-03T19:30:00+08:00", "amount": "88"}),
    ("post", "/api/customers/{id}/special-dates", {"kind": "birthday", "month": 3, "day": 4}),
])
def test_api_writes_on_a_merged_id_are_404_naming_the_survivor(stale, method, path, body):
    w = stale
    before = (Note.objects.count(), Preference.objects.count(), Visit.objects.count())
    response = getattr(token_client(w.am1), method)(path.format(id=w.gone.pk), body)
    assert response.status_code == 404, response.content
    assert "R1" in response.json()["detail"]
    assert (Note.objects.count(), Preference.objects.count(), Visit.objects.count()) == before
    assert Customer.objects.get(pk=w.kept.pk).employer == "桃花岛"


def test_api_writes_on_a_merged_id_name_nothing_to_who_may_not_see_the_survivor(stale):
    response = token_client(stale.am2).patch(f"/api/customers/{stale.gone.pk}", {"employer": "丐帮"})
    assert response.status_code == 404 and "R1" not in response.content.decode()


@pytest.mark.parametrize("part", ["notes", "preferences"])
def test_api_child_lists_of_a_merged_id_list_the_survivors_rows(stale, part):
    body = token_client(stale.am1).get(f"/api/customers/{stale.gone.pk}/{part}").json()
    assert body["count"] == 1


def test_api_visit_list_of_a_merged_id_lists_the_survivors_visits(stale):
    w = stale
    api = token_client(w.am1)
    assert api.post(f"/api/customers/{w.kept.pk}/visits",
                    {"occurred_at": "2026-11-03T19:30:00+08:00", "amount": "88"}).status_code == 201
    assert api.get(f"/api/customers/{w.gone.pk}/visits").json()["count"] == 1
