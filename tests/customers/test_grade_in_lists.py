"""R-4 in the customer list (issue 13 point 1): filter by grade (several, and "not graded
yet") and by module, sort by grade (A, B, C, D, then not graded; each by name), with keyset
pages forward and back on SQLite and PostgreSQL; one FilterSet for the UI list, its count,
its export and the API; grade badges in the list and in search results."""

import random

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.core.pagination import encode_cursor, keyset_page
from yingke.customers.filters import ORDERINGS, CustomerFilterSet
from yingke.customers.models import Customer, Module


@pytest.fixture
def graded(world):
    """40 files of H1 with ties in grade and name, a quarter not graded; modules on some."""
    rng = random.Random(7)
    modules = list(Module.objects.filter(property=world.h1).order_by("sort_order"))
    for i in range(40):
        c = make_customer(world.h1, f"G{i:03d}", f"客{i}", owner=world.am1 if i % 2 else None)
        grade = rng.choice(["A", "B", "C", "D", ""])
        Customer.objects.filter(pk=c.pk).update(
            grade=grade, grade_computed=grade, name_pinyin=rng.choice(["an", "bai", "chen", "li"]),
            module=modules[i % 3] if i % 4 else None)
    return world


def python_order(rows):
    return [c.pk for c in sorted(rows, key=lambda c: (c.grade == "", c.grade, c.name_pinyin, c.pk))]


def ids(user, **params):
    f = CustomerFilterSet(params, user=user)
    assert not f.invalid(), f.errors
    return set(f.qs.values_list("pk", flat=True))


def test_grade_filter_takes_several_grades_and_not_graded(graded):
    rows = list(Customer.objects.visible_to(graded.gm))
    assert ids(graded.gm, grade="A") == {c.pk for c in rows if c.grade == "A"}
    assert ids(graded.gm, grade="A,B") == {c.pk for c in rows if c.grade in "AB" and c.grade}
    assert ids(graded.gm, grade="none") == {c.pk for c in rows if c.grade == ""}
    assert ids(graded.gm, grade="D,none") == {c.pk for c in rows if c.grade in ("D", "")}


def test_grade_filter_reads_repeated_parameters_like_the_checkboxes(graded, client):
    client.force_login(graded.gm)
    response = client.get(reverse("customers:list") + "?grade=A&grade=C")
    shown = {c.pk for c in response.context["page"].rows}
    want = set(Customer.objects.visible_to(graded.gm).filter(grade__in=["A", "C"]).values_list("pk", flat=True)[:25])
    assert shown == want and shown


def test_module_filter(graded):
    module = Module.objects.filter(property=graded.h1).order_by("sort_order").first()
    rows = list(Customer.objects.visible_to(graded.gm))
    assert ids(graded.gm, module=str(module.pk)) == {c.pk for c in rows if c.module_id == module.pk}
    assert ids(graded.gm, module="none") == {c.pk for c in rows if c.module_id is None}


def test_filters_narrow_only_what_the_role_sees(graded):
    assert ids(graded.am1, grade="A,B,C,D,none") <= set(
        Customer.objects.visible_to(graded.am1).values_list("pk", flat=True))
    assert ids(graded.admin, grade="A") == set()


@pytest.mark.parametrize("params,field", [
    ({"grade": "E"}, "grade"), ({"grade": "A;B"}, "grade"), ({"grade": "a"}, "grade"),
    ({"module": "x"}, "module"), ({"module": "1" * 30}, "module"), ({"order": "grades"}, "order"),
])
def test_bad_values_are_field_errors_in_ui_and_api(graded, client, params, field):
    f = CustomerFilterSet(params, user=graded.gm)
    assert f.invalid() and field in f.errors
    client.force_login(graded.gm)
    page = client.get(reverse("customers:list"), params)
    assert page.status_code == 200 and page.context["page"].rows == []
    api = token_client(graded.gm)
    response = api.get("/api/customers", params)
    assert response.status_code == 422 and field in response.json()["errors"]


def test_sort_by_grade_pages_forward_and_back(graded):
    qs = Customer.objects.visible_to(graded.gm)
    want = python_order(list(qs))
    ordering = CustomerFilterSet({"order": "grade"}, user=graded.gm).ordering()
    seen, cursor, pages = [], "", []
    while True:
        page = keyset_page(qs, ordering, 4, after=cursor)
        seen += [c.pk for c in page.rows]
        pages.append(page)
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == want
    back, cursor = [], pages[-1].previous_cursor
    while cursor:
        page = keyset_page(qs, ordering, 4, before=cursor)
        back = [c.pk for c in page.rows] + back
        cursor = page.previous_cursor if page.has_previous else ""
    assert back + [c.pk for c in pages[-1].rows] == want
    assert list(qs.order_by(*ORDERINGS["grade"].order_by()).values_list("pk", flat=True)) == want


