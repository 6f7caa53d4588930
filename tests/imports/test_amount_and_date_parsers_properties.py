"""Property-based tests of the cell parsers (R-3.2): every way a POS or PMS export writes an
amount or a date reads back as the same value; what cannot be read is refused with a
reason (CellError), never guessed and never another exception."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from yingke.core.parsing import EXCEL_EPOCH, CellError, parse_date, parse_datetime, parse_decimal

SHANGHAI = ZoneInfo("Asia/Shanghai")
FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")

amounts = st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0))


def grouped(value: Decimal) -> str:
    return f"{value:,.2f}"


AMOUNT_STYLES = [
    lambda v: f"{v:.2f}",
    lambda v: f"￥{grouped(v)}" if v >= 0 else f"-￥{grouped(-v)}",
    lambda v: f"¥{v:.2f}",
    lambda v: f"{v.normalize():f}元",
    lambda v: f"  {v:.2f}  ",
    lambda v: f"{v:.2f}".translate(FULL_WIDTH),
    lambda v: f"{grouped(v)} RMB",
    lambda v: f"{v:.2f}0",  # a third decimal that is zero changes nothing
]


@given(amounts, st.sampled_from(range(len(AMOUNT_STYLES))))
@example(Decimal("-88.00"), 0)
@example(Decimal("1234.50"), 1)
def test_every_written_form_of_an_amount_reads_back(value, style):
    assert parse_decimal(AMOUNT_STYLES[style](value)) == value


@given(amounts.filter(lambda v: v != v.to_integral_value()), st.integers(1, 3))
def test_two_decimal_points_or_three_decimals_are_refused(value, extra):
    for text in (f"{value:.2f}.{extra}", f"{value:.2f}{extra}"):
        try:
            parse_decimal(text)
        except CellError:
            continue
        raise AssertionError(f"{text!r} was accepted")


@given(st.text(max_size=30))
@settings(max_examples=300)
@example("12.3.4")
@example("1e5")
@example("NaN")
@example("12,34")
@example("--1")
@example("١٢")
def test_any_text_is_an_amount_or_a_reason(text):
    try:
        value = parse_decimal(text)
    except CellError as e:
        assert str(e)
    else:
        assert value.is_finite() and value == value.quantize(Decimal("0.01"))
        assert abs(value) < Decimal("10000000000")


DATETIME_STYLES = [
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S"),
    lambda d: f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}:{d.second:02d}",
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"),
    lambda d: f"{d.year}年{d.month}月{d.day}日 {d.hour}时{d.minute}分{d.second}秒",
    lambda d: d.strftime("%Y%m%d %H:%M:%S"),
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S").translate(FULL_WIDTH),
    lambda d: d,  # a spreadsheet date cell
    lambda d: repr((d - dt.datetime.combine(EXCEL_EPOCH, dt.time())).total_seconds() / 86400),  # Excel serial
]


@given(moments, st.sampled_from(range(len(DATETIME_STYLES))))
@example(dt.datetime(2026, 11, 3, 19, 30), 1)
def test_every_written_form_of_a_date_and_time_reads_back(moment, style):
    assert parse_datetime(DATETIME_STYLES[style](moment), SHANGHAI) == moment.replace(tzinfo=SHANGHAI)


@given(moments.map(lambda d: d.date()))
def test_a_date_alone_is_midnight_local_time(day):
    for text in (day.isoformat(), f"{day.year}年{day.month}月{day.day}日", f"{day.year}/{day.month}/{day.day}"):
        assert parse_datetime(text, SHANGHAI) == dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
        assert parse_date(text) == day


@given(st.integers(2000, 2099), st.integers(1, 12), st.integers(29, 35))
def test_impossible_dates_are_refused_never_rolled_over(year, month, day):
    try:
        dt.date(year, month, day)
    except ValueError:
        pass
    else:
        assume(False)
    for text in (f"{year}-{month:02d}-{day:02d}", f"{year}/{month}/{day} 12:00", f"{year}年{month}月{day}日"):
        try:
            parse_datetime(text, SHANGHAI)
        except CellError as e:
            assert "exist" in str(e) or "不存在" in str(e)
        else:
            raise AssertionError(f"{text!r} was accepted")


@given(st.text(max_size=30))
@settings(max_examples=300)
@example("2026-02-30")
@example("2026/11/3 25:30")
@example("99999999")
@example("2026-11-03\u202e")
def test_any_text_is_a_moment_or_a_reason(text):
    try:
        value = parse_datetime(text, SHANGHAI)
    except CellError as e:
        assert str(e)
    else:
        assert value.tzinfo is not None and 1900 <= value.year <= 9999
