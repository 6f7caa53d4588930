"""R-6.4 pages: the control table renders every section (with the masked mobile as the reader
may see it), is printable (a print stylesheet, the team's printout one person per page),
exportable as CSV and XLSX (one row per listed customer with its section, through the one
export helper, audited), and its query count does not grow with the number of customers."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yingke.core.models import AuditEvent
from yingke.customers.models import Customer

TODAY = reverse("control:today")
TEAM = reverse("control:team")
TEAM_PRINT = reverse("control:team_print")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def overdue_files(world, n, owner=None, prefix="O"):
    owner = owner or world.am1
    today = world.h1.local_today()
    last = world.h1.day_start(today - dt.timedelta(days=40), dt.time(12))
    Customer.objects.bulk_create(
        Customer(property=world.h1, customer_code=f"{prefix}{i:04d}", name=f"客{prefix}{i}",
                 name_pinyin=f"ke{prefix}{i:04d}", owner=owner, mobile=f"1380000{i:04d}",
                 expected_next_visit=today - dt.timedelta(days=1 + i % 20), usual_interval=7 + i % 5,
                 last_visit_at=last, grade="AB"[i % 2])
        for i in range(n))


def test_the_page_shows_every_section(client, world):
    overdue_files(world, 3)
    client.force_login(world.am1)
    response = client.get(TODAY)
    assert response.status_code == 200
    body = response.content.decode()
    for key in ("follow_ups", "commitments", "complaints", "overdue", "unseen", "dates"):
        assert f'id="section-{key}"' in body
    assert "No follow-ups due today." in body and "No commitments due today." in body  # tracked (tracking app)
    assert "not tracked yet" not in body
    assert "No open complaints on your customers." in body  # filled by the complaints app
    assert "13800000001" in body and "客O1" in body
    assert reverse("customers:detail", args=[Customer.objects.get(customer_code="O0001").pk]) in body
    assert "Today&#x27;s development target" in body or "Today's development target" in body
    assert 'href="/static/control/table.css"' in body and "<style" not in body and " style=" not in body
    assert reverse("control:today_export", args=["csv"]) in body


def test_a_front_desk_reader_would_see_masked_mobiles(world):
    """The mobile is shown through customers.masking: full for the roles that read tables."""
    from yingke.control import table as control
    from yingke.customers.masking import shown_mobile

    overdue_files(world, 1)
    row = next(p for p in control.control_table(world.sm, world.am1, world.h1)["sections"] if p.key == "overdue").rows[0]
    assert row.mobile == "13800000000" == shown_mobile(world.sm, "13800000000")
    assert shown_mobile(world.desk, "13800000000") != "13800000000"


def test_the_page_has_a_print_stylesheet_for_one_a4_page(client, world):
    from django.contrib.staticfiles import finders

    css = open(finders.find("control/table.css"), encoding="utf-8").read()
    assert "@media print" in css and "A4" in css and ".topbar" in css and "break-after: page" in css
    client.force_login(world.am1)
    assert "data-print" in client.get(TODAY).content.decode()


def test_the_team_printout_puts_one_person_per_page(client, world):
    overdue_files(world, 20)
    overdue_files(world, 2, owner=world.am2, prefix="P")
    client.force_login(world.sm)
    response = client.get(TEAM_PRINT)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="control-person"') == 3  # am1, am2, sm
    sheets = response.context["tables"]
    first = next(p for p in sheets[0]["sections"] if p.key == "overdue")
    assert len(first.rows) == response.context["print_rows"] < first.count == 20  # fits the page, counted
    assert "20 customers in all" in body


def test_the_team_page_links_to_each_table_and_the_printout(client, world):
    overdue_files(world, 4)
    client.force_login(world.sm)
    response = client.get(TEAM)
    body = response.content.decode()
    assert TEAM_PRINT + "?property=H1" in body
    line = next(x for x in response.context["lines"] if x["member"] == world.am1)
    assert line["counts"]["overdue"] == 4 and line["counts"]["follow_ups"] == 0 == line["counts"]["commitments"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_one_row_per_listed_customer_with_its_section(client, world, fmt):
    overdue_files(world, 40)  # more than the page shows: the export has them all
    client.force_login(world.sm)
    response = client.get(reverse("control:today_export", args=[fmt]), {"member": world.am1.pk})
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if fmt == "csv" else b"".join(response.streaming_content)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        header, rows = rows[0], rows[1:]
        assert header[:3] == ["Section", "Customer code", "Name"]
        assert len(rows) == 40 and {r[0] for r in rows} == {"Past their expected next visit"}
        assert rows[0][3].startswith("1380000")
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet.max_row == 41
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.details["filters"]["member"] == world.am1.pk


def test_an_open_complaint_is_listed_on_the_page_the_team_line_and_the_export(client, world):
    from yingke.complaints import services

    c = services.record(world.desk, world.h1, kind="food", words="汤是凉的", customer=world.c_am1)
    client.force_login(world.am1)
    body = client.get(TODAY).content.decode()
    part = body[body.index('id="section-complaints"'):]
    part = part[:part.index("</section>")]
    assert c.reference in part and reverse("customers:detail", args=[world.c_am1.pk]) in part
    assert 'data-count="1"' in part
    client.force_login(world.sm)
    line = next(x for x in client.get(TEAM).context["lines"] if x["member"] == world.am1)
    assert line["counts"]["complaints"] == 1
    response = client.get(reverse("control:today_export", args=["csv"]), {"member": world.am1.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))[1:]
    assert [r[0] for r in rows] == ["Open complaints"] and c.reference in rows[0][-1] + rows[0][-2]


def test_export_is_refused_to_whoever_may_not_read_the_table(client, world):
    client.force_login(world.am2)
    assert client.get(reverse("control:today_export", args=["csv"]), {"member": world.am1.pk}).status_code == 404
    client.force_login(world.am1)
    assert client.get(reverse("control:today_export", args=["pdf"])).status_code == 404


@pytest.mark.parametrize("url, user", [(TODAY, "am1"), (TEAM, "sm")])
def test_query_count_does_not_grow_with_the_customers(client, world, url, user, django_assert_max_num_queries):
    client.force_login(getattr(world, user))
    overdue_files(world, 5)
    client.get(url)  # the StaffSetting rows are created on first sight
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    overdue_files(world, 45, prefix="Q")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(few.captured_queries) <= 25
