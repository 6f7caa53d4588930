"""The import pipeline: read → map header → validate → write, with a result for every row.

    importer = CustomerImporter(property, actor)
    summary = run_import(importer, path, on_result=print_it)

Rows stream from the file in batches; `Importer.start_batch` may load what a batch needs
in one query (existing records by key), then every row is handled in its own savepoint,
so a bad row is rejected (line, column, value, reason) and the good rows are kept. The
whole file is one transaction (R-12.4): an interrupted import, a file that turns out
unreadable half-way, or a dry run leaves the data as it was.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yingke.core.db import refresh_statistics
from yingke.imports.columns import Column, Header, find_header
from yingke.imports.parsing import CellError, text
from yingke.imports.reading import FileError, Table, open_table

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"

__all__ = ["CREATED", "UPDATED", "UNCHANGED", "REJECTED", "FileError", "Importer", "Problem", "Result", "Row",
           "RowRejected", "Summary", "run_import"]


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
    """Base class: set `columns`, implement `process_row`; optionally `start_batch`."""

    columns: list[Column] = []
    batch_size = 500
    # Run each row in a savepoint, so a row that fails after writing leaves no trace. An
    # importer whose rows validate before writing (or write atomically) can turn it off.
    row_savepoint = True
    # The column named beside a rejection that is about the whole record (permissions).
    ref_column = ""

    def start(self, table: Table, header: Header) -> None:
        self.table, self.header = table, header

    def start_batch(self, rows: list[Row]) -> None:
        pass

    def process_row(self, row: Row) -> Result:
        raise NotImplementedError

    def ref(self, row: Row) -> str:
        """What a row is about (e.g. its customer code), shown beside a rejection."""
        return ""

    def parse(self, row: Row, key: str, parser, problems: list, *args):
        """Parse one filled cell; on failure add (key, reason) to problems and return None."""
        if not row.filled(key):
            return None
        try:
            return parser(row.raw(key), *args)
        except (CellError, ValidationError) as e:
            problems.append((key, " ".join(e.messages) if isinstance(e, ValidationError) else str(e)))
            return None


@dataclass
class Summary:
    table: Table
    header: Header
    counts: Counter
    dry_run: bool = False

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


def run_import(importer: Importer, path, *, encoding: str | None = None, sheet: str | None = None,
               dry_run: bool = False, on_result: Callable[[Result], None] | None = None,
               on_start: Callable[[Table, Header], None] | None = None) -> Summary:
    """Import a file; raises FileError (nothing changed) when the file cannot be used."""
    table = open_table(path, encoding=encoding, sheet=sheet)
    rows = table.rows()
    header = find_header(rows, importer.columns, table.name)
    importer.start(table, header)
    if on_start:
        on_start(table, header)
    columns = {c.key: c for c in importer.columns}
    field_to_key = getattr(importer, "field_to_key", {})
    counts: Counter = Counter()
    with transaction.atomic():
        while batch := [Row(line, cells, header) for line, cells in islice(rows, importer.batch_size)]:
            importer.start_batch(batch)
            for row in batch:
                try:
                    if importer.row_savepoint:
                        with transaction.atomic():
                            result = importer.process_row(row)
                    else:
                        result = importer.process_row(row)
                except RowRejected as e:
                    result = Result(row.line, REJECTED, importer.ref(row), _problems(row, columns, e.problems))
                except ValidationError as e:
                    result = Result(row.line, REJECTED, importer.ref(row),
                                    _problems(row, columns, _validation_pairs(e, field_to_key)))
                except (PermissionDenied, Http404) as e:  # the acting user may not change this record
                    reason = str(e) or _("You may not change this record.")
                    result = Result(row.line, REJECTED, importer.ref(row),
                                    _problems(row, columns, [(importer.ref_column, reason)]))
                counts[result.outcome] += 1
                if on_result:
                    on_result(result)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run and counts[CREATED] >= 1000:
        refresh_statistics()
    return Summary(table=table, header=header, counts=counts, dry_run=dry_run)
