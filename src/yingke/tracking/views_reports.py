"""The tracking reports (funnel, follow-up ordinals, lead sources) and the spend page: thin
adapters over tracking.reports (REPORT on the property; a sales manager's figures limited to the
team) and tracking.spend (CONFIGURE). Chart options are built here from the same rows as the
tables and handed to the page as JSON (json_script); static/tracking/charts.js draws them with
the vendored ECharts (no inline script: CSP)."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core import export, periods, permissions
from yingke.core.forms import run_service
from yingke.core.permissions import CONFIGURE, chosen_property
from yingke.tracking import reports, spend
from yingke.tracking.models import Source, SourceSpend
from yingke.tracking.nav import tabs

RED, AMBER, BLUE, GREY, GREEN, DARK = "#b8322a", "#d98b2b", "#4f7cac", "#9aa0a6", "#3c8c4a", "#222"
BUCKET_COLORS = [GREY, BLUE, GREEN, AMBER, RED, "#7a1f1a"]


def _base(**extra) -> dict:
    return {"aria": {"enabled": True}, "animation": False,
            "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "grid": {"left": 16, "right": 24, "top": 40, "bottom": 16, "containLabel": True}, **extra}


def _pct(value):
    return None if value is None else round(value * 100, 1)


def _num(value):
    return None if value is None else float(value)


def _labels(rows):
    return {"type": "category", "data": [r["label"] for r in rows],
            "axisLabel": {"interval": 0, "width": 120, "overflow": "truncate"}, "inverse": True}


# -- charts -----------------------------------------------------------------------------------

def funnel_charts(d: dict) -> dict:
    stages = d["stages"]
    funnel = {"aria": {"enabled": True}, "animation": False,
              "tooltip": {"trigger": "item", "renderMode": "richText"},
              "series": [{"type": "funnel", "sort": "none", "left": "10%", "width": "80%", "minSize": "8%",
                          "label": {"show": True, "position": "inside", "formatter": "{b}: {c}"},
                          "data": [{"name": s["label"], "value": s["reached"]} for s in stages]}]}

    def grouped(rows):
        return _base(legend={"top": 0}, yAxis=_labels(rows),
                     xAxis=[{"type": "value", "minInterval": 1}],
                     series=[{"type": "bar", "name": _("Leads"), "data": [r["leads"] for r in rows],
                              "itemStyle": {"color": BLUE}},
                             {"type": "bar", "name": _("Customers"), "data": [r["customers"] for r in rows],
                              "itemStyle": {"color": GREEN}}])

    return {"funnel": funnel, "source": grouped(d["by_source"]), "owner": grouped(d["by_owner"])}


def ordinal_charts(d: dict) -> dict:
    conv = d["conversions"]
    rev = d["revenue"]
    out = {
        "conversions": _base(xAxis={"type": "category", "data": [r["label"] for r in conv],
                                    "axisLabel": {"interval": 0, "width": 80, "overflow": "break"}},
                             yAxis={"type": "value", "minInterval": 1, "name": _("Converted leads")},
                             series=[{"type": "bar", "name": _("Converted leads"), "data": [r["leads"] for r in conv],
                                      "itemStyle": {"color": BLUE}}]),
        "revenue": _base(legend={"top": 0},
                         xAxis={"type": "category", "data": [r["label"] for r in rev],
                                "axisLabel": {"interval": 0, "width": 90, "overflow": "break"}},
                         yAxis={"type": "value", "name": "%", "min": 0, "max": 100},
                         series=[{"type": "bar", "name": _("This property (%)"), "data": [_pct(r["share"]) for r in rev],
                                  "itemStyle": {"color": RED}},
                                 {"type": "bar", "name": _("Seed 001 (%)"), "data": [_pct(r["seed_share"]) for r in rev],
                                  "itemStyle": {"color": GREY}}]),
    }

    def stacked(rows, buckets, revenue):
        top = buckets[-1]
        return _base(legend={"top": 0, "type": "scroll"}, yAxis=_labels(rows),
                     xAxis={"type": "value", "name": "%", "max": 100},
                     series=[{"type": "bar", "stack": "all", "name": reports.bucket_label(b, top, revenue),
                              "data": [_pct(r[f"share{b}"]) for r in rows],
                              "itemStyle": {"color": BUCKET_COLORS[i]}} for i, b in enumerate(buckets)])

    out["revenue_source"] = stacked([r for r in d["revenue_by_source"] if r["total"]], reports.REVENUE_BUCKETS, True)
    out["revenue_owner"] = stacked(d["revenue_by_owner"], reports.REVENUE_BUCKETS, True)
    out["conversion_source"] = stacked([r for r in d["conversion_by_source"] if r["total"]],
                                       reports.CONVERSION_BUCKETS, False)
    out["conversion_owner"] = stacked(d["conversion_by_owner"], reports.CONVERSION_BUCKETS, False)
    return out


def source_charts(d: dict) -> dict:
    rows = d["rows"]
    money_series = [{"type": "bar", "name": _("Their revenue"), "data": [_num(r["revenue"]) for r in rows],
                     "itemStyle": {"color": GREEN}}]
    if not d["team_limited"]:
        money_series.insert(0, {"type": "bar", "name": _("Spend"), "data": [_num(r["spend"]) for r in rows],
                                "itemStyle": {"color": RED}})
    return {
        "money": _base(legend={"top": 0}, yAxis=_labels(rows), xAxis={"type": "value", "name": "¥"},
                       series=money_series),
        "counts": _base(legend={"top": 0}, yAxis=_labels(rows), xAxis={"type": "value", "minInterval": 1},
                        series=[{"type": "bar", "name": _("Leads"), "data": [r["leads"] for r in rows],
                                 "itemStyle": {"color": BLUE}},
                                {"type": "bar", "name": _("Customers won"), "data": [r["customers"] for r in rows],
                                 "itemStyle": {"color": AMBER}}]),
    }


CHARTS = {"funnel": funnel_charts, "ordinals": ordinal_charts, "sources": source_charts}
TITLES = {"funnel": gettext_lazy("Lead funnel"), "ordinals": gettext_lazy("Conversion and revenue by follow-up"),
          "sources": gettext_lazy("Lead sources against spend")}


# -- pages ------------------------------------------------------------------------------------

def _figures(request, report: str):
    prop, props = reports.property_for(request.user, request.GET.get("property"))
    period, errors = periods.parse_period(prop, request.GET.get("from"), request.GET.get("to"))
    return prop, props, period, errors, reports.REPORTS[report](request.user, prop, period)


def _page(request, report: str):
    prop, props, period, errors, d = _figures(request, report)
    query = urlencode({"property": prop.code, "from": d["from"], "to": d["to"]})
    return render(request, f"tracking/{report}.html", {
        "title": TITLES[report], "report": report, "prop": prop, "props": props, "period": period,
        "errors": errors, "d": d, "charts": CHARTS[report](d), "qs": query,
        "quick": [(label, p.first.isoformat(), p.last.isoformat()) for label, p in periods.quick_periods(prop)],
        "can_export": permissions.can(request.user, permissions.EXPORT),
        "can_configure": permissions.can(request.user, CONFIGURE, prop),
        "tables": {name: reports.rows_of(d, report, name) for name in reports.TABLE_NAMES[report]},
        "tabs": tabs(request.user, report),
    })


@login_required
def funnel(request):
    return _page(request, "funnel")


@login_required
def ordinals(request):
    return _page(request, "ordinals")


@login_required
def sources(request):
    return _page(request, "sources")


@login_required
def export_table(request, report, table, fmt):
    if report not in reports.REPORTS or table not in reports.TABLE_NAMES[report]:
        raise Http404
    _prop, _props, _period, errors, d = _figures(request, report)
    if errors:  # a bad period is said, not exported as the default one
        for field_messages in errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect(reverse(f"tracking:{report}") + "?" + request.GET.urlencode())
    title, _section, columns = reports.tables(report)[table]
    return export.export_response(request.user, fmt, f"tracking-{report}-{table}", reports.rows_of(d, report, table),
                                  columns, filters={"property": d["property"], "from": d["from"], "to": d["to"]},
                                  title=str(title)[:31])


# -- spend ------------------------------------------------------------------------------------

class SpendForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=Source.choices)
    month = forms.CharField(label=gettext_lazy("Month"), max_length=10,
                            widget=forms.TextInput(attrs={"type": "month", "min": "2000-01", "max": "2100-12"}))
    amount = forms.CharField(label=gettext_lazy("Spend (yuan)"), max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                             help_text=gettext_lazy("For example 1234.50 or ￥1,234.50; 0 for none."))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


def _year(value, default: int) -> int:
    try:
        year = int(str(value))
    except (TypeError, ValueError):
        return default
    return year if 2000 <= year <= 2100 else default


@login_required
def spend_page(request):
    """Spend per source and month of a property (the general manager: CONFIGURE)."""
    prop, props = chosen_property(request.user, request.GET.get("property") or request.POST.get("property"), CONFIGURE)
    today = prop.local_today()
    year = _year(request.GET.get("year") or request.POST.get("year"), today.year)
    if request.method == "POST":
        form = SpendForm(request.POST)
        if form.is_valid():
            c = form.cleaned_data
            row = run_service(form, spend.set_spend, request.user, prop, c["source"], c["month"], c["amount"],
                              c["note"])
            if row is not None:
                messages.success(request, _("Spend saved: %(source)s, %(month)s, ¥%(amount)s.") % {
                    "source": row.get_source_display(), "month": f"{row.month:%Y-%m}", "amount": f"{row.amount:,}"})
                return redirect(f"{reverse('tracking:spend')}?{urlencode({'property': prop.code, 'year': row.month.year})}")
    else:
        initial = {"month": request.GET.get("month") or f"{today:%Y-%m}", "source": request.GET.get("source")}
        if initial["source"] not in Source.values:
            initial.pop("source")
        form = SpendForm(initial=initial)
    rows = spend.spend_list(request.user, prop, year)
    cells = {(r.month.month, r.source): r for r in rows}
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    grid = [{"month": m, "cells": [{"source": s, "row": cells.get((m.month, s))} for s in Source.values],
             "total": sum((cells[(m.month, s)].amount for s in Source.values if (m.month, s) in cells), 0)}
            for m in months]
    totals = [sum((cells[(m.month, s)].amount for m in months if (m.month, s) in cells), 0) for s in Source.values]
    return render(request, "tracking/spend.html", {
        "title": _("Marketing spend"), "prop": prop, "props": props, "form": form, "year": year,
        "years": [year - 1, year + 1], "grid": grid, "sources": Source.choices, "totals": totals,
        "total": sum(totals, 0), "tabs": tabs(request.user, "sources"),
        "recent": SourceSpend.history.filter(property_id=prop.pk).select_related("history_user")
        .order_by("-history_date")[:10],
    })
