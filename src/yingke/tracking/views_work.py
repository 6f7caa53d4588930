"""Pages of follow-ups, tasks, commitments and cadences (R-7.3, R-7.4, R-7.6; issue 15 points
2, 3, 4, 8). Thin: tracking.services and tracking.cadence_config do the work and ask
core.permissions; rows are read through `.visible_to(user)` (a row one may not see is 404).

  /tracking/tasks/                    the open follow-up tasks that fall to the user (due today and
                                      overdue first, then upcoming); ?member=<id> for a sales
                                      manager or the general manager (CONTROL), ?property=CODE
  /tracking/tasks/<id>/done/          complete a task with its written result (POST)
  /tracking/follow-ups/               the log of follow-ups the user sees (filters, keyset pages)
  /tracking/commitments/              open, overdue and kept commitments (filters), keep (POST)
  /tracking/customers/<id>/card/      the 360 page's card (htmx): follow-ups with their ordinal,
                                      open tasks, commitments, and the forms to add them
  /tracking/cadences/                 the property's cadence rules (general manager: CONFIGURE)
  /tracking/cadences/runs/            the scheduler's runs; "run now" (POST)
  … and the exports of the three lists (core.export).

Posts from the card answer htmx with the re-rendered card (422 with the form's messages) and
trigger `tracking-changed`; without JavaScript they redirect back to the file.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from yingke.control import table as control_table
from yingke.control.views_table import readable_member
from yingke.core import permissions
from yingke.core.export import Column, export_response
from yingke.core.forms import add_service_errors
from yingke.core.models import User
from yingke.core.pagination import InvalidCursor, Ordering, Page, keyset_page
from yingke.core.permissions import CONFIGURE, EXPORT, assignable_owners, can
from yingke.core.roles import Role
from yingke.core.services import Conflict
from yingke.customers.models import Customer
from yingke.tracking import cadence_config, nav, services
from yingke.tracking import forms_work as f
from yingke.tracking.cadence import CATCH_UP_DAYS
from yingke.tracking.models import CadenceRule, Commitment, FollowUp, Task

PAGE_SIZE = 25
TASKS_SHOWN = 200
CARD_FOLLOW_UPS = 10
CARD_TASKS = 10
CARD_COMMITMENTS = 10
EMPTY_PAGE = Page(rows=[], has_next=False, has_previous=False, next_cursor="", previous_cursor="")
FOLLOW_UP_ORDER = Ordering("-when", "occurred_at", descending=True)
RUN_ORDER = Ordering("-started", "started_at", descending=True)
# Open promises are listed by date, at most OPEN_SHOWN (the keyset cursor carries no dates);
# kept ones and "all" are paged, newest first.
COMMITMENT_ORDERS = {"kept": Ordering("-kept", "done_at", descending=True, nullable=True),
                     "all": Ordering("-created", "created_at", descending=True)}
OPEN_SHOWN = 200


# ---- helpers ------------------------------------------------------------------------------------

def ordinal_label(n: int) -> str:
    """"1st follow-up", "2nd follow-up" … (R-7.3)."""
    ending = 0 if 10 <= n % 100 <= 20 else n % 10
    if ending == 1:
        text = _("%(n)dst follow-up")
    elif ending == 2:
        text = _("%(n)dnd follow-up")
    elif ending == 3:
        text = _("%(n)drd follow-up")
    else:
        text = _("%(n)dth follow-up")
    return text % {"n": n}


def _query(get, drop=("after", "before")) -> str:
    query = get.copy()
    for key in list(query):
        if key in drop or not query.get(key):
            query.pop(key)
    return query.urlencode()


def _next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()) \
            and target.startswith("/"):
        return target
    return default


def _errors_text(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _subject_url(row) -> str:
    if row.customer_id:
        return reverse("customers:detail", args=[row.customer_id])
    try:
        return reverse("tracking:lead", args=[row.lead_id])
    except NoReverseMatch:  # pragma: no cover - the leads pages are always installed
        return ""


def _subject_name(row) -> str:
    subject = row.customer if row.customer_id else row.lead
    return subject.name if subject is not None else ""


def may_complete(actor, row) -> bool:
    """Whether the done/keep form is offered for a row the actor sees (core.permissions' rule of
    COMPLETE without the visibility query: the rows come from visible_to). Display only: the
    service asks require(actor, COMPLETE, row) again."""
    return row.pk in permissions.completable(actor, [row])


def _people(actor, prop) -> list:
    return list(assignable_owners(actor, prop).order_by("display_name", "username", "pk"))


def _export_filters(get) -> dict:
    return {k: v[:100] for k, v in get.items() if v and k not in ("after", "before")}


# ---- my tasks -----------------------------------------------------------------------------------

def _member(request):
    pk = f.parse_id(request.GET.get("member"))
    if request.GET.get("member") in (None, ""):
        return request.user
    member = User.objects.filter(pk=pk).first() if pk else None
    if member is None:
        raise Http404
    return readable_member(request.user, member)


def _task_scope(request):
    """(member, property, properties) of the task list: the member's tasks in a property both
    work at (control table rules: CONTROL on the member)."""
    user = request.user
    if not permissions.sees_customers(user):
        raise PermissionDenied(_("Your role has no follow-up tasks."))
    member = _member(request)
    props = control_table.table_properties(user, member)
    prop = permissions.pick_property(user, props, request.GET.get("property"),
                                     _("This member of staff has no follow-up tasks in any of your properties."))
    return member, prop, props


def _tasks_qs(actor, member, prop):
    return (services.open_tasks_for(member, prop).visible_to(actor)
            .select_related("customer__owner", "lead__owner", "assignee", "rule").order_by("due_on", "pk"))


def tasks_context(request, failed=None) -> dict:
    user = request.user
    member, prop, props = _task_scope(request)
    today = prop.local_today()
    rows = list(_tasks_qs(user, member, prop)[:TASKS_SHOWN + 1])
    more = len(rows) > TASKS_SHOWN
    rows = rows[:TASKS_SHOWN]
    for t in rows:
        t.overdue = t.due_on < today
        t.url = _subject_url(t)
        t.may_complete = may_complete(user, t)
        if failed is not None and failed[0] == t.pk:
            t.form, t.open_form = failed[1], True
        else:
            t.form = f.TaskDoneForm(prefix=f"task{t.pk}")
    team = []
    if getattr(user, "role", None) in (Role.SALES_MANAGER, Role.GENERAL_MANAGER) and prop.pk in user.property_ids():
        team = [m for m in control_table.team_members(user, prop) if m.pk != user.pk]
    query = {"property": prop.code}
    if member.pk != user.pk:
        query["member"] = member.pk
    return {
        "tabs": nav.tabs(user, "tasks"), "member": member, "own": member.pk == user.pk, "prop": prop, "props": props,
        "due": [t for t in rows if t.due_on <= today], "upcoming": [t for t in rows if t.due_on > today],
        "more": more, "today": today, "team": team, "query": urlencode(query),
        "here": reverse("tracking:tasks") + "?" + urlencode(query),
        "can_export": can(user, EXPORT),
        "title": _("Follow-up tasks") if member.pk == user.pk else
        _("Follow-up tasks of %(name)s") % {"name": member.label},
    }


@login_required
@require_GET
def tasks(request):
    return render(request, "tracking/tasks.html", tasks_context(request))


TASK_COLUMNS = [
    Column(gettext_lazy("Due"), lambda t, u: t.due_on),
    Column(gettext_lazy("Follow-up task"), lambda t, u: t.title),
    Column(gettext_lazy("Guest or lead"), lambda t, u: _subject_name(t)),
    Column(gettext_lazy("Customer code"), lambda t, u: t.customer.customer_code if t.customer_id else ""),
    Column(gettext_lazy("Done by"), lambda t, u: t.get_role_display()),
    Column(gettext_lazy("Assigned to"), lambda t, u: t.assignee.label if t.assignee_id else ""),
    Column(gettext_lazy("Escalated"), lambda t, u: t.escalated_at),
    Column(gettext_lazy("Property"), lambda t, u: t.property.code),
]


@login_required
@require_GET
def tasks_export(request, fmt):
    permissions.require(request.user, EXPORT)
    member, prop, _props = _task_scope(request)
    qs = _tasks_qs(request.user, member, prop).select_related("property")
    return export_response(request.user, fmt, f"tasks-{member.username}", qs, TASK_COLUMNS,
                           filters={"member": member.pk, "property": prop.code}, title=_("Follow-up tasks"))


def _visible_task(request, pk) -> Task:
    task = Task.objects.visible_to(request.user).select_related(
        "customer__owner", "customer__property", "lead__owner", "assignee", "property").filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


@login_required
@require_POST
def task_done(request, pk):
    """Complete a task with its written result (R-7.6): from the task list or the card."""
    task = _visible_task(request, pk)
    form = f.TaskDoneForm(request.POST, prefix=f"task{task.pk}")
    ok, conflict = False, ""
    if form.is_valid():
        try:
            services.complete_task(request.user, task, **form.service_data())
            ok = True
        except Conflict as e:
            conflict = " ".join(e.messages)
        except ValidationError as e:
            add_service_errors(form, e)
    if request.POST.get("card") and task.customer_id:
        return _card_answer(request, task.customer, ok, conflict, forms={f"task{task.pk}": form},
                            success=_("Task done: the follow-up is recorded."))
    if ok:
        messages.success(request, _("Task done: the follow-up is recorded."))
    elif conflict:
        messages.warning(request, conflict)
    else:  # the list again (its filters are in the form's query string), with the form's messages
        messages.error(request, _("The task is not done: %(errors)s") % {"errors": _errors_text(form)})
        return render(request, "tracking/tasks.html", tasks_context(request, failed=(task.pk, form)), status=422)
    return redirect(_next(request, reverse("tracking:tasks")))


# ---- the follow-up log --------------------------------------------------------------------------

def _staff_of(props) -> list:
    return list(User.objects.filter(properties__in=props, is_active=True).exclude(role=Role.ADMIN)
                .distinct().order_by("display_name", "username", "pk")) if props else []


def _follow_up_filters(request):
    user = request.user
    props = permissions.my_properties(user)
    fs = f.FollowUpFilterSet(request.GET or None, FollowUp.objects.visible_to(user), properties=props,
                             people=_staff_of(props), user=user)
    return fs, props


FOLLOW_UP_COLUMNS = [
    Column(gettext_lazy("When"), lambda r, u: r.occurred_at),
    Column(gettext_lazy("Guest or lead"), lambda r, u: _subject_name(r)),
    Column(gettext_lazy("Customer code"), lambda r, u: r.customer.customer_code if r.customer_id else ""),
    Column(gettext_lazy("Follow-up no."), lambda r, u: r.ordinal),
    Column(gettext_lazy("Channel"), lambda r, u: r.get_channel_display()),
    Column(gettext_lazy("Outcome"), lambda r, u: r.get_outcome_display()),
    Column(gettext_lazy("What was said"), lambda r, u: r.summary),
    Column(gettext_lazy("Next step"), lambda r, u: r.next_step),
    Column(gettext_lazy("Next step on"), lambda r, u: r.next_on),
    Column(gettext_lazy("By"), lambda r, u: r.author.label if r.author_id else ""),
    Column(gettext_lazy("Property"), lambda r, u: r.property.code),
]


@login_required
@require_GET
def follow_ups(request):
    user = request.user
    fs, props = _follow_up_filters(request)
    page, cursor_invalid = EMPTY_PAGE, False
    valid = fs.is_valid() if fs.is_bound else True
    if valid:
        qs = fs.qs.select_related("customer", "lead", "author", "property")
        try:
            page = keyset_page(qs, FOLLOW_UP_ORDER, PAGE_SIZE, after=request.GET.get("after", ""),
                               before=request.GET.get("before", ""))
        except InvalidCursor:
            page, cursor_invalid = keyset_page(qs, FOLLOW_UP_ORDER, PAGE_SIZE), True
        for r in page.rows:
            r.url, r.ordinal_text = _subject_url(r), ordinal_label(r.ordinal)
    return render(request, "tracking/follow_ups.html", {
        "title": _("Follow-ups"), "tabs": nav.tabs(user, "follow_ups"), "filter": fs, "form": fs.form, "page": page,
        "valid": valid, "cursor_invalid": cursor_invalid, "query": _query(request.GET),
        "has_filters": any(request.GET.get(k) for k in fs.form.fields), "several": len(props) > 1,
        "can_export": can(user, EXPORT),
    }, status=200 if valid else 422)


@login_required
@require_GET
def follow_ups_export(request, fmt):
    permissions.require(request.user, EXPORT)
    fs, _props = _follow_up_filters(request)
    if fs.is_bound and not fs.is_valid():
        messages.error(request, _("Some filters are not valid; correct them to export the list."))
        return redirect(reverse("tracking:follow_ups") + "?" + _query(request.GET))
    qs = fs.qs.select_related("customer", "lead", "author", "property").order_by(*FOLLOW_UP_ORDER.order_by())
    return export_response(request.user, fmt, "follow-ups", qs, FOLLOW_UP_COLUMNS,
                           filters=_export_filters(request.GET), title=_("Follow-ups"))


# ---- commitments --------------------------------------------------------------------------------

def _commitment_filters(request):
    user = request.user
    props = permissions.my_properties(user)
    data = request.GET.copy()
    data.setdefault("state", "open")
    if not data.get("state"):
        data["state"] = "open"
    fs = f.CommitmentFilterSet(data, Commitment.objects.visible_to(user), properties=props,
                               people=_staff_of(props), user=user)
    return fs, props


def _commitment_order(fs):
    """The keyset ordering of the state shown, or None for open ones (by date, capped)."""
    return COMMITMENT_ORDERS.get(fs.form.cleaned_data.get("state"))


COMMITMENT_COLUMNS = [
    Column(gettext_lazy("By when"), lambda c, u: c.due_on),
    Column(gettext_lazy("What was promised"), lambda c, u: c.promised),
    Column(gettext_lazy("To whom"), lambda c, u: c.to_whom),
    Column(gettext_lazy("Guest"), lambda c, u: c.customer.name),
    Column(gettext_lazy("Customer code"), lambda c, u: c.customer.customer_code),
    Column(gettext_lazy("Promised by"), lambda c, u: c.owner.label),
    Column(gettext_lazy("Kept"), lambda c, u: c.done_at),
    Column(gettext_lazy("How it was kept"), lambda c, u: c.result),
    Column(gettext_lazy("Escalated"), lambda c, u: c.escalated_at),
    Column(gettext_lazy("Property"), lambda c, u: c.property.code),
]


def commitments_context(request, failed=None) -> dict:
    user = request.user
    fs, props = _commitment_filters(request)
    page, cursor_invalid, more = EMPTY_PAGE, False, False
    valid = fs.is_valid()
    if valid:
        order = _commitment_order(fs)
        qs = fs.qs.select_related("customer", "owner", "property", "customer__owner")
        if order is None:
            rows = list(qs.order_by("due_on", "pk")[:OPEN_SHOWN + 1])
            more = len(rows) > OPEN_SHOWN
            page = Page(rows=rows[:OPEN_SHOWN], has_next=False, has_previous=False, next_cursor="",
                        previous_cursor="")
        else:
            try:
                page = keyset_page(qs, order, PAGE_SIZE, after=request.GET.get("after", ""),
                                   before=request.GET.get("before", ""))
            except InvalidCursor:
                page, cursor_invalid = keyset_page(qs, order, PAGE_SIZE), True
        for c in page.rows:
            c.overdue = c.is_open and c.due_on < c.property.local_today()
            c.may_complete = c.is_open and may_complete(user, c)
            if failed is not None and failed[0] == c.pk:
                c.form, c.open_form = failed[1], True
            else:
                c.form = f.KeepForm(prefix=f"keep{c.pk}")
    return {
        "title": _("Commitments"), "tabs": nav.tabs(user, "commitments"), "filter": fs, "form": fs.form, "page": page,
        "more": more,
        "valid": valid, "cursor_invalid": cursor_invalid, "query": _query(request.GET),
        "has_filters": any(request.GET.get(k) for k in fs.form.fields if k != "state")
        or request.GET.get("state", "open") not in ("", "open"),
        "several": len(props) > 1, "can_export": can(user, EXPORT),
        "here": reverse("tracking:commitments") + ("?" + _query(request.GET) if _query(request.GET) else ""),
    }


@login_required
@require_GET
def commitments(request):
    context = commitments_context(request)
    return render(request, "tracking/commitments.html", context, status=200 if context["valid"] else 422)


@login_required
@require_GET
def commitments_export(request, fmt):
    permissions.require(request.user, EXPORT)
    fs, _props = _commitment_filters(request)
    if not fs.is_valid():
        messages.error(request, _("Some filters are not valid; correct them to export the list."))
        return redirect(reverse("tracking:commitments") + "?" + _query(request.GET))
    order = _commitment_order(fs)
    qs = fs.qs.select_related("customer", "owner", "property")
    qs = qs.order_by(*order.order_by()) if order is not None else qs.order_by("due_on", "pk")
    return export_response(request.user, fmt, "commitments", qs, COMMITMENT_COLUMNS,
                           filters=_export_filters(request.GET), title=_("Commitments"))


@login_required
@require_POST
def commitment_keep(request, pk):
    user = request.user
    c = Commitment.objects.visible_to(user).select_related("customer__property", "customer__owner", "owner") \
        .filter(pk=pk).first()
    if c is None:
        raise Http404
    form = f.KeepForm(request.POST, prefix=f"keep{c.pk}")
    ok, conflict = False, ""
    if form.is_valid():
        try:
            services.keep_commitment(user, c, form.cleaned_data["result"])
            ok = True
        except Conflict as e:
            conflict = " ".join(e.messages)
        except ValidationError as e:
            add_service_errors(form, e)
    if request.POST.get("card"):
        return _card_answer(request, c.customer, ok, conflict, forms={f"keep{c.pk}": form}, success=_("Promise kept."))
    if ok:
        messages.success(request, _("Promise kept."))
    elif conflict:
        messages.warning(request, conflict)
    else:
        messages.error(request, _("The promise is not marked as kept: %(errors)s") % {"errors": _errors_text(form)})
        context = commitments_context(request, failed=(c.pk, form))
        return render(request, "tracking/commitments.html", context, status=422)
    return redirect(_next(request, reverse("tracking:commitments")))


# ---- the 360 page's card ------------------------------------------------------------------------

def _card_customer(request, customer_id) -> Customer:
    customer = Customer.objects.visible_to(request.user).select_related("property", "owner") \
        .filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return customer


def card_context(request, customer, forms=None, notice="") -> dict:
    """Everything the card shows, in a fixed number of queries whatever the file's history."""
    user = request.user
    forms = forms or {}
    today = customer.property.local_today()
    rows = list(FollowUp.objects.visible_to(user).filter(customer=customer).select_related("author", "lead")
                .order_by("-occurred_at", "-id")[:CARD_FOLLOW_UPS + 1])
    total = rows[0].ordinal if rows else 0
    follow_ups = rows[:CARD_FOLLOW_UPS]
    for r in follow_ups:
        r.ordinal_text = ordinal_label(r.ordinal)
    open_tasks = list(Task.objects.visible_to(user).filter(customer=customer, done_at__isnull=True)
                      .select_related("assignee", "lead").order_by("due_on", "pk")[:CARD_TASKS + 1])
    for t in open_tasks:
        t.customer = customer  # who it falls to follows the file's owner: no query
        t.overdue = t.due_on < today
        t.may_complete = may_complete(user, t)
        t.form = forms.get(f"task{t.pk}") or f.TaskDoneForm(prefix=f"task{t.pk}")
        t.open_form = f"task{t.pk}" in forms
    promises = list(Commitment.objects.visible_to(user).filter(customer=customer).select_related("owner")
                    .order_by(F("done_at").desc(nulls_first=True), "due_on", "pk")[:CARD_COMMITMENTS + 1])
    for c in promises:
        c.customer = customer
        c.overdue = c.is_open and c.due_on < today
        c.may_complete = c.is_open and may_complete(user, c)
        c.form = forms.get(f"keep{c.pk}") or f.KeepForm(prefix=f"keep{c.pk}")
        c.open_form = f"keep{c.pk}" in forms
    people = _people(user, customer.property)
    return {
        "customer": customer, "follow_ups": follow_ups, "total": total, "more_follow_ups": len(rows) > CARD_FOLLOW_UPS,
        "tasks": open_tasks[:CARD_TASKS], "more_tasks": len(open_tasks) > CARD_TASKS,
        "promises": promises[:CARD_COMMITMENTS], "more_promises": len(promises) > CARD_COMMITMENTS,
        "follow_up_form": forms.get("fu") or f.FollowUpForm(prefix="fu"),
        "task_form": forms.get("nt") or f.TaskForm(prefix="nt", people=people),
        "commitment_form": forms.get("nc") or f.CommitmentForm(prefix="nc", people=people),
        "open_form": next((k for k in ("fu", "nt", "nc") if k in forms), ""),
        "notice": notice, "today": today,
        "can_refer": permissions.can(request.user, permissions.TRACK, customer.property),
        "log_url": reverse("tracking:follow_ups"), "commitments_url": reverse("tracking:commitments"),
    }


