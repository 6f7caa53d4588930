"""The consumption profile of a guest file (消费特征, R-2.3): derived from visits and stays,
never typed in, kept current after every write.

What each field means (voided visits count nowhere):
  visit_count     visits with an amount ≥ 0 (a refund, a negative amount, is not a visit)
  total_spend     the sum of every amount: refunds reduce it
  average_spend   total_spend / visit_count, two decimals (0 without visits)
  first/last_visit_at  the first and last of those visits
  stay_count, nights   visits that are stays (arrival set), and their nights
  refund_count, refund_total  refunds and the refunded sum (a positive number)
  consumption     {"room_types": [[name, n], …], "outlets": […], "channels": […]}: the five
                  most frequent of each among the visits, most frequent first (ties by name)

`refresh_profiles` is set-based: per chunk of customers one query that reads their visits
once and answers the aggregates and the consumption lists (ranked in SQL), and one UPDATE
(FROM unnest(arrays) on PostgreSQL, FROM (VALUES …) on SQLite) that writes every field of
every customer of the chunk — two queries whether the chunk holds one customer or two
thousand (tests/visits/test_consumption_profile.py). Django's bulk_update would write CASE
expressions in batches of 999 // fields rows on SQLite (fourteen statements for 1,000
customers).
"""

import decimal
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from yingke.customers.models import Customer
from yingke.visits.models import Visit

# Customers per chunk. SQLite: 12 values a row in the UPDATE's VALUES list, 24,000 parameters
# (it allows 32,766). PostgreSQL takes the ids and each column as one array, so a chunk can be
# larger: each chunk's read is one scan of the visits (a parallel seq scan once the chunk's
# visits are a few percent of the table), 50 of them at 2,000 files a chunk for 100,000 files.
CHUNK = 2000
PG_CHUNK = 20_000
TOP = 5
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The columns written, with their PostgreSQL type for the VALUES list (SQLite takes them as stored).
COLUMNS = [
    ("visit_count", "integer"), ("total_spend", "numeric"), ("average_spend", "numeric"),
    ("first_visit_at", "timestamp with time zone"), ("last_visit_at", "timestamp with time zone"),
    ("stay_count", "integer"), ("nights", "integer"), ("refund_count", "integer"), ("refund_total", "numeric"),
    ("consumption", "jsonb"),
]


def refresh_profiles(customer_ids: Iterable[int] | None = None, *, property=None) -> int:
    """Recompute the profile of these customers (or of every customer of `property`);
    returns how many were refreshed."""
    if customer_ids is None:
        if property is None:
            raise ValueError("refresh_profiles needs customer ids or a property")
        ids_qs = Customer.objects.filter(property=property).order_by("pk").values_list("pk", flat=True)
        done, last = 0, 0
        while True:
            chunk = list(ids_qs.filter(pk__gt=last)[:_chunk()])
            if not chunk:
                return done
            done += _refresh_chunk(chunk)
            last = chunk[-1]
    ids = sorted({int(i) for i in customer_ids})
    done = 0
    size = _chunk()
    for start in range(0, len(ids), size):
        done += _refresh_chunk(ids[start:start + size])
    return done


def _chunk() -> int:
    return PG_CHUNK if connection.vendor == "postgresql" else CHUNK


def _refresh_chunk(ids: list[int]) -> int:
    if not ids:
        return 0
    agg, consumption = _read(ids)
    values = []
    for pk in ids:
        r = agg.get(pk)
        if r is None:
            values.append((pk, 0, ZERO, ZERO, None, None, 0, 0, 0, ZERO, {}))
            continue
        n, total, first, last, stays, nights, refunds, refunded = r
        total = (total or ZERO).quantize(CENT)
        average = (total / n).quantize(CENT) if n else ZERO
        values.append((pk, n, total, average, first, last, stays, nights or 0, refunds,
                       (-(refunded or ZERO)).quantize(CENT), consumption.get(pk, {})))
    _write(values)
    return len(ids)


