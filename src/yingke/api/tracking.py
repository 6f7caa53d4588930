"""API: finding and tracking customers (R-7.1, R-7.3, R-7.4, R-7.6; issue 15 point 9). Thin
adapters over tracking.services and tracking.cadence, which ask core.permissions.

  GET|POST /tracking/leads                    leads you see (tracking.filters.LeadFilter), newest first; open one
  GET|PATCH /tracking/leads/{id}              a lead; change its details
  POST /tracking/leads/{id}/stage|drop|reopen the funnel (stage: `expect` is the stage you saw: 409 if moved)
  GET  /tracking/leads/{id}/possible-files    guest files that may be the same person (visible + a hidden count)
  POST /tracking/leads/{id}/convert           link it to a file, or open one (409 while duplicates exist)
  GET|POST /tracking/follow-ups               interactions with their ordinal per customer (1st, 2nd …)
  GET|POST /tracking/tasks                    your due follow-ups (a manager: a member's); add one by hand
  POST /tracking/tasks/{id}/done              done only with a written result: logs its follow-up
  GET|POST /tracking/commitments              promises to customers; POST …/{id}/keep
  GET|POST /tracking/cadence-rules            a property's cadence rules (R-7.6); add one (configurers)
  PATCH /tracking/cadence-rules/{id}          change one (configurers)
  GET|POST /tracking/scheduler-runs           runs of the scheduler; run it now for a property (configurers)

Rows are read through `visible_to` (the row-level rule of files; follow-ups and tasks through their
file, or their lead while it has none): a row you may not see is 404; an id in a body naming a
file or lead you may not see is a 422 on that field, as for complaints. Seen but not yours to
do, 403; the state forbids it, 409; bad input 422 naming the field, nothing changed. Mobiles are
shown through customers.masking (masked for roles without full mobiles).
"""

import contextlib
import datetime as dt
from typing import Annotated, Literal

from annotated_types import Interval
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, StrictBool

from yingke.api.access import listed_properties, property_to_work
from yingke.api.complaints import Moment as _Moment
from yingke.api.errors import ErrorOut, field_error, not_found
from yingke.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Page,
    filter_parameters,
    filtered,
    keyset_page,
    offset_page,
)
from yingke.api.schemas import (
    Clean,
    CustomerSummary,
    In,
    OwnerOut,
    choice,
    customer_summary,
    date_range_pattern,
    model_field,
    model_fields,
    object_id,
    owner_out,
)
from yingke.core import pagination as keyset
from yingke.core.models import Property, User
from yingke.core.permissions import (
    CONFIGURE,
    CONTROL,
    TRACK,
    NotVisible,
    can,
    configurable_property_ids,
    edits_files,
    my_properties,
    pick_property,
    require,
    responsible,
)
from yingke.core.services import MAX_ID, valid_id
from yingke.customers.masking import shown_mobile
from yingke.customers.models import Customer
from yingke.tracking import cadence_config, services
from yingke.tracking.filters import LeadFilter
from yingke.tracking.models import (
    Buyers,
    CadenceRule,
    Channel,
    Commitment,
    Event,
    FollowUp,
    Lead,
    Outcome,
    SchedulerRun,
    Source,
    Stage,
    Task,
    TaskRole,
)

router = Router(tags=["tracking"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# One line of text as the services accept it (no control characters; tabs and line breaks are spaces
# in one-line fields, kept in paragraphs).
LINE = r"^[^\u0000-\u0008\u000e-\u001f\u007f-\u009f]*$"
CODE = r"^[^\u0000-\u001f\u007f-\u009f]*$"
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _iso_day(value):
    if not isinstance(value, str | dt.date) or isinstance(value, dt.datetime):  # not a timestamp
        raise ValueError(_("Enter a valid date (YYYY-MM-DD)."))
    return value


def _iso_time(value):
    if value is not None and not isinstance(value, str | dt.datetime):  # not a timestamp
        raise ValueError(_("Enter a date and time."))
    return value


Moment = Annotated[_Moment, BeforeValidator(_iso_time)]
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra={
    "pattern": date_range_pattern(FIRST_DAY, LAST_DAY)}), BeforeValidator(_iso_day)]
CHANNEL, OUTCOME, SOURCE = choice(Channel), choice(Outcome), choice(Source)
EVENT, BUYERS, ROLE = choice(Event), choice(Buyers), choice(TaskRole)
KIND = choice(Customer.Kind)
LEAD_STATE = Literal["open", "converted", "dropped"]
MEMBER = r"^(me|[1-9][0-9]{0,17})$"
FOLLOW_UP_ORDER = keyset.Ordering("-occurred", "occurred_at", descending=True)
RUN_ORDER = keyset.Ordering("-started", "started_at", descending=True)
PropertyCode = Field(None, max_length=20, pattern=CODE, description="Property code (one of yours).")


def _texts(model, names, **extra):
    return model_fields(model, names, **{n: {"pattern": LINE, **extra.get(n, {})} for n in names})


@contextlib.contextmanager
def _renamed(**names):
    """Field errors of a service named as the request names them (owner → owner_id)."""
    try:
        yield
    except ValidationError as e:
        if not hasattr(e, "error_dict"):
            raise
        raise type(e)({names.get(k, k): v for k, v in e.error_dict.items()}) from None


# ---- references --------------------------------------------------------------------------

class FileRef(Schema):
    id: int
    customer_code: str
    name: str


class LeadRef(Schema):
    id: int
    name: str


