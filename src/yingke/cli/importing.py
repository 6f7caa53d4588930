"""`yingke import customers|visits|stays FILE --property CODE`: one command per kind, all on
the import engine (imports.engine). Prints one line per problem of a rejected row (stderr),
the new outlets, and the summary; a progress bar on a terminal (rows, rows/s, time left),
nothing when piped. Exit 0, 1 when rows were rejected, 2 when the file cannot be used.

Interrupted (Ctrl-C, `kill`), the run is left "interrupted" with the batches already
committed; running the same command again finishes it without doubling anything.
"""

import signal
import sys
import time

from django.utils.translation import gettext as _

from yingke.cli.admin import get_property, get_user
from yingke.cli.main import EXIT_OK, EXIT_REJECTED, CliError, say
from yingke.imports.pipeline import CREATED, REJECTED, UNCHANGED, UPDATED, FileError, Result


def describe_problem(file_name: str, result: Result, problem) -> str:
    where = _("%(file)s line %(line)d") % {"file": file_name, "line": result.line}
    if problem.column:
        where += _(", column “%(column)s”") % {"column": problem.column}
    if problem.value:
        where += _(", value “%(value)s”") % {"value": problem.value}
    return _("%(where)s: %(reason)s") % {"where": where, "reason": problem.reason}


def summary_line(counts) -> str:
    return _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, rejected %(rejected)d") % {
        "created": counts[CREATED], "updated": counts[UPDATED], "unchanged": counts[UNCHANGED],
        "rejected": counts[REJECTED]}


class ProgressBar:
    """One line on stderr, redrawn at most 5 times a second; inactive unless both stdout
    and stderr are terminals."""

    WIDTH = 24

    def __init__(self, stream=None, enabled=None):
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = sys.stdout.isatty() and self.stream.isatty()
        self.enabled = enabled
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, done: int, total: int | None, force=False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        total = max(total or 0, done)
        share = done / total if total else 0
        filled = int(share * self.WIDTH)
        left = (total - done) / rate if rate > 0 and total else 0
        text = _("%(done)s of ~%(total)s rows, %(rate)s rows/s, %(left)s left") % {
            "done": f"{done:,}", "total": f"{total:,}", "rate": f"{rate:,.0f}",
            "left": f"{int(left) // 60}:{int(left) % 60:02d}"}
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {text}\033[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def _terminate(signum, frame):
    raise KeyboardInterrupt


def run_import_command(args, kind: str) -> int:
    from yingke.core import permissions
    from yingke.core.permissions import IMPORT
    from yingke.imports.engine import execute_run, start_run, summary_counts, write_errors
    from yingke.imports.models import ImportRun

    if kind == "customers":
        from yingke.cli.keys import require_field_key

        require_field_key()  # ID numbers are read and written: refuse a missing or wrong key (exit 2)
    prop = get_property(args.property)
    # Without --user the operator of the machine imports (recorded as nobody in the history);
    # with it, that member of staff's rights apply: they must be allowed to import.
    actor = get_user(args.user) if args.user else permissions.SYSTEM
    if args.user:
        try:
            permissions.require(actor, IMPORT, prop)
        except Exception as e:  # PermissionDenied, NotVisible
            raise CliError(str(e) or _("You may not import files into this property.")) from None
    started = time.monotonic()
    try:
        run = start_run(kind, prop, args.file, user=actor if args.user else None, encoding=args.encoding,
                        sheet=args.sheet, dry_run=args.dry_run)
    except FileError as e:
        raise CliError(str(e)) from None
    if run.resumes_id:
        say(_("Finishing the interrupted import #%(id)d of the same file (%(when)s).")
            % {"id": run.resumes_id, "when": run.resumes.created_at.strftime("%Y-%m-%d %H:%M")})
    bar = ProgressBar()
    state = {"announced": False}

    def on_progress(run):
        if not state["announced"] and run.options.get("header_line"):
            state["announced"] = True
            options = run.options
            if options.get("sheet"):
                what = _("worksheet “%(sheet)s”") % {"sheet": options["sheet"]}
            else:
                what = _("CSV, encoding %(encoding)s") % {"encoding": options.get("encoding", "")}
            say(_("Reading %(name)s (%(what)s), header on line %(line)d.")
                % {"name": run.file_name, "what": what, "line": options["header_line"]})
            used = set((options.get("mapping") or {}).values())
            ignored = [n for i, n in enumerate(options.get("header") or []) if n and i not in used]
            if ignored:
                say(_("Ignored columns: %(columns)s") % {"columns": "、".join(ignored)})
        bar.update(run.rows_done, run.rows_total)

    def on_result(result):
        if result.outcome == REJECTED:
            bar.clear()
            for problem in result.problems:
                say(describe_problem(run.file_name, result, problem), err=True)

    previous = signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C interrupts even when the parent started us with SIGINT ignored (e.g. a test runner).
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        execute_run(run, actor=actor, on_progress=on_progress, on_result=on_result)
    except KeyboardInterrupt:
        bar.clear()
        run.refresh_from_db()
        say(_("Interrupted after %(rows)d rows (%(summary)s). The rows of the batches already stored are "
              "kept; run the same command again to finish the import — nothing will be doubled.")
            % {"rows": run.rows_done, "summary": summary_line(summary_counts(run))}, err=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        bar.clear()
    if run.state == ImportRun.State.FAILED:
        raise CliError(run.message)
    if run.new_outlets:
        say(_("New outlets: %(outlets)s") % {"outlets": "、".join(run.new_outlets)})
    if args.errors and run.rejected:
        try:
            n = write_errors(run, args.errors)
        except OSError as e:
            raise CliError(_("Cannot write %(path)s: %(error)s") % {"path": args.errors, "error": e.strerror}) \
                from None
        say(_("%(n)d rejected rows written to %(path)s; correct them there and import that file.")
            % {"n": n, "path": args.errors})
    line = summary_line(summary_counts(run))
    seconds = time.monotonic() - started
    if args.dry_run:
        say(_("Dry run, nothing was changed: %(summary)s (%(seconds).1f s).") % {"summary": line, "seconds": seconds})
    else:
        say(_("%(summary)s (%(seconds).1f s).") % {"summary": line, "seconds": seconds})
    return EXIT_REJECTED if run.rejected else EXIT_OK


def import_customers(args) -> int:
    return run_import_command(args, "customers")


def import_visits(args) -> int:
    return run_import_command(args, "visits")


def import_stays(args) -> int:
    return run_import_command(args, "stays")
