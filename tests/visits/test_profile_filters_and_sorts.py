"""R-2.3: the consumption profile is filterable and sortable in the customer list and the
API (one FilterSet), with keyset pages that put never-seen guests (null last visit) last
in either direction, on SQLite and PostgreSQL; shown as list columns and exported."""

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.core.pagination import keyset_page
from yingke.customers.filters import ORDERINGS, CustomerFilterSet
from yingke.customers.models import Customer


@pytest.fixture
def crowd(world):
    """30 guests of H1 with profiles: ties in every key, a third never seen (null last visit)."""
    rng = random.Random(3)
    now = timezone.now().replace(microsecond=0)
    for i in range(30):
        c = make_customer(world.h1, f"K{i:03d}", f"常客{i}")
        seen = i % 3 != 0
        Customer.objects.filter(pk=c.pk).update(
            visit_count=rng.randint(1, 4) if seen else 0,
            total_spend=Decimal(rng.choice([100, 250, 250, 990])) if seen else Decimal(0),
            last_visit_at=now - dt.timedelta(days=rng.choice([1, 5, 5, 40])) if seen else None,
            stay_count=rng.choice([0, 1]) if seen else 0)
    return world


def python_order(rows, key, descending):
    keyed = [r for r in rows if getattr(r, key) is not None]
    nulls = [r for r in rows if getattr(r, key) is None]
    keyed.sort(key=lambda r: (getattr(r, key), r.pk), reverse=descending)
    nulls.sort(key=lambda r: r.pk, reverse=descending)
    return [r.pk for r in keyed + nulls]


@pytest.mark.parametrize("order", ["-last_visit", "last_visit", "-spend", "-visits"])
def test_pages_forward_and_back_follow_the_order_with_nulls_last(crowd, order):
    ordering = ORDERINGS[order]
    qs = Customer.objects.visible_to(crowd.gm)
    want = python_order(list(qs), ordering.key, ordering.descending)
    seen, cursor, pages = [], "", []
    while True:
        page = keyset_page(qs, ordering, 4, after=cursor)
        seen += [r.pk for r in page.rows]
        pages.append(page)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == want
    back, cursor = [], pages[-1].previous_cursor
    while cursor:
        page = keyset_page(qs, ordering, 4, before=cursor)
        back = [r.pk for r in page.rows] + back
        cursor = page.previous_cursor if page.has_previous else ""
    assert back + [r.pk for r in pages[-1].rows] == want


def test_filters_narrow_by_the_profile(crowd):
    rows = list(Customer.objects.visible_to(crowd.gm))
    today = timezone.localdate()

    def ids(**params):
        f = CustomerFilterSet(params, user=crowd.gm)
        assert not f.invalid(), f.errors
        return set(f.qs.values_list("pk", flat=True))

    assert ids(visits_min="3") == {c.pk for c in rows if c.visit_count >= 3}
    assert ids(spend_min="200", spend_max="990") == {c.pk for c in rows if 200 <= c.total_spend <= 990}
    since = today - dt.timedelta(days=5)
    assert ids(last_visit_after=since.isoformat()) == {
        c.pk for c in rows if c.last_visit_at and timezone.localtime(c.last_visit_at).date() >= since}
    assert ids(last_visit_before=since.isoformat()) == {
        c.pk for c in rows if c.last_visit_at and timezone.localtime(c.last_visit_at).date() <= since}
    assert ids(has_stays="yes") == {c.pk for c in rows if c.stay_count}
    for bad in ({"visits_min": "x"}, {"spend_min": "1.234"}, {"last_visit_after": "2026-02-30"},
                {"has_stays": "maybe"}, {"visits_min": "-1"}):
        assert CustomerFilterSet(bad, user=crowd.gm).invalid(), bad


def test_the_list_shows_profile_columns_and_the_export_carries_them(crowd):
    Customer.objects.filter(pk=crowd.c_am1.pk).update(visit_count=7, total_spend=Decimal("12345.60"),
                                                      last_visit_at=timezone.now())
    client = Client()
    client.force_login(crowd.gm)
    page = client.get("/customers/", {"order": "-spend", "visits_min": "5"}, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200 and "12,345.60" in text and "Last visit" in text
    bad = client.get("/customers/", {"spend_min": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and "Enter an amount" in bad.content.decode()
    export = client.get("/customers/export.csv", {"visits_min": "5"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    assert {"Number of visits", "Total spend", "Last visit"} <= set(header)
    assert rows[1][header.index("Total spend")] == "12345.60"


def test_the_api_filters_sorts_and_pages_by_the_profile(crowd):
    api = token_client(crowd.gm)
    got, url = [], "/api/customers?order=-last_visit&limit=7"
    while url:
        data = api.get(url).json()
        got += [(i["id"], i["last_visit_at"]) for i in data["items"]]
        url = data["next"]
    qs = Customer.objects.visible_to(crowd.gm)
    assert [pk for pk, _ in got] == python_order(list(qs), "last_visit_at", True)
    assert got[-1][1] is None and got[0][1] is not None
    r = api.get("/api/customers?visits_min=abc")
    assert r.status_code == 422 and "visits_min" in r.json()["errors"]
    r = api.get("/api/customers?has_stays=yes&spend_min=100")
    assert r.status_code == 200
    assert all(i["total_spend"] and Decimal(i["total_spend"]) >= 100 for i in r.json()["items"])


def test_a_forged_cursor_with_a_null_key_is_refused_for_a_key_that_is_never_null(crowd):
    import base64
    import json

    token = base64.urlsafe_b64encode(json.dumps(["-spend", None, 1]).encode()).decode().rstrip("=")
    r = token_client(crowd.gm).get(f"/api/customers?order=-spend&cursor={token}")
    assert r.status_code == 422
    make_customer(crowd.h1, "Z1", "无消费")  # and nothing broke for a fresh file
