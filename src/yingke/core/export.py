"""The one export helper (R-11.6, R-12.2): every table leaves the system through `export_response`.

- Permission: the entry point asks core.permissions (`require(user, EXPORT)`), so no list
  or report can forget it.
- Columns are declared once, as `Column(label, value)` with `value(row, user)`.
- Formats: CSV (UTF-8 with a BOM, so that Excel reads Chinese text) streamed row by row;
  XLSX written by openpyxl's write-only mode (rows go straight to a temporary file, strings
  inline, no shared-string table) and streamed from that file. Rows are read from the
  database in chunks (`QuerySet.iterator`). Memory stays flat at any size
  (tests/core/test_export_helper.py compares 2,000 and 20,000 rows).
- Cells: a text that begins with = + - @ tab or carriage return is prefixed with an
  apostrophe, so that no spreadsheet runs it as a formula (OWASP "CSV injection"); numbers
  (int, Decimal: money is written exactly, -88.00 stays the number -88.00) and dates stay
  typed cells with a number/date format in XLSX and plain values in CSV. Datetimes are
  written in the local time zone (spreadsheets have none).
- Audit: one AuditEvent (action "export") per export with who, which list, which filters,
  the format and the real number of rows written. The CSV is recorded when its stream ends
  (also when the client goes away: then `complete` is false), not counted first: a COUNT
  would be a second full read and could differ from what was written. The XLSX file is
  complete before the response starts, so it is recorded then.
"""

import csv
import datetime as dt
import decimal
import io
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from yingke.core.models import AuditEvent
from yingke.core.permissions import EXPORT, require

FORMATS = ("csv", "xlsx")
MAX_ROWS = 1_000_000  # an XLSX sheet holds 1,048,576 rows
CHUNK_ROWS = 2_000  # rows read from the database at a time
CSV_FLUSH = 64 * 1024  # characters buffered before a CSV chunk is sent
XLSX_MAX_TEXT = 32_767  # characters in one Excel cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters that XML (and so XLSX) cannot hold; tab, LF and CR stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    label: Any  # a (lazy) translated string
    value: Callable[[Any, Any], Any]  # (row, user) -> str, int, Decimal, date, datetime, bool or None


def safe_text(value: str) -> str:
    """Text as a spreadsheet may hold it: no control characters, never a formula."""
    value = _CONTROL.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, decimal.Decimal):
        return format(value, "f")  # exact and never neutralised: Decimal("-88.00") -> "-88.00"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_text(str(value))


def xlsx_cell(sheet, value, decimal_format: str | None = None):
    """A value or a typed write-only cell for openpyxl (`decimal_format`: the number format
    of Decimal cells instead of #,##0 with the value's places)."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        cell = WriteOnlyCell(sheet, value=value)
        places = max(0, -value.as_tuple().exponent)
        cell.number_format = decimal_format or "#,##0" + ("." + "0" * places if places else "")
        return cell
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=_local(value).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    text = safe_text(str(value))[:XLSX_MAX_TEXT]
    # A lone surrogate cannot be written as UTF-8 XML: it becomes "?" (as in the CSV).
    return text if text.isascii() else text.encode("utf-8", "replace").decode()


def _rows(rows: Iterable, limit: int):
    """The rows to write (at most `limit`) and whether more were left out."""
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=CHUNK_ROWS)
    state = {"truncated": False}

    def gen():
        for n, row in enumerate(rows):
            if n == limit:
                state["truncated"] = True
                return
            yield row

    return gen(), state


def export_response(user, fmt: str, name: str, rows: Iterable, columns: list[Column], *,
                    filters: dict | None = None, title: str = "", limit: int = MAX_ROWS, bom: bool = True,
                    decimal_format: str | None = None):
    """Export `rows` as a CSV or XLSX download named after `name` (the list, e.g. "customers").

    `bom=False` writes the CSV as plain UTF-8 (for programs rather than Excel); `decimal_format`
    is the number format of Decimal cells in XLSX (as in `write_export_file`). The defaults keep
    every list's export as it was.

    Raises PermissionDenied (403) unless `user` may export, Http404 for an unknown format.
    `filters` (JSON-serialisable) are recorded in the audit with the number of rows.
    """
    require(user, EXPORT)
    if fmt not in FORMATS:
        raise Http404
    filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    details = {"format": fmt, "filters": filters or {}}
    body, state = _rows(rows, limit)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(user, name, body, columns, details, state, bom),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        tmp, written = _xlsx_file(user, body, columns, title or name, decimal_format)
        AuditEvent.record(user, "export", name, rows=written, complete=True, truncated=state["truncated"],
                          **details)
        response = FileResponse(tmp, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def write_export_file(user, path, name: str, rows: Iterable, columns: list[Column], *, filters: dict | None = None,
                      bom: bool = True, title: str = "", decimal_format: str | None = None) -> int:
    """Write `rows` to the file `path` (CSV or XLSX by its extension) for the command line,
    with the same cells as `export_response` (formula-safe text, typed numbers) and the same
    audit row. `bom=False` writes plain UTF-8 (for programs rather than Excel). The file
    appears complete or not at all (written beside it, then renamed). Returns the rows written.
    Raises PermissionDenied unless `user` may export, ValueError for another extension,
    OSError when the file cannot be written."""
    import os
    from pathlib import Path

    require(user, EXPORT)
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(fmt)
    body, state = _rows(rows, MAX_ROWS)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    written = 0
    try:
        if fmt == "csv":
            with tmp.open("w", encoding="utf-8", errors="replace", newline="") as f:
                if bom:
                    f.write("\ufeff")
                writer = csv.writer(f)
                writer.writerow([safe_text(str(c.label)) for c in columns])
                for row in body:
                    writer.writerow([csv_cell(c.value(row, user)) for c in columns])
                    written += 1
        else:
            written = _xlsx_write(tmp, user, body, columns, title or name, decimal_format)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    AuditEvent.record(user, "export", name, rows=written, complete=True, truncated=state["truncated"],
                      format=fmt, filters=filters or {}, file=str(path))
    return written


def _xlsx_write(target, user, rows, columns, title: str, decimal_format: str | None) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\\/*?:\[\]]", " ", str(title))[:31] or "Sheet1")
    sheet.append([xlsx_cell(sheet, str(c.label)) for c in columns])
    written = 0
    for row in rows:
        sheet.append([xlsx_cell(sheet, c.value(row, user), decimal_format) for c in columns])
        written += 1
    workbook.save(target)
    return written


def _csv_stream(user, name, rows, columns, details, state, bom: bool = True):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    written, complete = 0, False
    try:
        if bom:
            yield "\ufeff".encode()  # the BOM: Excel then reads the file as UTF-8
        writer.writerow([safe_text(str(c.label)) for c in columns])
        for row in rows:
            writer.writerow([csv_cell(c.value(row, user)) for c in columns])
            written += 1
            if buffer.tell() >= CSV_FLUSH:
                yield _drain(buffer)
        yield _drain(buffer)
        complete = True
    finally:
        AuditEvent.record(user, "export", name, rows=written, complete=complete, truncated=state["truncated"],
                          **details)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8", "replace")  # a lone surrogate cannot end the stream
    buffer.seek(0)
    buffer.truncate()
    return data


def _xlsx_file(user, rows, columns, title: str, decimal_format: str | None = None):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\\/*?:\[\]]", " ", str(title))[:31] or "Sheet1")
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=xlsx_cell(sheet, str(column.label)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    for row in rows:
        sheet.append([xlsx_cell(sheet, c.value(row, user), decimal_format) for c in columns])
        written += 1
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(tmp)
    except BaseException:
        tmp.close()
        raise
    tmp.seek(0)
    return tmp, written
