"""One keyset paginator (core.pagination) for the UI list and the API list, in the
row-value form `(key, id) > (v, vid)` that both planners read as one index range.

The plan tests run the page-after-a-cursor query that the UI list and the API list
really send (captured from the request) through EXPLAIN QUERY PLAN on SQLite and
EXPLAIN on PostgreSQL (after ANALYZE, with enough rows that the planner has a choice).
"""

import datetime as dt
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.api.helpers import token_client
from yingke.core.pagination import InvalidCursor, Ordering, decode_cursor, encode_cursor, keyset_page
from yingke.customers.filters import ORDERINGS
from yingke.customers.models import Customer

ROWS = 6_000


@pytest.fixture
def crowd(world):
    """ROWS files in H1 and as many in H2, names in random pinyin order with ties."""
    rng = random.Random(5)
    now = timezone.now()
    syllables = ["an", "bai", "chen", "deng", "fang", "gao", "huang", "li", "wang", "zhang"]
    batch = []
    for prop in (world.h1, world.h2):
        for i in range(ROWS):
            pinyin = "".join(rng.choice(syllables) for _ in range(2))
            batch.append(Customer(property=prop, customer_code=f"K{i:05d}", name=f"客{i}", name_pinyin=pinyin,
                                  created_at=now - dt.timedelta(minutes=rng.randrange(ROWS))))
    Customer.objects.bulk_create(batch, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return world


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(row[-1] for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def page_query(queries) -> str:
    """The query of the page rows: the one that orders the customers after a cursor."""
    found = [q["sql"] for q in queries if 'FROM "customers_customer"' in q["sql"] and "ORDER BY" in q["sql"]
             and "LIMIT" in q["sql"] and "COUNT(" not in q["sql"]]
    assert len(found) == 1, [q["sql"][:200] for q in queries]
    return found[0]


def assert_index_range(sql: str, index: str, key: str, op: str):
    text = plan(sql)
    if connection.vendor == "sqlite":
        # SEARCH customers_customer USING INDEX cust_prop_pinyin (property_id=? AND name_pinyin>?): SQLite
        # starts the range at the cursor's key (it does not carry the rowid into a row-value range) and
        # checks the id of the few rows with the same key.
        assert (f"USING INDEX {index} (property_id=? AND {key}{op}?)" in text
                or f"USING INDEX {index} (property_id=? AND ({key},id){op}(?,?))" in text), text
        assert "TEMP B-TREE" not in text, text
    else:
        # e.g. Index Scan using cust_prop_pinyin … Index Cond: ((property_id = 1) AND (ROW(name_pinyin, id) > ROW(…)))
        assert f"Index Scan using {index} on customers_customer" in text, text
        cond = text.split("Index Cond:", 1)[1].splitlines()[0]
        assert re.search(rf"ROW\(\(?{key}\)?(::[a-z ]+)?, id\) {op} ROW\(", cond), text
        assert "Sort" not in text, text


@pytest.mark.parametrize("order,index,key,op", [
    ("name", "cust_prop_pinyin", "name_pinyin", ">"),
    ("-created", "cust_prop_created", "created_at", "<"),
])
def test_ui_page_after_a_cursor_is_one_index_range(client, crowd, order, index, key, op):
    client.force_login(crowd.gm)
    first = client.get(reverse("customers:list"), {"order": order}).context["page"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("customers:list"), {"order": order, "after": first.next_cursor})
    assert response.status_code == 200 and len(response.context["page"].rows) == 25
    assert_index_range(page_query(ctx.captured_queries), index, key, op)


@pytest.mark.parametrize("order,index,key,op", [
    ("name", "cust_prop_pinyin", "name_pinyin", ">"),
    ("-created", "cust_prop_created", "created_at", "<"),
])
def test_api_page_after_a_cursor_is_one_index_range(crowd, order, index, key, op):
    api = token_client(crowd.gm)
    next_url = api.get("/api/customers", {"order": order}).json()["next"]
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(next_url)
    assert response.status_code == 200 and len(response.json()["items"]) == 25
    assert_index_range(page_query(ctx.captured_queries), index, key, op)


def test_the_spelled_out_or_form_is_an_index_range_only_on_sqlite(crowd):
    """The control: the API's old `key > v OR (key = v AND id > vid)`. SQLite (3.40 here)
    derives the same range from it; PostgreSQL does not, and the check above says so."""
    from django.db.models import Q

    qs = Customer.objects.filter(property=crowd.h1).filter(
        Q(name_pinyin__gt="li") | Q(name_pinyin="li", id__gt=5)).order_by("name_pinyin", "id")[:26]
    with CaptureQueriesContext(connection) as ctx:
        list(qs)
    sql = ctx.captured_queries[-1]["sql"]
    if connection.vendor == "sqlite":
        assert_index_range(sql, "cust_prop_pinyin", "name_pinyin", ">")
    else:
        with pytest.raises(AssertionError):
            assert_index_range(sql, "cust_prop_pinyin", "name_pinyin", ">")


# ---- the paginator itself ------------------------------------------------------------------

def test_pages_forward_and_backward_cover_every_row_once(crowd):
    qs = Customer.objects.filter(property=crowd.h1)
    for ordering in ORDERINGS.values():
        expected = list(qs.order_by(*ordering.order_by()).values_list("pk", flat=True))
        seen, page, pages = [], keyset_page(qs, ordering, 500), []
        while True:
            pages.append([c.pk for c in page.rows])
            seen += pages[-1]
            if not page.has_next:
                break
            page = keyset_page(qs, ordering, 500, after=page.next_cursor)
        assert seen == expected, ordering
        for previous in reversed(pages[:-1]):
            page = keyset_page(qs, ordering, 500, before=page.previous_cursor)
            assert [c.pk for c in page.rows] == previous
        assert not page.has_previous


@pytest.mark.parametrize("token", ["", "!!", "eyJ4Ijp9", "WyJuYW1lIiwgMSwgMl0", "WyJuYW1lIiwiXHUwMDAwIiwxXQ",
                                   "WyJuYW1lIiwiYSIsLTFd", "WyJuYW1lIiwiYSIsdHJ1ZV0", "WyJuYW1lIiwiXHVkODAwIiwxXQ",
                                   "WyJuYW1lIiwiYSIsMTAwMDAwMDAwMDAwMDAwMDAwMDAwMF0"])
def test_a_token_that_is_not_our_cursor_is_refused(token):
    # "", "!!", {"x":}, ["name",1,2], NUL in the key, id -1, id true, lone surrogate, id 10**22
    with pytest.raises(InvalidCursor):
        decode_cursor(token, ORDERINGS["name"], Customer)


def test_a_cursor_of_one_ordering_is_refused_by_another(world):
    token = encode_cursor(ORDERINGS["name"], world.c_am1)
    assert decode_cursor(token, ORDERINGS["name"], Customer) == (world.c_am1.name_pinyin, world.c_am1.pk)
    with pytest.raises(InvalidCursor):
        decode_cursor(token, ORDERINGS["code"], Customer)
    created = Ordering("-created", "created_at", descending=True)
    value, pk = decode_cursor(encode_cursor(created, world.c_am1), created, Customer)
    assert value == world.c_am1.created_at and pk == world.c_am1.pk
