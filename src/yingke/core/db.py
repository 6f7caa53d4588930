"""Differences between SQLite and PostgreSQL that the rest of the code should not see.

`insert_rows` / `reserve_ids` are the one bulk-write path (demo data, imports): plain
tuples go in with COPY on PostgreSQL and one executemany on SQLite, bypassing the ORM's
per-object work where thousands of rows a second are needed.
"""

import datetime as dt
import json
import sqlite3
from itertools import chain

from django.db import connection


def sqlite_datetime(value: dt.datetime) -> str:
    """An aware datetime as SQLite stores it, naive UTC text as Django writes it
    ("2026-11-03 11:30:00[.ffffff]"): the value in UTC without its "+00:00" suffix (a third
    faster than subtracting the offset). Callers may pass this text to `insert_rows`."""
    return value.astimezone(dt.UTC).isoformat(" ")[:-6]


SQLITE_PREP = {  # text values (already prepared) go in as they are
    "DateTimeField": sqlite_datetime,
    "DateField": dt.date.isoformat,
    "DecimalField": str,
}


SQLITE_ROWS_PER_INSERT = 500
SQLITE_NARROW = 8  # columns


def _sqlite_max_variables() -> int:
    """Parameters one SQLite statement may have: 32,766 since 3.32, 999 before."""
    return 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def refresh_statistics(models=None) -> None:
    """Refresh the query planner's statistics after bulk loads (demo data, imports), of
    every table or only of `models`' tables.

    Without them SQLite may pick a poor index (seen: a property index instead of the
    ID blind index, 200 ms instead of 1 ms at 50,000 customers).
    """
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models] if models else [""]
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA analysis_limit=2000")
        if connection.vendor in ("sqlite", "postgresql"):
            for table in tables:
                cur.execute(f"ANALYZE {table}".strip())


def insert_rows(model, fields: list[str], rows: list, *, prepared: bool = False) -> None:
    """Insert plain tuples (values in the order of `fields`, attnames such as
    "customer_id"): COPY on PostgreSQL, executemany elsewhere. Datetimes must be aware.
    `prepared`: on SQLite, the values are already as it stores them (dates and datetimes as
    `SQLITE_PREP` writes them, decimals as text), nothing to convert."""
    if not rows:
        return
    opts = model._meta
    qn = connection.ops.quote_name
    objs = [opts.get_field(f) for f in fields]
    cols = ", ".join(qn(f.column) for f in objs)
    table = qn(opts.db_table)
    jsons = [i for i, f in enumerate(objs) if f.get_internal_type() == "JSONField"]
    if jsons:  # JSON travels as text to COPY and to SQLite alike
        rows = [list(r) for r in rows]
        for r in rows:
            for i in jsons:
                r[i] = json.dumps(r[i], ensure_ascii=False)
    # wrap_database_errors: the driver's errors become Django's (IntegrityError …), so that
    # callers (the import engine's replay) catch them like any other database error.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite stores dates as ISO text, datetimes as naive UTC text and decimals as
        # text-affinity numbers (as Django does).
        preps = [] if prepared else [(i, SQLITE_PREP[f.get_internal_type()]) for i, f in enumerate(objs)
                                     if f.get_internal_type() in SQLITE_PREP]
        if preps:
            rows = [list(r) for r in rows]
            for i, prep in preps:
                last_in = last_out = None  # a column often repeats one value (created_at): prepare it once
                for r in rows:
                    value = r[i]
                    if value is not None and value.__class__ is not str:
                        if value is not last_in:
                            last_in, last_out = value, prep(value)
                        r[i] = last_out
        # The driver's own cursor: Django's wrapper would rewrite the statement per call.
        one = "(" + ", ".join(["?"] * len(objs)) + ")"
        if len(objs) > SQLITE_NARROW:
            cursor.cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES {one}", rows)
            return
        # Narrow rows (search keys, tag links), many per statement (VALUES (…), (…), …): twice as
        # fast as executemany, whose every row is a statement of its own (statement journal,
        # AUTOINCREMENT bookkeeping); for wide rows (visits) binding the values is the cost, the same.
        per = max(1, min(SQLITE_ROWS_PER_INSERT, _sqlite_max_variables() // len(objs)))
        insert = f"INSERT INTO {table} ({cols}) VALUES "
        full = insert + ", ".join([one] * per)
        flat = chain.from_iterable
        end = len(rows) - len(rows) % per
        for start in range(0, end, per):
            cursor.cursor.execute(full, list(flat(rows[start:start + per])))
        if end < len(rows):
            cursor.cursor.execute(insert + ", ".join([one] * (len(rows) - end)), list(flat(rows[end:])))


def reserve_ids(model, n: int) -> list[int]:
    """n fresh primary keys for `model` (call inside the transaction that inserts them:
    on SQLite the write lock, taken at BEGIN IMMEDIATE, keeps them ours)."""
    if n <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, pk, n])
            return [r[0] for r in cursor.fetchall()]
        # Never below AUTOINCREMENT's high-water mark: the id of a deleted (merged-away)
        # row must not come back, its history and its merge record still name it.
        cursor.execute(f"SELECT MAX(COALESCE(MAX({connection.ops.quote_name(pk)}), 0), "
                       f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)) "
                       f"FROM {connection.ops.quote_name(table)}", [table])
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + n))


def save_unique(obj, field: str, message, **save_kwargs) -> None:
    """Save `obj` in a savepoint; a unique constraint refusing it (a concurrent insert of the
    same key included) becomes Conflict({field: [message]}) (API: 409), the transaction intact."""
    from django.db import IntegrityError, transaction

    from yingke.core.services import Conflict

    try:
        with transaction.atomic():
            obj.save(**save_kwargs)
    except IntegrityError:
        raise Conflict({field: [message]}) from None
