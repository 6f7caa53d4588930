"""The behaviour pattern (客户行为规律表, R-7.5), computed set-based from the visits.

Rules, as implemented:

- The visits that count: not voided, amount ≥ 0 (a refund is not a visit, R-2.3 and
  visits/profile.py). Every visit belongs to its local date in the property's time zone
  (`Property.zone`): PostgreSQL converts with `AT TIME ZONE`; SQLite adds the zone's UTC
  offset, as a CASE over the zone's offset changes between the property's first and last
  visit (found in Python from zoneinfo), so daylight saving is right on both.
- Visiting days: the distinct local dates; several visits on one day are one visiting day.
- usual_interval: the median of the gaps (in days) between consecutive visiting days —
  robust to one long absence, unlike the mean. With an even number of gaps it is the mean of
  the two middle gaps rounded half up (gaps 7 and 10 → 9; 7 and 8 → 8): integer
  arithmetic, (g_low + g_high + 1) div 2, the same on both databases.
- usual_weekday (0 = Monday … 6 = Sunday): the weekday with the most visiting days; a tie
  goes to the weekday of the most recent of the tied days.
- usual_meal_period: the code of the meal period with the most visits. The classification
  is the report aggregates' (reports.aggregates): the periods of `aggregates.meal_periods(prop)`
  (or the defaults), a visit belongs to the period whose local [starts, ends) holds its local
  time, a rooms outlet's visit to the all-day period "day", any other to "other"; "day" and
  "other" are not meal periods and do not vote (a guest seen only in the rooms or only at
  odd hours has no usual meal period). A tie goes to the period of the most recent visit.
- expected_next_visit = the last visiting day + usual_interval.
- Fewer than two visiting days: all four are empty.
- "Overdue" is expected_next_visit < the property's local today, computed when read
  (`is_overdue`, `overdue_days`), never stored.

Measured (bench: yk_dash_bench, PostgreSQL, 50,000 customers, 1,000,000 visits, on the shared
2-core machine at load 5–6 with other test runs): the whole property 19–26 s (an earlier
version with one more pass was 45–60 s); a few listed customers ~0.1 s. SQLite not measured.

`refresh_patterns(prop, customer_ids=None)` writes the four Customer columns (not in the
file's history) with two UPDATE statements per chunk of customers — the pattern of every
customer with a counting visit through one CTE pipeline of window functions, and empty values
for those left without any counting visit — and returns the number of files changed; only
rows whose values change are written. No Python loop over customers.

When: the visits_changed receiver (`on_visits_changed`) recomputes the customers of the
changed visits in the change's transaction (a few files: cheap); a change that does not list
its times (an import, a merge) queues `tasks_pattern.refresh_property_patterns` after the
commit; and every night `tasks_pattern.nightly_patterns` recomputes every property (the
safety net for a change that sent no signal).
"""

import datetime as dt
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Max, Min

from yingke.core.models import Property
from yingke.customers.models import Customer
from yingke.reports.models import ALL_DAY, OTHER_PERIOD
from yingke.visits.models import Visit

CHUNK = 500  # customer ids per statement when a list is given
NOT_MEAL_PERIODS = (ALL_DAY, OTHER_PERIOD)


# ---- the local time of a visit, per vendor -----------------------------------------------

def _offset(zone, instant: dt.datetime) -> int:
    return int(instant.astimezone(zone).utcoffset().total_seconds())


