"""API: the handover of a leaving member of staff's work (R-1.3), over control.handover.

  GET  /api/staff/{id}/holdings  what they still hold, per kind and property (counts only —
                                 no customer data, so an administrator uses it too)
  POST /api/staff/{id}/handover  {to: member id | null, by_rules: bool, reason, properties?}
                                 → 201 the handover with what moved

Who: whoever may HANDOVER the member (the general manager or an administrator of a property
they work at; the command line and jobs as SYSTEM); a role that may not is 403, a member
outside the caller's staff (or unknown) 404, oneself 403. Bad input (neither or both of `to`
and `by_rules`, a `to` who may not take the files, a blank reason …) is 422 naming the
field and changes nothing; nothing left to hand over is 409.
"""

import datetime as dt

from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from yingke.api.errors import ErrorOut
from yingke.api.schemas import In
from yingke.control import handover as service
from yingke.core.services import MAX_ID

router = Router(tags=["handover"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CODE = r"^[A-Za-z0-9_-]{1,20}$"


class PropertyCount(Schema):
    property: int = Field(description="Property id.")
    property_code: str
    count: int


class KindOut(Schema):
    key: str = Field(description="customers, claims_made, claims_to_decide, team, targets, and kinds added by "
                                 "later modules (follow-ups, commitments, complaints).")
    label: str
    total: int
    per_property: list[PropertyCount]


class HoldingsOut(Schema):
    member: int
    username: str
    properties: list[str] = Field(description="Codes of the properties the caller hands over.")
    total: int = Field(description="Everything held; 0: nothing to hand over.")
    kinds: list[KindOut] = Field(description="Every kind, also those with nothing held.")
    team_kept: list[str] = Field(description="Usernames of account managers of their team who also work at other "
                                             "properties: a handover here leaves them in the team (their new "
                                             "sales manager is chosen on their staff pages).")


class HandoverIn(In):
    to: StrictInt | None = Field(None, ge=1, le=MAX_ID, description="Id of the active account or sales manager who "
                                                              "takes it all; null with by_rules.")
    by_rules: StrictBool = Field(False, description="Give each file an owner by the property's assignment rules "
                                              "(the leaver excluded).")
    reason: str = Field(max_length=300, description="Recorded on each file.")
    properties: list[str] | None = Field(None, max_length=50, description="Codes of the properties to hand over "
                                                                          "(default: all the caller manages).")


class HandoverOut(Schema):
    id: int
    member: int
    to: int | None = Field(description="Null: by the assignment rules.")
    by_rules: bool
    reason: str
    created_at: dt.datetime
    counts: dict = Field(description="What moved per kind (customers, claims_made, team, targets …), the "
                                     "properties, `team_kept` (usernames of team members who also work "
                                     "elsewhere and stay in the team), and by the rules the files per new "
                                     "owner ('' — the pool).")
    summary: str


def _holdings_out(member, props, held) -> dict:
    labels = service.labels()
    codes = {p.pk: p.code for p in props}
    kinds = [{"key": key, "label": labels.get(key, key), "total": sum(per.values()),
              "per_property": [{"property": pk, "property_code": codes.get(pk, ""), "count": n}
                               for pk, n in sorted(per.items())]}
             for key, per in held.items()]
    return {"member": member.pk, "username": member.username, "properties": [p.code for p in props],
            "total": service.total(held), "kinds": kinds,
            "team_kept": [u.username for u in service.team_kept(member, [p.pk for p in props])]}


@router.get("/staff/{int:user_id}/holdings", response={200: HoldingsOut, 403: ErrorOut, 404: ErrorOut},
            summary="What a member of staff still holds")
def get_staff_holdings(request, user_id: int):
    member, props, held = service.holdings_for(request.auth, user_id)
    return _holdings_out(member, props, held)


@router.post("/staff/{int:user_id}/handover", response={201: HandoverOut, **ERRORS},
             summary="Hand a member of staff's work over",
             description="Everything at once, in one transaction; each file records who took it, when and why.")
def hand_over_staff(request, user_id: int, payload: HandoverIn):
    member = service.require_handover(request.auth, user_id)
    h = service.handover(request.auth, member, to=payload.to, by_rules=payload.by_rules, reason=payload.reason,
                         properties=payload.properties)
    return Status(201, {"id": h.pk, "member": member.pk, "to": h.to_user_id, "by_rules": h.to_user_id is None,
                        "reason": h.reason, "created_at": h.created_at, "counts": h.counts,
                        "summary": service.summary(h)})
