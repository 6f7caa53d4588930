"""API: visits and stays of a guest file (R-3.1, R-3.3): list, record, correct, void, history.

Reads start from Visit.objects.visible_to(user) (a visit is visible with its file); writes
go through visits.services, which asks core.permissions: RECORD on the file to enter one,
AMEND on the visit (editors of the file, or whoever recorded it) to correct or void it.
A file or visit the caller may not see is 404; a role that may not do it gets 403; bad
input 422 naming the field; a document number already recorded in the property 409.
"""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, WithJsonSchema

from yingke.api.access import customer_for_write, visible_customer
from yingke.api.errors import field_error, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import ErrorOut, In, OwnerOut, choice, model_fields, object_id, owner_out
from yingke.core import permissions
from yingke.core.models import Outlet, User
from yingke.visits import services
from yingke.visits.history import visit_history
from yingke.visits.models import Visit

router = Router(tags=["visits"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
OFFSET = Query(0, ge=0, le=MAX_OFFSET)

# One line of text (services refuse control characters; tabs and line breaks become spaces).
LINE = r"^[^\u0000-\u0008\u000e-\u001f\u007f-\u009f]*$"


def _money(lo: Decimal, hi: Decimal, description: str, **limits):
    """A JSON number or a decimal string, read by the same parser and rules as the form and
    an import (visits.services.parse_money → core.parsing.parse_decimal, R-3.2)."""
    def check(value):
        if value is None:
            return None
        errors: dict = {}
        number = services.parse_money(value, "value", errors, lo=lo, hi=hi, **limits)
        if errors:
            raise ValueError(errors["value"][0])
        return number

    schema = {"anyOf": [{"type": "number", "minimum": float(lo), "maximum": float(hi)},
                        {"type": "string", "minLength": 1, "maxLength": 40}],
              "description": description + " A number, or a string as staff write it ('1234.50', "
                                           "'￥1,234.50', '1234.5元'); at most two decimals; "
                                           "'1,5' or '12.3.4' is refused, never guessed."}
    return Annotated[Decimal, BeforeValidator(check), WithJsonSchema(schema)]


Amount = _money(-services.MAX_AMOUNT, services.MAX_AMOUNT,
                "Yuan, at most two decimals; a negative amount is a refund.")
Rate = _money(Decimal(0), services.MAX_RATE, "Room rate in yuan, at least 0.")
OCCASION = choice(Visit.Occasion)
_text = model_fields(Visit, ["table_no", "doc_no", "room_type", "channel"], **{
    name: {"pattern": LINE} for name in ("table_no", "doc_no", "room_type", "channel")})


class VisitFields(In):
    occurred_at: dt.datetime | None = Field(
        None, description="Date and time (local time of the property when no offset is given), "
                          "from 2000-01-01 to tomorrow (local time); for a stay it may be left out: "
                          "the departure day at noon.")
    amount: Amount | None = Field(None, description="Yuan, at most two decimals; a negative amount is a refund. "
                                                     "Required for a new visit.")
    outlet: str | None = Field(None, max_length=Outlet._meta.get_field("code").max_length,
                               description="Code of an outlet of the guest's property.",
                               json_schema_extra={"pattern": LINE})
    covers: int | None = Field(None, ge=1, le=9999, description="Number of guests.")
    table_no: _text["table_no"][0] = _text["table_no"][1]
    occasion: OCCASION | None = None
    doc_no: _text["doc_no"][0] = Field(None, max_length=40, description="Source document number: unique in the "
                                                                      "property (a duplicate is 409).",
                                       json_schema_extra={"pattern": LINE})
    served_by: object_id(User) | None = Field(None, description="User id of the member of staff who served.")
    arrival: dt.date | None = Field(None, description="A stay: arrival date (with departure).")
    departure: dt.date | None = Field(None, description="A stay: departure date, not before arrival.")
    room_type: _text["room_type"][0] = _text["room_type"][1]
    rate: Rate | None = None
    channel: _text["channel"][0] = _text["channel"][1]


class VisitCreate(VisitFields):
    """`amount` is required; it is checked after the file is found, so that a file out of
    sight is 404 whatever the body (like every route with a customer id)."""


class VisitVoid(In):
    # Required, but checked after the visit is found: a visit out of sight is 404 whatever the body.
    reason: str | None = Field(None, max_length=200, description="Why the visit is voided (required).",
                               json_schema_extra={"pattern": LINE})


class OutletRef(Schema):
    code: str
    name: str


class VisitOut(Schema):
    id: int
    customer: int
    property: str
    outlet: OutletRef | None
    occurred_at: dt.datetime
    amount: Decimal
    is_refund: bool = Field(description="A negative amount: money given back.")
    covers: int
    table_no: str
    occasion: str
    occasion_label: str
    doc_no: str
    served_by: OwnerOut | None
    is_stay: bool
    arrival: dt.date | None
    departure: dt.date | None
    nights: int | None
    room_type: str
    rate: Decimal | None
    channel: str
    voided: bool = Field(description="Voided visits stay in the history and count nowhere.")
    voided_at: dt.datetime | None
    voided_by: str | None
    void_reason: str
    recorded_by: str | None
    created_at: dt.datetime
    can_amend: bool = Field(description="Whether you may correct or void it.")


class VisitChangeOut(Schema):
    when: dt.datetime
    who: str
    action: str = Field(description="created, changed, deleted, or imported (the first line of a visit "
                                     "written by an import: file, import number, who, when)")
    reason: str
    field: str
    before: str
    after: str


def visit_out(v: Visit, user) -> dict:
    return {
        "id": v.pk, "customer": v.customer_id, "property": v.property.code,
        "outlet": {"code": v.outlet.code, "name": v.outlet.name} if v.outlet else None,
        "occurred_at": v.occurred_at, "amount": v.amount, "is_refund": v.amount < 0, "covers": v.covers,
        "table_no": v.table_no, "occasion": v.occasion, "occasion_label": str(v.get_occasion_display() or ""),
        "doc_no": v.doc_no, "served_by": owner_out(v.served_by), "is_stay": v.is_stay, "arrival": v.arrival,
        "departure": v.departure, "nights": v.nights, "room_type": v.room_type, "rate": v.rate,
        "channel": v.channel, "voided": v.is_void, "voided_at": v.voided_at,
        "voided_by": v.voided_by.label if v.voided_by else None, "void_reason": v.void_reason,
        "recorded_by": v.created_by.label if v.created_by else None, "created_at": v.created_at,
        "can_amend": bool(permissions.amendable(user, [v])),
    }


RELATED = ("property", "outlet", "served_by", "voided_by", "created_by")


def _visible_visit(user, visit_id: int) -> Visit:
    v = Visit.objects.visible_to(user).select_related("customer", *RELATED).filter(pk=visit_id).first()
    if v is None:
        raise not_found()
    return v


def _data(payload, customer) -> dict:
    data = payload.model_dump(exclude_unset=True)
    if "outlet" in data:
        code = (data["outlet"] or "").strip()
        data["outlet"] = None
        if code:
            data["outlet"] = Outlet.objects.filter(property_id=customer.property_id, code=code).first()
            if data["outlet"] is None:
                raise field_error("outlet", _("No outlet with this code in the guest's property."))
    if data.get("served_by") is not None:
        data["served_by"] = User.objects.filter(pk=data["served_by"]).first()
        if data["served_by"] is None:
            raise field_error("served_by", _("Choose a member of staff of this property."))
    for name in ("table_no", "doc_no", "room_type", "channel", "occasion"):
        if name in data and data[name] is None:
            data[name] = ""
    if "covers" in data and data["covers"] is None:
        data["covers"] = 1
    return data


@router.get("/customers/{int:customer_id}/visits", response={200: Page[VisitOut], 404: ErrorOut},
            summary="Visits and stays of a guest file, newest first",
            description="Voided visits are included with `voided: true` (they count nowhere).")
def list_visits(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    user = request.auth
    customer = visible_customer(user, customer_id)
    qs = (Visit.objects.visible_to(user).filter(customer_id=customer.pk).select_related(*RELATED)
          .order_by("-occurred_at", "-id"))
    return offset_page(request, qs, limit, offset, lambda v: visit_out(v, user))


@router.post("/customers/{int:customer_id}/visits", response={201: VisitOut, **ERRORS},
             summary="Record a visit or a stay",
             description="A stay has `arrival` and `departure` (and optionally room type, rate, channel); "
                         "the property is the file's. The file's consumption profile is refreshed.")
def record_visit(request, customer_id: int, payload: VisitCreate):
    user = request.auth
    customer = customer_for_write(user, customer_id)
    visit = services.record_visit(user, customer, **_data(payload, customer))
    return Status(201, visit_out(_visible_visit(user, visit.pk), user))


@router.patch("/visits/{int:visit_id}", response={200: VisitOut, **ERRORS}, summary="Correct a visit",
              description="Only the fields sent change; every change is recorded in the visit's history. "
                          "Editors of the file, or whoever recorded the visit.")
def correct_visit(request, visit_id: int, payload: VisitFields):
    user = request.auth
    visit = _visible_visit(user, visit_id)
    data = _data(payload, visit.customer)
    if "amount" in data and data["amount"] is None:
        raise field_error("amount", _("Enter the amount (a negative amount is a refund)."))
    services.correct_visit(user, visit, **data)
    return visit_out(_visible_visit(user, visit_id), user)


@router.post("/visits/{int:visit_id}/void", response={200: VisitOut, **ERRORS}, summary="Void a visit",
             description="The visit stays in the history with who, when and why, and counts nowhere.")
def void_visit(request, visit_id: int, payload: VisitVoid):
    user = request.auth
    visit = _visible_visit(user, visit_id)
    services.void_visit(user, visit, payload.reason or "")
    return visit_out(_visible_visit(user, visit_id), user)


@router.get("/visits/{int:visit_id}/history", response={200: Page[VisitChangeOut], 404: ErrorOut},
            summary="Change history of a visit, newest first")
def visit_changes(request, visit_id: int, limit: int = LIMIT, offset: int = OFFSET):
    visit = _visible_visit(request.auth, visit_id)
    rows = [dataclasses.asdict(c) for c in visit_history(visit)]
    return offset_page(request, rows, limit, offset, lambda r: r)
