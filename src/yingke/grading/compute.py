"""The grading computation (R-4.1–R-4.5), set-based, in one SQL statement per step.

Rules, as implemented (seed 000, SPEC R-4):

- Window: a visit is in the window of as-of date D when its local date d (the property's
  time zone) satisfies D − W < d ≤ D. We turn that into two UTC instants — local midnight
  of D − W + 1 and local midnight of D + 1 — and select `start <= occurred_at < end`, an
  index range on visit_prop_time (property, occurred_at). Voided visits do not count.
- A refund (a negative amount) is not a visit (visits/profile.py, the module report):
  f = the non-voided rows of the window with amount ≥ 0; effective = f ≥ 1 (a customer whose
  only rows in the window are refunds is D); m = the sum of ALL non-voided amounts of the
  window, refunds negative (a dinner fully refunded: f = 1, m = 0); s = m / f; the
  tie-break `last` is the latest non-refund visit of the window.
- Money is summed in integer cents (on SQLite decimals are stored as REAL, so each amount
  is rounded to cents before summing: exact m). s is ordered by the double cents / f —
  equal rationals give equal doubles (division is correctly rounded), so ties of s are
  exact ties; s is stored rounded HALF-UP to cents (−0.025 → −0.03), in integer arithmetic.
- n = effective customers; k = ceil(p·n) and the B count ceil(q·(n − k)) are computed
  exactly from the percentages in basis points: (bp·x + 9999) div 10000.
- rank_f: f desc, m desc, last visit desc, id asc; rank_m: m desc, f desc, last desc, id asc.
- A: the first k by (max(rank_f, rank_m), rank_f + rank_m, −m, id) (R-4.4).
- The rest by s desc, m desc, id asc: the first ceil(q·(n − k)) are B, others C (R-4.5).
- Every customer of the property gets an entry; not effective → D with visits 0, amount 0,
  no standard, no ranks. `position` is the export order: A by the R-4.4 key, B and C by
  the R-4.5 key, then D by customer code in code-point order, the same on both databases
  (PostgreSQL COLLATE "C"; SQLite's default BINARY is that order already).

The snapshot is two INSERT … SELECT statements — the effective customers through one CTE
pipeline of window functions (the same text on SQLite and PostgreSQL but for GREATEST/MAX,
the cents cast and the double type), then every other customer as D — and the customers'
grades one UPDATE … FROM; no Python loop over customers. Measured (bench/grading.py, 50,000
customers, 1,000,000 visits, 81,663 in the window, on the shared 2-core machine at load ~4):
SQLite 1.7 s (floor 0.7 s), PostgreSQL 1.4 s (floor 0.2 s).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from yingke.core.models import Property


@dataclass(frozen=True)
class Window:
    as_of: dt.date
    days: int
    first_day: dt.date  # D − W + 1, the first local day in the window
    start: dt.datetime  # UTC instant of local midnight starting first_day (inclusive)
    end: dt.datetime  # UTC instant of local midnight after D (exclusive)


def window_for(as_of: dt.date, days: int, prop: "Property | str") -> Window:
    """The W local days ending with `as_of` as a half-open range of UTC instants, in the time
    zone of `prop` (a Property, or a time zone name) — through Property.day_start."""
    if isinstance(prop, str):
        prop = Property(time_zone=prop)
    first = as_of - dt.timedelta(days=days - 1)
    return Window(as_of, days, first, prop.day_start(first), prop.day_start(as_of + dt.timedelta(days=1)))


def basis_points(percent: Decimal) -> int:
    """20 → 2000, 33.33 → 3333 (the field has two decimal places: exact)."""
    value = Decimal(percent) * 100
    if value != value.to_integral_value():
        raise ValueError(f"share with more than two decimals: {percent}")
    return int(value)


def ceil_share(bp: int, n: int) -> int:
    """ceil(bp / 10000 · n), exactly."""
    return (bp * n + 9999) // 10000


def _snapshot_sql(vendor: str) -> str:
    if vendor == "postgresql":
        greatest = "GREATEST(rf, rm)"
        cents = "CAST(SUM(v.amount) * 100 AS BIGINT)"
        ratio = "CAST(mc AS DOUBLE PRECISION) / f"
        div = "CAST({} AS NUMERIC) / 100"
    else:
        greatest = "MAX(rf, rm)"
        cents = "SUM(CAST(ROUND(v.amount * 100) AS INTEGER))"
        ratio = "CAST(mc AS REAL) / f"
        div = "{} / 100.0"
    # standard in cents, HALF-UP (away from zero on a tie), integer division truncating toward 0
    sc = "CASE WHEN mc >= 0 THEN (2 * mc + f) / (2 * f) ELSE -((f - 2 * mc) / (2 * f)) END"
    return f"""
