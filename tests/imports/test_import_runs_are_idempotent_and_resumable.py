"""The import engine's runs (R-3.2, R-12.3, R-12.4): a re-import stores nothing twice, a
changed document is a correction recorded in history, batches commit one by one with the
run's counters, a failed write is replayed row by row, an interrupted run is finished by a
re-run, a dry run keeps only its record, the errors file can be fixed and re-imported."""

import csv
import io
import os
import socket
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from yingke.customers.models import Customer
from yingke.imports import engine
from yingke.imports.engine import execute_run, mark_interrupted, preview, start_run, write_errors
from yingke.imports.models import ImportProblem, ImportRun
from yingke.imports.visits import VisitImporter
from yingke.visits.models import Visit

from .conftest import FILES, do_import, write_csv

HEADER = "单据号,客户编号,结账时间,实收,人数,餐厅"


def test_reimport_is_unchanged_and_a_changed_document_is_a_correction(world, tmp_path):
    lines = [HEADER, "R1,C001,2026-11-01 12:00,100,2,中餐厅", "R2,C002,2026-11-01 13:00,200,2,中餐厅",
             ",C004,2026-11-01 14:00,300,2,中餐厅"]
    first = do_import("visits", write_csv(tmp_path / "a.csv", lines), world.h1)
    assert first.run.created == 3
    again = do_import("visits", write_csv(tmp_path / "a.csv", lines), world.h1)
    assert (again.run.created, again.run.updated, again.run.unchanged) == (0, 0, 3)
    assert Visit.objects.filter(property=world.h1).count() == 3
    r1 = Visit.objects.get(doc_no="R1")
    assert r1.history.count() == 0 and r1.import_run == first.run  # its creation is the run's record

    lines[1] = "R1,C001,2026-11-01 12:00,120,3,中餐厅"  # the POS corrected bill R1
    lines[3] = ",C004,2026-11-01 14:00,310,2,中餐厅"  # no document number: a different row, a new visit
    fixed = do_import("visits", write_csv(tmp_path / "b.csv", lines), world.h1, actor=world.gm)
    assert (fixed.run.created, fixed.run.updated, fixed.run.unchanged) == (1, 1, 1)
    r1.refresh_from_db()
    assert (r1.amount, r1.covers, r1.import_run) == (Decimal("120.00"), 3, fixed.run)
    records = list(r1.history.order_by("history_id"))
    assert [h.history_type for h in records] == ["+", "~"]
    assert (records[0].amount, records[0].history_change_reason) == (Decimal("100.00"), f"import #{first.run.pk} a.csv")
    assert (records[1].amount, records[1].history_user, records[1].history_change_reason) == (
        Decimal("120.00"), world.gm, f"import #{fixed.run.pk} b.csv")
    delta = records[1].diff_against(records[0])
    assert {"amount", "covers"} <= {c.field for c in delta.changes}
    world.c_am1.refresh_from_db()
    assert world.c_am1.total_spend == Decimal("120.00")  # the profile follows the correction