def _card_answer(request, customer, ok: bool, conflict: str = "", forms=None, success=""):
    """htmx: the re-rendered card (422 with the form's messages; a Conflict's message on top),
    with `tracking-changed` after a change. Without JavaScript: back to the file."""
    if request.htmx:
        keep = {} if ok else {k: v for k, v in (forms or {}).items() if not conflict}
        notice = conflict or (success if ok else "")
        response = render(request, "tracking/_customer_card.html", card_context(request, customer, keep, notice),
                          status=422 if not ok and not conflict else 200)
        if ok:
            response["HX-Trigger"] = "tracking-changed"
        return response
    if ok:
        messages.success(request, success or _("Saved."))
    elif conflict:
        messages.warning(request, conflict)
    else:
        text = " ".join(_errors_text(form) for form in (forms or {}).values())
        messages.error(request, _("Not saved: %(errors)s") % {"errors": text})
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#tracking")


@login_required
@require_GET
def customer_card(request, customer_id):
    customer = _card_customer(request, customer_id)
    return render(request, "tracking/_customer_card.html", card_context(request, customer))


def _card_post(request, customer, key, form, action, success):
    ok = False
    if form.is_valid():
        try:
            action(customer, form)
            ok = True
        except Conflict as e:
            return _card_answer(request, customer, False, " ".join(e.messages), {key: form})
        except ValidationError as e:
            add_service_errors(form, e)
    return _card_answer(request, customer, ok, "", {key: form}, success)