INSERT INTO grading_gradeentry
    (run_id, customer_id, grade, visits, amount, standard, rank_visits, rank_amount, last_visit_at, position)
WITH agg AS (
    SELECT v.customer_id AS cid, SUM(CASE WHEN v.amount >= 0 THEN 1 ELSE 0 END) AS f, {cents} AS mc,
        MAX(CASE WHEN v.amount >= 0 THEN v.occurred_at END) AS last
    FROM visits_visit v
    WHERE v.property_id = %(prop)s AND v.occurred_at >= %(start)s AND v.occurred_at < %(end)s
      AND v.voided_at IS NULL
    GROUP BY v.customer_id
    HAVING SUM(CASE WHEN v.amount >= 0 THEN 1 ELSE 0 END) >= 1
), eff AS (
    SELECT a.cid, a.f, a.mc, a.last
    FROM agg a JOIN customers_customer c ON c.id = a.cid AND c.property_id = %(prop)s
), ranked AS (
    SELECT cid, f, mc, last,
        ROW_NUMBER() OVER (ORDER BY f DESC, mc DESC, last DESC, cid ASC) AS rf,
        ROW_NUMBER() OVER (ORDER BY mc DESC, f DESC, last DESC, cid ASC) AS rm,
        COUNT(*) OVER () AS n
    FROM eff
), a_key AS (
    SELECT cid, f, mc, last, rf, rm, n,
        ROW_NUMBER() OVER (ORDER BY {greatest} ASC, rf + rm ASC, mc DESC, cid ASC) AS pa,
        (%(p_bp)s * n + 9999) / 10000 AS k
    FROM ranked
), graded AS (
    SELECT cid, f, mc, last, rf, rm, n, k, pa,
        ROW_NUMBER() OVER (PARTITION BY CASE WHEN pa <= k THEN 0 ELSE 1 END
                           ORDER BY {ratio} DESC, mc DESC, cid ASC) AS ps
    FROM a_key
), final AS (
    SELECT cid, f, mc, last, rf, rm,
        CASE WHEN pa <= k THEN 'A'
             WHEN ps <= (%(q_bp)s * (n - k) + 9999) / 10000 THEN 'B'
             ELSE 'C' END AS grade,
        CASE WHEN pa <= k THEN pa ELSE k + ps END AS pos,
        {sc} AS sc
    FROM graded
)
SELECT %(run)s, cid, grade, f, {div.format("mc")}, {div.format("sc")}, rf, rm, last, pos
FROM final
"""


# Every other customer of the property is D, placed after the effective ones by customer code.
# A second statement rather than a LEFT JOIN of all customers with the graded set: SQLite
# planned that join as a scan of the graded set per customer (minutes at 50,000 customers);
# NOT EXISTS is a lookup in the (run, customer) unique index.
_D_SQL = """
INSERT INTO grading_gradeentry
    (run_id, customer_id, grade, visits, amount, standard, rank_visits, rank_amount, last_visit_at, position)
SELECT %(run)s, c.id, 'D', 0, 0, NULL, NULL, NULL, NULL,
    (SELECT COUNT(*) FROM grading_gradeentry WHERE run_id = %(run)s) + ROW_NUMBER() OVER (ORDER BY c.customer_code{collate}, c.id)
