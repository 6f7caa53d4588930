"""Tracking reports (R-7.1, R-7.3, R-11.5; seed 001): one function per report for the page, the
API and the exports — `funnel`, `ordinals`, `sources`.

Who and what: each asks `require(actor, REPORT, prop)` (general and sales managers of the
property). The general manager sees the property; a sales manager the leads and files owned by
them and their team (`report_rule`: not the shared pool). Leads are scoped on the lead's owner,
visits on the file's owner.

Periods are local dates of the property, from–to inclusive (default: the last 12 months up to
today); month, quarter and year shortcuts are offered by `quick_periods`.

- Funnel: the leads created in the period. A lead counts at every stage up to the furthest it
  reached (`Lead.reached`), so a dropped lead counts up to where it got. Step rate: leads that
  reached a stage ÷ leads that reached the stage before; to customer: customers ÷ leads.
- Follow-up ordinals (seed 001: 2 % of business from finding, 3 % first interaction, 5 % second,
  10 % third, 80 % after the fourth follow-up):
  (a) conversions: the leads converted in the period, by the number of follow-ups of the lead
      (or of the file it was linked to) that occurred before the conversion: 0, 1, 2, 3, 4, 5+;
  (b) revenue: every non-voided visit of the period of a file with follow-ups or converted from a
      lead, attributed to the number of that file's follow-ups that occurred before the visit:
      0 ("found, before any follow-up"), 1, 2, 3, 4+ ("after the fourth"). Refunds (negative
      amounts) lower the revenue of their bucket but are not counted as visits. Per source: the
      source of the first lead converted into the file ("no lead" otherwise); per account
      manager: the file's owner. The counts are correlated COUNT subqueries and every figure is
      grouped in the database; Python only lays the grouped rows out.
- Lead sources (R-11.5): per source, the spend of every month the period touches, the leads
  created, the customers won (leads converted in the period, distinct files), their revenue
  (their visits from the conversion to the end of the period), cost per lead, cost per customer
  and revenue ÷ spend. Spend is the property's: a team-limited reader (sales manager) sees no
  spend and no cost figures.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from yingke.core.export import Column
from yingke.core.models import Property
from yingke.core.periods import Period
from yingke.core.permissions import REPORT, chosen_property, report_rule, require, team_limited
from yingke.tracking.models import FollowUp, Lead, Source, SourceSpend, Stage
from yingke.visits.models import Visit

CENT = Decimal("0.01")
NO_LEAD = "none"
CONVERSION_BUCKETS = [0, 1, 2, 3, 4, 5]  # 5: five or more
REVENUE_BUCKETS = [0, 1, 2, 3, 4]  # 4: after the fourth follow-up
SEED_SHARES = {0: 0.02, 1: 0.03, 2: 0.05, 3: 0.10, 4: 0.80}  # seed 001


def property_for(actor, code) -> tuple[Property, list[Property]]:
    """The property by code (or the actor's first one with reports) and the choices."""
    return chosen_property(actor, code, REPORT)


# -- helpers --------------------------------------------------------------------------------

def ratio(part, whole) -> float | None:
    if part is None or not whole or whole <= 0:
        return None
    return round(float(part) / float(whole), 4)


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _per(amount, n) -> Decimal | None:
    if amount is None or not n:
        return None
    return (Decimal(amount) / n).quantize(CENT)


def _bounds(prop: Property, period: Period) -> tuple[dt.datetime, dt.datetime]:
    return prop.day_start(period.first), prop.day_start(period.last + dt.timedelta(days=1))


def _in(field: str, prop: Property, period: Period) -> Q:
    start, end = _bounds(prop, period)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _leads(actor, prop: Property):
    return Lead.objects.filter(property=prop).filter(report_rule(actor)).order_by()


def _count(qs) -> Subquery:
    """A correlated COUNT(*) of `qs` (one row, no GROUP BY)."""
    return Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1],
                    output_field=IntegerField())


def _owner_label(row: dict, prefix: str = "owner") -> str:
    if row.get(f"{prefix}_id") is None:
        return str(_("Shared pool"))
    return row.get(f"{prefix}__display_name") or row.get(f"{prefix}__username") or ""


def _source_label(key: str) -> str:
    if key == NO_LEAD:
        return str(_("No lead"))
    return str(dict(Source.choices).get(key, key))


