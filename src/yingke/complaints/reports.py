"""Complaint reports (R-8.5): one function, `report(actor, prop, period)`, for the page, the API
and the exports.

Scope: the complaints of one property that the actor sees (Complaint.objects.visible_to) and
that were recorded (created_at) in the period: local dates of the property, from–to inclusive;
by default the last 12 months (the first day of the month eleven months ago to today). Reading
needs COMPLAINT_REPORT on the property (general manager, lobby manager / front desk, supervisor).

Figures, all set-based (aggregates in the database, the same SQL on SQLite and PostgreSQL):

- Counts by type, by outlet, by severity and by local month. A month is a month of the
  property's time zone: its bounds are computed in Python as UTC instants and the database
  sorts rows into them with CASE WHEN (as reports.aggregates does for local days), so no
  time-zone function of the database is needed.
- Time to resolve: recorded (created_at) → archived (closed_at) of the archived complaints, in
  hours; the median and the 90th percentile, overall and per type. The percentile is the
  continuous one (linear interpolation between the two nearest ranks, PostgreSQL's
  percentile_cont): PostgreSQL computes it in the query; SQLite has no percentile function, so
  there the durations of the archived complaints come back sorted from the database and the
  same percentile is taken in Python (`percentile`, the one loop over rows in this module).
- Resolved on the spot: the share of the archived complaints that went through
  `resolve_on_the_spot`.
- Open now and overdue now: every open complaint of the property the actor sees, whenever
  recorded (not only the period's). Overdue is services.overdue's rule: the next step's due
  time (previous step + the policy's limit for the severity and step, on its calendar or
  business-hours clock) has passed. It is counted in one query: for each severity and step,
  the latest time of the previous step that is not yet overdue is found with services.add_hours
  (`services.overdue_cutoff`), and the complaint is overdue when its step was done before that.

Did the guest come back (seed 003: most guests whose complaint is resolved quickly come back):

- A return visit after a moment T (a complaint's recording, or a reference visit) within W
  days: a non-voided visit of the same guest at the property on a later local day than T and at
  most W×24 hours after T; a stay counts only when it arrived after T's local day (the stay or
  meal complained about is not a return).
- Complaints: those of the period with a guest, each counted once (a guest with two complaints
  counts twice). A complaint is in the W-day figure only once its window has fully passed
  (recorded at least W days ago): a complaint of ten days ago is not yet in the 30-day figure.
  "Resolved quickly": archived within 24 hours of being recorded; "not quickly": archived later
  or still open.
- Comparable guests without a complaint: for each local month in which a complaint of the
  figures above was recorded, the guests of the same property (that the actor sees) who have a
  non-voided visit in that month and have never had a complaint at the property; each such
  guest counts once per month, from their first visit of the month (the reference visit), and
  only when that visit's W-day window has fully passed. The months are pooled (not weighted).
"""

import datetime as dt
from itertools import groupby

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.complaints import services
from yingke.complaints.models import Complaint, Kind, Severity, Step
from yingke.complaints.services import policy_of
from yingke.core.export import Column
from yingke.core.models import Property
from yingke.core.periods import Period, add_months
from yingke.core.permissions import COMPLAINT_REPORT, chosen_property, require
from yingke.visits.models import Visit

QUICK = dt.timedelta(hours=24)  # "resolved quickly": archived within a day
WINDOWS = (30, 90)  # days of "came back within"


def property_for(actor, code: str | None) -> tuple[Property, list[Property]]:
    """The property by code (or the actor's first one with complaint reports) and the choices."""
    return chosen_property(actor, code, COMPLAINT_REPORT)


# -- helpers --------------------------------------------------------------------------------

