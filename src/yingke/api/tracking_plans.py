"""API: visit plans, visit reports (R-7.8) and the pipeline of opportunities (R-11.4). Thin
adapters over tracking.plans and tracking.pipeline, which ask core.permissions.

  GET  /tracking/visit-plans                    plans you see (yours; your team's as manager)
  POST /tracking/visit-plans                    open your plan for a month (with lines); 201
  GET  /tracking/visit-plans/{id}               with its lines and each line's report state
  PUT  /tracking/visit-plans/{id}               replace its lines (draft or returned only)
  POST /tracking/visit-plans/{id}/submit        send it to the manager (late after the previous month)
  POST /tracking/visit-plans/{id}/decision      approve or return it (the owner's sales manager, the GM)
  GET  /tracking/visit-reports                  reports you see
  POST /tracking/visit-reports                  report a visit (logs a follow-up; promises → commitments); 201
  GET  /tracking/visit-reports/{id}
  GET  /tracking/opportunities                  the pipeline you see
  POST /tracking/opportunities                  open one; 201
  GET|PATCH /tracking/opportunities/{id}
  POST /tracking/opportunities/{id}/stage       move it (won: visits; lost: reason)
  GET  /tracking/forecast                       the weighted forecast by month

A row you may not see is 404; seen but not yours to change, 403; the state forbids it (a plan
already approved or submitted, a line already reported, a stale stage), 409; bad input 422,
nothing changed. Ids in a request body that you may not see are 422 on that field.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from yingke.api.access import listed_properties, property_to_work
from yingke.api.errors import ErrorOut, field_error, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, keyset_page, offset_page
from yingke.api.schemas import (
    Clean,
    In,
    OwnerOut,
    choice,
    date_range_pattern,
    model_field,
    object_id,
    owner_out,
)
from yingke.api.tracking import FileRef, LeadRef, _file_ref
from yingke.core import pagination as keyset
from yingke.core.models import User
from yingke.core.permissions import (
    TRACK,
    chosen_property,
    edits_files,
)
from yingke.core.services import MAX_ID, valid_id
from yingke.customers.models import Customer
from yingke.tracking import pipeline, plans
from yingke.tracking.models import (
    Lead,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    Outcome,
    PlannedVisit,
    VisitPlan,
    VisitReport,
)
from yingke.visits.models import Visit

router = Router(tags=["visit plans and pipeline"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LINE = r"^[^\u0000-\u0008\u000e-\u001f\u007f-\u009f]*$"
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra={
    "pattern": date_range_pattern(FIRST_DAY, LAST_DAY)})]
MONTH = r"^(20\d\d|2100)-(0[1-9]|1[0-2])$"
PLAN_STATUS = choice(VisitPlan.Status)
KIND, STAGE, OUTCOME = choice(OpportunityKind), choice(OpportunityStage), choice(Outcome)
OPEN_STAGE = Literal["inquiry", "proposal", "negotiation"]
LINE_STATE = Literal["planned", "due", "late", "reported"]
REPORT_ORDER = keyset.Ordering("-submitted", "submitted_at", descending=True)  # keyset keys: no plain dates
PLANS_LISTED = 5000  # a team's plans over years; decisions are sorted first among them
Probability = Annotated[int, Field(ge=0, le=100)]
_amount = model_field(Opportunity._meta.get_field("amount"), required=True)
_amount_opt = model_field(Opportunity._meta.get_field("amount"))


def _text(max_length, required=False, description=None):
    if required:
        return Field(..., min_length=1, max_length=max_length, description=description,
                     json_schema_extra={"pattern": LINE})
    return Field(None, max_length=max_length, description=description, json_schema_extra={"pattern": LINE})


# ---- references ----------------------------------------------------------------------------

def _file(c, seen: set | None = None) -> dict | None:
    """The file as a FileRef, or None when there is none or it is not among `seen`."""
    return None if c is None or (seen is not None and c.pk not in seen) else _file_ref(c)


# ---- visit plans ---------------------------------------------------------------------------

class PlannedVisitIn(In):
    id: object_id(PlannedVisit) | None = Field(None, description="A line of this plan to keep (and change); "
                                                                 "left out: a new line.")
    customer: object_id(Customer) = Field(description="Id of a guest file of the plan's property that you see.")
    planned_on: Day = Field(description="A day of the plan's month.")
    purpose: str = _text(200, required=True)


class VisitPlanIn(In):
    property: str | None = Field(None, max_length=20, json_schema_extra={"pattern": LINE},
                                 description="Code of a property you work at; left out: your only one.")
    month: str = Field(pattern=MONTH, description="The month planned, YYYY-MM: this month or one to come.")
    lines: list[PlannedVisitIn] = Field(default_factory=list, max_length=plans.MAX_LINES)


class VisitPlanLinesIn(In):
    lines: list[PlannedVisitIn] = Field(max_length=plans.MAX_LINES, description="All the plan's lines: those "
                                        "left out are removed (a line with a report cannot be: 409).")


class VisitPlanDecisionIn(In):
    approve: StrictBool = Field(description="true approves (the plan is then locked); false returns it.")
    note: str | None = _text(300, description="Required when returning: what to change.")


class PlannedVisitOut(Schema):
    id: int
    customer: FileRef | None = Field(description="Null when the file is not one you see.")
    planned_on: dt.date
    purpose: str
    state: LINE_STATE = Field(description="planned (to come), due (report due within two days), late (no "
                                          "report after two days), reported.")
    report_id: int | None


class VisitPlanSummary(Schema):
    id: int
    property_code: str
    owner: OwnerOut
    month: str = Field(description="YYYY-MM")
    status: PLAN_STATUS
    submitted_at: dt.datetime | None
    late: bool = Field(description="First submitted after the end of the previous month.")
    decided_by: OwnerOut | None
    decided_at: dt.datetime | None
    decision_note: str
    can_edit: bool
    can_decide: bool


class VisitPlanOut(VisitPlanSummary):
    lines: list[PlannedVisitOut]


class PlanListParams(Clean):
    property: str | None = Field(None, max_length=20, pattern=LINE, description="Property code (one of yours).")
    status: PLAN_STATUS | None = None
    month: str | None = Field(None, pattern=MONTH, description="YYYY-MM")
    mine: bool | None = Field(None, description="true: your own plans only; false: your team's only.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _plan_summary(user, p: VisitPlan) -> dict:
    return {"id": p.pk, "property_code": p.property.code, "owner": owner_out(p.owner),
            "month": p.month.strftime("%Y-%m"), "status": p.status, "submitted_at": p.submitted_at, "late": p.late,
            "decided_by": owner_out(p.decided_by), "decided_at": p.decided_at, "decision_note": p.decision_note,
            "can_edit": plans.may_edit(user, p), "can_decide": plans.may_decide(user, p)}


def _plan_detail(user, p: VisitPlan) -> dict:
    out = _plan_summary(user, p)
    lines = list(p.visits.select_related("customer", "report").order_by("planned_on", "id"))
    seen = set(Customer.objects.visible_to(user).filter(pk__in={v.customer_id for v in lines})
               .values_list("pk", flat=True))
    today = p.property.local_today()
    out["lines"] = [{"id": v.pk, "customer": _file(v.customer, seen), "planned_on": v.planned_on,
                     "purpose": v.purpose, "state": plans.line_state(v, today),
                     "report_id": v.report.pk if getattr(v, "report", None) is not None else None} for v in lines]
    return out


def _plan(user, plan_id: int) -> VisitPlan:
    p = plans.plans_visible_to(user).select_related("property", "owner", "decided_by").filter(pk=plan_id).first() \
        if valid_id(plan_id) else None
    if p is None:
        raise not_found()
    return p


def _lines(payload_lines) -> list[dict]:
    return [line.model_dump(exclude_none=True) for line in payload_lines]


@router.get("/tracking/visit-plans", response={200: Page[VisitPlanSummary], **ERRORS}, summary="Visit plans",
            description="Your plans; a sales manager also sees the team's, the general manager those of the "
                        "property's account and sales managers. Submitted plans waiting for a decision first, then "
                        "newest month first.")
def list_visit_plans(request, params: Query[PlanListParams]):
    user = request.auth
    props = listed_properties(user, params.property)
    qs = plans.plans_visible_to(user).filter(property__in=props).select_related("property", "owner", "decided_by")
    if params.status:
        qs = qs.filter(status=params.status)
    if params.month:
        qs = qs.filter(month=dt.date.fromisoformat(params.month + "-01"))
    if params.mine is True:
        qs = qs.filter(owner=user)
    elif params.mine is False:
        qs = qs.exclude(owner=user)
    rows = list(qs.order_by("-month", "owner__username", "id")[:PLANS_LISTED])
    rows.sort(key=lambda p: not plans.may_decide(user, p))  # stable: the decisions first
    return offset_page(request, rows, params.limit, params.offset, lambda p: _plan_summary(user, p))


@router.post("/tracking/visit-plans", response={201: VisitPlanOut, **ERRORS}, summary="Open a visit plan",
             description="An account or sales manager's plan for a month (this month or one to come), as a draft; "
                         "`lines` may be given at once. A second plan for the same month is 409.")
def create_visit_plan(request, payload: VisitPlanIn):
    user = request.auth
    prop = property_to_work(user, payload.property, TRACK)
    with transaction.atomic():
        plan = plans.create_plan(user, prop, payload.month)
        if payload.lines:
            plans.set_lines(user, plan, _lines(payload.lines))
    return Status(201, _plan_detail(user, _plan(user, plan.pk)))


@router.get("/tracking/visit-plans/{int:plan_id}", response={200: VisitPlanOut, 404: ErrorOut},
            summary="A visit plan")
def get_visit_plan(request, plan_id: int):
    return _plan_detail(request.auth, _plan(request.auth, plan_id))


@router.put("/tracking/visit-plans/{int:plan_id}", response={200: VisitPlanOut, **ERRORS},
            summary="Replace a plan's lines",
            description="Only its own account manager (403 for others who see it), while it is a draft or "
                        "returned (409 once submitted or approved).")
def update_visit_plan(request, plan_id: int, payload: VisitPlanLinesIn):
    user = request.auth
    plan = plans.set_lines(user, _plan(user, plan_id), _lines(payload.lines))
    return _plan_detail(user, _plan(user, plan.pk))


@router.post("/tracking/visit-plans/{int:plan_id}/submit", response={200: VisitPlanOut, **ERRORS},
             summary="Submit a visit plan",
             description="To the manager. `late` is set when first submitted after the end of the previous month. "
                         "409 unless it is a draft or returned; 422 without lines.")
def submit_visit_plan(request, plan_id: int):
    user = request.auth
    plan = plans.submit_plan(user, _plan(user, plan_id))
    return _plan_detail(user, _plan(user, plan.pk))


@router.post("/tracking/visit-plans/{int:plan_id}/decision", response={200: VisitPlanOut, **ERRORS},
             summary="Approve or return a visit plan",
             description="The owner's sales manager or the general manager of the property (403 otherwise). 409 "
                         "unless it is submitted.")
def decide_visit_plan(request, plan_id: int, payload: VisitPlanDecisionIn):
    user = request.auth
    plan = plans.decide_plan(user, _plan(user, plan_id), payload.approve, payload.note or "")
    return _plan_detail(user, _plan(user, plan.pk))


# ---- visit reports -------------------------------------------------------------------------

class PromiseIn(In):
    promised: str = _text(300, required=True)
    to_whom: str | None = _text(60)
    due_on: Day = Field(description="By when; not before the visit.")


class VisitReportIn(In):
    customer: object_id(Customer) = Field(description="Id of a guest file you see.")
    planned: object_id(PlannedVisit) | None = Field(None, description="A line of your own plan for this guest.")
    visited_on: Day = Field(description="Not in the future (the property's date).")
    purpose: str = _text(200, required=True)
    outcome: str = Field(min_length=1, max_length=2000, description="What came of it (line breaks kept).")
    next_steps: str | None = Field(None, max_length=1000)
    follow_up_outcome: OUTCOME = Field(Outcome.REACHED, description="The follow-up's outcome (logged with channel "
                                                                    "visit).")
    promises: list[PromiseIn] = Field(default_factory=list, max_length=plans.MAX_PROMISES,
                                      description="Each becomes a commitment of yours.")


class ReportCommitmentOut(Schema):
    id: int
    promised: str
    to_whom: str
    due_on: dt.date
    owner: OwnerOut | None
    done_at: dt.datetime | None


class ReportFollowUpOut(Schema):
    id: int
    ordinal: int


class VisitReportOut(Schema):
    id: int
    property_code: str
    customer: FileRef
    owner: OwnerOut
    planned: int | None
    plan: int | None
    visited_on: dt.date
    purpose: str
    outcome: str
    next_steps: str
    submitted_at: dt.datetime
    late: bool = Field(description="Submitted more than two days after the visit.")
    follow_up: ReportFollowUpOut | None
    commitments: list[ReportCommitmentOut]


class ReportListParams(Clean):
    property: str | None = Field(None, max_length=20, pattern=LINE, description="Property code (one of yours).")
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    mine: bool | None = Field(None, description="true: only your own reports.")
    late: bool | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000)


def _report_out(r: VisitReport) -> dict:
    return {"id": r.pk, "property_code": r.property.code, "customer": _file(r.customer), "owner": owner_out(r.owner),
            "planned": r.planned_id, "plan": r.planned.plan_id if r.planned_id else None,
            "visited_on": r.visited_on, "purpose": r.purpose, "outcome": r.outcome, "next_steps": r.next_steps,
            "submitted_at": r.submitted_at, "late": r.late,
            "follow_up": {"id": r.follow_up.pk, "ordinal": r.follow_up.ordinal} if r.follow_up_id else None,
            "commitments": [{"id": c.pk, "promised": c.promised, "to_whom": c.to_whom, "due_on": c.due_on,
                             "owner": owner_out(c.owner), "done_at": c.done_at}
                            for c in r.commitments.select_related("owner").order_by("due_on", "id")]}


def _reports(user):
    return VisitReport.objects.visible_to(user).select_related("property", "customer", "owner", "follow_up",
                                                               "planned")


@router.get("/tracking/visit-reports", response={200: Page[VisitReportOut], **ERRORS}, summary="Visit reports",
            description="The reports of visits to guest files you see, newest first.")
def list_visit_reports(request, params: Query[ReportListParams]):
    user = request.auth
    qs = _reports(user).filter(property__in=listed_properties(user, params.property))
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    if params.mine:
        qs = qs.filter(owner=user)
    if params.late is not None:
        qs = qs.filter(late=params.late)
    return keyset_page(request, qs, REPORT_ORDER, params.limit, params.cursor, _report_out)


@router.post("/tracking/visit-reports", response={201: VisitReportOut, **ERRORS}, summary="Report a visit",
             description="General, sales and account managers of the file's property. Logs a follow-up (channel "
                         "visit) and makes each promise a commitment; `late` when more than two days after the "
                         "visit. A planned line already reported is 409.")
def create_visit_report(request, payload: VisitReportIn):
    user = request.auth
    customer = Customer.objects.visible_to(user).select_related("property").filter(pk=payload.customer).first()
    if customer is None:
        raise field_error("customer", _("Choose a guest file that you can see."))
    report = plans.create_report(
        user, customer, visited_on=payload.visited_on, purpose=payload.purpose, outcome=payload.outcome,
        next_steps=payload.next_steps or "", planned=payload.planned, follow_up_outcome=payload.follow_up_outcome,
        promises=[p.model_dump() | {"to_whom": p.to_whom or ""} for p in payload.promises])
    return Status(201, _report_out(_reports(user).filter(pk=report.pk).first()
                                   or VisitReport.objects.select_related("property", "customer", "owner")
                                   .get(pk=report.pk)))


@router.get("/tracking/visit-reports/{int:report_id}", response={200: VisitReportOut, 404: ErrorOut},
            summary="A visit report")
def get_visit_report(request, report_id: int):
    r = _reports(request.auth).filter(pk=report_id).first() if valid_id(report_id) else None
    if r is None:
        raise not_found()
    return _report_out(r)


# ---- opportunities -------------------------------------------------------------------------

class OpportunityIn(In):
    property: str | None = Field(None, max_length=20, json_schema_extra={"pattern": LINE},
                                 description="Code of a property you work at; left out: the file's or lead's.")
    customer: object_id(Customer) | None = Field(None, description="Id of a guest file you see (or give `lead`).")
    lead: object_id(Lead) | None = Field(None, description="Id of a lead you see.")
    kind: KIND
    title: str = _text(100, required=True)
    stage: OPEN_STAGE = "inquiry"
    amount: _amount[0] = _amount[1]
    probability: Probability | None = Field(None, description="Left out: the stage's default (10, 30, 60).")
    expected_on: Day
    owner: object_id(User) | None = Field(None, description="User id of a member of staff you may make "
                                                                "responsible; null: the pool; left out: you.")


class OpportunityPatch(In):
    kind: KIND | None = None
    title: str | None = _text(100)
    amount: _amount_opt[0] = _amount_opt[1]
    probability: Probability | None = None
    expected_on: Day | None = None
    owner: object_id(User) | None = Field(None, description="User id; null: the pool.")
    visits: list[object_id(Visit)] | None = Field(None, max_length=pipeline.MAX_VISITS,
                                                    description="Won only: ids of the guest's visits (not voided, "
                                                                "seen by you) that realised it.")


class OpportunityStageIn(In):
    stage: STAGE
    probability: Probability | None = Field(None, description="Left out: the stage's default.")
    lost_reason: str | None = _text(200, description="Required for lost.")
    visits: list[object_id(Visit)] | None = Field(None, max_length=pipeline.MAX_VISITS,
                                                    description="For won: the visits that realised it.")
    expect: STAGE | None = Field(None, description="The stage you saw: another is 409.")


class OpportunityOut(Schema):
    id: int
    property_code: str
    title: str
    kind: KIND
    stage: STAGE
    amount: Decimal
    probability: int
    weighted: Decimal = Field(description="amount × probability / 100")
    expected_on: dt.date
    closed_at: dt.datetime | None
    lost_reason: str
    owner: OwnerOut | None
    customer: FileRef | None = Field(description="Null when none, or not a file you see.")
    lead: LeadRef | None = Field(description="Null when none, or not a lead you see.")
    visits: list[int] = Field(description="Linked visits you see (won).")
    created_at: dt.datetime
    can_edit: bool


class OpportunityListParams(Clean):
    property: str | None = Field(None, max_length=20, pattern=LINE, description="Property code (one of yours).")
    stage: STAGE | None = None
    state: Literal["open", "closed", "all"] = "all"
    kind: KIND | None = None
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _opp_context(user, rows) -> dict:
    """What the rows' answers need, in three queries for a whole page: the files and leads the user
    sees (a file may have changed hands) and the visits that realised the won ones."""
    files = {o.customer_id for o in rows if o.customer_id}
    leads = {o.lead_id for o in rows if o.lead_id}
    won = [o.pk for o in rows if o.stage == OpportunityStage.WON]
    visits: dict[int, list[int]] = {o.pk: [] for o in rows}
    if won:
        for opp_id, visit_id in (Visit.objects.visible_to(user).filter(opportunities__in=won)
                                 .order_by("occurred_at", "id").values_list("opportunities", "pk")):
            visits[opp_id].append(visit_id)
    return {"files": set(Customer.objects.visible_to(user).filter(pk__in=files).values_list("pk", flat=True))
            if files else set(),
            "leads": set(Lead.objects.visible_to(user).filter(pk__in=leads).values_list("pk", flat=True))
            if leads else set(),
            "visits": visits, "edits": edits_files(user)}


def _opp_out(user, o: Opportunity, ctx: dict | None = None) -> dict:
    """Its file and lead only when the user sees them (a file may have changed hands)."""
    ctx = ctx or _opp_context(user, [o])
    return {"id": o.pk, "property_code": o.property.code, "title": o.title, "kind": o.kind, "stage": o.stage,
            "amount": o.amount, "probability": o.probability, "weighted": o.weighted, "expected_on": o.expected_on,
            "closed_at": o.closed_at, "lost_reason": o.lost_reason, "owner": owner_out(o.owner),
            "customer": _file(o.customer, ctx["files"]),
            "lead": {"id": o.lead.pk, "name": o.lead.name} if o.lead_id and o.lead_id in ctx["leads"] else None,
            "visits": ctx["visits"].get(o.pk, []), "created_at": o.created_at, "can_edit": ctx["edits"]}


def _opps(user):
    return Opportunity.objects.visible_to(user).select_related("property", "owner", "customer", "lead")


def _opp(user, opp_id: int) -> Opportunity:
    o = _opps(user).filter(pk=opp_id).first() if valid_id(opp_id) else None
    if o is None:
        raise not_found()
    return o


@router.get("/tracking/opportunities", response={200: Page[OpportunityOut], **ERRORS}, summary="Opportunities",
            description="The pipeline you see (the row rule of files), by expected date.")
def list_opportunities(request, params: Query[OpportunityListParams]):
    user = request.auth
    qs = _opps(user).filter(property__in=listed_properties(user, params.property))
    if params.stage:
        qs = qs.filter(stage=params.stage)
    if params.state == "open":
        qs = qs.filter(stage__in=pipeline.OPEN)
    elif params.state == "closed":
        qs = qs.filter(stage__in=pipeline.CLOSED)
    if params.kind:
        qs = qs.filter(kind=params.kind)
    if params.customer is not None:
        qs = qs.filter(customer_id=params.customer)
    if params.owner is not None:
        qs = qs.filter(owner_id=params.owner)
    ctx: dict = {}
    return offset_page(request, qs.order_by("expected_on", "id"), params.limit, params.offset,
                       lambda o: _opp_out(user, o, ctx), prepare=lambda rows: ctx.update(_opp_context(user, rows)))


@router.post("/tracking/opportunities", response={201: OpportunityOut, **ERRORS}, summary="Open an opportunity",
             description="General, sales and account managers of the property, for a guest file or a lead they "
                         "see, at an open stage.")
def create_opportunity(request, payload: OpportunityIn):
    user = request.auth
    data = payload.model_dump(exclude_unset=True)
    code = data.pop("property", None)
    subject_prop = None
    if not code:
        if payload.customer is not None:
            subject_prop = Customer.objects.visible_to(user).filter(pk=payload.customer) \
                .values_list("property_id", flat=True).first()
        elif payload.lead is not None:
            subject_prop = Lead.objects.visible_to(user).filter(pk=payload.lead) \
                .values_list("property_id", flat=True).first()
    prop = chosen_property(user, None, TRACK, pk=subject_prop)[0] if subject_prop else \
        property_to_work(user, code, TRACK)
    data.setdefault("stage", payload.stage)
    o = pipeline.create_opportunity(user, prop, **data)
    return Status(201, _opp_out(user, _opps(user).filter(pk=o.pk).first()
                                or Opportunity.objects.select_related("property", "owner", "customer", "lead")
                                .get(pk=o.pk)))


@router.get("/tracking/opportunities/{int:opp_id}", response={200: OpportunityOut, 404: ErrorOut},
            summary="An opportunity")
def get_opportunity(request, opp_id: int):
    return _opp_out(request.auth, _opp(request.auth, opp_id))


@router.patch("/tracking/opportunities/{int:opp_id}", response={200: OpportunityOut, **ERRORS},
              summary="Change an opportunity",
              description="Fields left out stay. The stage moves through /stage.")
def update_opportunity(request, opp_id: int, payload: OpportunityPatch):
    user = request.auth
    data = payload.model_dump(exclude_unset=True)
    for name in ("kind", "title", "amount", "expected_on"):
        if name in data and data[name] is None:
            raise field_error(name, _("This field cannot be empty."))
    o = pipeline.update_opportunity(user, _opp(user, opp_id), **data)
    return _opp_out(user, _opp(user, o.pk))


@router.post("/tracking/opportunities/{int:opp_id}/stage", response={200: OpportunityOut, **ERRORS},
             summary="Move an opportunity's stage",
             description="The probability becomes the stage's default unless given. Won closes it and may link "
                         "visits; lost needs `lost_reason`; an open stage reopens it. 409 when `expect` is not the "
                         "current stage.")
def move_opportunity_stage(request, opp_id: int, payload: OpportunityStageIn):
    user = request.auth
    o = pipeline.move_stage(user, _opp(user, opp_id), payload.stage, probability=payload.probability,
                            lost_reason=payload.lost_reason or "", visits=payload.visits, expect=payload.expect)
    return _opp_out(user, _opp(user, o.pk))


# ---- the forecast --------------------------------------------------------------------------

class ForecastMonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    open_count: int
    open_amount: Decimal
    weighted: Decimal
    won_count: int
    won_amount: Decimal
    forecast: Decimal = Field(description="weighted + won_amount")


class ForecastTotalsOut(Schema):
    open_count: int
    open_amount: Decimal
    weighted: Decimal
    won_count: int
    won_amount: Decimal
    forecast: Decimal


class ForecastOut(Schema):
    property_code: str
    start: str
    months: list[ForecastMonthOut]
    totals: ForecastTotalsOut
    team_limited: bool = Field(description="Limited to your team's (sales manager) or what you see (account "
                                           "manager).")


class ForecastParams(Clean):
    property: str | None = Field(None, max_length=20, pattern=LINE, description="Property code (one of yours).")
    start: str | None = Field(None, pattern=MONTH, description="First month, YYYY-MM; default last month.")
    months: int = Field(12, ge=1, le=pipeline.FORECAST_MAX_MONTHS)


@router.get("/tracking/forecast", response={200: ForecastOut, **ERRORS}, summary="Weighted forecast",
            description="Per month of the expected date: open opportunities at amount × probability, plus the "
                        "amounts won; lost ones count nowhere. General manager: the property; sales manager: the "
                        "team's; account manager: what they see.")
def opportunity_forecast(request, params: Query[ForecastParams]):
    user = request.auth
    prop = chosen_property(user, params.property, TRACK)[0]
    if params.start:
        start = dt.date.fromisoformat(params.start + "-01")
    else:
        start = (prop.local_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    data = pipeline.forecast(user, [prop], start, params.months)
    for m in data["months"]:
        m["month"] = m["month"].strftime("%Y-%m")
    return {"property_code": prop.code, "start": start.strftime("%Y-%m"), **data}
