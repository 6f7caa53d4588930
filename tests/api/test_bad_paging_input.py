"""Bad paging input to the API (cursors, offsets, limits): a 422 with the field, never a 500."""

import base64
import json

import pytest

EN = {"Accept-Language": "en"}

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
