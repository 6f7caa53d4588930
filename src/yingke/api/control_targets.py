"""API: position targets (R-6.3) and the target node analysis (R-6.5).

Thin adapters over control.targets and control.nodes (which ask core.permissions):
  * GET /targets and /target-nodes: the members the caller reads (CONTROL or TARGET: the
    general manager every account and sales manager of the property, a sales manager
    themselves and their team, an account manager themselves); other roles 403; a property
    that is not the caller's 404. `start` may be any day of the period (its period is read).
  * PUT /targets/{user_id}/{kind}/{start}: set (replace) a member's targets — TARGET (their
    sales manager or the general manager); a member the caller does not read is 404, one
    they read but may not set 403; `start` must be the period's first day (422 otherwise).
    Each metric is optional (null: no target).
"""

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema
from pydantic import StrictInt

from yingke.api.errors import ErrorOut
from yingke.api.schemas import In
from yingke.control import nodes, targets
from yingke.control.targets import METRICS

router = Router(tags=["control"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class PeriodQuery(Schema):
    property: str | None = Field(None, max_length=20, description="Property code; default: your first property.")
    kind: str = Field("month", max_length=10, description="month or week.")
    start: str | None = Field(None, max_length=20, description="Any day of the period (YYYY-MM-DD); default: "
                                                               "the current period.")


class Metrics(Schema):
    effective: int | None = None
    a_customers: int | None = None
    visits: int | None = None
    revenue: Decimal | None = None
    new_customers: int | None = None
    follow_ups: int | None = Field(None, description="Actual: null until follow-ups are tracked.")


class Achieved(Schema):
    effective: Decimal | None = None
    a_customers: Decimal | None = None
    visits: Decimal | None = None
    revenue: Decimal | None = None
    new_customers: Decimal | None = None
    follow_ups: Decimal | None = None


class Behind(Schema):
    effective: bool = False
    a_customers: bool = False
    visits: bool = False
    revenue: bool = False
    new_customers: bool = False
    follow_ups: bool = False


class TargetMemberOut(Schema):
    id: int
    username: str
    name: str
    role: str


class LineOut(Schema):
    kind: str = Field(description="member, team or property.")
    label: str
    member: TargetMemberOut | None = Field(None, description="The member of a member line; the sales manager of a team.")
    may_set: bool = Field(False, description="Whether you may set this member's targets.")
    target: Metrics
    actual: Metrics
    achieved: Achieved = Field(description="Actual ÷ target in %; null without a positive target.")


class TargetsOut(Schema):
    property: str
    kind: str
    start: dt.date
    end: dt.date
    elapsed: Decimal | None = Field(description="Time elapsed in % (local days gone by ÷ days in the period).")
    lines: list[LineOut]
    teams: list[LineOut]
    total: LineOut | None = Field(description="The property; only for a reader of every member.")


class PositionTargetIn(In):
    # Strict: JSON true/false, "5" or 5.0 is not a count (pydantic would coerce it).
    effective: StrictInt | None = Field(None, ge=0, le=targets.MAX_COUNT)
    a_customers: StrictInt | None = Field(None, ge=0, le=targets.MAX_COUNT)
    visits: StrictInt | None = Field(None, ge=0, le=targets.MAX_COUNT)
    revenue: Decimal | None = Field(None, ge=0, le=targets.MAX_REVENUE, description="Yuan, two decimals at most.")
    new_customers: StrictInt | None = Field(None, ge=0, le=targets.MAX_COUNT)
    follow_ups: StrictInt | None = Field(None, ge=0, le=targets.MAX_COUNT)


class PositionTargetOut(Schema):
    property: str
    user: int
    kind: str
    start: dt.date
    end: dt.date
    target: Metrics
    set_by: int | None
    updated_at: dt.datetime


class KeptOut(Schema):
    start: int | None
    end: int | None
    kept: int | None
    lost: int | None
    gained: int | None
    change: int | None


class PlanOut(Schema):
    due: int
    matched: int
    share: Decimal | None


class ValueOut(Schema):
    revenue: Decimal | None
    effective: int | None
    value: Decimal | None = Field(description="Revenue per effective customer.")
    prev_revenue: Decimal | None
    prev_effective: int | None
    prev_value: Decimal | None
    change: Decimal | None = Field(description="Change of the revenue per effective customer in %.")


class IncentivesOut(Schema):
    kept: KeptOut = Field(description="1. Effective customers kept and grown.")
    plan: PlanOut = Field(description="2. Customer behaviour matching the plan.")
    value: ValueOut = Field(description="3. Mutual value.")


class NodeLineOut(LineOut):
    behind: Behind = Field(description="Achieved % below time elapsed %.")
    incentives: IncentivesOut


class ModuleFigures(Schema):
    customers: Decimal | None = None
    visits: Decimal | None = None
    revenue: Decimal | None = None


class NodeModuleOut(Schema):
    module: int | None
    code: str
    name: str
    target: ModuleFigures
    actual: ModuleFigures
    achieved: ModuleFigures
    behind: dict[str, bool]


class NodesOut(Schema):
    property: str
    kind: str
    start: dt.date
    end: dt.date
    elapsed: Decimal | None
    elapsed_days: int
    days: int
    start_snapshot: dt.date | None = Field(description="The grading snapshot of the start (incentive point 1).")
    previous_start: dt.date = Field(description="The previous period (incentive point 3).")
    previous_days: int | None = Field(description="Days of the previous period compared (a period in progress).")
    lines: list[NodeLineOut]
    teams: list[NodeLineOut]
    total: NodeLineOut | None
    modules: list[NodeModuleOut] | None = Field(description="Null for a reader of no reports (REPORT).")


def _member(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": targets.member_name(user), "role": user.role}


def _line(row: dict, nodes_view: bool = False) -> dict:
    out = {"kind": row["kind"], "label": str(row["label"]), "member": _member(row.get("member") or row.get("manager")),
           "may_set": row.get("may_set", False), "target": row["target"], "actual": row["actual"],
           "achieved": row["achieved"]}
    if nodes_view:
        out["behind"] = row["behind"]
        out["incentives"] = row["incentives"]
    return out


def _period(prop, q: PeriodQuery):
    if not q.start:
        return targets.current_period(prop, targets._check_kind(q.kind))
    return targets.make_period(prop, q.kind, q.start, normalise=True)


@router.get("/targets", response={200: TargetsOut, **ERRORS}, summary="Position targets of a period",
            description="Targets, actuals and achieved % per member you read, per team and for the property.")
def list_targets(request, q: Query[PeriodQuery]):
    prop, _props = targets.property_for(request.auth, q.property)
    period = _period(prop, q)
    data = targets.target_table(request.auth, prop, period)
    return {"property": prop.code, "kind": period.kind, "start": period.start, "end": period.end,
            "elapsed": data["elapsed"], "lines": [_line(x) for x in data["lines"]],
            "teams": [_line(x) for x in data["teams"]], "total": _line(data["total"]) if data["total"] else None}


@router.put("/targets/{int:user_id}/{kind}/{start}", response={200: PositionTargetOut, **ERRORS},
            summary="Set a member's targets of a period",
            description="Replaces the six targets (null or left out: no target). `start`: the first of the month "
                        "or the Monday of the week.")
def put_targets(request, user_id: int, kind: str, start: str, payload: PositionTargetIn,
                property: str | None = Query(None, max_length=20)):
    prop, _props = targets.property_for(request.auth, property)
    member = targets.member_for(request.auth, prop, user_id, write=True)
    row = targets.set_targets(request.auth, prop, member, kind, start, payload.model_dump())
    period = targets.TargetPeriod(row.kind, row.start)
    return {"property": prop.code, "user": member.pk, "kind": row.kind, "start": row.start, "end": period.end,
            "target": {m: getattr(row, m) for m in METRICS}, "set_by": row.set_by_id, "updated_at": row.updated_at}


@router.get("/target-nodes", response={200: NodesOut, **ERRORS}, summary="Target node analysis of a period",
            description="Actual against target per member, team and module with time elapsed % against achieved "
                        "%, and the three incentive points (control.nodes).")
def target_nodes(request, q: Query[PeriodQuery]):
    prop, _props = targets.property_for(request.auth, q.property)
    period = _period(prop, q)
    data = nodes.node_analysis(request.auth, prop, period)
    modules = None
    if data["modules"] is not None:
        modules = [{"module": x["module_id"], "code": x["code"], "name": str(x["name"]), "target": x["target"],
                    "actual": x["actual"], "achieved": x["achieved"], "behind": x["behind"]} for x in data["modules"]]
    return {"property": prop.code, "kind": period.kind, "start": period.start, "end": period.end,
            "elapsed": data["elapsed"], "elapsed_days": data["elapsed_days"], "days": period.days,
            "start_snapshot": data["start_run"].as_of if data["start_run"] else None,
            "previous_start": data["previous"].start, "previous_days": data["previous_days"],
            "lines": [_line(x, True) for x in data["lines"]], "teams": [_line(x, True) for x in data["teams"]],
            "total": _line(data["total"], True) if data["total"] else None, "modules": modules}
