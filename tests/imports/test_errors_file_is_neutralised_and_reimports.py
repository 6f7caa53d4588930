"""The errors file (R-12.4) holds the rejected rows as the file had them, neutralised like
every export (core.export.safe_text: a cell starting with = + - @ gets an apostrophe, so no
spreadsheet runs it as a formula); the importers read that apostrophe away again, so the
fixed errors file re-imports cleanly."""

import csv
from decimal import Decimal

from yingke.imports.engine import write_errors
from yingke.visits.models import Visit

from .conftest import do_import, write_csv


def test_formula_cells_are_neutralised_and_the_fixed_file_reimports(world, tmp_path):
    src = write_csv(tmp_path / "pos.csv", ["单据号,客户编号,消费时间,实收,桌号",
                                           "=HYPERLINK(\"http://x\"),C001,2026-11-03 19:30,abc,+A8",
                                           "D2,C001,2026-11-03 19:30,-88.00,@T1",
                                           "D3,C001,2026-11-03,1.2.3,A1"])
    out = do_import("visits", src, world.h1)
    assert (out.run.created, out.run.rejected) == (1, 2)
    errors = tmp_path / "errors.csv"
    assert write_errors(out.run, errors) == 2
    with errors.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1][:5] == ["'=HYPERLINK(\"http://x\")", "C001", "2026-11-03 19:30", "abc", "'+A8"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    # staff fix the amounts and import the errors file as it is
    rows[1][3], rows[2][3] = "-12.50", "7"
    rows[1][0] = "'=D1"
    with errors.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([*rows[:1], *[[*r[:3], "'" + r[3] if r[3].startswith("-") else r[3], *r[4:]]
                                              for r in rows[1:]]])
    again = do_import("visits", errors, world.h1)
    assert (again.run.created, again.run.rejected) == (2, 0)
    d1 = Visit.objects.get(doc_no="=D1")
    assert (d1.amount, d1.table_no) == (Decimal("-12.50"), "+A8")
    assert Visit.objects.get(doc_no="D3").amount == Decimal("7.00")
