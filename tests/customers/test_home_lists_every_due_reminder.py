"""R-2.5 on the home page: every due care reminder, in date order then name, a page at a
time, with the total; the page's query count does not grow with the number of dates.
(The full ordering across the new year is proven on due_reminders itself with a fixed
today in tests/customers/test_reminders.py; the page is Paginator over it.)"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yingke.customers.lunar import solar_to_lunar
from yingke.customers.models import Customer, SpecialDate

HOME = reverse("home")
UPCOMING_PAGE = 50  # the page size promised: about fifty dates a page


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def due_dates(world, n: int, today_n: int):
    """`n` due dates (lunar and solar) in the coming week whose guests' names sort before
    today's; `today_n` dates falling today, created last, for guests named last."""
    today = timezone.localdate()
    guests = Customer.objects.bulk_create(
        Customer(property=world.h1, customer_code=f"D{i:04d}", name=f"客{i}", name_pinyin=f"a{i:04d}")
        for i in range(n))
    late = Customer.objects.bulk_create(
        Customer(property=world.h1, customer_code=f"T{i:04d}", name=f"今{i}", name_pinyin=f"z{i:04d}")
        for i in range(today_n))
    specs = []
    for i, guest in enumerate(guests):
        when = today + dt.timedelta(days=1 + i % 7)
        if i % 2:
            _y, m, d = solar_to_lunar(when)
            specs.append(SpecialDate(customer=guest, calendar="lunar", month=abs(m), day=d, leap_month=m < 0))
        else:
            specs.append(SpecialDate(customer=guest, month=when.month, day=when.day))
    specs += [SpecialDate(customer=g, month=today.month, day=today.day) for g in late]
    SpecialDate.objects.bulk_create(specs)
    return late


def rows(response):
    return [(u["in_days"], u["customer"].name_pinyin) for u in response.context["upcoming"]]


def test_todays_dates_come_first_and_every_page_is_reachable(client, world, django_assert_max_num_queries):
    late = due_dates(world, 130, 5)
    client.force_login(world.gm)
    with django_assert_max_num_queries(12):
        first = client.get(HOME)
    body = first.content.decode()
    assert [name for _d, name in rows(first)[:5]] == [g.name_pinyin for g in late]  # today, then by name
    assert len(rows(first)) == UPCOMING_PAGE and "135 dates" in body and "Page 1 of 3" in body
    assert 'href="?page=2#reminders"' in body
    seen = rows(first)
    for number in (2, 3):
        with django_assert_max_num_queries(12):
            seen += rows(client.get(HOME, {"page": number}))
    assert len(seen) == 135 and len(set(seen)) == 135
    assert seen == sorted(seen)  # days from today, then name


def test_the_query_count_does_not_grow_with_the_number_of_dates(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.gm)
    due_dates(world, 10, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(HOME)
    Customer.objects.filter(customer_code__startswith="D").delete()
    due_dates(world, 600, 0)
    with CaptureQueriesContext(connection) as many:
        response = client.get(HOME, {"page": 5})
    assert len(response.context["upcoming"]) == UPCOMING_PAGE
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("page", ["junk", "0", "-1", "999", "1e9", "\x00"])
def test_a_bad_page_number_shows_a_real_page(client, world, page):
    due_dates(world, 60, 0)
    client.force_login(world.gm)
    response = client.get(HOME, {"page": page})
    assert response.status_code == 200 and len(response.context["upcoming"]) in (UPCOMING_PAGE, 10)
