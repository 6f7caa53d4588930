"""R-2.5: each special date produces a care reminder `remind_days` ahead (default 7)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yingke.core.permissions import SYSTEM
from yingke.customers.lunar import solar_to_lunar
from yingke.customers.models import SpecialDate
from yingke.customers.reminders import due_reminders
from yingke.customers.services import save_special_date

TODAY = dt.date(2026, 11, 26)


def make(customer, when: dt.date, remind_days=7, lunar=False):
    if lunar:
        _y, m, d = solar_to_lunar(when)
        spec = SpecialDate(customer=customer, calendar="lunar", month=abs(m), day=d, leap_month=m < 0,
                           remind_days=remind_days)
    else:
        spec = SpecialDate(customer=customer, month=when.month, day=when.day, remind_days=remind_days)
    return save_special_date(SYSTEM, spec)


def test_each_date_uses_its_own_lead_time(world):
    c = world.c_am1
    in10_long = make(c, TODAY + dt.timedelta(days=10), remind_days=14)
    make(c, TODAY + dt.timedelta(days=10), remind_days=7)  # not yet
    today = make(c, TODAY, remind_days=0)
    lunar = make(c, TODAY + dt.timedelta(days=5), lunar=True)
    make(c, TODAY - dt.timedelta(days=1))  # just passed: next year
    due = due_reminders(SpecialDate.objects.all(), TODAY)
    assert [(o.spec, o.days) for o in due] == [(today, 0), (lunar, 5), (in10_long, 10)]


def test_reminders_follow_the_permission_rule(world):
    mine = make(world.c_am1, TODAY + dt.timedelta(days=2))
    make(world.c_am2, TODAY + dt.timedelta(days=2))
    assert [o.spec for o in due_reminders(SpecialDate.objects.visible_to(world.am1), TODAY)] == [mine]


def test_lead_time_is_at_most_60_days(world):
    with pytest.raises(ValidationError) as exc:
        make(world.c_am1, TODAY, remind_days=61)
    assert "remind_days" in exc.value.message_dict


def test_a_long_lead_time_does_not_crowd_out_dates_due_today(world):
    from tests.conftest import make_customer

    make(world.c_am1, TODAY + dt.timedelta(days=59), remind_days=60)
    early = [make(make_customer(world.h1, f"A{i}", f"阿{i}"), TODAY + dt.timedelta(days=30), remind_days=7)
             for i in range(5)]  # not due: sort before 张三 by name
    today = make(world.c_pool, TODAY)
    due = due_reminders(SpecialDate.objects.all(), TODAY)[:2]  # a page of two
    assert [o.spec for o in due][0] == today
    assert not set(early) & {o.spec for o in due}


# ---- every due date, in date order, a page at a time (issue 11, point 7) -----------------

NEW_YEAR_EVE = dt.date(2026, 12, 28)  # a week of due dates runs into 2027
UPCOMING_PAGE = 50  # as on the home page


@pytest.fixture
def two_thousand_due(world):
    """2,000 due dates, solar and lunar mixed, on each day from 28 Dec 2026 to 4 Jan 2027,
    spread over 400 guests whose pinyin does not follow their creation order; plus dates
    that are not due (just passed, too far ahead)."""
    from yingke.customers.models import Customer

    guests = Customer.objects.bulk_create(
        Customer(property=world.h1, customer_code=f"R{i:03d}", name=f"宾客{i}", name_pinyin=f"g{(i * 7919) % 400:03d}")
        for i in range(400))
    specs = []
    for i in range(2000):
        when = NEW_YEAR_EVE + dt.timedelta(days=i % 8)
        if i % 3 == 0:
            _y, m, d = solar_to_lunar(when)
            specs.append(SpecialDate(customer=guests[i % 400], calendar="lunar", month=abs(m), day=d,
                                     leap_month=m < 0))
        else:
            specs.append(SpecialDate(customer=guests[i % 400], month=when.month, day=when.day))
    not_due = [NEW_YEAR_EVE - dt.timedelta(days=1), NEW_YEAR_EVE + dt.timedelta(days=8)]
    specs += [SpecialDate(customer=guests[i], month=d.month, day=d.day) for i, d in enumerate(not_due)]
    SpecialDate.objects.bulk_create(specs)
    return SpecialDate.objects.all()


def test_every_due_date_is_listed_once_in_date_order_across_the_new_year(two_thousand_due,
                                                                         django_assert_max_num_queries):
    from django.core.paginator import Paginator

    from yingke.customers.reminders import occurrence


    # The expectation is computed one date at a time by next_occurrence, not by the query.
    specs = list(two_thousand_due.select_related("customer"))
    expected = sorted((o for o in (occurrence(s, NEW_YEAR_EVE) for s in specs) if o.due),
                      key=lambda o: (o.date, o.spec.customer.name_pinyin, o.spec.id))
    assert len(expected) == 2000
    assert {o.spec.calendar for o in expected} == {"solar", "lunar"}
    assert expected[0].date == NEW_YEAR_EVE and expected[-1].date == dt.date(2027, 1, 4)

    pages = Paginator(due_reminders(two_thousand_due, NEW_YEAR_EVE), UPCOMING_PAGE)
    assert pages.count == 2000 and pages.num_pages == 40
    listed = []
    for number in pages.page_range:
        # The window's lead time, the count, one page — and the page reads only its own rows.
        with django_assert_max_num_queries(3) as queries:
            page = Paginator(due_reminders(two_thousand_due, NEW_YEAR_EVE), UPCOMING_PAGE).page(number)
            rows = [(o.spec.id, o.date, o.days, o.spec.customer.name_pinyin) for o in page]
        assert f"LIMIT {UPCOMING_PAGE}" in queries.captured_queries[-1]["sql"]
        listed += rows
    first = [(o.spec.id, o.date) for o in expected[:UPCOMING_PAGE]]
    assert [(sid, date) for sid, date, _d, _n in listed[:UPCOMING_PAGE]] == first
    assert all(date == NEW_YEAR_EVE for _s, date, _d, _n in listed[:UPCOMING_PAGE])  # today's come first
    assert [(sid, date) for sid, date, _d, _n in listed] == [(o.spec.id, o.date) for o in expected]
    assert len({sid for sid, *_rest in listed}) == 2000
    assert all((date - NEW_YEAR_EVE).days == days for _s, date, days, _n in listed)
