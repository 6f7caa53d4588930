"""Regression tests for review findings in the API: history and contact leaks, bad cursors and offsets."""

import base64
import json

import pytest

EN = {"Accept-Language": "en"}


# ---- history and contacts: nothing about a file the user may not open -------------------

def test_history_does_not_name_a_hidden_contact_file(world, org, api_as):
    response = api_as(world.am1).get(f"/api/customers/{org.pk}/history", **EN)
    assert response.status_code == 200
    text = json.dumps(response.json(), ensure_ascii=False)
    assert "单田芳" not in text and "a file you may not open" in text
    full = json.dumps(api_as(world.gm).get(f"/api/customers/{org.pk}/history").json(), ensure_ascii=False)
    assert "单田芳" in full


def test_contact_mobile_masked_when_the_person_file_is_hidden(world, org, api_as):
    [item] = api_as(world.am1).get(f"/api/customers/{org.pk}/contacts").json()["items"]
    assert item["person"]["visible"] is False
    assert item["person"]["mobile"] == "139****0001"
    [item] = api_as(world.gm).get(f"/api/customers/{org.pk}/contacts").json()["items"]
    assert item["person"]["visible"] is True and item["person"]["mobile"] == "13912340001"


def test_added_contact_mobile_follows_visibility(world, org, api_as):
    response = api_as(world.am1).post(f"/api/customers/{org.pk}/contacts", {"person_id": world.c_pool.pk})
    assert response.status_code == 201
    assert response.json()["person"]["mobile"] == "13612340003"  # the pool is open to am1


# ---- bad cursors: 422, never 500 ------------------------------------------------------

def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = [
    cursor(["name", None, 5]),
    cursor(["name", "zhang\x00", 5]),
    cursor(["name", 3, 5]),
    cursor(["name", ["a"], 5]),
    cursor(["name", "a", None]),
    cursor(["name", "a", "5"]),
    cursor(["name", "a", True]),
    cursor(["name", "a", 10**30]),
    cursor(["-created", None, 5]),
    cursor(["-created", "not a date", 5]),
    cursor(["code", None, 5]),
    base64.urlsafe_b64encode(b'["name", "\\ud800", 5]').decode(),
    "!!!not base64",
]


@pytest.mark.parametrize("token", BAD_CURSORS)
def test_bad_cursor_is_a_422(world, api_as, token):
    order = json.loads(base64.urlsafe_b64decode(token + "==="))[0] if not token.startswith("!") else "name"
    response = api_as(world.gm).get("/api/customers", {"cursor": token, "order": order}, **EN)
    assert response.status_code == 422
    body = response.json()
    assert "cursor" in body["errors"] and "not valid" in body["errors"]["cursor"][0]


def test_good_cursor_still_pages(world, api_as):
    client = api_as(world.gm)
    first = client.get("/api/customers", {"limit": 2, "order": "code"}).json()
    second = client.get(first["next"]).json()
    assert [c["customer_code"] for c in second["items"]] == ["C003", "C004"]


# ---- huge offsets and limits: 422, never 500 -------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/customers",
    "/api/customers/{pk}/contacts",
    "/api/customers/{pk}/preferences",
    "/api/customers/{pk}/special-dates",
    "/api/customers/{pk}/notes",
    "/api/customers/{pk}/history",
])
@pytest.mark.parametrize("params", [
    {"offset": "99999999999999999999"},
    {"offset": "1000001"},
    {"limit": "99999999999999999999"},
    {"offset": "-1"},
])
def test_huge_offset_or_limit_is_a_422(world, org, api_as, path, params):
    response = api_as(world.gm).get(path.format(pk=org.pk), params)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_search_limit_is_bounded(world, api_as):
    response = api_as(world.gm).get("/api/customers/search", {"q": "张", "limit": "99999999999999999999"})
    assert response.status_code == 422


def test_largest_offset_is_accepted(world, api_as):
    response = api_as(world.gm).get("/api/customers", {"offset": "1000000"})
    assert response.status_code == 200 and response.json()["items"] == []
