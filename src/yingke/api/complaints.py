"""API: complaints (R-8.1–R-8.3, issue 16). Thin adapters over complaints.services, which
asks core.permissions and records every transition (AuditEvent and the change history).

  GET  /complaints                      the complaints you see (filters below), newest first
  POST /complaints                      record one (step 1); 201
  GET  /complaints/{id}                 with its steps (who, when, late), due time, escalations, photos
  POST /complaints/{id}/steps           the next step: `step` is the step asked for, so a stale
                                        retry (the step is already done) is 409, never the step after
  POST /complaints/{id}/on-the-spot     steps 2–6 at once, each recorded
  POST /complaints/{id}/approval        the general manager's answer to a compensation above the threshold
  GET|PUT /complaint-policy?property=   approval threshold, clock and time limits of a property

A complaint you may not see is 404 (complaints follow their guest's file; anonymous ones the
property-wide roles); seen but not yours to do, 403; the state forbids it, 409; bad input 422,
nothing changed. Guest data is what you may see: the guest's name and code (never their mobile),
and the contact phone of an anonymous complaint masked for roles without full mobiles.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, StrictBool

from yingke.api.errors import ApiError, ErrorOut, field_error, invalid_input, not_found
from yingke.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Page,
    capped_count,
    envelope,
    keyset_page,
    page_url,
)
from yingke.api.schemas import Clean, In, OutletOut, OwnerOut, choice, model_fields, object_id, owner_out
from yingke.complaints import services
from yingke.complaints.models import (
    Channel,
    Complaint,
    ComplaintPolicy,
    ComplaintStep,
    Escalation,
    Kind,
    Severity,
    Step,
)
from yingke.core import pagination as keyset
from yingke.core.models import Outlet, Property
from yingke.core.permissions import (
    COMPLAIN,
    CONFIGURE,
    can,
    chosen_property,
    is_staff,
    my_properties,
    pick_property,
)
from yingke.core.roles import COMPENSATION_APPROVERS
from yingke.core.services import MAX_ID, valid_id
from yingke.customers.masking import shown_mobile
from yingke.customers.models import Customer

router = Router(tags=["complaints"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# Text the services accept: no control characters (tabs and line breaks are spaces or kept).
LINE = r"^[^\u0000-\u0008\u000e-\u001f\u007f-\u009f]*$"
CODE = Query(None, max_length=20, description="Property code (one of yours).", pattern=LINE)
ORDER = keyset.Ordering("-created", "created_at", descending=True)
KIND, SEVERITY, CHANNEL = choice(Kind), choice(Severity), choice(Channel)
STATE = Literal["open", "archived"]
NEXT_STEP = Annotated[int, Field(ge=Step.APOLOGISED, le=Step.ARCHIVED)]
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _moment(value: dt.datetime | None) -> dt.datetime | None:
    """An aware time from 2000 on (local time when no offset is given); the future is the service's."""
    if value is None:
        return None
    if timezone.is_naive(value):
        if not 2000 <= value.year <= 2100:
            raise ValueError(_("Enter a time from 2000 until now."))
        value = timezone.make_aware(value)
    try:
        if value.astimezone(dt.UTC) < EARLIEST or value.year > 2100:
            raise ValueError(_("Enter a time from 2000 until now."))
    except OverflowError:
        raise ValueError(_("Enter a time from 2000 until now.")) from None
    return value


Moment = Annotated[dt.datetime | None, AfterValidator(_moment)]


def _texts(*names):
    return model_fields(Complaint, names, **{n: {"pattern": LINE} for n in names
                                             if not Complaint._meta.get_field(n).choices})


# ---- schemas -----------------------------------------------------------------------------

_record = _texts("contact_name", "contact_phone", "location", "staff_involved", "words")
_steps = _texts("apology", "findings", "solution", "compensation", "compensation_amount", "carried_out",
                "check_back", "satisfaction")


