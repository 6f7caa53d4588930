"""Pipeline pages (R-11.4). Thin: tracking.pipeline holds the rules, core.permissions decides.
An opportunity the user may not see is 404.

  * pipeline/                   board (columns by stage) or table, with totals and weighted totals
  * pipeline/export.<fmt>       the table as CSV or XLSX
  * pipeline/new/               open one (?customer=<id> or ?lead=<id>)
  * pipeline/<pk>/              facts, stage change (won: the visits that realised it; lost: why)
  * pipeline/<pk>/edit/         change its facts
  * pipeline/forecast/          the weighted forecast by month: chart, table, export
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yingke.core import export, permissions
from yingke.core.forms import add_service_errors
from yingke.core.models import User
from yingke.core.permissions import EDIT, EXPORT, TRACK, assignable_owners, edits_files
from yingke.core.services import Conflict, valid_id
from yingke.customers.models import Customer
from yingke.tracking import forms_plans as f
from yingke.tracking import pipeline
from yingke.tracking.models import Lead, Opportunity, OpportunityStage
from yingke.tracking.views_plans import _messages, _pk, tabs

BOARD_LIMIT = 100  # cards per column
Stage = OpportunityStage


def _editor(user):
    if not edits_files(user):
        raise PermissionDenied(_("The pipeline is worked by the general, sales and account managers."))


def mark_seen(user, rows) -> None:
    """Set `.sees_subject` on each opportunity: whether the user sees its file (or lead) — a
    file that changed hands is not shown by name through an opportunity."""
    files = {o.customer_id for o in rows if o.customer_id}
    leads = {o.lead_id for o in rows if o.lead_id and not o.customer_id}
    seen_files = set(Customer.objects.visible_to(user).filter(pk__in=files).values_list("pk", flat=True)) \
        if files else set()
    seen_leads = set(Lead.objects.visible_to(user).filter(pk__in=leads).values_list("pk", flat=True)) \
        if leads else set()
    for o in rows:
        o.sees_subject = o.customer_id in seen_files if o.customer_id else o.lead_id in seen_leads


def visible_opportunity(user, pk) -> Opportunity:
    opp = Opportunity.objects.visible_to(user).select_related("property", "owner", "customer", "lead", "created_by") \
        .filter(pk=pk).first() if valid_id(pk) else None
    if opp is None:
        raise Http404
    return opp


# ---- the board and the table -------------------------------------------------------------

def _list_setup(request):
    user = request.user
    props = permissions.my_properties(user)
    owners = User.objects.filter(opportunities__in=Opportunity.objects.visible_to(user)).distinct() \
        .order_by("display_name", "username")
    data = request.GET.copy()
    data.setdefault("view", "board")
    data.setdefault("state", "open")
    form = f.PipelineFilterForm(data, properties=props, owners=owners)
    return props, form


def _filtered(user, form, props):
    d = form.cleaned_data
    qs = Opportunity.objects.visible_to(user).select_related("property", "owner", "customer", "lead")
    state = d.get("state") or "open"
    if state == "open":
        qs = qs.filter(stage__in=pipeline.OPEN)
    elif state in (Stage.WON, Stage.LOST):
        qs = qs.filter(stage=state)
    if d.get("kind"):
        qs = qs.filter(kind=d["kind"])
    if d.get("property"):
        prop = next((p for p in props if p.code == d["property"]), None)
        qs = qs.filter(property=prop) if prop else qs.none()
    if d.get("owner"):
        qs = qs.filter(owner_id=int(d["owner"]))
    if d.get("expected_from"):
        qs = qs.filter(expected_on__gte=d["expected_from"])
    if d.get("expected_to"):
        qs = qs.filter(expected_on__lte=d["expected_to"])
    return qs


def _query(get) -> str:
    query = get.copy()
    for key in list(query):
        if not query.get(key):
            query.pop(key)
    return query.urlencode()


@login_required
def pipeline_board(request):
    user = request.user
    _editor(user)
    props, form = _list_setup(request)
    columns, totals, rows, valid = [], None, [], form.is_valid()
    if valid:
        qs = _filtered(user, form, props)
        summary = pipeline.board(qs)
        totals = {"count": sum(s["count"] for s in summary), "amount": sum(s["amount"] for s in summary),
                  "weighted": sum(s["weighted"] for s in summary)}
        shown = [s for s in summary if s["count"] or s["stage"] in pipeline.OPEN]
        for s in shown:
            s["rows"] = list(qs.filter(stage=s["stage"]).order_by("expected_on", "id")[:BOARD_LIMIT])
            s["more"] = s["count"] - len(s["rows"])
            mark_seen(user, s["rows"])
        columns = shown
    return render(request, "tracking/pipeline.html", {
        "title": _("Pipeline"), "tabs": tabs(user, "pipeline"), "form": form, "columns": columns, "totals": totals,
        "rows": rows, "query": _query(request.GET), "view": (form.cleaned_data.get("view") if valid else "") or "board",
        "can_create": any(permissions.can(user, TRACK, p) for p in props),
        "can_export": permissions.can(user, EXPORT), "several": len(props) > 1,
    })


def _export_columns():
    return [
        export.Column(gettext_lazy("Title"), lambda o, u: o.title),
        export.Column(gettext_lazy("Type"), lambda o, u: o.get_kind_display()),
        export.Column(gettext_lazy("Stage"), lambda o, u: o.get_stage_display()),
        export.Column(gettext_lazy("Property"), lambda o, u: o.property.code),
        export.Column(gettext_lazy("Customer"), lambda o, u: o.customer.name if o.customer_id and o.sees_subject
                      else ""),
        export.Column(gettext_lazy("Lead"), lambda o, u: o.lead.name if o.lead_id and not o.customer_id
                      and o.sees_subject else ""),
        export.Column(gettext_lazy("Account manager"), lambda o, u: o.owner.label if o.owner_id else ""),
        export.Column(gettext_lazy("Amount (yuan)"), lambda o, u: o.amount),
        export.Column(gettext_lazy("Probability (%)"), lambda o, u: o.probability),
        export.Column(gettext_lazy("Weighted (yuan)"), lambda o, u: o.weighted),
        export.Column(gettext_lazy("Expected date"), lambda o, u: o.expected_on),
        export.Column(gettext_lazy("Closed"), lambda o, u: o.closed_at),
        export.Column(gettext_lazy("Why lost"), lambda o, u: o.lost_reason),
    ]


@login_required
def pipeline_export(request, fmt):
    user = request.user
    _editor(user)
    permissions.require(user, EXPORT)
    props, form = _list_setup(request)
    if not form.is_valid():
        messages.error(request, _("Some filters are not valid; correct them to export the list."))
        return redirect("tracking:pipeline")
    qs = list(_filtered(user, form, props).order_by("expected_on", "id")[:export.MAX_ROWS])
    mark_seen(user, qs)
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "")}
    return export.export_response(user, fmt, "pipeline", qs, _export_columns(), filters=filters,
                                  title=_("Pipeline"))


# ---- opening and changing one ------------------------------------------------------------

def _subject(request):
    """The file or lead of ?customer= / ?lead= (GET or POST): 404 when not seen."""
    user = request.user
    raw_c = request.GET.get("customer") or request.POST.get("customer")
    raw_l = request.GET.get("lead") or request.POST.get("lead")
    if raw_c:
        pk = _pk(raw_c)
        c = Customer.objects.visible_to(user).select_related("property").filter(pk=pk).first() if pk else None
        if c is None:
            raise Http404
        return c, None
    if raw_l:
        pk = _pk(raw_l)
        ld = Lead.objects.visible_to(user).select_related("property").filter(pk=pk).first() if pk else None
        if ld is None:
            raise Http404
        return None, ld
    return None, None


@login_required
def opportunity_new(request):
    user = request.user
    _editor(user)
    customer, lead = _subject(request)
    subject = customer or lead
    if subject is not None:
        prop, props = permissions.chosen_property(user, None, TRACK, pk=subject.property_id)
    else:
        prop, props = permissions.chosen_property(user, request.POST.get("property") or request.GET.get("property"),
                                                  TRACK)
    owners = list(assignable_owners(user, prop).order_by("display_name", "username"))
    kwargs = {"properties": [prop] if subject is not None else props, "owners": owners, "subject": subject}
    status = 200
    if request.method == "POST":
        form = f.OpportunityForm(request.POST, **kwargs)
        if form.is_valid():
            d = form.cleaned_data
            target = customer
            if subject is None and d.get("customer_code"):
                code = " ".join(d["customer_code"].split())
                target = Customer.objects.visible_to(user).filter(property=prop, customer_code__iexact=code).first()
                if target is None:
                    form.add_error("customer_code", _("No guest file with this code that you may see in this "
                                                      "property."))
            if not form.errors:
                try:
                    data = {"kind": d["kind"], "title": d["title"], "amount": d["amount"],
                            "expected_on": d["expected_on"], "probability": d.get("probability"),
                            "stage": d["stage"], "owner": int(d["owner"]) if d.get("owner") else None}
                    opp = pipeline.create_opportunity(user, prop, customer=target, lead=lead, **data)
                    messages.success(request, _("Opportunity opened."))
                    return redirect("tracking:opportunity", opp.pk)
                except ValidationError as e:
                    add_service_errors(form, e)
        status = 422
    else:
        initial = {"property": prop.code, "stage": Stage.INQUIRY,
                   "owner": str(user.pk) if any(o.pk == user.pk for o in owners) else ""}
        if subject is not None:
            initial["title"] = subject.name
        form = f.OpportunityForm(initial=initial, **kwargs)
    return render(request, "tracking/opportunity_form.html", {
        "title": _("New opportunity"), "tabs": tabs(user, "pipeline"), "form": form, "customer": customer,
        "lead": lead, "prop": prop, "editing": False,
    }, status=status)


def _visit_choices(user, opp):
    if not opp.customer_id:
        return []
    from yingke.visits.models import Visit

    visits = list(Visit.objects.visible_to(user).filter(customer_id=opp.customer_id, voided_at__isnull=True)
                  .select_related("outlet").order_by("-occurred_at", "-id")[:50])
    for v in visits:
        where = v.outlet.name if v.outlet_id else ""
        v.label = " · ".join(x for x in (timezone.localtime(v.occurred_at).strftime("%Y-%m-%d"), where,
                                         f"¥{v.amount}") if x)
    return visits


def _sees(user, opp) -> bool:
    mark_seen(user, [opp])
    return opp.sees_subject


def _detail(request, opp, stage_form=None, status=200):
    user = request.user
    visits = _visit_choices(user, opp)
    if stage_form is None:
        stage_form = f.StageForm(visits=visits, initial={
            "stage": opp.stage, "expect": opp.stage,
            "visits": [str(v.pk) for v in opp.visits.all()]})
    linked = list(opp.visits.filter(pk__in=[v.pk for v in visits]).select_related("outlet"))
    return render(request, "tracking/opportunity_detail.html", {
        "title": opp.title, "tabs": tabs(user, "pipeline"), "opp": opp, "stage_form": stage_form,
        "can_edit": permissions.can(user, EDIT, opp), "linked": linked, "visits": visits,
        "sees_subject": _sees(user, opp),
        "hidden_visits": opp.visits.count() - len(linked),
    }, status=status)


@login_required
def opportunity_detail(request, pk):
    _editor(request.user)
    return _detail(request, visible_opportunity(request.user, pk))


@login_required
@require_POST
def opportunity_stage(request, pk):
    user = request.user
    opp = visible_opportunity(user, pk)
    form = f.StageForm(request.POST, visits=_visit_choices(user, opp))
    if form.is_valid():
        d = form.cleaned_data
        try:
            pipeline.move_stage(user, opp, d["stage"], probability=d.get("probability"),
                                lost_reason=d.get("lost_reason", ""), visits=[int(v) for v in d.get("visits") or []],
                                expect=d.get("expect") or None)
            messages.success(request, _("Stage changed."))
            return redirect("tracking:opportunity", opp.pk)
        except Conflict as e:
            _messages(request, e)
            return redirect("tracking:opportunity", opp.pk)
        except ValidationError as e:
            add_service_errors(form, e)
    return _detail(request, opp, stage_form=form, status=422)


@login_required
def opportunity_edit(request, pk):
    user = request.user
    _editor(user)
    opp = visible_opportunity(user, pk)
    permissions.require(user, EDIT, opp)
    owners = list(assignable_owners(user, opp.property).order_by("display_name", "username"))
    if opp.owner_id and all(o.pk != opp.owner_id for o in owners):
        owners.append(opp.owner)
    kwargs = {"properties": [opp.property], "owners": owners, "editing": True}
    status = 200
    if request.method == "POST":
        form = f.OpportunityForm(request.POST, **kwargs)
        if form.is_valid():
            d = form.cleaned_data
            data = {"kind": d["kind"], "title": d["title"], "amount": d["amount"], "expected_on": d["expected_on"],
                    "owner": int(d["owner"]) if d.get("owner") else None}
            if d.get("probability") is not None:
                data["probability"] = d["probability"]
            try:
                pipeline.update_opportunity(user, opp, **data)
                messages.success(request, _("Opportunity saved."))
                return redirect("tracking:opportunity", opp.pk)
            except ValidationError as e:
                add_service_errors(form, e)
        status = 422
    else:
        form = f.OpportunityForm(initial={
            "property": opp.property.code, "kind": opp.kind, "title": opp.title, "amount": opp.amount,
            "probability": opp.probability, "expected_on": opp.expected_on,
            "owner": str(opp.owner_id) if opp.owner_id else ""}, **kwargs)
    return render(request, "tracking/opportunity_form.html", {
        "title": _("Change opportunity"), "tabs": tabs(user, "pipeline"), "form": form, "opp": opp,
        "sees_subject": _sees(user, opp),
        "prop": opp.property, "editing": True,
    }, status=status)


# ---- the forecast ------------------------------------------------------------------------

def _forecast_setup(request):
    user = request.user
    props = [p for p in permissions.my_properties(user) if permissions.can(user, TRACK, p)]
    if not props:
        permissions.require(user, TRACK, None)
    form = f.ForecastForm(request.GET or None, properties=props)
    prop, start, count = props[0], None, 12
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d.get("property"):
            prop = permissions.pick_property(user, props, d["property"])
        start, count = d.get("start"), d.get("months") or 12
    if start is None:
        today = prop.local_today()
        start = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # from last month
    return form, prop, start, count


def forecast_chart(data) -> dict:
    """An ECharts option (no functions: CSP): weighted open, won, and the forecast line."""
    x = [m["month"].strftime("%Y-%m") for m in data["months"]]
    return {"aria": {"enabled": True}, "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "legend": {"top": 0}, "animation": False,
            "grid": {"left": 56, "right": 24, "top": 36, "bottom": 48, "containLabel": True},
            "xAxis": {"type": "category", "data": x}, "yAxis": {"type": "value", "name": "¥"},
            "series": [
                {"type": "bar", "stack": "f", "name": _("Won"), "data": [float(m["won_amount"]) for m in data["months"]],
                 "itemStyle": {"color": "#6a9f58"}},
                {"type": "bar", "stack": "f", "name": _("Weighted open"),
                 "data": [float(m["weighted"]) for m in data["months"]], "itemStyle": {"color": "#4f7cac"}},
                {"type": "line", "name": _("Open amount (unweighted)"),
                 "data": [float(m["open_amount"]) for m in data["months"]], "itemStyle": {"color": "#9aa0a6"}},
            ]}


@login_required
def forecast(request):
    user = request.user
    _editor(user)
    form, prop, start, count = _forecast_setup(request)
    data = pipeline.forecast(user, [prop], start, count)
    return render(request, "tracking/forecast.html", {
        "title": _("Forecast"), "tabs": tabs(user, "pipeline"), "form": form, "prop": prop, "data": data,
        "chart": forecast_chart(data), "query": _query(request.GET), "can_export": permissions.can(user, EXPORT),
        "several": len(form.fields["property"].choices) > 1, "manager": permissions.reads_reports(user),
    })


@login_required
def forecast_export(request, fmt):
    user = request.user
    _editor(user)
    form, prop, start, count = _forecast_setup(request)
    data = pipeline.forecast(user, [prop], start, count)
    columns = [
        export.Column(gettext_lazy("Month"), lambda m, u: m["month"].strftime("%Y-%m")),
        export.Column(gettext_lazy("Open opportunities"), lambda m, u: m["open_count"]),
        export.Column(gettext_lazy("Open amount (yuan)"), lambda m, u: m["open_amount"]),
        export.Column(gettext_lazy("Weighted (yuan)"), lambda m, u: m["weighted"]),
        export.Column(gettext_lazy("Won"), lambda m, u: m["won_count"]),
        export.Column(gettext_lazy("Won amount (yuan)"), lambda m, u: m["won_amount"]),
        export.Column(gettext_lazy("Forecast (yuan)"), lambda m, u: m["forecast"]),
    ]
    return export.export_response(user, fmt, "forecast", data["months"], columns,
                                  filters={"property": prop.code, "start": start.isoformat(), "months": count},
                                  title=_("Forecast"))
