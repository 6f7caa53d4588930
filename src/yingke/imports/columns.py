"""Header mapping: Chinese or English column names, in any order, extra columns ignored."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from yingke.imports.reading import FileError

HEADER_SCAN_ROWS = 10  # title rows above the header are common in POS/PMS exports


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translated name, for messages when the file lacks the column
    synonyms: tuple[str, ...]
    required: bool = False


def header_key(text) -> str:
    """'手机号码（必填）*' → '手机号码'; 'Customer_Code' → 'customercode'."""
    s = unicodedata.normalize("NFKC", str(text)).lower()
    s = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", s)
    return re.sub(r"[\s_\-.*:/#]+", "", s)


@dataclass
class Header:
    line: int
    names: list[str]  # header cells as written in the file
    index: dict[str, int]  # column key → cell position
    ignored: list[str]

    def name_of(self, key: str, columns: dict[str, Column]) -> str:
        """The column's name as the user wrote it, or our label when the file lacks it."""
        if key in self.index:
            return self.names[self.index[key]]
        col = columns.get(key)
        return str(col.label) if col else key


def match_header(cells, columns: list[Column]) -> tuple[dict[str, int], list[str], list[tuple[str, str, str]]]:
    """Map header cells to column keys: (index, ignored names, duplicates (key, first, second))."""
    lookup = {header_key(s): col.key for col in columns for s in (col.key, *col.synonyms)}
    for language in ("en", "zh-hans"):  # the field names the UI and exports use
        with translation.override(language):
            for col in columns:
                lookup.setdefault(header_key(str(col.label)), col.key)
    index: dict[str, int] = {}
    ignored, duplicates = [], []
    for i, cell in enumerate(cells):
        name = str(cell).strip()
        if not name:
            continue
        key = lookup.get(header_key(name))
        if key is None:
            ignored.append(name)
        elif key in index:
            duplicates.append((key, str(cells[index[key]]).strip(), name))
        else:
            index[key] = i
    return index, ignored, duplicates


def find_header(rows, columns: list[Column], file_name: str) -> Header:
    """Consume rows up to the header (the first with a required column, within the first
    rows) and check it; raises FileError naming what is missing."""
    by_key = {c.key: c for c in columns}
    required = [c for c in columns if c.required]
    best = None
    for n, (line, cells) in enumerate(rows):
        index, ignored, duplicates = match_header(cells, columns)
        found = (line, cells, index, ignored, duplicates)
        if any(c.key in index for c in required) or (index and not required):
            best = found
            break
        if index and (best is None or len(index) > len(best[2])):
            best = found
        if n + 1 >= HEADER_SCAN_ROWS:
            break
    if best is None:
        raise FileError(_("%(name)s has no header row with known column names (for example: %(examples)s).")
                        % {"name": file_name, "examples": "、".join(str(c.label) for c in required or columns)})
    line, cells, index, ignored, duplicates = best
    if duplicates:
        key, first, second = duplicates[0]
        raise FileError(_("%(name)s, line %(line)d: columns “%(first)s” and “%(second)s” both mean %(label)s; "
                          "keep one of them.") % {"name": file_name, "line": line, "first": first,
                                                 "second": second, "label": by_key[key].label})
    missing = [str(c.label) for c in required if c.key not in index]
    if missing:
        raise FileError(_("%(name)s, line %(line)d: required column missing: %(columns)s.")
                        % {"name": file_name, "line": line, "columns": "、".join(missing)})
    return Header(line=line, names=[str(c).strip() for c in cells], index=index, ignored=ignored)


def mapped_header(line: int, cells, columns: list[Column], mapping: dict, file_name: str) -> Header:
    """A header whose column mapping was chosen by the user ({column key: cell index},
    e.g. corrected on the preview page) instead of detected; checked like a detected one."""
    by_key = {c.key: c for c in columns}
    names = [str(c).strip() for c in cells]
    index: dict[str, int] = {}
    for key, position in (mapping or {}).items():
        if position is None or position == "":
            continue
        try:
            position = int(position)
        except (TypeError, ValueError):
            position = -1
        if key not in by_key or not 0 <= position < len(names):
            raise FileError(_("%(name)s: the column mapping names a column the file does not have.")
                            % {"name": file_name})
        if position in index.values():
            raise FileError(_("%(name)s: one column of the file is mapped twice.") % {"name": file_name})
        index[key] = position
    missing = [str(c.label) for c in columns if c.required and c.key not in index]
    if missing:
        raise FileError(_("%(name)s, line %(line)d: required column missing: %(columns)s.")
                        % {"name": file_name, "line": line, "columns": "、".join(missing)})
    used = set(index.values())
    return Header(line=line, names=names, index=index,
                  ignored=[n for i, n in enumerate(names) if n and i not in used])


def likely_header(rows, columns: list[Column]):
    """(line, cells, index) of the row within the first rows that matches the most column
    names (the first row when none matches any), or None for a file without rows: the
    header row a user maps by hand when `find_header` refuses the file."""
    best = None
    for n, (line, cells) in enumerate(rows):
        index = match_header(cells, columns)[0]
        if best is None or len(index) > len(best[2]):
            best = (line, cells, index)
        if n + 1 >= HEADER_SCAN_ROWS:
            break
    return best
