"""The processes that run Yingke: `yingke serve` (migrate, collect static files, optionally
load demo data, run gunicorn and, beside it, a job worker), `yingke worker` (a job worker
alone) and `yingke run-jobs --once` (what is due now, for cron). See core/jobs.py.
"""

import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yingke.cli.admin import run_migrations
from yingke.cli.main import CliError, say


def check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise CliError(_("port %(port)d on %(host)s is already in use; choose another with --port.")
                               % {"port": port, "host": host}) from None
            raise CliError(_("cannot listen on %(host)s:%(port)d: %(error)s")
                           % {"host": host, "port": port, "error": e.strerror}) from None


def make_application(options: dict):
    from gunicorn.app.base import BaseApplication

    class YingkeApplication(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from yingke.wsgi import application

            return application

    return YingkeApplication()


def serve(args) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    if not 0 < args.port < 65536:
        raise CliError(_("the port must be between 1 and 65535."))
    if not 1 <= args.workers <= 32:
        raise CliError(_("use between 1 and 32 workers."))
    check_port(args.host, args.port)
    run_migrations(quiet=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    if args.demo:
        from yingke.cli.demo_cmd import serve_demo

        serve_demo()
    connections.close_all()  # never share a database connection with forked workers
    host = f"[{args.host}]" if ":" in args.host else args.host
    say(_("Yingke is serving on http://%(host)s:%(port)d/ — press Ctrl-C to stop.")
        % {"host": host, "port": args.port})
    if settings.ALLOWED_HOSTS == settings.LOCAL_HOSTS and args.host not in ("127.0.0.1", "localhost", "::1"):
        say(_("Note: only the names localhost and 127.0.0.1 are answered; list the names and addresses staff use "
              "in YINGKE_ALLOWED_HOSTS (comma-separated)."), err=True)
    worker = None if args.no_worker else start_worker_process()
    try:
        make_application({
            "bind": f"{host}:{args.port}",
            "workers": args.workers,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 120,
            "graceful_timeout": 10,
            "preload_app": True,
            "proc_name": "yingke",
            "errorlog": "-",
            "loglevel": "warning",
        }).run()
    finally:
        if worker is not None:
            stop_worker_process(worker)
    return 0


# ---- background jobs ----------------------------------------------------------------------

PR_SET_PDEATHSIG = 1
WORKER_COMMAND = "import sys; from yingke.cli import main; sys.exit(main(['worker', '--beside-server']))"


def _die_with_parent():  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the worker also watches its parent (see worker)
        pass


def start_worker_process() -> subprocess.Popen:
    """`yingke worker` in a process of its own beside gunicorn, stopped with it; the kernel
    ends it too if serve is killed (PR_SET_PDEATHSIG), and it watches its parent as well."""
    env = {**os.environ, "YINGKE_PARENT_PID": str(os.getpid())}
    return subprocess.Popen([sys.executable, "-c", WORKER_COMMAND], env=env, preexec_fn=_die_with_parent)


def stop_worker_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # graceful: a running batch finishes
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _SayHandler(logging.Handler):
    def emit(self, record):
        say(f"[{time.strftime('%H:%M:%S', time.localtime(record.created))}] {record.getMessage()}")


def print_job_lines() -> None:
    """Show the jobs' report lines (logger "yingke.jobs") on standard output."""
    log = logging.getLogger("yingke.jobs")
    if not any(isinstance(h, _SayHandler) for h in log.handlers):
        log.addHandler(_SayHandler())
    log.setLevel(logging.INFO)
    log.propagate = False


def _jobs_ready():
    from yingke.cli.keys import require_field_key
    from yingke.core import jobs

    require_field_key()  # customer imports write ID numbers: a missing or wrong key stops here (exit 2)
    if jobs.huey.immediate:
        raise CliError(_("jobs are set to run immediately (YINGKE_JOBS_IMMEDIATE=1); there is no queue to work on."))
    print_job_lines()
    language = translation.get_language()

    @jobs.huey.pre_execute("cli-language")
    def _speak_the_cli_language(task):  # worker threads start without the command's language
        translation.activate(language)

    return jobs, jobs.autodiscover()


def _watch_parent(consumer, parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        consumer.stop_flag.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def worker(args) -> int:
    """Run queued jobs until stopped (Ctrl-C or SIGINT: finish the running jobs; SIGTERM: stop now)."""
    if not 1 <= args.threads <= 16:
        raise CliError(_("use between 1 and 16 threads."))
    jobs, modules = _jobs_ready()
    logging.getLogger("huey").setLevel(logging.WARNING)
    consumer = jobs.huey.create_consumer(workers=args.threads, worker_type="thread", periodic=True,
                                         check_worker_health=True)
    parent = os.environ.get("YINGKE_PARENT_PID")
    if args.beside_server and parent and parent.isdigit():
        _watch_parent(consumer, int(parent))
    say(_("Job worker running (%(queue)s, %(threads)d threads; tasks from %(modules)s) — press Ctrl-C to stop.")
        % {"queue": jobs.backend_name(), "threads": args.threads, "modules": ", ".join(modules) or "—"})
    consumer.run()
    say(_("Job worker stopped."))
    return 0


def run_jobs(args) -> int:
    """Run every job that is due now, then exit (for cron: `* * * * * yingke run-jobs --once`)."""
    jobs, _modules = _jobs_ready()
    ran = jobs.run_due()
    if ran:
        say(ngettext("Ran %(count)d job.", "Ran %(count)d jobs.", ran) % {"count": ran})
    else:
        say(_("No job was due."))
    return 0
