"""Grading pages (R-4): the runs of a property with "Grade now" and the parameters, one run's
snapshot with its export, and the grade override on the 360 page's grade card.

Who sees what (core.permissions decides):
  * /grading/ and a run's page: whoever may GRADE the property (its general manager and
    administrator) or read its reports (REPORT: the sales manager, read-only). Other roles 403;
    a run of a property the user has no such right in is 404.
  * Entries of a run (customer rows) only through GradeEntry.visible_to: the general manager sees
    every file, the sales manager their team's files and the pool, the administrator none (counts
    only). The export (EXPORT) holds the same rows.
  * Grade now and the parameters: GRADE (the services ask). The override: REGRADE (the service asks).
Thin views: the rules are in grading.services (run_grading), grading.policy, grading.overrides.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yingke.core import export
from yingke.core.forms import run_service
from yingke.core.models import Property
from yingke.core.pagination import InvalidCursor, Ordering, keyset_page
from yingke.core.permissions import (
    EXPORT,
    GRADE,
    REGRADE,
    REPORT,
    can,
    chosen_property,
    report_rule,
    sees_customers,
    team_limited,
)
from yingke.customers.models import GRADES
from yingke.customers.views.detail import grades_context, visible_customer
from yingke.grading import overrides, policy
from yingke.grading.export import FILE_SETTINGS, SNAPSHOT_COLUMNS, export_name, snapshot_rows
from yingke.grading.forms import GradeNowForm, OverrideForm, PolicyForm, RemoveOverrideForm
from yingke.grading.models import GradeEntry, GradingRun

RUNS_SHOWN = 20
# Entries of a run in the export's order (GradeEntry.position: A by the key, B and C by the
# key, then D): keyset pages over the index (run, position).
ENTRY_ORDER = Ordering("position", "position")


# ---- who may look ---------------------------------------------------------------------------

def grading_properties(user) -> list[Property]:
    """The properties whose grading `user` may look at (GRADE or REPORT), by code."""
    ids = user.property_ids() if getattr(user, "is_authenticated", False) else []
    props = Property.objects.filter(pk__in=ids).order_by("code") if ids else []
    return [p for p in props if can(user, GRADE, p) or can(user, REPORT, p)]


def _chosen(request) -> tuple[Property, list[Property]]:
    """The property asked for (or the first) among those whose grading the reader looks at
    (GRADE or REPORT): 404 for a property they do not work at, 403 for a role that does neither."""
    code = request.GET.get("property") or request.POST.get("property")
    return chosen_property(request.user, code, GRADE, REPORT)


def _run_for(request, pk) -> GradingRun:
    props = grading_properties(request.user)
    if not props:
        raise PermissionDenied(_("Your role may not look at customer grading."))
    run = GradingRun.objects.select_related("property", "created_by").filter(
        pk=pk, property__in=props).first()
    if run is None:
        raise Http404
    return run


# ---- the counts a reader may see --------------------------------------------------------------

def team_only(user, prop) -> bool:
    """Whether `user` sees a run's counts of their team only (the sales manager, who reads the
    grading through REPORT, limited like every report: core.permissions.team_limited and
    report_rule). The general manager and the administrator (GRADE) see the stored counts."""
    return team_limited(user) and not can(user, GRADE, prop)


def team_counts(user, runs) -> dict:
    """The counts of `runs` (runs or a queryset of their ids) over the customers `user`'s reports
    cover (report_rule): {run id: {customers, effective, a_count … d_count, visits, amount}}, in
    one aggregate query grouped by run and grade. Visits and amount are the team's own sums of
    the entries (D entries hold 0)."""
    counts: dict = {}
    rows = (GradeEntry.objects.filter(run__in=runs).filter(report_rule(user, "customer"))
            .values("run_id", "grade").annotate(n=Count("pk"), visits=Sum("visits"), amount=Sum("amount"))
            .order_by())
    for row in rows:
        c = counts.setdefault(row["run_id"], empty_counts())
        c[f"{row['grade'].lower()}_count"] = row["n"]
        c["customers"] += row["n"]
        if row["grade"] != "D":
            c["effective"] += row["n"]
        c["visits"] += row["visits"] or 0
        c["amount"] += row["amount"] or Decimal("0")
    return counts


def empty_counts() -> dict:
    return {"customers": 0, "effective": 0, "a_count": 0, "b_count": 0, "c_count": 0, "d_count": 0, "visits": 0,
            "amount": Decimal("0.00")}


def limit_counts(user, runs: list[GradingRun]) -> list[GradingRun]:
    """`runs` with their counts replaced, for a team-only reader, by their team's (in memory only:
    these objects are never saved); `run.team_only` tells the page."""
    limited = [r for r in runs if team_only(user, r.property)]
    counts = team_counts(user, [r.pk for r in limited]) if limited else {}
    for r in runs:
        r.team_only = r in limited
        if r.team_only:
            for key, value in counts.get(r.pk, empty_counts()).items():
                setattr(r, key, value)
    return runs


def run_share(run) -> str:
    """The A share of a run's effective customers, e.g. '20.0'; '' with none."""
    return f"{100 * run.a_count / run.effective:.1f}" if run.effective else ""


