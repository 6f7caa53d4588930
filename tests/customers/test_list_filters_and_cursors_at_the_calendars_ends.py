"""Dates at the ends of the calendar in the customer list's filters and in hand-crafted
keyset cursors (R-2.3 filters, core.pagination): a clear message or a bad cursor, never a
500 — a day like 0001-01-01 or 9999-12-31 overflows when turned into local midnight or
the next day, an aware 0001-01-01T00:00+14:00 when turned into UTC."""

import base64
import json

import pytest
from django.test import Client

from tests.api.helpers import token_client


def ui(user):
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("query", [{"last_visit_after": "0001-01-01"}, {"last_visit_before": "9999-12-31"},
                                   {"last_visit_before": "0001-01-01"}, {"last_visit_after": "1899-12-31"},
                                   {"last_visit_before": "2101-01-01"}])
def test_out_of_range_dates_are_a_message(world, query):
    response = ui(world.gm).get("/customers/", query)
    assert response.status_code == 200
    assert "1900" in response.content.decode()
    response = token_client(world.gm).get("/api/customers", query, **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert "1900 to 2100" in str(response.json()["errors"])


def test_the_ends_of_the_range_are_accepted(world):
    query = {"last_visit_after": "1900-01-01", "last_visit_before": "2100-12-31"}
    assert ui(world.gm).get("/customers/", query).status_code == 200
    assert token_client(world.gm).get("/api/customers", query).status_code == 200


def token(order, value, pk=1):
    return base64.urlsafe_b64encode(json.dumps([order, value, pk]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("order,value", [("-last_visit", "0001-01-01T00:00:00+14:00"),
                                         ("-created", "0001-01-01T00:00:00+14:00"),
                                         ("last_visit", "9999-12-31T23:00:00-12:00"),
                                         ("created", "9999-12-31T23:59:59+00:00")])
def test_extreme_cursor_times_are_a_bad_cursor(world, order, value):
    tok = token(order, value)
    for name in ("after", "before"):
        response = ui(world.gm).get("/customers/", {"order": order, name: tok})
        assert response.status_code == 200
        assert "张三" in response.content.decode()  # the first page
    response = token_client(world.gm).get("/api/customers", {"order": order, "cursor": tok})
    assert response.status_code == 422, response.content


def test_a_real_cursor_still_pages(world):
    api = token_client(world.gm)
    first = api.get("/api/customers", {"order": "-created", "limit": 2}).json()
    assert first["next"]
    assert api.get(first["next"]).status_code == 200
