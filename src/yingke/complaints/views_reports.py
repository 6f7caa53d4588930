"""The complaint reports page (/complaints/reports/, R-8.5) and its table exports: thin
adapters over complaints.reports (COMPLAINT_REPORT on the property, the one export helper).
Chart options are built here from the same rows as the tables and handed to the page as JSON
(json_script); static/complaints/report.js draws them with the vendored ECharts (no inline
script: CSP)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from yingke.complaints import reports
from yingke.core import export, periods, permissions

RED, AMBER, BLUE, GREY, GREEN = "#b8322a", "#d98b2b", "#4f7cac", "#9aa0a6", "#3c8c4a"
SEVERITY_COLORS = {"low": GREY, "medium": BLUE, "high": AMBER, "critical": RED}


def _base(**extra) -> dict:
    return {"aria": {"enabled": True}, "animation": False,
            "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "grid": {"left": 16, "right": 24, "top": 36, "bottom": 16, "containLabel": True}, **extra}


def _bars(labels, series, horizontal=False, name="") -> dict:
    cat = {"type": "category", "data": labels, "axisLabel": {"interval": 0}}
    val = {"type": "value", "minInterval": 1, "name": name}
    legend = {"top": 0} if len(series) > 1 else None
    out = _base(legend=legend, xAxis=val, yAxis=cat, series=series) if horizontal else \
        _base(legend=legend, xAxis=cat, yAxis=val, series=series)
    if horizontal:
        cat["inverse"] = True
    if legend is None:
        out["grid"] = {**out["grid"], "top": 16}
    return out


def charts(d: dict) -> dict:
    kinds = d["by_kind"]
    out = {
        "kind": _bars([r["label"] for r in kinds],
                      [{"type": "bar", "name": _("Complaints"), "data": [r["complaints"] for r in kinds],
                        "itemStyle": {"color": RED}}], horizontal=True),
        "severity": _bars([r["label"] for r in d["by_severity"]],
                          [{"type": "bar", "name": _("Complaints"),
                            "data": [{"value": r["complaints"], "itemStyle": {"color": SEVERITY_COLORS[r["severity"]]}}
                                     for r in d["by_severity"]]}]),
        "outlet": _bars([r["outlet"] for r in d["by_outlet"]],
                        [{"type": "bar", "name": _("Complaints"), "data": [r["complaints"] for r in d["by_outlet"]],
                          "itemStyle": {"color": BLUE}}], horizontal=True),
        "month": _bars([r["month"] for r in d["by_month"]],
                       [{"type": "bar", "name": _("Complaints"), "data": [r["complaints"] for r in d["by_month"]],
                         "itemStyle": {"color": RED}},
                        {"type": "bar", "name": _("Archived"), "data": [r["archived"] for r in d["by_month"]],
                         "itemStyle": {"color": GREY}}]),
    }
    timed = [r for r in kinds if r["median_hours"] is not None]
    out["resolve"] = _bars([r["label"] for r in timed],
                           [{"type": "bar", "name": _("Median"), "data": [r["median_hours"] for r in timed],
                             "itemStyle": {"color": BLUE}},
                            {"type": "bar", "name": _("90th percentile"), "data": [r["p90_hours"] for r in timed],
                             "itemStyle": {"color": AMBER}}], horizontal=True)
    out["resolve"]["xAxis"]["axisLabel"] = {"formatter": "{value} h"}
    rows = d["came_back"]["rows"]
    pct = [[None if r[f"share{w}"] is None else round(r[f"share{w}"] * 100, 1) for r in rows] for w in (30, 90)]
    short = {"quick": _("Resolved quickly"), "slow": _("Not resolved quickly"), "all": _("All with a guest"),
             "base": _("Comparable guests")}
    out["came_back"] = _bars([short[r["group"]] for r in rows],
                             [{"type": "bar", "name": _("Within 30 days (%)"), "data": pct[0],
                               "itemStyle": {"color": BLUE}},
                              {"type": "bar", "name": _("Within 90 days (%)"), "data": pct[1],
                               "itemStyle": {"color": GREEN}}], horizontal=True, name="%")
    out["came_back"]["xAxis"]["max"] = 100
    out["came_back"]["yAxis"]["axisLabel"] = {"interval": 0, "width": 160, "overflow": "truncate"}
    if len(d["by_month"]) > 6:  # keep the month labels apart: rotated, thinned when many
        out["month"]["xAxis"]["axisLabel"] = {"rotate": 40, "hideOverlap": True}
    for name in ("kind", "outlet", "resolve"):
        out[name]["yAxis"]["axisLabel"] = {"interval": 0, "width": 140, "overflow": "truncate"}
    return {k: {key: v for key, v in o.items() if v is not None} for k, o in out.items()}


def _figures(request):
    prop, props = reports.property_for(request.user, request.GET.get("property"))
    period, errors = periods.parse_period(prop, request.GET.get("from"), request.GET.get("to"))
    return prop, props, period, errors, reports.report(request.user, prop, period)


@login_required
def report(request):
    prop, props, period, errors, d = _figures(request)
    query = urlencode({"property": prop.code, "from": d["from"], "to": d["to"]})
    list_url = reverse("complaints:report").rsplit("reports/", 1)[0]
    return render(request, "complaints/report.html", {
        "title": _("Complaint reports"), "prop": prop, "props": props, "period": period, "errors": errors,
        "d": d, "charts": charts(d), "qs": query, "list_url": list_url,
        "has_any": d["totals"]["complaints"] > 0,
        "quick_periods": _quick(prop),
        "can_export": permissions.can(request.user, permissions.EXPORT),
    })


def _quick(prop):
    today = prop.local_today()
    first = today.replace(day=1)
    year = today.replace(month=1, day=1)
    last_month_end = first - dt.timedelta(days=1)
    default = periods.default_period(prop)
    return [
        (_("Last 30 days"), (today - dt.timedelta(days=29)).isoformat(), today.isoformat()),
        (_("This month"), first.isoformat(), today.isoformat()),
        (_("Last month"), last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
        (_("This year"), year.isoformat(), today.isoformat()),
        (_("Last 12 months"), default.first.isoformat(), default.last.isoformat()),
    ]


@login_required
def export_table(request, table, fmt):
    if table not in reports.TABLES:
        raise Http404
    _prop, _props, _period, errors, d = _figures(request)
    if errors:  # a bad period is said, not exported as the default one
        for field_messages in errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect(reverse("complaints:report") + "?" + request.GET.urlencode())
    title, _section, columns = reports.TABLES[table]
    return export.export_response(request.user, fmt, f"complaints-{table}", reports.rows_of(d, table), columns,
                                  filters={"property": d["property"], "from": d["from"], "to": d["to"]},
                                  title=str(title)[:31])