def _sort_owner_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["key"] is None, r["label"]))


# -- the funnel ---------------------------------------------------------------------------------

STAGES = list(Stage.values)


def _funnel_row(key, label, r: dict) -> dict:
    row = {"key": key, "label": label, "leads": r.get("s1", 0), "dropped": r.get("dropped", 0)}
    prev = None
    for s in STAGES:
        n = r.get(f"s{s}", 0)
        row[f"s{s}"] = n
        row[f"r{s}"] = ratio(n, prev) if prev is not None else None
        prev = n
    row["customers"] = row[f"s{Stage.CUSTOMER}"]
    row["to_customer"] = ratio(row["customers"], row["leads"])
    return row


def funnel(actor, prop: Property, period: Period) -> dict:
    require(actor, REPORT, prop)
    leads = _leads(actor, prop).filter(_in("created_at", prop, period))
    aggs = {f"s{s}": Count("id", filter=Q(reached__gte=s)) for s in STAGES}
    aggs["dropped"] = Count("id", filter=Q(dropped_at__isnull=False))
    total = _funnel_row("all", str(_("All sources")), leads.aggregate(**aggs))
    per_source = {r["source"]: r for r in leads.values("source").annotate(**aggs)}
    by_source = [_funnel_row(value, str(label), per_source.get(value, {})) for value, label in Source.choices]
    by_owner = _sort_owner_rows([
        _funnel_row(r["owner_id"], _owner_label(r), r)
        for r in leads.values("owner_id", "owner__display_name", "owner__username").annotate(**aggs)])
    stages = [{"stage": s, "label": str(label), "reached": total[f"s{s}"], "step_rate": total[f"r{s}"],
               "of_leads": ratio(total[f"s{s}"], total["leads"])} for s, label in Stage.choices]
    return {"property": prop.code, "from": period.key[0], "to": period.key[1], "team_limited": team_limited(actor),
            "total": total, "stages": stages, "by_source": by_source, "by_owner": by_owner}


# -- conversion and revenue by follow-up ordinal -------------------------------------------------

def _bucket(field: str, top: int) -> Case:
    return Case(*[When(**{field: n}, then=Value(n)) for n in range(top)], default=Value(top),
                output_field=IntegerField())


def _first_lead_source():
    """The source of the first lead converted into the visit's file."""
    return Subquery(Lead.objects.filter(customer_id=OuterRef("customer_id"), converted_at__isnull=False)
                    .order_by("converted_at", "id").values("source")[:1], output_field=CharField())


def conversion_rows(actor, prop: Property, period: Period):
    """The leads converted in the period with `before`: their follow-ups before the conversion."""
    before = FollowUp.objects.filter(Q(lead_id=OuterRef("pk")) | Q(customer_id=OuterRef("customer_id")),
                                     occurred_at__lt=OuterRef("converted_at"))
    return (_leads(actor, prop).filter(_in("converted_at", prop, period), converted_at__isnull=False)
            .annotate(before=_count(before)).annotate(bucket=_bucket("before", CONVERSION_BUCKETS[-1])))


def revenue_rows(actor, prop: Property, period: Period):
    """The visits of the period (non-voided) of files with follow-ups or a converted lead, with
    `before` (the file's follow-ups before the visit), `bucket` and `src` (the first lead's source)."""
    has_followups = Exists(FollowUp.objects.filter(customer_id=OuterRef("customer_id")))
    has_lead = Exists(Lead.objects.filter(customer_id=OuterRef("customer_id"), converted_at__isnull=False))
    before = FollowUp.objects.filter(customer_id=OuterRef("customer_id"), occurred_at__lt=OuterRef("occurred_at"))
    return (Visit.objects.filter(property=prop, voided_at__isnull=True).filter(_in("occurred_at", prop, period))
            .filter(report_rule(actor, "customer")).filter(has_followups | has_lead).order_by()
            .annotate(before=_count(before)).annotate(bucket=_bucket("before", REVENUE_BUCKETS[-1]),
                                                      src=Coalesce(_first_lead_source(), Value(NO_LEAD))))


def bucket_label(n: int, top: int, revenue: bool) -> str:
    if revenue and n == 0:
        return str(_("Found, before any follow-up"))
    if n == top:
        return str(_("After the fourth follow-up")) if revenue else str(_("5 or more follow-ups"))
    if revenue:
        return str(_("After follow-up %(n)d") % {"n": n})
    return ngettext("%(n)d follow-up", "%(n)d follow-ups", n) % {"n": n}


