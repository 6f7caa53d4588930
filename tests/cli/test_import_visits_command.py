"""`yingke import visits|stays` in a subprocess (R-3.2, R-12.4): summary line and exit
statuses, new outlets named, the errors file, no progress bar when piped, and a real
`kill -9` half-way: only whole batches are stored, the run shows as interrupted, and the
same command finishes the job with exactly one visit per document."""

import csv
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from .conftest import YINGKE

FILES = Path(__file__).resolve().parent.parent / "imports" / "files"


def setup(cli, tmp_path, customers=50):
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    path = tmp_path / "c.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["客户编号", "姓名", "手机"])
        w.writerows([f"C{i:03d}", f"客人{i}", f"1391234{i:04d}"] for i in range(customers))
    assert cli("import", "customers", path, "--property", "H1").returncode == 0


def visits_file(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单据号", "客户编号", "结账时间", "实收", "人数", "餐厅"])
        w.writerows([f"P{i:07d}", f"C{i % 50:03d}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 12:00",
                     f"{100 + i % 900}.50", 1 + i % 8, "中餐厅"] for i in range(n))
    return path


def test_gbk_export_summary_errors_file_and_exit_status(cli, tmp_path):
    setup(cli, tmp_path)
    errors = tmp_path / "errors.csv"
    proc = cli("import", "visits", FILES / "pos_gbk.csv", "--property", "H1", "--errors", errors)
    assert proc.returncode == 1, proc.output
    assert "pos_gbk.csv 第 6 行，“结账时间”列，值“2026-02-30”：" in proc.stderr
    assert "\r" not in proc.stderr  # no progress bar when not on a terminal
    assert "忽略的列：备注" in proc.stdout
    assert "中餐厅、西餐厅" in proc.stdout  # the outlets created on first sight are named
    assert "新建 4，更新 0，未变 0，拒绝 7" in proc.stdout, proc.stdout  # 李四 and 王五 get new files; VIP-9 is nobody
    assert errors.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(errors.read_text(encoding="utf-8-sig").splitlines()) == 8
    again = cli("import", "visits", FILES / "pos_gbk.csv", "--property", "H1", lang="en")
    assert again.returncode == 1 and "created 0, updated 0, unchanged 4, rejected 7" in again.stdout
    assert cli.sql("SELECT COUNT(*) FROM visits_visit") == [(4,)]
    assert cli.sql("SELECT state, created, rejected FROM imports_importrun WHERE kind = 'visits' ORDER BY id") == [
        ("done", 4, 7), ("done", 0, 7)]


def test_stays_dry_run_and_file_errors(cli, tmp_path):
    setup(cli, tmp_path)
    path = tmp_path / "pms.csv"
    path.write_text("账单号,客户编号,到店,离店,房型,房价,渠道,金额\n"
                    "S1,C001,2026-10-01,2026-10-03,大床房,500,携程,1000\n", encoding="utf-8")
    proc = cli("import", "stays", path, "--property", "H1", "--dry-run")
    assert proc.returncode == 0 and "试运行，未做任何修改：新建 1" in proc.stdout, proc.output
    assert cli.sql("SELECT COUNT(*) FROM visits_visit") == [(0,)]
    proc = cli("import", "stays", path, "--property", "H1")
    assert proc.returncode == 0 and "新建 1" in proc.stdout
    assert cli.sql("SELECT nights, occasion, room_type FROM visits_visit") == [(2, "stay", "大床房")]
    missing = tmp_path / "v.csv"
    missing.write_text("单据号,客户编号,金额\nV1,C001,10\n", encoding="utf-8")
    proc = cli("import", "visits", missing, "--property", "H1")
    assert proc.returncode == 2 and "缺少必需的列" in proc.stderr
    proc = cli("import", "visits", tmp_path / "nope.csv", "--property", "H1")
    assert proc.returncode == 2 and "找不到文件" in proc.stderr


def test_only_importers_may_import(cli, tmp_path):
    setup(cli, tmp_path)
    cli("user", "add", "am1", "--role", "account_manager", "--property", "H1", "--password", "Secret-pass-1")
    cli("user", "add", "gm1", "--role", "gm", "--property", "H1", "--password", "Secret-pass-1")
    path = visits_file(tmp_path / "v.csv", 3)
    proc = cli("import", "visits", path, "--property", "H1", "--user", "am1", lang="en")
    assert proc.returncode == 2 and "may not import" in proc.stderr
    proc = cli("import", "visits", path, "--property", "H1", "--user", "gm1")
    assert proc.returncode == 0, proc.output
    assert cli.sql("SELECT u.username FROM imports_importrun r JOIN core_user u ON u.id = r.user_id "
                   "WHERE r.kind = 'visits'") == [("gm1",)]


def _wait_for_first_batch(cli, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
        try:
            with sqlite3.connect(cli.home / "yingke.sqlite3", timeout=1) as db:
                row = db.execute("SELECT rows_done FROM imports_importrun WHERE kind = 'visits'").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row and row[0] >= 5000:
            return
        time.sleep(0.05)
    raise AssertionError("no batch was committed in time")


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_kill_9_half_way_then_the_same_command_finishes_the_job(cli, tmp_path):
    setup(cli, tmp_path)
    n = 60_000
    path = visits_file(tmp_path / "big.csv", n)
    proc = subprocess.Popen([str(YINGKE), "import", "visits", str(path), "--property", "H1"], env=cli.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_first_batch(cli, proc)
        readers = _children(proc.pid)  # the process reading ahead (imports.ahead)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert len(readers) == 1
    deadline = time.monotonic() + 20
    while Path(f"/proc/{readers[0]}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{readers[0]}").exists(), "the reader outlived the killed import"
    (state, rows_done, created, pid), = cli.sql("SELECT state, rows_done, created, pid FROM imports_importrun "
                                                "WHERE kind = 'visits'")
    assert state == "running" and pid == proc.pid  # nobody could say otherwise yet
    stored = cli.sql("SELECT COUNT(*) FROM visits_visit")[0][0]
    assert stored == created == rows_done and 0 < stored < n and stored % 5000 == 0  # whole batches only

    again = cli("import", "visits", path, "--property", "H1", lang="en", timeout=600)
    assert again.returncode == 0, again.output
    assert "Finishing the interrupted import #" in again.stdout
    assert f"created {n - stored}, updated 0, unchanged {stored}, rejected 0" in again.stdout
    runs = cli.sql("SELECT id, state, resumes_id FROM imports_importrun WHERE kind = 'visits' ORDER BY id")
    assert [(r[1], r[2]) for r in runs] == [("interrupted", None), ("done", runs[0][0])]
    assert cli.sql("SELECT COUNT(*), COUNT(DISTINCT doc_no) FROM visits_visit") == [(n, n)]
    # the profiles of the files touched by the killed run are current too
    assert cli.sql("SELECT SUM(visit_count) FROM customers_customer") == [(n,)]


def test_ctrl_c_leaves_the_run_interrupted_and_says_how_to_finish(cli, tmp_path):
    setup(cli, tmp_path)
    path = visits_file(tmp_path / "big.csv", 240_000)  # long enough that Ctrl-C lands mid-import
    env = dict(cli.env(), LANG="en_US.UTF-8")
    proc = subprocess.Popen([str(YINGKE), "import", "visits", str(path), "--property", "H1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_first_batch(cli, proc)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "run the same command again to finish the import" in err
    (state, rows_done), = cli.sql("SELECT state, rows_done FROM imports_importrun WHERE kind = 'visits'")
    assert state == "interrupted" and cli.sql("SELECT COUNT(*) FROM visits_visit") == [(rows_done,)]
