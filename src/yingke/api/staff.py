"""The logged-in member of staff and their API tokens."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from yingke.api.errors import ApiError, ErrorOut, not_found
from yingke.api.schemas import In, MeOut
from yingke.core.models import ApiToken

router = Router(tags=["staff"])


class TokenIn(In):
    name: str = Field("", max_length=100)
    expires_in_days: int | None = Field(
        None, ge=1, le=ApiToken.MAX_DAYS,
        description="Days until the key stops working (1–3650); leave out for a key without expiry.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Updated at most once a minute.")
    expires_at: dt.datetime | None = Field(description="After this moment the key is refused (401).")


class NewTokenOut(TokenOut):
    key: str = Field(description="The secret key; shown only once.")


@router.get("/me", response=MeOut, summary="Who am I")
def me(request):
    user = request.auth
    return {
        "id": user.pk, "username": user.username, "name": user.label, "role": user.role,
        "role_label": str(user.get_role_display()),
        "properties": [{"code": p.code, "name": p.name, "kind": p.kind} for p in user.properties.all()],
        "sees_full_mobile": user.sees_full_mobile, "can_export": user.can_export,
    }


def _token_out(t: ApiToken) -> dict:
    return {"id": t.pk, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
            "last_used_at": t.last_used_at, "expires_at": t.expires_at}


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request):
    return [_token_out(t) for t in ApiToken.objects.filter(user=request.auth).order_by("-created_at", "-id")]


@router.post("/tokens", response={201: NewTokenOut, 422: ErrorOut}, summary="Create an API token",
             description="The key is returned once; only its hash is stored.")
def create_token(request, payload: TokenIn):
    if ApiToken.objects.filter(user=request.auth).count() >= 20:
        raise ApiError(409, _("You already have 20 tokens; delete one first."))
    token, key = ApiToken.issue(request.auth, name=payload.name.strip(), expires_in_days=payload.expires_in_days)
    return Status(201, {**_token_out(token), "key": key})


@router.delete("/tokens/{int:token_id}", response={204: None, 404: ErrorOut}, summary="Delete an API token")
def delete_token(request, token_id: int):
    deleted, _rows = ApiToken.objects.filter(user=request.auth, pk=token_id).delete()
    if not deleted:
        raise not_found()
    return Status(204, None)
