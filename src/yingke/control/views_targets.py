"""Pages of position targets (R-6.3) and the target node analysis (R-6.5), /control/targets/
and /control/nodes/. Thin adapters over control.targets and control.nodes, which ask
core.permissions (TARGET to set a member's targets, CONTROL or TARGET to read them).

The node analysis' charts are ECharts options built here from the same figures as its tables
and drawn by reports/static/reports/dashboard.js (every [data-chart]); the chart helpers are
reports.charts'."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yingke.control import nodes, targets
from yingke.control.targets import KINDS, METRIC_LABELS, METRICS, UNTRACKED
from yingke.core import export
from yingke.core.export import Column
from yingke.core.forms import run_service
from yingke.reports.charts import COLORS, _base, _line, _num

# ---- the period picker ------------------------------------------------------------------------


def _period(request, prop, source=None):
    """The period of ?kind=&start= (any day: its period), the current month by default; with
    the errors (the current period of the kind is shown with them)."""
    source = source if source is not None else request.GET
    kind = source.get("kind") or "month"
    kind = kind if kind in KINDS else "month"
    start = source.get("start")
    if not start:
        return targets.current_period(prop, kind), {}
    try:
        return targets.make_period(prop, kind, start, normalise=True), {}
    except ValidationError as e:
        return targets.current_period(prop, kind), e.message_dict


def _cells(rows):
    """Per row the metrics as a list for the templates: (metric, target, actual, achieved %,
    behind schedule, tracked)."""
    for row in rows:
        row["cells"] = [{"metric": m, "target": row["target"][m], "actual": row["actual"][m],
                         "achieved": row["achieved"][m], "behind": row.get("behind", {}).get(m, False),
                         "money": m in targets.MONEY_METRICS, "tracked": m not in UNTRACKED} for m in METRICS]
    return rows


def _query(prop, period) -> str:
    return urlencode({"property": prop.code, "kind": period.kind, "start": period.key})


def _context(request, prop, props, period, errors):
    return {"prop": prop, "props": props, "period": period, "errors": errors, "kinds": list(KINDS.items()),
            "metrics": [(m, METRIC_LABELS[m]) for m in METRICS], "untracked": UNTRACKED,
            "qs": _query(prop, period), "prev_qs": _query(prop, period.previous()),
            "next_qs": _query(prop, period.next())}


# ---- targets -----------------------------------------------------------------------------------

@login_required
def targets_page(request):
    prop, props = targets.property_for(request.user, request.GET.get("property"))
    period, errors = _period(request, prop)
    data = targets.target_table(request.user, prop, period)
    _cells([*data["lines"], *data["teams"], *([data["total"]] if data["total"] else [])])
    return render(request, "control/targets.html", {"title": _("Position targets"), "d": data,
                                                    **_context(request, prop, props, period, errors)})


class TargetForm(forms.Form):
    """The six metrics as text: control.targets.clean_values is the one validation."""

    effective = forms.CharField(label=METRIC_LABELS["effective"], required=False, max_length=20)
    a_customers = forms.CharField(label=METRIC_LABELS["a_customers"], required=False, max_length=20)
    visits = forms.CharField(label=METRIC_LABELS["visits"], required=False, max_length=20)
    revenue = forms.CharField(label=METRIC_LABELS["revenue"], required=False, max_length=20)
    new_customers = forms.CharField(label=METRIC_LABELS["new_customers"], required=False, max_length=20)
    follow_ups = forms.CharField(label=METRIC_LABELS["follow_ups"], required=False, max_length=20,
                                 help_text=gettext_lazy("Follow-ups are not tracked yet: the actual shows once "
                                                        "the follow-up log is in use."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in METRICS:
            self.fields[name].widget.attrs.update({"inputmode": "decimal" if name == "revenue" else "numeric",
                                                   "autocomplete": "off"})


@login_required
def target_edit(request, user_id, kind, start):
    prop, props = targets.property_for(request.user, request.GET.get("property") or request.POST.get("property"))
    member = targets.member_for(request.user, prop, user_id, write=True)
    try:
        period = targets.make_period(prop, kind, start)
    except ValidationError:
        raise Http404 from None  # not a period start: no such page
    current = targets.PositionTarget.objects.filter(property=prop, user=member, kind=period.kind,
                                                    start=period.start).first()
    back = f"{reverse('control:targets')}?{_query(prop, period)}"
    if request.method == "POST":
        form = TargetForm(request.POST)
        if form.is_valid():
            saved = run_service(form, targets.set_targets, request.user, prop, member, period.kind, period.start,
                                {m: form.cleaned_data.get(m) for m in METRICS})
            if saved is not None:
                messages.success(request, _("Targets of %(name)s saved.") % {"name": targets.member_name(member)})
                return redirect(back)
    else:
        form = TargetForm(initial={m: ("" if current is None or getattr(current, m) is None else getattr(current, m))
                                   for m in METRICS})
    history = list(current.history.select_related("history_user").order_by("-history_date")[:20]) if current else []
    return render(request, "control/target_edit.html", {
        "title": _("Targets of %(name)s") % {"name": targets.member_name(member)}, "form": form, "member": member,
        "back": back, "history": history, **_context(request, prop, props, period, {})},
        status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def targets_copy(request):
    """Copy the previous period's targets into the shown period (those the actor sets)."""
    prop, _props = targets.property_for(request.user, request.POST.get("property"))
    period, errors = _period(request, prop, request.POST)
    if errors:
        messages.error(request, _("The period was not understood; nothing was copied."))
        return redirect(f"{reverse('control:targets')}?{_query(prop, period)}")
    try:
        result = targets.copy_into(request.user, prop, period.kind, period.start)
    except ValidationError as e:
        messages.error(request, " ".join([*e.messages, _("Nothing was copied.")]))
    else:
        messages.success(request, _("%(copied)d targets copied from the previous period; %(kept)d already set "
                                    "were kept.") % {"copied": result["copied"], "kept": result["kept"]})
    return redirect(f"{reverse('control:targets')}?{_query(prop, period)}")