def _pivot(groups: list[dict], key: str, buckets: list[int], measure: str) -> dict:
    """{group key: {bucket: measure}} from grouped rows."""
    out: dict = {}
    for g in groups:
        out.setdefault(g[key], {})
        out[g[key]][g["bucket"]] = out[g[key]].get(g["bucket"], 0) + (g[measure] or 0)
    return out


def _split_row(key, label, values: dict, buckets: list[int], money_values: bool) -> dict:
    total = sum((values.get(b, 0) for b in buckets), Decimal(0) if money_values else 0)
    row = {"key": key, "label": label, "total": money(total) if money_values else total}
    for b in buckets:
        v = values.get(b, 0)
        row[f"b{b}"] = money(v) if money_values else v
        row[f"share{b}"] = ratio(v, total)
    row["cells"] = [row[f"b{b}"] for b in buckets]
    row["top_share"] = row[f"share{buckets[-1]}"]
    return row


def ordinals(actor, prop: Property, period: Period) -> dict:
    require(actor, REPORT, prop)
    top_c, top_r = CONVERSION_BUCKETS[-1], REVENUE_BUCKETS[-1]

    conv = list(conversion_rows(actor, prop, period).values("bucket", "source", "owner_id", "owner__display_name",
                                                             "owner__username").annotate(n=Count("id")))
    conv_total = {}
    for g in conv:
        conv_total[g["bucket"]] = conv_total.get(g["bucket"], 0) + g["n"]
    n_conv = sum(conv_total.values())
    conversions = [{"bucket": b, "label": bucket_label(b, top_c, False), "leads": conv_total.get(b, 0),
                    "share": ratio(conv_total.get(b, 0), n_conv)} for b in CONVERSION_BUCKETS]
    per_src = _pivot(conv, "source", CONVERSION_BUCKETS, "n")
    conversion_by_source = [_split_row(v, str(label), per_src.get(v, {}), CONVERSION_BUCKETS, False)
                            for v, label in Source.choices]
    owners = {g["owner_id"]: _owner_label(g) for g in conv}
    per_owner = _pivot(conv, "owner_id", CONVERSION_BUCKETS, "n")
    conversion_by_owner = _sort_owner_rows([_split_row(k, owners[k], v, CONVERSION_BUCKETS, False)
                                            for k, v in per_owner.items()])

    rev = list(revenue_rows(actor, prop, period)
               .values("bucket", "src", "customer__owner_id", "customer__owner__display_name",
                       "customer__owner__username")
               .annotate(revenue=Sum("amount"), visits=Count("id", filter=Q(amount__gte=0)),
                         customers=Count("customer_id", distinct=True)))
    rev_total: dict = {}
    visits_total: dict = {}
    for g in rev:
        rev_total[g["bucket"]] = rev_total.get(g["bucket"], 0) + g["revenue"]
        visits_total[g["bucket"]] = visits_total.get(g["bucket"], 0) + g["visits"]
    revenue_sum = money(sum(rev_total.values(), Decimal(0)))
    revenue = [{"bucket": b, "label": bucket_label(b, top_r, True), "visits": visits_total.get(b, 0),
                "revenue": money(rev_total.get(b, 0)), "share": ratio(rev_total.get(b, 0), revenue_sum),
                "seed_share": SEED_SHARES[b]} for b in REVENUE_BUCKETS]
    per_src = _pivot(rev, "src", REVENUE_BUCKETS, "revenue")
    sources = [v for v, _label in Source.choices] + [NO_LEAD]
    revenue_by_source = [_split_row(s, _source_label(s), per_src.get(s, {}), REVENUE_BUCKETS, True)
                         for s in sources if s in per_src or s != NO_LEAD]
    owners = {g["customer__owner_id"]: _owner_label(g, "customer__owner") for g in rev}
    per_owner = _pivot(rev, "customer__owner_id", REVENUE_BUCKETS, "revenue")
    revenue_by_owner = _sort_owner_rows([_split_row(k, owners[k], v, REVENUE_BUCKETS, True)
                                         for k, v in per_owner.items()])
    after_fourth = revenue[-1]["share"]
    return {"property": prop.code, "from": period.key[0], "to": period.key[1], "team_limited": team_limited(actor),
            "converted": n_conv, "conversions": conversions, "conversion_by_source": conversion_by_source,
            "conversion_by_owner": conversion_by_owner, "revenue_total": revenue_sum, "revenue": revenue,
            "revenue_by_source": revenue_by_source, "revenue_by_owner": revenue_by_owner,
            "after_fourth": after_fourth, "seed_after_fourth": SEED_SHARES[top_r],
            "comparison": comparison(after_fourth)}


