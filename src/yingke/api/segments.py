"""API: customer modules and their targets (R-5.1, R-5.2), the module contribution report,
lost customers and the reasons for loss, the churn report (R-9.1).

Thin adapters over grading.segments and grading.churn, which ask core.permissions:
  * modules and reasons are read by the staff of the property (they choose a file's module
    and a loss's reason); they are changed by who configures it (CONFIGURE), as are targets;
  * the reports need REPORT on the property (a sales manager: their team's customers);
  * losses are read through their files (the row rule); recording the reason needs EDIT on
    the file.
A property or row the caller may not see is 404, a role that may not do it 403, bad input
422 naming the field, valid input the stored state forbids (a code in use) 409.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from yingke.api.errors import field_error
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import ErrorOut, In, OwnerOut, date_range_pattern, model_field, owner_out
from yingke.core import permissions
from yingke.core import services as config_services
from yingke.core.models import Property, User
from yingke.core.permissions import NotVisible
from yingke.core.services import MAX_ID
from yingke.customers.models import Module
from yingke.customers.modules import nature_values, natures_of
from yingke.grading import churn, segments
from yingke.grading.models import Loss, LossReason, ModuleTarget

router = Router(tags=["segments"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
CODE = r"^[A-Za-z0-9_-]{1,20}$"
TEXT = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
OPTIONAL_TEXT = r"^[^\x00-\x1f\x7f-\x9f]*$"
NOTE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
NATURE = Literal.__getitem__(tuple(v for v, _label in nature_values()))
PERIOD = Literal["month", "quarter", "year"]
TARGET_PERIOD = Literal["month", "quarter", "year", "custom"]
STATE = Literal["open", "explained", "won_back"]
# A day from 2000 to 2100: the range in the schema's pattern too, so that the fuzzer knows it.
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra={
    "pattern": date_range_pattern(FIRST_DAY, LAST_DAY)})]


def _whole_number(value):
    if isinstance(value, bool | str):  # JSON true/false or text is not a number (pydantic would coerce it)
        raise ValueError(_("Enter a whole number."))
    return value


Whole = Annotated[int, BeforeValidator(_whole_number)]


def _property(user, code: str | None) -> Property:
    """A property the user works at (or configures), by code; the only one when left out."""
    ids = set(user.property_ids())
    conf = permissions.configurable_property_ids(user)
    qs = Property.objects.all() if conf is None else Property.objects.filter(pk__in=ids | set(conf))
    if code is None:
        props = list(qs.order_by("code")[:2])
        if len(props) != 1:
            raise field_error("property", _("Choose a property (its code)."))
        return props[0]
    prop = qs.filter(code__iexact=code.strip()).first()
    if prop is None:
        raise NotVisible
    return prop


# ---- modules ---------------------------------------------------------------------------

class ModuleOut(Schema):
    id: int
    property: str
    code: str
    name: str
    occasions: str = Field(description="Typical occasions, separated by commas.")
    natures: list[str] = Field(description="Suggested for files of these kinds: \"person\" or an organisation's "
                                           "nature.")
    sort_order: int
    is_active: bool = Field(description="A module out of use is no longer offered; files keep it.")


def _module_out(m: Module) -> dict:
    return {"id": m.pk, "property": m.property.code, "code": m.code, "name": m.name, "occasions": m.occasions,
            "natures": natures_of(m), "sort_order": m.sort_order, "is_active": m.is_active}


class ModuleFields(In):
    code: str = Field(None, pattern=CODE)
    name: str = Field(None, max_length=50, pattern=TEXT)
    occasions: str = Field(None, max_length=200, pattern=OPTIONAL_TEXT)
    natures: list[NATURE] = Field(None, max_length=10)
    sort_order: Whole = Field(None, ge=0, le=999)
    is_active: bool = Field(None, strict=True)


class ModuleIn(ModuleFields):
    property: str = Field(pattern=CODE, description="Property code.")
    code: str = Field(pattern=CODE)
    name: str = Field(max_length=50, pattern=TEXT)


class ModuleFilters(Schema):
    property: str | None = Field(None, pattern=CODE, description="Property code.")
    active: bool | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _data(payload) -> dict:
    data = payload.model_dump(exclude_unset=True)
    for key, value in data.items():
        if value is None:
            raise field_error(key, _("This field is required."))
    return data


@router.get("/modules", response={200: Page[ModuleOut], **READ_ERRORS}, summary="Customer modules",
            description="Modules of the properties you work at, in their order.")
def list_modules(request, filters: Query[ModuleFilters]):
    prop = _property(request.auth, filters.property) if filters.property else None
    qs = segments.readable_modules(request.auth, prop)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return offset_page(request, qs, filters.limit, filters.offset, _module_out)


@router.post("/modules", response={201: ModuleOut, **ERRORS}, summary="Add a customer module",
             description="For who configures the property (general manager, administrator).")
def create_module(request, payload: ModuleIn):
    data = _data(payload)
    prop = config_services.configurable_property(request.auth, code=data.pop("property"))
    module = segments.create_module(request.auth, prop, **data)
    return Status(201, _module_out(segments.configurable_module(request.auth, module.pk)))


@router.patch("/modules/{int:module_id}", response={200: ModuleOut, **ERRORS}, summary="Change a customer module",
              description="Only the fields sent change; `is_active: false` takes it out of use (files keep it).")
def update_module(request, module_id: int, payload: ModuleFields):
    module = segments.configurable_module(request.auth, module_id)
    segments.update_module(request.auth, module, **_data(payload))
    return _module_out(segments.configurable_module(request.auth, module_id))


# ---- targets ---------------------------------------------------------------------------

class TargetOut(Schema):
    id: int
    module: int
    period_start: dt.date
    period_end: dt.date
    customers: int
    visits: int
    amount: Decimal


def _target_out(t: ModuleTarget) -> dict:
    return {"id": t.pk, "module": t.module_id, "period_start": t.period_start, "period_end": t.period_end,
            "customers": t.customers, "visits": t.visits, "amount": t.amount}


_AMOUNT = model_field(ModuleTarget._meta.get_field("amount"), nullable=False, description="Revenue in yuan.")


class TargetFields(In):
    period: TARGET_PERIOD = Field(None, description="month, quarter or year: the whole period containing `start`; "
                                                    "custom: from `start` to `end`.")
    start: Day = None
    end: Day = Field(None, description="Last day (custom periods only).")
    customers: Whole = Field(None, ge=0, le=segments.MAX_COUNT, description="Effective customers.")
    visits: Whole = Field(None, ge=0, le=segments.MAX_COUNT)
    amount: _AMOUNT[0] = _AMOUNT[1]


class TargetIn(TargetFields):
    period: TARGET_PERIOD = "month"
    start: Day


class Paging(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/modules/{int:module_id}/targets", response={200: Page[TargetOut], **READ_ERRORS},
            summary="Targets of a module", description="For who configures the property or reads its reports.")
def list_module_targets(request, module_id: int, paging: Query[Paging]):
    module = segments.readable_module(request.auth, module_id)
    qs = segments.targets_of(request.auth, module)
    return offset_page(request, qs, paging.limit, paging.offset, _target_out)


@router.post("/modules/{int:module_id}/targets", response={201: TargetOut, **ERRORS}, summary="Add a target",
             description="A target may not overlap another target of the module (422 naming it).")
def create_module_target(request, module_id: int, payload: TargetIn):
    module = segments.configurable_module(request.auth, module_id)
    data = _data(payload)
    if data.get("period") != "custom":
        data.pop("end", None)
    return Status(201, _target_out(segments.create_target(request.auth, module, **data)))


@router.patch("/module-targets/{int:target_id}", response={200: TargetOut, **ERRORS}, summary="Change a target",
              description="Only the fields sent change; new dates need `period` (custom: `start` and `end`).")
def update_module_target(request, target_id: int, payload: TargetFields):
    target = segments.configurable_target(request.auth, target_id)
    data = _data(payload)
    if ("start" in data or "end" in data) and "period" not in data:
        data["period"] = "custom"
    if data.get("period") == "custom":
        data.setdefault("start", target.period_start)
        data.setdefault("end", target.period_end)
    return _target_out(segments.update_target(request.auth, target, **data))


# ---- the module contribution report -------------------------------------------------------

class TargetBrief(Schema):
    period_start: dt.date
    period_end: dt.date
    customers: int
    visits: int
    amount: Decimal


class ModuleLineOut(Schema):
    module: int | None = Field(description="Module id; null for customers without a module.")
    code: str
    name: str
    customers: int = Field(description="Effective customers: distinct customers with a visit in the period.")
    visits: int = Field(description="Visits (refunds are not visits; voided visits count nowhere).")
    revenue: Decimal = Field(description="Sum of the amounts, refunds deducted.")
    share: Decimal | None = Field(description="Share of the revenue in %.")
    prev_customers: int
    prev_visits: int
    prev_revenue: Decimal
    prev_share: Decimal | None
    customers_change: int
    customers_change_pct: Decimal | None
    visits_change: int
    visits_change_pct: Decimal | None
    revenue_change: Decimal
    revenue_change_pct: Decimal | None
    target: TargetBrief | None = Field(description="The module's target for exactly this period, if any.")
    target_customers_pct: Decimal | None = None
    target_visits_pct: Decimal | None = None
    target_revenue_pct: Decimal | None = None


class ModuleTotalsOut(Schema):
    customers: int
    visits: int
    revenue: Decimal
    prev_customers: int
    prev_visits: int
    prev_revenue: Decimal
    customers_change: int
    customers_change_pct: Decimal | None
    visits_change: int
    visits_change_pct: Decimal | None
    revenue_change: Decimal
    revenue_change_pct: Decimal | None


class ModuleReportOut(Schema):
    property: str
    period: str
    start: dt.date
    end: dt.date = Field(description="Last day counted (today for a period in progress).")
    period_end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    in_progress: bool
    team_limited: bool = Field(description="Only the caller's team's customers are counted (sales manager).")
    lines: list[ModuleLineOut]
    totals: ModuleTotalsOut


class ModuleReportParams(Schema):
    property: str | None = Field(None, pattern=CODE, description="Property code; may be left out by staff of one "
                                                                 "property.")
    period: PERIOD = "month"
    start: Day | None = Field(None, description="A day in the period (not after today); default: today (the "
                                                "period so far).")


def _report_property(user, code):
    if code is None:
        return churn.report_property(user)
    return churn.report_property(user, code=code)


@router.get("/reports/modules", response={200: ModuleReportOut, **READ_ERRORS}, summary="Module contribution",
            description="Per module: effective customers, visits, revenue, share, change against the previous "
                        "period of the same kind (its first days of the same number while this one is in "
                        "progress), and the module's target for the period.")
def modules_report(request, params: Query[ModuleReportParams]):
    prop = _report_property(request.auth, params.property)
    report = segments.module_report(request.auth, prop, params.period, params.start)
    p = report["period"]
    lines = []
    for line in report["lines"]:
        t = line["target"]
        lines.append({**{k: v for k, v in line.items() if k not in ("module", "target", "module_id")},
                      "module": line["module_id"],
                      "target": None if t is None else {"period_start": t.period_start, "period_end": t.period_end,
                                                        "customers": t.customers, "visits": t.visits,
                                                        "amount": t.amount}})
    return {"property": prop.code, "period": p.kind, "start": p.start, "end": p.end, "period_end": p.natural_end,
            "previous_start": p.previous_start, "previous_end": p.previous_end, "in_progress": p.in_progress,
            "team_limited": report["team_limited"], "lines": lines, "totals": report["totals"]}


# ---- losses ------------------------------------------------------------------------------

class CustomerBrief(Schema):
    id: int
    customer_code: str
    name: str


class NamedOut(Schema):
    id: int
    name: str


class LossOut(Schema):
    id: int
    customer: CustomerBrief
    property: str
    lost_on: dt.date = Field(description="As-of date of the grading run that found the customer D.")
    previous_grade: str
    owner: OwnerOut | None = Field(description="Account manager when the customer was lost.")
    module: NamedOut | None
    state: STATE
    reason: NamedOut | None
    note: str
    explained_by: OwnerOut | None
    explained_at: dt.datetime | None
    won_back_on: dt.date | None
    can_explain: bool


def _loss_out(user):
    def out(loss: Loss) -> dict:
        return {"id": loss.pk, "customer": {"id": loss.customer_id, "customer_code": loss.customer.customer_code,
                                            "name": loss.customer.name},
                "property": loss.property.code, "lost_on": loss.lost_on, "previous_grade": loss.previous_grade,
                "owner": owner_out(loss.owner),
                "module": {"id": loss.module_id, "name": loss.module.name} if loss.module else None,
                "state": churn.state_of(loss),
                "reason": {"id": loss.reason_id, "name": loss.reason.name} if loss.reason else None,
                "note": loss.note, "explained_by": owner_out(loss.explained_by), "explained_at": loss.explained_at,
                "won_back_on": loss.won_back_on, "can_explain": churn.may_explain(user, loss)}
    return out


class LossFilters(Schema):
    property: str | None = Field(None, pattern=CODE, description="Property code.")
    state: STATE | None = Field(None, description="open (to explain), explained, won_back.")
    lost_from: Day | None = None
    lost_to: Day | None = None
    reason: int | None = Field(None, ge=1, le=MAX_ID, description="Reason id.")
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="User id of the account manager at the loss.")
    module: int | None = Field(None, ge=1, le=MAX_ID, description="Module id.")
    no_module: bool | None = Field(None, description="Only losses of customers without a module.")
    customer: int | None = Field(None, ge=1, le=MAX_ID, description="Customer id.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/losses", response={200: Page[LossOut], **READ_ERRORS}, summary="Lost customers",
            description="Losses of the files you may see, newest first.")
def list_losses(request, filters: Query[LossFilters]):
    user = request.auth
    prop = _property(user, filters.property) if filters.property else None
    module = "none" if filters.no_module else filters.module
    qs = churn.filter_losses(
        churn.visible_losses(user), state=filters.state, start=filters.lost_from, end=filters.lost_to,
        reason=filters.reason and LossReason(pk=filters.reason), owner=filters.owner and User(pk=filters.owner),
        module=module and (module if module == "none" else Module(pk=module)), property=prop,
        customer=filters.customer)
    return offset_page(request, qs.order_by("-id"), filters.limit, filters.offset, _loss_out(user))


class ExplainIn(In):
    reason: int = Field(ge=1, le=MAX_ID, description="Id of a reason in use of the loss's property.")
    note: str = Field("", max_length=churn.NOTE_MAX, pattern=NOTE,
                      description="Details; required when the reason is “other”.")


@router.post("/losses/{int:loss_id}/explain", response={200: LossOut, **ERRORS}, summary="Record why a customer "
             "was lost", description="For who may change the file: its account manager, their sales manager, the "
                                     "general manager. Recorded in the loss's history.")
def explain_loss(request, loss_id: int, payload: ExplainIn):
    user = request.auth
    loss = churn.visible_loss(user, loss_id)
    churn.explain_loss(user, loss, payload.reason, payload.note)
    return _loss_out(user)(churn.visible_loss(user, loss_id))


# ---- reasons for loss ---------------------------------------------------------------------

class ReasonOut(Schema):
    id: int
    property: str
    code: str
    name: str
    sort_order: int
    is_active: bool


class ReasonFilters(Paging):
    property: str | None = Field(None, pattern=CODE, description="Property code.")


@router.get("/loss-reasons", response={200: Page[ReasonOut], **READ_ERRORS}, summary="Reasons for loss",
            description="The reasons of the properties you work at, in their order.")
def list_loss_reasons(request, filters: Query[ReasonFilters]):
    user = request.auth
    if not permissions.is_staff(user):
        raise NotVisible
    if filters.property:
        props = [_property(user, filters.property).pk]
    else:
        conf = permissions.configurable_property_ids(user)
        props = None if conf is None else set(user.property_ids()) | set(conf)
    qs = LossReason.objects.select_related("property")
    if props is not None:
        qs = qs.filter(property_id__in=props)
    qs = qs.order_by("property__code", "sort_order", "id")
    return offset_page(request, qs, filters.limit, filters.offset,
                       lambda r: {"id": r.pk, "property": r.property.code, "code": r.code, "name": r.name,
                                  "sort_order": r.sort_order, "is_active": r.is_active})


# ---- the churn report ----------------------------------------------------------------------

class ChurnLineOut(Schema):
    id: int | None = Field(description="Id of the reason, module or account manager; null: none.")
    name: str
    losses: int
    share: float = Field(description="% of the losses of the period.")


class ChurnReportOut(Schema):
    property: str
    start: dt.date
    end: dt.date
    lost: int = Field(description="Customers lost in the period.")
    by_reason: list[ChurnLineOut]
    by_module: list[ChurnLineOut]
    by_owner: list[ChurnLineOut]
    won_back: int = Field(description="Customers won back in the period.")
    won_back_explained: int = Field(description="Of them, how many had a recorded reason.")
    open: int = Field(description="Open losses now.")
    open_unexplained: int
    team_limited: bool


class ChurnParams(Schema):
    property: str | None = Field(None, pattern=CODE, description="Property code.")
    start: Day | None = Field(None, alias="from", description="First as-of date; default: the first of this "
                                                              "month.")
    end: Day | None = Field(None, alias="to", description="Last as-of date, not before `from`; default: today.")


@router.get("/reports/churn", response={200: ChurnReportOut, **READ_ERRORS}, summary="Churn report",
            description="Losses in a period by reason, module and account manager; customers won back.")
def churn_report(request, params: Query[ChurnParams]):
    user = request.auth
    prop = _report_property(user, params.property)
    today = prop.local_today()
    start, end = params.start or today.replace(day=1), params.end or today
    report = churn.churn_report(user, prop, start, end)

    def lines(rows):
        return [{"id": r["key"], "name": str(r["label"]), "losses": r["losses"], "share": round(r["share"], 1)}
                for r in rows]

    return {"property": prop.code, "start": start, "end": end, "lost": report["lost"],
            "by_reason": lines(report["by_reason"]), "by_module": lines(report["by_module"]),
            "by_owner": lines(report["by_owner"]), "won_back": report["won_back"],
            "won_back_explained": report["won_back_explained"], "open": report["open"],
            "open_unexplained": report["open_unexplained"], "team_limited": report["team_limited"]}
