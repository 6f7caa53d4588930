"""Pages of customer modules (R-5.1, R-5.2) and churn (R-9.1): module configuration and
targets, the module contribution report, the lost-customer list with the reasons, the
churn report, the reasons for loss. Thin adapters over grading.segments and grading.churn,
which ask core.permissions (CONFIGURE, REPORT, EDIT) and validate.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from yingke.core import export, permissions
from yingke.core import services as config_services
from yingke.core.export import Column
from yingke.core.forms import run_service
from yingke.core.pagination import InvalidCursor, Ordering, keyset_page
from yingke.customers.models import Customer, Module
from yingke.customers.modules import apply_suggestions, nature_values, natures_of, suggestion_map
from yingke.grading import churn, segments
from yingke.grading.forms_segments import (
    ApplySuggestionsForm,
    ChurnReportForm,
    ExplainForm,
    LossFilterForm,
    ModuleForm,
    ReasonEditForm,
    ReasonForm,
    ReportForm,
    TargetForm,
)

LOSS_PAGE = 50
LOSS_ORDER = Ordering("-id", "id", descending=True)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _page(request, template, context, *forms_):
    bad = any(f is not None and f.is_bound and f.errors for f in forms_)
    return render(request, template, context, status=422 if bad else 200)


def _configured_property(request, code=None):
    """The property of a configuration page: ?property=CODE, else the first one configured."""
    code = code if code is not None else (request.POST.get("property") or request.GET.get("property"))
    if code:
        return config_services.configurable_property(request.user, code=code)
    prop = config_services.configurable_properties(request.user).order_by("code").first()
    if prop is None:
        raise PermissionDenied(_("You do not configure any property."))
    return prop


# ---- modules ---------------------------------------------------------------------------

def _nature_labels():
    return dict(nature_values())


@login_required
def module_list(request):
    prop = _configured_property(request)
    modules = list(segments.configurable_modules(request.user, prop))
    labels = _nature_labels()
    for m in modules:
        m.nature_labels = [labels.get(n, n) for n in natures_of(m)]
    suggestions = suggestion_map(prop.pk)
    without = Customer.objects.filter(property=prop, module__isnull=True)
    pending = 0
    if suggestions:
        query = Q(pk__in=[])
        for nature in suggestions:
            query |= (Q(kind=Customer.Kind.PERSON) if nature == "person"
                      else Q(kind=Customer.Kind.ORGANISATION, nature=nature))
        pending = without.filter(query).count()
    return render(request, "grading/modules.html", {
        "title": _("Customer modules"), "property": prop, "modules": modules,
        "properties": config_services.configurable_properties(request.user).order_by("code"),
        "without": without.count(), "pending": pending, "apply_form": ApplySuggestionsForm(),
    })


@login_required
def module_create(request):
    prop = _configured_property(request)
    form = ModuleForm(_posted(request), initial={"sort_order": Module.objects.filter(property=prop).count() + 1})
    if request.method == "POST" and form.is_valid():
        module = run_service(form, segments.create_module, request.user, prop, **form.cleaned_data)
        if module is not None:
            messages.success(request, _("Module %(name)s was added.") % {"name": module.name})
            return redirect(_list_url(prop))
    return _page(request, "grading/modules_form.html", {"title": _("New module"), "form": form, "property": prop},
                 form)


def _list_url(prop, name="grading:modules"):
    from django.urls import reverse

    return reverse(name) + "?" + urlencode({"property": prop.code})


@login_required
def module_edit(request, pk):
    module = segments.configurable_module(request.user, pk)
    initial = {"code": module.code, "name": module.name, "occasions": module.occasions,
               "natures": natures_of(module), "sort_order": module.sort_order, "is_active": module.is_active}
    form = ModuleForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        if run_service(form, segments.update_module, request.user, module, **form.cleaned_data) is not None:
            messages.success(request, _("Changes saved."))
            return redirect(_list_url(module.property))
        module = segments.configurable_module(request.user, pk)
    return _page(request, "grading/modules_form.html", {
        "title": _("Module %(name)s") % {"name": module.name}, "form": form, "property": module.property,
        "module": module, "deletable": not segments.module_in_use(module)}, form)


@login_required
@require_POST
def module_delete(request, pk):
    """Only a module nothing names (files, targets, losses); otherwise the page says to take it out of use."""
    module = segments.configurable_module(request.user, pk)
    prop = module.property
    try:
        segments.delete_module(request.user, module)
    except segments.ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("grading:module_edit", pk=pk)
    messages.success(request, _("Module %(name)s was deleted.") % {"name": module.name})
    return redirect(_list_url(prop))


@login_required
@require_POST
def module_apply_suggestions(request):
    prop = _configured_property(request)
    form = ApplySuggestionsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm."))
        return redirect(_list_url(prop))
    n = run_service(form, apply_suggestions, request.user, prop)
    if n is not None:
        messages.success(request, ngettext("%(n)d file got its suggested module.",
                                           "%(n)d files got their suggested module.", n) % {"n": n})
    return redirect(_list_url(prop))


# ---- targets ---------------------------------------------------------------------------

@login_required
def module_targets(request, pk):
    module = segments.configurable_module(request.user, pk)
    form = TargetForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        target = run_service(form, segments.create_target, request.user, module, **form.service_data())
        if target is not None:
            messages.success(request, _("Target from %(start)s to %(end)s was added.")
                             % {"start": target.period_start, "end": target.period_end})
            return redirect("grading:module_targets", pk=module.pk)
    targets = list(segments.targets_of(request.user, module))
    return _page(request, "grading/targets.html", {
        "title": _("Targets of %(name)s") % {"name": module.name}, "module": module, "property": module.property,
        "targets": targets, "form": form}, form)


@login_required
def target_edit(request, pk):
    target = segments.configurable_target(request.user, pk)
    initial = {"period": "custom", "start": target.period_start, "end": target.period_end,
               "customers": target.customers, "visits": target.visits, "amount": target.amount}
    form = TargetForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        if run_service(form, segments.update_target, request.user, target, **form.service_data()) is not None:
            messages.success(request, _("Changes saved."))
            return redirect("grading:module_targets", pk=target.module_id)
        target = segments.configurable_target(request.user, pk)
    return _page(request, "grading/targets_form.html", {
        "title": _("Target of %(name)s") % {"name": target.module.name}, "target": target,
        "module": target.module, "form": form}, form)


# ---- the contribution report -------------------------------------------------------------

def _report_properties(user):
    from yingke.core.models import Property

    return Property.objects.filter(pk__in=user.property_ids()).order_by("code")


def _module_report(request):
    """(form, report or None, status)."""
    form = ReportForm(request.GET or None, properties=_report_properties(request.user))
    if form.is_bound and not form.is_valid():
        churn.report_property(request.user)  # a role without reports: 403 before anything else
        return form, None, 422
    data = form.cleaned_data if form.is_bound else {}
    prop = data.get("property") or None
    prop = churn.report_property(request.user, pk=prop.pk if prop else None)
    try:
        report = segments.module_report(request.user, prop, data.get("period") or "month", data.get("start"))
    except segments.ValidationError as e:
        for field, errors in e.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return form, None, 422
    return form, report, 200


def module_chart(report) -> dict:
    """An ECharts option (drawn by reports/dashboard.js from a JSON script tag): revenue per
    module in the period and in the previous one. The table below the chart holds the numbers."""
    p = report["period"]
    names = [str(line["name"]) for line in report["lines"]]
    now = f"{p.start:%Y-%m-%d} – {p.end:%Y-%m-%d}"
    before = f"{p.previous_start:%Y-%m-%d} – {p.previous_end:%Y-%m-%d}"
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"data": [now, before]},
        "grid": {"left": 60, "right": 20, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": names}, "yAxis": {"type": "value", "name": str(_("Revenue"))},
        "series": [
            {"name": now, "type": "bar", "data": [float(line["revenue"]) for line in report["lines"]]},
            {"name": before, "type": "bar", "data": [float(line["prev_revenue"]) for line in report["lines"]]},
        ],
    }


@login_required
def module_report(request):
    form, report, status = _module_report(request)
    return render(request, "grading/modules_report.html", {
        "title": _("Module contribution"), "form": form, "report": report,
        "chart": module_chart(report) if report and report["lines"] else None,
        "several": form.fields["property"].queryset.count() > 1, "query": request.GET.urlencode(),
    }, status=status)


REPORT_COLUMNS = [
    Column(gettext_lazy("Module"), lambda r, u: r["name"]),
    Column(gettext_lazy("Effective customers"), lambda r, u: r["customers"]),
    Column(gettext_lazy("Visits"), lambda r, u: r["visits"]),
    Column(gettext_lazy("Revenue"), lambda r, u: r["revenue"]),
    Column(gettext_lazy("Share of revenue (%)"), lambda r, u: r["share"]),
    Column(gettext_lazy("Customers before"), lambda r, u: r["prev_customers"]),
    Column(gettext_lazy("Visits before"), lambda r, u: r["prev_visits"]),
    Column(gettext_lazy("Revenue before"), lambda r, u: r["prev_revenue"]),
    Column(gettext_lazy("Revenue change"), lambda r, u: r["revenue_change"]),
    Column(gettext_lazy("Revenue change (%)"), lambda r, u: r["revenue_change_pct"]),
    Column(gettext_lazy("Target customers"), lambda r, u: r["target"].customers if r.get("target") else None),
    Column(gettext_lazy("Target visits"), lambda r, u: r["target"].visits if r.get("target") else None),
    Column(gettext_lazy("Target revenue"), lambda r, u: r["target"].amount if r.get("target") else None),
    Column(gettext_lazy("Revenue against target (%)"), lambda r, u: r.get("target_revenue_pct")),
]


@login_required
def module_report_export(request, fmt):
    if fmt not in export.FORMATS:
        raise Http404
    form, report, status = _module_report(request)
    if report is None:
        return render(request, "grading/modules_report.html", {"title": _("Module contribution"), "form": form,
                                                               "report": None}, status=status)
    p = report["period"]
    totals = {**report["totals"], "name": _("Total"), "share": 100 if report["totals"]["revenue"] > 0 else None}
    columns = [Column(c.label, c.value) for c in REPORT_COLUMNS]
    return export.export_response(
        request.user, fmt, "module-contribution", [*report["lines"], totals], columns,
        filters={"property": report["property"].code, "period": p.kind, "start": p.start.isoformat(),
                 "end": p.end.isoformat()},
        title=_("Module contribution"))


# ---- lost customers ----------------------------------------------------------------------

def _losses(request):
    form = LossFilterForm(request.GET or None, user=request.user)
    qs = churn.visible_losses(request.user)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        qs = churn.filter_losses(qs, state=d.get("state") or None, start=d.get("start"), end=d.get("end"),
                                 reason=d.get("reason"), owner=d.get("owner"), module=d.get("module"))
    elif form.is_bound:
        qs = qs.none()
    return form, qs


@login_required
def loss_list(request):
    # Roles that see no guest files (administrators) get the empty list, like every list.
    form, qs = _losses(request)
    try:
        page = keyset_page(qs, LOSS_ORDER, LOSS_PAGE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    except InvalidCursor:
        page = keyset_page(qs, LOSS_ORDER, LOSS_PAGE)
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    explainable = churn.explainable(request.user, page.rows)
    rows = [{"loss": loss, "state": churn.state_of(loss), "may_explain": loss.pk in explainable}
            for loss in page.rows]
    return render(request, "grading/losses.html", {
        "title": _("Lost customers"), "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "states": churn.STATES, "may_export": request.user.can_export,
        "has_filters": form.is_bound and any(form.data.get(k) for k in form.fields),
    }, status=422 if form.is_bound and form.errors else 200)


LOSS_COLUMNS = [
    Column(gettext_lazy("Customer code"), lambda r, u: r.customer.customer_code),
    Column(gettext_lazy("Customer"), lambda r, u: r.customer.name),
    Column(gettext_lazy("Lost on"), lambda r, u: r.lost_on),
    Column(gettext_lazy("Grade before"), lambda r, u: r.previous_grade),
    Column(gettext_lazy("Account manager"), lambda r, u: r.owner.label if r.owner else ""),
    Column(gettext_lazy("Module"), lambda r, u: r.module.name if r.module else ""),
    Column(gettext_lazy("State"), lambda r, u: str(churn.STATES[churn.state_of(r)])),
    Column(gettext_lazy("Reason"), lambda r, u: r.reason.name if r.reason else ""),
    Column(gettext_lazy("Details"), lambda r, u: r.note),
    Column(gettext_lazy("Won back on"), lambda r, u: r.won_back_on),
]


@login_required
def loss_export(request, fmt):
    if not permissions.sees_customers(request.user):
        raise PermissionDenied(_("Your role does not see guest files."))
    form, qs = _losses(request)
    return export.export_response(request.user, fmt, "lost-customers", qs.order_by("-id"), LOSS_COLUMNS,
                                  filters={k: v for k, v in request.GET.items() if k in form.fields},
                                  title=_("Lost customers"))


@login_required
def loss_explain(request, pk):
    loss = churn.visible_loss(request.user, pk)
    permissions.require(request.user, permissions.EDIT, loss.customer)
    form = ExplainForm(_posted(request), loss=loss)
    if request.method == "POST" and form.is_valid():
        saved = run_service(form, churn.explain_loss, request.user, loss, form.cleaned_data["reason"],
                            form.cleaned_data["note"])
        if saved is not None:
            if request.headers.get("HX-Request"):
                return render(request, "grading/_loss.html", {
                    "loss": churn.visible_loss(request.user, pk), "may_explain": True, "saved": True,
                    "form": ExplainForm(loss=saved)})
            messages.success(request, _("The reason for losing %(name)s was recorded.") % {"name": loss.customer.name})
            nxt = request.POST.get("next", "")
            if nxt.startswith("/") and not nxt.startswith("//"):
                return redirect(nxt)
            return redirect("grading:losses")
    template = "grading/_loss.html" if request.headers.get("HX-Request") else "grading/losses_explain.html"
    return _page(request, template, {"title": _("Why was %(name)s lost?") % {"name": loss.customer.name},
                                     "loss": loss, "form": form, "may_explain": True,
                                     "next": request.GET.get("next", "")}, form)


# ---- the churn report ----------------------------------------------------------------------

def _churn(request):
    form = ChurnReportForm(request.GET or None, properties=_report_properties(request.user))
    if form.is_bound and not form.is_valid():
        churn.report_property(request.user)
        return form, None, 422
    data = form.cleaned_data if form.is_bound else {}
    prop = churn.report_property(request.user, pk=data["property"].pk if data.get("property") else None)
    today = prop.local_today()
    start = data.get("start") or today.replace(day=1)
    end = data.get("end") or today
    if end < start:
        form.add_error("end", _("The end of the period is before its start."))
        return form, None, 422
    return form, churn.churn_report(request.user, prop, start, end), 200


@login_required
def churn_report(request):
    form, report, status = _churn(request)
    return render(request, "grading/churn_report.html", {
        "title": _("Churn"), "form": form, "report": report, "query": request.GET.urlencode(),
        "several": form.fields["property"].queryset.count() > 1}, status=status)


CHURN_COLUMNS = [
    Column(gettext_lazy("Breakdown"), lambda r, u: r["group"]),
    Column(gettext_lazy("Name"), lambda r, u: r["label"]),
    Column(gettext_lazy("Losses"), lambda r, u: r["losses"]),
]


@login_required
def churn_report_export(request, fmt):
    if fmt not in export.FORMATS:
        raise Http404
    form, report, status = _churn(request)
    if report is None:
        return render(request, "grading/churn_report.html", {"title": _("Churn"), "form": form, "report": None},
                      status=status)
    rows = [{"group": _("Total"), "label": _("Customers lost"), "losses": report["lost"]}]
    for key, group in (("by_reason", _("Reason")), ("by_module", _("Module")), ("by_owner", _("Account manager"))):
        rows += [{"group": group, "label": r["label"], "losses": r["losses"]} for r in report[key]]
    rows += [{"group": _("Won back"), "label": _("Customers won back"), "losses": report["won_back"]},
             {"group": _("Won back"), "label": _("of them explained before"), "losses": report["won_back_explained"]}]
    return export.export_response(request.user, fmt, "churn", rows, CHURN_COLUMNS, title=_("Churn"),
                                  filters={"property": report["property"].code, "from": report["start"].isoformat(),
                                           "to": report["end"].isoformat()})


# ---- reasons for loss ------------------------------------------------------------------------

@login_required
def reason_list(request):
    prop = _configured_property(request)
    form = ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        reason = run_service(form, churn.create_reason, request.user, prop, form.cleaned_data["name"])
        if reason is not None:
            messages.success(request, _("Reason “%(name)s” was added.") % {"name": reason.name})
            return redirect(_list_url(prop, "grading:loss_reasons"))
    reasons = list(churn.configurable_reasons(request.user, prop))
    return _page(request, "grading/losses_reasons.html", {
        "title": _("Reasons for loss"), "property": prop, "reasons": reasons, "form": form,
        "properties": config_services.configurable_properties(request.user).order_by("code")}, form)


@login_required
def reason_edit(request, pk):
    reason = churn.configurable_reason(request.user, pk)
    form = ReasonEditForm(_posted(request), initial={"name": reason.name, "sort_order": reason.sort_order,
                                                     "is_active": reason.is_active})
    if request.method == "POST" and form.is_valid():
        if run_service(form, churn.update_reason, request.user, reason, **form.cleaned_data) is not None:
            messages.success(request, _("Changes saved."))
            return redirect(_list_url(reason.property, "grading:loss_reasons"))
        reason = churn.configurable_reason(request.user, pk)
    return _page(request, "grading/losses_reason_form.html", {
        "title": _("Reason “%(name)s”") % {"name": reason.name}, "reason": reason, "form": form}, form)


@login_required
@require_POST
def reason_move(request, pk):
    reason = churn.configurable_reason(request.user, pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    churn.move_reason(request.user, reason, step)
    return redirect(_list_url(reason.property, "grading:loss_reasons"))