class ComplaintIn(In):
    property: str | None = Field(None, max_length=20, json_schema_extra={"pattern": LINE},
                                 description="Code of a property you work at; left out: the guest's property, "
                                             "or your only one.")
    kind: KIND
    severity: SEVERITY = Severity.MEDIUM
    channel: CHANNEL = Channel.IN_PERSON
    customer: object_id(Customer) | None = Field(None, description="Id of a guest file you see, of the property; "
                                                                 "left out: anonymous (give a contact).")
    contact_name: _record["contact_name"][0] = _record["contact_name"][1]
    contact_phone: _record["contact_phone"][0] = _record["contact_phone"][1]
    outlet: str | None = Field(None, max_length=Outlet._meta.get_field("code").max_length,
                               json_schema_extra={"pattern": LINE}, description="Code of an outlet of the property.")
    location: _record["location"][0] = _record["location"][1]
    staff_involved: _record["staff_involved"][0] = _record["staff_involved"][1]
    words: _record["words"][0] = Field(..., min_length=1, max_length=4000, json_schema_extra={"pattern": LINE},
                                       description="The guest's words (required; line breaks kept).")
    occurred_at: Moment = Field(None, description="When it happened (local time of the server when no offset is "
                                                  "given): from 2000, not in the future.")


class StepFields(In):
    apology: _steps["apology"][0] = _steps["apology"][1]
    findings: _steps["findings"][0] = _steps["findings"][1]
    solution: _steps["solution"][0] = _steps["solution"][1]
    compensation: _steps["compensation"][0] = _steps["compensation"][1]
    compensation_amount: _steps["compensation_amount"][0] = _steps["compensation_amount"][1]
    carried_out: _steps["carried_out"][0] = _steps["carried_out"][1]
    check_back: _steps["check_back"][0] = _steps["check_back"][1]
    satisfaction: _steps["satisfaction"][0] = _steps["satisfaction"][1]


# The fields of each step (services.STEP_FIELDS, plus the compensation and the satisfaction).
FIELDS_OF = {
    Step.APOLOGISED: {"apology"},
    Step.VERIFIED: {"findings"},
    Step.AGREED: {"solution", "compensation", "compensation_amount"},
    Step.CARRIED_OUT: {"carried_out"},
    Step.ARCHIVED: {"check_back", "satisfaction"},
}


class StepIn(StepFields):
    step: NEXT_STEP = Field(description="The step to do: 2 apologise (apology), 3 verify (findings, required), "
                                        "4 agree a solution (solution required; compensation, "
                                        "compensation_amount), 5 carry it out (carried_out, required), 6 check "
                                        "back and archive (check_back and satisfaction, required). Only the "
                                        "complaint's next step: any other is 409. Send only that step's fields.")


class OnTheSpotIn(StepFields):
    """Resolved on the spot: solution, carried_out, check_back and satisfaction are required."""


class ApprovalIn(In):
    approve: StrictBool = Field(description="true: the compensation is approved and the solution agreed; false: "
                                            "refused (a reason is required), the step waits for a new proposal.")
    reason: str | None = Field(None, max_length=300, json_schema_extra={"pattern": LINE},
                               description="Why; required when refusing.")


class GuestOut(Schema):
    id: int
    customer_code: str
    name: str


class ComplaintSummary(Schema):
    id: int
    reference: str = Field(description="TS000123")
    property_code: str
    kind: KIND
    severity: SEVERITY
    channel: CHANNEL
    guest: GuestOut | None = Field(description="The guest's file; null for an anonymous complaint.")
    contact_name: str
    contact_phone: str = Field(description="Masked for roles that do not see full mobiles.")
    outlet: OutletOut | None
    location: str
    step: int = Field(description="The last step done (1 recorded … 6 archived).")
    step_label: str
    next_step: int | None
    state: STATE
    on_the_spot: bool
    approval_pending: bool
    step_at: dt.datetime
    due_at: dt.datetime | None = Field(description="When the next step is due (the property's clock); null when "
                                                   "archived.")
    overdue: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    created_by: OwnerOut | None


