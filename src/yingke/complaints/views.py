"""Complaint pages for staff (R-8.1–R-8.3). Thin: complaints.services does the steps and
their rules, complaints.photos the photos, core.permissions decides who sees what.

  * /complaints/              the list (filters, newest first, keyset pages, CSV/XLSX export)
  * /complaints/new/          record a complaint (step 1); ?customer=<id> from the 360 page
  * /complaints/<id>/         header, the six steps as a timeline with the next step's form,
                              approval, "resolved on the spot", photos, escalations, history
  * /complaints/<id>/photos/… upload, serve (only to those who see the complaint), remove
  * /complaints/settings/     the property's approval threshold, clock and time limits

A complaint the user may not see is 404, like an id that does not exist. Every post goes
through a service: bad input re-renders the page with the messages (422), a state conflict
(a second click, a stale page) redirects with the Conflict's message.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from yingke.complaints import forms as f
from yingke.complaints import photos, services
from yingke.complaints.models import (
    Complaint,
    ComplaintPhoto,
    ComplaintPolicy,
    ComplaintStep,
    Escalation,
    Step,
)
from yingke.core import export, permissions
from yingke.core.forms import add_service_errors, run_service
from yingke.core.models import Outlet, User
from yingke.core.pagination import InvalidCursor, Ordering, Page, keyset_page
from yingke.core.permissions import APPROVE, COMPLAIN, COMPLAINT_REPORT, CONFIGURE, EXPORT, HANDLE
from yingke.core.services import Conflict, valid_id
from yingke.customers import masking
from yingke.customers.models import Customer
from yingke.customers.views.changes import Display, diff_records, who

ORDER = Ordering("-created", "created_at", descending=True)
PAGE_SIZE = 25
EMPTY_PAGE = Page(rows=[], has_next=False, has_previous=False, next_cursor="", previous_cursor="")
REFERENCE = re.compile(r"^(?:TS)?0*(\d{1,18})$", re.IGNORECASE)
HISTORY_SHOWN = 100
HISTORY_SKIP = {"id", "property", "step_at", "created_by", "created_at"}


# ---- helpers ------------------------------------------------------------------------------------

class Policies:
    """The complaint policy of each property, read once per property (list and export)."""

    def __init__(self, props=None):
        self.by_property = services.policies_of(props) if props else {}

    def of(self, prop) -> ComplaintPolicy:
        if prop.pk not in self.by_property:
            self.by_property[prop.pk] = services.policy_of(prop)
        return self.by_property[prop.pk]

    def mark(self, c: Complaint, now=None) -> Complaint:
        """Set `.due` and `.is_overdue` on `c` (its property already loaded)."""
        policy = self.of(c.property)
        c.due = services.due_at(c, policy)
        c.is_overdue = c.due is not None and (now or timezone.now()) > c.due
        return c


def visible_complaint(user, pk) -> Complaint:
    c = (Complaint.objects.visible_to(user).select_related("property", "customer", "outlet", "created_by",
                                                             "approver").filter(pk=pk).first()
         if valid_id(pk) else None)
    if c is None:
        raise Http404
    return c


def _errors_to_messages(request, error: ValidationError):
    items = error.message_dict.values() if hasattr(error, "error_dict") else [error.messages]
    for texts in items:
        for text in texts:
            messages.error(request, text)


# ---- the list ----------------------------------------------------------------------------------

def _filtered(user, form: f.FilterForm, props, policies: Policies):
    """The complaints of the list's filters, visible to `user`."""
    d = form.cleaned_data
    qs = Complaint.objects.visible_to(user)
    state = d.get("state") or "open"
    if state == "open":
        qs = qs.filter(step__lt=Step.ARCHIVED)
    elif state == "archived":
        qs = qs.filter(step=Step.ARCHIVED)
    for name in ("kind", "severity", "channel"):
        if d.get(name):
            qs = qs.filter(**{name: d[name]})
    if d.get("property"):
        prop = next((p for p in props if p.code == d["property"]), None)
        qs = qs.filter(property=prop) if prop else qs.none()
    if d.get("outlet"):
        qs = qs.filter(outlet_id=int(d["outlet"]))
    if d.get("date_from"):
        qs = qs.filter(created_at__gte=f.local_day_bounds(d["date_from"]))
    if d.get("date_to"):
        qs = qs.filter(created_at__lt=f.local_day_bounds(d["date_to"], end=True))
    text = " ".join((d.get("q") or "").split())
    if text:
        ref = REFERENCE.match(text)
        match = Q(words__icontains=text)
        if ref:
            match |= Q(pk=int(ref.group(1)))
        qs = qs.filter(match)
    if request_customer := d.get("customer"):
        qs = qs.filter(customer_id=request_customer)
    if d.get("overdue"):
        qs = qs.filter(services.overdue_q(props, timezone.now(), policies.by_property))
    return qs


