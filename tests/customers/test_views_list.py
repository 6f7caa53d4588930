"""The customer list: row-level rule, filters, sort, keyset pages, capped count, export (R-1.2, R-12.1).

The filters are customers.filters.CustomerFilterSet, the paginator core.pagination and the
export core.export: the same definitions as the API's (tests/api/test_customers.py).
"""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from tests.conftest import make_customer
from yingke.core.models import AuditEvent
from yingke.core.pagination import capped_count
from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer
from yingke.customers.services import save_customer, tags_from_names
from yingke.customers.views import lists

LIST = reverse("customers:list")

# What each role sees in the list, written out from R-1.2.
EXPECTED = {
    "gm": {"C001", "C002", "C003", "C004"},
    "sm": {"C001", "C002", "C004"},
    "am1": {"C001", "C004"},
    "am3": {"C003", "C004"},
    "desk": {"C001", "C002", "C003", "C004"},
    "sup": {"C001", "C002", "C003", "C004"},
    "admin": set(),
    "gm2": {"C001"},  # H2's own C001 (张珊)
}


def codes(response):
    return [c.customer_code for c in response.context["page"].rows]


def get(client, user, **params):
    client.force_login(user)
    return client.get(LIST, params)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_list_shows_exactly_what_the_role_may_see(client, world, role):
    response = get(client, getattr(world, role))
    assert response.status_code == 200
    assert set(codes(response)) == EXPECTED[role]
    count = client.get(reverse("customers:count")).context
    assert (count["count"], count["count_more"]) == (len(EXPECTED[role]), False)


def test_h2_manager_sees_only_h2(client, world):
    response = get(client, world.gm2)
    assert [c.name for c in response.context["page"].rows] == ["张珊"]


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_mobile_masked_for_front_desk_and_full_for_manager(client, world):
    body = get(client, world.desk).content.decode()
    assert "138****5678" in body and "13812345678" not in body
    body = get(client, world.gm).content.decode()
    assert "13812345678" in body


def test_empty_state(client, world):
    response = get(client, world.admin)
    assert response.status_code == 200
    assert response.context["page"].rows == []
    assert b'class="empty"' in response.content


@pytest.fixture
def varied(world):
    h1 = world.h1
    org = make_customer(h1, "C005", "阿里巴巴集团", kind=Customer.Kind.ORGANISATION, owner=world.am1)
    woman = make_customer(h1, "C006", "王芳", owner=world.am2, gender=Customer.Gender.FEMALE)
    save_customer(SYSTEM, world.c_am1, tags=tags_from_names(h1, ["VIP"]))
    world.c_am1.gender = Customer.Gender.MALE
    save_customer(SYSTEM, world.c_am1)
    return {"org": org, "woman": woman}


@pytest.mark.parametrize("params, expected", [
    ({"kind": "org"}, {"C005"}),
    ({"kind": "person"}, {"C001", "C002", "C003", "C004", "C006"}),
    ({"gender": "F"}, {"C006"}),
    ({"gender": "M"}, {"C001"}),
    ({"has_mobile": "no"}, {"C005", "C006"}),
    ({"has_mobile": "yes"}, {"C001", "C002", "C003", "C004"}),
    ({"owner": "none"}, {"C004"}),
])
def test_filters(client, world, varied, params, expected):
    assert set(codes(get(client, world.gm, **params))) == expected


def test_filter_by_owner_and_tag(client, world, varied):
    assert set(codes(get(client, world.gm, owner=world.am1.pk))) == {"C001", "C005"}
    assert set(codes(get(client, world.am1, owner="me"))) == {"C001", "C005"}
    assert codes(get(client, world.gm, tag="VIP")) == ["C001"]  # the tag's name, as in the API
    assert codes(get(client, world.gm, tag="nobody")) == []


def test_filters_never_widen_the_rule(client, world, varied):
    # am1 asks for am2's files: not a choice for am1, and the list stays within visible_to.
    assert "C002" not in codes(get(client, world.am1, owner=world.am2.pk))
    assert set(codes(get(client, world.am1, owner=world.am1.pk))) == {"C001", "C005"}
    assert set(codes(get(client, world.am1, kind="person"))) == {"C001", "C004"}


def test_invalid_filter_values_get_a_clear_message_and_no_list(client, world):
    response = get(client, world.gm, kind="bogus", owner="x", order="drop table", gender="M")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"kind", "owner", "order"}
    assert "person, org" in errors["kind"][0]  # the accepted values, as the API says them
    body = response.content.decode()
    assert 'role="alert"' in body and "person, org" in body
    assert codes(response) == [] and b"export.csv" not in response.content  # nothing shown, nothing to export
    count = client.get(reverse("customers:count"), {"kind": "bogus"}).context
    assert (count["count"], count["count_more"]) == (0, False)


def test_export_with_invalid_filters_is_refused_with_the_reason(client, world):
    before = AuditEvent.objects.count()
    response = export(client, world.gm, owner="somebody")
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert AuditEvent.objects.count() == before


def test_property_filter_only_for_several_properties(client, world):
    assert 'name="property"' not in get(client, world.gm).content.decode()
    world.gm.properties.add(world.h2)
    response = get(client, world.gm)
    assert 'name="property"' in response.content.decode() and "迎客酒楼 (H2)" in response.content.decode()
    assert "C001" in codes(response) and "张珊" in [c.name for c in response.context["page"].rows]
    only_h2 = get(client, world.gm, property=world.h2.code.lower())  # the code, as in the API
    assert [c.name for c in only_h2.context["page"].rows] == ["张珊"]


def test_sort_by_pinyin_code_and_created(client, world):
    # 李四 li, 单田芳 shan, 张三 zhang, 曾国藩 zeng (surname reading, not ceng)
    by_name = [c.name for c in get(client, world.gm, order="name").context["page"].rows]
    assert by_name == ["李四", "单田芳", "曾国藩", "张三"]
    assert codes(get(client, world.gm, order="code")) == ["C001", "C002", "C003", "C004"]
    now = timezone.now()
    for i, c in enumerate([world.c_am3, world.c_am1, world.c_pool, world.c_am2]):
        Customer.objects.filter(pk=c.pk).update(created_at=now - dt.timedelta(days=i))
    assert codes(get(client, world.gm, order="-created")) == ["C003", "C001", "C004", "C002"]
    assert codes(get(client, world.gm, order="created")) == ["C002", "C004", "C001", "C003"]


