"""R-8.5: the complaint reports page — who opens it, its key figures, charts (JSON for the
vendored ECharts, no inline script), tables with links to the list, empty states, exports through
the one export helper, and a number of queries that does not grow with the complaints."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.complaints.test_complaint_reports import local, make
from yingke.core.models import AuditEvent, Outlet

URL = "/complaints/reports/"
Q = "?property=H1&from=2025-01-01&to=2025-06-30"


@pytest.fixture
def filled(world):
    cn = Outlet.objects.get(property=world.h1, code="CN")
    make(world, local(2025, 2, 3), kind="food", outlet=cn, customer=world.c_am1, hours=2, spot=True)
    make(world, local(2025, 3, 4), kind="food", severity="high", outlet=cn, hours=30)
    make(world, local(2025, 5, 6), kind="attitude", customer=world.c_am2)
    return world


def get(client, user, url, lang="zh-hans"):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang)


@pytest.mark.parametrize("role", ["gm", "desk", "sup"])
def test_property_wide_roles_open_the_page(client, filled, role):
    r = get(client, getattr(filled, role), URL + Q)
    assert r.status_code == 200
    html = r.content.decode()
    assert "迎客大酒店" in html and 'data-chart="chart-kind"' in html


@pytest.mark.parametrize("role,status", [("am1", 403), ("sm", 403), ("admin", 403), ("gm2", 404)])
def test_other_roles_and_another_property(client, filled, role, status):
    assert get(client, getattr(filled, role), URL + "?property=H1").status_code == status


def test_gm2_reads_their_own_property_without_a_code(client, filled):
    r = get(client, filled.gm2, URL)
    assert r.status_code == 200 and "迎客酒楼" in r.content.decode()


def test_figures_tables_links_and_charts(client, filled):
    r = get(client, filled.gm, URL + Q, lang="en")
    html = r.content.decode()
    d = r.context["d"]
    assert d["totals"]["complaints"] == 3 and d["totals"]["median_hours"] == 16.0
    assert "Complaint reports" in html and "Did the guest come back?" in html
    assert '/complaints/?kind=food">Food</a>' in html
    assert '/complaints/?severity=high"' in html
    assert f'/complaints/?outlet={Outlet.objects.get(code="CN", property=filled.h1).pk}"' in html
    # Charts: options as JSON, drawn by the static script; no inline script (CSP).
    for name in ("kind", "severity", "outlet", "month", "resolve", "came-back"):
        m = re.search(rf'<script id="chart-{name}" type="application/json">(.*?)</script>', html, re.S)
        assert m, name
        assert json.loads(m.group(1))["series"]
    month = json.loads(re.search(r'<script id="chart-month" type="application/json">(.*?)</script>', html,
                                 re.S).group(1))
    assert month["xAxis"]["data"] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    assert month["series"][0]["data"] == [0, 1, 1, 0, 1, 0]
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert scripts == []
    assert "reports/vendor/echarts.min.js" in html and "reports/dashboard.js" in html
    assert 'style="' not in html


def test_empty_period(client, filled):
    r = get(client, filled.gm, URL + "?property=H1&from=2024-01-01&to=2024-12-31", lang="en")
    html = r.content.decode()
    assert r.status_code == 200 and "No complaint was recorded in this period." in html
    assert "data-chart=" not in html


def test_bad_period_falls_back_with_a_message(client, filled):
    r = get(client, filled.gm, URL + "?property=H1&from=2025-02-30&to=2025-01-01", lang="en")
    assert r.status_code == 200 and "The period was not understood" in r.content.decode()


def test_export_csv_and_xlsx(client, filled):
    client.force_login(filled.gm)
    r = client.get(f"{URL}export/kind.csv{Q}", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["Type", "Complaints", "Archived"]
    food = next(row for row in table if row[0] == "Food")
    assert food[1:6] == ["2", "2", "1", "16.0", "27.2"]
    r = client.get(f"{URL}export/came_back.xlsx{Q}", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    values = list(sheet.values)
    assert values[0][0] == "Group" and len(values) == 5
    assert AuditEvent.objects.filter(action="export", target="complaints-came_back").exists()
    assert client.get(f"{URL}export/nope.csv{Q}").status_code == 404
    assert client.get(f"{URL}export/kind.pdf{Q}").status_code == 404


def test_desk_reads_but_may_not_export(client, filled):
    r = get(client, filled.desk, f"{URL}export/kind.csv{Q}")
    assert r.status_code == 403


def test_query_count_does_not_grow_with_the_complaints(client, filled):
    client.force_login(filled.gm)
    client.get(URL + Q)  # warm: session, sites, translations

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL + Q).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    base = dt.datetime(2025, 4, 1, 3, tzinfo=dt.UTC)
    cn = Outlet.objects.get(property=filled.h1, code="CN")
    bar = Outlet.objects.create(property=filled.h1, code="BAR", name="大堂吧", capacity=10)
    for i in range(12):
        make(filled, base + dt.timedelta(days=i * 5), kind=["food", "price", "other"][i % 3],
             outlet=[cn, bar, None][i % 3], customer=[filled.c_am3, filled.c_pool, None][i % 3],
             hours=None if i % 4 == 0 else 3 + i, spot=i % 2 == 1)
    after = count()
    assert after == before, (before, after)
    assert before <= 20, before