@lru_cache(maxsize=256)
def offset_segments(zone_key: str, first: dt.date, last: dt.date) -> tuple[tuple[dt.datetime | None, int], ...]:
    """The UTC offsets (seconds) of `zone_key` from `first` to `last` (UTC days) as
    ((None, offset), (change_1, offset_1), …): from change_i (an aware UTC instant, inclusive)
    on, the offset is offset_i. Found by sampling each day and bisecting to the second."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_key)
    step = dt.timedelta(hours=12)  # offsets do not change twice within half a day
    at = dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime.combine(last, dt.time(0), tzinfo=dt.UTC) + dt.timedelta(days=2)
    current = _offset(zone, at)
    segments = [(None, current)]
    while at < end:
        nxt = at + step
        offset = _offset(zone, nxt)
        if offset != current:
            lo, hi = at, nxt  # offset(lo) == current, offset(hi) != current
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if _offset(zone, mid) == current:
                    lo = mid
                else:
                    hi = mid
            segments.append((hi, offset))
            current = offset
        at = nxt
    return tuple(segments)


def _local_sqlite(prop: Property, params: dict) -> str:
    """SQLite: the local timestamp 'YYYY-MM-DD HH:MM:SS' of v.occurred_at (stored as UTC text)."""
    span = (Visit.objects.filter(property_id=prop.pk).order_by()
            .aggregate(first=Min("occurred_at"), last=Max("occurred_at")))
    if span["first"] is None:
        return "datetime(v.occurred_at)"
    segments = offset_segments(prop.zone.key, span["first"].date(), span["last"].date())
    if len(segments) == 1:
        return f"datetime(v.occurred_at, '{int(segments[0][1]):+d} seconds')"
    whens = []
    # CASE from the latest change backwards: a visit at or after change i has offset i.
    for i in range(len(segments) - 1, 0, -1):
        at, offset = segments[i]
        params[f"tz{i}"] = connection.ops.adapt_datetimefield_value(at)
        whens.append(f"WHEN v.occurred_at >= %(tz{i})s THEN '{int(offset):+d} seconds'")
    return f"datetime(v.occurred_at, CASE {' '.join(whens)} ELSE '{int(segments[0][1]):+d} seconds' END)"


# ---- the statements ----------------------------------------------------------------------

def _period_case(prop: Property, params: dict, vendor: str) -> str:
    """The meal period code of a visit (vd.t local time, vd.okind outlet kind), or NULL for the
    all-day period of a rooms outlet and for "other" (reports.aggregates' classification)."""
    from yingke.reports.aggregates import meal_periods

    whens = ["WHEN okind = 'rooms' THEN NULL"]  # okind, t: the outlet's kind, the local time
    for i, (code, _name, starts, ends) in enumerate(meal_periods(prop)):
        if code in NOT_MEAL_PERIODS:
            continue
        params[f"mp{i}"], params[f"ms{i}"], params[f"me{i}"] = code, _time(starts, vendor), _time(ends, vendor)
        whens.append(f"WHEN t >= %(ms{i})s AND t < %(me{i})s THEN %(mp{i})s")
    return f"CASE {' '.join(whens)} ELSE NULL END"


def _time(value: dt.time, vendor: str):
    return value if vendor == "postgresql" else value.strftime("%H:%M:%S")


def _pipeline(prop: Property, params: dict, scope: str) -> str:
    vendor = connection.vendor
    if vendor == "postgresql":
        params["tz"] = prop.zone.key
        local = "(v.occurred_at AT TIME ZONE %(tz)s)"
        day, time = "CAST(lt AS DATE)", "CAST(lt AS TIME)"
        gap = "d - LAG(d) OVER (PARTITION BY cid ORDER BY at)"
        weekday = "CAST(EXTRACT(ISODOW FROM d) AS INTEGER) - 1"
        add = "CAST(l.last_d + m.iv AS DATE)"
    else:
        local = _local_sqlite(prop, params)
        day, time = "substr(lt, 1, 10)", "substr(lt, 12, 8)"
        gap = "CAST(julianday(d) - julianday(LAG(d) OVER (PARTITION BY cid ORDER BY at)) AS INTEGER)"
        weekday = "(CAST(strftime('%%w', d) AS INTEGER) + 6) %% 7"
        add = "date(l.last_d, '+' || m.iv || ' days')"
    period = _period_case(prop, params, vendor)
    return f"""
WITH lv AS (
    SELECT cid, at, d, p, {gap} AS gap
    FROM (SELECT cid, at, d, {period} AS p
          FROM (SELECT cid, at, {day} AS d, {time} AS t, okind
                FROM (SELECT v.customer_id AS cid, v.occurred_at AS at, {local} AS lt, o.kind AS okind
                      FROM visits_visit v LEFT JOIN core_outlet o ON o.id = v.outlet_id
                      WHERE v.property_id = %(prop)s AND v.voided_at IS NULL AND v.amount >= 0 {scope}) s) u) w
), ranked AS (
    SELECT cid, gap, ROW_NUMBER() OVER (PARTITION BY cid ORDER BY gap) AS rn,
        COUNT(*) OVER (PARTITION BY cid) AS n
    FROM lv WHERE gap > 0
), med AS (
    SELECT cid, (MIN(gap) + MAX(gap) + 1) / 2 AS iv
    FROM ranked WHERE rn = (n + 1) / 2 OR rn = n / 2 + 1 GROUP BY cid
), lastday AS (
    SELECT cid, MAX(d) AS last_d FROM lv GROUP BY cid
), wd AS (
    SELECT cid, w, ROW_NUMBER() OVER (PARTITION BY cid ORDER BY cnt DESC, recent DESC) AS r
    FROM (SELECT cid, {weekday} AS w, COUNT(*) AS cnt, MAX(d) AS recent
          FROM lv WHERE gap IS NULL OR gap > 0 GROUP BY cid, {weekday}) x
), mp AS (
    SELECT cid, p, ROW_NUMBER() OVER (PARTITION BY cid ORDER BY cnt DESC, recent DESC) AS r
    FROM (SELECT cid, p, COUNT(*) AS cnt, MAX(at) AS recent FROM lv WHERE p IS NOT NULL GROUP BY cid, p) x
), pat AS (
    SELECT l.cid AS cid, m.iv AS iv,
        CASE WHEN m.iv IS NULL THEN NULL ELSE w.w END AS w,
        CASE WHEN m.iv IS NULL THEN '' ELSE COALESCE(p.p, '') END AS mp,
        CASE WHEN m.iv IS NULL THEN NULL ELSE {add} END AS nxt
    FROM lastday l
    LEFT JOIN med m ON m.cid = l.cid
    LEFT JOIN wd w ON w.cid = l.cid AND w.r = 1
    LEFT JOIN mp p ON p.cid = l.cid AND p.r = 1
)"""


def _update_sql(prop: Property, params: dict, scope: str) -> str:
    if connection.vendor == "postgresql":
        changed = ("(c.usual_interval, c.usual_weekday, c.usual_meal_period, c.expected_next_visit) "
                   "IS DISTINCT FROM (pat.iv, pat.w, pat.mp, pat.nxt)")
    else:
        changed = ("(c.usual_interval IS NOT pat.iv OR c.usual_weekday IS NOT pat.w "
                   "OR c.usual_meal_period IS NOT pat.mp OR c.expected_next_visit IS NOT pat.nxt)")
    return _pipeline(prop, params, scope) + f"""
UPDATE customers_customer AS c
SET usual_interval = pat.iv, usual_weekday = pat.w, usual_meal_period = pat.mp, expected_next_visit = pat.nxt
FROM pat
WHERE c.id = pat.cid AND c.property_id = %(prop)s AND {changed}
"""


# Files left without any counting visit (all voided or refunds, or a merge moved them away).
_CLEAR_SQL = """
UPDATE customers_customer
SET usual_interval = NULL, usual_weekday = NULL, usual_meal_period = '', expected_next_visit = NULL
WHERE property_id = %(prop)s {scope}
  AND (usual_interval IS NOT NULL OR usual_weekday IS NOT NULL OR usual_meal_period <> ''
       OR expected_next_visit IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM visits_visit v WHERE v.customer_id = customers_customer.id
                  AND v.voided_at IS NULL AND v.amount >= 0)
"""


def _rowcount(cursor) -> int:
    # Python's sqlite3 (before 3.12) reports -1 for a statement that starts with WITH
    if cursor.rowcount >= 0:
        return cursor.rowcount
    cursor.execute("SELECT changes()")
    return cursor.fetchone()[0]


def _run(prop: Property, ids: list[int] | None) -> int:
    params: dict = {"prop": prop.pk}
    if ids is None:
        scope_v = scope_c = ""
    else:
        names = []
        for i, pk in enumerate(ids):
            params[f"c{i}"] = int(pk)
            names.append(f"%(c{i})s")
        scope_v = f"AND v.customer_id IN ({', '.join(names)})"
        scope_c = f"AND id IN ({', '.join(names)})"
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(prop, params, scope_v), params)
        changed += _rowcount(cursor)
        cursor.execute(_CLEAR_SQL.format(scope=scope_c), params)
        changed += max(cursor.rowcount, 0)
    return changed