# ---- the grading page -----------------------------------------------------------------------

def _index_context(request, prop, props, grade_form=None, policy_form=None):
    user = request.user
    pol = policy.policy_of(prop)
    runs = limit_counts(user, list(GradingRun.objects.filter(property=prop).select_related("property", "created_by")
                                   .order_by("-as_of", "-id")[:RUNS_SHOWN]))
    for r in runs:
        r.a_percent = run_share(r)
    may_grade = can(user, GRADE, prop)
    today = prop.local_today()
    return {
        "title": _("Customer grading"),
        "prop": prop,
        "props": props,
        "runs": runs,
        "policy": pol,
        "policy_changes": policy.policy_changes(pol),
        "may_grade": may_grade,
        "team_only": team_only(user, prop),
        "grade_form": grade_form or GradeNowForm(today=today, initial={"as_of": today}),
        "policy_form": policy_form or PolicyForm.of(pol),
    }


@login_required
def grading_index(request):
    prop, props = _chosen(request)
    return render(request, "grading/index.html", _index_context(request, prop, props))


@login_required
@require_POST
def grade_now(request):
    """Grade the chosen property now (synchronous: the engine takes seconds), then its run page."""
    prop, props = _chosen(request)
    from yingke.grading.services import run_grading

    form = GradeNowForm(request.POST, today=prop.local_today())
    run = form.is_valid() and run_service(form, run_grading, request.user, prop, as_of=form.cleaned_data["as_of"],
                                          trigger=GradingRun.Trigger.WEB)
    if run:
        messages.success(request, _("Graded %(n)s customers as of %(day)s: %(e)s effective (A %(a)s, B %(b)s, "
                                    "C %(c)s), %(d)s D.") % {
            "n": run.customers, "day": run.as_of.isoformat(), "e": run.effective, "a": run.a_count,
            "b": run.b_count, "c": run.c_count, "d": run.d_count})
        return redirect("grading:run", pk=run.pk)
    context = _index_context(request, prop, props, grade_form=form)
    return render(request, "grading/index.html", context, status=422)


@login_required
@require_POST
def policy_update(request):
    prop, props = _chosen(request)
    form = PolicyForm(request.POST)
    data = form.cleaned_data if form.is_valid() else None
    if data and run_service(form, policy.update_policy, request.user, prop, data["window_days"], data["a_share"],
                            data["b_share"], data["nightly"]) is not None:
        messages.success(request, _("The grading parameters were saved; they apply from the next run."))
        return redirect(reverse("grading:index") + f"?property={prop.code}")
    context = _index_context(request, prop, props, policy_form=form)
    return render(request, "grading/index.html", context, status=422)


# ---- one run ----------------------------------------------------------------------------------

def _grade_filter(request) -> str:
    grade = request.GET.get("grade", "")
    return grade if grade in GRADES else ""


def _entries(user, run, grade=""):
    qs = GradeEntry.objects.visible_to(user).filter(run=run)
    return qs.filter(grade=grade) if grade else qs


