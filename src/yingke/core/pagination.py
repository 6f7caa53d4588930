"""The one keyset paginator of the UI and the API: pages follow (sort key, id), never an OFFSET.

A page after the row (v, vid) is fetched with the row-value comparison

    (key, id) > (v, vid)        -- (key, id) < (v, vid) for a descending order

which both planners turn into one range of the (property, key, id) index: PostgreSQL
seeks to the row itself (`Index Cond: … AND (ROW(name_pinyin, id) > ROW(…))`); SQLite
(row values since 3.15) seeks to the cursor's key (`(property_id=? AND name_pinyin>?)`:
it does not carry the rowid `id` into the range) and skips the few rows of the same key.
The spelled-out form `key > v OR (key = v AND id > vid)` (the API's old form) gets the
same range from SQLite 3.40 but none from PostgreSQL, which scanned the property's rows.

Django 5.2's tuple lookups write the row value natively on PostgreSQL but fall back to
that OR form on SQLite (`supports_tuple_lookups = False`, kept for SQLite < 3.15); our
lookups below skip the fallback. tests/core/test_keyset_pagination.py reads both plans.

A cursor is opaque: base64 of JSON [ordering name, key, id], so a cursor of one ordering
is refused by another. `InvalidCursor` says a token is not one of ours.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DateField, DateTimeField, DecimalField, F, IntegerField, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.lookups import GreaterThan, LessThan


class _RowAfter(TupleGreaterThan):
    def as_sql(self, compiler, connection):
        return GreaterThan.as_sql(self, compiler, connection)  # native row value on every backend


class _RowBefore(TupleLessThan):
    def as_sql(self, compiler, connection):
        return LessThan.as_sql(self, compiler, connection)


@dataclass(frozen=True)
class Ordering:
    """A keyset ordering: the sort key, its direction; the id breaks ties in the same direction."""

    name: str  # what the cursor carries and the query string says, e.g. "-created"
    key: str  # a model field, e.g. "created_at"
    descending: bool = False
    # A key that may be null (e.g. last_visit_at): nulls come last in either direction, by
    # id among themselves, on SQLite and PostgreSQL alike (which differ in their defaults).
    nullable: bool = False

    def order_by(self, backwards: bool = False) -> tuple:
        down = self.descending != backwards
        if self.nullable:
            nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
            key = F(self.key).desc(**nulls) if down else F(self.key).asc(**nulls)
            return key, F("pk").desc() if down else F("pk").asc()
        sign = "-" if down else ""
        return f"{sign}{self.key}", f"{sign}pk"

    def after(self, value, pk, backwards: bool = False):
        """The condition selecting the rows that follow (value, pk) in this order (or precede them)."""
        down = self.descending != backwards
        lookup = _RowBefore if down else _RowAfter
        row = lookup(Tuple(F(self.key), F("pk")), (value, pk)) if value is not None else None
        if not self.nullable:
            return row
        # (key, id) compared with a null key is null: those rows are taken explicitly.
        null, not_null = Q(**{f"{self.key}__isnull": True}), Q(**{f"{self.key}__isnull": False})
        beyond = Q(pk__lt=pk) if down else Q(pk__gt=pk)
        if not backwards:  # forwards: the rest of the keyed rows, then the nulls
            return (null & beyond) if value is None else (Q(row) | null)
        return (not_null | (null & beyond)) if value is None else (not_null & Q(row))


class InvalidCursor(ValueError):
    pass


@dataclass
class Page:
    rows: list
    has_next: bool
    has_previous: bool
    next_cursor: str
    previous_cursor: str


def encode_cursor(ordering: Ordering, row) -> str:
    value = getattr(row, ordering.key)
    if isinstance(value, dt.date):  # datetimes too
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps([ordering.name, value, row.pk], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, ordering: Ordering, model) -> tuple:
    """The (key, id) of a cursor of `ordering`; InvalidCursor when it is not one of ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(data, list) or len(data) != 3 or data[0] != ordering.name:
            raise ValueError
        _name, value, pk = data
        # Keys are text (datetimes and decimals written as text) or whole numbers, null only
        # for a nullable ordering; NUL and lone surrogates cannot reach PostgreSQL; ids and
        # whole numbers fit in 64 bits.
        if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk < 2**63:
            raise ValueError
        field = model._meta.get_field(ordering.key)
        if value is None:
            if not ordering.nullable:
                raise ValueError
            return value, pk
        if isinstance(field, IntegerField):
            if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
                raise ValueError
            return value, pk
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError
        value.encode()
        if isinstance(field, DateTimeField):
            value = dt.datetime.fromisoformat(value)
            # An aware time at the calendar's ends (0001-01-01T00:00+14:00) overflows when the
            # database or Python turns it into UTC: only years 1900–2100 are keys of ours.
            if value.tzinfo is None or not 1900 <= value.year <= 2100:
                raise ValueError
            value = value.astimezone(dt.UTC)
        elif isinstance(field, DateField):
            value = dt.date.fromisoformat(value)
            if not 1900 <= value.year <= 2100:
                raise ValueError
        elif isinstance(field, DecimalField):
            value = Decimal(value)
            if not value.is_finite() or abs(value) >= Decimal(10) ** (field.max_digits - field.decimal_places):
                raise ValueError
    except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError, RecursionError, ArithmeticError):
        raise InvalidCursor(token) from None
    return value, pk


def keyset_page(qs, ordering: Ordering, size: int, after: str = "", before: str = "") -> Page:
    """One page of `qs` in `ordering`, after the `after` cursor or before the `before` cursor.

    Raises InvalidCursor for a token that is not a cursor of this ordering.
    """
    backwards = bool(before)
    cursor = decode_cursor(before or after, ordering, qs.model) if (before or after) else None
    if cursor is not None:
        qs = qs.filter(ordering.after(*cursor, backwards=backwards))
    rows = list(qs.order_by(*ordering.order_by(backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:  # going backwards is going forwards in the opposite order
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, cursor is not None
    return Page(
        rows=rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        next_cursor=encode_cursor(ordering, rows[-1]) if rows else "",
        previous_cursor=encode_cursor(ordering, rows[0]) if rows else "",
    )


def capped_count(qs, cap: int) -> tuple[int, bool]:
    """(count, more): counts at most cap + 1 rows, so that a huge list never runs a full COUNT."""
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap
