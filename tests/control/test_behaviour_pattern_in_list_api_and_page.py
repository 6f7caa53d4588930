"""Behaviour pattern (R-7.5) where people see it: the customer list's `overdue` filter (each
property's own local today) and `area` filter (R-6.2), the API's fields (area in and out, the
pattern out with `overdue`), the export's columns and the 360 page's card."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.api.helpers import token_client
from yingke.control.pattern import is_overdue
from yingke.core.models import Property
from yingke.customers.filters import CustomerFilterSet
from yingke.customers.models import Customer
from yingke.customers.views.lists import COLUMNS


def set_pattern(customer, expected, interval=7, weekday=4, meal="dinner"):
    Customer.objects.filter(pk=customer.pk).update(usual_interval=interval, usual_weekday=weekday,
                                                   usual_meal_period=meal, expected_next_visit=expected)


def codes(user, params):
    f = CustomerFilterSet(params, user=user)
    assert f.is_valid(), f.errors
    return sorted(f.qs.values_list("customer_code", flat=True))


@pytest.fixture
def patterned(world):
    today = world.h1.local_today()
    set_pattern(world.c_am1, today - dt.timedelta(days=3))  # overdue
    set_pattern(world.c_am2, today)  # due today: not overdue
    set_pattern(world.c_am3, today + dt.timedelta(days=5))
    # c_pool has no pattern
    return world


def test_overdue_filter_yes_and_no(patterned):
    w = patterned
    assert codes(w.gm, {"overdue": "yes"}) == ["C001"]
    assert codes(w.gm, {"overdue": "no"}) == ["C002", "C003", "C004"]  # no pattern: not overdue
    assert codes(w.am1, {"overdue": "yes"}) == ["C001"]
    assert codes(w.am2, {"overdue": "yes"}) == []  # only what the user may see


def test_overdue_uses_each_property_local_today(world):
    """A user of two properties far apart in time: 'today' differs between them for hours a
    day; each file is compared with its own property's today."""
    east = Property.objects.create(code="E", name="东", time_zone="Pacific/Kiritimati")  # UTC+14
    west = Property.objects.create(code="W", name="西", time_zone="Pacific/Pago_Pago")  # UTC−11
    assert east.local_today() - west.local_today() == dt.timedelta(days=1)  # always: 25 hours apart
    world.gm.properties.add(east, west)
    world.gm._property_ids = None
    del world.gm._property_ids
    from tests.conftest import make_customer

    e = make_customer(east, "E001", "东客")
    wc = make_customer(west, "W001", "西客")
    set_pattern(e, west.local_today())  # east's yesterday: overdue there
    set_pattern(wc, west.local_today())  # west's today: not overdue
    assert codes(world.gm, {"overdue": "yes"}) == ["E001"]
    assert "W001" in codes(world.gm, {"overdue": "no"})


def test_overdue_filter_refuses_other_values(world):
    f = CustomerFilterSet({"overdue": "maybe"}, user=world.gm)
    assert not f.is_valid() and "overdue" in f.errors


def test_area_filter_contains_any_case_trimmed(world):
    Customer.objects.filter(pk=world.c_am1.pk).update(area="天河区 Zhujiang New Town")
    Customer.objects.filter(pk=world.c_am2.pk).update(area="越秀区")
    assert codes(world.gm, {"area": "天河"}) == ["C001"]
    assert codes(world.gm, {"area": "  zhujiang   new "}) == ["C001"]
    assert codes(world.gm, {"area": "区"}) == ["C001", "C002"]
    assert codes(world.gm, {"area": "50%"}) == []  # a LIKE wildcard is a plain character
    assert codes(world.gm, {"area": "_"}) == []
    assert codes(world.gm, {"area": "   "}) == ["C001", "C002", "C003", "C004"]


@pytest.mark.parametrize("value", ["a\x00b", "a\x07", "x" * 51])
def test_area_filter_refuses_odd_input_with_a_message(world, client, value):
    f = CustomerFilterSet({"area": value}, user=world.gm)
    assert not f.is_valid() and f.errors["area"]
    api = token_client(world.gm).get("/api/customers", {"area": value})
    assert api.status_code == 422


def test_odd_unicode_in_the_area_filter_finds_nothing_and_breaks_nothing(world):
    for value in ["\u202e区", "\U0001f600", "\u200b", "é"]:
        assert codes(world.gm, {"area": value}) == []


