"""Position targets (R-6.3): who may set whose targets (core.permissions TARGET: the general
manager of the member's property, or the member's own sales manager), who reads them
(CONTROL), validation of every metric and of the period, history, copy to the next period."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from yingke.control import targets
from yingke.control.models import PositionTarget
from yingke.core.permissions import NotVisible

MONTH = dt.date(2026, 3, 1)
FULL = {"effective": 10, "a_customers": 3, "visits": 40, "revenue": "12000.50", "new_customers": 20,
        "follow_ups": 60}


def _set(actor, world, member, data=None, kind="month", start=MONTH, prop=None):
    prop = prop or world.h1
    member = targets.member_for(actor, prop, member.pk, write=True)
    return targets.set_targets(actor, prop, member, kind, start, data or FULL)


# Whose targets each role may set in H1 (written out from, not computed); "404": the
# member is not theirs to read at all; "403": read (their own), not theirs to set.
EXPECTED = {
    "gm": {"sm": "ok", "am1": "ok", "am2": "ok", "am3": "ok"},
    "sm": {"sm": "403", "am1": "ok", "am2": "ok", "am3": "404"},
    "am1": {"sm": "404", "am1": "403", "am2": "404", "am3": "404"},
    "am3": {"sm": "404", "am1": "404", "am2": "404", "am3": "403"},
}


@pytest.mark.parametrize("actor", ["gm", "sm", "am1", "am3"])
@pytest.mark.parametrize("member", ["sm", "am1", "am2", "am3"])
def test_who_may_set_whose_targets(world, actor, member):
    expected = EXPECTED[actor][member]
    a, m = getattr(world, actor), getattr(world, member)
    if expected == "ok":
        row = _set(a, world, m)
        assert row.effective == 10 and row.revenue == Decimal("12000.50") and row.set_by == a
    else:
        with pytest.raises(NotVisible if expected == "404" else PermissionDenied):
            _set(a, world, m)
        assert not PositionTarget.objects.filter(user=m).exists()


@pytest.mark.parametrize("actor", ["desk", "sup", "admin", "gm2", "am_h2"])
def test_other_roles_and_other_properties_set_nothing(world, actor):
    a = getattr(world, actor)
    with pytest.raises((NotVisible, PermissionDenied)):
        _set(a, world, world.am1)
    # Even called past the lookup, the service asks TARGET itself.
    with pytest.raises(PermissionDenied):
        targets.set_targets(a, world.h1, world.am1, "month", MONTH, FULL)
    assert not PositionTarget.objects.exists()


def test_a_gm_of_another_property_cannot_reach_h1_staff(world):
    with pytest.raises(NotVisible):
        targets.property_for(world.gm2, "H1")
    with pytest.raises(NotVisible):
        targets.member_for(world.gm2, world.h2, world.am1.pk)  # am1 does not work at H2


def test_readers_of_the_targets_table(world):
    names = {r: [x["member"].username for x in targets.target_table(getattr(world, r), world.h1,
                                                                     targets.TargetPeriod("month", MONTH))["lines"]]
             for r in ("gm", "sm", "am1", "am3")}
    assert sorted(names["gm"]) == ["am1", "am2", "am3", "sm"]
    assert sorted(names["sm"]) == ["am1", "am2", "sm"]
    assert names["am1"] == ["am1"] and names["am3"] == ["am3"]
    for role in ("desk", "sup", "admin"):
        with pytest.raises(PermissionDenied):
            targets.property_for(getattr(world, role), None)


@pytest.mark.parametrize("field,value", [
    ("effective", -1), ("effective", 1.5), ("visits", "12a"), ("visits", "１２"), ("a_customers", True),
    ("new_customers", 1_000_001), ("revenue", "12.345"), ("revenue", "-1"), ("revenue", "NaN"), ("revenue", "Infinity"),
    ("revenue", "1e20"), ("revenue", "１２"), ("follow_ups", "٣"), ("colour", 1),
])
def test_bad_metric_values_are_refused_and_change_nothing(world, field, value):
    _set(world.sm, world, world.am1)
    with pytest.raises(ValidationError) as e:
        _set(world.sm, world, world.am1, {**FULL, field: value, "effective": 99 if field != "effective" else value})
    assert field in e.value.message_dict
    row = PositionTarget.objects.get(user=world.am1)
    assert row.effective == 10 and row.history.count() == 1


def test_values_are_normalised_and_each_metric_is_optional(world):
    row = _set(world.sm, world, world.am1, {"visits": " 12 ", "revenue": "1,000.5", "effective": "",
                                             "a_customers": None, "new_customers": Decimal("3")})
    assert (row.visits, row.revenue, row.effective, row.a_customers, row.new_customers, row.follow_ups) == \
        (12, Decimal("1000.50"), None, None, 3, None)


@pytest.mark.parametrize("kind,start,message", [
    ("month", dt.date(2026, 3, 2), "1日"), ("week", dt.date(2026, 3, 3), "周一"),
    ("month", dt.date(1999, 12, 1), "2000"), ("month", dt.date(2099, 1, 1), "2000"), ("year", MONTH, "月或周"),
    ("month", "2026-13-01", "YYYY-MM-DD"), ("week", "２０２６-03-02", "YYYY-MM-DD"), ("month", "", "YYYY-MM-DD"),
])
def test_bad_periods_are_refused(world, kind, start, message):
    with pytest.raises(ValidationError) as e:
        _set(world.sm, world, world.am1, kind=kind, start=start)
    assert message in " ".join(sum(e.value.message_dict.values(), []))
    assert not PositionTarget.objects.exists()


def test_the_picker_normalises_any_day_to_its_period(world):
    assert targets.make_period(world.h1, "week", dt.date(2026, 3, 5), normalise=True).start == dt.date(2026, 3, 2)
    assert targets.make_period(world.h1, "month", "2026-03-17", normalise=True).start == MONTH
    assert targets.make_period(world.h1, "month", "2026-03").start == MONTH
    week = targets.make_period(world.h1, "week", dt.date(2026, 3, 2))
    assert (week.end, week.next().start, week.previous().start) == (dt.date(2026, 3, 8), dt.date(2026, 3, 9),
                                                                    dt.date(2026, 2, 23))
    assert targets.TargetPeriod("month", dt.date(2024, 2, 1)).days == 29


def test_every_change_is_in_the_history_with_who_made_it(world):
    _set(world.sm, world, world.am1)
    _set(world.gm, world, world.am1, {**FULL, "visits": 50})
    _set(world.gm, world, world.am1, {**FULL, "visits": 50})  # unchanged: no new record
    history = list(PositionTarget.objects.get(user=world.am1).history.order_by("history_date"))
    assert [(h.visits, h.history_user) for h in history] == [(40, world.sm), (50, world.gm)]


def test_targets_of_a_week_and_of_a_month_are_separate(world):
    _set(world.sm, world, world.am1)
    _set(world.sm, world, world.am1, {"visits": 9}, kind="week", start=dt.date(2026, 3, 2))
    assert PositionTarget.objects.filter(user=world.am1).count() == 2


def test_copy_to_the_next_period_keeps_what_is_already_set(world):
    _set(world.gm, world, world.am1)
    _set(world.gm, world, world.am2, {"visits": 7})
    _set(world.gm, world, world.am3, {"visits": 5})
    _set(world.gm, world, world.am2, {"visits": 99}, start=dt.date(2026, 4, 1))
    result = targets.copy_to_next(world.sm, world.h1, "month", MONTH)  # sm sets am1 and am2, not am3
    assert (result["copied"], result["kept"]) == (1, 1)
    april = {t.user.username: t for t in PositionTarget.objects.filter(start=dt.date(2026, 4, 1))}
    assert set(april) == {"am1", "am2"} and april["am1"].revenue == Decimal("12000.50")
    assert april["am2"].visits == 99 and april["am1"].history.get().history_user == world.sm
    with pytest.raises(PermissionDenied):
        targets.copy_to_next(world.am1, world.h1, "month", MONTH)


# ---- the pages -------------------------------------------------------------------------------

def _login(client, user):
    client.force_login(user)
    return client


def _edit_url(member, kind="month", start="2026-03-01"):
    return reverse("control:target_edit", args=[member.pk, kind, start]) + "?property=H1"


@pytest.mark.parametrize("actor,member,status", [
    ("gm", "am3", 302), ("sm", "am1", 302), ("sm", "sm", 403), ("sm", "am3", 404), ("am1", "am1", 403),
    ("am1", "am2", 404), ("desk", "am1", 403), ("admin", "am1", 403), ("gm2", "am1", 404),
])
def test_who_may_post_the_edit_form(client, world, actor, member, status):
    _login(client, getattr(world, actor))
    r = client.post(_edit_url(getattr(world, member)), {"visits": "30", "revenue": "5000"})
    assert r.status_code == status
    assert PositionTarget.objects.filter(visits=30).exists() == (status == 302)


def test_the_edit_form_shows_errors_and_saves_nothing(client, world):
    _login(client, world.sm)
    r = client.post(_edit_url(world.am1), {"visits": "-3", "revenue": "1.234"})
    assert r.status_code == 400 and r.content.decode().count('class="error"') == 2
    assert not PositionTarget.objects.exists()
    assert client.get(_edit_url(world.am1, start="2026-03-02")).status_code == 404  # not a month start
    assert client.get(_edit_url(world.am1, kind="decade")).status_code == 404
    r = client.get(_edit_url(world.am1))
    assert r.status_code == 200 and 'name="follow_ups"' in r.content.decode()


def test_copy_button(client, world):
    _set(world.gm, world, world.am1)
    _login(client, world.sm)
    r = client.post(reverse("control:targets_copy"), {"property": "H1", "kind": "month", "start": "2026-04-01"})
    assert r.status_code == 302 and PositionTarget.objects.filter(start=dt.date(2026, 4, 1), user=world.am1).exists()
    _login(client, world.am1)
    assert client.post(reverse("control:targets_copy"), {"property": "H1", "kind": "month",
                                                         "start": "2026-05-01"}).status_code == 403
