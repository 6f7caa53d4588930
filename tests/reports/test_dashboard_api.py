"""The dashboard's API (R-11.1, R-11.6): the same figures as the page, as JSON; exports of its
tables; 403 for roles that read no reports or another property, 404 unknown, 422 bad period."""

import datetime as dt

import pytest
from django.test import Client

from yingke.core.models import ApiToken

from .test_dashboard_roles_and_figures import filled  # noqa: F401  (fixture)


def get(user, url):
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}", HTTP_ACCEPT_LANGUAGE="en")


def test_general_manager_gets_the_figures(filled):  # noqa: F811
    today = dt.date.today()
    r = get(filled.gm, f"/api/reports/dashboard?property=H1&from=2025-01&to={today:%Y-%m}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["property"] == "H1" and body["from"] == "2025-01"
    assert body["pareto"]["customers"] == 4 and body["pareto"]["total"] == "2000.00"
    assert body["effective"]["latest"]["share"] == 0.9
    assert body["occupancy"]["rows"] and body["managed"]["rows"]


def test_sales_manager_gets_team_figures_only(filled):  # noqa: F811
    body = get(filled.sm, "/api/reports/dashboard").json()
    assert body["team_limited"] is True and body["occupancy"] is None and body["managed"] is None
    assert body["pareto"]["total"] == "1500.00"


@pytest.mark.parametrize("role", ["am1", "desk", "sup", "admin"])
def test_other_roles_403(filled, role):  # noqa: F811
    assert get(getattr(filled, role), "/api/reports/dashboard").status_code == 403
    assert get(getattr(filled, role), "/api/reports/dashboard/monthly.csv").status_code == 403


def test_other_property_403_unknown_404_bad_period_422(filled):  # noqa: F811
    assert get(filled.gm2, "/api/reports/dashboard?property=H1").status_code == 404  # not their property
    assert get(filled.gm, "/api/reports/dashboard?property=ZZ").status_code == 404
    r = get(filled.gm, "/api/reports/dashboard?from=2026-05&to=2026-01")
    assert r.status_code == 422 and "to" in r.json()["errors"]
    assert get(filled.gm, "/api/reports/dashboard?from=2026-13").status_code == 422
    assert get(filled.gm, "/api/reports/dashboard?from=nope").status_code == 422
    assert get(filled.gm, "/api/reports/dashboard?from_run=abc").status_code == 422


def test_exports(filled):  # noqa: F811
    r = get(filled.gm, "/api/reports/dashboard/pareto.csv?property=H1")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert get(filled.gm, "/api/reports/dashboard/occupancy.xlsx").status_code == 200
    assert get(filled.gm, "/api/reports/dashboard/nope.csv").status_code == 404
    assert get(filled.gm, "/api/reports/dashboard/monthly.pdf").status_code == 404
    assert get(filled.sm, "/api/reports/dashboard/occupancy.csv").status_code == 403
