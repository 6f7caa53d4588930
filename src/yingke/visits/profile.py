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

`refresh_profiles` is set-based: per chunk of CHUNK customers one grouped aggregate query,
one query for the consumption lists (ranked in SQL) and one UPDATE (FROM unnest(arrays) on
PostgreSQL, FROM (VALUES …) on SQLite) that writes every field of every customer of the
chunk — three queries whether the chunk holds one customer or two thousand (tests/visits/test_consumption_profile.py). Django's
bulk_update would write CASE expressions in batches of 999 // fields rows on SQLite
(fourteen statements for 1,000 customers).
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from yingke.customers.models import Customer
from yingke.visits.models import Visit

CHUNK = 2000  # 12 values a row: 24,000 parameters (SQLite ≥ 3.32 allows 32,766, PostgreSQL 65,535)
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
            chunk = list(ids_qs.filter(pk__gt=last)[:CHUNK])
            if not chunk:
                return done
            done += _refresh_chunk(chunk)
            last = chunk[-1]
    ids = sorted({int(i) for i in customer_ids})
    done = 0
    for start in range(0, len(ids), CHUNK):
        done += _refresh_chunk(ids[start:start + CHUNK])
    return done


def counted(visits):
    """The visits that count: not voided."""
    return visits.filter(voided_at__isnull=True)


def _refresh_chunk(ids: list[int]) -> int:
    if not ids:
        return 0
    live = counted(Visit.objects.filter(customer_id__in=ids))
    spend = Q(amount__gte=0)
    stay = spend & Q(arrival__isnull=False)
    refund = Q(amount__lt=0)
    rows = live.order_by().values("customer_id").annotate(
        visits=Count("id", filter=spend), total=Sum("amount"),
        first=Min("occurred_at", filter=spend), last=Max("occurred_at", filter=spend),
        stays=Count("id", filter=stay), nights_=Sum("nights", filter=stay),
        refunds=Count("id", filter=refund), refunded=Sum("amount", filter=refund),
    )
    agg = {r["customer_id"]: r for r in rows}
    consumption = _consumption(ids)
    values = []
    for pk in ids:
        r = agg.get(pk)
        if r is None:
            values.append((pk, 0, ZERO, ZERO, None, None, 0, 0, 0, ZERO, {}))
            continue
        total = (r["total"] or ZERO).quantize(CENT)
        n = r["visits"]
        average = (total / n).quantize(CENT) if n else ZERO
        values.append((pk, n, total, average, r["first"], r["last"], r["stays"], r["nights_"] or 0,
                       r["refunds"], (-(r["refunded"] or ZERO)).quantize(CENT), consumption.get(pk, {})))
    _write(values)
    return len(ids)


def _consumption(ids: list[int]) -> dict[int, dict]:
    """customer id → {"room_types": …, "outlets": …, "channels": …} (only the non-empty lists).

    One query: the three grouped counts (UNION ALL), ranked per customer and list by
    ROW_NUMBER() in the database (most frequent first, ties by name in code-point order:
    SQLite's BINARY collation, COLLATE "C" on PostgreSQL), only the top five come back."""
    qn = connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    visits = qn(Visit._meta.db_table)
    outlets = qn(Visit._meta.get_field("outlet").related_model._meta.db_table)
    if pg:
        where_ids, one_param = "v.customer_id = ANY(%s)", [list(ids)]
        collate = ' COLLATE "C"'
    else:
        where_ids, one_param = f"v.customer_id IN ({', '.join(['%s'] * len(ids))})", list(ids)
        collate = ""
    live = f"{where_ids} AND v.voided_at IS NULL AND v.amount >= 0"
    sql = f"""
        SELECT customer_id, kind, label, n FROM (
            SELECT customer_id, kind, label, n,
                   ROW_NUMBER() OVER (PARTITION BY customer_id, kind ORDER BY n DESC, label{collate}) AS rn
            FROM (
                SELECT v.customer_id AS customer_id, 0 AS kind, v.room_type AS label, COUNT(*) AS n
                  FROM {visits} v
                 WHERE {live} AND v.arrival IS NOT NULL AND v.room_type <> ''
                 GROUP BY v.customer_id, v.room_type
                UNION ALL
                SELECT v.customer_id, 1, o.name, COUNT(*)
                  FROM {visits} v JOIN {outlets} o ON o.id = v.outlet_id
                 WHERE {live} AND o.name <> ''
                 GROUP BY v.customer_id, o.name
                UNION ALL
                SELECT v.customer_id, 2, v.channel, COUNT(*)
                  FROM {visits} v
                 WHERE {live} AND v.arrival IS NOT NULL AND v.channel <> ''
                 GROUP BY v.customer_id, v.channel
            ) grouped
        ) ranked
        WHERE rn <= {TOP}
        ORDER BY customer_id, kind, rn"""
    names = ("room_types", "outlets", "channels")
    out: dict[int, dict] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, one_param * 3)
        for pk, kind, label, n in cursor.fetchall():
            out[pk].setdefault(names[kind], []).append([label, n])
    return out


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