@login_required
def run_detail(request, pk):
    run = _run_for(request, pk)
    user = request.user
    limit_counts(user, [run])
    grade = _grade_filter(request)
    sees_rows = sees_customers(user)  # an administrator sees the counts only
    page, cursor_invalid = None, False
    if sees_rows:
        qs = _entries(user, run, grade).select_related("customer")
        size = getattr(settings, "PAGE_SIZE", 25)
        try:
            page = keyset_page(qs, ENTRY_ORDER, size, after=request.GET.get("after", ""),
                               before=request.GET.get("before", ""))
        except InvalidCursor:
            page, cursor_invalid = keyset_page(qs, ENTRY_ORDER, size), True
    query = QueryDict(mutable=True)
    if grade:
        query["grade"] = grade
    return render(request, "grading/run.html", {
        "title": _("Grading run"),
        "run": run,
        "team_only": run.team_only,
        "a_percent": run_share(run),
        "page": page,
        "grade": grade,
        "grades": GRADES,
        "query": query.urlencode(),
        "cursor_invalid": cursor_invalid,
        "sees_rows": sees_rows,
        "can_export": sees_rows and can(user, EXPORT),
        "may_grade": can(user, GRADE, run.property),
    })


def _export_rows(user, run, grade=""):
    """The snapshot's rows (grading.export: the R-4 export order and formats), limited to the
    customers `user` sees, and to one grade when asked."""
    from yingke.customers.models import Customer

    visible = Customer.objects.visible_to(user)
    if grade:
        visible = visible.filter(pk__in=GradeEntry.objects.filter(run=run, grade=grade).values("customer_id"))
    return snapshot_rows(run, customers_qs=visible)


def run_export_response(user, run, fmt, grade=""):
    """The run's snapshot as CSV or XLSX through the one export helper (EXPORT asked there)."""
    if not sees_customers(user):  # an administrator: counts only, never the rows
        raise PermissionDenied(_("Your role may not export customer data."))
    return export.export_response(user, fmt, export_name(run), _export_rows(user, run, grade), SNAPSHOT_COLUMNS,
                                  filters={"run": run.pk, "grade": grade}, title=_("Grades"), **FILE_SETTINGS)


@login_required
def run_export(request, pk, fmt):
    run = _run_for(request, pk)
    return run_export_response(request.user, run, fmt, _grade_filter(request))


# ---- the override (360 page's grade card) --------------------------------------------------------

def _card(request, customer, ok, override_form=None, remove_form=None):
    if request.htmx:
        customer = visible_customer(request, customer.pk)  # re-read: grade and override as stored
        context = grades_context(request, customer, override_form=None if ok else override_form,
                                 remove_form=None if ok else remove_form)
        context["oob_badge"] = ok  # the grade beside the name in the page's head
        response = render(request, "grading/_grade_card.html", context, status=200 if ok else 422)
        if ok:
            response["HX-Trigger"] = "customer-changed"
        return response
    if ok:
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#grade")
    customer = visible_customer(request, customer.pk)
    context = grades_context(request, customer, override_form=override_form, remove_form=remove_form)
    context["title"] = customer.name
    return render(request, "grading/override.html", context, status=422)


@login_required
def grade_card(request, pk):
    """The grade card alone (htmx refresh, or a page without scripts)."""
    customer = visible_customer(request, pk)
    context = grades_context(request, customer)
    if request.htmx:
        return render(request, "grading/_grade_card.html", context)
    context["title"] = customer.name
    return render(request, "grading/override.html", context)


@login_required
@require_POST
def override_set(request, pk):
    customer = visible_customer(request, pk)
    form = OverrideForm(request.POST)
    ok = form.is_valid() and run_service(form, overrides.set_override, request.user, customer,
                                         form.cleaned_data["grade"], form.cleaned_data["reason"]) is not None
    if not form.is_valid() and not overrides_allowed(request.user, customer):
        raise PermissionDenied(_("Only the general manager may change a customer's grade by hand."))
    return _card(request, customer, ok, override_form=form)


@login_required
@require_POST
def override_remove(request, pk):
    customer = visible_customer(request, pk)
    form = RemoveOverrideForm(request.POST)
    ok = form.is_valid() and run_service(form, overrides.remove_override, request.user, customer,
                                         form.cleaned_data["reason"]) is not None
    if not form.is_valid() and not overrides_allowed(request.user, customer):
        raise PermissionDenied(_("Only the general manager may change a customer's grade by hand."))
    return _card(request, customer, ok, remove_form=form)


def overrides_allowed(user, customer) -> bool:
    return can(user, REGRADE, customer)
