"""After a merge the merged-away file's links answer with the survivor (R-2.8): its pages
redirect (GET 301; a form sent from an old page is a 404 naming the survivor, nothing
saved), the API answers with the survivor's file; for a user who may not see the survivor the old id stays a 404 (R-1.2)."""

import pytest
from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.customers import merge as merging
from yingke.customers.models import Note


@pytest.fixture
def merged(world):
    w = world
    w.kept = make_customer(w.h1, "R1", "黄蓉", owner=w.am1, mobile="13600006666")
    gone = make_customer(w.h1, "R2", "黄蓉", owner=w.am1, mobile="13600006666")
    w.old_id = gone.pk
    merging.merge(w.gm, w.kept, gone)
    return w


def ui(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("sub", ["", "edit/", "history/"])
def test_old_pages_redirect_to_the_survivor(merged, sub):
    w = merged
    response = ui(w.am1).get(f"/customers/{w.old_id}/{sub}", {"all": "1"} if sub == "history/" else None)
    assert response.status_code == 301
    expected = f"/customers/{w.kept.pk}/{sub}" + ("?all=1" if sub == "history/" else "")
    assert response["Location"] == expected
    assert ui(w.am1).get(response["Location"]).status_code == 200


def test_a_form_sent_from_an_old_page_saves_nothing(merged):
    w = merged
    client = ui(w.am1)
    response = client.post(f"/customers/{w.old_id}/notes/", {"kind": "note", "text": "旧页面写的", "outlet": ""})
    assert response.status_code == 404
    assert "R1" in response.content.decode()
    assert not Note.objects.exists()


def test_the_api_answers_with_the_survivor(merged):
    w = merged
    response = token_client(w.am1).get(f"/api/customers/{w.old_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["customer_code"], body["name"]) == (w.kept.pk, "R1", "黄蓉")


@pytest.mark.parametrize("role", ["am2", "am3", "admin", "gm2"])
def test_who_may_not_see_the_survivor_gets_404(merged, role):
    w = merged
    user = getattr(w, role)
    assert ui(user).get(f"/customers/{w.old_id}/").status_code == 404
    response = token_client(user).get(f"/api/customers/{w.old_id}")
    assert response.status_code == 404
    assert "黄蓉" not in response.content.decode()


def test_an_id_that_was_never_merged_is_404(merged):
    assert ui(merged.am1).get("/customers/999999999/").status_code == 404
    assert token_client(merged.am1).get("/api/customers/999999999").status_code == 404


def test_merging_twice_follows_to_the_last_survivor(merged):
    w = merged
    last = make_customer(w.h1, "R3", "黄蓉", owner=w.am1)
    merging.merge(w.gm, last, w.kept)
    response = ui(w.am1).get(f"/customers/{w.old_id}/")
    assert response["Location"] == f"/customers/{last.pk}/"


def test_a_merged_id_as_the_other_file_is_a_message_not_a_redirect(merged):
    w = merged
    client = ui(w.am1)
    response = client.post(f"/duplicates/merge/{w.kept.pk}/", {"other": w.old_id})
    assert response.status_code == 422
    assert "already merged" in response.content.decode() or "已经合并" in response.content.decode()
    response = client.post("/duplicates/dismiss/", {"a": w.kept.pk, "b": w.old_id})
    assert response.status_code == 404
