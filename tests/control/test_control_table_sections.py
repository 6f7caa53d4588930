"""R-6.4 daily control table, section by section, on a small known data set (control.table):
past the expected next visit (R-7.5) and "acted on" by a note or a visit, at the edges of the
local day; A/B customers unseen longer than their usual cycle; special dates in the next 7 days
through the care reminders (R-2.5, lunar dates included); the development target (R-7.2); the
sections the tracking and complaints issues fill, empty and honest until then, and their hook."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from tests.conftest import make_customer
from yingke.control import table as control
from yingke.control.models import StaffSetting
from yingke.core.permissions import SYSTEM
from yingke.customers.lunar import solar_to_lunar
from yingke.customers.models import Customer, Note, SpecialDate
from yingke.customers.services import save_special_date

DAY = dt.date(2026, 3, 10)  # a fixed day of the table (H1 is in Asia/Shanghai, UTC+8)


def at(prop, day, hour, minute=0):
    """The UTC instant of local `day` at hour:minute in `prop`."""
    return prop.day_start(day, dt.time(hour, minute))


def pattern(customer, *, expected=None, interval=None, last=None, grade=""):
    Customer.objects.filter(pk=customer.pk).update(expected_next_visit=expected, usual_interval=interval,
                                                   last_visit_at=last, grade=grade)


def note(customer, when):
    return Note.objects.create(customer=customer, text="打过电话", created_at=when)


def section(table, key):
    return next(p for p in table["sections"] if p.key == key)


def codes(part):
    return [r.code for r in part.rows]


@pytest.fixture
def files(world):
    h1, am1 = world.h1, world.am1
    f = type("Files", (), {})()
    f.late = make_customer(h1, "L001", "过期甲", owner=am1, mobile="13800000001")
    f.later = make_customer(h1, "L002", "过期乙", owner=am1)
    f.noted = make_customer(h1, "L003", "已联系", owner=am1)
    f.noted_before = make_customer(h1, "L004", "前一晚联系", owner=am1)
    f.came = make_customer(h1, "L005", "已回来", owner=am1)
    f.due_today = make_customer(h1, "L006", "今天到期", owner=am1)
    pattern(f.late, expected=DAY - dt.timedelta(days=3), interval=14, last=at(h1, DAY - dt.timedelta(days=17), 12))
    pattern(f.later, expected=DAY - dt.timedelta(days=1), interval=7, last=at(h1, DAY - dt.timedelta(days=8), 12))
    pattern(f.noted, expected=DAY - dt.timedelta(days=2), interval=7, last=at(h1, DAY - dt.timedelta(days=9), 12))
    pattern(f.noted_before, expected=DAY - dt.timedelta(days=2), interval=7,
            last=at(h1, DAY - dt.timedelta(days=9), 12))
    pattern(f.came, expected=DAY - dt.timedelta(days=2), interval=7, last=at(h1, DAY - dt.timedelta(days=9), 12))
    pattern(f.due_today, expected=DAY, interval=7, last=at(h1, DAY - dt.timedelta(days=7), 12))
    expected = DAY - dt.timedelta(days=2)
    note(f.noted, at(h1, expected, 0, 5))  # 00:05 local on the expected day (16:05 UTC the day before)
    note(f.noted_before, at(h1, expected - dt.timedelta(days=1), 23, 55))  # the evening before: not acted on
    # a visit on the expected day (the pattern not recomputed yet): 00:30 local
    Customer.objects.filter(pk=f.came.pk).update(last_visit_at=at(h1, expected, 0, 30))
    # another account manager's overdue file and a pool file never show
    other = make_customer(h1, "X001", "别人的", owner=world.am2)
    pattern(other, expected=DAY - dt.timedelta(days=5), interval=7)
    pattern(world.c_pool, expected=DAY - dt.timedelta(days=5), interval=7)
    return f


def test_past_the_expected_visit_and_not_acted_on_in_local_days(world, files):
    table = control.control_table(world.am1, world.am1, world.h1, DAY)
    part = section(table, "overdue")
    # longest overdue first; the note at 00:05 local on the expected day and the visit at 00:30
    # take files off; a note at 23:55 the evening before does not; due today is not late yet
    assert codes(part) == ["L001", "L004", "L002"]
    assert part.count == 3
    row = part.rows[0]
    assert row.mobile == "13800000001" and row.date == DAY - dt.timedelta(days=3)
    assert row.last_visit == DAY - dt.timedelta(days=17)
    assert "3" in row.reason and "14" in row.reason


def test_a_note_after_the_table_day_does_not_count_for_that_day(world, files):
    note(files.late, at(world.h1, DAY + dt.timedelta(days=1), 9))
    assert "L001" in codes(section(control.control_table(world.am1, world.am1, world.h1, DAY), "overdue"))
    later = control.control_table(world.am1, world.am1, world.h1, DAY + dt.timedelta(days=1))
    assert "L001" not in codes(section(later, "overdue"))


def test_a_b_customers_unseen_longer_than_their_cycle(world):
    h1, am1 = world.h1, world.am1
    a_late = make_customer(h1, "U001", "甲级", owner=am1)
    b_late = make_customer(h1, "U002", "乙级", owner=am1)
    a_on_time = make_customer(h1, "U003", "刚好", owner=am1)
    c_late = make_customer(h1, "U004", "丙级", owner=am1)
    in_overdue = make_customer(h1, "U005", "已在上表", owner=am1)
    noted = make_customer(h1, "U006", "已跟进", owner=am1)
    pattern(a_late, grade="A", interval=10, last=at(h1, DAY - dt.timedelta(days=11), 23, 30))  # 11 days > 10
    pattern(b_late, grade="B", interval=5, last=at(h1, DAY - dt.timedelta(days=20), 12),
            expected=DAY + dt.timedelta(days=3))  # a stale expected date
    pattern(a_on_time, grade="A", interval=10, last=at(h1, DAY - dt.timedelta(days=10), 0, 10))  # 10 days: not more
    pattern(c_late, grade="C", interval=5, last=at(h1, DAY - dt.timedelta(days=30), 12))
    pattern(in_overdue, grade="A", interval=5, last=at(h1, DAY - dt.timedelta(days=30), 12),
            expected=DAY - dt.timedelta(days=25))
    pattern(noted, grade="A", interval=5, last=at(h1, DAY - dt.timedelta(days=30), 12))
    note(noted, at(h1, DAY - dt.timedelta(days=25), 8))  # on the day its cycle ran out
    table = control.control_table(am1, am1, h1, DAY)
    part = section(table, "unseen")
    assert codes(part) == ["U002", "U001"] and part.count == 2  # the longest overdue first
    assert codes(section(table, "overdue")) == ["U005"]
    assert part.rows[1].grade == "A" and "11" in part.rows[1].reason and "10" in part.rows[1].reason


def test_special_dates_of_the_next_7_days_solar_and_lunar(world):
    h1, am1 = world.h1, world.am1
    today = h1.local_today()
    in3, in5, in9 = (today + dt.timedelta(days=n) for n in (3, 5, 9))
    solar = make_customer(h1, "S001", "生日", owner=am1)
    lunar = make_customer(h1, "S002", "农历", owner=am1)
    far = make_customer(h1, "S003", "远", owner=am1)
    save_special_date(SYSTEM, SpecialDate(customer=solar, month=in3.month, day=in3.day))
    _y, m, d = solar_to_lunar(in5)
    save_special_date(SYSTEM, SpecialDate(customer=lunar, calendar="lunar", month=abs(m), day=d, leap_month=m < 0,
                                          label="结婚纪念"))
    save_special_date(SYSTEM, SpecialDate(customer=far, month=in9.month, day=in9.day, remind_days=14))
    save_special_date(SYSTEM, SpecialDate(customer=world.c_am2, month=in3.month, day=in3.day))  # not am1's
    save_special_date(SYSTEM, SpecialDate(customer=world.c_pool, month=in3.month, day=in3.day))  # the pool's
    part = section(control.control_table(am1, am1, h1), "dates")
    assert codes(part) == ["S001", "S002"] and part.count == 2
    assert [r.date for r in part.rows] == [in3, in5]
    assert "农历" in part.rows[1].reason and "结婚纪念" in part.rows[1].reason
    assert part.link.startswith("/?page=1")  # the date in 9 days, due (14 days ahead), is on that page


def test_development_target_of_the_day(world):
    h1, am1 = world.h1, world.am1
    table = control.control_table(am1, am1, h1)
    assert table["development"] == {"done": 0, "target": 1, "met": False}  # default: one a day
    make_customer(h1, "N001", "新客", owner=am1, actor=am1)
    yesterday = make_customer(h1, "N002", "昨天", owner=am1, actor=am1)
    Customer.objects.filter(pk=yesterday.pk).update(
        created_at=h1.day_start(h1.local_today()) - dt.timedelta(minutes=1))
    StaffSetting.objects.update_or_create(property=h1, user=am1, defaults={"daily_target": 2})
    assert control.control_table(am1, am1, h1)["development"] == {"done": 1, "target": 2, "met": False}
    make_customer(h1, "N003", "又一个", owner=am1, actor=am1)
    assert control.control_table(am1, am1, h1)["development"]["met"] is True


def test_follow_ups_and_commitments_are_tracked_and_say_when_nothing_is_due(world, files):
    """tracking/apps.py registers both sections (tracking.hooks): tracked, empty with the
    "nothing due" message; tests/tracking/test_tracking_in_control_table.py fills them."""
    table = control.control_table(world.am1, world.am1, world.h1, DAY)
    for key in ("follow_ups", "commitments"):
        part = section(table, key)
        assert part.rows == [] and part.count == 0 and part.tracked is True
        assert part.empty and "尚未记录" not in part.empty
    assert section(table, "follow_ups").empty == "今天没有到期的跟进。"
    assert section(table, "follow_ups").link.startswith("/tracking/tasks/?property=H1")
    with translation.override("en"):
        english = control.control_table(world.am1, world.am1, world.h1, DAY)
    assert [section(english, k).empty for k in ("follow_ups", "commitments")] == \
        ["No follow-ups due today.", "No commitments due today."]
    assert not any(p.tracked is False for p in table["sections"])
    assert [p.key for p in table["sections"]] == control.KEYS
    assert table["total"] == sum(p.count for p in table["sections"])


def test_due_follow_ups_and_commitments_are_listed(world, files):
    from yingke.tracking import services
    from yingke.tracking.models import Task

    services.add_commitment(world.am1, files.late, promised="送生日蛋糕", due_on=DAY + dt.timedelta(days=1))
    Task.objects.create(property=world.h1, customer=files.later, title="第2次跟进", due_on=DAY - dt.timedelta(days=2))
    table = control.control_table(world.am1, world.am1, world.h1, DAY)
    follow, promised = section(table, "follow_ups"), section(table, "commitments")
    assert (follow.count, codes(follow)) == (1, ["L002"]) and "第2次跟进" in follow.rows[0].reason
    assert (promised.count, codes(promised)) == (1, ["L001"]) and "送生日蛋糕" in promised.rows[0].reason
    team = control.team_table(world.sm, world.h1, DAY)
    am1 = next(line for line in team["members"] if line["member"] == world.am1)
    assert (am1["counts"]["follow_ups"], am1["counts"]["commitments"]) == (1, 1)


def test_the_complaints_section_is_filled_by_the_complaints_app(world, files):
    """complaints/apps.py registers complaints.control_section: the open complaints of the
    member's own guests, one row per guest, the one due first at the top (R-6.4, R-8.3)."""
    from yingke.complaints import services

    empty = section(control.control_table(world.am1, world.am1, world.h1, DAY), "complaints")
    assert empty.tracked and empty.count == 0 and empty.rows == [] and empty.empty == "您的客户没有未结投诉。"
    now = timezone.now()
    early = services.record(world.desk, world.h1, kind="food", words="凉了", customer=files.later,
                            now=now - dt.timedelta(hours=5))
    services.record(world.desk, world.h1, kind="price", words="贵", customer=files.late, now=now)
    services.record(world.desk, world.h1, kind="food", words="别人的", customer=world.c_am2, now=now)
    part = section(control.control_table(world.am1, world.am1, world.h1, DAY), "complaints")
    assert part.count == 2 and codes(part) == ["L002", "L001"]
    assert early.reference in part.rows[0].reason and part.rows[1].mobile == "13800000001"
    team = control.team_table(world.sm, world.h1, DAY)
    assert {line["member"].username: line["counts"]["complaints"] for line in team["members"]} == \
        {"am1": 2, "am2": 1, "sm": 0}


