"""Malformed list cursors and control characters in the search box: a normal page, never an error."""

import base64
import json

import pytest
from django.urls import reverse

# ---- malformed list cursors show the first page -----------------------------------------

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
    first = client.get(reverse("customers:list"), {"order": "code"}).context["page"]
    second = client.get(reverse("customers:list"), {"order": "code", "after": first.next_cursor}).context["page"]
    assert [c.customer_code for c in second.rows] == ["C003", "C004"]


# ---- control characters in the search box -------------------------------------------

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
