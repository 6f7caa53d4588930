"""`yingke serve`: migrate, collect static files, optionally load demo data, run gunicorn."""

import errno
import socket

from django.utils.translation import gettext as _

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
    return 0
