"""A large visit file is read and parsed by a second process while the importing process
looks up and writes (imports.ahead, R-3.2 speed). The results are the same as parsing
in-process (every visit import test runs both ways, `both_readers`); here: the parsing
really happens elsewhere, a file that cannot be read half-way and a fault in the reader
fail the run as they would in-process (the committed batches stay), and the reader never
outlives its run."""

import multiprocessing
import os

import pytest

from yingke.imports import visits
from yingke.imports.models import ImportRun
from yingke.imports.reading import CHUNK
from yingke.visits.models import Visit

from .conftest import do_import, write_csv


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(visits, "PARSE_AHEAD_ROWS", 0)
    monkeypatch.setattr(visits.VisitImporter, "batch_size", 5)


def bills(n: int, start: int = 1) -> list[str]:
    return [f"R{i},C001,2026-11-0{1 + i % 9} 12:00,{i}.50" for i in range(start, start + n)]


HEADER = "单据号,客户编号,消费时间,实收"


def test_the_rows_are_parsed_by_another_process(world, tmp_path, small_batches, monkeypatch):
    pids = tmp_path / "pids"
    parse = visits.VisitImporter._parse

    def recording(self, row):
        with pids.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return parse(self, row)

    monkeypatch.setattr(visits.VisitImporter, "_parse", recording)
    out = do_import("visits", write_csv(tmp_path / "v.csv", [HEADER, *bills(12)]), world.h1)
    assert (out.run.state, out.run.created) == (ImportRun.State.DONE, 12)
    parsed_by = pids.read_text().split()
    assert len(parsed_by) == 12 and str(os.getpid()) not in parsed_by
    assert multiprocessing.active_children() == []


def test_a_file_unreadable_half_way_fails_the_run_and_keeps_the_earlier_batches(world, tmp_path, small_batches):
    # line 13 holds a field beyond the reader's limit: csv cannot read on from there
    path = write_csv(tmp_path / "v.csv", [HEADER, *bills(11), 'R99,C001,2026-11-01 12:00,"' + "9" * (10 * CHUNK + 1)
                                          + '"'])
    out = do_import("visits", path, world.h1)
    assert out.run.state == ImportRun.State.FAILED
    assert out.run.message.startswith("v.csv, line 13: cannot read the file")
    # two whole batches of five were committed before the failing one (lines 12 and 13)
    assert (out.run.created, Visit.objects.count()) == (10, 10)
    assert multiprocessing.active_children() == []


def test_a_fault_in_the_reader_fails_the_run_like_any_fault(world, tmp_path, small_batches, monkeypatch):
    parse = visits.VisitImporter._parse

    def broken(self, row):
        if row.line == 9:
            raise ZeroDivisionError("a bug")
        return parse(self, row)

    monkeypatch.setattr(visits.VisitImporter, "_parse", broken)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug"):  # with the reader's traceback, for the log
        do_import("visits", write_csv(tmp_path / "v.csv", [HEADER, *bills(12)]), world.h1)
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.FAILED
    assert "unexpected error" in run.message and "a bug" not in run.message  # details go to the log only
    assert (run.created, Visit.objects.count()) == (5, 5)
    assert multiprocessing.active_children() == []


def test_a_failing_batch_stops_the_reader_at_once(world, tmp_path, small_batches, monkeypatch):
    end_batch, calls = visits.VisitImporter.end_batch, []

    def failing(self):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return end_batch(self)

    monkeypatch.setattr(visits.VisitImporter, "end_batch", failing)
    with pytest.raises(KeyboardInterrupt):
        do_import("visits", write_csv(tmp_path / "v.csv", [HEADER, *bills(40)]), world.h1)
    run = ImportRun.objects.get()
    assert (run.state, run.created) == (ImportRun.State.INTERRUPTED, 5)
    assert multiprocessing.active_children() == []