class StepOut(Schema):
    step: int
    label: str
    done_by: OwnerOut | None
    done_at: dt.datetime
    late: bool
    note: str


class EscalationOut(Schema):
    step: int
    level: int = Field(description="1 the lobby manager (front desk), 2 the general manager.")
    level_label: str
    due_at: dt.datetime
    created_at: dt.datetime


class PhotoOut(Schema):
    id: int
    url: str = Field(description="The staff photo page (a logged-in session that sees the complaint).")
    content_type: str
    size: int
    created_at: dt.datetime


class ComplaintOut(ComplaintSummary):
    staff_involved: str
    words: str
    occurred_at: dt.datetime | None
    apology: str
    findings: str
    solution: str
    compensation: str
    compensation_amount: Decimal
    approver: OwnerOut | None
    carried_out: str
    check_back: str
    satisfaction: str
    steps: list[StepOut]
    escalations: list[EscalationOut]
    photos: list[PhotoOut]
    can_approve: bool = Field(description="A compensation waits for approval and you may give it.")


class ComplaintListParams(Clean):
    property: str | None = Field(None, max_length=20, pattern=LINE, description="Property code (one of yours).")
    state: STATE | None = None
    overdue: bool | None = Field(None, description="true: open with the next step overdue; false: the others.")
    kind: KIND | None = None
    severity: SEVERITY | None = None
    customer: int | None = Field(None, ge=1, le=MAX_ID, description="Id of a guest file.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    cursor: str | None = Field(None, max_length=1000, description="The `next` link's cursor.")


# ---- reading -----------------------------------------------------------------------------

def _listing(qs):
    return qs.select_related("property", "customer", "outlet", "created_by")


class _Context:
    """What serialising a page needs once: the guests the user sees, the policies."""

    def __init__(self, user, rows, now=None, policies=None):
        self.user, self.now = user, now or timezone.now()
        ids = {c.customer_id for c in rows if c.customer_id}
        self.guests = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) \
            if ids else set()
        props = {c.property_id: c.property for c in rows}
        self.policies = policies if policies is not None else services.policies_of(props.values())


def _summary(c: Complaint, ctx: _Context) -> dict:
    policy = ctx.policies[c.property_id]
    due = services.due_at(c, policy)
    guest = c.customer if c.customer_id and c.customer_id in ctx.guests else None
    return {
        "id": c.pk, "reference": c.reference, "property_code": c.property.code, "kind": c.kind,
        "severity": c.severity, "channel": c.channel,
        "guest": {"id": guest.pk, "customer_code": guest.customer_code, "name": guest.name} if guest else None,
        "contact_name": c.contact_name, "contact_phone": shown_mobile(ctx.user, c.contact_phone),
        "outlet": {"code": c.outlet.code, "name": c.outlet.name} if c.outlet_id else None,
        "location": c.location, "step": c.step, "step_label": str(Step(c.step).label),
        "next_step": int(c.next_step) if c.next_step else None,
        "state": "open" if c.is_open else "archived", "on_the_spot": c.on_the_spot,
        "approval_pending": c.approval_pending, "step_at": c.step_at, "due_at": due,
        "overdue": due is not None and ctx.now > due, "created_at": c.created_at, "closed_at": c.closed_at,
        "created_by": owner_out(c.created_by),
    }


def _photo_url(request, complaint_id: int, photo_id: int) -> str:
    try:
        path = reverse("complaints:photo", args=[complaint_id, photo_id])
    except NoReverseMatch:  # the staff photo view not wired yet: its agreed path
        path = f"/complaints/{complaint_id}/photos/{photo_id}/"
    return request.build_absolute_uri(path)


