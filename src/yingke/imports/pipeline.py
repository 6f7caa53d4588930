"""The import pipeline: read → map header → validate → write in batches, with a result for
every row. `imports.engine` wraps it with the import-run record (R-12.4); `run_import` runs
an importer on a file without one (tests, scripts).

    importer = CustomerImporter(property, actor)
    summary = run_import(importer, path, on_result=print_it)

Importer hooks (the contract every record kind implements):
  start(table, header)    once, after the header is known;
  batches(rows, header)   the rows in batches (default: batch_size at a time, as read;
                          visits parse the next batches in a second process, imports.ahead);
  start_batch(rows)       load what the batch needs in a few queries;
  process_row(row)        validate one row: raise RowRejected([(key, reason), …]) or
                          ValidationError, or return Result(line, CREATED|UPDATED|UNCHANGED, ref);
                          it may write at once (customers) or queue its writes (visits);
  end_batch()             write what the batch queued, in bulk;
  forget_batch(rows)      the batch was rolled back: drop what the importer remembered of it;
  finish()                after the last batch (e.g. refresh the touched customers' profiles).

Each batch is one transaction, committed with the run's counters (`on_batch`), so the
database only ever holds whole batches and the counters equal what is committed. When
`end_batch` fails with a database error, the batch is rolled back and replayed row by row
(`process_row` + `end_batch` in a savepoint each), so one bad row cannot sink its batch.
A killed import is finished by running the same file again: every importer is idempotent.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yingke.core.db import refresh_statistics
from yingke.core.parsing import CellError, text
from yingke.imports.columns import Column, Header, find_header
from yingke.imports.reading import FileError, Table, open_table

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"

__all__ = ["CREATED", "UPDATED", "UNCHANGED", "REJECTED", "FileError", "Importer", "Problem", "Result", "Row",
           "RowRejected", "Summary", "run_batches", "run_import"]


@dataclass
class Problem:
    column: str  # as written in the file's header
    value: str
    reason: str


@dataclass
class Result:
    line: int
    outcome: str
    ref: str = ""  # what the row is about, e.g. the customer code
    problems: list[Problem] = field(default_factory=list)
    cells: list | None = None  # the row as read, on rejections (for the errors file)


class RowRejected(Exception):
    """Raised by an importer for a bad row: problems is a list of (key, reason)."""

    def __init__(self, problems: Iterable[tuple[str, str]]):
        super().__init__(problems)
        self.problems = list(problems)


class Row:
    """One data row; cells are reached by column key."""

    __slots__ = ("line", "cells", "header")

    def __init__(self, line: int, cells: list, header: Header):
        self.line, self.cells, self.header = line, cells, header

    def has(self, key: str) -> bool:
        return key in self.header.index

    def raw(self, key: str):
        i = self.header.index.get(key)
        return self.cells[i] if i is not None and i < len(self.cells) else ""

    def text(self, key: str) -> str:
        return text(self.raw(key))

    def filled(self, key: str) -> bool:
        return self.text(key) != ""


class Importer:
    """Base class: set `columns`, implement `process_row`; optionally the other hooks."""

    columns: list[Column] = []
    kind = ""
    batch_size = 500
    # Run each row in a savepoint, so a row that fails after writing leaves no trace. An
    # importer whose rows validate before writing (or only queue) can turn it off.
    row_savepoint = True
    # The column named beside a rejection that is about the whole record (permissions).
    ref_column = ""
    # Set by the engine: the ImportRun being executed (None under run_import).
    run = None

    def start(self, table: Table, header: Header) -> None:
        self.table, self.header = table, header

    def batches(self, rows, header: Header):
        """The data rows in batches of `batch_size` Rows (an importer may read ahead)."""
        while batch := [Row(line, cells, header) for line, cells in islice(rows, self.batch_size)]:
            yield batch

    def start_batch(self, rows: list[Row]) -> None:
        pass

    def process_row(self, row: Row) -> Result:
        raise NotImplementedError

    def end_batch(self) -> None:
        pass

    def forget_batch(self, rows: list[Row]) -> None:
        """The batch was rolled back. By default forget the batch's entries of `self.seen`
        ({key: line}, the rows met so far), so a replayed row is not its own duplicate."""
        seen = getattr(self, "seen", None)
        if seen:
            lines = {r.line for r in rows}
            for key in [k for k, line in seen.items() if line in lines]:
                del seen[key]

    def finish(self) -> None:
        pass

    def ref(self, row: Row) -> str:
        """What a row is about (e.g. its customer code), shown beside a rejection."""
        return ""

    def parse(self, row: Row, key: str, parser, problems: list, *args):
        """Parse one filled cell; on failure add (key, reason) to problems and return None."""
        raw = row.raw(key)
        if raw == "" or (raw.__class__ is str and not raw.strip()):
            return None
        try:
            return parser(raw, *args)
        except (CellError, ValidationError) as e:
            problems.append((key, " ".join(e.messages) if isinstance(e, ValidationError) else str(e)))
            return None


@dataclass
class Summary:
    table: Table
    header: Header
    counts: Counter
    dry_run: bool = False
    new_outlets: list = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.counts[REJECTED]


def _problems(row: Row, columns: dict[str, Column], pairs) -> list[Problem]:
    """Problems in the order of the file's columns (columns the file lacks last)."""
    position = row.header.index
    pairs = sorted(pairs, key=lambda p: position.get(p[0], len(row.cells)))
    return [Problem(column=row.header.name_of(key, columns), value=row.text(key), reason=reason)
            for key, reason in pairs]


