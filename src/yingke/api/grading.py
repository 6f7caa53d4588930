"""API: customer grading (R-4): runs (list, start, read, entries, export), the parameters of a
property, and a customer's grades with the general manager's override.

Thin adapters over grading.services.run_grading, grading.policy and grading.overrides (which
ask core.permissions) and over the same reads as the grading pages (grading.views):
  * runs and parameters: whoever may GRADE the property (GM, administrator) or read its reports
    (REPORT: the sales manager, read-only); other roles 403; a run or property outside the
    caller's is 404.
  * entries and the export: customer rows only through GradeEntry.visible_to (the GM every
    file, the sales manager the team's files and the pool, the administrator none); the export
    needs EXPORT.
  * a customer's grades: any role that sees the file; the override: REGRADE (the GM of the file).
Bad input is a 422 naming the field and changes nothing; removing an override that does not
exist is a 409.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, WithJsonSchema

from yingke.api.access import customer_for_write, visible_customer
from yingke.api.errors import ErrorOut, field_error, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, keyset_page, offset_page
from yingke.api.schemas import In, OwnerOut, owner_out
from yingke.core.export import XLSX_TYPE
from yingke.core.models import Property
from yingke.core.permissions import sees_customers
from yingke.core.services import MAX_ID
from yingke.customers.views.detail import GRADES_SHOWN, grade_override_of
from yingke.grading import overrides, policy
from yingke.grading.forms import EARLIEST
from yingke.grading.models import GradeEntry, GradingRun
from yingke.grading.views import (
    ENTRY_ORDER,
    empty_counts,
    grading_properties,
    limit_counts,
    run_export_response,
    run_share,
    team_counts,
    team_only,
)

router = Router(tags=["grading"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
OFFSET = Query(0, ge=0, le=MAX_OFFSET)
GRADE = Literal["A", "B", "C", "D"]
LINE = r"^[^\u0000-\u0008\u000e-\u001f\u007f-\u009f]*$"
TRIGGER = Literal.__getitem__(tuple(GradingRun.Trigger.values))


class RunOut(Schema):
    id: int
    property: int = Field(description="Property id.")
    property_code: str
    as_of: dt.date = Field(description="Visits up to and including this day (local) count (R-4.1).")
    window_days: int
    a_share: Decimal = Field(description="A share p (%) used by this run.")
    b_share: Decimal = Field(description="B share q (%) of the rest used by this run.")
    trigger: TRIGGER = Field(description="command, web, api or nightly.")
    started_by: OwnerOut | None = Field(description="Null for the command line and the nightly job.")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    customers: int = Field(description="Customers in the snapshot (every customer of the property).")
    effective: int = Field(description="Customers with a visit in the window (A + B + C).")
    a_count: int
    b_count: int
    c_count: int
    d_count: int
    a_percent: float | None = Field(description="A customers as a share of the effective ones (%).")
    visits: int = Field(description="Visits in the window.")
    amount: Decimal = Field(description="Amount in the window (yuan).")
    team_only: bool = Field(False, description="True for a sales manager: every count, the visits and the amount "
                                               "are those of their team's customers, not the property's.")


class EntryCustomer(Schema):
    id: int
    customer_code: str
    name: str


class EntryOut(Schema):
    customer: EntryCustomer
    grade: GRADE
    visits: int = Field(description="f: visits in the window (0 for D).")
    amount: Decimal = Field(description="m: amount in the window (0 for D).")
    standard: Decimal | None = Field(description="s = m / f, rounded half-up to cents; null for D.")
    rank_visits: int | None = Field(description="Rank by visits (1 = first); null for D.")
    rank_amount: int | None = Field(description="Rank by amount (1 = first); null for D.")


class RunStart(In):
    property: int = Field(description="Property id (one you may grade).", ge=1, le=MAX_ID)
    as_of: dt.date | None = Field(None, description="Default: today in the property's time zone; from 2000-01-01 "
                                                    "to today.")


class PolicyChangeOut(Schema):
    when: dt.datetime
    who: str | None = Field(description="User name; null for the system.")
    field: str
    before: str
    after: str


class PolicyOut(Schema):
    property: int
    property_code: str
    window_days: int = Field(description="W: a visit in the last W days (up to the as-of date) makes a customer "
                                         "effective.")
    a_share: Decimal = Field(description="p (%): the share of the effective customers graded A.")
    b_share: Decimal = Field(description="q (%): the share of the other effective customers graded B.")
    nightly: bool = Field(description="Graded by the nightly job.")
    updated_at: dt.datetime
    updated_by: OwnerOut | None
    can_change: bool = Field(description="Whether you may change them.")
    changes: list[PolicyChangeOut] = Field(description="Changes, newest first (the last 30).")


SHARE_TEXT = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"  # the schema's description of a text share


def _share_in(value):
    """A percentage as a JSON number or a decimal text ('20', '12.5'), read by the service's one
    parser (grading.policy.parse_share: range, two decimals, the page's messages)."""
    return None if value is None else policy.parse_share(value)


Share = Annotated[object, BeforeValidator(_share_in), WithJsonSchema({
    "anyOf": [{"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
              {"type": "string", "pattern": SHARE_TEXT}, {"type": "null"}]})]


class PolicyPatch(In):
    window_days: int | None = Field(None, ge=1, le=3660, description="W, 1–3660 days.")
    a_share: Share = Field(None, description="p (%): 0–100, at most two decimals (a number or a text).")
    b_share: Share = Field(None, description="q (%): 0–100, at most two decimals (a number or a text).")
    nightly: bool | None = None


class OverrideOut(Schema):
    grade: GRADE
    reason: str
    set_by: OwnerOut | None
    set_at: dt.datetime


class OverrideChangeOut(Schema):
    when: dt.datetime
    who: str | None
    action: Literal["set", "changed", "removed"]
    grade: GRADE
    reason: str


class GradeHistoryOut(Schema):
    run: int
    as_of: dt.date
    grade: GRADE
    visits: int
    amount: Decimal
    standard: Decimal | None
    rank_visits: int | None
    rank_amount: int | None


class CustomerGradesOut(Schema):
    customer: int
    grade: Literal["A", "B", "C", "D", ""] = Field(description="In force: the override when there is one, else "
                                                              "the last run's; '' before the first run.")
    grade_computed: Literal["A", "B", "C", "D", ""] = Field(description="The last run's grade.")
    override: OverrideOut | None = Field(description="The general manager's grade, or null.")
    history: list[GradeHistoryOut] = Field(description=f"The last {GRADES_SHOWN} runs' entries, newest first.")
    override_history: list[OverrideChangeOut] = Field(description="Every set, change and removal, newest first.")
    can_override: bool = Field(description="Whether you may set or remove the override.")


class OverrideIn(In):
    # Required, but checked after the file is found: a file out of sight is 404 whatever the body.
    grade: str | None = Field(None, max_length=1, description="A, B, C or D (required).",
                              json_schema_extra={"pattern": "^[ABCDabcd]?$"})
    reason: str | None = Field(None, max_length=200, description="Why (required, one line, at most 200 characters).",
                               json_schema_extra={"pattern": LINE})


# ---- runs -------------------------------------------------------------------------------------

def _props(user) -> list[Property]:
    props = grading_properties(user)
    if not props:
        raise PermissionDenied(_("Your role may not look at customer grading."))
    return props


def _run(user, run_id: int) -> GradingRun:
    run = GradingRun.objects.select_related("property", "created_by").filter(
        pk=run_id, property__in=_props(user)).first()
    if run is None:
        raise not_found()
    return run


def run_out(r: GradingRun) -> dict:
    """A run as the API shows it; its counts as they are on the object (limit_counts first for a
    reader limited to a team)."""
    share = run_share(r)
    return {
        "id": r.pk, "property": r.property_id, "property_code": r.property.code, "as_of": r.as_of,
        "window_days": r.window_days, "a_share": r.a_share, "b_share": r.b_share, "trigger": r.trigger,
        "started_by": owner_out(r.created_by), "started_at": r.started_at, "finished_at": r.finished_at,
        "customers": r.customers, "effective": r.effective, "a_count": r.a_count, "b_count": r.b_count,
        "c_count": r.c_count, "d_count": r.d_count, "a_percent": float(share) if share else None,
        "visits": r.visits, "amount": r.amount, "team_only": getattr(r, "team_only", False),
    }


@router.get("/grading/runs", response={200: Page[RunOut], 403: ErrorOut}, summary="Grading runs",
            description="Runs of the properties whose grading you may see, newest as-of date first.")
def list_grading_runs(request, property: int | None = Query(None, ge=1, le=MAX_ID, description="Property id."),
                      limit: int = LIMIT, offset: int = OFFSET):
    props = _props(request.auth)
    ids = [p.pk for p in props]
    if property is not None:
        ids = [i for i in ids if i == property]
    runs = (GradingRun.objects.filter(property_id__in=ids).select_related("property", "created_by")
            .order_by("-as_of", "-id"))
    user = request.auth
    limited_ids = [p.pk for p in props if p.pk in ids and team_only(user, p)]
    counts: dict = {}
    if limited_ids:  # one aggregate query for the page's runs of the properties read as a team
        counts = team_counts(user, runs.values("pk")[offset: offset + limit])

    def serialize(r):
        if r.property_id in limited_ids:
            r.team_only = True
            for key, value in counts.get(r.pk, empty_counts()).items():
                setattr(r, key, value)
        return run_out(r)

    return offset_page(request, runs, limit, offset, serialize)


@router.post("/grading/runs", response={201: RunOut, **ERRORS}, summary="Grade a property now",
             description="Grades every customer of the property as of the date and stores the snapshot (R-4.6); "
                         "synchronous (seconds). A grade set by hand stays in force. The general manager or the "
                         "administrator of the property.")
def start_grading_run(request, payload: RunStart):
    from yingke.grading.services import run_grading

    user = request.auth
    props = {p.pk: p for p in _props(user)}
    prop = props.get(payload.property)
    if prop is None:
        raise field_error("property", _("Choose a property whose customers you may grade."))
    today = prop.local_today()
    if payload.as_of is not None and not EARLIEST <= payload.as_of <= today:
        raise field_error("as_of", _("Choose a day from %(first)s to today.") % {"first": EARLIEST.isoformat()})
    run = run_grading(user, prop, as_of=payload.as_of, trigger=GradingRun.Trigger.API)
    return Status(201, run_out(limit_counts(user, [_run(user, run.pk)])[0]))


@router.get("/grading/runs/{int:run_id}", response={200: RunOut, 403: ErrorOut, 404: ErrorOut},
            summary="A grading run", description="Its parameters and counts; the administrator sees these, "
                                                 "not the customers.")
def get_grading_run(request, run_id: int):
    return run_out(limit_counts(request.auth, [_run(request.auth, run_id)])[0])


def entry_out(e: GradeEntry) -> dict:
    c = e.customer
    return {"customer": {"id": c.pk, "customer_code": c.customer_code, "name": c.name}, "grade": e.grade,
            "visits": e.visits, "amount": e.amount, "standard": e.standard, "rank_visits": e.rank_visits,
            "rank_amount": e.rank_amount}


@router.get("/grading/runs/{int:run_id}/entries", response={200: Page[EntryOut], 403: ErrorOut, 404: ErrorOut,
                                                             422: ErrorOut},
            summary="Customers of a grading run",
            description="The snapshot's entries of the customers you may see, in the export's order (A by the "
                        "R-4.4 key, B and C by the R-4.5 key, then D). Follow `next` (a keyset cursor).")
def list_grade_entries(request, run_id: int, grade: GRADE | None = None, limit: int = LIMIT,
                       cursor: str | None = Query(None, max_length=1000, description="The `next` link's cursor.")):
    user = request.auth
    run = _run(user, run_id)
    qs = GradeEntry.objects.visible_to(user).filter(run=run).select_related("customer")
    if grade:
        qs = qs.filter(grade=grade)
    return keyset_page(request, qs, ENTRY_ORDER, limit, cursor, entry_out)


EXPORT_RESPONSES = {200: {"description": "The snapshot: customer_code, name, grade, visits, amount, standard, "
                                         "rank_visits, rank_amount (the customers you may see).",
                          "content": {"text/csv": {"schema": {"type": "string"}},
                                      XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/grading/runs/{int:run_id}/export", response={403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
            summary="Export a grading run", openapi_extra={"responses": EXPORT_RESPONSES},
            description="CSV (UTF-8) or XLSX with exactly the columns customer_code, name, grade, visits, amount, "
                        "standard, rank_visits, rank_amount; for D: visits 0, amount 0.00, the rest empty. The "
                        "same file as the page's and the command line's; audited.")
def export_grading_run(request, run_id: int, format: Literal["csv", "xlsx"] = "csv",
                       grade: GRADE | None = None):
    user = request.auth
    run = _run(user, run_id)
    if not sees_customers(user):
        raise PermissionDenied(_("Your role may not export customer data."))
    return run_export_response(user, run, format, grade or "")


# ---- parameters ---------------------------------------------------------------------------------

def _policy_prop(user, property_id: int) -> Property:
    prop = next((p for p in _props(user) if p.pk == property_id), None)
    if prop is None:
        raise not_found()
    return prop


def policy_out(user, prop) -> dict:
    from yingke.core.permissions import GRADE, can

    pol = policy.policy_of(prop)
    changes = [{"when": c["when"], "who": c["who"].username if c["who"] else None, "field": field_name,
                "before": str(old), "after": str(new)}
               for c in policy.policy_changes(pol) for field_name, old, new in c["fields"]]
    return {"property": prop.pk, "property_code": prop.code, "window_days": pol.window_days,
            "a_share": pol.a_share, "b_share": pol.b_share, "nightly": pol.nightly, "updated_at": pol.updated_at,
            "updated_by": owner_out(pol.updated_by), "can_change": can(user, GRADE, prop), "changes": changes}


@router.get("/grading/policies/{int:property_id}", response={200: PolicyOut, 403: ErrorOut, 404: ErrorOut},
            summary="Grading parameters of a property", description="W, p, q, nightly and their changes.")
def get_grading_policy(request, property_id: int):
    return policy_out(request.auth, _policy_prop(request.auth, property_id))


@router.patch("/grading/policies/{int:property_id}", response={200: PolicyOut, **ERRORS},
              summary="Change the grading parameters",
              description="Only the fields sent change (null: unchanged); each change is recorded with who and when. They apply "
                          "from the next run. The general manager or the administrator of the property.")
def update_grading_policy(request, property_id: int, payload: PolicyPatch):
    user = request.auth
    prop = _policy_prop(user, property_id)
    pol = policy.policy_of(prop)
    data = {"window_days": pol.window_days, "a_share": pol.a_share, "b_share": pol.b_share, "nightly": pol.nightly}
    for key, value in payload.model_dump(exclude_unset=True).items():
        if value is not None:  # null: unchanged
            data[key] = value
    policy.update_policy(user, prop, **data)
    return policy_out(user, prop)


# ---- a customer's grades and the override -------------------------------------------------------------

ACTIONS = {"+": "set", "~": "changed", "-": "removed"}


def grades_out(user, c) -> dict:
    from yingke.core.permissions import REGRADE, can

    o = grade_override_of(c)
    entries = c.grade_entries.select_related("run").order_by("-run__as_of", "-run_id")[:GRADES_SHOWN]
    return {
        "customer": c.pk, "grade": c.grade, "grade_computed": c.grade_computed,
        "override": {"grade": o.grade, "reason": o.reason, "set_by": owner_out(o.created_by),
                     "set_at": o.created_at} if o else None,
        "history": [{"run": e.run_id, "as_of": e.run.as_of, "grade": e.grade, "visits": e.visits, "amount": e.amount,
                     "standard": e.standard, "rank_visits": e.rank_visits, "rank_amount": e.rank_amount}
                    for e in entries],
        "override_history": [{"when": h.history_date, "who": h.history_user.username if h.history_user else None,
                              "action": ACTIONS[h.history_type], "grade": h.grade, "reason": h.reason}
                             for h in overrides.override_history(c)],
        "can_override": can(user, REGRADE, c),
    }


def _reread(user, pk):
    from yingke.customers.models import Customer

    c = (Customer.objects.visible_to(user).select_related("property", "owner", "grade_override__created_by")
         .filter(pk=pk).first())
    if c is None:
        raise not_found()
    return c


@router.get("/customers/{int:customer_id}/grades", response={200: CustomerGradesOut, 404: ErrorOut},
            summary="A customer's grades",
            description="The grade in force, the computed grade, the general manager's override and their history, "
                        "and the grade of each of the last runs (R-4.6).")
def customer_grades(request, customer_id: int):
    user = request.auth
    c = visible_customer(user, customer_id)
    return grades_out(user, _reread(user, c.pk))


@router.put("/customers/{int:customer_id}/grade-override", response={200: CustomerGradesOut, **ERRORS},
            summary="Set a customer's grade by hand",
            description="The general manager of the file: the grade stays in force at later runs until removed; "
                        "the reason is recorded with who and when.")
def set_grade_override(request, customer_id: int, payload: OverrideIn):
    user = request.auth
    c = customer_for_write(user, customer_id)
    overrides.set_override(user, c, payload.grade, payload.reason)
    return grades_out(user, _reread(user, c.pk))


@router.delete("/customers/{int:customer_id}/grade-override", response={200: CustomerGradesOut, **ERRORS},
               summary="Remove a customer's grade set by hand",
               description="The computed grade (the last run's) is in force again; `reason` is required and "
                           "recorded. 409 when the grade is not set by hand.")
def remove_grade_override(request, customer_id: int,
                          reason: str | None = Query(None, max_length=200, pattern=LINE,
                                                     description="Why (required).")):
    user = request.auth
    c = customer_for_write(user, customer_id)
    overrides.remove_override(user, c, reason)
    return grades_out(user, _reread(user, c.pk))