def _list_query(get) -> str:
    query = get.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    for key in list(query):
        if not query.get(key):
            query.pop(key)
    return query.urlencode()


def _list_setup(request):
    user = request.user
    props = permissions.my_properties(user)
    outlets = list(Outlet.objects.filter(property__in=props).select_related("property").order_by(
        "property__code", "code")) if props else []
    data = request.GET.copy()
    if not data.get("state"):
        data["state"] = "open"
    form = f.FilterForm(data, properties=props, outlets=outlets)
    return props, form


@login_required
def complaint_list(request):
    user = request.user
    props, form = _list_setup(request)
    policies = Policies(props)
    page, cursor_invalid = EMPTY_PAGE, False
    if form.is_valid():
        qs = _filtered(user, form, props, policies).select_related("property", "customer", "outlet")
        try:
            page = keyset_page(qs, ORDER, PAGE_SIZE, after=request.GET.get("after", ""),
                               before=request.GET.get("before", ""))
        except InvalidCursor:
            page, cursor_invalid = keyset_page(qs, ORDER, PAGE_SIZE), True
        now = timezone.now()
        for c in page.rows:
            policies.mark(c, now)
    has_filters = any(request.GET.get(k) for k in form.fields if k != "state") or \
        request.GET.get("state", "open") != "open"
    complain = [p for p in props if permissions.can(user, COMPLAIN, p)]
    return render(request, "complaints/list.html", {
        "title": _("Complaints"),
        "form": form,
        "page": page,
        "query": _list_query(request.GET),
        "cursor_invalid": cursor_invalid,
        "has_filters": has_filters,
        "several": len(props) > 1,
        "can_record": bool(complain),
        "can_export": permissions.can(user, EXPORT),
        "can_configure": any(permissions.can(user, CONFIGURE, p) for p in props),
        "can_report": any(permissions.can(user, COMPLAINT_REPORT, p) for p in props),
        "no_access": not permissions.sees_customers(user),
    })


def _guest_name(c, user) -> str:
    return c.customer.name if c.customer_id else c.contact_name


def export_columns(policies: Policies):
    def due(c, user):
        return services.due_at(c, policies.of(c.property))

    def late(c, user):
        return bool(c.was_late) or (c.is_open and services.overdue(c, policy=policies.of(c.property)))

    return [
        export.Column(gettext_lazy("Reference"), lambda c, u: c.reference),
        export.Column(gettext_lazy("Recorded"), lambda c, u: c.created_at),
        export.Column(gettext_lazy("Type"), lambda c, u: c.get_kind_display()),
        export.Column(gettext_lazy("Severity"), lambda c, u: c.get_severity_display()),
        export.Column(gettext_lazy("Channel"), lambda c, u: c.get_channel_display()),
        export.Column(gettext_lazy("Guest"), _guest_name),
        export.Column(gettext_lazy("Outlet"), lambda c, u: c.outlet.name if c.outlet_id else ""),
        export.Column(gettext_lazy("Room or table"), lambda c, u: c.location),
        export.Column(gettext_lazy("Step"), lambda c, u: c.get_step_display()),
        export.Column(gettext_lazy("Due"), due),
        export.Column(gettext_lazy("Late"), late),
        export.Column(gettext_lazy("Archived"), lambda c, u: c.closed_at),
    ]


@login_required
def complaint_export(request, fmt):
    user = request.user
    permissions.require(user, EXPORT)
    props, form = _list_setup(request)
    if not form.is_valid():
        messages.error(request, _("Some filters are not valid; correct them to export the list."))
        return redirect(reverse("complaints:list") + "?" + _list_query(request.GET))
    policies = Policies(props)
    late_step = ComplaintStep.objects.filter(complaint=OuterRef("pk"), overdue=True)
    qs = (_filtered(user, form, props, policies).select_related("property", "customer", "outlet")
          .annotate(was_late=Exists(late_step)).order_by(*ORDER.order_by()))
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "", False)}
    return export.export_response(user, fmt, "complaints", qs, export_columns(policies), filters=filters,
                                  title=_("Complaints"))


# ---- recording -------------------------------------------------------------------------------