@translation.override("en")  # the messages asserted are the English ones
def test_batches_commit_with_the_counters_and_an_interrupted_run_is_finished_by_a_rerun(world, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setattr(VisitImporter, "batch_size", 40)
    lines = [HEADER] + [f"K{i:03d},C00{1 + i % 4},2026-11-01 12:00,{10 + i},2,中餐厅" for i in range(100)]
    path = write_csv(tmp_path / "k.csv", lines)
    run = start_run("visits", world.h1, path)
    seen = []

    def stop(result):
        seen.append(result.line)
        if len(seen) == 50:  # in the second batch: the first is committed, the second is not
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute_run(run, actor=world.gm, on_result=stop)
    run.refresh_from_db()
    assert run.state == ImportRun.State.INTERRUPTED and "again" in run.message
    assert (run.rows_done, run.created, run.last_line) == (80, 80, 81)
    assert Visit.objects.filter(property=world.h1).count() == 80  # whole batches only; counters say so
    rerun = start_run("visits", world.h1, path)
    assert rerun.resumes == run
    execute_run(rerun, actor=world.gm)
    assert (rerun.state, rerun.created, rerun.unchanged) == (ImportRun.State.DONE, 20, 80)
    assert Visit.objects.filter(property=world.h1).count() == 100
    assert Visit.objects.filter(property=world.h1, doc_no="K000").count() == 1


def test_a_failed_batch_write_is_replayed_row_by_row(world, tmp_path, monkeypatch):
    """A row the checks let through but the database refuses (here a negative number of
    covers slipped past the parser, refused by the column's CHECK constraint): the batch's
    insert fails, the batch is rolled back and replayed row by row, and only that row is
    rejected, with the database's reason."""
    real = VisitImporter.start_batch

    def start_batch(self, rows):
        real(self, rows)
        for p in self.prepared.values():
            if p.values and p.values["doc_no"] == "F2":
                p.values["covers"] = -1

    monkeypatch.setattr(VisitImporter, "start_batch", start_batch)
    path = write_csv(tmp_path / "f.csv", [
        "单据号,客户编号,姓名,手机,结账时间,实收,人数,餐厅",
        "F1,C001,,,2026-11-01 12:00,10,2,中餐厅", "F2,C001,,,2026-11-01 12:00,20,2,中餐厅",
        "F3,C001,,,2026-11-01 12:00,30,2,", "F4,,新客人,13700001234,2026-11-01 12:00,40,2,酒吧",
        "F5,,新客人,13700001234,2026-11-02 12:00,50,2,酒吧"])
    out = do_import("visits", path, world.h1)
    assert out.run.state == ImportRun.State.DONE
    assert (out.run.created, out.run.rejected) == (4, 1)
    assert out.problem(3).column == "单据号" and out.problem(3).reason.startswith("This row could not be stored")
    assert sorted(Visit.objects.values_list("doc_no", "amount")) == [
        ("F1", Decimal("10.00")), ("F3", Decimal("30.00")), ("F4", Decimal("40.00")), ("F5", Decimal("50.00"))]
    world.c_am1.refresh_from_db()
    assert world.c_am1.visit_count == 2
    # what the rolled-back batch had created (a guest file, an outlet) exists once, as replayed
    guest = Customer.objects.get(property=world.h1, name="新客人")
    assert guest.visits.count() == 2 and guest.visit_count == 2
    assert world.h1.outlets.filter(name="酒吧").count() == 1 and out.run.new_outlets == ["酒吧"]


def test_dry_run_keeps_the_record_and_its_problems_only(world):
    Customer.objects.filter(pk=world.c_am3.pk).update(card_no="VIP-9")
    out = do_import("visits", FILES / "pos_gbk.csv", world.h1, dry_run=True)
    run = out.run
    assert run.dry_run and run.state == ImportRun.State.DONE
    assert (run.created, run.rejected, run.new_outlets) == (5, 6, ["西餐厅"])
    assert ImportProblem.objects.filter(run=run).count() == 6
    assert not Visit.objects.exists()
    assert not world.h1.outlets.filter(name="西餐厅").exists()
    assert not world.h1.customers.filter(name="王五").exists()


@translation.override("en")  # the messages asserted are the English ones
def test_errors_file_can_be_fixed_and_reimported(world, tmp_path):
    Customer.objects.filter(pk=world.c_am3.pk).update(card_no="VIP-9")
    out = do_import("visits", FILES / "pos_gbk.csv", world.h1)
    errors = tmp_path / "errors.csv"
    assert write_errors(out.run, errors) == 6
    raw = errors.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["单据号", "客户编号", "会员卡号", "姓名", "手机", "结账时间", "实收", "人数", "餐厅", "桌号",
                       "场合", "备注", "错误原因 / reason"]
    assert rows[1][:7] == ["D004", "C001", "", "", "", "2026-02-30", "12"]
    assert rows[1][-1] == "line 6 “结账时间”: This date or time does not exist."
    assert [r[0] for r in rows[1:]] == ["D004", "D005", "D006", "D007", "D008", "D001"]
    # staff fix the dates and amounts, drop the duplicate, and import the file again
    fixed = [rows[0]]
    for r in rows[1:]:
        if r[0] == "D001":
            continue
        r[5] = r[5] if r[5] and r[5] != "2026-02-30" else "2026-02-28"
        r[6] = "12.30" if r[6] in ("", "12.3.4", "一百元") else r[6]
        fixed.append(r)
    with errors.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(fixed)
    again = do_import("visits", errors, world.h1)
    assert (again.run.created, again.run.rejected) == (5, 0)
    assert again.run.options["header"][-1] == "错误原因 / reason"  # ignored as an extra column
    assert Visit.objects.filter(property=world.h1).count() == 10


def test_preview_and_a_mapping_chosen_by_the_user(world, tmp_path):
    path = write_csv(tmp_path / "odd.csv", ["票号,会员,时刻,钱", "Z1,C001,2026-11-01 12:00,88", "Z2,C002,2026-11-02,99"])
    p = preview("visits", path)
    assert p.error.startswith("odd.csv ") and p.mapping == {}
    # … but offers its likeliest header row and the rows below it, for the user to map
    assert (p.header_line, p.names) == (1, ["票号", "会员", "时刻", "钱"])
    assert [line for line, _cells in p.rows] == [2, 3]
    path2 = write_csv(tmp_path / "ok.csv", ["单据号,客户编号,日期,金额,备注", "Z1,C001,2026-11-01 12:00,88,x"])
    p = preview("visits", path2)
    assert (p.error, p.header_line, p.names) == ("", 1, ["单据号", "客户编号", "日期", "金额", "备注"])
    assert p.mapping == {"doc_no": 0, "customer_code": 1, "occurred_at": 2, "amount": 3}
    assert p.rows == [(2, ["Z1", "C001", "2026-11-01 12:00", "88", "x"])]
    assert [c for c in p.columns if c[2]] == [("occurred_at", str(Visit._meta.get_field("occurred_at").verbose_name),
                                             True), ("amount", str(Visit._meta.get_field("amount").verbose_name), True)]
    # the user maps the unknown header by hand
    mapping = {"doc_no": 0, "customer_code": 1, "occurred_at": 2, "amount": 3}
    out = do_import("visits", path, world.h1, mapping=mapping)
    assert out.run.created == 2 and out.run.options["header_line"] == 1
    assert Visit.objects.get(doc_no="Z2").customer == world.c_am2
    bad = do_import("visits", path, world.h1, mapping={"doc_no": 0, "amount": 9})
    assert bad.run.state == ImportRun.State.FAILED and "mapping" in bad.run.message


def test_runs_whose_process_is_gone_or_silent_become_interrupted(world, tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    path = write_csv(tmp_path / "x.csv", [HEADER])
    here, alive, silent = (start_run("visits", world.h1, path) for _i in range(3))
    ImportRun.objects.filter(pk=here.pk).update(state="running", pid=dead.pid, host=socket.gethostname(),
                                                heartbeat_at=timezone.now())
    ImportRun.objects.filter(pk=alive.pk).update(state="running", pid=os.getpid(), host=socket.gethostname(),
                                                 heartbeat_at=timezone.now())
    ImportRun.objects.filter(pk=silent.pk).update(state="running", pid=1, host="elsewhere",
                                                  heartbeat_at=timezone.now() - timedelta(minutes=6))
    assert mark_interrupted() == 2
    states = dict(ImportRun.objects.values_list("pk", "state"))
    assert (states[here.pk], states[alive.pk], states[silent.pk]) == ("interrupted", "running", "interrupted")


def test_a_user_who_may_not_import_fails_the_run(world, tmp_path):
    path = write_csv(tmp_path / "x.csv", [HEADER, "Q1,C001,2026-11-01 12:00,10,2,中餐厅"])
    out = do_import("visits", path, world.h1, actor=world.am1)
    assert out.run.state == ImportRun.State.FAILED and out.run.message
    assert not Visit.objects.exists()
    assert set(engine.IMPORTERS) == {"customers", "visits", "stays"}
