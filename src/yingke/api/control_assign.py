"""API: assignment rules (R-6.2): a property's rules, the staff settings, the queue of files
waiting for the sales manager, bulk assignment and a file's assignment history.

Thin adapters over control.assignment (which asks core.permissions):
  * rules: read by the general manager, administrators and the account and sales managers of
    the property; changed by whoever may CONFIGURE it. A property outside yours is 404.
  * staff settings: the rows you may CONTROL (yourself, your team; the GM every member);
    changed with TARGET on the member (403 otherwise).
  * queue: the sales and general managers of the property.
  * bulk assign: every file visible and editable, `require_assign` for the owner; all or nothing
    (422 naming how many could not be assigned and why; 409 when a file changed hands meanwhile).
    A reason is required to release files and to take pool files for oneself.
  * history: any role that sees the file (row_rule).
"""

import datetime as dt
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from yingke.api.access import visible_customer
from yingke.api.errors import ErrorOut, field_error, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import In, OwnerOut, owner_out
from yingke.control import assignment
from yingke.control.models import Assignment, StaffSetting
from yingke.control.views_assign import _may_read, _props
from yingke.core.permissions import CONFIGURE, can, pick_property
from yingke.core.services import MAX_ID

router = Router(tags=["assignment"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
OFFSET = Query(0, ge=0, le=MAX_OFFSET)
RULE = Literal["creator", "area", "new_staff", "balance"]
ANY_RULE = Literal.__getitem__(tuple(Assignment.Rule.values))
CODE = Query(..., max_length=20, description="Property code.")


def _prop(user, code: str, check=_may_read, denied=None):
    return pick_property(user, _props(user, check), code, denied or _("Your role may not look at the assignment rules."))


# ---- the rules ---------------------------------------------------------------------------------

class AssignmentPolicyChangeOut(Schema):
    when: dt.datetime
    who: str | None = Field(description="User name; null for the system.")
    changes: list[list[str]] = Field(description="[field, before, after] per changed field.")


class AssignmentPolicyOut(Schema):
    property: int
    property_code: str
    order: list[RULE] = Field(description="The rules in the order they are tried; then the queue.")
    new_staff_months: int = Field(description="Members who started within these months count as new staff.")
    new_staff_share: int = Field(description="% of the files decided by a rule this month given to new staff.")
    can_change: bool = Field(description="Whether you may change them (CONFIGURE).")
    changes: list[AssignmentPolicyChangeOut] = Field(description="Changes, newest first (the last 30).")


class AssignmentPolicyPatch(In):
    order: list[RULE] | None = Field(None, min_length=4, max_length=4,
                                     description="Each of the four rules exactly once.")
    new_staff_months: int | None = Field(None, ge=0, le=assignment.MAX_MONTHS)
    new_staff_share: int | None = Field(None, ge=0, le=100)


def policy_out(user, prop) -> dict:
    pol = assignment.policy_of(prop)
    return {"property": prop.pk, "property_code": prop.code, "order": list(pol.order),
            "new_staff_months": pol.new_staff_months, "new_staff_share": pol.new_staff_share,
            "can_change": can(user, CONFIGURE, prop),
            "changes": [{"when": c["when"], "who": c["who"].username if c["who"] else None,
                         "changes": [list(x) for x in c["changes"]]} for c in assignment.policy_changes(pol)]}


@router.get("/assignment-policies/{property_code}", response={200: AssignmentPolicyOut, 403: ErrorOut,
                                                              404: ErrorOut},
            summary="Assignment rules of a property")
def get_assignment_policy(request, property_code: str):
    return policy_out(request.auth, _prop(request.auth, property_code))


@router.patch("/assignment-policies/{property_code}", response={200: AssignmentPolicyOut, **ERRORS},
              summary="Change the assignment rules",
              description="Whoever may configure the property (general manager, administrator). Omitted fields "
                          "stay as they are; each change is recorded.")
def update_assignment_policy(request, property_code: str, payload: AssignmentPolicyPatch):
    user = request.auth
    prop = _prop(user, property_code)
    assignment.update_policy(user, prop, **payload.model_dump(exclude_none=True))
    return policy_out(user, prop)


# ---- staff settings ---------------------------------------------------------------------------------

class StaffSettingOut(Schema):
    id: int
    property_code: str
    user: OwnerOut
    role: str
    areas: str = Field(description="Areas, separated by commas or 、.")
    capacity: int | None = Field(description="Files the member may own at most; null: no cap.")
    weight: int = Field(description="Share of the balanced files (0: none).")
    started_on: dt.date | None = Field(description="Null: the day they joined.")
    daily_target: int = Field(description="New prospects a day (R-7.2).")
    can_change: bool


class StaffSettingPatch(In):
    areas: str | None = Field(None, max_length=200)
    capacity: int | None = Field(None, ge=0, le=assignment.MAX_CAP, description="Null: no cap.")
    weight: int | None = Field(None, ge=0, le=100)
    started_on: dt.date | None = None
    daily_target: int | None = Field(None, ge=0, le=100)


def setting_out(s: StaffSetting, prop) -> dict:
    return {"id": s.pk, "property_code": prop.code, "user": owner_out(s.user), "role": s.user.role,
            "areas": s.areas, "capacity": s.capacity, "weight": s.weight, "started_on": s.started_on,
            "daily_target": s.daily_target, "can_change": getattr(s, "may_change", False)}


@router.get("/staff-settings", response={200: Page[StaffSettingOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="Staff settings of a property",
            description="Areas, capacity, weight, start and daily development target of the members you may read "
                        "(yourself, your team; the general manager every member).")
def list_staff_settings(request, property: str = CODE, limit: int = LIMIT, offset: int = OFFSET):
    user = request.auth
    prop = _prop(user, property)
    rows = assignment.settings_for(user, prop)
    return offset_page(request, rows, limit, offset, lambda s: setting_out(s, prop))


@router.patch("/staff-settings/{int:setting_id}", response={200: StaffSettingOut, **ERRORS},
              summary="Change a member's staff settings",
              description="Their sales manager or the general manager (TARGET). Omitted fields stay as they are; "
                          "`capacity: null` removes the cap.")
def update_staff_setting(request, setting_id: int, payload: StaffSettingPatch):
    user = request.auth
    if setting_id > MAX_ID:
        raise not_found()
    row = StaffSetting.objects.select_related("property").filter(pk=setting_id).first()
    if row is None or row.property_id not in user.property_ids():
        raise not_found()
    s = next((r for r in assignment.settings_for(user, row.property) if r.pk == setting_id), None)
    if s is None:
        raise not_found()
    data = payload.model_dump(exclude_unset=True)
    for key in ("weight", "daily_target"):
        if key in data and data[key] is None:
            raise field_error(key, _("This field may not be null."))
    assignment.update_setting(user, s, **data)
    s = next(r for r in assignment.settings_for(user, row.property) if r.pk == setting_id)
    return setting_out(s, row.property)


# ---- the queue -----------------------------------------------------------------------------------------

class QueueOut(Schema):
    customer: int
    customer_code: str
    name: str
    area: str
    reason: str
    since: dt.datetime


@router.get("/assignment-queue", response={200: Page[QueueOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="Files waiting for an account manager",
            description="Files no assignment rule could place, oldest first: the sales and general managers of the "
                        "property.")
def assignment_queue(request, property: str = CODE, limit: int = LIMIT, offset: int = OFFSET):
    user = request.auth
    prop = _prop(user, property, assignment.may_manage_queue,
                 _("Only the sales manager or the general manager handles the files waiting for an account manager."))
    return offset_page(request, assignment.queue(user, prop), limit, offset, lambda r: {
        "customer": r.customer_id, "customer_code": r.customer.customer_code, "name": r.customer.name,
        "area": r.customer.area, "reason": r.reason, "since": r.created_at})


# ---- bulk assign and the history of a file ----------------------------------------------------------

class BulkAssignIn(In):
    ids: list[int] = Field(min_length=1, max_length=assignment.MAX_BULK, description="Customer ids.")
    owner: int | None = Field(description="The new account manager's id; null: the shared pool.", ge=1, le=MAX_ID)
    reason: str = Field("", max_length=300, description="Required to release files (`owner` null) and to take files "
                                                          "of the shared pool for yourself (a claim).")


class BulkAssignOut(Schema):
    moved: int = Field(description="Files that changed hands (files already theirs are left alone).")
    ids: list[int]


@router.post("/customers/assign", response={200: BulkAssignOut, **ERRORS}, summary="Assign files in bulk",
             description="Every file or none: each must be one you may change, and the owner one you may assign "
                         "(`null` puts them back into the pool, with a reason). Recorded with the rule `bulk` "
                         "(`release`). 409 when a file changed account manager while this request ran: nothing "
                         "moved.")
def assign_customers(request, payload: BulkAssignIn):
    from django.contrib.auth import get_user_model

    user = request.auth
    owner = None
    if payload.owner is not None:
        owner = get_user_model().objects.filter(pk=payload.owner).first()
        if owner is None:
            raise field_error("owner", _("Choose an account manager from the list."))
    if any(not 0 < i <= MAX_ID for i in payload.ids):
        raise field_error("ids", _("Choose at least one file."))
    moved = assignment.bulk_assign(user, payload.ids, owner, payload.reason)
    return {"moved": len(moved), "ids": moved}


class AssignmentOut(Schema):
    id: int
    when: dt.datetime
    rule: ANY_RULE
    rule_label: str
    owner: OwnerOut | None = Field(description="Null: the shared pool (or the queue).")
    previous_owner: OwnerOut | None
    by: OwnerOut | None = Field(description="Null: a job or the command line.")
    reason: str
    handover: int | None


@router.get("/customers/{int:customer_id}/assignments", response={200: Page[AssignmentOut], 404: ErrorOut,
                                                                   422: ErrorOut},
            summary="Assignment history of a file", description="Newest first; whoever sees the file.")
def customer_assignments(request, customer_id: int, limit: int = LIMIT, offset: int = OFFSET):
    if customer_id > MAX_ID:
        raise not_found()
    c = visible_customer(request.auth, customer_id)
    rows = (Assignment.objects.filter(customer_id=c.pk).select_related("owner", "previous_owner", "actor")
            .order_by("-created_at", "-pk"))
    return offset_page(request, rows, limit, offset, lambda a: {
        "id": a.pk, "when": a.created_at, "rule": a.rule, "rule_label": str(a.get_rule_display()),
        "owner": owner_out(a.owner), "previous_owner": owner_out(a.previous_owner), "by": owner_out(a.actor),
        "reason": a.reason, "handover": a.handover_id})
