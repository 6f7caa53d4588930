"""`yingke grade`: stores a snapshot and prints a summary; --export writes the exact columns
(CSV UTF-8 without a BOM, XLSX with typed 0.00 numbers); bad input exits 2 and stores nothing."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from yingke.cli.main import main
from yingke.core.models import AuditEvent
from yingke.customers.models import Customer
from yingke.grading.models import GradingRun

from .grading_factories import add_visits, local, make_customers, make_property

D = dt.date(2026, 4, 30)
HEADER = "customer_code,name,grade,visits,amount,standard,rank_visits,rank_amount"


@pytest.fixture
def english(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")


@pytest.fixture
def graded_property(db):
    prop = make_property(code="GR", window=30)
    k0, k1, k2, k3, k4 = make_customers(prop, 5)
    Customer.objects.filter(pk=k3.pk).update(name="=HYPERLINK(\"x\")")
    day = local(prop.time_zone, D, 19, 30)
    add_visits([
        (prop, k0, day, "100.00", False), (prop, k0, day, "100.00", False), (prop, k0, day, "0.01", False),
        (prop, k1, day, "88.80", False),
        (prop, k2, day, "0.00", False), (prop, k2, day, "-20.00", False),  # a free visit and a refund
        (prop, k3, day, "45.50", False), (prop, k3, day, "45.50", False),
        (prop, k4, local(prop.time_zone, D - dt.timedelta(days=30)), "500.00", False),  # outside: D
    ])
    return prop


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.django_db
def test_grade_stores_a_snapshot_and_prints_a_summary(graded_property, capsys, english):
    code, out, err = run_cli(capsys, "grade", "--property", "GR", "--as-of", "2026-04-30")
    assert code == 0, err
    run = GradingRun.objects.get(property=graded_property)
    assert run.trigger == "command" and run.created_by is None and run.as_of == D
    assert "as of 2026-04-30" in out and "2026-04-01 – 2026-04-30" in out
    assert "4 effective of 5 customers" in out and "A 1, B 2, C 1, D 1" in out


@pytest.mark.django_db
def test_export_csv_has_the_exact_columns_and_values(graded_property, capsys, english, tmp_path):
    path = tmp_path / "grades.csv"
    code, out, err = run_cli(capsys, "grade", "--property", "GR", "--as-of", "2026-04-30", "--export", str(path))
    assert code == 0, err
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # no BOM: the header line is exact
    text = data.decode("utf-8")
    assert text.splitlines()[0] == HEADER
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows == [
        ["K0000", "客人0", "A", "3", "200.01", "66.67", "1", "1"],
        # B and C by standard: 88.80 (1 visit), 45.50 (2 visits), then −20.00
        ["K0001", "客人1", "B", "1", "88.80", "88.80", "3", "3"],
        ["K0003", "'=HYPERLINK(\"x\")", "B", "2", "91.00", "45.50", "2", "2"],
        ["K0002", "客人2", "C", "1", "-20.00", "-20.00", "4", "4"],
        ["K0004", "客人4", "D", "0", "0.00", "", "", ""],
    ]
    assert "5 rows written" in out
    assert AuditEvent.objects.filter(action="export", target="grades", rows=5).exists()


@pytest.mark.django_db
def test_export_xlsx_has_typed_numbers_with_two_decimals(graded_property, capsys, english, tmp_path):
    path = tmp_path / "grades.xlsx"
    code, _out, err = run_cli(capsys, "grade", "--property", "GR", "--as-of", "2026-04-30", "--export", str(path))
    assert code == 0, err
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert ",".join(rows[0]) == HEADER
    assert rows[1] == ("K0000", "客人0", "A", 3, 200.01, 66.67, 1, 1)
    assert rows[4] == ("K0002", "客人2", "C", 1, -20, -20, 4, 4)
    assert rows[5] == ("K0004", "客人4", "D", 0, 0, None, None, None)
    cells = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert cells[4].number_format == "0.00" and cells[5].number_format == "0.00"
    assert cells[3].data_type == "n" and cells[4].data_type == "n"


@pytest.mark.django_db
@pytest.mark.parametrize(("argv", "message"), [
    (["--property", "NOPE"], "unknown property"),
    (["--property", "GR", "--as-of", "2026-02-30"], "is not a date"),
    (["--property", "GR", "--as-of", "30.04.2026"], "is not a date"),
    (["--property", "GR", "--as-of", "２０２６-04-30"], "is not a date"),
    (["--property", "GR", "--as-of", "0001-01-01"], "must be between"),
    (["--property", "GR", "--export", "out.pdf"], "must end in .csv or .xlsx"),
    (["--property", "GR", "--export", "/nonexistent-dir/x.csv"], "does not exist"),
    (["--property", "GR", "--user", "nobody"], "unknown user"),
])
def test_bad_input_exits_2_and_stores_nothing(graded_property, capsys, english, argv, message):
    code, out, err = run_cli(capsys, "grade", *argv)
    assert code == 2
    assert message in err
    assert not GradingRun.objects.exists()
    assert set(Customer.objects.values_list("grade", flat=True)) == {""}


@pytest.mark.django_db
def test_a_user_who_may_not_grade_is_refused(graded_property, capsys, english):
    from tests.conftest import make_user
    from yingke.core.roles import Role

    make_user("desk_gr", Role.FRONT_DESK, graded_property)
    code, _out, err = run_cli(capsys, "grade", "--property", "GR", "--user", "desk_gr")
    assert code == 2 and "may not grade" in err
    assert not GradingRun.objects.exists()


@pytest.mark.django_db
def test_the_general_manager_grades_as_themselves(graded_property, capsys, english):
    from tests.conftest import make_user
    from yingke.core.roles import Role

    gm = make_user("gm_gr", Role.GENERAL_MANAGER, graded_property)
    code, _out, err = run_cli(capsys, "grade", "--property", "GR", "--as-of", "2026-04-30", "--user", "gm_gr")
    assert code == 0, err
    assert GradingRun.objects.get().created_by == gm
    assert Decimal(GradingRun.objects.get().amount) == Decimal("359.81")