@login_required
@require_POST
def customer_follow_up(request, customer_id):
    customer = _card_customer(request, customer_id)
    return _card_post(request, customer, "fu", f.FollowUpForm(request.POST, prefix="fu"),
                      lambda c, form: services.log_follow_up(request.user, c, **form.service_data()),
                      _("Follow-up recorded."))


@login_required
@require_POST
def customer_task(request, customer_id):
    customer = _card_customer(request, customer_id)
    form = f.TaskForm(request.POST, prefix="nt", people=_people(request.user, customer.property))
    return _card_post(request, customer, "nt", form,
                      lambda c, form: services.add_task(request.user, c, **form.service_data()),
                      _("Task added."))


@login_required
@require_POST
def commitment_add(request, customer_id):
    customer = _card_customer(request, customer_id)
    form = f.CommitmentForm(request.POST, prefix="nc", people=_people(request.user, customer.property))
    return _card_post(request, customer, "nc", form,
                      lambda c, form: services.add_commitment(request.user, c, **form.service_data()),
                      _("Promise recorded."))


# ---- cadences -----------------------------------------------------------------------------------

def _configured(request):
    code = request.POST.get("property") or request.GET.get("property")
    return permissions.chosen_property(request.user, code, CONFIGURE)


@login_required
@require_GET
def cadences(request):
    user = request.user
    prop, props = _configured(request)
    rules = list(cadence_config.rules_of(user, prop))
    return render(request, "tracking/cadences.html", {
        "title": _("Follow-up cadences"), "tabs": nav.tabs(user, "cadences"), "prop": prop, "props": props,
        "several": len(props) > 1, "rules": rules, "catch_up": CATCH_UP_DAYS,
    })


