"""API: claims of guest files (R-6.1). Thin adapters over control.claims (which asks
core.permissions); the rules and what each answer reveals are in its docstring.

  POST /customers/{id}/claim     a file you see: 201 it is yours (it was in the pool), 202 a
                                 request for its sales manager (it is owned); 409 someone
                                 claimed it a moment ago, or your claim of it is pending
  POST /claims                   claim by property and customer code (a file you may not see):
                                 201 / 202 likewise; the answer holds the code, never the name
  POST /customers/{id}/release   back to the shared pool with a reason
  GET  /claims                   claims you made or decide (filter: status, mine)
  POST /claims/{id}/approve | refuse | withdraw
A file or claim you may not see is 404; seen but not yours to act on, 403; bad input 422,
nothing changed.
"""

import datetime as dt
from typing import Literal

from django.db.models import Q
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from yingke.api.access import customer_for_write
from yingke.api.errors import ErrorOut, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import In, OwnerOut, owner_out
from yingke.control import claims
from yingke.control.models import Claim
from yingke.core.models import Property
from yingke.core.permissions import is_staff
from yingke.core.services import MAX_ID, valid_id
from yingke.customers.models import Customer

router = Router(tags=["claims"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LINE = r"^[^\u0000-\u0008\u000e-\u001f\u007f-\u009f]*$"
STATUS = Literal.__getitem__(tuple(Claim.Status.values))


class ReasonIn(In):
    # Required except for approve; checked by the service (clean_text) after the file or claim is found.
    reason: str | None = Field(None, max_length=500, description="Why (one line, at most 500 characters).",
                               json_schema_extra={"pattern": LINE})


class ClaimIn(ReasonIn):
    from_pool: StrictBool = Field(False, description="true: claim it only if it is still in the shared pool (409 "
                                               "otherwise); never make a request.")


class CodeClaimIn(In):
    property: StrictInt = Field(ge=1, le=MAX_ID, description="Id of a property you work at.")
    customer_code: str = Field(max_length=30, description="The file's customer code.",
                               json_schema_extra={"pattern": LINE})
    reason: str | None = Field(None, max_length=500, description="Why (required, one line, at most 500 characters).",
                               json_schema_extra={"pattern": LINE})


class ClaimCustomer(Schema):
    id: int | None = Field(description="Null while the file is not one you may see.")
    customer_code: str
    name: str | None = Field(description="Null while the file is not one you may see.")


class ClaimOut(Schema):
    id: int
    property_code: str
    customer: ClaimCustomer
    claimant: OwnerOut
    owner: OwnerOut | None = Field(description="The account manager when claimed; null unless you decide the claim.")
    status: STATUS
    reason: str
    decision_reason: str
    decided_by: OwnerOut | None = Field(description="Who decided; null unless you decide the claim (or decided "
                                                    "it yourself): it would name the owning team.")
    decided_at: dt.datetime | None
    created_at: dt.datetime
    can_decide: bool
    can_withdraw: bool


class ClaimResultOut(Schema):
    result: Literal["owned", "requested"] = Field(description="owned: the file is yours now; requested: a claim "
                                                              "waits for the sales manager.")
    customer_code: str
    claim: ClaimOut | None


class ReleaseOut(Schema):
    customer: int
    owner: OwnerOut | None


def claim_out(user, c: Claim, visible: set | None = None, deciding: set | None = None) -> dict:
    sees = c.customer_id in visible if visible is not None else _sees(user, c.customer_id)
    decides = c.pk in deciding if deciding is not None else claims.decidable(user).filter(pk=c.pk).exists()
    return {
        "id": c.pk, "property_code": c.property.code,
        "customer": {"id": c.customer_id if sees else None, "customer_code": c.customer.customer_code,
                     "name": c.customer.name if sees else None},
        "claimant": owner_out(c.claimant), "owner": owner_out(c.owner) if decides else None,
        "status": c.status, "reason": c.reason, "decision_reason": c.decision_reason,
        "decided_by": owner_out(c.decided_by) if decides or c.decided_by_id == user.pk else None,
        "decided_at": c.decided_at, "created_at": c.created_at,
        "can_decide": decides and c.status == Claim.Status.PENDING and c.claimant_id != user.pk,
        "can_withdraw": c.claimant_id == user.pk and c.status == Claim.Status.PENDING,
    }


def _sees(user, customer_id) -> bool:
    return Customer.objects.visible_to(user).filter(pk=customer_id).exists()


def _reread(user, pk) -> dict:
    c = Claim.objects.select_related("customer", "claimant", "owner", "decided_by", "property").get(pk=pk)
    return claim_out(user, c)


def _result(user, outcome):
    if outcome.owned:
        return Status(201, {"result": "owned", "customer_code": outcome.customer.customer_code, "claim": None})
    return Status(202, {"result": "requested", "customer_code": outcome.customer.customer_code,
                        "claim": _reread(user, outcome.claim.pk)})


def _file(user, customer_id):
    if not valid_id(customer_id):
        raise not_found()
    return customer_for_write(user, customer_id)


@router.post("/customers/{int:customer_id}/claim", response={201: ClaimResultOut, 202: ClaimResultOut, **ERRORS},
             summary="Claim a guest file",
             description="A file in the shared pool is yours at once (201); a file someone owns becomes a claim that "
                         "their sales manager decides (202). 409 when someone claimed it from the pool a moment ago "
                         "(also for a file you no longer see for that reason), or your claim of it is pending. Account and sales managers of the file's property.")
def claim_file(request, customer_id: int, payload: ClaimIn):
    user = request.auth
    return _result(user, claims.claim_id(user, customer_id, payload.reason, from_pool=payload.from_pool))


@router.post("/claims", response={201: ClaimResultOut, 202: ClaimResultOut, **ERRORS},
             summary="Claim a guest file by its customer code",
             description="For a file you may not see: the answer says only whether it was in the pool (201, now "
                         "yours) or is owned (202, a claim for its sales manager); never its name or owner.")
def claim_by_code(request, payload: CodeClaimIn):
    user = request.auth
    prop = Property.objects.filter(pk=payload.property, pk__in=user.property_ids() if is_staff(user) else []).first()
    if prop is None:
        raise not_found()
    return _result(user, claims.claim_by_code(user, prop, payload.customer_code, payload.reason))


@router.post("/customers/{int:customer_id}/release", response={200: ReleaseOut, **ERRORS},
             summary="Release a guest file to the shared pool",
             description="Whoever may edit the file (its account manager, their sales manager, the general "
                         "manager); `reason` is required. 409 when it is already in the pool.")
def release_file(request, customer_id: int, payload: ReasonIn):
    user = request.auth
    c = claims.release(user, _file(user, customer_id), payload.reason)
    return {"customer": c.pk, "owner": owner_out(c.owner)}


@router.get("/claims", response={200: Page[ClaimOut]}, summary="Claims",
            description="Claims you made and claims you decide (or decided), newest first.")
def list_claims(request, status: STATUS | None = None,
                mine: bool | None = Query(None, description="true: only yours; false: only those you decide."),
                limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    user = request.auth
    decide_ids = claims.decidable(user).values("pk")
    if mine is True:
        qs = claims.mine(user)
    elif mine is False:
        qs = Claim.objects.filter(pk__in=decide_ids)
    else:
        qs = Claim.objects.filter(Q(pk__in=decide_ids) | Q(pk__in=claims.mine(user).values("pk")))
    if status:
        qs = qs.filter(status=status)
    qs = qs.select_related("customer", "claimant", "owner", "decided_by", "property").order_by("-created_at", "-pk")
    window = list(qs[offset: offset + limit])
    ids = {c.customer_id for c in window}
    visible = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    deciding = set(claims.decidable(user).filter(pk__in=[c.pk for c in window]).values_list("pk", flat=True))
    return offset_page(request, qs, limit, offset, lambda c: claim_out(user, c, visible, deciding))


def _claim(user, claim_id):
    return claims.claim_for(user, claim_id)


@router.post("/claims/{int:claim_id}/approve", response={200: ClaimOut, **ERRORS}, summary="Approve a claim",
             description="The file goes to the claimant; its other pending claims lapse. The sales manager of the "
                         "file's account manager, or the general manager; `reason` is optional.")
def approve_claim(request, claim_id: int, payload: ReasonIn):
    user = request.auth
    made = claims.approve(user, _claim(user, claim_id), payload.reason or "")
    return _reread(user, made.pk)


@router.post("/claims/{int:claim_id}/refuse", response={200: ClaimOut, **ERRORS}, summary="Refuse a claim",
             description="`reason` is required; the claimant sees it.")
def refuse_claim(request, claim_id: int, payload: ReasonIn):
    user = request.auth
    made = claims.refuse(user, _claim(user, claim_id), payload.reason)
    return _reread(user, made.pk)


@router.post("/claims/{int:claim_id}/withdraw", response={200: ClaimOut, **ERRORS}, summary="Withdraw your claim",
             description="Only the claimant, while it is pending.")
def withdraw_claim(request, claim_id: int):
    user = request.auth
    made = claims.withdraw(user, _claim(user, claim_id))
    return _reread(user, made.pk)



