"""Reading CSV/XLSX files (R-3.2): encodings, spreadsheets, header mapping, cell parsers."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from yingke.core.parsing import CellError, parse_date, parse_datetime, parse_decimal, parse_int, split_list
from yingke.imports.columns import Column, find_header, header_key
from yingke.imports.customers import COLUMNS
from yingke.imports.reading import FileError, open_table

ROWS = [["客户编号", "姓名", "手机"], ["A1", "张三", "13812345678"], ["A2", "单田芳䶮", "13912345678"]]


def write_csv(path, rows, encoding, sep=","):
    path.write_bytes(("\r\n".join(sep.join(r) for r in rows) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8-sig"), ("gb18030", "gb18030"), ("utf-16", "utf-16"),
])
def test_csv_encodings_are_detected(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "c.csv", ROWS, encoding, sep="\t" if encoding == "utf-16" else ",")
    table = open_table(path)
    assert table.encoding == expected
    assert list(table.rows()) == [(1, ROWS[0]), (2, ROWS[1]), (3, ROWS[2])]


def test_gbk_file_reads_as_gb18030(tmp_path):
    rows = [["客户编号", "姓名"], ["A1", "曾国藩"]]
    table = open_table(write_csv(tmp_path / "gbk.csv", rows, "gbk"))
    assert table.encoding == "gb18030"
    assert [c for _line, c in table.rows()] == rows


def test_explicit_encoding_must_fit(tmp_path):
    path = write_csv(tmp_path / "c.csv", ROWS, "gb18030")
    with pytest.raises(FileError):
        open_table(path, encoding="utf-8")
    with pytest.raises(FileError):
        open_table(path, encoding="no-such-encoding")
    gbk = write_csv(tmp_path / "gbk.csv", ROWS[:2], "gbk")
    assert open_table(gbk, encoding="GBK").encoding == "GBK"


def test_line_numbers_count_blank_and_multiline_rows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('编号,姓名\n\nA1,"张\n三"\nA2,李四\n', encoding="utf-8")
    assert [line for line, _c in open_table(path).rows()] == [1, 3, 5]


def test_semicolon_delimiter(tmp_path):
    path = write_csv(tmp_path / "c.csv", ROWS, "utf-8", sep=";")
    assert list(open_table(path).rows())[1] == (2, ROWS[1])


def test_binary_and_missing_files_are_refused(tmp_path):
    with pytest.raises(FileError):
        open_table(tmp_path / "missing.csv")
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(FileError):
        list(open_table(junk).rows())
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook")
    with pytest.raises(FileError):
        open_table(fake)


def test_xlsx_cells_are_normalised(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["客户编号", "姓名", "手机", "生日", "金额"])
    ws.append(["A1", "张三", 13812345678, dt.date(1980, 5, 3), 1234.5])
    ws.append([None, None, None, None, None])
    ws.append([1001, "李四", None, "1980/5/3", 12])
    other = wb.create_sheet("其他")
    other.append(["x"])
    wb.save(tmp_path / "c.xlsx")
    table = open_table(tmp_path / "c.xlsx")
    assert table.format == "spreadsheet" and table.sheet == "客户" and table.sheets == ["客户", "其他"]
    assert list(table.rows()) == [
        (1, ["客户编号", "姓名", "手机", "生日", "金额"]),
        (2, ["A1", "张三", "13812345678", dt.date(1980, 5, 3), "1234.5"]),
        (4, ["1001", "李四", "", "1980/5/3", "12"]),
    ]
    assert list(open_table(tmp_path / "c.xlsx", sheet="其他").rows()) == [(1, ["x"])]
    with pytest.raises(FileError, match="其他"):
        open_table(tmp_path / "c.xlsx", sheet="nope")


def test_xlsx_used_range_below_row_one_keeps_line_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A3"], ws["B3"] = "编号", "姓名"
    ws["A4"], ws["B4"] = "A1", "张三"
    wb.save(tmp_path / "c.xlsx")
    assert [line for line, _c in open_table(tmp_path / "c.xlsx").rows()] == [3, 4]


def test_header_synonyms_in_any_order():
    assert header_key("手机号码（必填）*") == "手机号码"
    assert header_key(" Customer_Code ") == "customercode"
    rows = iter([(1, ["客户资料导出 2026-11-03"]), (2, ["Mobile", "备注", "姓名", "CUSTOMER_CODE"]), (3, ["x"])])
    header = find_header(rows, COLUMNS, "c.csv")
    assert header.line == 2
    assert header.index == {"mobile": 0, "name": 2, "customer_code": 3}
    assert header.ignored == ["备注"]
    assert next(rows) == (3, ["x"])  # data rows are not consumed


def test_translated_field_names_are_accepted():
    header = find_header(iter([(1, ["customer code", "name", "date of birth", "ID number"])]), COLUMNS, "c")
    assert set(header.index) == {"customer_code", "name", "birth_date", "id_number"}


def test_missing_required_and_duplicate_columns():
    with translation.override("en"):
        with pytest.raises(FileError, match="required column missing"):
            find_header(iter([(1, ["姓名", "手机"])]), COLUMNS, "c.csv")
        with pytest.raises(FileError, match="both mean"):
            find_header(iter([(1, ["编号", "姓名", "手机", "手机号"])]), COLUMNS, "c.csv")
        with pytest.raises(FileError, match="no header row"):
            find_header(iter([(1, ["a", "b"]), (2, ["c"])]), [Column("x", "x", ())], "c.csv")


@pytest.mark.parametrize("raw,expected", [
    ("2026-11-03", dt.date(2026, 11, 3)), ("2026/11/3", dt.date(2026, 11, 3)), ("2026.11.3", dt.date(2026, 11, 3)),
    ("2026年11月3日", dt.date(2026, 11, 3)), ("20261103", dt.date(2026, 11, 3)),
    ("2026/11/3 0:00", dt.date(2026, 11, 3)), (dt.datetime(2026, 11, 3, 8), dt.date(2026, 11, 3)),
])
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["03/11/2026", "2026-02-30", "yesterday", "46000"])
def test_parse_date_refuses_guesses(raw):
    with pytest.raises(CellError):
        parse_date(raw)


def test_excel_serial_dates_only_when_allowed():
    assert parse_date("46329", serial_ok=True) == dt.date(2026, 11, 3)


def test_parse_datetime_and_money():
    value = parse_datetime("2026/11/3 19:30")
    assert (value.year, value.month, value.day, value.hour, value.minute) == (2026, 11, 3, 19, 30)
    assert value.utcoffset() == dt.timedelta(hours=8)
    with pytest.raises(CellError):
        parse_datetime("2026/11/3 25:30")
    assert parse_decimal("¥1,234.50") == Decimal("1234.50")
    assert parse_decimal("1234.5元") == Decimal("1234.50")
    assert parse_decimal("-12") == Decimal("-12.00")
    for bad in ("12.345", "abc", "NaN"):
        with pytest.raises(CellError):
            parse_decimal(bad)
    assert parse_int("8") == 8 and parse_int("8.0") == 8
    with pytest.raises(CellError):
        parse_int("0", minimum=1)
    assert split_list("VIP，常客; 素食、 ") == ["VIP", "常客", "素食"]
