"""The web export of a grading run is the command line's file (issue 13): CSV in UTF-8 without a
BOM whose first line is exactly the eight column names, XLSX money cells formatted 0.00."""

import io

import openpyxl
from django.urls import reverse

from tests.grading.test_grading_pages_helpers import client_for
from yingke.grading.export import write_snapshot_file

HEADER = b"customer_code,name,grade,visits,amount,standard,rank_visits,rank_amount\r\n"


def test_web_csv_has_no_bom_and_the_exact_header(world, run):
    response = client_for(world.gm).get(reverse("grading:run_export", args=[run.pk, "csv"]))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"customer_code,name,grade")
    assert body.startswith(HEADER)


def test_web_csv_is_the_command_line_file(world, run, tmp_path):
    path = tmp_path / "grades.csv"
    write_snapshot_file(world.gm, run, path)
    response = client_for(world.gm).get(reverse("grading:run_export", args=[run.pk, "csv"]))
    assert b"".join(response.streaming_content) == path.read_bytes()


def test_web_xlsx_money_is_formatted_0_00(world, run):
    response = client_for(world.gm).get(reverse("grading:run_export", args=[run.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2))
    assert rows
    for row in rows:
        amount = row[4]
        assert amount.number_format == "0.00"
        if row[5].value is not None:
            assert row[5].number_format == "0.00"
