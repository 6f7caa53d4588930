"""Visit plan and visit report pages (R-7.8). Thin: tracking.plans holds the rules,
core.permissions decides who may see and do what. A plan or report the user may not see is 404.

  * plans/                 my plans; managers: their team's, submitted ones first
  * plans/<pk>/            lines with their report state, add/remove lines, submit, decide
  * visit-reports/         reports the user sees (late ones flagged), reports due
  * visit-reports/new/     write one (?customer=<id> or ?planned=<line id>)
  * visit-reports/<pk>/    the report with its follow-up and commitments
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingke.core import permissions
from yingke.core.forms import add_service_errors
from yingke.core.pagination import InvalidCursor, Ordering, keyset_page
from yingke.core.periods import month_end
from yingke.core.permissions import TRACK, is_staff
from yingke.core.roles import FILE_EDITORS, OWNER_ROLES, Role
from yingke.core.services import Conflict, valid_id
from yingke.customers.models import Customer
from yingke.tracking import forms_plans as f
from yingke.tracking import nav, plans
from yingke.tracking.models import PlannedVisit, VisitPlan, VisitReport

REPORT_ORDER = Ordering("-submitted", "submitted_at", descending=True)  # keyset keys: no plain dates
PAGE_SIZE = 25
PLANS_SHOWN = 100


def tabs(user, active):
    try:
        return nav.tabs(user, active)
    except NoReverseMatch:  # a tab whose pages are not wired yet
        return []


def _pk(raw):
    raw = (raw or "").strip()
    pk = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None
    return pk if valid_id(pk) else None


def _planner(user):
    """Account and sales managers keep plans; the general manager reads and decides them."""
    if not is_staff(user) or (user.role not in OWNER_ROLES and user.role != Role.GENERAL_MANAGER):
        raise PermissionDenied(_("Visit plans are kept by account and sales managers and read by their managers."))


def _reporter(user):
    if not is_staff(user) or user.role not in FILE_EDITORS:
        raise PermissionDenied(_("Visit reports are written by the general, sales and account managers."))


def _messages(request, error: ValidationError):
    items = error.message_dict.values() if hasattr(error, "error_dict") else [error.messages]
    for texts in items:
        for text in texts:
            messages.error(request, text)


def visible_plan(user, pk) -> VisitPlan:
    plan = plans.plans_visible_to(user).select_related("property", "owner", "decided_by") \
        .filter(pk=pk).first() if valid_id(pk) else None
    if plan is None:
        raise Http404
    return plan


# ---- plans ---------------------------------------------------------------------------------

@login_required
def plan_list(request):
    user = request.user
    _planner(user)
    rows = list(plans.plans_visible_to(user).select_related("property", "owner", "decided_by")
                .order_by("-month", "owner__username")[:PLANS_SHOWN])
    for p in rows:
        p.may_decide = plans.may_decide(user, p)
    waiting = [p for p in rows if p.may_decide]
    mine = [p for p in rows if p.owner_id == user.pk]
    team = [p for p in rows if p.owner_id != user.pk and not p.may_decide]
    props = [p for p in permissions.my_properties(user) if permissions.can(user, TRACK, p)] \
        if user.role in OWNER_ROLES else []
    form = f.PlanNewForm(properties=props, initial={
        "property": props[0].code if props else "",
        "month": plans.next_month(props[0].local_today()) if props else None})
    return render(request, "tracking/plan_list.html", {
        "title": _("Visit plans"), "tabs": tabs(user, "plans"), "waiting": waiting, "mine": mine, "team": team,
        "form": form, "can_plan": bool(props), "awaiting": plans.lines_awaiting_report(user),
        "is_manager": user.role in (Role.GENERAL_MANAGER, Role.SALES_MANAGER),
    })


@login_required
@require_POST
def plan_new(request):
    user = request.user
    _planner(user)
    prop = permissions.chosen_property(user, request.POST.get("property") or None, TRACK)[0]
    form = f.PlanNewForm(request.POST, properties=[prop])
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("tracking:plans")
    existing = VisitPlan.objects.filter(property=prop, owner=user, month=form.cleaned_data["month"].replace(day=1)) \
        .first()
    if existing is not None:
        return redirect("tracking:plan", existing.pk)
    try:
        plan = plans.create_plan(user, prop, form.cleaned_data["month"])
    except ValidationError as e:
        _messages(request, e)
        return redirect("tracking:plans")
    return redirect("tracking:plan", plan.pk)


def _plan_page(request, plan, line_form=None, decide_form=None, status=200):
    user = request.user
    today = plan.property.local_today()
    lines = list(plan.visits.select_related("customer", "report").order_by("planned_on", "id"))
    seen = set(Customer.objects.visible_to(user).filter(pk__in={v.customer_id for v in lines})
               .values_list("pk", flat=True))
    for line in lines:
        line.state = plans.line_state(line, today)
        line.seen = line.customer_id in seen
    editable = plans.may_edit(user, plan)
    return render(request, "tracking/plan_detail.html", {
        "title": _("Visit plan %(month)s") % {"month": plan.month.strftime("%Y-%m")}, "tabs": tabs(user, "plans"),
        "plan": plan, "lines": lines, "editable": editable, "mine": plan.owner_id == user.pk,
        "line_form": line_form or (f.PlanLineForm(initial={"planned_on": max(plan.month, today)})
                                   if editable else None),
        "decide_form": decide_form or (f.PlanDecideForm() if plans.may_decide(user, plan) else None),
        "month_end": month_end(plan.month),
    }, status=status)


@login_required
def plan_detail(request, pk):
    _planner(request.user)
    return _plan_page(request, visible_plan(request.user, pk))


@login_required
@require_POST
def plan_line_add(request, pk):
    user = request.user
    plan = visible_plan(user, pk)
    form = f.PlanLineForm(request.POST)
    if form.is_valid():
        code = " ".join(form.cleaned_data["customer_code"].split())
        customer = Customer.objects.visible_to(user).filter(property=plan.property_id,
                                                            customer_code__iexact=code).first()
        if customer is None:
            form.add_error("customer_code", _("No guest file with this code that you may see in this property."))
        else:
            try:
                plans.add_line(user, plan, customer=customer, planned_on=form.cleaned_data["planned_on"],
                               purpose=form.cleaned_data["purpose"])
                messages.success(request, _("Visit added to the plan."))
                return redirect("tracking:plan", plan.pk)
            except Conflict as e:
                _messages(request, e)
                return redirect("tracking:plan", plan.pk)
            except ValidationError as e:
                add_service_errors(form, e)
    return _plan_page(request, plan, line_form=form, status=422)


@login_required
@require_POST
def plan_line_remove(request, pk, line_id):
    user = request.user
    plan = visible_plan(user, pk)
    line = PlannedVisit.objects.filter(pk=line_id, plan=plan).first() if valid_id(line_id) else None
    if line is None:
        raise Http404
    try:
        plans.remove_line(user, line)
        messages.success(request, _("Visit removed from the plan."))
    except ValidationError as e:
        _messages(request, e)
    return redirect("tracking:plan", plan.pk)


@login_required
@require_POST
def plan_submit(request, pk):
    user = request.user
    plan = visible_plan(user, pk)
    try:
        plan = plans.submit_plan(user, plan)
        if plan.late:
            messages.warning(request, _("Plan submitted — late: plans are due by the end of the previous month."))
        else:
            messages.success(request, _("Plan submitted to your manager."))
    except ValidationError as e:
        _messages(request, e)
    return redirect("tracking:plan", plan.pk)


@login_required
@require_POST
def plan_decide(request, pk):
    user = request.user
    plan = visible_plan(user, pk)
    form = f.PlanDecideForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            plans.decide_plan(user, plan, approve, form.cleaned_data.get("note", ""))
            messages.success(request, _("Plan approved.") if approve else _("Plan returned for changes."))
            return redirect("tracking:plan", plan.pk)
        except Conflict as e:
            _messages(request, e)
            return redirect("tracking:plan", plan.pk)
        except ValidationError as e:
            add_service_errors(form, e)
    return _plan_page(request, plan, decide_form=form, status=422)


# ---- visit reports -------------------------------------------------------------------------

@login_required
def report_list(request):
    user = request.user
    _reporter(user)
    qs = VisitReport.objects.visible_to(user).select_related("property", "customer", "owner")
    mine = request.GET.get("mine") == "1"
    if mine:
        qs = qs.filter(owner=user)
    late = request.GET.get("late") == "1"
    if late:
        qs = qs.filter(late=True)
    try:
        page = keyset_page(qs, REPORT_ORDER, PAGE_SIZE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    except InvalidCursor:
        page = keyset_page(qs, REPORT_ORDER, PAGE_SIZE)
    query = "&".join(p for p in ("mine=1" if mine else "", "late=1" if late else "") if p)
    return render(request, "tracking/visit_report_list.html", {
        "title": _("Visit reports"), "tabs": tabs(user, "plans"), "page": page, "query": query,
        "mine": mine, "late": late, "awaiting": plans.lines_awaiting_report(user),
        "due_days": VisitReport.DUE_DAYS,
    })


def _report_subject(request):
    """(customer, planned line) from ?customer= / ?planned= (GET or POST); 404 for ids not seen."""
    user = request.user
    line = None
    raw_line = request.GET.get("planned") or request.POST.get("planned")
    if raw_line:
        pk = _pk(raw_line)
        line = PlannedVisit.objects.select_related("plan", "customer__property") \
            .filter(pk=pk, plan__owner=user).first() if pk else None
        if line is None:
            raise Http404
    raw = request.GET.get("customer") or request.POST.get("customer")
    customer = None
    if raw:
        pk = _pk(raw)
        customer = Customer.objects.visible_to(user).select_related("property").filter(pk=pk).first() if pk else None
        if customer is None:
            raise Http404
    elif line is not None:
        customer = Customer.objects.visible_to(user).select_related("property").filter(pk=line.customer_id).first()
        if customer is None:
            raise Http404
    return customer, line


@login_required
def report_new(request):
    user = request.user
    _reporter(user)
    customer, line = _report_subject(request)
    status = 200
    if request.method == "POST":
        form = f.VisitReportForm(request.POST, customer=customer)
        if form.is_valid():
            d = form.cleaned_data
            target = customer
            if target is None:
                code = " ".join(d["customer_code"].split())
                target = Customer.objects.visible_to(user).select_related("property").filter(
                    customer_code__iexact=code, property_id__in=user.property_ids()).order_by("property__code").first()
                if target is None:
                    form.add_error("customer_code", _("No guest file with this code that you may see."))
            if target is not None:
                try:
                    report = plans.create_report(
                        user, target, visited_on=d["visited_on"], purpose=d["purpose"], outcome=d["outcome"],
                        next_steps=d.get("next_steps", ""), promises=form.promises(), planned=line,
                        follow_up_outcome=d["follow_up_outcome"])
                    if report.late:
                        messages.warning(request, _("Report saved — late: reports are due within %(n)d days of the "
                                                    "visit.") % {"n": VisitReport.DUE_DAYS})
                    else:
                        messages.success(request, _("Report saved."))
                    return redirect("tracking:visit_report", report.pk)
                except PermissionDenied:
                    raise
                except ValidationError as e:
                    _promise_errors(form, e)
        status = 422
    else:
        initial = {}
        if line is not None:
            initial = {"purpose": line.purpose, "visited_on": line.planned_on}
        form = f.VisitReportForm(initial=initial, customer=customer)
    return render(request, "tracking/visit_report_new.html", {
        "title": _("New visit report"), "tabs": tabs(user, "plans"), "form": form, "customer": customer,
        "line": line, "due_days": VisitReport.DUE_DAYS,
    }, status=status)


def _promise_errors(form, error: ValidationError):
    """Map the service's `promises.<i>.<field>` errors to the form's numbered fields."""
    if not hasattr(error, "error_dict"):
        add_service_errors(form, error)
        return
    for key, texts in error.message_dict.items():
        name = key
        if key.startswith("promises."):
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit():
                name = f"{parts[2]}_{int(parts[1]) + 1}"
        if name not in form.fields:
            name = None
        for text in texts:
            form.add_error(name, text)


@login_required
def report_detail(request, pk):
    user = request.user
    _reporter(user)
    report = VisitReport.objects.visible_to(user).select_related("property", "customer", "owner", "follow_up",
                                                                 "planned__plan").filter(pk=pk).first() \
        if valid_id(pk) else None
    if report is None:
        raise Http404
    return render(request, "tracking/visit_report_detail.html", {
        "title": _("Visit report"), "tabs": tabs(user, "plans"), "report": report,
        "commitments": list(report.commitments.select_related("owner").order_by("due_on", "id")),
        "due_days": VisitReport.DUE_DAYS,
    })
