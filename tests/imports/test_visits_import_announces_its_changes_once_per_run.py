"""A visits or stays import that writes rows sends visits_changed once per run, in the
transaction of its last step (the report aggregates mark their days stale); a run that
writes nothing, and a dry run, send nothing; an interrupted run's committed batches are
announced by `announce_runs` (issue 13)."""

import pytest
from django.db import connection

from yingke.imports.visits import VisitImporter, announce_runs
from yingke.visits.models import Visit
from yingke.visits.signals import visits_changed

from .conftest import do_import, write_csv

HEADER = "单据号,客户编号,结账时间,实收,人数,餐厅"
LINES = [HEADER, "S1,C001,2026-11-01 12:00,100,2,中餐厅", "S2,C002,2026-11-01 13:00,200,2,中餐厅",
         "S3,C003,2026-11-02 19:00,300,4,中餐厅", "S4,C001,2026-11-03 19:00,50,1,西餐厅",
         "S5,C002,2026-11-04 19:00,60,1,西餐厅"]


@pytest.fixture
def sent():
    calls = []

    def receiver(sender, property_id, times=None, **kwargs):
        calls.append((sender, property_id, times, connection.in_atomic_block))

    visits_changed.connect(receiver, dispatch_uid="test.visits_changed")
    yield calls
    visits_changed.disconnect(dispatch_uid="test.visits_changed")


def test_a_run_of_several_batches_announces_once_inside_a_transaction(world, tmp_path, sent, monkeypatch):
    monkeypatch.setattr(VisitImporter, "batch_size", 2)  # three batches
    outcome = do_import("visits", write_csv(tmp_path / "a.csv", LINES), world.h1)
    assert outcome.run.created == 5
    assert sent == [(Visit, world.h1.pk, None, True)]


def test_a_run_that_writes_nothing_announces_nothing(world, tmp_path, sent):
    do_import("visits", write_csv(tmp_path / "a.csv", LINES), world.h1)
    sent.clear()
    again = do_import("visits", write_csv(tmp_path / "a.csv", LINES), world.h1)
    assert again.run.unchanged == 5 and sent == []
    bad = do_import("visits", write_csv(tmp_path / "b.csv", [HEADER, "S9,C001,2026-02-30 12:00,1,1,中餐厅"]),
                    world.h1)
    assert bad.run.rejected == 1 and sent == []


def test_a_correction_alone_is_announced(world, tmp_path, sent):
    do_import("visits", write_csv(tmp_path / "a.csv", LINES), world.h1)
    sent.clear()
    fixed = list(LINES)
    fixed[1] = "S1,C001,2026-11-01 12:00,120,2,中餐厅"
    outcome = do_import("visits", write_csv(tmp_path / "b.csv", fixed), world.h1)
    assert outcome.run.updated == 1
    assert sent == [(Visit, world.h1.pk, None, True)]


def test_a_dry_run_announces_nothing(world, tmp_path, sent):
    outcome = do_import("visits", write_csv(tmp_path / "a.csv", LINES), world.h1, dry_run=True)
    assert outcome.run.created == 5 and sent == []


def test_stays_are_announced_too(world, tmp_path, sent):
    lines = ["单据号,客户编号,入住,离店,房价,渠道,金额", "F1,C001,2026-10-01,2026-10-03,680,携程,1360"]
    outcome = do_import("stays", write_csv(tmp_path / "s.csv", lines), world.h1)
    assert outcome.run.created == 1 and sent == [(Visit, world.h1.pk, None, True)]


def test_the_committed_batches_of_runs_that_did_not_finish_are_announced_per_property(world, tmp_path, sent):
    first = do_import("visits", write_csv(tmp_path / "a.csv", LINES), world.h1)
    other = do_import("visits", write_csv(tmp_path / "b.csv", ["单据号,姓名,结账时间,实收", "T1,张三,2026-11-01 12:00,1"]),
                      world.h2)
    sent.clear()
    assert announce_runs([first.run.pk, other.run.pk]) == 2
    assert sorted(p for _s, p, _t, _a in sent) == sorted([world.h1.pk, world.h2.pk])
    sent.clear()
    assert announce_runs([]) == 0 and sent == []