def comparison(share: float | None) -> str:
    """The sentence comparing the share of revenue after the fourth follow-up with seed 001."""
    if share is None:
        return str(_("No revenue from followed-up files in this period yet. Seed 001 reports that %(seed)s of "
                     "business comes after the fourth follow-up.") % {"seed": "80 %"})
    pct = f"{share * 100:.1f} %"
    if share >= SEED_SHARES[4]:
        return str(_("%(pct)s of this revenue came after the fourth follow-up: at or above the 80 %% of seed 001 "
                     "(20 hotels over five years).") % {"pct": pct})
    return str(_("%(pct)s of this revenue came after the fourth follow-up, against 80 %% in seed 001 (20 hotels "
                 "over five years): keep following up after the fourth contact.") % {"pct": pct})


# -- lead sources against spend (R-11.5) --------------------------------------------------------

def spend_rows(prop: Property, period: Period):
    """The spend of every month the period touches."""
    return SourceSpend.objects.filter(property=prop, month__gte=period.first.replace(day=1), month__lte=period.last)


def sources(actor, prop: Property, period: Period) -> dict:
    require(actor, REPORT, prop)
    limited = team_limited(actor)
    leads = _leads(actor, prop)
    created = dict(leads.filter(_in("created_at", prop, period)).values("source").annotate(n=Count("id"))
                   .values_list("source", "n"))
    won_leads = leads.filter(_in("converted_at", prop, period), converted_at__isnull=False)
    won = dict(won_leads.values("source").annotate(n=Count("customer_id", distinct=True))
               .values_list("source", "n"))
    first_won = Subquery(won_leads.filter(customer_id=OuterRef("customer_id"), converted_at__lte=OuterRef("occurred_at"))
                         .order_by("converted_at", "id").values("source")[:1], output_field=CharField())
    revenue = dict(Visit.objects.filter(property=prop, voided_at__isnull=True).filter(_in("occurred_at", prop, period))
                   .order_by().annotate(won_source=first_won).filter(won_source__isnull=False)
                   .values("won_source").annotate(r=Sum("amount")).values_list("won_source", "r"))
    spend = {} if limited else dict(spend_rows(prop, period).order_by().values("source").annotate(s=Sum("amount"))
                                    .values_list("source", "s"))

    def row(key, label, s, n_leads, n_won, rev):
        s = None if limited else money(s)
        rev = money(rev)
        return {"key": key, "label": label, "spend": s, "leads": n_leads, "customers": n_won, "revenue": rev,
                "cost_per_lead": _per(s, n_leads), "cost_per_customer": _per(s, n_won),
                "return": ratio(rev, s) if s is not None else None}

    rows = [row(v, str(label), spend.get(v), created.get(v, 0), won.get(v, 0), revenue.get(v))
            for v, label in Source.choices]
    total = row("all", str(_("All sources")), sum((spend.get(v) or 0 for v in Source.values), Decimal(0)),
                sum(r["leads"] for r in rows), sum(r["customers"] for r in rows),
                sum((r["revenue"] for r in rows), Decimal(0)))
    return {"property": prop.code, "from": period.key[0], "to": period.key[1], "team_limited": limited,
            "rows": rows, "total": total}


# -- the tables (page, exports) ---------------------------------------------------------------

def _get(key):
    return lambda row, user: row.get(key)


def _pct(key):
    return lambda row, user: None if row.get(key) is None else round(row[key] * 100, 1)


def _funnel_columns(first_label):
    cols = [Column(first_label, _get("label")), Column(gettext_lazy("Leads"), _get("leads"))]
    for s, label in Stage.choices:
        if s > 1:
            cols.append(Column(label, _get(f"s{s}")))
    cols += [Column(gettext_lazy("Dropped"), _get("dropped")),
             Column(gettext_lazy("To customer (%)"), _pct("to_customer"))]
    return cols


