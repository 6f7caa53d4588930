"""The grading pages (R-4, issue 13 point 1): /grading/ for the general manager and the
administrator (grade now, parameters) and the sales manager (read-only); a run's page with its
entries limited to the files the role sees (the administrator sees counts only), filter by
grade, keyset pages and the export of the eight columns; every other role 403, a run of
another property 404."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import EXPECTED, make_customer
from tests.grading.test_grading_pages_helpers import client_for, make_run
from yingke.customers.models import Customer
from yingke.grading.models import GradingRun

COLUMNS = ["customer_code", "name", "grade", "visits", "amount", "standard", "rank_visits", "rank_amount"]
LOOKERS = {"gm", "sm", "admin"}


@pytest.mark.parametrize("role", ["gm", "sm", "admin", "am1", "desk", "sup", "gm2", "am_h2"])
def test_who_may_open_the_grading_page(world, run, role):
    response = client_for(getattr(world, role)).get(reverse("grading:index"))
    if role in LOOKERS or role == "gm2":
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_the_page_lists_runs_of_the_chosen_property_only(world, run):
    make_run(world.h2, user=world.gm2)
    text = client_for(world.gm).get(reverse("grading:index")).content.decode()
    assert reverse("grading:run", args=[run.pk]) in text
    other = GradingRun.objects.get(property=world.h2)
    assert reverse("grading:run", args=[other.pk]) not in text
    assert client_for(world.gm).get(reverse("grading:index"), {"property": "H2"}).status_code == 404


def test_empty_state_before_the_first_run(world):
    with translation.override("en"):
        text = client_for(world.gm).get(reverse("grading:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No grading run yet." in text
    assert 'name="as_of"' in text and 'name="window_days"' in text


def test_sales_manager_reads_without_forms(world, run):
    text = client_for(world.sm).get(reverse("grading:index")).content.decode()
    assert 'name="as_of"' not in text and 'name="window_days"' not in text
    assert client_for(world.sm).post(reverse("grading:grade_now"), {"as_of": "2026-11-01"}).status_code == 403
    assert client_for(world.sm).post(reverse("grading:policy"), {
        "window_days": "30", "a_share": "20", "b_share": "50"}).status_code == 403


@pytest.mark.parametrize("role", ["gm", "sm", "admin", "am1", "desk", "sup", "gm2", "am_h2"])
def test_run_page_by_role(world, run, role):
    user = getattr(world, role)
    response = client_for(user).get(reverse("grading:run", args=[run.pk]))
    if role in LOOKERS:
        assert response.status_code == 200
        text = response.content.decode()
        shown = {name for name in ("c_am1", "c_am2", "c_am3", "c_pool")
                 if reverse("customers:detail", args=[getattr(world, name).pk]) in text}
        assert shown == EXPECTED[role]
        # the counts: the property's 4 customers for the GM and the administrator, the team's 2
        # (C001, C002) for the sales manager (test_grading_pages_team_counts.py)
        assert (">2<" if role == "sm" else ">4<") in text
    elif role in ("gm2", "am_h2"):
        assert response.status_code in (403, 404)
    else:
        assert response.status_code == 403


def test_run_of_another_property_is_404_for_its_general_manager(world, run):
    assert client_for(world.gm2).get(reverse("grading:run", args=[run.pk])).status_code == 404
    assert client_for(world.gm).get(reverse("grading:run", args=[10**9])).status_code == 404


def test_filter_by_grade_and_pages(world, settings):
    settings.PAGE_SIZE = 2
    for i in range(7):
        make_customer(world.h1, f"X{i}", f"客{i}")
    run = make_run(world.h1)
    gm = client_for(world.gm)
    seen, url = [], reverse("grading:run", args=[run.pk])
    page = gm.get(url).context["page"]
    seen += [e.pk for e in page.rows]
    while page.has_next:
        page = gm.get(url, {"after": page.next_cursor}).context["page"]
        seen += [e.pk for e in page.rows]
    assert seen == list(run.entries.order_by("position", "id").values_list("pk", flat=True))
    back = gm.get(url, {"before": page.previous_cursor}).context["page"]
    assert [e.pk for e in back.rows] == seen[-len(page.rows) - 2:-len(page.rows)]
    only_d = gm.get(url, {"grade": "D"}).context["page"]
    assert {e.grade for e in only_d.rows} == {"D"}
    assert gm.get(url, {"after": "garbage"}).context["cursor_invalid"]


def test_run_page_query_count_does_not_grow(world, django_assert_max_num_queries):
    for i in range(60):
        make_customer(world.h1, f"Q{i:02d}", f"客{i}")
    run = make_run(world.h1)
    gm = client_for(world.gm)
    gm.get(reverse("grading:index"))
    with django_assert_max_num_queries(10):
        assert gm.get(reverse("grading:run", args=[run.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert gm.get(reverse("grading:index")).status_code == 200


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("role", ["gm", "sm"])
def test_export_has_the_eight_columns_and_only_visible_rows(world, run, role):
    user = getattr(world, role)
    response = client_for(user).get(reverse("grading:run_export", args=[run.pk, "csv"]))
    assert response.status_code == 200
    rows = _csv_rows(response)
    assert rows[0] == COLUMNS
    codes = {r[0] for r in rows[1:]}
    assert codes == {getattr(world, n).customer_code for n in EXPECTED[role]}
    d_rows = [r for r in rows[1:] if r[2] == "D"]
    assert d_rows and all(r[3] == "0" and r[4] in ("0.00", "0") and r[5:] == ["", "", ""] for r in d_rows)


def test_export_xlsx(world, run):
    response = client_for(world.gm).get(reverse("grading:run_export", args=[run.pk, "xlsx"]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS and len(rows) == 5


@pytest.mark.parametrize("role,status", [("admin", 403), ("am1", 403), ("desk", 403), ("gm2", 404)])
def test_export_refused(world, run, role, status):
    response = client_for(getattr(world, role)).get(reverse("grading:run_export", args=[run.pk, "csv"]))
    assert response.status_code == status


def test_unknown_export_format_is_404(world, run):
    assert client_for(world.gm).get(reverse("grading:run_export", args=[run.pk, "pdf"])).status_code == 404


def test_grade_now_runs_the_engine_and_shows_the_result(world):
    gm = client_for(world.gm)
    response = gm.post(reverse("grading:grade_now"), {"property": "H1", "as_of": "2026-11-20"})
    run = GradingRun.objects.get(property=world.h1)
    assert response.status_code == 302 and response["Location"] == reverse("grading:run", args=[run.pk])
    assert run.trigger == GradingRun.Trigger.WEB and run.created_by == world.gm and run.customers == 4
    page = gm.get(response["Location"])
    assert any("2026-11-20" in str(m) for m in page.context["messages"])
    assert set(Customer.objects.filter(property=world.h1).values_list("grade", flat=True)) == {"D"}


@pytest.mark.parametrize("as_of", ["2999-01-01", "1999-12-31", "not a date", "2026-02-30"])
def test_grade_now_with_a_bad_date_changes_nothing(world, as_of):
    response = client_for(world.gm).post(reverse("grading:grade_now"), {"property": "H1", "as_of": as_of})
    assert response.status_code == 422 and response.context["grade_form"].errors
    assert not GradingRun.objects.exists()


def test_admin_grades_and_sees_counts_only(world):
    admin = client_for(world.admin)
    response = admin.post(reverse("grading:grade_now"), {"property": "H1", "as_of": "2026-11-20"})
    assert response.status_code == 302
    run = GradingRun.objects.get()
    text = admin.get(reverse("grading:run", args=[run.pk])).content.decode()
    assert "张三" not in text and reverse("customers:detail", args=[world.c_am1.pk]) not in text