def _file_ref(c: Customer | None) -> dict | None:
    return {"id": c.pk, "customer_code": c.customer_code, "name": c.name} if c is not None else None


def _visible_files(user, ids) -> set[int]:
    ids = {i for i in ids if i}
    return set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def _visible_leads(user, ids) -> set[int]:
    ids = {i for i in ids if i}
    return set(Lead.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def _body_customer(user, customer_id: int | None, field: str = "customer_id") -> Customer | None:
    """A file named in a body: one the user sees, else a 422 on the field (as for complaints)."""
    if customer_id is None:
        return None
    c = Customer.objects.visible_to(user).select_related("property", "owner").filter(pk=customer_id).first() \
        if valid_id(customer_id) else None
    if c is None:
        raise field_error(field, _("No such guest file, or not one you can see."))
    return c


def _body_lead(user, lead_id: int | None) -> Lead | None:
    if lead_id is None:
        return None
    lead = Lead.objects.visible_to(user).select_related("property", "customer").filter(pk=lead_id).first() \
        if valid_id(lead_id) else None
    if lead is None or (lead.customer_id and not _visible_files(user, [lead.customer_id])):
        raise field_error("lead_id", _("No such lead, or not one you can see."))
    return lead


def _subject(user, payload) -> Customer | Lead:
    if (payload.customer_id is None) == (payload.lead_id is None):
        raise field_error("customer_id", _("Name either a guest file (customer_id) or a lead (lead_id)."))
    return _body_customer(user, payload.customer_id) or _body_lead(user, payload.lead_id)


SUBJECT_SCHEMA = ConfigDict(extra="forbid", json_schema_extra={
    "oneOf": [{"required": ["customer_id"]}, {"required": ["lead_id"]}]})


# ---- leads (R-7.1) -------------------------------------------------------------------------

_lead = _texts(Lead, ["name", "mobile", "employer", "job_title", "email", "needs", "source_detail", "informant"],
               mobile={"description": "A real mobile number: mainland 11 digits or +country code; any other is 422."},
               informant={"description": "Required for the source `informant`."})
_lead_choices = model_fields(Lead, ["kind", "source"])
_lead_ids = {
    "referrer": (object_id(Customer) | None,
                 Field(None, description="Id of a guest file of the lead's property you see: the guest who referred "
                                         "them (required for the source `referral`).")),
    "owner": (object_id(User) | None,
              Field(None, description="User id of an account manager you may assign; null: unassigned.")),
}


_stage_field = Lead._meta.get_field("stage")
_stage = model_field(_stage_field, ge=Stage.TARGET, le=Stage.PLAN, default=Stage.TARGET.value,
                     description="Where it starts: 1 target … 6 activity plan.")


class LeadFields(In):
    kind: _lead_choices["kind"][0] = Field(None, description="person or org.")
    name: _lead["name"][0] = Field(None, min_length=1, max_length=100, json_schema_extra={"pattern": LINE})
    mobile: _lead["mobile"][0] = _lead["mobile"][1]
    employer: _lead["employer"][0] = _lead["employer"][1]
    job_title: _lead["job_title"][0] = _lead["job_title"][1]
    email: _lead["email"][0] = _lead["email"][1]
    needs: _lead["needs"][0] = Field(None, max_length=2000, json_schema_extra={"pattern": LINE},
                                     description="Needs and notes (line breaks kept).")
    source: SOURCE = Field(None, description="How the lead was found (the seven of seed 001).")
    source_detail: _lead["source_detail"][0] = _lead["source_detail"][1]
    referrer: _lead_ids["referrer"][0] = _lead_ids["referrer"][1]
    informant: _lead["informant"][0] = _lead["informant"][1]
    owner: _lead_ids["owner"][0] = _lead_ids["owner"][1]


class LeadIn(LeadFields):
    property: str | None = Field(None, max_length=20, json_schema_extra={"pattern": CODE},
                                 description="Code of a property where you work leads; left out: your only one.")
    kind: KIND = "person"
    name: _lead["name"][0] = Field(..., min_length=1, max_length=100, json_schema_extra={"pattern": LINE})
    source: SOURCE
    stage: _stage[0] = _stage[1]
    owner: _lead_ids["owner"][0] = Field(None, description="User id of an account manager you may assign; left "
                                                           "out: you, when you may own files.")


class LeadPatch(LeadFields):
    """Only the fields sent change; null clears a text, the referrer or the owner."""


class LeadOut(Schema):
    id: int
    property_code: str
    kind: KIND
    name: str
    mobile: str = Field(description="Masked for roles that do not see full mobiles.")
    employer: str
    job_title: str
    email: str
    needs: str
    source: SOURCE
    source_label: str
    source_detail: str
    referrer: FileRef | None = Field(description="The guest who referred them; null when none or not one you see.")
    informant: str
    stage: int = Field(description="1 target, 2 contacted, 3 preliminary selection, 4 fine selection, 5 key "
                                   "prospect, 6 activity plan, 7 customer.")
    stage_label: str
    reached: int = Field(description="The furthest stage it reached.")
    stage_changed_at: dt.datetime
    state: LEAD_STATE
    dropped_at: dt.datetime | None
    drop_reason: str
    customer: FileRef | None = Field(description="The guest file it became; null before conversion or when not "
                                                 "one you see.")
    converted_at: dt.datetime | None
    owner: OwnerOut | None
    created_at: dt.datetime
    updated_at: dt.datetime
    can_edit: bool


_move = model_field(_stage_field, required=True, ge=Stage.TARGET, le=Stage.PLAN,
                    description="1 target … 6 activity plan; to make it a customer, convert it.")
_expect = model_field(_stage_field, nullable=True, ge=Stage.TARGET, le=Stage.CUSTOMER,
                      description="The stage you saw: another one means someone moved it meanwhile (409).")


class StageIn(In):
    stage: _move[0] = _move[1]
    expect: _expect[0] = _expect[1]


class DropIn(In):
    reason: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": LINE},
                        description="Why the lead is dropped (required).")


