"""R-2.5: each special date produces a care reminder `remind_days` ahead (default 7)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

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
    return save_special_date(None, spec)


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
    due = due_reminders(SpecialDate.objects.all(), TODAY, limit=2)
    assert [o.spec for o in due][0] == today
    assert not set(early) & {o.spec for o in due}
