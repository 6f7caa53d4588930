"""Lead pages (R-7.1, R-7.3). Thin: tracking.services changes leads and decides (through
core.permissions) who may; these views fetch through `visible_to` (a lead one may not see is
404), call a service and show its errors.

  * /tracking/                       the list (LeadFilter, keyset pages, CSV/XLSX export)
  * /tracking/board/                 kanban by stage; drag (board.js) or a small form moves a card
  * /tracking/leads/new/             new lead (?referrer=<file id> prefills a referral)
  * /tracking/leads/<id>/            details, stage bar, follow-ups, open tasks, history
  * /tracking/leads/<id>/edit/       change its details
  * /tracking/leads/<id>/convert/    make it a customer: link a matching file or open a new one
  * /tracking/leads/<id>/stage/      POST: move on the board (JSON for fetch, 409 on a stale move)
"""

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yingke.core import export, permissions
from yingke.core.forms import add_service_errors, run_service
from yingke.core.models import Property, User
from yingke.core.pagination import InvalidCursor, Page, keyset_page
from yingke.core.permissions import EDIT, EXPORT, FOLLOW, TRACK
from yingke.core.services import Conflict, valid_id
from yingke.customers.identity import normalize_mobile
from yingke.customers.masking import HIDDEN_FILE, shown_mobile
from yingke.customers.models import Customer
from yingke.customers.views.changes import Display, diff_records, who
from yingke.tracking import nav, services
from yingke.tracking.filters import LeadFilter
from yingke.tracking.forms_leads import DropForm, FollowUpForm, LeadForm
from yingke.tracking.models import FollowUp, Lead, Source, Stage, Task

PAGE_SIZE = 25
EMPTY_PAGE = Page(rows=[], has_next=False, has_previous=False, next_cursor="", previous_cursor="")
COLUMN_MAX = 50  # cards drawn per board column (the column shows the full count)
CONVERTED_DAYS = 30  # the board's last column: conversions of the last 30 days
CONVERTED_MAX = 20
HISTORY_SHOWN = 100
HISTORY_SKIP = {"id", "created_by", "created_at", "stage_changed_at", "converted_by", "reached", "updated_at"}
FILE_REF = re.compile(r"^#(\d{1,18})$")


# ---- helpers ------------------------------------------------------------------------------------

def visible_lead(user, pk) -> Lead:
    lead = (Lead.objects.visible_to(user).select_related("property", "owner", "referrer", "customer")
            .filter(pk=pk).first() if valid_id(pk) else None)
    if lead is None:
        raise Http404
    return lead


def _tabs(user, active) -> list[dict]:
    try:
        return nav.tabs(user, active)
    except NoReverseMatch:  # a tab whose page is not installed yet: leave it out
        out = []
        for name, label, whom in nav.TABS:
            try:
                url = reverse(f"tracking:{name}")
            except NoReverseMatch:
                continue
            if nav._sees(user, whom):
                out.append({"url": url, "label": label(), "active": name == active})
        return out


def _ctx(request, active, **extra) -> dict:
    return {"tabs": _tabs(request.user, active), **extra}


def _with_counts(qs, user):
    """Follow-up count and whether the referrer's file is visible to `user`, as subqueries (no GROUP BY)."""
    n = (FollowUp.objects.filter(lead=OuterRef("pk")).order_by().values("lead")
         .annotate(n=Count("pk")).values("n"))
    return qs.annotate(
        n_follow_ups=Coalesce(Subquery(n, output_field=IntegerField()), Value(0)),
        referrer_seen=Exists(Customer.objects.visible_to(user).filter(pk=OuterRef("referrer_id"))))


def _referrer_label(lead) -> str:
    if not lead.referrer_id:
        return ""
    return lead.referrer.name if getattr(lead, "referrer_seen", True) else str(HIDDEN_FILE)


def _source_text(lead) -> str:
    text = lead.get_source_display()
    extra = _referrer_label(lead) if lead.source == Source.REFERRAL else lead.informant
    return f"{text}: {extra}" if extra else text


def _list_query(get) -> str:
    query = get.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    for key in list(query):
        if not query.get(key):
            query.pop(key)
    return query.urlencode()


def _may_track(user) -> bool:
    return any(permissions.can(user, TRACK, p) for p in permissions.my_properties(user))


def _is_ajax(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.headers.get("HX-Request") == "true"


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for texts in error.message_dict.values() for m in texts]
    return list(error.messages)


