"""The dashboard page and its table exports (/reports/). Thin adapters over
reports.dashboard, which asks core.permissions (REPORT on the property; a sales manager's
figures limited to the team's files)."""

from django import forms
from django.contrib import messages as messages_framework
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core import export
from yingke.core.forms import run_service
from yingke.core.permissions import CONFIGURE, can, require
from yingke.reports import aggregates, charts, dashboard, services
from yingke.reports.tables import TABLES, rows_of


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _figures(request, inline_pareto=True):
    prop, props = dashboard.property_for(request.user, request.GET.get("property"))
    period, errors = dashboard.parse_period(prop, request.GET.get("from"), request.GET.get("to"))
    data = dashboard.dashboard(request.user, prop, period, _int(request.GET.get("from_run")),
                               _int(request.GET.get("to_run")), inline_pareto=inline_pareto)
    return prop, props, period, errors, data


@login_required
def index(request):
    # A Pareto not kept yet (a period nobody has opened) is loaded by the page after it is shown.
    prop, props, period, errors, data = _figures(request, inline_pareto=False)
    query = {"property": prop.code, "from": data["from"], "to": data["to"]}
    m = data["migration"]
    if m["from_run"]:
        query["from_run"] = m["from_run"]["id"]
    if m["to_run"]:
        query["to_run"] = m["to_run"]["id"]
    return render(request, "reports/dashboard.html", {
        "title": _("Dashboard"), "prop": prop, "props": props, "period": period, "errors": errors, "d": data,
        "charts": charts.options(data), "qs": urlencode(query),
        "quick": [(label, p.key) for label, p in dashboard.quick_periods(prop)],
        "tables": {name: rows_of(data, name) for name in TABLES},
        "can_configure": can(request.user, CONFIGURE, prop),
    })


@login_required
def pareto(request):
    """The Pareto panel alone, for the page that was shown without it."""
    prop, _props = dashboard.property_for(request.user, request.GET.get("property"))
    period, _errors = dashboard.parse_period(prop, request.GET.get("from"), request.GET.get("to"))
    data = dashboard.pareto_panel(request.user, prop, period)
    query = urlencode({"property": prop.code, "from": data["from"], "to": data["to"]})
    return render(request, "reports/_pareto.html", {
        "d": data, "charts": {"pareto": charts.pareto(data)}, "qs": query, "panel": True,
        "tables": {"pareto": rows_of(data, "pareto")}})


@login_required
def export_table(request, table, fmt):
    if table not in TABLES:
        raise Http404
    _prop, _props, _period, _errors, data = _figures(request)
    rows = rows_of(data, table)
    if rows is None:
        raise PermissionDenied(_("This table covers the whole property; your reports are limited to your team."))
    title, _section, columns, _team = TABLES[table]
    return export.export_response(request.user, fmt, f"dashboard-{table}", rows, columns,
                                  filters={"property": data["property"], "from": data["from"], "to": data["to"]},
                                  title=str(title)[:31])


class MealPeriodForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=12, required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=40, required=False)
    starts = forms.TimeField(label=gettext_lazy("Starts"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=gettext_lazy("Ends"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))


MealPeriodFormSet = forms.formset_factory(MealPeriodForm, extra=0, max_num=6, absolute_max=6)


class _RowErrors:
    """The meal period formset as run_service's form: the service names a row's field
    "<n>.<field>" (n counts the filled rows); such a message goes to that row's form, any other
    to the top of the formset."""

    class _Every:
        def __contains__(self, name):
            return True

    fields = _Every()  # add_service_errors keeps every key; add_error sorts them

    def __init__(self, formset, filled):
        self.formset, self.filled = formset, filled

    def add_error(self, field, message):
        index, _dot, name = (field or "").partition(".")
        if index.isdigit() and int(index) < len(self.filled) and name in self.filled[int(index)].fields:
            self.filled[int(index)].add_error(name, message)
        else:
            self.formset._non_form_errors = self.formset.non_form_errors() + self.formset.error_class([message])


@login_required
def meal_periods(request):
    """The meal periods of a property (general manager / administrator: CONFIGURE)."""
    prop, _props = dashboard.property_for(request.user, request.GET.get("property"))
    require(request.user, CONFIGURE, prop)
    current = [{"code": c, "name": n, "starts": s, "ends": e} for c, n, s, e in aggregates.meal_periods(prop)]
    initial = current + [{}] * (6 - len(current))
    if request.method == "POST":
        formset = MealPeriodFormSet(request.POST, initial=initial)
        if formset.is_valid():
            filled = [f for f in formset.forms if any(f.cleaned_data.values())]
            rows = [(f.cleaned_data.get("code"), f.cleaned_data.get("name"), f.cleaned_data.get("starts"),
                     f.cleaned_data.get("ends")) for f in filled]
            saved = run_service(_RowErrors(formset, filled), services.set_meal_periods, request.user, prop, rows)
            if saved is not None:
                messages_framework.success(request, _("Meal periods saved; the dashboard is being recomputed."))
                return redirect(f"{reverse('reports:meal_periods')}?property={prop.code}")
    else:
        formset = MealPeriodFormSet(initial=initial)
    return render(request, "reports/meal_periods.html", {"title": _("Meal periods"), "prop": prop,
                                                          "formset": formset})
