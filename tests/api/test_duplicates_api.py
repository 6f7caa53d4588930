"""The duplicates API (R-2.8): GET /api/duplicates, POST /api/duplicates/dismiss,
POST /api/customers/{id}/merge — pairs within the rule, masked values, bad input a 422
that changes nothing."""

import pytest

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.customers.models import Customer, DuplicateDismissal, MergeRecord


@pytest.fixture
def dup(world):
    w = world
    w.a = make_customer(w.h1, "D1", "郭靖", owner=w.am1, mobile="13500005555", employer="桃花岛")
    w.b = make_customer(w.h1, "D2", "郭婧", owner=w.am1, mobile="13500005555", employer="桃花岛",
                        job_title="大侠", email="guo@example.com")
    return w


def test_list_with_reasons_and_counts(dup):
    body = token_client(dup.am1).get("/api/duplicates").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["a"]["id"], item["b"]["id"]) == (dup.a.pk, dup.b.pk)
    assert item["reasons"] == ["mobile", "pinyin_employer"]
    assert item["a"]["mobile"] == "13500005555"
    assert body["by_reason"]["mobile"] == 1 and body["by_reason"]["id_number"] == 0


def test_masked_roles_get_masked_mobiles(dup):
    body = token_client(dup.desk).get("/api/duplicates").json()
    assert body["items"][0]["a"]["mobile"] == "135****5555"
    assert "13500005555" not in str(body)


def test_filters_and_paging(dup):
    api = token_client(dup.gm)
    make_customer(dup.h1, "D3", "郭靖", mobile="13500005555")
    assert api.get("/api/duplicates", {"reason": "name_employer"}).json()["count"] == 0
    assert api.get("/api/duplicates", {"reason": "mobile"}).json()["count"] == 3
    first = api.get("/api/duplicates", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"]
    assert api.get("/api/duplicates", {"property": "h1"}).json()["count"] == 3
    assert token_client(dup.gm2).get("/api/duplicates").json()["count"] == 0


@pytest.mark.parametrize("query", [{"reason": "nonsense"}, {"property": "NOPE"}, {"limit": 0}, {"offset": -1},
                                   {"property": "H2"}, {"reason": "\x00"}])
def test_bad_list_input_is_422(dup, query):
    response = token_client(dup.gm).get("/api/duplicates", query)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]


def test_dismiss(dup):
    api = token_client(dup.am1)
    assert api.post("/api/duplicates/dismiss", {"a": dup.b.pk, "b": dup.a.pk}).status_code == 204
    assert DuplicateDismissal.objects.filter(customer_a=dup.a, customer_b=dup.b).exists()
    assert api.get("/api/duplicates").json()["count"] == 0
    assert token_client(dup.desk).post("/api/duplicates/dismiss", {"a": dup.a.pk, "b": dup.b.pk}).status_code == 403
    assert token_client(dup.am2).post("/api/duplicates/dismiss", {"a": dup.a.pk, "b": dup.b.pk}).status_code == 404
    assert api.post("/api/duplicates/dismiss", {"a": dup.a.pk, "b": dup.a.pk}).status_code == 422
    assert api.post("/api/duplicates/dismiss", {"a": dup.a.pk}).status_code == 422
    assert api.post("/api/duplicates/dismiss", {"a": dup.a.pk, "b": dup.c_h2.pk}).status_code == 404


def test_merge_with_choices(dup):
    api = token_client(dup.am1)
    response = api.post(f"/api/customers/{dup.a.pk}/merge",
                        {"other": dup.b.pk, "choices": {"name": "merged", "job_title": "merged"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"]["id"] == dup.a.pk and body["merged_id"] == dup.b.pk and body["merged_code"] == "D2"
    assert (body["customer"]["name"], body["customer"]["job_title"], body["customer"]["email"]) == \
        ("郭婧", "大侠", "guo@example.com")  # email: blank on the kept file, so taken by default
    a = Customer.objects.get(pk=dup.a.pk)
    assert a.name == "郭婧" and not Customer.objects.filter(pk=dup.b.pk).exists()
    assert MergeRecord.objects.get(merged_id=dup.b.pk).merged_by == dup.am1
    # The old id answers with the survivor.
    assert api.get(f"/api/customers/{dup.b.pk}").json()["id"] == dup.a.pk


@pytest.mark.parametrize("payload", [
    {"other": "x"}, {}, {"other": 0}, {"other": 1, "choices": {"nonsense": "kept"}},
    {"other": 1, "choices": {"name": "both"}}, {"other": 1, "choices": ["name"]},
    {"other": 1, "extra": True}, {"other": 1, "choices": {"id_number_enc": "merged"}},
])
def test_bad_merge_input_is_422_and_changes_nothing(dup, payload):
    if payload.get("other") == 1:
        payload = {**payload, "other": dup.b.pk}
    before = sorted(Customer.objects.values_list("pk", "name", "updated_at"))
    response = token_client(dup.am1).post(f"/api/customers/{dup.a.pk}/merge", payload)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]
    assert sorted(Customer.objects.values_list("pk", "name", "updated_at")) == before


def test_merging_a_file_with_itself_or_across_properties_is_422(dup):
    api = token_client(dup.gm)
    assert api.post(f"/api/customers/{dup.a.pk}/merge", {"other": dup.a.pk}).status_code == 422
    org = make_customer(dup.h1, "D9", "郭靖", kind="org")
    response = api.post(f"/api/customers/{dup.a.pk}/merge", {"other": org.pk})
    assert response.status_code == 422 and "other" in response.json()["errors"]
