"""One absurd cell (a 31-digit amount, a 400-digit head count) is a rejected row with a
reason, never a failed run (R-3.2, R-12.4); and when a run does fail on a fault of ours, the
user reads which line it reached, never the exception's text."""

import pytest
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from yingke.core.parsing import CellError, parse_date, parse_datetime, parse_decimal, parse_int
from yingke.core.permissions import SYSTEM
from yingke.imports import engine
from yingke.imports.models import ImportRun
from yingke.visits.models import Visit

from .conftest import do_import, write_csv

HEADER = "单据号,客户编号,消费时间,实收,人数"
digits = st.text(alphabet="0123456789", min_size=11, max_size=600)


@settings(max_examples=150, deadline=None)
@given(digits, st.sampled_from(["{}", "￥{}", "{}元", "-{}", "{}.5", "{}.00", " {} ", "1{}.0", "0.{}", "+{}"]))
@example("1234567890123456789012345678901", "￥{}")
@example("1" + "0" * 400, "{}.0")
def test_huge_digit_strings_are_a_reason_or_an_amount_that_fits(value, style):
    cell = style.format(value)
    for parser, args in ((parse_decimal, (2, 12)), (parse_decimal, (2, 10)), (parse_int, (1,)),
                         (parse_date, (True,)), (parse_datetime, ())):
        try:
            result = parser(cell, *args)
        except CellError as e:
            assert str(e)
            continue
        if parser is parse_decimal:  # what is accepted fits the model field (max_digits, decimal_places)
            places, max_digits = args
            assert len(str(abs(result)).partition(".")[0].lstrip("0")) <= max_digits - places


@translation.override("en")
def test_an_amount_names_the_digits_the_field_holds():
    with pytest.raises(CellError, match="at most 10 digits before the decimal point"):
        parse_decimal("￥12345678901.00")
    assert str(parse_decimal("￥1,234,567,890.99")) == "1234567890.99"  # ten digits: fits max_digits=12
    with pytest.raises(CellError, match="too large"):
        parse_int("1" + "0" * 400 + ".0")


def test_a_huge_amount_is_one_rejected_row(world, tmp_path):
    f = write_csv(tmp_path / "pos.csv", [HEADER, "D1,C001,2026-11-03 19:30,1,2",
                                         "D2,C001,2026-11-03 19:30,￥1234567890123456789012345678901,2",
                                         "D3,C001,2026-11-03 19:30,5,1" + "0" * 400 + ".0",
                                         "D4,C001,2026-11-03 19:30,12345678901,2"])
    out = do_import("visits", f, world.h1)
    assert out.run.state == ImportRun.State.DONE and (out.run.created, out.run.rejected) == (1, 3)
    assert out.problem(3).reason == "The amount is too large: at most 10 digits before the decimal point."
    assert out.problem(4).column == "人数" and out.problem(4).reason == "The number is too large."
    assert out.problem(5).column == "实收"
    assert list(Visit.objects.values_list("doc_no", flat=True)) == ["D1"]


@translation.override("en")
def test_an_unexpected_error_is_logged_and_the_message_names_the_line(world, tmp_path, caplog):
    f = write_csv(tmp_path / "pos.csv", [HEADER, "D1,C001,2026-11-03 19:30,1,2", "D2,C001,2026-11-03 20:30,1,2"])
    run = engine.start_run("visits", world.h1, f)
    calls = []

    def progress(run):  # a fault after the first committed batch (here: in the caller's callback)
        calls.append(run.rows_done)
        if run.rows_done:
            raise RuntimeError("secret internals /srv/x.py")

    with pytest.raises(RuntimeError):
        engine.execute_run(run, actor=SYSTEM, on_progress=progress)
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED
    assert "secret" not in run.message and "RuntimeError" not in run.message
    assert "after line 3" in run.message and f"#{run.pk}" in run.message
    assert "secret internals" in caplog.text  # the details are in the log
