"""A Pareto nobody has computed for the period yet (a period opened for the first time) does
not hold the page up (R-11.1: the page is served from kept figures): the page shows the panel
as being computed and loads it from /reports/pareto/, which computes it under the same rules
(REPORT on the property, a sales manager's team only); once kept, the page shows it at once."""

import pytest

from .test_dashboard_roles_and_figures import client_for, filled  # noqa: F401 (fixture)


def test_the_page_waits_for_nothing_and_the_panel_brings_the_figures(filled):  # noqa: F811
    sm = client_for(filled.sm)
    page = sm.get("/reports/?property=H1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-pareto-src=" in page and 'id="chart-pareto"' not in page
    panel = sm.get("/reports/pareto/?property=H1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="chart-pareto"' in panel and "data-pareto-kpi" in panel
    assert "2 of 2 customers" in panel  # the team's two files, not the property's four
    again = sm.get("/reports/?property=H1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-pareto-src=" not in again and 'id="chart-pareto"' in again


def test_the_property_figures_of_the_general_manager(filled):  # noqa: F811
    panel = client_for(filled.gm).get("/reports/pareto/?property=H1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 of 4 customers with revenue in the period (75.0 %)" in panel
    assert "¥2,000.00" in panel


@pytest.mark.parametrize("role,status", [("am1", 403), ("desk", 403), ("sup", 403), ("admin", 403), ("gm2", 404)])
def test_who_may_load_the_panel(filled, role, status):  # noqa: F811
    assert client_for(getattr(filled, role)).get("/reports/pareto/?property=H1").status_code == status


def test_unknown_property_and_bad_periods(filled):  # noqa: F811
    gm = client_for(filled.gm)
    assert gm.get("/reports/pareto/?property=NOPE").status_code == 404
    for query in ("from=2026-13&to=x", "from=\\x00", "from=２０２６-０１"):
        assert gm.get("/reports/pareto/?property=H1&" + query).status_code == 200