def _read(ids: list[int]) -> tuple[dict[int, tuple], dict[int, dict]]:
    """The aggregates of each customer that has visits, and its consumption lists
    ({"room_types": …, "outlets": …, "channels": …}, only the non-empty ones).

    One query that reads the chunk's visits once (a MATERIALIZED CTE): the aggregates, then
    the three grouped counts ranked per customer and list by ROW_NUMBER() (most frequent
    first, ties by name in code-point order: SQLite's BINARY collation, COLLATE "C" on
    PostgreSQL), only the top five. Reading the visits once per part made PostgreSQL scan
    the visits table four times per chunk (a parallel seq scan each, ~0.15 s at 1,000,000
    visits)."""
    qn = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    visits = qn(Visit._meta.db_table)
    outlets = qn(Visit._meta.get_field("outlet").related_model._meta.db_table)
    if pg:
        where_ids, params = "v.customer_id = ANY(%s)", [list(ids)]
        collate = ' COLLATE "C"'
    else:
        where_ids, params = f"v.customer_id IN ({', '.join(['%s'] * len(ids))})", list(ids)
        collate = ""
    spend = "amount >= 0"
    sql = f"""
        WITH live AS MATERIALIZED (
            SELECT v.customer_id AS cid, v.amount AS amount, v.occurred_at AS at, v.nights AS nights,
                   v.arrival IS NOT NULL AS stay, v.room_type AS room_type, v.channel AS channel, o.name AS outlet
              FROM {visits} v LEFT JOIN {outlets} o ON o.id = v.outlet_id
             WHERE {where_ids} AND v.voided_at IS NULL
        )
        SELECT cid, -1, NULL, COUNT(*) FILTER (WHERE {spend}), SUM(amount),
               MIN(at) FILTER (WHERE {spend}), MAX(at) FILTER (WHERE {spend}),
               COUNT(*) FILTER (WHERE {spend} AND stay), SUM(nights) FILTER (WHERE {spend} AND stay),
               COUNT(*) FILTER (WHERE amount < 0), SUM(amount) FILTER (WHERE amount < 0)
          FROM live GROUP BY cid
        UNION ALL
        SELECT cid, kind, label, n, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM (
            SELECT cid, kind, label, n,
                   ROW_NUMBER() OVER (PARTITION BY cid, kind ORDER BY n DESC, label{collate}) AS rn
            FROM (
                SELECT cid, 0 AS kind, room_type AS label, COUNT(*) AS n FROM live
                 WHERE {spend} AND stay AND room_type <> '' GROUP BY cid, room_type
                UNION ALL
                SELECT cid, 1, outlet, COUNT(*) FROM live WHERE {spend} AND outlet <> '' GROUP BY cid, outlet
                UNION ALL
                SELECT cid, 2, channel, COUNT(*) FROM live
                 WHERE {spend} AND stay AND channel <> '' GROUP BY cid, channel
            ) grouped
        ) ranked
        WHERE rn <= {TOP}"""
    names = ("room_types", "outlets", "channels")
    agg: dict[int, tuple] = {}
    ranked = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, kind, label, n, total, first, last, stays, nights, refunds, refunded in cursor.fetchall():
            if kind >= 0:
                ranked.append((pk, kind, -n, label))
            elif pg:
                agg[pk] = (n, total, first, last, stays, nights, refunds, refunded)
            else:  # SQLite answers numbers and text: converted as Django converts them
                agg[pk] = (n, _decimal(total), _datetime(first), _datetime(last), stays, nights, refunds,
                           _decimal(refunded))
    consumption: dict[int, dict] = defaultdict(dict)
    for pk, kind, minus_n, label in sorted(ranked):
        consumption[pk].setdefault(names[kind], []).append([label, -minus_n])
    return agg, consumption


_FROM_FLOAT = decimal.Context(prec=15).create_decimal_from_float  # as Django's SQLite converter


def _decimal(value):
    return None if value is None else _FROM_FLOAT(value)


def _datetime(value):
    return connection.ops.convert_datetimefield_value(value, None, connection)


def _write(values: list[tuple]) -> None:
    """One UPDATE for the whole chunk: FROM unnest(one array per column) on PostgreSQL (a
    VALUES list of 2,000 rows has 22,000 placeholders, which the driver spent ~1 s splitting
    per statement; each array goes as one literal, see _array_literal), FROM (VALUES …) on
    SQLite (≥ 3.33)."""
    ops, qn = connection.ops, connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    fields = [Customer._meta.get_field(name) for name, _type in COLUMNS]
    table = qn(Customer._meta.db_table)
    # JSON travels as text (a text[] array on PostgreSQL, cast per row)
    sets = ", ".join(f"{qn(f.column)} = v.column{i + 2}" + ("::jsonb" if pg and t == "jsonb" else "")
                     for i, (f, (_name, t)) in enumerate(zip(fields, COLUMNS, strict=True)))
    where = f"WHERE {table}.{qn('id')} = v.column1"
    if pg:
        columns = [list(c) for c in zip(*values, strict=True)]
        columns[-1] = [json.dumps(value, ensure_ascii=False) for value in columns[-1]]
        columns = [_array_literal(c) for c in columns]
        arrays = ", ".join(f"CAST(%s AS {'text' if t == 'jsonb' else t}[])"
                           for t in ["bigint"] + [t for _n, t in COLUMNS])
        names = ", ".join(f"column{i + 1}" for i in range(len(COLUMNS) + 1))
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({names}) {where}", columns)
        return
    params = []
    for row in values:
        pk, *rest = row
        params.append(pk)
        for field, value in zip(fields, rest, strict=True):
            if field.get_internal_type() == "JSONField":
                value = json.dumps(value, ensure_ascii=False)
            elif field.get_internal_type() == "DateTimeField":
                value = ops.adapt_datetimefield_value(value)
            elif field.get_internal_type() == "DecimalField":
                value = ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
            params.append(value)
    one = "(" + ", ".join(["%s"] * (len(COLUMNS) + 1)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([one] * len(values))}) AS v {where}",
                       params)


def _array_literal(values) -> str:
    """A PostgreSQL array literal of the values' text forms, each quoted ('{"1",NULL,"a\\"b"}'):
    the driver sends one string instead of adapting 2,000 elements one by one in Python
    (~0.1 s per column and chunk)."""
    return "{" + ",".join("NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for v in values) + "}"
