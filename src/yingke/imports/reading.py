"""Reading CSV and spreadsheet files row by row, as the user sees them.

Every row comes out as (line, cells): `line` is the row number the user sees in a text
editor or spreadsheet (the first row of the file is line 1); a cell is a `str` (stripped;
numbers without a spurious ".0") or a `datetime.date` / `datetime.datetime` /
`datetime.time` from a spreadsheet date cell.

Encodings (CSV): a UTF-16 byte-order mark wins; otherwise strict UTF-8 (with or without
BOM), then strict GB18030 (a superset of GBK and GB2312), then charset-normalizer's
guess. python-calamine reads spreadsheets (XLSX, XLSM, XLSB, XLS, ODS): it returns
integers as floats and empty cells as '', which `spreadsheet_cell` normalises.
"""

import codecs
import csv
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from yingke.core.export import FORMULA_STARTS

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 1 << 20
csv.field_size_limit(10 * CHUNK)


class FileError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown format, no header)."""


@dataclass
class Table:
    path: Path
    format: str  # "csv" or "spreadsheet"
    encoding: str = ""  # CSV only
    sheet: str = ""  # spreadsheet only
    sheets: list[str] = field(default_factory=list)
    estimated_rows: int = 0  # lines in the file, estimated from its first 64 KB (CSV) or exact (sheet)
    _rows: Iterator | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def rows(self) -> Iterator[tuple[int, list]]:
        """(line, cells) for every non-blank row; the iterator can be consumed once."""
        for line, cells in self._rows:
            if any(cells):  # cells are text ('' when empty) or date objects
                yield line, cells


def open_table(path, encoding: str | None = None, sheet: str | None = None) -> Table:
    """Open a CSV or spreadsheet file; raises FileError with a message for the user."""
    path = Path(path)
    if not path.is_file():
        raise FileError(_("File not found: %(path)s") % {"path": path})
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        raise FileError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": e.strerror}) from None
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC) or suffix in SPREADSHEET_SUFFIXES:
        return _open_spreadsheet(path, sheet)
    if sheet:
        raise FileError(_("--sheet applies to spreadsheet files only; %(name)s is a text file.") % {"name": path.name})
    return _open_csv(path, encoding)


# --- CSV ---------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8-sig", "gb18030"):
        if _decodes(path, candidate):
            return candidate
    from charset_normalizer import from_path

    best = from_path(path).best()
    if best is None or not _decodes(path, best.encoding):
        raise FileError(_("Cannot tell the character encoding of %(name)s; save it as UTF-8 or give --encoding.")
                        % {"name": path.name})
    return best.encoding


def _decodes(path: Path, encoding: str) -> bool:
    """True when the whole file decodes strictly; read in chunks, never all at once."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _open_csv(path: Path, encoding: str | None) -> Table:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileError(_("Unknown encoding: %(encoding)s") % {"encoding": encoding}) from None
        if not _decodes(path, encoding):
            raise FileError(_("%(name)s is not valid %(encoding)s text.") % {"name": path.name, "encoding": encoding})
    else:
        encoding = detect_encoding(path)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # drop a BOM if there is one
    with path.open(encoding=encoding, newline="") as f:
        sample = f.read(64 * 1024)
    if "\x00" in sample:
        raise FileError(_("%(name)s is not a text file.") % {"name": path.name})
    first_line = sample.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    table = Table(path=path, format="csv", encoding=encoding)
    lines = sample.count("\n")
    if lines and len(sample) >= 64 * 1024:
        sampled = len(sample[:sample.rfind("\n") + 1].encode(encoding, "replace"))
        table.estimated_rows = int(path.stat().st_size * lines / max(sampled, 1))
    else:
        table.estimated_rows = lines + (0 if sample.endswith("\n") else 1)
    table._rows = _csv_rows(path, encoding, delimiter)
    return table


def _csv_rows(path: Path, encoding: str, delimiter: str):
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        line = 1
        try:
            for record in reader:
                cells = [c.strip() for c in record]
                if "'" in "".join(cells):  # one C-level scan: rare, so the fix below costs nothing
                    cells = [unquote(c) for c in cells]
                yield line, cells
                line = reader.line_num + 1
        except (csv.Error, UnicodeDecodeError) as e:
            raise FileError(_("%(name)s, line %(line)d: cannot read the file (%(error)s).")
                            % {"name": path.name, "line": line, "error": e}) from None


# --- spreadsheets ---------------------------------------------------------------------------

def _open_spreadsheet(path: Path, sheet: str | None) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        if not names:
            raise FileError(_("%(name)s has no worksheet.") % {"name": path.name})
        if sheet and sheet not in names:
            raise FileError(_("%(name)s has no sheet “%(sheet)s”; its sheets are: %(sheets)s.")
                            % {"name": path.name, "sheet": sheet, "sheets": "、".join(names)})
        data = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
    except FileError:
        raise
    except Exception as e:  # calamine raises its own errors, zip errors, OSError …
        raise FileError(_("Cannot read %(name)s as a spreadsheet: %(error)s") % {"name": path.name, "error": e}) \
            from None
    table = Table(path=path, format="spreadsheet", sheet=data.name, sheets=names,
                  estimated_rows=getattr(data, "height", 0) or 0)
    table._rows = _sheet_rows(data)
    return table


def _sheet_rows(data):
    # iter_rows() starts at row 1 even when the used range begins lower, so i + 1 is the
    # row number the spreadsheet shows.
    for i, row in enumerate(data.iter_rows()):
        yield i + 1, [spreadsheet_cell(c) for c in row]


# what core.export.safe_text puts an apostrophe before (errors files, exports)
NEUTRALISED = tuple("'" + c for c in FORMULA_STARTS)


def unquote(cell: str) -> str:
    """A cell neutralised against formulas ("'=1+1", "'-88.00": core.export.safe_text, the
    errors file) read as written before: a fixed errors file re-imports cleanly."""
    return cell[1:].strip() if cell.startswith(NEUTRALISED) else cell


def spreadsheet_cell(value):
    """Normalise a calamine value: 13812345678.0 → '13812345678', 12.5 → '12.5'."""
    if isinstance(value, str):
        return unquote(value.strip())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value
    if isinstance(value, dt.timedelta):
        return str(value)
    return "" if value is None else str(value).strip()

