"""The general manager's dashboard in a real browser (R-11.1, R-11.6): every chart is drawn
by the vendored ECharts on a canvas under the Content-Security-Policy (no console error, no
violation, also when a tooltip opens), and the table behind a chart reads the same figures."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.test_search_flow import log_in
from tests.reports.conftest import local, snapshot, visit
from yingke.core.models import Outlet

pytestmark = pytest.mark.browser


@pytest.fixture
def filled(world):
    first = timezone.localdate().replace(day=1)
    prev = (first - dt.timedelta(1)).replace(day=1)
    cn = Outlet.objects.get(property=world.h1, code="CN")
    visit(world.c_am1, local(prev.year, prev.month, 10, 12), 1000, covers=10, outlet=cn)
    visit(world.c_am2, local(prev.year, prev.month, 11, 19), 500, covers=4, outlet=cn)
    visit(world.c_pool, local(prev.year, prev.month, 12, 12), 234.5, outlet=cn)
    snapshot(world.h1, prev + dt.timedelta(days=5), {world.c_am1: ("A", 1000), world.c_am2: ("C", 0),
                                                     world.c_pool: ("D", 0)})
    snapshot(world.h1, prev + dt.timedelta(days=25), {world.c_am1: ("A", 1000), world.c_am2: ("B", 500),
                                                      world.c_pool: ("C", 234.5)})
    return prev


@pytest.fixture
def problems(page):
    seen = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    return seen


def test_general_manager_reads_the_monthly_revenue_table_and_the_charts_draw(page, live_server, filled,
                                                                              problems):
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/reports/")
    page.locator("#r-pareto [data-chart][data-rendered='1']").wait_for()  # the panel loaded after the page
    charts = page.locator("[data-chart][data-rendered='1']")
    expected = page.locator("[data-chart]").count()
    assert expected >= 6 and charts.count() == expected
    canvas = page.locator("#r-monthly [data-chart] canvas").first
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    # The table behind the chart.
    page.locator("#r-monthly details summary").click()
    row = page.locator("#r-monthly table tbody tr", has_text=f"{filled:%Y-%m}")
    assert "¥1,734.50" in row.inner_text()
    # The migration's Sankey and its matrix: A stayed A, C became B, D became C.
    matrix = page.locator("#r-migration table tbody tr")
    assert matrix.nth(0).locator("td").nth(0).inner_text() == "1"
    page.locator("#r-migration [data-chart] canvas").first.wait_for()
    # A tooltip (rendered in the canvas, no inline style) on the monthly chart.
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.6)
    page.wait_for_timeout(300)
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_the_pareto_panel_arrives_after_the_page_with_its_table(page, live_server, filled, problems):
    log_in(page, live_server, "gm")
    page.goto(f"{live_server.url}/reports/")
    page.locator("#r-pareto [data-chart][data-rendered='1'] canvas").first.wait_for()
    assert page.locator("[data-pareto-src]").count() == 0
    # The key figure above the charts was replaced too: 2 of the 3 customers make 80 %.
    kpi = page.locator("#kpi-pareto").inner_text()
    assert "66.7 %" in kpi and "3 位客户中的 2 位" in kpi
    page.locator("#r-pareto details summary").click()
    last = page.locator("#r-pareto table tbody tr").last
    assert "¥1,734.50" in last.inner_text() and "100.0" in last.inner_text()
    page.wait_for_load_state("networkidle")
    assert problems == []