def _validation_pairs(error: ValidationError, field_to_key: dict[str, str]) -> list[tuple[str, str]]:
    if hasattr(error, "error_dict"):
        return [(field_to_key.get(f, f), m) for f, msgs in error.message_dict.items() for m in msgs]
    return [("", m) for m in error.messages]


class _Batches:
    """The batch loop shared by `run_import` and the engine."""

    def __init__(self, importer: Importer):
        self.importer = importer
        self.columns = {c.key: c for c in importer.columns}
        self.field_to_key = getattr(importer, "field_to_key", {})

    def one(self, row: Row) -> Result:
        importer = self.importer
        try:
            if importer.row_savepoint:
                with transaction.atomic():
                    return importer.process_row(row)
            return importer.process_row(row)
        except RowRejected as e:
            pairs = e.problems
        except ValidationError as e:
            pairs = _validation_pairs(e, self.field_to_key)
        except (PermissionDenied, Http404) as e:  # the acting user may not change this record
            pairs = [(importer.ref_column, str(e) or _("You may not change this record."))]
        return self.rejected(row, pairs)

    def rejected(self, row: Row, pairs) -> Result:
        return Result(row.line, REJECTED, self.importer.ref(row), _problems(row, self.columns, pairs),
                      cells=[text(c) for c in row.cells])

    def batch(self, rows: list[Row]) -> list[Result]:
        """Process and write one batch inside the caller's transaction."""
        importer = self.importer
        try:
            with transaction.atomic():
                importer.start_batch(rows)
                results = [self.one(row) for row in rows]
                importer.end_batch()
            return results
        except DatabaseError:
            pass
        # A write of the batch failed (a row the checks let through, a concurrent writer):
        # everything of the batch is rolled back; replay it row by row.
        importer.forget_batch(rows)
        importer.start_batch(rows)
        results = []
        for row in rows:
            try:
                with transaction.atomic():
                    result = self.one(row)
                    if result.outcome != REJECTED:
                        importer.end_batch()
            except DatabaseError as e:
                importer.forget_batch([row])
                result = self.rejected(row, [(importer.ref_column, _("This row could not be stored: %(error)s")
                                              % {"error": str(e).strip().splitlines()[0] if str(e) else e})])
            results.append(result)
        return results


def _commit_without_waiting() -> None:
    """PostgreSQL: this batch's COMMIT (a transaction of its own) does not wait for its WAL to reach the disk
    (`synchronous_commit = off` for this transaction only). Atomicity and order are kept:
    a server crash can lose only the last batches' commits together with the run counters
    committed with them (the run then shows as interrupted and a re-run finishes it), and
    the run's final save, an ordinary commit, flushes every batch before the import reports
    its end. A killed import process loses nothing committed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def run_batches(importer: Importer, rows, header: Header, *,
                on_batch: Callable[[list[Row], list[Result]], None] | None = None,
                on_result: Callable[[Result], None] | None = None,
                after_batch: Callable[[], None] | None = None,
                atomic_batches: bool = True) -> Counter:
    """Run every batch: each in its own transaction (`atomic_batches`), `on_batch(rows,
    results)` called inside it (to store the run's counters with the data), `on_result`
    for each row and `after_batch()` after it commits."""
    loop = _Batches(importer)
    counts: Counter = Counter()
    batches = importer.batches(rows, header)
    try:
        for batch in batches:
            _one_batch(loop, batch, counts, on_batch, on_result, after_batch, atomic_batches)
    finally:
        batches.close()  # a reader ahead stops at once when a batch fails
    with transaction.atomic():
        importer.finish()
    return counts


def _one_batch(loop: _Batches, batch: list[Row], counts: Counter, on_batch, on_result, after_batch,
               atomic_batches: bool) -> None:
    if atomic_batches:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                _commit_without_waiting()
            results = loop.batch(batch)
            if on_batch:
                on_batch(batch, results)
    else:
        results = loop.batch(batch)
        if on_batch:
            on_batch(batch, results)
    for result in results:
        counts[result.outcome] += 1
        if on_result:
            on_result(result)
    if after_batch:
        after_batch()


def run_import(importer: Importer, path, *, encoding: str | None = None, sheet: str | None = None,
               dry_run: bool = False, on_result: Callable[[Result], None] | None = None,
               on_start: Callable[[Table, Header], None] | None = None) -> Summary:
    """Import a file without an import-run record; raises FileError when the file cannot
    be used. Batches commit one by one; a dry run is one transaction, rolled back."""
    table = open_table(path, encoding=encoding, sheet=sheet)
    rows = table.rows()
    header = find_header(rows, importer.columns, table.name)
    importer.start(table, header)
    if on_start:
        on_start(table, header)
    if dry_run:
        with transaction.atomic():
            counts = run_batches(importer, rows, header, on_result=on_result, atomic_batches=False)
            transaction.set_rollback(True)
    else:
        counts = run_batches(importer, rows, header, on_result=on_result)
        if counts[CREATED] >= 1000:
            refresh_statistics(getattr(importer, "bulk_models", None))
    return Summary(table=table, header=header, counts=counts, dry_run=dry_run,
                   new_outlets=list(getattr(importer, "new_outlets", [])))
