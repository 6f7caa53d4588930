"""The management dashboard's figures (R-11.1, R-11.2), one function for the page, the API
and the exports: `dashboard(actor, prop, period, from_run, to_run)`.

Definitions (seed 000: "有效客户贡献占总营收45%以上的酒店,上桌率即可保持在80%以上";
"年度营收曲线的波动:有效客服体系者在10%左右;无有效客服体系者在15%-30%之间"):

- Effective customer: a managed file (one with an account manager) graded A, B or C in a
  grading snapshot. Their share of revenue at a snapshot is their revenue in the snapshot's
  window (GradeEntry.amount) over the property's revenue in the same local days (walk-ins
  and files without an account manager included), against the 45 % line.
- Occupancy (上桌率): tables served (visits) ÷ (tables × days) per outlet and meal period;
  rooms: room nights ÷ (rooms × days). Days run from the period's first day to its last
  day or today, whichever is earlier. Against 80 %.
- Managed customers against walk-ins: tables, covers and revenue of files with an account
  manager against the rest.
- A share: A ÷ effective (A+B+C) customers of each snapshot; the trend uses the last
  snapshot of each month in the period.
- Volatility: the coefficient of variation (population standard deviation ÷ mean) of the
  revenue of the period's complete months from the first month with visits; bands ≤ 10 % steady, ≤ 15 %, ≤ 30 %, above.
- Pareto: customers ranked by revenue in the period (positive revenue only); the share of
  customers who make 80 % of it.

A sales manager (core.permissions.team_limited) sees only figures attributable to the files
of their team (report_rule): effective customers, grades, migration, monthly revenue and
Pareto of those files. Occupancy, walk-ins and shares of the property's revenue are not
shown to them (they cannot be attributed to a team).

Periods are whole local months (from-month to to-month): the customer aggregates are kept
per month.
"""

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core.models import Outlet, Property
from yingke.core.periods import add_months, month_end
from yingke.core.permissions import REPORT, chosen_property, report_rule, require, team_limited
from yingke.grading.models import GradeEntry, GradingRun
from yingke.reports import aggregates
from yingke.reports.models import (
    ALL_DAY,
    OTHER_PERIOD,
    CustomerMonthStat,
    DailyOutletStat,
    OwnerMonthStat,
    ReportCache,
    RunGradeStat,
)

EFFECTIVE_LINE = 0.45
OCCUPANCY_LINE = 0.80
PARETO_LINE = 0.80
VOLATILITY_BANDS = [(0.10, "steady"), (0.15, "watch"), (0.30, "volatile")]  # above: "very_volatile"
MAX_MONTHS = 60
RUN_CHOICES = 100
# The Pareto groups a year of customer-months by customer (≈0.4 s at 1M visits): its result is
# kept this long (and warmed by the job for the default period), like a report printed at a time.
PARETO_SECONDS = 600
GRADES = ["A", "B", "C", "D"]
EFFECTIVE_GRADES = ["A", "B", "C"]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    first: dt.date  # first day of the first month
    last: dt.date  # last day of the last month

    @property
    def key(self) -> tuple[str, str]:
        return f"{self.first:%Y-%m}", f"{self.last:%Y-%m}"


def default_period(prop: Property) -> Period:
    this = prop.local_today().replace(day=1)
    return Period(add_months(this, -11), month_end(this))