def _rule_page(request, prop, props, rule=None):
    user = request.user
    status = 200
    if request.method == "POST":
        form = f.CadenceRuleForm(request.POST)
        if form.is_valid():
            try:
                saved = cadence_config.save_rule(user, prop, rule, **form.service_data())
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("Cadence rule “%(name)s” saved.") % {"name": saved.name})
                return redirect(reverse("tracking:cadences") + "?" + urlencode({"property": prop.code}))
        status = 422
    else:
        form = f.CadenceRuleForm(initial=f.CadenceRuleForm.initial_of(rule) if rule else {"offsets": "3, 30, 60"})
    return render(request, "tracking/cadence_form.html", {
        "title": _("Edit cadence rule") if rule else _("New cadence rule"), "tabs": nav.tabs(user, "cadences"),
        "form": form, "rule": rule, "prop": prop, "several": len(props) > 1 and rule is None, "props": props,
        "catch_up": CATCH_UP_DAYS,
    }, status=status)


@login_required
def cadence_new(request):
    prop, props = _configured(request)
    return _rule_page(request, prop, props)


@login_required
def cadence_edit(request, pk):
    user = request.user
    rule = CadenceRule.objects.select_related("property").filter(pk=pk).first()
    if rule is None or not (permissions.configurable_property_ids(user) is None
                            or rule.property_id in user.property_ids()):
        raise Http404
    prop, props = permissions.chosen_property(user, None, CONFIGURE, pk=rule.property_id)
    rule = cadence_config.rule_of(user, prop, rule.pk)
    return _rule_page(request, prop, props, rule)