def _detail(request, c: Complaint) -> dict:
    user = request.auth
    out = _summary(c, _Context(user, [c]))
    steps = ComplaintStep.objects.filter(complaint=c).select_related("done_by").order_by("step")
    out.update({
        "staff_involved": c.staff_involved, "words": c.words, "occurred_at": c.occurred_at,
        "apology": c.apology, "findings": c.findings, "solution": c.solution, "compensation": c.compensation,
        "compensation_amount": c.compensation_amount, "approver": owner_out(c.approver),
        "carried_out": c.carried_out, "check_back": c.check_back, "satisfaction": c.satisfaction,
        "steps": [{"step": s.step, "label": str(Step(s.step).label), "done_by": owner_out(s.done_by),
                   "done_at": s.done_at, "late": s.overdue, "note": s.note} for s in steps],
        "escalations": [{"step": e.step, "level": e.level, "level_label": str(Escalation.Level(e.level).label),
                         "due_at": e.due_at, "created_at": e.created_at}
                        for e in Escalation.objects.filter(complaint=c).order_by("created_at", "pk")],
        "photos": [{"id": p.pk, "url": _photo_url(request, c.pk, p.pk), "content_type": p.content_type,
                    "size": p.size, "created_at": p.created_at} for p in c.photos.order_by("pk")],
        "can_approve": c.approval_pending and getattr(user, "role", None) in COMPENSATION_APPROVERS,
    })
    return out


def _visible(user, complaint_id: int) -> Complaint:
    if not valid_id(complaint_id):  # beyond a row id: not found, never a database error
        raise not_found()
    c = _listing(Complaint.objects.visible_to(user)).select_related("approver").filter(pk=complaint_id).first()
    if c is None:
        raise not_found()
    return c


@router.get("/complaints", response={200: Page[ComplaintSummary], **ERRORS}, summary="Complaints",
            description="The complaints you see, newest first. A property code that is not one of yours is 404. "
                        "Use `next` (a keyset cursor) to page.")
def list_complaints(request, params: Query[ComplaintListParams]):
    user = request.auth
    mine = my_properties(user)
    props = [pick_property(user, mine, params.property)] if params.property else mine
    qs = Complaint.objects.visible_to(user).filter(property__in=props)
    if params.state == "open":
        qs = qs.filter(step__lt=Step.ARCHIVED)
    elif params.state == "archived":
        qs = qs.filter(step=Step.ARCHIVED)
    if params.kind:
        qs = qs.filter(kind=params.kind)
    if params.severity:
        qs = qs.filter(severity=params.severity)
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    now, policies = timezone.now(), services.policies_of(props)
    if params.overdue is not None:
        late = services.overdue_q(props, now, policies)
        qs = qs.filter(late) if params.overdue else qs.exclude(late)
    if params.offset and not params.cursor:
        window = list(_listing(qs).order_by(*ORDER.order_by())[params.offset: params.offset + params.limit + 1])
        ctx = _Context(user, window, now, policies)
        count, capped = capped_count(qs)
        next_url = page_url(request, offset=params.offset + params.limit, cursor=None) \
            if len(window) > params.limit else None
        return envelope([_summary(c, ctx) for c in window[:params.limit]], count, capped, next_url)
    page = keyset_page(request, _listing(qs), ORDER, params.limit, params.cursor, lambda c: c)
    ctx = _Context(user, page["items"], now, policies)
    page["items"] = [_summary(c, ctx) for c in page["items"]]
    return page


@router.get("/complaints/{int:complaint_id}", response={200: ComplaintOut, 404: ErrorOut},
            summary="A complaint", description="With each step done (who, when, late), the next step's due time, "
                                               "escalations and photos.")
def get_complaint(request, complaint_id: int):
    return _detail(request, _visible(request.auth, complaint_id))


# ---- recording and the steps ----------------------------------------------------------------

