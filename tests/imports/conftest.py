"""Helpers for the import engine tests: run an import in-process (against the test
database) and collect its rejected rows."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from yingke.core.permissions import SYSTEM
from yingke.imports.engine import execute_run, start_run
from yingke.imports.pipeline import REJECTED

FILES = Path(__file__).parent / "files"


class Outcome:
    def __init__(self, run, results):
        self.run = run
        self.results = results
        self.rejected = {r.line: r for r in results if r.outcome == REJECTED}

    def problem(self, line, i=0):
        return self.rejected[line].problems[i]


def do_import(kind, path, prop, actor=SYSTEM, language="en", **options) -> Outcome:
    results = []
    with translation.override(language):
        run = start_run(kind, prop, path, user=actor if actor is not SYSTEM else None, **options)
        execute_run(run, actor=actor, on_result=results.append)
    run.refresh_from_db()
    return Outcome(run, results)


def write_csv(path: Path, lines, encoding="utf-8-sig") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def visits_xlsx(tmp_path) -> Path:
    """A POS export saved by Excel: English headers in another order, an extra column,
    real date cells, an Excel serial number, numbers as numbers, and bad rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "账单"
    ws.append(["Amount", "Bill No", "Guest name", "Mobile", "Date", "Outlet", "Notes"])
    ws.append([128.5, "X001", "张三", 13812345678, dt.datetime(2026, 11, 3, 19, 30), "中餐厅", "ok"])  # line 2
    ws.append(["￥2,000", "X002", "单田芳", "１３９１２３４０００１", 46329.8125, "CN", None])  # line 3: serial
    ws.append([50, "X003", "张三", 13812345678, "2026-02-30", "中餐厅", None])  # line 4
    ws.append(["abc", "X004", "张三", 13812345678, dt.date(2026, 11, 4), "中餐厅", None])  # line 5
    ws.append([60, "X005", "张三", 13812345678, None, "中餐厅", None])  # line 6
    ws.append(["12.3.4", "X006", "张三", 13812345678, "2026/11/5 12:00", "中餐厅", None])  # line 7
    ws.append([None, "X007", "张三", 13812345678, "2026/11/5 12:00", "中餐厅", None])  # line 8
    ws.append([-20, "X008", "曾国藩", 13712340002, dt.date(2026, 11, 6), "中餐厅", "退款"])  # line 9
    path = tmp_path / "pos.xlsx"
    wb.save(path)
    return path


@pytest.fixture(params=["in process", "read ahead"])
def both_readers(request, monkeypatch):
    """Run a visit-import test twice: parsing in-process, and with every file (however
    small) read and parsed ahead by a second process (imports.ahead)."""
    from yingke.imports import ahead, visits

    if request.param == "read ahead":
        assert ahead.available(), "the tests run single-threaded, so forking is allowed"
        monkeypatch.setattr(visits, "PARSE_AHEAD_ROWS", 0)
    else:
        monkeypatch.setattr(visits, "PARSE_AHEAD_ROWS", 10**12)
    return request.param