def _linked_customer(request):
    raw = (request.GET.get("customer") or request.POST.get("customer") or "").strip()
    if not raw:
        return None
    pk = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
    c = Customer.objects.visible_to(request.user).select_related("property").filter(pk=pk).first() \
        if valid_id(pk) else None
    if c is None:
        raise Http404
    return c


@login_required
def complaint_new(request):
    user = request.user
    customer = _linked_customer(request)
    code = request.POST.get("property") or request.GET.get("property")
    if customer is not None:
        prop, props = permissions.chosen_property(user, None, COMPLAIN, pk=customer.property_id)
    else:
        prop, props = permissions.chosen_property(user, code, COMPLAIN)
    outlets = list(Outlet.objects.filter(property__in=props).select_related("property")
                   .order_by("property__code", "code"))
    if customer is not None:
        outlets = [o for o in outlets if o.property_id == prop.pk]
    kwargs = {"properties": props, "outlets": outlets, "customer": customer}
    status = 200
    if request.method == "POST":
        form = f.ComplaintForm(request.POST, **kwargs)
        if form.is_valid():
            c = _record(request, form, prop, customer)
            if c is not None:
                if not permissions.can(request.user, HANDLE, c):  # anonymous: the property-wide roles take it
                    messages.success(request, _("Complaint %(ref)s recorded. The lobby manager takes it from "
                                                "here.") % {"ref": c.reference})
                    return redirect("complaints:list")
                messages.success(request, _("Complaint %(ref)s recorded. Apologise to the guest next.")
                                 % {"ref": c.reference})
                return redirect("complaints:detail", c.pk)
        status = 422
    else:
        form = f.ComplaintForm(initial={"property": prop.code, "occurred_at": timezone.localtime().replace(
            second=0, microsecond=0)}, **kwargs)
    return render(request, "complaints/new.html", {
        "title": _("New complaint"), "form": form, "customer": customer, "prop": prop,
        "several": len(props) > 1 and customer is None,
    }, status=status)


def _record(request, form, prop, customer):
    d = form.cleaned_data
    user = request.user
    if customer is None and d.get("customer_code"):
        code = " ".join(d["customer_code"].split())
        customer = (Customer.objects.visible_to(user).filter(property=prop, customer_code__iexact=code).first()
                    if code else None)
        if customer is None:
            form.add_error("customer_code", _("No guest file with this code that you may see in this property."))
            return None
    return run_service(form, services.record, user, prop, kind=d["kind"], words=d["words"],
                       severity=d["severity"], channel=d["channel"], customer=customer,
                       contact_name=d.get("contact_name", ""), contact_phone=d.get("contact_phone", ""),
                       outlet=d.get("outlet"), location=d.get("location", ""),
                       staff_involved=d.get("staff_involved", ""), occurred_at=d.get("occurred_at"))


# ---- the detail page ---------------------------------------------------------------------------

def complaint_history(c: Complaint, user) -> list[dict]:
    rows = list(Complaint.history.filter(id=c.pk).select_related("history_user")
                .order_by("-history_date", "-history_id")[:HISTORY_SHOWN])
    rows.reverse()
    users = {u.pk: u.label for u in User.objects.filter(pk__in={r.approver_id for r in rows if r.approver_id})}
    display = Display(user, users, {}, {}, names={Outlet: {o.pk: o.name for o in Outlet.objects.filter(
        pk__in={r.outlet_id for r in rows if r.outlet_id})}})
    skip = HISTORY_SKIP | {"customer"}
    changes = []
    for r, action, label, before, after in diff_records(Complaint, rows, skip, display, lambda r: c.reference):
        if label == str(Complaint._meta.get_field("contact_phone").verbose_name):
            before, after = masking.shown_mobile(user, before), masking.shown_mobile(user, after)
        changes.append({"when": r.history_date, "who": who(r), "action": action, "field": label,
                        "before": before, "after": after, "reason": getattr(r, "history_change_reason", "") or ""})
    changes.reverse()
    return changes


STEP_TEXT = {Step.APOLOGISED: "apology", Step.VERIFIED: "findings", Step.AGREED: "solution",
             Step.CARRIED_OUT: "carried_out", Step.ARCHIVED: "check_back"}


def _timeline(c: Complaint, done: dict, step_form, now, due):
    items = []
    for step in Step:
        row = done.get(int(step))
        item = {"step": step, "done": row, "current": step == c.next_step, "text": "", "form": None}
        if row is not None:
            item["text"] = c.words if step == Step.RECORDED else getattr(c, STEP_TEXT[step])
        if item["current"]:
            item["form"] = step_form
            item["due"] = due
            item["overdue"] = due is not None and now > due
        items.append(item)
    return items


