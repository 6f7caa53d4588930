"""A property without a finished grading run (a fresh install) shows the dashboard with its
empty states, not a 500; a month that does not exist (2026-02-30) is a message on the page and
a 422 from the API."""

import pytest
from django.test import Client
from django.utils import translation

from yingke.core.models import ApiToken
from yingke.grading.models import GradingRun
from yingke.reports.templatetags.reports_ui import at_least, share


def page(user, query=""):
    c = Client()
    c.force_login(user)
    with translation.override("en"):
        return c.get(f"/reports/?property=H1{query}", HTTP_ACCEPT_LANGUAGE="en")


def test_general_manager_without_runs_sees_the_empty_states(world):
    assert not GradingRun.objects.filter(property=world.h1).exists()
    response = page(world.gm)
    assert response.status_code == 200
    body = response.content.decode()
    assert "No grading snapshot in this period yet." in body
    assert "is-good" not in body and "is-low" not in body.split('class="report-grid"')[0]


def test_sales_manager_without_runs_sees_the_page(world):
    assert page(world.sm).status_code == 200


@pytest.mark.parametrize("query,field", [("&from=2026-02-30", "from"), ("&to=2026-13", "to"),
                                         ("&from=2026-02-30&to=2026-02-31", "from"), ("&from=２０２６-０１", "from")])
def test_a_month_that_does_not_exist_is_a_message(world, query, field):
    response = page(world.gm, query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a month as YYYY-MM between 2000 and 2100." in body
    assert "The period was not understood; the last 12 months are shown." in body
    assert response.context["errors"][field]


def test_the_api_refuses_a_month_that_does_not_exist(world):
    response = Client().get("/api/reports/dashboard?property=H1&from=2026-02-30",
                            HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(world.gm)[1]}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "from" in response.json()["errors"]


@pytest.mark.parametrize("value", [None, "", "x", object()])
def test_figure_filters_ignore_what_is_not_a_number(value):
    assert at_least(value, 0.45) == ""
    assert share(value) == "—"


def test_figure_filters_on_numbers():
    assert at_least(0.5, 0.45) == "is-good"
    assert at_least(0.2, 0.45) == "is-low"
    assert share(0.4531) == "45.3 %"
