"""Keyset pagination: pages follow the sort key and the id, never an OFFSET.

A page is fetched with `key > last key OR (key = last key AND id > last id)`, written
as `key >= v AND (key > v OR id > vid)` so that the database starts an index range at
`v` instead of scanning from the first row. Page links carry an opaque cursor.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import DateTimeField, Q

COUNT_CAP = 10_000


@dataclass
class Page:
    rows: list
    has_next: bool
    has_previous: bool
    next_cursor: str
    previous_cursor: str


def encode(value, pk) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, field) -> tuple | None:
    """The (value, id) of a cursor, or None when the token is not one of ours."""
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        # Sort keys are never null; a NUL or a lone surrogate cannot reach PostgreSQL; ids fit in 64 bits.
        if not isinstance(value, str) or "\x00" in value or not _encodable(value):
            return None
        if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk < 2**63:
            return None
        if isinstance(field, DateTimeField):
            value = dt.datetime.fromisoformat(value)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None
    return value, pk


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _after(field: str, value, pk, descending: bool) -> Q:
    if descending:
        return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk))
    return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(pk__gt=pk))


def paginate(qs, field: str, descending: bool, size: int, after: str = "", before: str = "") -> Page:
    """One page of `qs` ordered by (`field`, id), after or before a cursor."""
    model_field = qs.model._meta.get_field(field)
    sign = "-" if descending else ""
    backwards = False
    cursor = None
    if before:
        cursor = decode(before, model_field)
        backwards = cursor is not None
    if cursor is None and after:
        cursor = decode(after, model_field)
    if cursor is not None:
        # Going backwards is going forwards in the opposite order.
        qs = qs.filter(_after(field, cursor[0], cursor[1], descending != backwards))
    if backwards:
        sign = "" if descending else "-"
    rows = list(qs.order_by(f"{sign}{field}", f"{sign}pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, cursor is not None
    return Page(
        rows=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_cursor=encode(getattr(rows[-1], field), rows[-1].pk) if rows else "",
        previous_cursor=encode(getattr(rows[0], field), rows[0].pk) if rows else "",
    )


def capped_count(qs, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, more): counts at most cap + 1 rows so that a huge list stays fast."""
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap
