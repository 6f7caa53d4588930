"""The one bulk import engine for customers, visits and stays (R-3.2, R-12.4).

    run = start_run("visits", property, path, user=user)       # the record: file, SHA-256, who
    execute_run(run, actor=user, on_progress=bar.update)        # batches, each committed with
                                                                # the run's counters
A run goes queued → running → done | failed (message) | interrupted. Every batch is
committed together with the run's counters, last line and heartbeat, so the database holds
whole batches only and the counters always equal what is committed. A run whose process
died (`kill -9`, a reboot) is found by `mark_interrupted` and finished by running the same
file again: every row is idempotent (customer code, document key), so nothing is doubled,
and the new run names the one it finishes (`resumes`).

The spec's R-12.4 asks that an interrupted import leave the data as before; issue 12 (later
and more specific) asks for whole batches and a re-run that finishes the job, which is what
this module does. A dry run is the exception: it is one transaction, rolled back, and only
the run record and its rejected rows are kept.

A dry run's progress is not visible to other processes while it runs: whatever it writes
is inside its one transaction (rolled back at the end, invisible to other connections until
then), and a second connection cannot write the counters beside it (SQLite allows one
writer, and the dry run's transaction holds it). `on_progress(run)` is still called after every batch with the
counters in memory (the CLI's progress bar); the stored record shows "running" with no
counts until the dry run ends and its final counters and rejected rows are saved.
"""

import csv
import hashlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.db import refresh_statistics
from yingke.core.export import safe_text
from yingke.core.permissions import IMPORT
from yingke.imports.columns import Header, find_header, likely_header, mapped_header
from yingke.imports.customers import CustomerImporter
from yingke.imports.models import ImportProblem, ImportRun
from yingke.imports.pipeline import CREATED, REJECTED, UNCHANGED, UPDATED, Result, run_batches
from yingke.imports.reading import FileError, Table, open_table
from yingke.imports.visits import StayImporter, VisitImporter

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=5)
ERRORS_REASON = "错误原因 / reason"


IMPORTERS = {"customers": CustomerImporter, "visits": VisitImporter, "stays": StayImporter}



# --- preview ---------------------------------------------------------------------------------

@dataclass
class Preview:
    table: Table | None = None
    header_line: int = 0
    names: list[str] = field(default_factory=list)
    mapping: dict[str, int] = field(default_factory=dict)
    columns: list[tuple] = field(default_factory=list)  # (key, label, required)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    error: str = ""


def preview(kind: str, path, *, encoding=None, sheet=None, sample: int = 10) -> Preview:
    """The detected header mapping and the first rows, for the user to check (and correct)
    before the import runs; `.error` says why the file cannot be used."""
    from yingke.core.parsing import text

    columns = IMPORTERS[kind].columns
    result = Preview(columns=[(c.key, str(c.label), c.required) for c in columns])
    try:
        table = open_table(path, encoding=encoding, sheet=sheet)
        result.table = table
        rows = table.rows()
        try:
            header = find_header(rows, columns, table.name)
        except FileError as e:
            # the user may still map the columns by hand: offer the likeliest header row
            result.error = str(e)
            table = open_table(path, encoding=encoding, sheet=sheet)
            rows = table.rows()
            best = likely_header(rows, columns)
            if best is None:
                return result
            header = Header(line=best[0], names=[text(c) for c in best[1]], index=dict(best[2]), ignored=[])
            rows = (r for r in open_table(path, encoding=encoding, sheet=sheet).rows() if r[0] > header.line)
        result.header_line, result.names, result.mapping = header.line, header.names, dict(header.index)
        for line, cells in rows:
            result.rows.append((line, [text(c) for c in cells]))
            if len(result.rows) >= sample:
                break
    except FileError as e:
        result.error = str(e)
    return result


# --- runs ------------------------------------------------------------------------------------