def _property_for(user, payload: ComplaintIn, customer: Customer | None) -> Property:
    if payload.property:
        return chosen_property(user, payload.property, COMPLAIN)[0]
    ids = user.property_ids() if is_staff(user) else []
    if customer is not None and customer.property_id in ids:
        return chosen_property(user, None, COMPLAIN, pk=customer.property_id)[0]
    prop, allowed = chosen_property(user, None, COMPLAIN)
    if len(allowed) > 1:
        raise field_error("property", _("Choose the property: %(codes)s.") % {
            "codes": ", ".join(p.code for p in allowed)})
    return prop


@router.post("/complaints", response={201: ComplaintOut, **ERRORS}, summary="Record a complaint",
             description="Step 1, listen and record (R-8.1): every role that works at the property except the "
                         "administrator. A guest named must be a file you see, of the property; without one the "
                         "complaint is anonymous. Its clock starts now.")
def record_complaint(request, payload: ComplaintIn):
    user = request.auth
    customer = Customer.objects.filter(pk=payload.customer).first() if payload.customer is not None else None
    prop = _property_for(user, payload, customer)
    if payload.customer is not None and customer is None:
        raise field_error("customer", _("No such guest file in this property."))
    outlet = None
    if payload.outlet:
        outlet = Outlet.objects.filter(property=prop, code__iexact=payload.outlet.strip()).first()
        if outlet is None:
            raise field_error("outlet", _("No such outlet in this property."))
    data = payload.model_dump(exclude={"property", "customer", "outlet"})
    c = services.record(user, prop, customer=customer, outlet=outlet,
                        **{k: ("" if v is None and k != "occurred_at" else v) for k, v in data.items()})
    # The answer shows what was just recorded, even to a role that will not see it again (an
    # account manager's anonymous complaint: the property-wide roles work it).
    return Status(201, _detail(request, _listing(Complaint.objects).get(pk=c.pk)))


def _step_data(payload: StepFields, allowed: set[str]) -> dict:
    data = payload.model_dump(exclude_none=True, exclude={"step"})
    stray = sorted(set(data) - allowed)
    if stray:
        message = _("This is not a field of the step asked for.")
        raise ApiError(422, invalid_input(), {name: [message] for name in stray})
    return data


@router.post("/complaints/{int:complaint_id}/steps", response={200: ComplaintOut, 202: ComplaintOut, **ERRORS},
             summary="Do the next step",
             description="Whoever sees the complaint. 409 when `step` is not the complaint's next step (a stale "
                         "page or a second click), when it is archived, or while a compensation waits for "
                         "approval. Agreeing a compensation above the property's threshold by someone who may not "
                         "approve it answers 202: the step waits for the general manager.")
def advance_complaint(request, complaint_id: int, payload: StepIn):
    user = request.auth
    c = _visible(user, complaint_id)
    data = _step_data(payload, FIELDS_OF[Step(payload.step)])
    done = services.advance(user, c, payload.step, **data)
    out = _detail(request, _visible(user, done.pk))
    return Status(202 if done.approval_pending else 200, out)


@router.post("/complaints/{int:complaint_id}/on-the-spot", response={200: ComplaintOut, **ERRORS},
             summary="Resolved on the spot",
             description="Steps 2–6 at once, each recorded (same person and time). `solution`, `carried_out`, "
                         "`check_back` and `satisfaction` are required; `findings` defaults to the solution. 409 "
                         "unless the complaint is at step 1, or when the compensation needs an approver you are not.")
def resolve_on_the_spot(request, complaint_id: int, payload: OnTheSpotIn):
    user = request.auth
    c = _visible(user, complaint_id)
    done = services.resolve_on_the_spot(user, c, **payload.model_dump(exclude_none=True))
    return _detail(request, _visible(user, done.pk))


@router.post("/complaints/{int:complaint_id}/approval", response={200: ComplaintOut, **ERRORS},
             summary="Approve or refuse a compensation",
             description="The general manager who sees the complaint (403 for other roles). 409 when no "
                         "compensation waits for approval.")