def test_sort_by_grade_in_the_ui_and_the_api(graded, client):
    want = python_order(list(Customer.objects.visible_to(graded.sm)))
    client.force_login(graded.sm)
    seen, url = [], reverse("customers:list") + "?order=grade"
    response = client.get(url)
    seen += [c.pk for c in response.context["page"].rows]
    while response.context["page"].has_next:
        response = client.get(url + "&after=" + response.context["page"].next_cursor)
        seen += [c.pk for c in response.context["page"].rows]
    assert seen == want
    api = token_client(graded.sm)
    items, next_url = [], "/api/customers?order=grade&limit=7"
    while next_url:
        body = api.get(next_url).json()
        items += [c["id"] for c in body["items"]]
        next_url = body["next"]
    assert items == want


def test_a_cursor_naming_a_hidden_file_reveals_nothing(graded):
    """A forged cursor with the id of a file the user may not see starts nowhere in particular:
    its name is not read (the subquery is limited to the user's rows)."""
    hidden = make_customer(graded.h1, "HID", "隐藏", owner=graded.am3)
    Customer.objects.filter(pk=hidden.pk).update(grade="B", name_pinyin="bai")
    hidden.refresh_from_db()
    qs = Customer.objects.visible_to(graded.am1)
    ordering = CustomerFilterSet({"order": "grade"}, user=graded.am1).ordering()
    page = keyset_page(qs, ordering, 100, after=encode_cursor(ordering, hidden))
    nobody = keyset_page(qs, ordering, 100, after=encode_cursor(ordering, Customer(pk=10**9, grade="B")))
    assert [c.pk for c in page.rows] == [c.pk for c in nobody.rows]


def test_count_and_export_use_the_same_filters(graded, client):
    client.force_login(graded.gm)
    count = client.get(reverse("customers:count"), {"grade": "A,B"})
    n = Customer.objects.visible_to(graded.gm).filter(grade__in=["A", "B"]).count()
    assert count.status_code == 200 and str(n) in count.content.decode()
    export = client.get(reverse("customers:export_csv"), {"grade": "A,B"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == n + 1


def test_list_and_search_show_grade_badges(graded, client):
    c = Customer.objects.filter(property=graded.h1, grade="A").first()
    client.force_login(graded.gm)
    with translation.override("en"):
        listing = client.get(reverse("customers:list"), {"grade": "A"}).content.decode()
        assert 'class="grade grade-a"' in listing
        found = client.get(reverse("search"), {"q": c.customer_code}).content.decode()
        assert 'class="grade grade-a"' in found
        suggest = Client()
        suggest.force_login(graded.gm)
        assert 'class="grade grade-a"' in suggest.get(reverse("search_suggest"), {"q": c.customer_code}).content.decode()


def test_the_api_shows_grade_computed_grade_and_module(graded):
    c = Customer.objects.filter(property=graded.h1, module__isnull=False, owner__isnull=True).first()
    Customer.objects.filter(pk=c.pk).update(grade="A", grade_computed="C")
    api = token_client(graded.gm)
    body = api.get(f"/api/customers/{c.pk}").json()
    assert body["grade"] == "A" and body["grade_computed"] == "C"
    assert body["module"] == {"id": c.module_id, "name": c.module.name}
    listed = {i["id"]: i for i in api.get("/api/customers", {"grade": "A", "limit": 200}).json()["items"]}
    assert listed[c.pk]["grade"] == "A" and listed[c.pk]["module"]["id"] == c.module_id
    hits = api.get("/api/customers/search", {"q": c.customer_code}).json()["items"]
    assert hits[0]["customer"]["grade"] == "A"


def test_list_query_count_does_not_grow_with_grades_and_modules(graded, client, django_assert_max_num_queries):
    client.force_login(graded.gm)
    with django_assert_max_num_queries(13):  # 13th: the open-complaint flags of the page (one query)
        assert client.get(reverse("customers:list"), {"order": "grade", "grade": "A,B,C,D,none"}).status_code == 200


def test_masking_is_unaffected_by_the_grade_filter_and_sort(world, client):
    Customer.objects.filter(pk=world.c_am1.pk).update(grade="A")
    client.force_login(world.desk)
    text = client.get(reverse("customers:list"), {"grade": "A", "order": "grade"}).content.decode()
    assert "张三" in text and "13812345678" not in text and "5678" in text
    body = token_client(world.desk).get("/api/customers", {"grade": "A"}).json()
    from yingke.customers.masking import customer_mobile

    assert [i["mobile"] for i in body["items"]] == [customer_mobile(world.desk, world.c_am1)]
    assert "13812345678" not in str(body)