def file_digest(path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def start_run(kind: str, property, path, *, user=None, source: str = ImportRun.Source.CLI, file_name=None,
              encoding=None, sheet=None, dry_run: bool = False, mapping=None) -> ImportRun:
    """Create the record of an import (state queued). Raises FileError when the file
    cannot be read at all; everything else about the file is found out when it runs."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}")
    path = Path(path)
    try:
        sha256, size = file_digest(path)
    except OSError as e:
        if not path.exists():
            raise FileError(_("File not found: %(path)s") % {"path": path}) from None
        raise FileError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": e.strerror}) from None
    mark_interrupted()
    resumes = None
    if not dry_run:
        resumes = (ImportRun.objects.filter(property=property, kind=kind, sha256=sha256, dry_run=False,
                                            state=ImportRun.State.INTERRUPTED)
                   .order_by("-created_at", "-id").first())
    options = {"encoding": encoding or "", "sheet": sheet or ""}
    if mapping:
        options["mapping"] = {str(k): int(v) for k, v in mapping.items() if v not in (None, "")}
    return ImportRun.objects.create(
        property=property, kind=kind, source=source, file_name=(file_name or path.name)[:255],
        stored_path=str(path.resolve())[:500], sha256=sha256, size=size,
        user=user if permissions.is_staff(user) else None, options=options, dry_run=dry_run,
        state=ImportRun.State.QUEUED, resumes=resumes)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def mark_interrupted() -> int:
    """Runs still "running" whose process is gone (pid on this host) or whose heartbeat
    is older than five minutes become "interrupted"; returns how many."""
    host = socket.gethostname()
    now = timezone.now()
    stale = []
    for run in ImportRun.objects.filter(state=ImportRun.State.RUNNING).only("id", "pid", "host", "heartbeat_at",
                                                                          "started_at", "created_at"):
        beat = run.heartbeat_at or run.started_at or run.created_at
        gone = run.host == host and run.pid and run.pid != os.getpid() and not _pid_alive(run.pid)
        if gone or beat < now - STALE_AFTER:
            stale.append(run.id)
    if stale:
        refresh_run_profiles(stale)
        ImportRun.objects.filter(id__in=stale, state=ImportRun.State.RUNNING).update(
            state=ImportRun.State.INTERRUPTED, finished_at=now,
            message=_("The import stopped before the end (its process ended). Run the same file again to "
                      "finish it; rows already stored are not doubled."))
    return len(stale)


def refresh_run_profiles(run_ids: list[int]) -> None:
    """Bring the consumption profiles (R-2.3) of the files that runs which did not finish
    wrote visits to up to date (a finished run refreshes them in `finish()`); the batches
    they committed stay, so their files' profiles must count them. Never raises: it runs
    on the way out of a failure."""
    from yingke.visits.models import Visit
    from yingke.visits.profile import refresh_profiles

    try:
        with transaction.atomic():
            ids = Visit.objects.filter(import_run_id__in=run_ids).values_list("customer_id", flat=True).distinct()
            refresh_profiles(list(ids))
            from yingke.imports.visits import announce_runs

            announce_runs(run_ids)  # the report aggregates of their days are stale
    except Exception:  # noqa: BLE001 - the run's own failure is what the user must see
        logger.exception("refreshing the profiles of import runs %s failed", run_ids)


RUN_FIELDS = ["state", "rows_total", "rows_done", "last_line", "created", "updated", "unchanged", "rejected",
              "new_outlets", "heartbeat_at", "pid", "host", "started_at", "finished_at", "message"]


def _problem_rows(run: ImportRun, results: list[Result]) -> list[ImportProblem]:
    out = []
    for result in results:
        if result.outcome != REJECTED:
            continue
        for i, p in enumerate(result.problems or [None]):
            out.append(ImportProblem(run=run, line=result.line, column=(p.column if p else "")[:200],
                                     value=p.value if p else "", reason=p.reason if p else "",
                                     ref=(result.ref or "")[:100], cells=result.cells if i == 0 else None))
    return out


def execute_run(run: ImportRun, *, actor, on_progress=None, on_result=None) -> ImportRun:
    """Run an import (state running → done, or failed with `message` when the file cannot
    be used or the actor may not import into the property). `on_progress(run)` after each
    committed batch; `on_result(result)` for every row. Interrupted by an exception
    (Ctrl-C), the run is left "interrupted" and the exception goes on."""
    importer_class = IMPORTERS[run.kind]
    run.state = ImportRun.State.RUNNING
    run.started_at = run.heartbeat_at = timezone.now()
    run.pid, run.host = os.getpid(), socket.gethostname()
    run.rows_done = run.last_line = run.created = run.updated = run.unchanged = run.rejected = 0
    run.new_outlets, run.message, run.finished_at = [], "", None
    run.save(update_fields=RUN_FIELDS)
    try:
        permissions.require(actor, IMPORT, run.property)
        importer = importer_class(run.property, actor)
        importer.run = run
        options = run.options or {}
        table, rows, header = _open(run, importer.columns, options)
        importer.start(table, header)
        run.options = dict(options, encoding=table.encoding, sheet=table.sheet, header_line=header.line,
                           header=header.names, mapping=dict(header.index))
        run.rows_total = max(table.estimated_rows - header.line, 0)
        run.save(update_fields=["options", "rows_total"])
        if on_progress:
            on_progress(run)
        problems: list[ImportProblem] = []  # a dry run's, stored after its rollback

        def on_batch(rows, results):
            for result in results:
                setattr(run, result.outcome, getattr(run, result.outcome) + 1)
            run.rows_done += len(rows)
            run.last_line = rows[-1].line
            run.rows_total = max(run.rows_total or 0, run.rows_done)
            run.heartbeat_at = timezone.now()
            run.new_outlets = list(getattr(importer, "new_outlets", []))
            batch_problems = _problem_rows(run, results)
            if run.dry_run:
                problems.extend(batch_problems)
                return
            ImportProblem.objects.bulk_create(batch_problems)
            run.save(update_fields=RUN_FIELDS)

        after_batch = (lambda: on_progress(run)) if on_progress else None
        if run.dry_run:
            with transaction.atomic():
                run_batches(importer, rows, header, on_batch=on_batch, on_result=on_result, after_batch=after_batch,
                            atomic_batches=False)
                transaction.set_rollback(True)
            ImportProblem.objects.bulk_create(problems, batch_size=1000)
        else:
            run_batches(importer, rows, header, on_batch=on_batch, on_result=on_result, after_batch=after_batch)
            if run.created >= 1000:
                refresh_statistics(getattr(importer, "bulk_models", None))
        run.state = ImportRun.State.DONE
        run.rows_total = run.rows_done
    except FileError as e:
        run.state, run.message = ImportRun.State.FAILED, str(e)
    except (PermissionDenied, Http404) as e:
        run.state = ImportRun.State.FAILED
        run.message = str(e) or _("You may not import files into this property.")
    except BaseException as e:
        interrupted = isinstance(e, (KeyboardInterrupt, SystemExit))
        run.state = ImportRun.State.INTERRUPTED if interrupted else ImportRun.State.FAILED
        if interrupted:
            run.message = _("The import was interrupted. Run the same file again to finish it; rows already "
                            "stored are not doubled.")
        else:  # a fault of ours: the details go to the log, never to the user
            logger.exception("import run %s failed after line %s", run.pk, run.last_line)
            run.message = (_("The import stopped because of an unexpected error in the rows after line %(line)d; "
                             "the rows up to that line are stored. Please tell your administrator (import "
                             "#%(run)d).") % {"line": run.last_line or (run.options or {}).get("header_line", 1),
                                              "run": run.pk})
        run.finished_at = timezone.now()
        # the counters stay as the last committed batch wrote them (a dry run has none)
        _save_outside(run, None if run.dry_run else ["state", "message", "finished_at"])
        if not run.dry_run and run.kind != ImportRun.Kind.CUSTOMERS:
            refresh_run_profiles([run.pk])
        raise
    run.finished_at = timezone.now()
    _save_outside(run)
    return run


def _save_outside(run: ImportRun, fields=None) -> None:
    """Store the run's final state (the dry run's transaction is over by now)."""
    fields = fields or [f for f in RUN_FIELDS if f != "pid"]
    ImportRun.objects.filter(pk=run.pk).update(**{f: getattr(run, f) for f in fields})


def _open(run: ImportRun, columns, options: dict):
    """(table, rows, header) of the run's file: the detected header, or the user's mapping
    ({key: cell index}) applied to the detected header row (the first row when none is)."""
    path = Path(run.stored_path or run.file_name)

    def table_rows():
        table = open_table(path, encoding=options.get("encoding") or None, sheet=options.get("sheet") or None)
        shown = Path(run.file_name.replace("\\", "/")).name if run.file_name else ""
        if shown and shown not in (".", ".."):  # messages name the file as the user knows it (uploads are renamed)
            table.path = path.with_name(shown)
        return table, table.rows()

    table, rows = table_rows()
    mapping = options.get("mapping")
    try:
        header = find_header(rows, columns, table.name)
    except FileError:
        if not mapping:
            raise
        # a header we could not recognise, mapped by the user: the row preview offered
        table, rows = table_rows()
        best = likely_header(rows, columns)
        if best is None:
            raise
        table, rows = table_rows()
        rows = (r for r in rows if r[0] > best[0])
        header = Header(line=best[0], names=[str(c).strip() for c in best[1]], index={}, ignored=[])
    if mapping:
        header = mapped_header(header.line, header.names, columns, mapping, table.name)
    return table, rows, header


# --- the errors file -------------------------------------------------------------------------

def write_errors(run: ImportRun, path_or_file) -> int:
    """The rejected rows as CSV (UTF-8 with BOM): the file's own header plus a reason
    column, one line per rejected row, so staff fix and re-import just those. Returns the
    number of rows written."""
    header = list((run.options or {}).get("header") or [])
    close = False
    if isinstance(path_or_file, (str, os.PathLike)):
        f = open(path_or_file, "w", encoding="utf-8-sig", newline="")
        close = True
    else:
        f = path_or_file
    try:
        writer = csv.writer(f)
        # neutralised like every export (a cell "=HYPERLINK(…)" must not run when the file is
        # opened); the readers drop that apostrophe again, so the fixed file re-imports as written
        writer.writerow([safe_text(h) for h in header] + [ERRORS_REASON])
        n = 0
        line, cells, reasons = None, None, []

        def flush():
            nonlocal n
            if line is None:
                return
            row = list(cells or [])
            row += [""] * (len(header) - len(row))
            writer.writerow([safe_text(str(c)) for c in row] + [safe_text("；".join(reasons))])
            n += 1

        for p in ImportProblem.objects.filter(run=run).order_by("line", "id").iterator(chunk_size=2000):
            if p.line != line:
                flush()
                line, cells, reasons = p.line, p.cells, []
            if p.cells is not None and cells is None:
                cells = p.cells
            where = _("line %(line)d") % {"line": p.line}
            if p.column:
                where += " " + _("“%(column)s”") % {"column": p.column}
            reasons.append(f"{where}: {p.reason}")
        flush()
        return n
    finally:
        if close:
            f.close()


def summary_counts(run: ImportRun) -> dict:
    return {CREATED: run.created, UPDATED: run.updated, UNCHANGED: run.unchanged, REJECTED: run.rejected}


def rows_per_second(run: ImportRun) -> float:
    start = run.started_at
    end = run.finished_at or run.heartbeat_at or timezone.now()
    seconds = (end - start).total_seconds() if start else 0
    return run.rows_done / seconds if seconds > 0 else 0.0

