"""Target node analysis (CRM目标节点分析, R-6.5; seed 000: 岗位CRM目标, CRM目标节点分析
(月度、周分析模板), the three 激励点).

For a week or a month (the current one by default), `node_analysis(actor, prop, period)`:

- Per account manager, per team and for the property (control.targets: who reads whom,
  targets, actuals and roll-ups): actual against target per metric, achieved % (actual ÷
  target; none without a positive target), and
  time elapsed % = local days of the period gone by (today included) ÷ days in it (100 %
  for a finished period, 0 % for one not begun). A metric is **behind schedule** when its
  achieved % is below the time elapsed %.
- Per customer module (R-5.2; readers of the property's reports only, a sales manager's
  figures limited to the team's files as in grading.segments): effective customers (distinct
  customers with a visit in the period), visits and revenue, against the module's target
  (grading.ModuleTarget) for exactly this period, with achieved %, elapsed % and behind.
  Months come from grading.segments.module_report; weeks (which it does not cover) from the
  same one GROUP BY over the period's visits.

The three incentive points (激励点), per member, team and property:

1. Effective customers kept and grown (客户量的保持和递增): the member's files (owned now)
   effective (graded A/B/C) at the start — in the last grading snapshot (GradingRun /
   GradeEntry) taken before the period's first day — against the end: the current grades
   for a period not yet ended, else the last snapshot on or before its last day. kept =
   effective at both; lost = at the start, not at the end; gained = at the end, not at the
   start; change = end − start. Without a snapshot before the period, the start is unknown
   (shown as "—").
2. Customer behaviour matching the plan (客户行为与管理预期的一致性): of the member's files
   with an expected visit in the period up to today, the share who visited by that day. The
   expected day is the behaviour pattern's (R-7.5): the `expected_next_visit` column for a
   file with no visit since the period began; for a file that visited since (the column has
   moved on), the local day of its last visit before the period + its usual interval (the
   rule by which control.pattern fills the column). A visit in the period on or before the
   expected day (GRACE_DAYS later at most) matches. Files without a pattern are left out.
3. Mutual value (彼此价值贡献): revenue of the member's files in the period ÷ their effective
   customers at its end, against the same for the previous period of the same kind (for a
   period in progress, its first days of the same number: 1–10 June against 1–10 May), and
   the change in %.

Every figure is one query for all members (set-based): about twenty queries per page.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from yingke.control import targets as t
from yingke.core.models import Property
from yingke.core.permissions import REPORT, can, report_rule
from yingke.customers.models import Customer, Module
from yingke.grading import segments
from yingke.grading.models import GradeEntry, GradingRun, ModuleTarget
from yingke.reports.aggregates import SERVED
from yingke.visits.models import Visit

GRACE_DAYS = 0
MODULE_METRICS = ["customers", "visits", "revenue"]


def _behind(row: dict, elapsed) -> dict:
    row["behind"] = {m: (row["achieved"][m] is not None and elapsed is not None and row["achieved"][m] < elapsed)
                     for m in row["achieved"]}
    return row


def change_pct(now, before) -> Decimal | None:
    if now is None or before is None or before == 0:
        return None
    return ((Decimal(now) - Decimal(before)) * 100 / Decimal(before)).quantize(Decimal("0.1"))


# ---- incentive point 1 ----------------------------------------------------------------------

def start_snapshot(prop: Property, period: t.TargetPeriod):
    return (GradingRun.objects.filter(property=prop, as_of__lt=period.start, finished_at__isnull=False)
            .order_by("-as_of", "-id").only("id", "as_of").first())


def kept_and_grown(prop: Property, ids, period: t.TargetPeriod, end_counts: dict | None, today) -> dict:
    """{member: {"start", "end", "kept", "lost", "gained", "change"}} and the start snapshot."""
    run = start_snapshot(prop, period)
    out = {pk: {"start": None, "end": (end_counts or {}).get(pk, {}).get("effective", 0) if end_counts is not None
                else None, "kept": None, "lost": None, "gained": None, "change": None} for pk in ids}
    if run is None:
        return {"rows": out, "start_run": None}
    eff = ("A", "B", "C")
    starts = GradeEntry.objects.filter(run_id=run.pk, grade__in=eff, customer__owner_id__in=ids).order_by()
    start_n = dict(starts.values("customer__owner_id").annotate(n=Count("id")).values_list("customer__owner_id", "n"))
    if not period.finished(today):
        kept_qs = starts.filter(customer__grade__in=eff)
    else:
        end_run = t.snapshot_on_or_before(prop, period.end)
        kept_qs = starts.filter(customer__grade_entries__run_id=end_run.pk,
                                customer__grade_entries__grade__in=eff) if end_run else None
    kept_n = dict(kept_qs.values("customer__owner_id").annotate(n=Count("id"))
                  .values_list("customer__owner_id", "n")) if kept_qs is not None else None
    for pk in ids:
        r = out[pk]
        r["start"] = start_n.get(pk, 0)
        if r["end"] is not None and kept_n is not None:
            r["kept"] = kept_n.get(pk, 0)
            r["lost"] = r["start"] - r["kept"]
            r["gained"] = r["end"] - r["kept"]
            r["change"] = r["end"] - r["start"]
    return {"rows": out, "start_run": run}


# ---- incentive point 2 ----------------------------------------------------------------------

def plan_match(prop: Property, ids, period: t.TargetPeriod, today: dt.date) -> dict:
    """{member: {"due": n, "matched": n, "share": %}} (incentive point 2). One query."""
    lo, hi = period.bounds(prop)
    cutoff = min(period.end, today)
    out = {pk: {"due": 0, "matched": 0, "share": None} for pk in ids}
    if cutoff < period.start:
        return out
    ok = Q(visits__voided_at__isnull=True, visits__amount__gte=0)
    rows = (Customer.objects.filter(property=prop, owner_id__in=ids)
            .filter(Q(expected_next_visit__isnull=False) | Q(usual_interval__isnull=False)).order_by()
            .values("id", "owner_id", "expected_next_visit", "usual_interval", "last_visit_at")
            .annotate(before=Max("visits__occurred_at", filter=ok & Q(visits__occurred_at__lt=lo)),
                      first_in=Min("visits__occurred_at", filter=ok & Q(visits__occurred_at__gte=lo,
                                                                         visits__occurred_at__lt=hi))))
    for r in rows:
        if r["last_visit_at"] is None or r["last_visit_at"] < lo:
            expected = r["expected_next_visit"]
        elif r["before"] is not None and r["usual_interval"]:
            expected = prop.local_day(r["before"]) + dt.timedelta(days=r["usual_interval"])
        else:
            expected = None
        if expected is None or not period.start <= expected <= cutoff:
            continue
        row = out[r["owner_id"]]
        row["due"] += 1
        if r["first_in"] is not None and prop.local_day(r["first_in"]) <= expected + dt.timedelta(days=GRACE_DAYS):
            row["matched"] += 1
    for row in out.values():
        row["share"] = t.pct(row["matched"], row["due"])
    return out


# ---- incentive point 3 ----------------------------------------------------------------------

def _previous_window(period: t.TargetPeriod, today: dt.date) -> tuple[t.TargetPeriod, int | None]:
    """The previous period and, for a period in progress, how many of its first days count."""
    prev = period.previous()
    if period.finished(today) or today < period.start:
        return prev, None
    return prev, min(prev.days, period.elapsed_days(today))


def _revenue(prop, ids, period: t.TargetPeriod, days: int | None) -> dict[int, Decimal]:
    lo, hi = period.bounds(prop)
    if days is not None:
        hi = prop.day_start(period.start + dt.timedelta(days=days))
    rows = (Visit.objects.filter(property=prop, voided_at__isnull=True, occurred_at__gte=lo, occurred_at__lt=hi,
                                 customer__owner_id__in=ids).order_by()
            .values("customer__owner_id").annotate(r=Sum("amount")))
    return {r["customer__owner_id"]: (r["r"] or Decimal(0)).quantize(t.CENT) for r in rows}


def per_effective(revenue, effective) -> Decimal | None:
    if revenue is None or not effective:
        return None
    return (Decimal(revenue) / Decimal(effective)).quantize(t.CENT)


def mutual_value(prop, ids, period, today, actual: dict) -> dict:
    prev, days = _previous_window(period, today)
    prev_revenue = _revenue(prop, ids, prev, days)
    prev_counts = t.grade_counts(prop, ids, prev, today)
    out = {}
    for pk in ids:
        cur = per_effective(actual[pk]["revenue"], actual[pk]["effective"])
        p_eff = prev_counts.get(pk, {}).get("effective", 0) if prev_counts is not None else None
        before = per_effective(prev_revenue.get(pk, Decimal("0.00")), p_eff)
        out[pk] = {"revenue": actual[pk]["revenue"], "effective": actual[pk]["effective"], "value": cur,
                   "prev_revenue": prev_revenue.get(pk, Decimal("0.00")), "prev_effective": p_eff,
                   "prev_value": before, "change": change_pct(cur, before)}
    return {"rows": out, "previous": prev, "previous_days": days}


def _sum(values):
    values = [v for v in values if v is not None]
    return sum(values[1:], values[0]) if values else None


def incentive_rollup(rows: list[dict]) -> dict:
    """The three points summed over members (shares and ratios recomputed from the sums)."""
    k = {f: _sum([r["kept"][f] for r in rows]) for f in ("start", "end", "kept", "lost", "gained", "change")}
    p = {f: sum(r["plan"][f] for r in rows) for f in ("due", "matched")}
    p["share"] = t.pct(p["matched"], p["due"])
    v = {f: _sum([r["value"][f] for r in rows]) for f in ("revenue", "effective", "prev_revenue", "prev_effective")}
    v["value"] = per_effective(v["revenue"], v["effective"])
    v["prev_value"] = per_effective(v["prev_revenue"], v["prev_effective"])
    v["change"] = change_pct(v["value"], v["prev_value"])
    return {"kept": k, "plan": p, "value": v}


# ---- modules ----------------------------------------------------------------------------------

def module_lines(actor, prop: Property, period: t.TargetPeriod, today: dt.date, elapsed) -> list[dict] | None:
    """Per module: actual against its target of exactly this period; None for a reader of no
    reports (REPORT), [] for a period not begun."""
    if not can(actor, REPORT, prop):
        return None
    if period.start > today:
        return []
    if period.kind == "month":
        report = segments.module_report(actor, prop, "month", period.start, today)
        lines = [{"name": x["name"], "code": x["code"], "module_id": x["module_id"], "customers": x["customers"],
                  "visits": x["visits"], "revenue": x["revenue"], "target": x["target"]} for x in report["lines"]]
    else:
        lines = _week_module_lines(actor, prop, period, today)
    for x in lines:
        target = x.pop("target")
        x["target"] = {"customers": target.customers if target else None,
                       "visits": target.visits if target else None, "revenue": target.amount if target else None}
        x["actual"] = {m: x[m] for m in MODULE_METRICS}
        x["achieved"] = {m: t.pct(x["actual"][m], x["target"][m]) for m in MODULE_METRICS}
        _behind(x, elapsed)
    return lines


def _week_module_lines(actor, prop, period, today) -> list[dict]:
    lo = prop.day_start(period.start)
    hi = prop.day_start(min(period.end, today) + dt.timedelta(days=1))
    rows = (Visit.objects.filter(property=prop, voided_at__isnull=True, occurred_at__gte=lo, occurred_at__lt=hi)
            .filter(report_rule(actor, "customer")).order_by()
            .values("customer__module_id")
            .annotate(customers=Count("customer_id", distinct=True, filter=SERVED), visits=Count("id", filter=SERVED),
                      revenue=Sum("amount")))
    figures = {r["customer__module_id"]: r for r in rows}
    targets = {x.module_id: x for x in ModuleTarget.objects.filter(
        module__property=prop, period_start=period.start, period_end=period.end)}
    lines = []
    for module in [*Module.objects.filter(property=prop).order_by("sort_order", "id"), None]:
        key = module.pk if module else None
        f = figures.get(key)
        if f is None and (module is None or not module.is_active) and key not in targets:
            continue
        f = f or {}
        lines.append({"name": module.name if module else _("No module"), "code": module.code if module else "",
                      "module_id": key, "customers": f.get("customers") or 0, "visits": f.get("visits") or 0,
                      "revenue": (f.get("revenue") or Decimal(0)).quantize(t.CENT), "target": targets.get(key)})
    return lines


# ---- the analysis ---------------------------------------------------------------------------

def node_analysis(actor, prop: Property, period: t.TargetPeriod, today: dt.date | None = None) -> dict:
    today = today or prop.local_today()
    table = t.target_table(actor, prop, period, today)
    elapsed = table["elapsed"]
    lines = table["lines"]
    ids = [x["member"].pk for x in lines]
    actual = {x["member"].pk: x["actual"] for x in lines}
    end_counts = {pk: {"effective": a["effective"]} for pk, a in actual.items()} \
        if all(a["effective"] is not None for a in actual.values()) else None
    kept = kept_and_grown(prop, ids, period, end_counts, today)
    plan = plan_match(prop, ids, period, today)
    value = mutual_value(prop, ids, period, today, actual)
    for x in lines:
        pk = x["member"].pk
        x["incentives"] = {"kept": kept["rows"][pk], "plan": plan[pk], "value": value["rows"][pk]}
        _behind(x, elapsed)
    by_id = {x["member"].pk: x for x in lines}
    for row in table["teams"]:
        team = [x for x in lines if x["member"].pk == row["manager"].pk
                or x["member"].manager_id == row["manager"].pk]
        row["incentives"] = incentive_rollup([x["incentives"] for x in team])
        _behind(row, elapsed)
    if table["total"] is not None:
        table["total"]["incentives"] = incentive_rollup([x["incentives"] for x in by_id.values()])
        _behind(table["total"], elapsed)
    table.update({"modules": module_lines(actor, prop, period, today, elapsed),
                  "start_run": kept["start_run"], "previous": value["previous"],
                  "previous_days": value["previous_days"], "elapsed_days": period.elapsed_days(today)})
    return table


def all_rows(data: dict) -> list[dict]:
    """Members, then teams, then the property: the rows of the tables and exports."""
    return [*data["lines"], *data["teams"], *([data["total"]] if data["total"] else [])]