@pytest.fixture
def many(world):
    """53 pool customers with equal created_at in pairs, so that ties need the id."""
    when = timezone.now()
    for i in range(53):
        c = make_customer(world.h1, f"P{i:03d}", f"客人{i:03d}")
        Customer.objects.filter(pk=c.pk).update(created_at=when - dt.timedelta(minutes=i // 2))
    return world


@pytest.mark.parametrize("sort", ["name", "-created", "created", "code"])
def test_keyset_pages_walk_forward_and_back_without_gaps(client, many, settings, sort):
    settings.PAGE_SIZE = 10
    user = many.gm
    field, descending = {"name": ("name_pinyin", False), "-created": ("created_at", True),
                         "created": ("created_at", False), "code": ("customer_code", False)}[sort]
    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    expected = list(Customer.objects.visible_to(user).order_by(*order).values_list("customer_code", flat=True))
    seen, pages, params = [], [], {"order": sort}
    while True:
        response = get(client, user, **params)
        page = response.context["page"]
        pages.append((params, codes(response)))
        seen += codes(response)
        if not page.has_next:
            break
        params = {"order": sort, "after": page.next_cursor}
    assert seen == expected
    assert len(pages) == 6
    # Back from the last page, one page at a time, gives the same pages in reverse.
    page = response.context["page"]
    for _params, page_codes in reversed(pages[:-1]):
        response = get(client, user, order=sort, before=page.previous_cursor)
        page = response.context["page"]
        assert codes(response) == page_codes
    assert not page.has_previous


def test_pages_keep_the_filters(client, many, settings):
    settings.PAGE_SIZE = 5
    response = get(client, many.gm, owner="none")
    assert "owner=none" in response.context["query"]
    assert f"owner=none&amp;after={response.context['page'].next_cursor}" in response.content.decode()


def test_garbage_cursor_gives_the_first_page_and_says_so(client, many):
    first = get(client, many.gm)
    assert not first.context["cursor_invalid"]
    for params in ({"after": "!!notacursor"}, {"before": "eyJ4Ijp9"},
                   # a cursor of another ordering is not one of this one
                   {"order": "code", "after": first.context["page"].next_cursor}):
        response = get(client, many.gm, **params)
        assert response.context["cursor_invalid"], params
        assert 'role="status"' in response.content.decode()
    assert codes(get(client, many.gm, after="!!notacursor")) == codes(first)


def test_count_is_capped_and_loaded_after_the_page(client, many, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_CAP", 20)
    response = get(client, many.gm, owner="none")
    assert reverse("customers:count") + "?owner=none" in response.content.decode()  # fetched by htmx
    response = client.get(reverse("customers:count"), {"owner": "none"}, headers={"HX-Request": "true"})
    assert response.context["count"] == 20 and response.context["count_more"]
    assert "20+" in response.content.decode()
    response = client.get(reverse("customers:count"), {"owner": many.am1.pk})
    assert (response.context["count"], response.context["count_more"]) == (1, False)


def test_count_of_a_single_page_needs_no_second_request(client, world):
    response = get(client, world.am1)
    assert reverse("customers:count") not in response.content.decode()


def test_capped_count_exact_below_the_cap(world):
    assert capped_count(Customer.objects.all(), cap=5) == (5, False)
    assert capped_count(Customer.objects.all(), cap=4) == (4, True)


def test_list_query_count_does_not_grow_with_rows(client, many, django_assert_max_num_queries):
    for c in Customer.objects.filter(customer_code__startswith="P")[:20]:
        save_customer(SYSTEM, c, tags=tags_from_names(many.h1, ["VIP", "常客"]))
    client.force_login(many.gm)
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"tag": "VIP"})
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        client.get(LIST, {"order": "-created", "owner": "none", "has_mobile": "no"})


def test_htmx_request_gets_only_the_results(client, world):
    client.force_login(world.gm)
    response = client.get(LIST, {"kind": "person"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"C001" in response.content


# Export (R-1.2: front desk may not; R-12.1: IDs never in clear).

def export(client, user, fmt="csv", **params):
    client.force_login(user)
    return client.get(reverse(f"customers:export_{fmt}"), params)


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("role", ["desk", "sup", "admin"])
def test_export_forbidden_without_the_right(client, world, role):
    assert export(client, getattr(world, role)).status_code == 403
    assert export(client, getattr(world, role), "xlsx").status_code == 403


def test_export_csv_is_the_filtered_visible_list(client, world, varied):
    from tests.customers.test_identity import make_id

    rid = make_id("11010519491231002")
    world.c_am1.id_type = Customer.IdType.RESIDENT
    save_customer(SYSTEM, world.c_am1, id_number=rid)
    response = export(client, world.am1, kind="person")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert len(rows) == 3  # header + 张三 + 李四 (am1 sees C001, C004, C005; C005 is an organisation)
    body = "\n".join(",".join(r) for r in rows)
    assert "张三" in body and "李四" in body and "阿里巴巴" not in body and "单田芳" not in body
    assert rid not in body and world.c_am1.id_number_masked in body
    assert "13812345678" in body  # account managers see full mobiles


def test_export_xlsx(client, world):
    response = export(client, world.gm, "xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 5
    assert {r[1] for r in rows[1:]} == {"张三", "单田芳", "曾国藩", "李四"}


def test_export_links_only_for_exporters(client, world):
    assert b"export.csv" in get(client, world.gm).content
    assert b"export.csv" not in get(client, world.desk).content


def test_export_xlsx_keeps_types_and_neutralises_formulas(client, world):
    from decimal import Decimal

    c = world.c_am1
    c.name, c.address, c.agreed_room_rate = "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1+1)", Decimal("688.50")
    c.birth_date = dt.date(1990, 2, 28)
    save_customer(SYSTEM, c)
    response = export(client, world.gm, "xlsx", tag="", order="code")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    with translation.override("en"):
        names = [str(c.label) for c in lists.COLUMNS]
    line = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "C001")
    row = dict(zip(names, line, strict=True))
    assert row["Customer name"].value == "'=HYPERLINK(\"http://x\",\"y\")" and row["Customer name"].data_type == "s"
    assert row["Address"].value == "'@SUM(1+1)"
    assert row["Agreed room rate"].value == Decimal("688.5") and row["Agreed room rate"].number_format == "#,##0.00"
    assert row["Date of birth"].is_date and row["Date of birth"].value.date() == dt.date(1990, 2, 28)
    assert row["File opened"].is_date and row["File opened"].number_format == "yyyy-mm-dd hh:mm"
    assert row["Mobile"].value == "13812345678"


def test_each_export_is_audited_with_list_filters_and_rows(client, world, varied):
    rows = csv_rows(export(client, world.gm, kind="person", gender="F"))
    assert len(rows) == 2
    event = AuditEvent.objects.get(action="export")
    assert (event.user, event.target, event.rows) == (world.gm, "customers", 1)
    assert event.details == {"format": "csv", "filters": {"kind": "person", "gender": "F"}, "complete": True,
                             "truncated": False}
    export(client, world.gm, "xlsx", has_mobile="yes")
    event = AuditEvent.objects.filter(action="export").first()
    assert (event.rows, event.details["format"], event.details["filters"]) == (4, "xlsx", {"has_mobile": "yes"})


def test_an_abandoned_csv_download_is_audited_with_the_rows_sent(world, monkeypatch):
    from django.core.signals import request_finished
    from django.db import close_old_connections
    from django.test import RequestFactory

    from yingke.core import export as helper

    monkeypatch.setattr(helper, "CSV_FLUSH", 1)  # one chunk per row
    request = RequestFactory().get(reverse("customers:export_csv"))
    request.user = world.gm
    response = lists.customer_export(request, "csv")
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks), next(chunks)  # BOM; header and row 1; row 2 (of 4)
    # The client went away: the server closes the response (here without closing the
    # test's database connection on request_finished).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    event = AuditEvent.objects.get(action="export")
    assert event.details["complete"] is False and event.rows == 2


def test_export_shows_mobile_and_id_as_masking_decides(client, world):
    from tests.customers.test_identity import make_id
    from yingke.customers import masking

    world.c_pool.id_type = Customer.IdType.RESIDENT
    save_customer(SYSTEM, world.c_pool, id_number=make_id("11010519491231002"))
    world.c_pool.refresh_from_db()
    with translation.override("en"):
        names = [str(c.label) for c in lists.COLUMNS]
    for user in (world.gm, world.am1):
        _header, *rows = csv_rows(export(client, user))
        row = dict(zip(names, next(r for r in rows if r[0] == "C004"), strict=True))
        assert row["Mobile"] == masking.customer_mobile(user, world.c_pool)
        assert row["ID number"] == masking.customer_id(user, world.c_pool) != ""
