"""A sales manager reads a grading run through REPORT, limited to their team like every report
(core.permissions.report_rule / team_limited): the counts on /grading/ and on a run's page are
those of their team's entries, never the whole property's; the general manager and the
administrator keep the run's stored counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import make_customer
from tests.grading.test_grading_pages_helpers import client_for, make_run
from yingke.core.permissions import report_rule
from yingke.grading.models import GradeEntry

# make_run grades C001 A, C002 B, C003 C, C004 D (3 visits and 900.00 each when effective).
# The sales manager's team: am1 (C001) and am2 (C002); not am3 (C003) nor the pool (C004).
TEAM = {"customers": 2, "effective": 2, "a_count": 1, "b_count": 1, "c_count": 0, "d_count": 0, "visits": 6,
        "amount": Decimal("1800.00")}
PROPERTY = {"customers": 4, "effective": 3, "a_count": 1, "b_count": 1, "c_count": 1, "d_count": 1}


def team_of_entries(user, run) -> dict:
    entries = list(GradeEntry.objects.filter(run=run).filter(report_rule(user, "customer")))
    out = {"customers": len(entries), "effective": sum(e.grade != "D" for e in entries),
           "visits": sum(e.visits for e in entries), "amount": sum((e.amount for e in entries), Decimal(0))}
    out.update({f"{g.lower()}_count": sum(e.grade == g for e in entries) for g in "ABCD"})
    return out


def test_the_sales_manager_sees_the_counts_of_their_team_on_a_run_page(world, run):
    assert team_of_entries(world.sm, run) == TEAM  # the fixture's team, read straight from the entries
    response = client_for(world.sm).get(reverse("grading:run", args=[run.pk]))
    shown = response.context["run"]
    assert response.context["team_only"]
    assert {k: getattr(shown, k) for k in TEAM} == TEAM
    assert response.context["a_percent"] == "50.0"
    text = response.content.decode()
    assert "¥1,800.00" in text or "¥1800.00" in text


def test_the_sales_manager_sees_the_counts_of_their_team_on_the_grading_page(world, run):
    make_customer(world.h1, "C009", "王五", owner=world.am3)  # outside the team: changes nothing shown
    response = client_for(world.sm).get(reverse("grading:index"))
    (shown,) = response.context["runs"]
    assert {k: getattr(shown, k) for k in TEAM} == TEAM and shown.a_percent == "50.0"
    assert response.context["team_only"]


def test_a_sales_manager_without_a_team_sees_zero(world, run):
    from tests.conftest import make_user
    from yingke.core.roles import Role

    lone = make_user("sm_lone", Role.SALES_MANAGER, world.h1)
    response = client_for(lone).get(reverse("grading:run", args=[run.pk]))
    shown = response.context["run"]
    assert shown.customers == 0 and shown.visits == 0 and shown.amount == 0 and response.context["a_percent"] == ""


@pytest.mark.parametrize("role", ["gm", "admin"])
def test_the_general_manager_and_administrator_keep_the_stored_counts(world, run, role):
    user = getattr(world, role)
    page = client_for(user).get(reverse("grading:run", args=[run.pk]))
    assert not page.context["team_only"]
    assert {k: getattr(page.context["run"], k) for k in PROPERTY} == PROPERTY
    index = client_for(user).get(reverse("grading:index"))
    assert {k: getattr(index.context["runs"][0], k) for k in PROPERTY} == PROPERTY


def test_the_team_counts_take_one_query_for_many_runs(world, django_assert_max_num_queries):
    import datetime as dt

    for day in range(1, 8):
        make_run(world.h1, as_of=dt.date(2026, 10, day))
    sm = client_for(world.sm)
    sm.get(reverse("grading:index"))
    with django_assert_max_num_queries(10):
        response = sm.get(reverse("grading:index"))
    assert all(r.customers == 2 for r in response.context["runs"])