# ---- scheduler runs -----------------------------------------------------------------------------

def _run_rows(runs, prop):
    names = dict(CadenceRule.objects.filter(property=prop).values_list("pk", "name"))
    for run in runs:
        mine = (run.details or {}).get(prop.code) or {}
        made = mine.get("tasks") or {}
        escalated = mine.get("escalated") or {}
        run.made_here = sum(v for v in made.values() if isinstance(v, int))
        run.escalated_tasks = escalated.get("tasks", 0) if isinstance(escalated, dict) else 0
        run.escalated_commitments = escalated.get("commitments", 0) if isinstance(escalated, dict) else 0
        run.lines = [(names.get(int(k), _("rule %(id)s (deleted)") % {"id": k}) if str(k).isdigit() else str(k), v)
                     for k, v in made.items()]
    return runs


@login_required
@require_GET
def runs(request):
    user = request.user
    prop, props = _configured(request)
    qs = cadence_config.runs_for([prop.pk])
    try:
        page = keyset_page(qs, RUN_ORDER, PAGE_SIZE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
        cursor_invalid = False
    except InvalidCursor:
        page, cursor_invalid = keyset_page(qs, RUN_ORDER, PAGE_SIZE), True
    _run_rows(page.rows, prop)
    return render(request, "tracking/runs.html", {
        "title": _("Scheduler runs"), "tabs": nav.tabs(user, "cadences"), "prop": prop, "props": props,
        "several": len(props) > 1, "page": page, "query": _query(request.GET), "cursor_invalid": cursor_invalid,
        "catch_up": CATCH_UP_DAYS,
    })


@login_required
@require_POST
def run_now(request):
    prop, _props = _configured(request)
    run = cadence_config.run_now(request.user, prop)
    mine = (run.details or {}).get(prop.code) or {}
    made = sum((mine.get("tasks") or {}).values())
    escalated = sum((mine.get("escalated") or {}).values())
    messages.success(request, ngettext("Scheduler run for %(prop)s: %(made)d task made, %(escalated)d escalated.",
                                       "Scheduler run for %(prop)s: %(made)d tasks made, %(escalated)d escalated.",
                                       made) % {"prop": prop.name, "made": made, "escalated": escalated})
    return redirect(reverse("tracking:runs") + "?" + urlencode({"property": prop.code}))