def decide_compensation(request, complaint_id: int, payload: ApprovalIn):
    user = request.auth
    c = _visible(user, complaint_id)
    done = services.decide(user, c, payload.approve, payload.reason or "")
    return _detail(request, _visible(user, done.pk))


# ---- the policy ------------------------------------------------------------------------------

STEP_KEY = Literal["2", "3", "4", "5", "6"]
Hours = Annotated[float, Field(gt=0, le=24 * 90, allow_inf_nan=False)]


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


LocalTime = Annotated[str | None, Field(pattern=HHMM)]


class ComplaintPolicyOut(Schema):
    property_code: str
    approval_threshold: Decimal = Field(description="Compensation above it needs the general manager's approval.")
    clock: Literal["calendar", "business"]
    business_start: str = Field(description="Local time, HH:MM.")
    business_end: str = Field(description="Local time, HH:MM.")
    business_days: list[int] = Field(description="ISO weekdays, 1 Monday … 7 Sunday.")
    limits: dict[str, dict[str, float]] = Field(description="Hours allowed for each next step (2–6) after the "
                                                            "previous one, per severity.")
    can_change: bool
    updated_at: dt.datetime | None


_threshold = model_fields(ComplaintPolicy, ["approval_threshold"],
                          approval_threshold={"nullable": True})["approval_threshold"]


class ComplaintPolicyIn(In):
    approval_threshold: _threshold[0] = _threshold[1]
    clock: Literal["calendar", "business"] | None = None
    business_start: LocalTime = Field(None, description="Local time, HH:MM (e.g. 09:00).")
    business_end: LocalTime = Field(None, description="Local time, HH:MM, after business_start.")
    business_days: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(None, min_length=1, max_length=7)
    limits: dict[SEVERITY, dict[STEP_KEY, Hours]] | None = Field(
        None, description="Hours (more than 0, at most 2160) per severity and step; those left out stay.")


def _policy_out(user, prop: Property) -> dict:
    p = services.policy_of(prop)
    return {"property_code": prop.code, "approval_threshold": p.approval_threshold, "clock": p.clock,
            "business_start": p.business_start.strftime("%H:%M"), "business_end": p.business_end.strftime("%H:%M"),
            "business_days": [int(d) for d in p.business_days if d.isdigit()],
            "limits": {sev: {str(step): p.limit_hours(sev, step) for step in range(2, 7)} for sev in Severity.values},
            "can_change": can(user, CONFIGURE, prop), "updated_at": p.updated_at if p.pk else None}


@router.get("/complaint-policy", response={200: ComplaintPolicyOut, **ERRORS}, summary="Complaint settings of a property",
            description="Everyone who works at the property. Without `property`, your first property.")
def get_complaint_policy(request, property: str | None = CODE):
    user = request.auth
    return _policy_out(user, chosen_property(user, property, COMPLAIN, CONFIGURE)[0])


@router.put("/complaint-policy", response={200: ComplaintPolicyOut, **ERRORS}, summary="Change the complaint settings",
            description="Whoever may configure the property (general manager, administrator). Fields left out stay "
                        "as they are; each change is kept in the history.")
def update_complaint_policy(request, payload: ComplaintPolicyIn, property: str | None = CODE):
    user = request.auth
    prop = chosen_property(user, property, CONFIGURE)[0]
    data = payload.model_dump(exclude_none=True)
    for name in ("business_start", "business_end"):
        if name in data:
            data[name] = dt.time(int(data[name][:2]), int(data[name][3:5]))
    if "limits" in data:
        current = services.policy_of(prop)
        data["limits"] = {sev: {str(step): data["limits"].get(sev, {}).get(str(step), current.limit_hours(sev, step))
                                for step in range(2, 7)} for sev in Severity.values}
    services.save_policy(user, prop, **data)
    return _policy_out(user, prop)