def test_the_hook_fills_a_section(world, monkeypatch):
    monkeypatch.setattr(control, "SECTIONS", list(control.SECTIONS))
    c = world.c_am1

    def rows(ctx):
        return [control.Row(c.pk, c.customer_code, c.name, "", "", "", None, "第2次跟进到期")], 1

    control.register("follow_ups", rows=rows, counts=lambda actor, ids, prop, day: {ids[0]: 1})
    table = control.control_table(world.am1, world.am1, world.h1, DAY)
    part = section(table, "follow_ups")
    assert part.tracked and part.count == 1 and part.rows[0].reason == "第2次跟进到期"
    team = control.team_table(world.sm, world.h1, DAY)
    assert [line["counts"]["follow_ups"] for line in team["members"]][:1] == [1]
    with pytest.raises(KeyError):
        control.register("nonsense", rows=rows)


def test_long_sections_are_capped_with_the_full_count_and_a_link(world):
    h1, am1 = world.h1, world.am1
    Customer.objects.bulk_create(
        Customer(property=h1, customer_code=f"M{i:03d}", name=f"客{i}", name_pinyin=f"ke{i:03d}", owner=am1,
                 expected_next_visit=DAY - dt.timedelta(days=1 + i % 9), usual_interval=7)
        for i in range(control.CAP + 12))
    part = section(control.control_table(am1, am1, h1, DAY), "overdue")
    assert part.count == control.CAP + 12 and len(part.rows) == control.CAP and part.capped
    assert f"owner={am1.pk}" in part.link and "overdue=yes" in part.link and "property=H1" in part.link
    assert len(section(control.control_table(am1, am1, h1, DAY, cap=500), "overdue").rows) == control.CAP + 12


def test_the_team_counts_match_each_members_table(world, files):
    h1 = world.h1
    pattern(world.c_am2, expected=DAY - dt.timedelta(days=1), interval=3, grade="A",
            last=at(h1, DAY - dt.timedelta(days=4), 12))
    team = control.team_table(world.sm, h1, DAY)
    assert [line["member"].username for line in team["members"]] == ["am1", "am2", "sm"]
    for line in team["members"]:
        own = control.control_table(world.sm, line["member"], h1, DAY)
        for part in own["sections"]:
            expected = part.count if part.tracked else None
            assert line["counts"][part.key] == expected, (line["member"], part.key)
    assert team["members"][0]["counts"]["overdue"] == 3 and team["members"][1]["counts"]["overdue"] == 2  # with X001


def test_default_day_is_the_propertys_local_today(world):
    table = control.control_table(world.am1, world.am1, world.h1)
    assert table["day"] == world.h1.local_today()
    world.h1.time_zone = "Pacific/Kiritimati"  # UTC+14: often a day ahead of Shanghai
    world.h1.save()
    assert control.control_table(world.am1, world.am1, world.h1)["day"] == \
        timezone.now().astimezone(world.h1.zone).date()
