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
three grouped queries for the consumption lists and one UPDATE … FROM (VALUES …) that
writes every field of every customer of the chunk — five queries whether the chunk holds
one customer or two thousand (tests/visits/test_consumption_profile.py). Django's
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
    consumption = _consumption(live.filter(spend))
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


def _top(rows, key) -> dict[int, list]:
    by_customer = defaultdict(list)
    for r in rows:
        if r[key]:
            by_customer[r["customer_id"]].append([r[key], r["n"]])
    return {pk: sorted(items, key=lambda item: (-item[1], item[0]))[:TOP] for pk, items in by_customer.items()}


def _consumption(visits) -> dict[int, dict]:
    """customer id → {"room_types": …, "outlets": …, "channels": …} (only the non-empty lists)."""
    stays = visits.filter(arrival__isnull=False)
    lists = {
        "room_types": _top(stays.exclude(room_type="").order_by().values("customer_id", "room_type")
                           .annotate(n=Count("id")), "room_type"),
        "outlets": _top(visits.filter(outlet__isnull=False).order_by().values("customer_id", "outlet__name")
                        .annotate(n=Count("id")), "outlet__name"),
        "channels": _top(stays.exclude(channel="").order_by().values("customer_id", "channel")
                         .annotate(n=Count("id")), "channel"),
    }
    out: dict[int, dict] = defaultdict(dict)
    for name, per_customer in lists.items():
        for pk, items in per_customer.items():
            out[pk][name] = items
    return out


def _write(values: list[tuple]) -> None:
    """One UPDATE … FROM (VALUES …) for the whole chunk (PostgreSQL; SQLite ≥ 3.33)."""
    ops, qn = connection.ops, connection.ops.quote_name
    pg = connection.vendor == "postgresql"
    fields = [Customer._meta.get_field(name) for name, _type in COLUMNS]
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

    def cast(sql_type):
        return f"CAST(%s AS {sql_type})" if pg else "%s"

    one = "(" + ", ".join([cast("bigint")] + [cast(t) for _name, t in COLUMNS]) + ")"
    table = qn(Customer._meta.db_table)
    sets = ", ".join(f"{qn(f.column)} = v.column{i + 2}" for i, f in enumerate(fields))
    sql = (f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([one] * len(values))}) AS v "
           f"WHERE {table}.{qn('id')} = v.column1")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
