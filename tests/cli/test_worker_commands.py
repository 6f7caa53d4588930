"""Background jobs with real workers, not immediate mode (issue 12 point 3; core/jobs.py):
`yingke run-jobs --once` runs what is due and exits, `yingke worker` runs queued imports
until stopped (SQLite queue in $YINGKE_HOME, or Redis with REDIS_URL), and `yingke serve`
runs a worker beside the web server that dies with it. Each prints what it ran."""

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid

import pytest

from tests.cli.conftest import YINGKE
from tests.conftest import require

CSV = "单据号,客户编号,姓名,消费时间,实收,餐厅\nD001,C001,张三,2026-11-03 19:30,128.00,中餐厅\n" \
      "D002,C002,李四,2026-11-04 12:00,88,中餐厅\nD003,C001,张三,2026-02-30 19:00,1,中餐厅\n"
# Queue an import the way the web page does (engine.start_run + tasks.run_import), in a
# process of its own: the test process's jobs run immediately, a real worker's do not.
ENQUEUE = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingke.settings")
django.setup()
from yingke.core.models import Property, User
from yingke.imports import engine, tasks
run = engine.start_run("visits", Property.objects.get(code="H1"), sys.argv[1], user=User.objects.get(username="gm"),
                       source="web")
tasks.run_import(run.id)
print(run.id)
"""


@pytest.fixture
def site(cli, tmp_path):
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    proc = cli("user", "add", "gm", "--role", "gm", "--property", "H1", "--password", "Yingke-test-2026")
    assert proc.returncode == 0, proc.output
    path = tmp_path / "pos.csv"
    path.write_text(CSV, encoding="utf-8")
    cli.csv = path
    return cli


def enqueue(cli, env=None) -> int:
    proc = subprocess.run([sys.executable, "-c", ENQUEUE, str(cli.csv)], env={**cli.env(), **(env or {})},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return int(proc.stdout.strip().splitlines()[-1])


def state(cli, run_id):
    return cli.sql("SELECT state, created, rejected, pid FROM imports_importrun WHERE id = ?", (run_id,))[0]


def periodic_due() -> int:
    """How many periodic jobs the schedule has due this minute."""
    from yingke.core.jobs import autodiscover, huey

    autodiscover()
    return len(huey.read_periodic(huey._get_timestamp()))


def wait_for(cli, run_id, states=("done", "failed"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = state(cli, run_id)
        if row[0] in states:
            return row
        time.sleep(0.3)
    raise AssertionError(f"import {run_id} still {state(cli, run_id)} after {timeout} s")


def test_run_jobs_once_runs_what_is_queued_and_exits(site):
    run_id = enqueue(site)
    assert state(site, run_id)[0] == "queued"  # nobody ran it yet: a real queue, not immediate mode
    queue = site.home / "jobs.sqlite3"
    assert stat.S_IMODE(queue.stat().st_mode) == 0o600
    before = periodic_due()
    proc = site("run-jobs", "--once", lang="en")
    assert proc.returncode == 0, proc.output
    assert state(site, run_id)[:3] == ("done", 2, 1)
    assert f"import #{run_id}" in proc.stdout and "created 2" in proc.stdout
    # The import and the behaviour-pattern refresh it queues, plus the periodic jobs due at this
    # minute (housekeeping and escalations every five minutes, report figures and assignment every
    # ten, grading checks every fifteen …: counted from the schedule, the minute may turn meanwhile).
    ran = re.search(r"Ran (\d+) jobs?\.", proc.stdout)
    assert ran and 1 <= int(ran.group(1)) <= 2 + max(before, periodic_due()), proc.stdout
    before = periodic_due()
    again = site("run-jobs", "--once", lang="en")
    assert again.returncode == 0 and "import #" not in again.stdout
    # Only periodic jobs again, if this minute is a mark of theirs (their own report lines, "[hh:mm:ss] …",
    # come before the summary: the minute may turn to a mark of ten between the two runs).
    most = max(before, periodic_due())
    summary = re.sub(r"(?m)^\[\d\d:\d\d:\d\d\] .*\n", "", again.stdout)
    assert "No job was due" in summary or (
        (m := re.fullmatch(r"Ran (\d+) jobs?\.\n", summary)) and 1 <= int(m.group(1)) <= most), again.stdout


def _worker_finishes_a_queued_import(site, env=None):
    proc = subprocess.Popen([str(YINGKE), "worker"], env={**site.env("en"), **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        run_id = enqueue(site, env)
        assert wait_for(site, run_id)[:3] == ("done", 2, 1)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "Job worker running" in output and f"import #{run_id}" in output and "created 2" in output
    return output


def test_worker_runs_a_queued_import_from_the_sqlite_queue(site):
    output = _worker_finishes_a_queued_import(site)
    assert "SQLite" in output and str(site.home / "jobs.sqlite3") in output


def test_worker_runs_a_queued_import_from_redis(site):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
        up = True
    except redis.exceptions.ConnectionError:
        up = False
    require(up, "Redis on 127.0.0.1:6379")
    name = f"yingke-test-{uuid.uuid4().hex[:12]}"
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "YINGKE_JOBS_NAME": name}
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    try:
        output = _worker_finishes_a_queued_import(site, env)
        assert "Redis" in output
        assert not (site.home / "jobs.sqlite3").exists() or (site.home / "jobs.sqlite3").stat().st_size == 0
    finally:
        for key in client.scan_iter(f"huey.*{name}*"):
            client.delete(key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_serve_runs_a_worker_beside_the_web_server_and_stops_it(site):
    port = free_port()
    proc = subprocess.Popen([str(YINGKE), "serve", "--port", str(port)], env=site.env("en"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        run_id = enqueue(site)
        worker_pid = wait_for(site, run_id, timeout=90)[3]
        assert state(site, run_id)[:3] == ("done", 2, 1)
        assert worker_pid and worker_pid != proc.pid and alive(worker_pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "Job worker running" in output and f"import #{run_id}" in output
    deadline = time.monotonic() + 10
    while alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(worker_pid), "the worker outlived the server"


def test_serve_without_worker_leaves_jobs_queued(site):
    port = free_port()
    proc = subprocess.Popen([str(YINGKE), "serve", "--no-worker", "--port", str(port)], env=site.env("en"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        run_id = enqueue(site)
        time.sleep(4)
        assert state(site, run_id)[0] == "queued"
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "Job worker running" not in output


def test_worker_refuses_immediate_mode(site):
    proc = subprocess.run(
        [str(YINGKE), "worker"], env={**site.env("en"), "YINGKE_JOBS_IMMEDIATE": "1"}, capture_output=True,
        text=True, timeout=60)
    assert proc.returncode == 2 and "immediately" in proc.stderr