class ConvertIn(In):
    customer_id: object_id(Customer) | None = Field(None, description="Link to this guest file of the lead's "
                                                                     "property (one you may change); left out: a new "
                                                                     "file from the lead's details.")
    create_anyway: StrictBool = Field(False, description="true: open a new file although files with the same "
                                                         "mobile, or name and employer, exist (otherwise 409).")


class ConvertOut(Schema):
    customer_id: int
    customer_code: str
    created: bool = Field(description="true: a new guest file was opened (201); false: linked to an existing one.")
    lead: LeadOut


class PossibleFilesOut(Schema):
    visible: list[CustomerSummary] = Field(description="Files of the property you see with the same mobile, or "
                                                       "the same name and employer (at most 10).")
    hidden: int = Field(description="How many other such files exist that you may not see.")


class LeadListParams(Clean):
    """Paging; the filters are tracking.filters.LeadFilter (shared with the leads page)."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    cursor: str | None = Field(None, max_length=1000, description="The `next` link's cursor.")


def _lead_state(lead: Lead) -> str:
    if lead.dropped_at is not None:
        return "dropped"
    return "converted" if lead.stage == Stage.CUSTOMER else "open"


def _leads_out(user, leads: list[Lead]) -> list[dict]:
    files = _visible_files(user, [x.referrer_id for x in leads] + [x.customer_id for x in leads])
    editor = edits_files(user)
    return [{
        "id": x.pk, "property_code": x.property.code, "kind": x.kind, "name": x.name,
        "mobile": shown_mobile(user, x.mobile), "employer": x.employer, "job_title": x.job_title, "email": x.email,
        "needs": x.needs, "source": x.source, "source_label": str(x.get_source_display()),
        "source_detail": x.source_detail,
        "referrer": _file_ref(x.referrer) if x.referrer_id in files else None, "informant": x.informant,
        "stage": x.stage, "stage_label": str(x.get_stage_display()), "reached": x.reached,
        "stage_changed_at": x.stage_changed_at, "state": _lead_state(x), "dropped_at": x.dropped_at,
        "drop_reason": x.drop_reason, "customer": _file_ref(x.customer) if x.customer_id in files else None,
        "converted_at": x.converted_at, "owner": owner_out(x.owner), "created_at": x.created_at,
        "updated_at": x.updated_at, "can_edit": editor,
    } for x in leads]


def _lead_listing(qs):
    return qs.select_related("property", "owner", "referrer", "customer")


def _visible_lead(user, lead_id: int) -> Lead:
    lead = _lead_listing(Lead.objects.visible_to(user)).filter(pk=lead_id).first() if valid_id(lead_id) else None
    if lead is None:
        raise not_found()
    return lead


def _lead_out(user, lead_id: int) -> dict:
    return _leads_out(user, [_visible_lead(user, lead_id)])[0]


def _lead_data(payload: LeadFields, exclude=()) -> dict:
    data = payload.model_dump(exclude_unset=True, exclude={"property", "stage", *exclude})
    return {k: ("" if v is None and k not in ("referrer", "owner") else v) for k, v in data.items()}


@router.get("/tracking/leads", response={200: Page[LeadOut], **ERRORS}, summary="Leads",
            description="The leads you see (the row-level rule of files), newest first; open ones unless `state` "
                        "says otherwise. Use `next` (a keyset cursor) to page.",
            openapi_extra={"parameters": filter_parameters(LeadFilter)})
def list_leads(request, params: Query[LeadListParams]):
    user = request.auth
    filters = LeadFilter(request.GET, user=user)
    qs = _lead_listing(filtered(filters))
    ordering = filters.ordering()
    if params.offset and not params.cursor:
        page = offset_page(request, qs.order_by(*ordering.order_by()), params.limit, params.offset, lambda x: x)
    else:
        page = keyset_page(request, qs, ordering, params.limit, params.cursor, lambda x: x)
    page["items"] = _leads_out(user, page["items"])
    return page


@router.post("/tracking/leads", response={201: LeadOut, **ERRORS}, summary="Open a lead",
             description="General, sales and account managers of the property (R-7.1). A referral names the guest "
                         "who referred them (`referrer`); a delegated informant's lead names the informant.")
def create_lead(request, payload: LeadIn):
    user = request.auth
    prop = property_to_work(user, payload.property, TRACK)
    data = _lead_data(payload)
    if payload.stage is not None:
        data["stage"] = payload.stage
    lead = services.create_lead(user, prop, **data)
    return Status(201, _lead_out(user, lead.pk))


@router.get("/tracking/leads/{int:lead_id}", response={200: LeadOut, 404: ErrorOut}, summary="A lead")
def get_lead(request, lead_id: int):
    return _lead_out(request.auth, lead_id)


@router.patch("/tracking/leads/{int:lead_id}", response={200: LeadOut, **ERRORS}, summary="Change a lead",
              description="Whoever may change files (general, sales and account managers) and sees the lead. "
                          "Only the fields sent change; the stage moves with …/stage.")
def update_lead(request, lead_id: int, payload: LeadPatch):
    user = request.auth
    lead = services.update_lead(user, _visible_lead(user, lead_id), **_lead_data(payload))
    return _lead_out(user, lead.pk)


@router.post("/tracking/leads/{int:lead_id}/stage", response={200: LeadOut, **ERRORS}, summary="Move a lead",
             description="To another stage before “customer” (the board's drag). 409 when the lead is closed, or "
                         "when `expect` is not its stage (someone moved it meanwhile).")
def move_lead(request, lead_id: int, payload: StageIn):
    user = request.auth
    lead = services.move_stage(user, _visible_lead(user, lead_id), payload.stage, payload.expect)
    return _lead_out(user, lead.pk)


@router.post("/tracking/leads/{int:lead_id}/drop", response={200: LeadOut, **ERRORS}, summary="Drop a lead",
             description="With a reason; 409 when it is already converted or dropped.")
def drop_lead(request, lead_id: int, payload: DropIn):
    user = request.auth
    lead = services.drop_lead(user, _visible_lead(user, lead_id), payload.reason)
    return _lead_out(user, lead.pk)


@router.post("/tracking/leads/{int:lead_id}/reopen", response={200: LeadOut, **ERRORS}, summary="Reopen a lead",
             description="A dropped lead only (409 otherwise).")
def reopen_lead(request, lead_id: int):
    user = request.auth
    lead = services.reopen_lead(user, _visible_lead(user, lead_id))
    return _lead_out(user, lead.pk)


@router.get("/tracking/leads/{int:lead_id}/possible-files", response={200: PossibleFilesOut, 404: ErrorOut},
            summary="Guest files that may be this lead",
            description="Files of the lead's property with the same mobile, or the same name and employer: those "
                        "you see, and how many others exist (never which).")
def lead_possible_files(request, lead_id: int):
    user = request.auth
    found = services.possible_files(user, _visible_lead(user, lead_id))
    ids = [c.pk for c in found["visible"]]
    files = Customer.objects.filter(pk__in=ids).select_related("property", "owner", "module") \
        .prefetch_related("tags").order_by("pk")
    return {"visible": [customer_summary(c, user) for c in files], "hidden": found["hidden"]}


@router.post("/tracking/leads/{int:lead_id}/convert", response={200: ConvertOut, 201: ConvertOut, **ERRORS},
             summary="Convert a lead into a customer",
             description="Link it to a guest file of its property you may change (`customer_id`, 200), or open a "
                         "new file from its details (201). While files with the same mobile, or name and "
                         "employer, exist, a new file is 409 unless `create_anyway`. Its follow-ups and tasks then "
                         "belong to the file, numbered with the file's own.")
def convert_lead(request, lead_id: int, payload: ConvertIn):
    user = request.auth
    lead = _visible_lead(user, lead_id)
    customer = None
    if payload.customer_id is not None:
        if not valid_id(payload.customer_id) or not Customer.objects.visible_to(user).filter(
                pk=payload.customer_id).exists():
            raise field_error("customer_id", _("No such guest file, or not one you can see."))
        customer = payload.customer_id
    with _renamed(customer="customer_id"):
        file = services.convert(user, lead, customer=customer, create_anyway=payload.create_anyway)
    out = {"customer_id": file.pk, "customer_code": file.customer_code, "created": customer is None,
           "lead": _lead_out(user, lead.pk)}
    return Status(201 if customer is None else 200, out)


# ---- follow-ups (R-7.3) ------------------------------------------------------------------

_fu = _texts(FollowUp, ["next_step"])
_next_on = model_fields(FollowUp, ["next_on"])["next_on"]


class FollowUpFields(In):
    channel: CHANNEL
    outcome: OUTCOME
    summary: str = Field(min_length=1, max_length=2000, json_schema_extra={"pattern": LINE},
                         description="What was said or done (required; line breaks kept).")
    occurred_at: Moment = Field(None, description="When (local time of the server when no offset is given): from "
                                                  "2000, not in the future; left out: now.")
    next_step: _fu["next_step"][0] = Field(None, max_length=200, json_schema_extra={"pattern": LINE},
                                           description="The next step; required with `next_on`.")
    next_on: _next_on[0] = Field(None, description="When the next step is due (not in the past): a task for you.")


class FollowUpIn(FollowUpFields):
    model_config = SUBJECT_SCHEMA
    customer_id: object_id(Customer) = Field(None, description="A guest file you see (or give `lead_id`).")
    lead_id: object_id(Lead) = Field(None, description="A lead you see (a converted lead's follow-up goes to its "
                                                       "file).")


class FollowUpOut(Schema):
    id: int
    ordinal: int = Field(description="Its place among the customer's (or, before conversion, the lead's) "
                                     "follow-ups by time: 1st, 2nd …")
    property_code: str
    customer: FileRef | None = Field(description="The guest file; null while the lead has none.")
    lead: LeadRef | None = Field(description="The lead it was logged on, when you see it.")
    channel: CHANNEL
    channel_label: str
    outcome: OUTCOME
    outcome_label: str
    occurred_at: dt.datetime
    summary: str
    next_step: str
    next_on: dt.date | None
    author: OwnerOut | None
    created_at: dt.datetime


class FollowUpListParams(Clean):
    property: str | None = PropertyCode
    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this guest file's.")
    lead_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this lead's (also after its conversion).")
    author: str | None = Field(None, pattern=MEMBER, description="'me' or a user id.")
    start: Day | None = Field(None, alias="from", description="On or after this day (the property's local date).")
    end: Day | None = Field(None, alias="to", description="On or before this day (the property's local date).")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000, description="The `next` link's cursor.")


def _follow_ups_out(user, rows: list[FollowUp]) -> list[dict]:
    leads = _visible_leads(user, [f.lead_id for f in rows])
    return [{
        "id": f.pk, "ordinal": f.ordinal, "property_code": f.property.code, "customer": _file_ref(f.customer),
        "lead": {"id": f.lead_id, "name": f.lead.name} if f.lead_id in leads else None,
        "channel": f.channel, "channel_label": str(f.get_channel_display()), "outcome": f.outcome,
        "outcome_label": str(f.get_outcome_display()), "occurred_at": f.occurred_at, "summary": f.summary,
        "next_step": f.next_step, "next_on": f.next_on, "author": owner_out(f.author), "created_at": f.created_at,
    } for f in rows]


def _follow_up_out(user, pk: int) -> dict:
    f = FollowUp.objects.select_related("property", "customer", "lead", "author").get(pk=pk)
    return _follow_ups_out(user, [f])[0]


def _member(user, value: str | None):
    if value is None:
        return None
    return user.pk if value == "me" else int(value)


@router.get("/tracking/follow-ups", response={200: Page[FollowUpOut], **ERRORS}, summary="Follow-ups",
            description="The follow-ups you see (through their file, or their lead while it has none), latest "
                        "first. Use `next` (a keyset cursor) to page.")
def list_follow_ups(request, params: Query[FollowUpListParams]):
    user = request.auth
    props = listed_properties(user, params.property)
    qs = FollowUp.objects.visible_to(user).filter(property__in=props)
    if params.customer_id is not None:
        qs = qs.filter(customer_id=params.customer_id)
    if params.lead_id is not None:
        qs = qs.filter(lead_id=params.lead_id)
    if params.author is not None:
        qs = qs.filter(author_id=_member(user, params.author))
    if params.start or params.end:
        if params.start and params.end and params.end < params.start:
            raise field_error("to", _("The last day cannot be before the first."))
        days = Q()
        for p in props:
            one = Q(property=p)
            if params.start:
                one &= Q(occurred_at__gte=p.day_start(params.start))
            if params.end:
                one &= Q(occurred_at__lt=p.day_start(params.end + dt.timedelta(days=1)))
            days |= one
        qs = qs.filter(days) if props else qs.none()
    qs = qs.select_related("property", "customer", "lead", "author")
    page = keyset_page(request, qs, FOLLOW_UP_ORDER, params.limit, params.cursor, lambda f: f)
    page["items"] = _follow_ups_out(user, page["items"])
    return page


@router.post("/tracking/follow-ups", response={201: FollowUpOut, **ERRORS}, summary="Log a follow-up",
             description="Every role that sees the file or the lead (R-7.3). The answer carries its ordinal for the "
                         "customer. A `next_on` date makes a task due that day.")
def log_follow_up(request, payload: FollowUpIn):
    user = request.auth
    subject = _subject(user, payload)
    data = payload.model_dump(exclude={"customer_id", "lead_id"})
    data["next_step"] = data["next_step"] or ""
    f = services.log_follow_up(user, subject, **data)
    return Status(201, _follow_up_out(user, f.pk))


# ---- tasks (R-7.6) -------------------------------------------------------------------------

class TaskIn(In):
    model_config = SUBJECT_SCHEMA
    customer_id: object_id(Customer) = Field(None, description="A guest file you see (or give `lead_id`).")
    lead_id: object_id(Lead) = Field(None, description="A lead you see.")
    title: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": LINE}, description="What to do.")
    due_on: Day = Field(description="Due day, not in the past.")
    assignee_id: object_id(User) | None = Field(None, description="A member of staff you may assign; left out: you.")


class TaskDoneIn(FollowUpFields):
    """The written result: the follow-up the task becomes (`summary` is required)."""


class TaskOut(Schema):
    id: int
    property_code: str
    title: str
    due_on: dt.date
    overdue: bool = Field(description="Open and due before the property's today.")
    role: ROLE
    role_label: str
    assignee: OwnerOut | None
    falls_to: OwnerOut | None = Field(description="Who it falls to: the assignee, else the owner of the file or "
                                                  "lead for an account manager's task; null: the pool or a role.")
    customer: FileRef | None
    lead: LeadRef | None = Field(description="The lead, while it has no guest file.")
    rule_id: int | None = Field(description="The cadence rule that made it; null: typed by hand.")
    event: str
    offset: int | None = Field(description="Days after the event.")
    done_at: dt.datetime | None
    done_by: OwnerOut | None
    follow_up_id: int | None
    escalated_at: dt.datetime | None
    created_at: dt.datetime


class TaskListParams(Clean):
    property: str | None = PropertyCode
    state: Literal["open", "done", "all"] = "open"
    due: Literal["today", "overdue", "all"] = Field("all", description="today: due today; overdue: open and due "
                                                                       "before today.")
    member: int | None = Field(None, ge=1, le=MAX_ID, description="A member of your team (managers); default: you.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _tasks_out(rows: list[Task]) -> list[dict]:
    out = []
    for t in rows:
        today = t.property.local_today()
        out.append({
            "id": t.pk, "property_code": t.property.code, "title": t.title, "due_on": t.due_on,
            "overdue": t.done_at is None and t.due_on < today, "role": t.role, "role_label": str(t.get_role_display()),
            "assignee": owner_out(t.assignee), "falls_to": owner_out(responsible(t)),
            "customer": _file_ref(t.customer), "lead": {"id": t.lead_id, "name": t.lead.name}
            if t.lead_id and not t.customer_id else None,
            "rule_id": t.rule_id, "event": t.event, "offset": t.offset, "done_at": t.done_at,
            "done_by": owner_out(t.done_by), "follow_up_id": t.follow_up_id, "escalated_at": t.escalated_at,
            "created_at": t.created_at,
        })
    return out


TASK_RELATED = ("property", "customer__owner", "lead__owner", "assignee", "done_by")


def _tasks_of(member, prop, state: str):
    """The tasks that fall (or fell) to `member` in `prop`: services.open_tasks_for for open ones; for done
    ones the same rule (services.falls_to), or done by the member."""
    if state == "open":
        return services.open_tasks_for(member, prop)
    mine = services.falls_to(member)
    qs = Task.objects.visible_to(member).filter(property=prop)
    if state == "done":
        return qs.filter(done_at__isnull=False).filter(mine | Q(done_by=member))
    return qs.filter(mine | Q(done_by=member, done_at__isnull=False))


@router.get("/tracking/tasks", response={200: Page[TaskOut], **ERRORS}, summary="Follow-up tasks",
            description="The tasks that fall to you (or, for a sales or general manager, to `member` of their "
                        "team: anyone else is 404), by due day. Open ones by default.")
def list_tasks(request, params: Query[TaskListParams]):
    user = request.auth
    member = user
    if params.member is not None and params.member != user.pk:
        member = User.objects.filter(pk=params.member).first()
        if member is None or not can(user, CONTROL, member):
            raise NotVisible  # like an unknown id: staff ids cannot be probed
    prop = pick_property(user, my_properties(user), params.property)
    qs = _tasks_of(member, prop, params.state)
    if member is not user:
        qs = qs.filter(pk__in=Task.objects.visible_to(user).values("pk"))
    today = prop.local_today()
    if params.due == "today":
        qs = qs.filter(due_on=today)
    elif params.due == "overdue":
        qs = qs.filter(due_on__lt=today, done_at__isnull=True)
    qs = qs.select_related(*TASK_RELATED).order_by("due_on", "pk")
    page = offset_page(request, qs, params.limit, params.offset, lambda t: t)
    page["items"] = _tasks_out(page["items"])
    return page


@router.post("/tracking/tasks", response={201: TaskOut, **ERRORS}, summary="Add a follow-up task",
             description="A task typed by hand on a file or lead you see, for you or a member of staff you may "
                         "assign.")
def add_task(request, payload: TaskIn):
    user = request.auth
    subject = _subject(user, payload)
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise field_error("assignee_id", _("You cannot make this member of staff responsible for it."))
    with _renamed(assignee="assignee_id"):
        task = services.add_task(user, subject, title=payload.title, due_on=payload.due_on, assignee=assignee)
    return Status(201, _tasks_out([Task.objects.select_related(*TASK_RELATED).get(pk=task.pk)])[0])


@router.post("/tracking/tasks/{int:task_id}/done", response={200: FollowUpOut, **ERRORS},
             summary="Complete a task with its result",
             description="Whoever it falls to, their sales manager or the general manager (403 otherwise). The "
                         "result is logged as a follow-up (answered, with its ordinal); 409 when already done.")
def complete_task(request, task_id: int, payload: TaskDoneIn):
    user = request.auth
    task = Task.objects.visible_to(user).filter(pk=task_id).first() if valid_id(task_id) else None
    if task is None:
        raise not_found()
    data = payload.model_dump()
    data["next_step"] = data["next_step"] or ""
    f = services.complete_task(user, task, **data)
    return _follow_up_out(user, f.pk)


# ---- commitments (R-7.4) -------------------------------------------------------------------

_promise = _texts(Commitment, ["promised", "to_whom", "result"])


class CommitmentIn(In):
    customer_id: object_id(Customer) = Field(description="A guest file you see.")
    promised: _promise["promised"][0] = Field(min_length=1, max_length=300, json_schema_extra={"pattern": LINE},
                                              description="What was promised.")
    to_whom: _promise["to_whom"][0] = _promise["to_whom"][1]
    due_on: Day = Field(description="By when.")
    owner_id: object_id(User) | None = Field(None, description="Who keeps it: a member of staff you may assign; "
                                                               "left out: you.")


class KeepIn(In):
    result: str = Field(min_length=1, max_length=300, json_schema_extra={"pattern": LINE},
                        description="How it was kept (required).")


class CommitmentOut(Schema):
    id: int
    property_code: str
    customer: FileRef
    owner: OwnerOut
    promised: str
    to_whom: str
    due_on: dt.date
    overdue: bool = Field(description="Open and due before the property's today.")
    done_at: dt.datetime | None
    done_by: OwnerOut | None
    result: str
    visit_report_id: int | None
    escalated_at: dt.datetime | None
    created_at: dt.datetime


class CommitmentListParams(Clean):
    property: str | None = PropertyCode
    state: Literal["open", "done", "all"] = "open"
    customer_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this guest file's.")
    owner: str | None = Field(None, pattern=MEMBER, description="'me' or a user id: who keeps it.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _commitment_out(c: Commitment) -> dict:
    return {
        "id": c.pk, "property_code": c.property.code, "customer": _file_ref(c.customer), "owner": owner_out(c.owner),
        "promised": c.promised, "to_whom": c.to_whom, "due_on": c.due_on,
        "overdue": c.done_at is None and c.due_on < c.property.local_today(), "done_at": c.done_at,
        "done_by": owner_out(c.done_by), "result": c.result, "visit_report_id": c.visit_report_id,
        "escalated_at": c.escalated_at, "created_at": c.created_at,
    }


COMMITMENT_RELATED = ("property", "customer", "owner", "done_by")


@router.get("/tracking/commitments", response={200: Page[CommitmentOut], **ERRORS}, summary="Commitments",
            description="Promises to the guests whose files you see, by due day; open ones by default.")
def list_commitments(request, params: Query[CommitmentListParams]):
    user = request.auth
    qs = Commitment.objects.visible_to(user).filter(property__in=listed_properties(user, params.property))
    if params.state == "open":
        qs = qs.filter(done_at__isnull=True)
    elif params.state == "done":
        qs = qs.filter(done_at__isnull=False)
    if params.customer_id is not None:
        qs = qs.filter(customer_id=params.customer_id)
    if params.owner is not None:
        qs = qs.filter(owner_id=_member(user, params.owner))
    qs = qs.select_related(*COMMITMENT_RELATED).order_by("due_on", "pk")
    return offset_page(request, qs, params.limit, params.offset, _commitment_out)


@router.post("/tracking/commitments", response={201: CommitmentOut, **ERRORS}, summary="Record a commitment",
             description="Every role that sees the file (R-7.4). It is kept by you, or by a member of staff you may "
                         "assign (`owner_id`).")
def add_commitment(request, payload: CommitmentIn):
    user = request.auth
    customer = _body_customer(user, payload.customer_id)
    owner = None
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id).first()
        if owner is None:
            raise field_error("owner_id", _("You cannot make this member of staff responsible for it."))
    with _renamed(owner="owner_id", due_on="due_on"):
        c = services.add_commitment(user, customer, promised=payload.promised, due_on=payload.due_on,
                                    to_whom=payload.to_whom or "", owner=owner)
    return Status(201, _commitment_out(Commitment.objects.select_related(*COMMITMENT_RELATED).get(pk=c.pk)))


@router.post("/tracking/commitments/{int:commitment_id}/keep", response={200: CommitmentOut, **ERRORS},
             summary="Keep a commitment",
             description="Its owner, their sales manager or the general manager (403 otherwise), with how it was "
                         "kept; 409 when it was kept already.")
def keep_commitment(request, commitment_id: int, payload: KeepIn):
    user = request.auth
    c = Commitment.objects.visible_to(user).filter(pk=commitment_id).first() if valid_id(commitment_id) else None
    if c is None:
        raise not_found()
    c = services.keep_commitment(user, c, payload.result)
    return _commitment_out(Commitment.objects.select_related(*COMMITMENT_RELATED).get(pk=c.pk))


# ---- cadence rules and the scheduler (R-7.6, issue 15 point 8) -----------------------------

class CadenceRuleOut(Schema):
    id: int
    property_code: str
    name: str
    event: EVENT
    event_label: str
    buyers: BUYERS = Field(description="For buyers (a guest with a purchase when the task falls due), non-buyers "
                                       "or anyone.")
    buyers_label: str
    offsets: list[int] = Field(description="Days after the event.")
    role: ROLE
    role_label: str
    is_active: bool
    active_from: dt.date
    can_change: bool = Field(description="Whether you may change the property's rules.")


def _rule_out(r: CadenceRule, can_change: bool) -> dict:
    return {"id": r.pk, "property_code": r.property.code, "name": r.name, "event": r.event,
            "event_label": str(r.get_event_display()), "buyers": r.buyers, "buyers_label": str(r.get_buyers_display()),
            "offsets": [int(d) for d in r.offsets if isinstance(d, int)], "role": r.role,
            "role_label": str(r.get_role_display()), "is_active": r.is_active, "active_from": r.active_from,
            "can_change": can_change}


@router.get("/tracking/cadence-rules", response={200: Page[CadenceRuleOut], **ERRORS}, summary="Cadence rules",
            description="The follow-up cadences of a property (R-7.6), for everyone who works there. Without "
                        "`property`, your first property.")
def list_cadence_rules(request, property: str | None = Query(None, max_length=20, pattern=CODE,
                                                             description="Property code (one of yours).")):
    user = request.auth
    prop = pick_property(user, my_properties(user), property)
    change = can(user, CONFIGURE, prop)
    rules = [_rule_out(r, change) for r in CadenceRule.objects.filter(property=prop).select_related("property")
             .order_by("event", "pk")]
    return {"count": len(rules), "count_capped": False, "next": None, "items": rules}


_rule_name = _texts(CadenceRule, ["name"])["name"]


def _whole(value):
    if isinstance(value, bool | str):  # JSON true or "3" is not a number of days (pydantic would coerce it)
        raise ValueError(_("Enter a whole number."))
    return value


Offsets = Annotated[list[Annotated[int, Interval(ge=1, le=cadence_config.MAX_OFFSET), BeforeValidator(_whole)]],
                    Field(min_length=1, max_length=cadence_config.MAX_OFFSETS, json_schema_extra={"uniqueItems": True},
                          description="Days after the event (1–365, each once, at most 10), e.g. [3, 30, 60].")]


class CadenceRulePatch(In):
    """Only the fields sent change; switching a rule back on starts it today (no tasks of the past)."""

    name: _rule_name[0] = Field(None, min_length=1, max_length=60, json_schema_extra={"pattern": LINE})
    event: EVENT = None
    buyers: BUYERS = None
    offsets: Offsets = None
    role: ROLE = None
    is_active: StrictBool = None


class CadenceRuleIn(CadenceRulePatch):
    property: str | None = Field(None, max_length=20, json_schema_extra={"pattern": CODE},
                                 description="Code of a property you configure; left out: your only one.")
    name: _rule_name[0] = Field(..., min_length=1, max_length=60, json_schema_extra={"pattern": LINE})
    event: EVENT = Event.FILE_CREATED.value
    buyers: BUYERS = Buyers.ANY.value
    offsets: Offsets
    role: ROLE = TaskRole.ACCOUNT_MANAGER.value
    is_active: StrictBool = True


def _rule_read(user, pk: int) -> dict:
    r = CadenceRule.objects.select_related("property").get(pk=pk)
    return _rule_out(r, can(user, CONFIGURE, r.property))


@router.post("/tracking/cadence-rules", response={201: CadenceRuleOut, **ERRORS}, summary="Add a cadence rule",
             description="Whoever may configure the property (general manager, administrator). A new rule makes "
                         "tasks from today on, never for the past.")
def create_cadence_rule(request, payload: CadenceRuleIn):
    user = request.auth
    prop = property_to_work(user, payload.property, CONFIGURE)
    rule = cadence_config.save_rule(user, prop, None, **payload.model_dump(exclude={"property"}))
    return Status(201, _rule_read(user, rule.pk))


@router.patch("/tracking/cadence-rules/{int:rule_id}", response={200: CadenceRuleOut, **ERRORS},
              summary="Change a cadence rule",
              description="Whoever may configure its property (403 for others who work there). Each change is "
                          "audited; tasks already made stay.")
def update_cadence_rule(request, rule_id: int, payload: CadenceRulePatch):
    user = request.auth
    mine = user.property_ids() if valid_id(rule_id) else []
    rule = CadenceRule.objects.select_related("property").filter(pk=rule_id, property_id__in=mine).first()
    if rule is None:
        raise not_found()
    cadence_config.save_rule(user, rule.property, rule, **payload.model_dump(exclude_unset=True))
    return _rule_read(user, rule.pk)


class SchedulerRunOut(Schema):
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    trigger: choice(SchedulerRun.Trigger)
    trigger_label: str
    user: OwnerOut | None
    created: int = Field(description="Tasks made (in the properties you configure).")
    escalated: int = Field(description="Overdue tasks and commitments escalated (in the properties you configure).")
    details: dict[str, dict[str, dict[str, int]]] = Field(
        description="Per property code you configure: {\"tasks\": {rule id: tasks made}, \"escalated\": "
                    "{\"tasks\": n, \"commitments\": n}}.")


class RunListParams(Clean):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000, description="The `next` link's cursor.")


def _configured_codes(user) -> set[str] | None:
    """Codes of the properties `user` configures; None: every property."""
    ids = configurable_property_ids(user)
    return None if ids is None else set(Property.objects.filter(pk__in=ids).values_list("code", flat=True))


def _run_out(run: SchedulerRun, codes: set[str] | None) -> dict:
    details = {code: d for code, d in (run.details or {}).items() if isinstance(d, dict)
               and (codes is None or code in codes)}
    clean = {code: {part: {str(k): int(v) for k, v in (d.get(part) or {}).items() if isinstance(v, int)}
                    for part in ("tasks", "escalated")} for code, d in details.items()}
    if codes is None:
        created, escalated = run.created, run.escalated
    else:
        created = sum(sum(d["tasks"].values()) for d in clean.values())
        escalated = sum(sum(d["escalated"].values()) for d in clean.values())
    return {"id": run.pk, "started_at": run.started_at, "finished_at": run.finished_at, "trigger": run.trigger,
            "trigger_label": str(run.get_trigger_display()), "user": owner_out(run.user), "created": created,
            "escalated": escalated, "details": clean}


@router.get("/tracking/scheduler-runs", response={200: Page[SchedulerRunOut], **ERRORS}, summary="Scheduler runs",
            description="Each run of the cadence scheduler and the escalations, latest first, with what it made in "
                        "the properties you configure (general managers, administrators).")
def list_scheduler_runs(request, params: Query[RunListParams]):
    user = request.auth
    require(user, CONFIGURE)  # 403 unless the user configures some property
    codes = _configured_codes(user)
    qs = cadence_config.runs_for(configurable_property_ids(user))
    return keyset_page(request, qs, RUN_ORDER, params.limit, params.cursor, lambda r: _run_out(r, codes))



class RunIn(In):
    property: str | None = Field(None, max_length=20, json_schema_extra={"pattern": CODE},
                                 description="Code of a property you configure; left out: your only one.")


@router.post("/tracking/scheduler-runs", response={201: SchedulerRunOut, **ERRORS}, summary="Run the scheduler now",
             description="For one property you configure: make the tasks due today and escalate what is overdue "
                          "(the scheduler also runs every few minutes on its own). Running it twice makes nothing "
                          "twice.")
def run_scheduler_now(request, payload: RunIn):
    user = request.auth
    prop = property_to_work(user, payload.property, CONFIGURE)
    run = cadence_config.run_now(user, prop)
    return Status(201, _run_out(SchedulerRun.objects.select_related("user").get(pk=run.pk), _configured_codes(user)))