def refresh_patterns(prop: Property, customer_ids=None) -> int:
    """Recompute the behaviour pattern of the customers of `prop` (all, or those of
    `customer_ids` — ids of other properties are ignored). Returns the number of files whose
    pattern changed. Idempotent."""
    with transaction.atomic():
        if customer_ids is None:
            from yingke.grading.compute import tune_transaction

            tune_transaction()  # PostgreSQL: sorts in memory; derived data needs no synchronous commit
            return _run(prop, None)
        ids = sorted({int(pk) for pk in customer_ids})
        return sum(_run(prop, ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK))


# ---- read time -------------------------------------------------------------------------

def overdue_days(customer: Customer, today: dt.date | None = None) -> int:
    """Days past the expected next visit (0 when not overdue or without a pattern); `today`
    defaults to the local today of the file's property."""
    if customer.expected_next_visit is None:
        return 0
    today = today or customer.property.local_today()
    return max((today - customer.expected_next_visit).days, 0)


def is_overdue(customer: Customer, today: dt.date | None = None) -> bool:
    return overdue_days(customer, today) > 0


def weekday_name(weekday: int | None) -> str:
    """0 → Monday (translated); '' for None."""
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS[weekday]) if weekday is not None and 0 <= weekday <= 6 else ""


def meal_period_name(code: str, prop: Property | None = None) -> str:
    """The name of a meal period code: the property's own period (one query) when `prop` is
    given, else the default periods' translated name; the code itself when not found."""
    from yingke.reports.aggregates import meal_periods
    from yingke.reports.models import DEFAULT_MEAL_PERIODS

    if not code:
        return ""
    rows = meal_periods(prop) if prop is not None else DEFAULT_MEAL_PERIODS
    return next((str(name) for c, name, _s, _e in rows if c == code), code)