def _split_columns(first_label, revenue: bool):
    buckets = REVENUE_BUCKETS if revenue else CONVERSION_BUCKETS
    top = buckets[-1]
    cols = [Column(first_label, _get("label"))]
    for b in buckets:
        cols.append(Column(bucket_label(b, top, revenue), _get(f"b{b}")))
    cols.append(Column(gettext_lazy("Total"), _get("total")))
    cols.append(Column(gettext_lazy("After the fourth follow-up (%)") if revenue
                       else gettext_lazy("5 or more follow-ups (%)"), _pct(f"share{top}")))
    return cols


def tables(report: str) -> dict:
    """{table name: (title, section of the figures, columns)} of a report."""
    if report == "funnel":
        return {
            "stages": (gettext_lazy("Funnel stages"), "stages", [
                Column(gettext_lazy("Stage"), _get("label")),
                Column(gettext_lazy("Leads that reached it"), _get("reached")),
                Column(gettext_lazy("From the stage before (%)"), _pct("step_rate")),
                Column(gettext_lazy("Of all leads (%)"), _pct("of_leads")),
            ]),
            "source": (gettext_lazy("Funnel by source"), "by_source", _funnel_columns(gettext_lazy("Source"))),
            "owner": (gettext_lazy("Funnel by account manager"), "by_owner",
                      _funnel_columns(gettext_lazy("Account manager"))),
        }
    if report == "ordinals":
        return {
            "conversions": (gettext_lazy("Conversions by follow-up"), "conversions", [
                Column(gettext_lazy("Follow-ups before conversion"), _get("label")),
                Column(gettext_lazy("Converted leads"), _get("leads")),
                Column(gettext_lazy("Share (%)"), _pct("share")),
            ]),
            "conversion_source": (gettext_lazy("Conversions by source"), "conversion_by_source",
                                  _split_columns(gettext_lazy("Source"), False)),
            "conversion_owner": (gettext_lazy("Conversions by account manager"), "conversion_by_owner",
                                 _split_columns(gettext_lazy("Account manager"), False)),
            "revenue": (gettext_lazy("Revenue by follow-up"), "revenue", [
                Column(gettext_lazy("Follow-ups before the visit"), _get("label")),
                Column(gettext_lazy("Visits"), _get("visits")),
                Column(gettext_lazy("Revenue"), _get("revenue")),
                Column(gettext_lazy("Share (%)"), _pct("share")),
                Column(gettext_lazy("Seed 001 (%)"), _pct("seed_share")),
            ]),
            "revenue_source": (gettext_lazy("Revenue by follow-up and source"), "revenue_by_source",
                               _split_columns(gettext_lazy("Source"), True)),
            "revenue_owner": (gettext_lazy("Revenue by follow-up and account manager"), "revenue_by_owner",
                              _split_columns(gettext_lazy("Account manager"), True)),
        }
    if report == "sources":
        return {
            "sources": (gettext_lazy("Lead sources against spend"), "rows", [
                Column(gettext_lazy("Source"), _get("label")),
                Column(gettext_lazy("Spend"), _get("spend")),
                Column(gettext_lazy("Leads"), _get("leads")),
                Column(gettext_lazy("Customers won"), _get("customers")),
                Column(gettext_lazy("Their revenue"), _get("revenue")),
                Column(gettext_lazy("Cost per lead"), _get("cost_per_lead")),
                Column(gettext_lazy("Cost per customer"), _get("cost_per_customer")),
                Column(gettext_lazy("Revenue ÷ spend"), _get("return")),
            ]),
        }
    raise KeyError(report)


REPORTS = {"funnel": funnel, "ordinals": ordinals, "sources": sources}
TABLE_NAMES = {"funnel": ("stages", "source", "owner"),
               "ordinals": ("conversions", "conversion_source", "conversion_owner", "revenue", "revenue_source",
                            "revenue_owner"),
               "sources": ("sources",)}


def rows_of(data: dict, report: str, table: str) -> list[dict]:
    section = tables(report)[table][1]
    rows = data[section]
    if report == "sources":
        return [*rows, data["total"]]
    if report == "funnel" and table in ("source", "owner"):
        return [*rows, data["total"]]
    return rows