# ---- node analysis ---------------------------------------------------------------------------

def _rows_label(row):
    return row["label"]


def charts(data: dict) -> dict:
    """ECharts options: achievement per member with the time-elapsed line; the three
    incentive points; modules against their targets."""
    out = {}
    lines = data["lines"]
    names = [x["label"] for x in lines]
    elapsed = float(data["elapsed"] or 0)
    shown = [m for m in METRICS if m not in UNTRACKED and any(x["achieved"][m] is not None for x in lines)]
    palette = ["#b8322a", "#d98b2b", "#4f7cac", "#6a9f58", "#7a5ea8"]
    if lines and shown:
        series = [{"type": "bar", "name": str(METRIC_LABELS[m]), "data": [_num(x["achieved"][m]) for x in lines],
                   "itemStyle": {"color": palette[i % len(palette)]}} for i, m in enumerate(shown)]
        series[0]["markLine"] = _line(elapsed, _("Time elapsed %(pct)s %%") % {"pct": data["elapsed"]})
        out["achieved"] = _base(legend={"top": 0}, xAxis={"type": "category", "data": names},
                                yAxis={"type": "value", "name": "%", "min": 0}, series=series)
    if lines:
        kept = [x["incentives"]["kept"] for x in lines]
        out["kept"] = _base(legend={"top": 0}, xAxis={"type": "category", "data": names},
                            yAxis={"type": "value", "name": _("Customers")},
                            series=[{"type": "bar", "stack": "k", "name": _("Kept"), "data": [k["kept"] for k in kept],
                                     "itemStyle": {"color": COLORS["C"]}},
                                    {"type": "bar", "stack": "k", "name": _("Gained"),
                                     "data": [k["gained"] for k in kept], "itemStyle": {"color": COLORS["new"]}},
                                    {"type": "bar", "stack": "lost", "name": _("Lost"),
                                     "data": [None if k["lost"] is None else -k["lost"] for k in kept],
                                     "itemStyle": {"color": COLORS["A"]}}])
        plan = [x["incentives"]["plan"] for x in lines]
        out["plan"] = _base(xAxis={"type": "category", "data": names},
                            yAxis={"type": "value", "name": "%", "min": 0, "max": 100},
                            series=[{"type": "bar", "name": _("Visited by the expected day (%)"),
                                     "data": [_num(p["share"]) for p in plan], "itemStyle": {"color": COLORS["B"]}}])
        value = [x["incentives"]["value"] for x in lines]
        out["value"] = _base(legend={"top": 0}, xAxis={"type": "category", "data": names},
                             yAxis={"type": "value", "name": _("Revenue per effective customer")},
                             series=[{"type": "bar", "name": _("Previous period"),
                                      "data": [_num(v["prev_value"]) for v in value],
                                      "itemStyle": {"color": COLORS["D"]}},
                                     {"type": "bar", "name": _("This period"), "data": [_num(v["value"]) for v in value],
                                      "itemStyle": {"color": COLORS["A"]}}])
    mods = data.get("modules") or []
    if mods and any(any(v is not None for v in x["achieved"].values()) for x in mods):
        labels = {"customers": _("Effective customers"), "visits": _("Visits"), "revenue": _("Revenue")}
        series = [{"type": "bar", "name": str(labels[m]), "data": [_num(x["achieved"][m]) for x in mods],
                   "itemStyle": {"color": palette[i]}} for i, m in enumerate(nodes.MODULE_METRICS)]
        series[0]["markLine"] = _line(elapsed, _("Time elapsed %(pct)s %%") % {"pct": data["elapsed"]})
        out["modules"] = _base(legend={"top": 0}, xAxis={"type": "category", "data": [x["name"] for x in mods]},
                               yAxis={"type": "value", "name": "%", "min": 0}, series=series)
    return out