def describe(customer: Customer) -> dict:
    """What the 360 page shows (control/_pattern_card.html): one query for the meal period's
    name when there is a pattern, none otherwise."""
    if customer.usual_interval is None:
        return {"has_pattern": False}
    today = customer.property.local_today()
    days = overdue_days(customer, today)
    return {
        "has_pattern": True,
        "interval": customer.usual_interval,
        "weekday": weekday_name(customer.usual_weekday),
        "meal_period": meal_period_name(customer.usual_meal_period, customer.property),
        "expected": customer.expected_next_visit,
        "overdue_days": days,
        "due_in": max((customer.expected_next_visit - today).days, 0) if customer.expected_next_visit else None,
    }


# ---- when visits change ----------------------------------------------------------------

def on_visits_changed(sender, property_id, times=None, customer_ids=None, **kwargs):
    """visits_changed receiver (control.apps): the customers of the changed visits now, in the
    change's transaction — `customer_ids` when the sender lists them, else the customers with a
    visit at one of `times` in the property (the visits_prop_time index; a stranger's visit at
    the very same instant costs one extra recompute, never a wrong pattern); times=None (imports,
    merges) queues the whole property after the commit."""
    prop = Property.objects.filter(pk=property_id).first()
    if prop is None:
        return
    if customer_ids is None and times:
        instants = [t for t in times if t is not None]
        customer_ids = list(Visit.objects.filter(property_id=property_id, occurred_at__in=instants)
                            .order_by().values_list("customer_id", flat=True).distinct())
    if customer_ids is not None:
        if customer_ids:
            refresh_patterns(prop, customer_ids)
        return
    from yingke.control.tasks_pattern import refresh_property_patterns

    transaction.on_commit(lambda: refresh_property_patterns(property_id))
