"""Background jobs: the one huey instance (ARCHITECTURE: "huey covers both ends").

    from yingke.core.jobs import huey

    @huey.task()
    def run_import(run_id): ...

Storage (settings.HUEY): SQLite at $YINGKE_HOME/jobs.sqlite3 (mode 0600, like the database)
by default, so one hotel needs nothing but the `yingke` process; Redis when REDIS_URL is
set (a group running several web servers). Under tests `immediate` runs a task at the
moment it is queued, in the caller's thread, against an in-memory queue.

Tasks live in the domain apps (`<app>/tasks.py`; core imports none of them): a worker
imports every installed app's `tasks` module (`autodiscover`) before it starts, so that
every task, periodic ones included, is registered.

Who runs them:
  `yingke serve`      a worker process beside the web server (dies with it; `--no-worker`)
  `yingke worker`     a worker alone (another machine, or a server started without one)
  `yingke run-jobs --once`  what is due now, then exits (for cron)
Each prints what it ran (`report`, logger "yingke.jobs"). Tasks must be idempotent: a
task interrupted by a restart may run again.
"""

import importlib
import logging
import time

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _
from huey import RedisHuey, SqliteHuey, signals
from huey.api import PeriodicTask

from yingke.home import private_file

logger = logging.getLogger("yingke.jobs")
RUN_DUE_LIMIT = 10_000  # a task that keeps queueing itself cannot keep `run-jobs --once` from ending


def make_huey():
    """The huey instance described by settings.HUEY."""
    config = settings.HUEY
    common = {"name": config["name"], "results": False, "immediate": config["immediate"], "utc": True}
    if config.get("redis_url"):
        return RedisHuey(url=config["redis_url"], **common)
    path = config["sqlite_path"]
    if not config["immediate"]:
        private_file(path)  # 0600 before SQLite creates it; -wal and -shm get the same mode
    instance = SqliteHuey(filename=str(path), timeout=10, **common)
    if not config["immediate"]:
        instance.storage.close()  # the table check's connection: never carried into a forked process
    return instance


huey = make_huey()


def backend_name() -> str:
    """Where the queue is kept, for the start-up line of a worker."""
    if huey.immediate:
        return "immediate"
    if settings.HUEY.get("redis_url"):
        return "Redis"
    return f"SQLite {settings.HUEY['sqlite_path']}"


def autodiscover() -> list[str]:
    """Import `<app>.tasks` of every installed app that has one; returns their names."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.tasks"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:  # the module exists but fails to import something: say so
                raise
            continue
        found.append(name)
    return found


def report(message: str) -> None:
    """One line about a job for the worker's output (INFO on logger "yingke.jobs")."""
    logger.info(message)


# ---- database connections in worker threads ---------------------------------------------
# A worker thread is like a request: start and end each task without a stale or broken
# connection. In immediate mode the task runs inside the caller (a request, a test), whose
# connection is not ours to close.

@huey.pre_execute()
def _fresh_connection(task):
    if not huey.immediate:
        close_old_connections()


@huey.post_execute()
def _release_connection(task, task_value, exc):
    if not huey.immediate:
        close_old_connections()


# ---- what a worker prints -------------------------------------------------------------------

_started: dict[str, float] = {}


def _label(task) -> str:
    return f"{task.name} {task.id[:8]}"


@huey.signal(signals.SIGNAL_EXECUTING)
def _on_executing(signal, task, *args):
    _started[task.id] = time.monotonic()
    if isinstance(task, PeriodicTask):  # housekeeping speaks only when it has something to say
        return
    report(_("started %(task)s") % {"task": _label(task)})


@huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR, signals.SIGNAL_INTERRUPTED)
def _on_finished(signal, task, exc=None, *args):
    seconds = time.monotonic() - _started.pop(task.id, time.monotonic())
    if signal == signals.SIGNAL_COMPLETE and isinstance(task, PeriodicTask):
        return
    if signal == signals.SIGNAL_COMPLETE:
        report(_("finished %(task)s (%(seconds).1f s)") % {"task": _label(task), "seconds": seconds})
    elif signal == signals.SIGNAL_ERROR:
        report(_("failed %(task)s (%(seconds).1f s): %(error)s") % {"task": _label(task), "seconds": seconds,
                                                                     "error": exc or type(exc).__name__})
    else:
        report(_("interrupted %(task)s") % {"task": _label(task)})


def run_due(now=None) -> int:
    """Run every task that is due now, in this thread, then return how many ran.

    Due: tasks in the queue, scheduled tasks whose time has come, and periodic tasks whose
    schedule matches this minute (so cron should call it every minute for those).
    """
    ts = now or huey._get_timestamp()
    for task in huey.read_schedule(ts):
        huey.enqueue(task)
    for task in huey.read_periodic(ts):
        huey.enqueue(task)
    ran = 0
    while ran < RUN_DUE_LIMIT and (task := huey.dequeue()) is not None:
        huey.execute(task, ts)
        ran += 1
    return ran