def parse_month(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    try:
        if not text.isascii():  # strptime would read full-width and other Unicode digits
            raise ValueError
        if len(text) == 7:
            value = dt.datetime.strptime(text, "%Y-%m").date()
        elif len(text) == 10:
            value = dt.datetime.strptime(text, "%Y-%m-%d").date().replace(day=1)
        else:
            raise ValueError
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def parse_period(prop: Property, first: str | None, last: str | None) -> tuple[Period, dict]:
    """The period of `from`/`to` (YYYY-MM, or a date: its month), or the default last 12
    months; errors per field (the default period is returned with them)."""
    errors: dict[str, list[str]] = {}
    if not first and not last:
        return default_period(prop), errors
    a, b = parse_month(first), parse_month(last)
    if first and a is None:
        errors["from"] = [_("Enter a month as YYYY-MM between 2000 and 2100.")]
    if last and b is None:
        errors["to"] = [_("Enter a month as YYYY-MM between 2000 and 2100.")]
    if errors:
        return default_period(prop), errors
    a = a or b
    b = b or a
    if a > b:
        return default_period(prop), {"to": [_("The last month must not be before the first.")]}
    if (b.year * 12 + b.month) - (a.year * 12 + a.month) >= MAX_MONTHS:
        return default_period(prop), {"to": [_("Choose at most %(n)d months.") % {"n": MAX_MONTHS}]}
    return Period(a, month_end(b)), errors


def quick_periods(prop: Property) -> list[tuple[str, Period]]:
    """The period chooser's shortcuts: month, quarter, year, last 12 months."""
    today = prop.local_today()
    this = today.replace(day=1)
    q = this.replace(month=(this.month - 1) // 3 * 3 + 1)
    year = this.replace(month=1)
    return [
        (_("This month"), Period(this, month_end(this))),
        (_("Last month"), Period(add_months(this, -1), month_end(add_months(this, -1)))),
        (_("This quarter"), Period(q, month_end(add_months(q, 2)))),
        (_("Last quarter"), Period(add_months(q, -3), month_end(add_months(q, -1)))),
        (_("This year"), Period(year, month_end(add_months(year, 11)))),
        (_("Last year"), Period(add_months(year, -12), month_end(add_months(year, -1)))),
        (_("Last 12 months"), Period(add_months(this, -11), month_end(this))),
    ]


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def ratio(part, whole) -> float | None:
    if whole is None or part is None or whole <= 0:
        return None
    return round(float(part) / float(whole), 4)


# -- results kept in reports.ReportCache ------------------------------------------------------

def cached(key: str) -> tuple[int, dt.datetime, dict] | None:
    row = ReportCache.objects.filter(key=key).values_list("version", "computed_at", "payload").first()
    return row


def store(key: str, version: int, payload: dict) -> None:
    ReportCache.objects.update_or_create(key=key, defaults={"version": version, "computed_at": timezone.now(),
                                                            "payload": payload})


# -- sections ----------------------------------------------------------------------------

def _runs(prop: Property, period: Period) -> list[dict]:
    """The snapshots of the trend: the last run of each month of the period."""
    rows = (GradingRun.objects.filter(property=prop, as_of__gte=period.first, as_of__lte=period.last,
                                      finished_at__isnull=False)
            .order_by("as_of", "id")
            .values("id", "as_of", "window_days", "customers", "effective", "a_count", "b_count", "c_count",
                    "d_count"))
    per_month: dict = {}
    for r in rows:
        per_month[(r["as_of"].year, r["as_of"].month)] = r
    return list(per_month.values())


def _run_stats(actor, runs, limited, grades):
    """{(run_id, grade): (customers, amount)} from RunGradeStat: managed files for the
    property's figures, the team's files (report_rule) for a sales manager."""
    ids = [r["id"] for r in runs]
    aggregates.summarise_runs(ids)
    qs = RunGradeStat.objects.filter(run_id__in=ids, grade__in=grades)
    qs = qs.filter(report_rule(actor)) if limited else qs.filter(owner__isnull=False)
    return {(s["run_id"], s["grade"]): (s["n"], s["amount"]) for s in
            qs.order_by().values("run_id", "grade").annotate(n=Sum("customers"), amount=Sum("amount"))}


def _effective(actor, prop, runs, limited) -> dict:
    rows = []
    if runs:
        stats = _run_stats(actor, runs, limited, EFFECTIVE_GRADES)
        window_revenue = {}
        if not limited:
            first = min(r["as_of"] - dt.timedelta(r["window_days"] - 1) for r in runs)
            last = max(r["as_of"] for r in runs)
            daily = dict(DailyOutletStat.objects.filter(property=prop, day__gte=first, day__lte=last)
                         .order_by().values("day").annotate(r=Sum("revenue")).values_list("day", "r"))
            for r in runs:
                lo = r["as_of"] - dt.timedelta(r["window_days"] - 1)
                window_revenue[r["id"]] = sum((v for d, v in daily.items() if lo <= d <= r["as_of"]), Decimal(0))
        for r in runs:
            n = sum(stats.get((r["id"], g), (0, 0))[0] for g in EFFECTIVE_GRADES)
            amount = money(sum((stats.get((r["id"], g), (0, 0))[1] or 0 for g in EFFECTIVE_GRADES), Decimal(0)))
            total = money(window_revenue[r["id"]]) if r["id"] in window_revenue else None
            rows.append({"as_of": r["as_of"], "window_days": r["window_days"], "customers": n,
                         "revenue": amount, "window_revenue": total, "share": ratio(amount, total)})
    return {"rows": rows, "latest": rows[-1] if rows else None, "line": EFFECTIVE_LINE}


def _grades(actor, runs, limited) -> dict:
    rows = []
    if limited and runs:
        stats = _run_stats(actor, runs, limited, GRADES)
        for r in runs:
            r.update({f"{g.lower()}_count": stats.get((r["id"], g), (0, 0))[0] for g in GRADES})
    for r in runs:
        effective = r["a_count"] + r["b_count"] + r["c_count"]
        rows.append({"as_of": r["as_of"], "A": r["a_count"], "B": r["b_count"], "C": r["c_count"], "D": r["d_count"],
                     "effective": effective, "a_share": ratio(r["a_count"], effective)})
    return {"rows": rows, "latest": rows[-1] if rows else None}


def run_choices(prop: Property) -> list[dict]:
    return list(GradingRun.objects.filter(property=prop, finished_at__isnull=False).order_by("-as_of", "-id")
                .values("id", "as_of")[:RUN_CHOICES])


def _migration(actor, prop, choices, runs, from_run, to_run, limited) -> dict:
    by_id = {c["id"]: c for c in choices}
    to_id = to_run if to_run in by_id else (runs[-1]["id"] if runs else (choices[0]["id"] if choices else None))
    if from_run in by_id:
        from_id = from_run
    else:  # the first snapshot of the period's trend, else the one before the target
        older = [c for c in choices if to_id and (c["as_of"], c["id"]) < (by_id[to_id]["as_of"], to_id)]
        from_id = runs[0]["id"] if runs and runs[0]["id"] != to_id else (older[0]["id"] if older else None)
    matrix = {f: {t: 0 for t in GRADES} for f in GRADES + ["new"]}
    if to_id and from_id:
        key = f"reports:migration:{from_id}:{to_id}:{actor.pk if limited else 'all'}"
        team = _team_fingerprint(actor) if limited else None
        found = cached(key)
        pairs = found[2]["pairs"] if found and found[2].get("team") == team else None
        if pairs is None:  # snapshots never change: the pairs are kept (a team's while its files stay)
            qs = GradeEntry.objects.filter(run_id=to_id)
            if limited:
                qs = qs.filter(report_rule(actor, "customer"))
            totals = dict(qs.order_by().values("grade").annotate(n=Count("id")).values_list("grade", "n"))
            matched = list(qs.filter(customer__grade_entries__run_id=from_id).order_by()
                           .values("customer__grade_entries__grade", "grade").annotate(n=Count("id"))
                           .values_list("customer__grade_entries__grade", "grade", "n"))
            for t in GRADES:  # files in the later snapshot only: "new"
                new = totals.get(t, 0) - sum(n for _f, g, n in matched if g == t)
                if new:
                    matched.append((None, t, new))
            pairs = [list(p) for p in matched]
            store(key, 0, {"pairs": pairs, "team": team})
        for f, t, n in pairs:
            matrix[f or "new"][t] += n
    rows = [{"from": f, **{t: matrix[f][t] for t in GRADES}, "total": sum(matrix[f].values())} for f in matrix]
    return {"from_run": by_id.get(from_id), "to_run": by_id.get(to_id), "rows": rows}


def _team_fingerprint(actor) -> str:
    """Changes when the files of `actor`'s team change: a file given to or taken from the team
    (or a member joining or leaving it) changes the count or the sum of the ids, an edit of a
    file its last update."""
    from yingke.customers.models import Customer

    t = Customer.objects.filter(report_rule(actor)).aggregate(n=Count("id"), ids=Sum("id"), at=Max("updated_at"))
    return f"{t['n']}:{t['ids'] or 0}:{t['at'].isoformat() if t['at'] else '-'}"


def _occupancy(prop, period, days) -> dict:
    outlets = list(Outlet.objects.filter(property=prop).order_by("code"))
    stats = {(s["outlet_id"], s["period"]): s for s in
             DailyOutletStat.objects.filter(property=prop, day__gte=period.first, day__lte=period.last)
             .order_by().values("outlet_id", "period").annotate(visits=Sum("visits"), nights=Sum("room_nights"))}
    periods = aggregates.meal_periods(prop)
    rows = []
    for o in outlets:
        if o.kind == Outlet.Kind.ROOMS:
            served = (stats.get((o.pk, ALL_DAY)) or {}).get("nights") or 0
            rows.append(_occ_row(o, ALL_DAY, _("Rooms (nights)"), served, days))
            continue
        for code, name, _s, _e in periods:
            served = (stats.get((o.pk, code)) or {}).get("visits") or 0
            rows.append(_occ_row(o, code, name, served, days))
        other = (stats.get((o.pk, OTHER_PERIOD)) or {}).get("visits") or 0
        if other:
            row = _occ_row(o, OTHER_PERIOD, _("Other times"), other, days)
            row["occupancy"] = None  # no seats are planned outside the meal periods
            rows.append(row)
    return {"rows": rows, "line": OCCUPANCY_LINE, "days": days}


def _occ_row(outlet, code, name, served, days) -> dict:
    capacity = outlet.capacity * days
    return {"outlet": outlet.name, "outlet_code": outlet.code, "kind": outlet.kind, "period": code,
            "period_name": str(name), "served": served, "capacity": outlet.capacity, "days": days,
            "available": capacity, "occupancy": ratio(served, capacity)}


def _managed(prop, period) -> dict:
    t = DailyOutletStat.objects.filter(property=prop, day__gte=period.first, day__lte=period.last).aggregate(
        visits=Sum("visits"), covers=Sum("covers"), revenue=Sum("revenue"), m_visits=Sum("managed_visits"),
        m_covers=Sum("managed_covers"), m_revenue=Sum("managed_revenue"))
    rows = []
    for key, label in (("visits", _("Tables")), ("covers", _("Covers")), ("revenue", _("Revenue"))):
        total, managed = t[key] or 0, t[f"m_{key}"] or 0
        if key == "revenue":
            total, managed = money(total), money(managed)
        rows.append({"measure": key, "label": str(label), "managed": managed, "walk_in": total - managed,
                     "total": total, "managed_share": ratio(managed, total)})
    return {"rows": rows}


def _monthly(actor, prop, period, limited) -> dict:
    if limited:
        qs = (OwnerMonthStat.objects.filter(property=prop, month__gte=period.first, month__lte=period.last)
              .filter(report_rule(actor)).order_by().values("month")
              .annotate(visits=Sum("visits"), covers=Sum("covers"), revenue=Sum("revenue")))
        found = {r["month"]: r for r in qs}
    else:
        qs = (DailyOutletStat.objects.filter(property=prop, day__gte=period.first, day__lte=period.last)
              .order_by().annotate(m=TruncMonth("day")).values("m")
              .annotate(visits=Sum("visits"), covers=Sum("covers"), revenue=Sum("revenue")))
        found = {(r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]): r for r in qs}
    this_month = prop.local_today().replace(day=1)
    rows, month = [], period.first
    while month <= period.last:
        r = found.get(month, {})
        rows.append({"month": f"{month:%Y-%m}", "visits": r.get("visits") or 0, "covers": r.get("covers") or 0,
                     "revenue": money(r.get("revenue")), "complete": month < this_month})
        month = add_months(month, 1)
    # Months before the first month with visits (data not yet recorded or imported) do not count.
    started = next((i for i, r in enumerate(rows) if r["visits"]), len(rows))
    complete = [float(r["revenue"]) for r in rows[started:] if r["complete"]]
    cv = None
    if len(complete) >= 2 and statistics.fmean(complete) > 0:
        cv = round(statistics.pstdev(complete) / statistics.fmean(complete), 4)
    band = None
    if cv is not None:
        band = next((name for top, name in VOLATILITY_BANDS if cv <= top), "very_volatile")
    total = sum((r["revenue"] for r in rows), Decimal("0"))
    return {"rows": rows, "cv": cv, "band": band, "months_used": len(complete), "total": total}


def _pareto_key(prop, period, scope) -> str:
    return f"reports:pareto:{prop.pk}:{period.first:%Y%m}:{period.last:%Y%m}:{scope}"


def _pareto(actor, prop, period, limited, inline=True) -> dict:
    """Served from ReportCache when computed on the current aggregates; else, when a result of
    at most PARETO_SECONDS ago exists, that one (marked `lagging`) while the job recomputes it;
    else computed now — or, when not `inline` (the page: it then loads the panel on its own,
    see `pareto_panel`), `{"pending": True}` while the job computes it."""
    scope = actor.pk if limited else "all"
    key, now_version = _pareto_key(prop, period, scope), aggregates.version(prop)
    found = cached(key)
    if found is not None:
        version, computed_at, payload = found
        result = _pareto_loaded(payload, computed_at)
        if version == now_version:
            return result
        if (timezone.now() - computed_at).total_seconds() < PARETO_SECONDS:
            from yingke.reports.tasks import warm_pareto

            transaction.on_commit(lambda: warm_pareto(prop.pk, f"{period.first:%Y-%m}", f"{period.last:%Y-%m}",
                                                      actor.pk if limited else None))
            return {**result, "lagging": True}
    if not inline:
        return {"pending": True}
    return pareto_now(actor, prop, period, limited, now_version)


def pareto_panel(actor, prop: Property, period: Period) -> dict:
    """The Pareto alone (the page's panel loaded after the page, and the API's), computed now
    when no usable result is kept."""
    require(actor, REPORT, prop)
    _refreshed(prop, period)
    return {"property": prop.code, "from": period.key[0], "to": period.key[1],
            "pareto": _pareto(actor, prop, period, team_limited(actor))}


def _pareto_loaded(payload: dict, computed_at) -> dict:
    return {**payload, "total": Decimal(payload["total"]), "as_of": computed_at, "lagging": False,
            "rows": [{**r, "revenue": Decimal(r["revenue"])} for r in payload["rows"]]}


def pareto_now(actor, prop, period, limited, now_version) -> dict:
    payload = pareto_figures(actor, prop, period, limited)
    store(_pareto_key(prop, period, actor.pk if limited else "all"), now_version, payload)
    return _pareto_loaded(payload, timezone.now())


def pareto_figures(actor, prop, period, limited) -> dict:
    """The Pareto of the period, ranked in the database: customers by revenue (positive only,
    exact in cents, descending; equal revenues in customer order); only the rows that mark a
    percentile come back. The point of p % is the smallest number of customers that is at
    least p % of them (ceil(n·p/100)); the decile rows likewise; customers_80 is the smallest
    number whose revenue reaches 80 % of the total."""
    qs = CustomerMonthStat.objects.filter(property=prop, month__gte=period.first, month__lte=period.last)
    if limited:
        qs = qs.filter(report_rule(actor))
    grouped, params = (qs.order_by().values("customer_id").annotate(r=Sum("revenue")).filter(r__gt=0)
                       .values_list("customer_id", "r").query.sql_with_params())
    # Integer arithmetic throughout: the percentile test is floor(100·i/n) > floor(100·(i−1)/n),
    # the 80 % row the first whose running total reaches 8·total/10 (all in cents).
    sql = f"""
SELECT i, run, n, total FROM (
  SELECT i, run, n, total, run - c AS before FROM (
    SELECT c, ROW_NUMBER() OVER w AS i, SUM(c) OVER w AS run, COUNT(*) OVER () AS n, SUM(c) OVER () AS total
    FROM (SELECT g.customer_id AS customer, CAST(ROUND(g.r * 100) AS BIGINT) AS c FROM ({grouped}) g) cents
    WINDOW w AS (ORDER BY c DESC, customer ROWS UNBOUNDED PRECEDING)
  ) ranked
) s
WHERE (100 * i) / n > (100 * (i - 1)) / n OR (10 * run >= 8 * total AND 10 * before < 8 * total)
ORDER BY i"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    n = found[0][2] if found else 0
    total_cents = int(found[0][3]) if found else 0
    points, rows, k80 = [[0.0, 0.0]], [], None
    for i, run, _n, _t in found:
        run = int(run)
        if k80 is None and 10 * run >= 8 * total_cents:
            k80 = i
        if (100 * i) // n > (100 * (i - 1)) // n:
            points.append([round(i / n, 4), ratio(run, total_cents)])
        if (10 * i) // n > (10 * (i - 1)) // n:
            rows.append({"customers_pct": (10 * i) // n * 10, "customers": i, "revenue": str(cents(run)),
                         "revenue_share": ratio(run, total_cents)})
    return {"customers": n, "total": str(cents(total_cents)), "customers_80": k80,
            "share_80": ratio(k80, n) if k80 else None, "points": points, "line": PARETO_LINE, "rows": rows}


def cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)


# -- the whole dashboard ----------------------------------------------------------------

def property_for(user, code: str | None) -> tuple[Property, list[Property]]:
    """The property asked for by code, or the reader's first reportable one, with the list of
    reportable ones (core.permissions.chosen_property: 404 for a property the reader does not
    work at, 403 for a role that reads no reports)."""
    return chosen_property(user, code, REPORT)


def _refreshed(prop, period) -> int:
    """Refresh up to VIEW_REFRESH_DAYS stale days of the period (the job does the rest):
    the days still stale."""
    today = prop.local_today()
    if period.first > today:
        return 0
    _done, stale = aggregates.refresh_stale(prop, period.first, min(period.last, today),
                                            limit=aggregates.VIEW_REFRESH_DAYS)
    if stale:
        from yingke.reports.tasks import refresh_property

        refresh_property(prop.pk)
    return stale


def dashboard(actor, prop: Property, period: Period, from_run: int | None = None, to_run: int | None = None,
              refresh: bool = True, inline_pareto: bool = True) -> dict:
    require(actor, REPORT, prop)
    limited = team_limited(actor)
    today = prop.local_today()
    stale = _refreshed(prop, period) if refresh else 0
    days = max(0, (min(period.last, today) - period.first).days + 1)
    runs = _runs(prop, period)
    choices = run_choices(prop)
    data = {
        "property": prop.code, "from": period.key[0], "to": period.key[1], "days": days,
        "team_limited": limited, "stale_days": stale,
        "effective": _effective(actor, prop, [dict(r) for r in runs], limited),
        "grades": _grades(actor, [dict(r) for r in runs], limited),
        "migration": _migration(actor, prop, choices, runs, from_run, to_run, limited),
        "monthly": _monthly(actor, prop, period, limited),
        "pareto": _pareto(actor, prop, period, limited, inline_pareto),
        "occupancy": None if limited else _occupancy(prop, period, days),
        "managed": None if limited else _managed(prop, period),
        "runs": choices,
    }
    return data
