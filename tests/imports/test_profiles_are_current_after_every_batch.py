"""The consumption profile (R-2.3) is refreshed with every committed batch of a visit
import, in the batch's transaction like the run's counters: a run that fails, is
interrupted or killed after some batches leaves no stale profile behind."""

import pytest

from yingke.core.permissions import SYSTEM
from yingke.customers.models import Customer
from yingke.imports import engine
from yingke.imports.models import ImportRun
from yingke.imports.visits import VisitImporter

from .conftest import write_csv

LINES = ["单据号,客户编号,消费时间,实收", "D1,C001,2026-11-03 19:30,100", "D2,C004,2026-11-04 19:30,12"]


def test_an_interrupted_run_leaves_the_committed_batches_profiles_current(world, tmp_path, monkeypatch):
    monkeypatch.setattr(VisitImporter, "batch_size", 1)
    f = write_csv(tmp_path / "pos.csv", LINES)
    run = engine.start_run("visits", world.h1, f)

    def progress(run):  # Ctrl-C right after the first batch committed
        if run.rows_done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.execute_run(run, actor=SYSTEM, on_progress=progress)
    run.refresh_from_db()
    assert run.state == ImportRun.State.INTERRUPTED and run.created == 1
    first = Customer.objects.get(pk=world.c_am1.pk)
    assert (first.visit_count, str(first.total_spend)) == (1, "100.00")
    assert Customer.objects.get(pk=world.c_pool.pk).visit_count == 0  # its batch never ran

    rerun = engine.execute_run(engine.start_run("visits", world.h1, f), actor=SYSTEM)
    assert (rerun.created, rerun.unchanged, rerun.resumes_id) == (1, 1, run.pk)
    assert Customer.objects.get(pk=world.c_am1.pk).visit_count == 1
    assert Customer.objects.get(pk=world.c_pool.pk).visit_count == 1


def test_a_dry_run_changes_no_profile(world, tmp_path):
    f = write_csv(tmp_path / "pos.csv", LINES)
    run = engine.execute_run(engine.start_run("visits", world.h1, f, dry_run=True), actor=SYSTEM)
    assert run.created == 2
    assert Customer.objects.get(pk=world.c_am1.pk).visit_count == 0