def test_the_list_page_filters_by_overdue_and_area(client, patterned):
    client.force_login(patterned.gm)
    response = client.get(reverse("customers:list"), {"overdue": "yes"})
    assert response.status_code == 200
    assert [c.customer_code for c in response.context["page"].rows] == ["C001"]
    assert client.get(reverse("customers:list"), {"area": "\x01"}).status_code == 200  # a form error, not a 500


def test_api_shows_area_and_pattern_and_takes_area(patterned):
    api = token_client(patterned.am1)
    data = api.get(f"/api/customers/{patterned.c_am1.pk}").json()
    today = patterned.h1.local_today()
    assert data["usual_interval"] == 7 and data["usual_weekday"] == 4 and data["usual_meal_period"] == "dinner"
    assert data["expected_next_visit"] == (today - dt.timedelta(days=3)).isoformat()
    assert data["overdue"] is True and data["area"] == ""
    changed = api.patch(f"/api/customers/{patterned.c_am1.pk}", {"area": "天河区"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["area"] == "天河区"
    assert api.patch(f"/api/customers/{patterned.c_am1.pk}", {"area": "x" * 51}).status_code == 422
    # the pattern is read-only: a request body naming it is refused
    assert api.patch(f"/api/customers/{patterned.c_am1.pk}", {"usual_interval": 3}).status_code == 422
    listed = {c["customer_code"]: c for c in api.get("/api/customers", {"overdue": "yes"}).json()["items"]}
    assert list(listed) == ["C001"] and listed["C001"]["area"] == "天河区"
    pool = api.get(f"/api/customers/{patterned.c_pool.pk}").json()
    assert (pool["usual_interval"], pool["expected_next_visit"], pool["overdue"]) == (None, None, False)


def test_the_form_keeps_or_sets_the_area(client, world):
    from yingke.customers.forms import CustomerForm

    Customer.objects.filter(pk=world.c_am1.pk).update(area="天河区")
    c = Customer.objects.get(pk=world.c_am1.pk)
    form = CustomerForm({"kind": "person", "name": c.name}, instance=c, user=world.gm)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["area"] == "天河区"  # a page without the field leaves it
    form = CustomerForm({"kind": "person", "name": c.name, "area": "  越秀区   东山口 "}, instance=c, user=world.gm)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["area"] == "越秀区 东山口"
    form = CustomerForm({"kind": "person", "name": c.name, "area": "越\x07秀"}, instance=c, user=world.gm)
    assert not form.is_valid() and "area" in form.errors


def test_the_export_has_the_area_and_pattern_columns(client, patterned):
    import csv

    from django.utils import translation

    Customer.objects.filter(pk=patterned.c_am1.pk).update(area="天河区")
    client.force_login(patterned.gm)
    with translation.override("en"):
        response = client.get(reverse("customers:export_csv"), {"overdue": "yes"})
    assert response.status_code == 200
    rows = list(csv.reader(b"".join(response.streaming_content).decode("utf-8-sig").splitlines()))
    assert len(rows) == 2
    # by position in the declaration (the headers are in the user's language)
    with translation.override("en"):
        names = [str(c.label) for c in COLUMNS]
    row = dict(zip(names, rows[1], strict=True))
    assert row["Area"] == "天河区"
    assert row["Usual interval (days)"] == "7"
    assert row["Usual weekday"] in ("Friday", "星期五") and row["Usual meal period"] in ("Dinner", "晚餐")
    assert row["Expected next visit"] == (patterned.h1.local_today() - dt.timedelta(days=3)).isoformat()
    assert row["Days overdue"] == "3"


def test_the_360_card_shows_the_pattern_or_what_it_needs(client, patterned):
    client.force_login(patterned.gm)
    page = client.get(reverse("customers:detail", args=[patterned.c_am1.pk])).content.decode()
    assert 'id="pattern"' in page
    assert is_overdue(Customer.objects.select_related("property").get(pk=patterned.c_am1.pk))
    assert "badge-warn" in page.split('id="pattern"')[1].split("</section>")[0]
    empty = client.get(reverse("customers:detail", args=[patterned.c_pool.pk])).content.decode()
    card = empty.split('id="pattern"')[1].split("</section>")[0]
    assert "badge-warn" not in card and ("two different days" in card or "两个不同" in card)
