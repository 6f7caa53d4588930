"""Meal periods are configured per property by whoever may configure it (R-11.1 上桌率 per
period); bad input is a message and changes nothing; a change marks the days stale and the
aggregates follow."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from yingke.reports import services
from yingke.reports.models import DailyOutletStat, MealPeriod

from .conftest import local, visit


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def post(user, rows):
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": "0"}
    for i, (code, name, starts, ends) in enumerate(rows):
        data.update({f"form-{i}-code": code, f"form-{i}-name": name, f"form-{i}-starts": starts,
                     f"form-{i}-ends": ends})
    with translation.override("en"):
        return client_for(user).post("/reports/meal-periods/?property=H1", data, HTTP_ACCEPT_LANGUAGE="en")


def test_general_manager_sets_periods_and_the_aggregates_follow(world, outlets, django_capture_on_commit_callbacks):
    visit(world.c_am1, local(2026, 5, 4, 11), 100, outlet=outlets.cn)
    assert client_for(world.gm).get("/reports/meal-periods/?property=H1").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = post(world.gm, [("brunch", "早午餐", "09:00", "15:00"), ("", "", "", "")])
    assert response.status_code == 302
    assert list(MealPeriod.objects.filter(property=world.h1).values_list("code", flat=True)) == ["brunch"]
    row = DailyOutletStat.objects.get(property=world.h1, day=dt.date(2026, 5, 4))
    assert row.period == "brunch"


@pytest.mark.parametrize("rows,field", [
    ([("lunch", "Lunch", "11:00", "14:00"), ("late", "Late lunch", "13:30", "15:00")], "starts"),
    ([("lunch", "Lunch", "14:00", "11:00")], "ends"),
    ([("other", "Other", "09:00", "10:00")], "code"),
    ([("x", "\x07bell", "09:00", "10:00")], "name"),
    ([("a", "A", "09:00", "10:00"), ("a", "B", "11:00", "12:00")], None),
])
def test_bad_periods_are_refused_and_nothing_changes(world, rows, field):
    response = post(world.gm, rows)
    assert response.status_code == 200
    assert not MealPeriod.objects.exists()
    if field:
        assert any(field in f.errors for f in response.context["formset"].forms)


def test_only_configurers(world):
    assert client_for(world.sm).get("/reports/meal-periods/?property=H1").status_code == 403
    assert client_for(world.am1).get("/reports/meal-periods/?property=H1").status_code == 403
    assert client_for(world.gm2).get("/reports/meal-periods/?property=H1").status_code == 404  # not their property
    with pytest.raises(PermissionDenied):
        services.set_meal_periods(world.sm, world.h1, [("x", "X", dt.time(9), dt.time(10))])
    with pytest.raises(ValidationError):
        services.set_meal_periods(world.gm, world.h1, [])


def test_service_messages_land_on_their_row_or_on_top(world):
    """Rows are numbered among the filled ones: a blank row in between does not shift a message."""
    response = post(world.gm, [("lunch", "Lunch", "11:00", "14:00"), ("", "", "", ""),
                               ("tea", "Tea", "15:00", "14:00")])
    forms = response.context["formset"].forms
    assert not forms[0].errors and not forms[1].errors
    assert forms[2].errors["ends"] == ["The period must end after it starts, on the same day."]
    response = post(world.gm, [("a", "A", "09:00", "10:00"), ("a", "B", "11:00", "12:00")])
    assert list(response.context["formset"].non_form_errors()) == ["Each meal period needs its own code."]
    assert "Each meal period needs its own code." in response.content.decode()
    assert not MealPeriod.objects.exists()