FROM customers_customer c
WHERE c.property_id = %(prop)s
  AND NOT EXISTS (SELECT 1 FROM grading_gradeentry e WHERE e.run_id = %(run)s AND e.customer_id = c.id)
"""


def tune_transaction() -> None:
    """PostgreSQL, for this transaction only: sorts of the ~30,000 effective customers in
    memory (the default 4 MB work_mem spilled three sorts to disk), and a commit that does not
    wait for the WAL flush (the run's ~50,000 rows took 0.65 s to COMMIT on this machine).
    A snapshot is derived data: a crash in the instant after a run can lose that run — the
    database stays consistent and the run can be repeated — never anything else."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', '64MB', true), set_config('synchronous_commit', 'off', true)")


def refresh_entry_statistics(rows: int) -> None:
    """PostgreSQL: ANALYZE the snapshot table when this run's `rows` are a large part of it
    (the first runs of a new installation), in one statement so the query count stays fixed.
    With statistics of an empty table the planner looked a previous run's entry up by scanning
    the whole run for each customer (churn: 150 s instead of 0.1 s at 50,000 customers);
    later, autovacuum's own ANALYZE keeps up (a run is then a small share of the table)."""
    if connection.vendor == "postgresql" and rows:
        with connection.cursor() as cursor:
            cursor.execute(f"""DO $$ BEGIN
                IF (SELECT reltuples FROM pg_class WHERE oid = 'grading_gradeentry'::regclass) < {int(rows) * 4}
                THEN ANALYZE grading_gradeentry; END IF; END $$""")


def store_snapshot(run_id: int, property_id: int, window: Window, a_share: Decimal, b_share: Decimal) -> None:
    """Compute the grades of every customer of the property and insert the run's entries:
    the effective customers (A, B, C) in one statement, then the others (D)."""
    ops = connection.ops
    params = {
        "prop": property_id, "run": run_id,
        "start": ops.adapt_datetimefield_value(window.start), "end": ops.adapt_datetimefield_value(window.end),
        "p_bp": basis_points(a_share), "q_bp": basis_points(b_share),
    }
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(connection.vendor), params)
        collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""  # SQLite: BINARY already
        cursor.execute(_D_SQL.replace("{collate}", collate), {"run": run_id, "prop": property_id})


def apply_grades(run_id: int, property_id: int) -> int:
    """Customer.grade_computed = the run's grade; Customer.grade = the override's grade when
    there is one, else the computed grade. Only rows that change are written."""
    sql = """
UPDATE customers_customer
SET grade_computed = e.grade, grade = COALESCE(o.grade, e.grade)
FROM grading_gradeentry e LEFT JOIN grading_gradeoverride o ON o.customer_id = e.customer_id
WHERE e.run_id = %(run)s AND customers_customer.id = e.customer_id
  AND customers_customer.property_id = %(prop)s
  AND (customers_customer.grade_computed <> e.grade OR customers_customer.grade <> COALESCE(o.grade, e.grade))
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"run": run_id, "prop": property_id})
        return cursor.rowcount


def snapshot_counts(run_id: int) -> dict:
    """Counts per grade, visits and amount (exact, in cents) of a stored snapshot."""
    cents = ("CAST(SUM(amount) * 100 AS BIGINT)" if connection.vendor == "postgresql"
             else "SUM(CAST(ROUND(amount * 100) AS INTEGER))")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT grade, COUNT(*), SUM(visits), {cents} FROM grading_gradeentry "
                       "WHERE run_id = %s GROUP BY grade", [run_id])
        rows = cursor.fetchall()
    out = {"A": 0, "B": 0, "C": 0, "D": 0, "visits": 0, "cents": 0}
    for grade, count, visits, cents_sum in rows:
        out[grade] = count
        out["visits"] += int(visits or 0)
        out["cents"] += int(cents_sum or 0)
    return out


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))