def _analysis(request):
    prop, props = targets.property_for(request.user, request.GET.get("property"))
    period, errors = _period(request, prop)
    return prop, props, period, errors, nodes.node_analysis(request.user, prop, period)


@login_required
def nodes_page(request):
    prop, props, period, errors, data = _analysis(request)
    _cells(nodes.all_rows(data))
    return render(request, "control/nodes.html", {"title": _("Target node analysis"), "d": data,
                                                  "charts": charts(data), **_context(request, prop, props, period,
                                                                                     errors)})


def _get(*path):
    def value(row, user):
        for key in path:
            row = row.get(key) if isinstance(row, dict) else None
        return row
    return value


def _kind_label(row, user):
    return {"member": _("Member"), "team": _("Team"), "property": _("Property")}.get(row["kind"], row["kind"])


def _member_columns() -> list[Column]:
    cols = [Column(gettext_lazy("Row"), _kind_label), Column(gettext_lazy("Name"), _get("label"))]
    for m in METRICS:
        label = METRIC_LABELS[m]
        cols.append(Column(f"{label} · {_('target')}", _get("target", m)))
        cols.append(Column(f"{label} · {_('actual')}", _get("actual", m)))
        cols.append(Column(f"{label} · {_('achieved (%)')}", _get("achieved", m)))
        cols.append(Column(f"{label} · {_('behind schedule')}", _get("behind", m)))
    return cols


def _incentive_columns() -> list[Column]:
    return [
        Column(gettext_lazy("Row"), _kind_label), Column(gettext_lazy("Name"), _get("label")),
        Column(gettext_lazy("Effective at the start"), _get("incentives", "kept", "start")),
        Column(gettext_lazy("Effective at the end"), _get("incentives", "kept", "end")),
        Column(gettext_lazy("Kept"), _get("incentives", "kept", "kept")),
        Column(gettext_lazy("Lost"), _get("incentives", "kept", "lost")),
        Column(gettext_lazy("Gained"), _get("incentives", "kept", "gained")),
        Column(gettext_lazy("Change"), _get("incentives", "kept", "change")),
        Column(gettext_lazy("Expected to visit"), _get("incentives", "plan", "due")),
        Column(gettext_lazy("Visited by the expected day"), _get("incentives", "plan", "matched")),
        Column(gettext_lazy("Matching the plan (%)"), _get("incentives", "plan", "share")),
        Column(gettext_lazy("Revenue"), _get("incentives", "value", "revenue")),
        Column(gettext_lazy("Revenue per effective customer"), _get("incentives", "value", "value")),
        Column(gettext_lazy("Previous period: revenue per effective customer"), _get("incentives", "value", "prev_value")),
        Column(gettext_lazy("Change (%)"), _get("incentives", "value", "change")),
    ]


def _module_columns() -> list[Column]:
    cols = [Column(gettext_lazy("Module"), _get("name"))]
    labels = {"customers": gettext_lazy("Effective customers"), "visits": gettext_lazy("Visits"),
              "revenue": gettext_lazy("Revenue")}
    for m in nodes.MODULE_METRICS:
        cols += [Column(f"{labels[m]} · {_('target')}", _get("target", m)),
                 Column(f"{labels[m]} · {_('actual')}", _get("actual", m)),
                 Column(f"{labels[m]} · {_('achieved (%)')}", _get("achieved", m)),
                 Column(f"{labels[m]} · {_('behind schedule')}", _get("behind", m))]
    return cols


EXPORTS = {"members": _member_columns, "incentives": _incentive_columns, "modules": _module_columns}


@login_required
def nodes_export(request, table, fmt):
    if table not in EXPORTS or fmt not in export.FORMATS:
        raise Http404
    prop, _props, period, _errors, data = _analysis(request)
    if table == "modules":
        if data["modules"] is None:
            raise Http404
        rows = data["modules"]
    else:
        rows = nodes.all_rows(data)
    return export.export_response(request.user, fmt, f"target-nodes-{table}", rows, EXPORTS[table](),
                                  filters={"property": prop.code, "kind": period.kind, "start": period.key,
                                           "table": table},
                                  title=str(_("Target node analysis"))[:31])