def _back(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


# ---- the list and its export -----------------------------------------------------------------

@login_required
def lead_list(request):
    user = request.user
    fs = LeadFilter(request.GET, user=user, ui=True)
    page, cursor_invalid = EMPTY_PAGE, False
    if not fs.invalid():
        qs = _with_counts(fs.qs.select_related("property", "owner", "referrer"), user)
        try:
            page = keyset_page(qs, fs.ordering(), PAGE_SIZE, after=request.GET.get("after", ""),
                               before=request.GET.get("before", ""))
        except InvalidCursor:
            page, cursor_invalid = keyset_page(qs, fs.ordering(), PAGE_SIZE), True
        for lead in page.rows:
            lead.shown_mobile = shown_mobile(user, lead.mobile)
            lead.source_text = _source_text(lead)
    has_filters = any(request.GET.get(k) for k in fs.form.fields if k != "state") or \
        request.GET.get("state", "open") not in ("", "open")
    return render(request, "tracking/leads.html", _ctx(
        request, "leads", title=_("Leads"), filterset=fs, form=fs.form, page=page, query=_list_query(request.GET),
        cursor_invalid=cursor_invalid, has_filters=has_filters, several=fs.several_properties,
        can_track=_may_track(user), can_export=permissions.can(user, EXPORT)))


def export_columns():
    return [
        export.Column(gettext_lazy("Property"), lambda r, u: r.property.code),
        export.Column(gettext_lazy("Name"), lambda r, u: r.name),
        export.Column(gettext_lazy("Type"), lambda r, u: r.get_kind_display()),
        export.Column(gettext_lazy("Mobile"), lambda r, u: shown_mobile(u, r.mobile)),
        export.Column(gettext_lazy("Employer"), lambda r, u: r.employer),
        export.Column(gettext_lazy("Job title"), lambda r, u: r.job_title),
        export.Column(gettext_lazy("Source"), lambda r, u: r.get_source_display()),
        export.Column(gettext_lazy("Campaign, event or reference"), lambda r, u: r.source_detail),
        export.Column(gettext_lazy("Referred by"), lambda r, u: _referrer_label(r)),
        export.Column(gettext_lazy("Informant"), lambda r, u: r.informant),
        export.Column(gettext_lazy("Stage"), lambda r, u: r.get_stage_display()),
        export.Column(gettext_lazy("Account manager"), lambda r, u: r.owner.label if r.owner_id else ""),
        export.Column(gettext_lazy("Follow-ups"), lambda r, u: r.n_follow_ups),
        export.Column(gettext_lazy("Created"), lambda r, u: r.created_at),
        export.Column(gettext_lazy("Dropped"), lambda r, u: r.dropped_at),
        export.Column(gettext_lazy("Why dropped"), lambda r, u: r.drop_reason),
        export.Column(gettext_lazy("Converted"), lambda r, u: r.converted_at),
    ]


@login_required
def lead_export(request, fmt):
    user = request.user
    permissions.require(user, EXPORT)
    fs = LeadFilter(request.GET, user=user)
    if fs.invalid():
        messages.error(request, _("Some filters are not valid; correct them to export the list."))
        return redirect(reverse("tracking:leads") + "?" + _list_query(request.GET))
    qs = _with_counts(fs.qs.select_related("property", "owner", "referrer"), user).order_by(
        *fs.ordering().order_by())
    return export.export_response(user, fmt, "leads", qs, export_columns(), filters=fs.applied(), title=_("Leads"))


# ---- the board ----------------------------------------------------------------------------------

OPEN_STAGES = [s for s in Stage if s != Stage.CUSTOMER]


@login_required
def lead_board(request):
    user = request.user
    props = permissions.my_properties(user)
    prop = permissions.pick_property(user, props, request.GET.get("property"),
                                     denied=_("You do not work at a property, so you have no leads."))
    base = Lead.objects.visible_to(user).filter(property=prop, dropped_at__isnull=True)
    counts = {r["stage"]: r["n"] for r in base.exclude(stage=Stage.CUSTOMER).values("stage")
              .annotate(n=Count("pk")).order_by()}
    may_move = permissions.edits_files(user)
    columns = []
    for stage in OPEN_STAGES:
        cards = list(base.filter(stage=stage).select_related("owner").order_by("-stage_changed_at", "-id")[:COLUMN_MAX])
        for lead in cards:
            lead.shown_mobile = shown_mobile(user, lead.mobile)
        n = counts.get(int(stage), 0)
        columns.append({"stage": stage, "cards": cards, "count": n, "more": max(0, n - len(cards))})
    since = timezone.now() - dt.timedelta(days=CONVERTED_DAYS)
    converted = list(Lead.objects.visible_to(user).filter(property=prop, stage=Stage.CUSTOMER,
                                                          converted_at__gte=since)
                     .select_related("owner", "customer").order_by("-converted_at", "-id")[:CONVERTED_MAX])
    return render(request, "tracking/board.html", _ctx(
        request, "board", title=_("Lead board"), prop=prop, props=props, several=len(props) > 1,
        columns=columns, converted=converted, converted_days=CONVERTED_DAYS, stages=OPEN_STAGES,
        may_move=may_move, can_track=permissions.can(user, TRACK, prop),
        board_url=reverse("tracking:board") + (f"?property={prop.code}" if len(props) > 1 else "")))


def _int(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else None


@login_required
@require_POST
def lead_stage(request, pk):
    lead = visible_lead(request.user, pk)
    ajax = _is_ajax(request)
    back = _back(request, reverse("tracking:lead", args=[lead.pk]))
    stage = _int(request.POST.get("stage"))
    expect = _int(request.POST.get("expect"))
    try:
        if stage is None:
            raise ValidationError({"stage": [_("Choose a stage.")]})
        lead = services.move_stage(request.user, lead, stage, expect=expect)
    except Conflict as e:
        text = " ".join(e.messages)
        if ajax:
            return HttpResponse(text, status=409, content_type="text/plain; charset=utf-8")
        messages.error(request, text)
        return redirect(back)
    except ValidationError as e:
        text = " ".join(_messages_of(e))
        if ajax:
            return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
        messages.error(request, text)
        return redirect(back)
    if ajax:
        return JsonResponse({"id": lead.pk, "stage": lead.stage, "label": str(lead.get_stage_display())})
    messages.success(request, _("“%(name)s” moved to “%(stage)s”.") % {"name": lead.name,
                                                                     "stage": lead.get_stage_display()})
    return redirect(back)


# ---- new and edit -------------------------------------------------------------------------------

def _find_referrer(user, prop, text):
    """The visible guest file of `prop` named by `text`: its customer code, '#<id>', or its mobile."""
    text = " ".join((text or "").split())
    if not text:
        return None
    files = Customer.objects.visible_to(user).filter(property=prop)
    m = FILE_REF.match(text)
    if m:
        pk = int(m.group(1))
        return files.filter(pk=pk).first() if valid_id(pk) else None
    found = files.filter(customer_code__iexact=text).first()
    if found is None:
        try:
            mobile = normalize_mobile(text)
        except ValidationError:
            mobile = ""
        if mobile:
            same = list(files.filter(mobile=mobile)[:2])
            found = same[0] if len(same) == 1 else None
    return found


def _referrer_ref(customer) -> str:
    return customer.customer_code or f"#{customer.pk}"


def _service_data(form, user, prop, owners) -> dict | None:
    """The service's keyword arguments from a valid LeadForm, or None (errors put on the form)."""
    d = form.cleaned_data
    data = {k: d.get(k, "") for k in ("kind", "name", "mobile", "employer", "job_title", "email", "needs",
                                      "source", "source_detail", "informant")}
    owner = d.get("owner") or ""
    data["owner"] = next((u for u in owners if str(u.pk) == owner), None) if owner else None
    ref = ""
    if d.get("source") == Source.REFERRAL and d.get("referrer"):
        ref = _find_referrer(user, prop, d["referrer"])
        if ref is None:
            form.add_error("referrer", _("No guest file with this customer code or mobile that you may see in "
                                         "this property."))
            return None
    data["referrer"] = ref or None
    if "stage" in d:
        data["stage"] = d["stage"]
    return data


@login_required
def lead_new(request):
    user = request.user
    referrer = None
    raw = (request.GET.get("referrer") or "").strip()
    if raw:
        pk = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
        referrer = Customer.objects.visible_to(user).filter(pk=pk).first() if valid_id(pk) else None
        if referrer is None:
            raise Http404
    code = request.POST.get("property") or request.GET.get("property")
    if referrer is not None and request.method != "POST":
        prop, props = permissions.chosen_property(user, None, TRACK, pk=referrer.property_id)
    else:
        prop, props = permissions.chosen_property(user, code, TRACK)
    owners = list(permissions.assignable_owners(user, prop).order_by("display_name", "username"))
    kwargs = {"properties": props, "owners": owners}
    status = 200
    if request.method == "POST":
        form = LeadForm(request.POST, **kwargs)
        if form.is_valid():
            data = _service_data(form, user, prop, owners)
            lead = run_service(form, services.create_lead, user, prop, **data) if data is not None else None
            if lead is not None:
                messages.success(request, _("Lead “%(name)s” added.") % {"name": lead.name})
                return redirect("tracking:lead", lead.pk)
        status = 422
    else:
        initial = {"property": prop.code, "owner": str(user.pk) if any(u.pk == user.pk for u in owners) else ""}
        if referrer is not None:
            initial.update(source=Source.REFERRAL, referrer=_referrer_ref(referrer))
        form = LeadForm(initial=initial, **kwargs)
    return render(request, "tracking/lead_form.html", _ctx(
        request, "leads", title=_("New lead"), form=form, prop=prop, several=len(props) > 1, lead=None,
        referrer=referrer), status=status)


@login_required
def lead_edit(request, pk):
    user = request.user
    lead = visible_lead(user, pk)
    permissions.require(user, EDIT, lead)
    prop = lead.property
    owners = list(permissions.assignable_owners(user, prop).order_by("display_name", "username"))
    if lead.owner_id and all(u.pk != lead.owner_id for u in owners):
        owners.append(lead.owner)  # keep the current owner selectable (the service lets it stay)
    kwargs = {"owners": owners, "new": False}
    # A referrer whose file the user does not see is neither shown (its code) nor lost on saving.
    hidden_referrer = bool(lead.referrer_id) and not Customer.objects.visible_to(user).filter(
        pk=lead.referrer_id).exists()
    status = 200
    if request.method == "POST":
        form = LeadForm(request.POST, **kwargs)
        if form.is_valid():
            data = _service_data(form, user, prop, owners)
            if data is not None and hidden_referrer and not form.cleaned_data.get("referrer") \
                    and data.get("source") == Source.REFERRAL:
                data.pop("referrer")
            done = run_service(form, services.update_lead, user, lead, **data) if data is not None else None
            if done is not None:
                messages.success(request, _("Lead saved."))
                return redirect("tracking:lead", lead.pk)
        status = 422
    else:
        form = LeadForm(initial={
            "kind": lead.kind, "name": lead.name, "mobile": lead.mobile, "employer": lead.employer,
            "job_title": lead.job_title, "email": lead.email, "needs": lead.needs, "source": lead.source,
            "source_detail": lead.source_detail, "informant": lead.informant,
            "referrer": _referrer_ref(lead.referrer) if lead.referrer_id and not hidden_referrer else "",
            "owner": str(lead.owner_id) if lead.owner_id else ""}, **kwargs)
    return render(request, "tracking/lead_form.html", _ctx(
        request, "leads", title=_("Edit lead"), form=form, prop=prop, several=False, lead=lead,
        referrer=None), status=status)


# ---- the lead's page ----------------------------------------------------------------------------

def lead_history(lead: Lead, user) -> list[dict]:
    rows = list(Lead.history.filter(id=lead.pk).select_related("history_user")
                .order_by("-history_date", "-history_id")[:HISTORY_SHOWN])
    rows.reverse()
    user_ids = {r.owner_id for r in rows if r.owner_id}
    file_ids = {i for r in rows for i in (r.referrer_id, r.customer_id) if i}
    users = {u.pk: u.label for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    seen = {c.pk: c.name for c in Customer.objects.visible_to(user).filter(pk__in=file_ids)} if file_ids else {}
    files = {pk: seen.get(pk, str(HIDDEN_FILE)) for pk in file_ids}
    props = {p.pk: str(p) for p in Property.objects.filter(pk__in={r.property_id for r in rows})}
    display = Display(user, users, props, files)
    changes = []
    for r, action, label, before, after in diff_records(Lead, rows, HISTORY_SKIP, display, lambda r: r.name):
        changes.append({"when": r.history_date, "who": who(r), "action": action, "field": label,
                        "before": before, "after": after, "reason": getattr(r, "history_change_reason", "") or ""})
    changes.reverse()
    return changes


def _detail(request, lead, follow_form=None, drop_form=None, status=200):
    user = request.user
    follow_ups = list(FollowUp.objects.visible_to(user).filter(lead=lead).select_related("author")
                      .order_by("-occurred_at", "-id"))
    tasks = list(Task.objects.visible_to(user).filter(lead=lead, done_at__isnull=True)
                 .select_related("assignee").order_by("due_on", "id"))
    may_edit = permissions.can(user, EDIT, lead)
    may_follow = permissions.can(user, FOLLOW, lead) and lead.customer_id is None and lead.dropped_at is None
    stages = [{"stage": s, "done": s < lead.stage or (s == Stage.CUSTOMER and lead.stage == Stage.CUSTOMER),
               "current": s == lead.stage, "reached": s <= lead.reached} for s in Stage]
    customer_seen = lead.customer_id and Customer.objects.visible_to(user).filter(pk=lead.customer_id).exists()
    referrer_seen = lead.referrer_id and Customer.objects.visible_to(user).filter(pk=lead.referrer_id).exists()
    return render(request, "tracking/lead_detail.html", _ctx(
        request, "leads", title=lead.name, lead=lead, shown_mobile=shown_mobile(user, lead.mobile),
        follow_ups=follow_ups, tasks=tasks, stages=stages, may_edit=may_edit, may_follow=may_follow,
        follow_form=follow_form or FollowUpForm(), drop_form=drop_form or DropForm(),
        changes=lead_history(lead, user), customer_seen=customer_seen, referrer_seen=referrer_seen,
        hidden_file=HIDDEN_FILE, open_stages=OPEN_STAGES), status=status)


@login_required
def lead_detail(request, pk):
    return _detail(request, visible_lead(request.user, pk))


@login_required
@require_POST
def lead_follow_up(request, pk):
    lead = visible_lead(request.user, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        f = run_service(form, services.log_follow_up, request.user, lead, **form.service_data())
        if f is not None:
            messages.success(request, _("Follow-up no. %(n)s logged.") % {"n": f.ordinal})
            return redirect("tracking:lead", lead.pk)
    return _detail(request, lead, follow_form=form, status=422)


@login_required
@require_POST
def lead_drop(request, pk):
    lead = visible_lead(request.user, pk)
    form = DropForm(request.POST)
    if form.is_valid():
        try:
            services.drop_lead(request.user, lead, form.cleaned_data["reason"])
        except Conflict as e:
            messages.error(request, " ".join(e.messages))
            return redirect("tracking:lead", lead.pk)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("Lead dropped."))
            return redirect("tracking:lead", lead.pk)
    return _detail(request, lead, drop_form=form, status=422)


@login_required
@require_POST
def lead_reopen(request, pk):
    lead = visible_lead(request.user, pk)
    try:
        services.reopen_lead(request.user, lead)
        messages.success(request, _("Lead reopened."))
    except Conflict as e:
        messages.error(request, " ".join(e.messages))
    return redirect("tracking:lead", lead.pk)


# ---- conversion ---------------------------------------------------------------------------------

@login_required
def lead_convert(request, pk):
    user = request.user
    lead = visible_lead(user, pk)
    if lead.customer_id:
        messages.info(request, _("This lead is already a customer."))
        return redirect("tracking:lead", lead.pk)
    permissions.require(user, EDIT, lead)
    error, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        kwargs = {}
        if action == "link":
            raw = (request.POST.get("customer") or "").strip()
            kwargs["customer"] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
        elif action == "create_anyway":
            kwargs["create_anyway"] = True
        try:
            customer = services.convert(user, lead, **kwargs)
        except Conflict as e:
            error, status = " ".join(e.messages), 409
        except ValidationError as e:
            error, status = " ".join(_messages_of(e)), 422
        else:
            messages.success(request, _("“%(name)s” is now a customer; the lead's follow-ups are on the guest file.")
                             % {"name": lead.name})
            return redirect("customers:detail", customer.pk)
    found = services.possible_files(user, lead)
    editable = set(Customer.objects.editable_by(user).filter(pk__in=[c.pk for c in found["visible"]])
                   .values_list("pk", flat=True)) if found["visible"] else set()
    matches = [{"file": c, "mobile": shown_mobile(user, c.mobile), "may_link": c.pk in editable}
               for c in found["visible"]]
    return render(request, "tracking/lead_convert.html", _ctx(
        request, "leads", title=_("Convert a lead"), lead=lead, matches=matches, hidden=found["hidden"],
        error=error, shown_mobile=shown_mobile(user, lead.mobile)), status=status)