class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of an ordered set (an interval here)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(values: list[float], fraction: float) -> float | None:
    """The continuous percentile (percentile_cont) of sorted `values`: the value at rank
    fraction·(n−1), interpolated linearly between its neighbours."""
    if not values:
        return None
    pos = fraction * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def _hours(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        value = value.total_seconds() / 3600
    return round(float(value), 1)


def ratio(part, whole) -> float | None:
    return None if not whole else round(part / whole, 4)


def months_of(period: Period) -> list[dt.date]:
    out, m = [], period.first.replace(day=1)
    while m <= period.last:
        out.append(m)
        m = add_months(m, 1)
    return out


def _month_case(prop: Property, months: list[dt.date], field: str) -> Case:
    """The local month (YYYY-MM) of `field`, by UTC bounds computed here (portable)."""
    whens = [When(**{f"{field}__gte": prop.day_start(m), f"{field}__lt": prop.day_start(add_months(m, 1))},
                  then=Value(f"{m:%Y-%m}")) for m in months]
    return Case(*whens, default=Value(""), output_field=CharField())


DURATION = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


def _resolve_times(archived) -> tuple[dict, dict]:
    """(overall, {kind: …}) with median and p90 hours of `archived` complaints."""
    if connection.vendor == "postgresql":
        overall = archived.aggregate(p50=PercentileCont(DURATION, 0.5), p90=PercentileCont(DURATION, 0.9))
        per = {r["kind"]: r for r in archived.order_by().values("kind").annotate(
            p50=PercentileCont(DURATION, 0.5), p90=PercentileCont(DURATION, 0.9))}
        return ({"median": _hours(overall["p50"]), "p90": _hours(overall["p90"])},
                {k: {"median": _hours(r["p50"]), "p90": _hours(r["p90"])} for k, r in per.items()})
    # SQLite: the durations sorted by the database, the percentile taken here (see the docstring).
    rows = list(archived.annotate(d=DURATION).order_by("kind", "d").values_list("kind", "d"))
    every = sorted(d.total_seconds() / 3600 for _k, d in rows)
    per = {}
    for kind, group in groupby(rows, key=lambda r: r[0]):
        hours = [d.total_seconds() / 3600 for _k, d in group]
        per[kind] = {"median": _hours(percentile(hours, 0.5)), "p90": _hours(percentile(hours, 0.9))}
    return {"median": _hours(percentile(every, 0.5)), "p90": _hours(percentile(every, 0.9))}, per


def overdue_q(prop: Property, now: dt.datetime, policy=None) -> Q:
    """Open complaints of `prop` whose next step is overdue at `now` (services.overdue_q)."""
    return services.overdue_q([prop], now, {prop.pk: policy or policy_of(prop)})


def _returned(prop: Property, customer_ref: str, at_ref: str, day_ref: str, days: int) -> Exists:
    """A return visit of the guest `customer_ref` after the instant `at_ref` (whose local date
    the outer query has as `day_ref`) within `days`."""
    return Exists(
        Visit.objects.filter(property=prop, customer_id=OuterRef(customer_ref), voided_at__isnull=True)
        .annotate(v_day=TruncDate("occurred_at", tzinfo=prop.zone))
        .filter(v_day__gt=OuterRef(day_ref),
                occurred_at__lte=ExpressionWrapper(OuterRef(at_ref) + dt.timedelta(days=days),
                                                   output_field=DateTimeField()))
        .filter(Q(arrival__isnull=True) | Q(arrival__gt=OuterRef(day_ref))))


def _came_back(actor, prop: Property, scoped, now: dt.datetime, months: list[dt.date]) -> dict:
    with_guest = scoped.filter(customer__isnull=False)
    quick = Q(closed_at__isnull=False, closed_at__lte=F("created_at") + QUICK)
    groups = {"quick": quick, "slow": ~quick, "all": Q()}
    annotations = {f"r{w}": _returned(prop, "customer_id", "created_at", "at_day", w) for w in WINDOWS}
    aggs = {}
    for name, cond in groups.items():
        for w in WINDOWS:
            ready = Q(created_at__lte=now - dt.timedelta(days=w))
            aggs[f"{name}_{w}_n"] = Count("id", filter=cond & ready)
            aggs[f"{name}_{w}_back"] = Count("id", filter=cond & ready & Q(**{f"r{w}": True}))
        aggs[f"{name}_total"] = Count("id", filter=cond)
    found = (with_guest.annotate(at_day=TruncDate("created_at", tzinfo=prop.zone)).annotate(**annotations)
             .aggregate(**aggs))

    # The months of those complaints, and the comparable guests of those months.
    month_case = _month_case(prop, months, "created_at")
    used = sorted(m for m in with_guest.annotate(m=month_case).order_by().values_list("m", flat=True).distinct()
                  if m)
    used_months = [m for m in months if f"{m:%Y-%m}" in used]
    base = {f"base_{w}_{k}": 0 for w in WINDOWS for k in ("n", "back")}
    base["base_total"] = 0
    if used_months:
        visits = Visit.objects.visible_to(actor).filter(property=prop, voided_at__isnull=True)
        in_months = Q(pk__in=[])
        for m in used_months:
            in_months |= Q(occurred_at__gte=prop.day_start(m), occurred_at__lt=prop.day_start(add_months(m, 1)))
        start_case = Case(*[When(occurred_at__gte=prop.day_start(m), occurred_at__lt=prop.day_start(add_months(m, 1)),
                                 then=Value(prop.day_start(m))) for m in used_months],
                          output_field=DateTimeField())
        never = ~Exists(Complaint.objects.filter(property=prop, customer_id=OuterRef("customer_id")))
        earlier = Exists(Visit.objects.filter(property=prop, customer_id=OuterRef("customer_id"),
                                              voided_at__isnull=True, occurred_at__gte=OuterRef("m_start"))
                         .filter(Q(occurred_at__lt=OuterRef("occurred_at"))
                                 | Q(occurred_at=OuterRef("occurred_at"), id__lt=OuterRef("id"))))
        refs = (visits.filter(in_months).filter(never).annotate(m_start=start_case).filter(~earlier)
                .annotate(at_day=TruncDate("occurred_at", tzinfo=prop.zone))
                .annotate(**{f"r{w}": _returned(prop, "customer_id", "occurred_at", "at_day", w) for w in WINDOWS}))
        b_aggs = {"base_total": Count("id")}
        for w in WINDOWS:
            ready = Q(occurred_at__lte=now - dt.timedelta(days=w))
            b_aggs[f"base_{w}_n"] = Count("id", filter=ready)
            b_aggs[f"base_{w}_back"] = Count("id", filter=ready & Q(**{f"r{w}": True}))
        base = refs.aggregate(**b_aggs)

    labels = {"quick": _("Complaints resolved quickly (archived within 24 hours)"),
              "slow": _("Complaints not resolved quickly (later, or still open)"),
              "all": _("All complaints with a guest"),
              "base": _("Comparable guests without a complaint")}
    rows = []
    for name in ("quick", "slow", "all", "base"):
        src = base if name == "base" else found
        row = {"group": name, "label": labels[name], "total": src[f"{name}_total"]}
        for w in WINDOWS:
            n, back = src[f"{name}_{w}_n"], src[f"{name}_{w}_back"]
            row.update({f"n{w}": n, f"back{w}": back, f"share{w}": ratio(back, n)})
        rows.append(row)
    return {"rows": rows, "months": [f"{m:%Y-%m}" for m in used_months]}


# -- the report ------------------------------------------------------------------------------

def report(actor, prop: Property, period: Period, now: dt.datetime | None = None) -> dict:
    require(actor, COMPLAINT_REPORT, prop)
    now = now or timezone.now()
    visible = Complaint.objects.visible_to(actor).filter(property=prop)
    scoped = visible.filter(created_at__gte=prop.day_start(period.first),
                            created_at__lt=prop.day_start(period.last + dt.timedelta(days=1))).order_by()
    archived_q = Q(step=Step.ARCHIVED)
    spot_q = archived_q & Q(on_the_spot=True)

    totals = scoped.aggregate(complaints=Count("id"), archived=Count("id", filter=archived_q),
                              on_the_spot=Count("id", filter=spot_q))
    overall, per_kind_times = _resolve_times(scoped.filter(archived_q, closed_at__isnull=False))
    totals.update({"open": totals["complaints"] - totals["archived"], "median_hours": overall["median"],
                   "p90_hours": overall["p90"], "on_the_spot_share": ratio(totals["on_the_spot"], totals["archived"])})

    per_kind = {r["kind"]: r for r in scoped.values("kind").annotate(
        complaints=Count("id"), archived=Count("id", filter=archived_q), on_the_spot=Count("id", filter=spot_q))}
    by_kind = []
    for value, label in Kind.choices:
        r = per_kind.get(value, {})
        t = per_kind_times.get(value, {})
        by_kind.append({"kind": value, "label": str(label), "complaints": r.get("complaints", 0),
                        "archived": r.get("archived", 0), "on_the_spot": r.get("on_the_spot", 0),
                        "on_the_spot_share": ratio(r.get("on_the_spot", 0), r.get("archived", 0)),
                        "median_hours": t.get("median"), "p90_hours": t.get("p90")})

    per_sev = dict(scoped.values("severity").annotate(n=Count("id")).values_list("severity", "n"))
    by_severity = [{"severity": v, "label": str(label), "complaints": per_sev.get(v, 0)}
                   for v, label in Severity.choices]

    by_outlet = [{"outlet_id": r["outlet_id"], "outlet": r["outlet__name"] or str(_("No outlet")),
                  "complaints": r["n"]}
                 for r in scoped.values("outlet_id", "outlet__name").annotate(n=Count("id"))
                 .order_by("-n", "outlet__name")]

    months = months_of(period)
    per_month = {r["m"]: r for r in scoped.annotate(m=_month_case(prop, months, "created_at")).values("m").annotate(
        complaints=Count("id"), archived=Count("id", filter=archived_q))}
    by_month = [{"month": f"{m:%Y-%m}", "complaints": per_month.get(f"{m:%Y-%m}", {}).get("complaints", 0),
                 "archived": per_month.get(f"{m:%Y-%m}", {}).get("archived", 0)} for m in months]

    policy = policy_of(prop)
    now_counts = visible.filter(step__lt=Step.ARCHIVED).aggregate(
        open=Count("id"), overdue=Count("id", filter=overdue_q(prop, now, policy)))

    return {
        "property": prop.code, "from": period.key[0], "to": period.key[1], "as_of": now,
        "totals": totals, "open_now": now_counts["open"], "overdue_now": now_counts["overdue"],
        "by_kind": by_kind, "by_severity": by_severity, "by_outlet": by_outlet, "by_month": by_month,
        "came_back": _came_back(actor, prop, scoped, now, months),
    }


# -- the tables (page, exports) ---------------------------------------------------------------

def _get(key):
    return lambda row, user: row.get(key)


def _pct(key):
    return lambda row, user: None if row.get(key) is None else round(row[key] * 100, 1)


TABLES = {
    "kind": (gettext_lazy("Complaints by type"), "by_kind", [
        Column(gettext_lazy("Type"), _get("label")),
        Column(gettext_lazy("Complaints"), _get("complaints")),
        Column(gettext_lazy("Archived"), _get("archived")),
        Column(gettext_lazy("Resolved on the spot"), _get("on_the_spot")),
        Column(gettext_lazy("Median hours to resolve"), _get("median_hours")),
        Column(gettext_lazy("90th percentile hours to resolve"), _get("p90_hours")),
    ]),
    "outlet": (gettext_lazy("Complaints by outlet"), "by_outlet", [
        Column(gettext_lazy("Outlet"), _get("outlet")),
        Column(gettext_lazy("Complaints"), _get("complaints")),
    ]),
    "severity": (gettext_lazy("Complaints by severity"), "by_severity", [
        Column(gettext_lazy("Severity"), _get("label")),
        Column(gettext_lazy("Complaints"), _get("complaints")),
    ]),
    "month": (gettext_lazy("Complaints by month"), "by_month", [
        Column(gettext_lazy("Month"), _get("month")),
        Column(gettext_lazy("Complaints"), _get("complaints")),
        Column(gettext_lazy("Archived"), _get("archived")),
    ]),
    "came_back": (gettext_lazy("Did the guest come back"), "came_back", [
        Column(gettext_lazy("Group"), _get("label")),
        Column(gettext_lazy("Counted"), _get("total")),
        Column(gettext_lazy("30-day window passed"), _get("n30")),
        Column(gettext_lazy("Came back within 30 days"), _get("back30")),
        Column(gettext_lazy("Came back within 30 days (%)"), _pct("share30")),
        Column(gettext_lazy("90-day window passed"), _get("n90")),
        Column(gettext_lazy("Came back within 90 days"), _get("back90")),
        Column(gettext_lazy("Came back within 90 days (%)"), _pct("share90")),
    ]),
}


def rows_of(data: dict, name: str) -> list[dict]:
    section = data[TABLES[name][1]]
    return section["rows"] if isinstance(section, dict) else section