def _detail(request, c: Complaint, step_form=None, spot_form=None, decide_form=None, status=200):
    user = request.user
    policy = services.policy_of(c.property)
    now = timezone.now()
    due = services.due_at(c, policy)
    done = {s.step: s for s in ComplaintStep.objects.filter(complaint=c).select_related("done_by")}
    nxt = c.next_step
    if step_form is None and nxt is not None and not c.approval_pending:
        step_form = f.StepForm(nxt)
    may_approve = permissions.can(user, APPROVE, c)
    if spot_form is None and c.step == Step.RECORDED:
        spot_form = f.OnTheSpotForm()
    context = {
        "title": c.reference,
        "c": c,
        "policy": policy,
        "due": due,
        "overdue": due is not None and now > due,
        "timeline": _timeline(c, done, step_form, now, due),
        "step_form": step_form,
        "spot_form": spot_form if c.step == Step.RECORDED else None,
        "decide_form": decide_form or f.DecideForm(),
        "may_approve": may_approve,
        "needs_approval_above": policy.approval_threshold,
        "photos": list(c.photos.all()),
        "max_photos": photos.MAX_PER_COMPLAINT,
        "max_photo_mb": ComplaintPhoto.MAX_BYTES // (1024 * 1024),
        "escalations": list(Escalation.objects.filter(complaint=c).order_by("created_at", "pk")),
        "changes": complaint_history(c, user),
        "contact_phone": masking.shown_mobile(user, c.contact_phone),
        "sees_guest": c.customer_id is not None,
    }
    return render(request, "complaints/detail.html", context, status=status)


@login_required
def complaint_detail(request, pk):
    return _detail(request, visible_complaint(request.user, pk))


def _post(request, c, form, fn, *args, on_error, done_message):
    """Run a step service: a Conflict is a message and a redirect (the page moved on), other
    bad input re-renders the page with the form's messages."""
    try:
        with_form = form.is_valid()
        if with_form:
            fn(request.user, c, *args, **form.service_data())
            messages.success(request, done_message)
            return redirect("complaints:detail", c.pk)
    except Conflict as e:
        _errors_to_messages(request, e)
        return redirect("complaints:detail", c.pk)
    except ValidationError as e:
        add_service_errors(form, e)
    return on_error(form)


@login_required
@require_POST
def complaint_step(request, pk):
    c = visible_complaint(request.user, pk)
    raw = request.POST.get("step", "")
    try:
        step = Step(int(raw))
    except (TypeError, ValueError):
        messages.error(request, _("Unknown step."))
        return redirect("complaints:detail", c.pk)
    if step == Step.RECORDED or step != c.next_step:
        current = Step(c.step).label
        messages.error(request, _("This complaint is already at step “%(now)s”: the page you used was out of "
                                  "date. Here it is as it is now.") % {"now": current})
        return redirect("complaints:detail", c.pk)
    form = f.StepForm(step, request.POST)

    def done_message():
        return _("Step “%(step)s” done.") % {"step": step.label}

    return _post(request, c, form, services.advance, int(step), done_message=done_message(),
                 on_error=lambda form: _detail(request, c, step_form=form, status=422))


@login_required
@require_POST
def complaint_on_the_spot(request, pk):
    c = visible_complaint(request.user, pk)
    form = f.OnTheSpotForm(request.POST)
    return _post(request, c, form, services.resolve_on_the_spot,
                 done_message=_("Resolved on the spot: every step recorded and the complaint archived."),
                 on_error=lambda form: _detail(request, c, spot_form=form, status=422))


@login_required
@require_POST
def complaint_decide(request, pk):
    c = visible_complaint(request.user, pk)
    permissions.require(request.user, APPROVE, c)
    approve = request.POST.get("decision") == "approve"
    form = f.DecideForm(request.POST)
    if not form.is_valid():
        return _detail(request, c, decide_form=form, status=422)
    try:
        services.decide(request.user, c, approve, form.cleaned_data["reason"])
    except Conflict as e:
        _errors_to_messages(request, e)
        return redirect("complaints:detail", c.pk)
    except ValidationError as e:
        add_service_errors(form, e)
        return _detail(request, c, decide_form=form, status=422)
    messages.success(request, _("Compensation approved: the solution is agreed.") if approve
                     else _("Compensation refused: the solution must be agreed again."))
    return redirect("complaints:detail", c.pk)


# ---- photos -------------------------------------------------------------------------------------

class PhotoLimitHandler(FileUploadHandler):
    """First of the upload handlers of the photo form: stops reading a file past
    ComplaintPhoto.MAX_BYTES, and any file past the tenth (the rest of the body is read and
    dropped, so that the page says why instead of a 400 or a full disk). A file is skipped
    at its first chunk, not in new_file: Django closes the other handlers' current file on
    SkipFile, which in new_file would still be the previous, complete upload."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large: list[str] = []
        self.too_many = False
        self.files = 0
        self.size = 0
        self.skip = False

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.size = 0
        self.skip = field_name != "photos"
        if not self.skip:
            self.files += 1
            if self.files > photos.MAX_PER_COMPLAINT:
                self.too_many = self.skip = True

    def receive_data_chunk(self, raw_data, start):
        if self.skip:
            raise SkipFile
        self.size += len(raw_data)
        if self.size > ComplaintPhoto.MAX_BYTES:
            self.too_large.append(self.file_name or "")
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt
@login_required
@require_POST
def photo_upload(request, pk):
    """The size limit is in place before anything reads the body, CSRF included (Django's
    documented pattern for changing upload handlers)."""
    handler = PhotoLimitHandler(request)
    request.upload_handlers.insert(0, handler)
    return _photo_upload(request, pk, handler)


@csrf_protect
def _photo_upload(request, pk, handler):
    c = visible_complaint(request.user, pk)
    permissions.require(request.user, HANDLE, c)
    files = [u for u in request.FILES.getlist("photos") if u.size][:photos.MAX_PER_COMPLAINT]
    problems = []
    for name in handler.too_large:
        problems.append(f"{name}: {photos.too_large_message()}" if name else photos.too_large_message())
    if handler.too_many:
        problems.append(photos.too_many_message())
    added = 0
    for upload in files:
        try:
            photos.add_photo(request.user, c, upload)
            added += 1
        except ValidationError as e:
            for text in e.messages:
                problems.append(f"{upload.name}: {text}")
    if not files and not problems:
        problems.append(_("Choose one or more photos first."))
    for text in problems:
        messages.error(request, text)
    if added:
        messages.success(request, _("%(n)s photo(s) added.") % {"n": added})
    return redirect("complaints:detail", c.pk)


def _photo(request, pk, photo_id) -> ComplaintPhoto:
    c = visible_complaint(request.user, pk)
    photo = ComplaintPhoto.objects.filter(pk=photo_id, complaint=c).first() if valid_id(photo_id) else None
    if photo is None:
        raise Http404
    photo.complaint = c
    return photo


@login_required
def photo_file(request, pk, photo_id):
    photo = _photo(request, pk, photo_id)
    try:
        handle = photos.file_of(photo).open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_POST
def photo_remove(request, pk, photo_id):
    photo = _photo(request, pk, photo_id)
    photos.remove_photo(request.user, photo)
    messages.success(request, _("Photo removed."))
    return redirect("complaints:detail", pk)


# ---- settings -----------------------------------------------------------------------------------

def policy_history(policy: ComplaintPolicy, user) -> list[dict]:
    if policy.pk is None:
        return []
    rows = list(ComplaintPolicy.history.filter(id=policy.pk).select_related("history_user")
                .order_by("-history_date", "-history_id")[:HISTORY_SHOWN])
    rows.reverse()
    display = Display(user, {}, {}, {})
    out = []
    for r, action, label, before, after in diff_records(ComplaintPolicy, rows, {"id", "property", "updated_at"},
                                                         display, lambda r: _("settings saved")):
        out.append({"when": r.history_date, "who": who(r), "action": action, "field": label,
                    "before": before, "after": after})
    out.reverse()
    return out


@login_required
def complaint_settings(request):
    user = request.user
    code = request.POST.get("property") or request.GET.get("property")
    prop, props = permissions.chosen_property(user, code, CONFIGURE)
    policy = services.policy_of(prop)
    status = 200
    if request.method == "POST":
        form = f.PolicyForm(request.POST)
        if form.is_valid() and run_service(form, services.save_policy, user, prop, **form.service_data()):
            messages.success(request, _("Complaint settings of %(prop)s saved.") % {"prop": prop.name})
            return redirect(reverse("complaints:settings") + f"?property={prop.code}")
        status = 422
    else:
        form = f.PolicyForm(initial=f.PolicyForm.initial_of(policy))
    return render(request, "complaints/settings.html", {
        "title": _("Complaint settings"), "form": form, "prop": prop, "props": props, "several": len(props) > 1,
        "steps": f.LIMIT_STEPS, "changes": policy_history(policy, user),
    }, status=status)
