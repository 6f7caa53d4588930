"""API: your in-app notifications (issue 16 point 3: escalations, approvals, feedback).

  GET  /notifications          your own, newest first (`unread=true`: only unread); each text
                               rendered in the request's language (core.notify.text)
  POST /notifications/read     mark some (`ids`) or all (`all: true`) of yours read

Only the caller's own notifications are ever read or changed: an id of someone else's is
simply not among yours (nothing changes, nothing is revealed).
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import StrictBool

from yingke.api.errors import ErrorOut, field_error
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, keyset_page
from yingke.api.schemas import Clean, In, object_id
from yingke.core import notify
from yingke.core import pagination as keyset
from yingke.core.models import Notification

router = Router(tags=["notifications"])
ORDER = keyset.Ordering("-created", "created_at", descending=True)
MAX_IDS = 500


class NotificationOut(Schema):
    id: int
    kind: str
    text: str = Field(description="In the request's language.")
    link: str = Field(description="The page it is about (a path of the web UI), or ''.")
    created_at: dt.datetime
    read_at: dt.datetime | None
    read: bool


class NotificationPage(Page[NotificationOut]):
    unread: int = Field(description="How many of yours are unread.")


class NotificationParams(Clean):
    unread: bool | None = Field(None, description="true: only unread; false: only read.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=1000, description="The `next` link's cursor.")


class ReadIn(In):
    ids: list[object_id(Notification)] | None = Field(None, min_length=1, max_length=MAX_IDS,
                                                      description="Ids of your notifications.")
    all: StrictBool = Field(False, description="true: every one of yours (then leave out `ids`).")


class ReadOut(Schema):
    marked: int = Field(description="How many were unread and are read now.")
    unread: int


def _out(n: Notification) -> dict:
    return {"id": n.pk, "kind": n.kind, "text": notify.text(n), "link": n.link, "created_at": n.created_at,
            "read_at": n.read_at, "read": n.read_at is not None}


@router.get("/notifications", response={200: NotificationPage, 422: ErrorOut}, summary="Your notifications",
            description="Newest first; use `next` (a keyset cursor) to page.")
def list_notifications(request, params: Query[NotificationParams]):
    user = request.auth
    qs = Notification.objects.filter(user=user)
    if params.unread is not None:
        qs = qs.filter(read_at__isnull=params.unread)
    page = keyset_page(request, qs, ORDER, params.limit, params.cursor, _out)
    return {**page, "unread": notify.unread_count(user)}


@router.post("/notifications/read", response={200: ReadOut, 422: ErrorOut}, summary="Mark notifications read",
             description="`ids` (of yours) or `all: true`, not both.")
def mark_notifications_read(request, payload: ReadIn):
    user = request.auth
    if payload.all == (payload.ids is not None):
        raise field_error("ids", _("Give the ids of the notifications, or all: true (not both)."))
    marked = notify.mark_read(user, None if payload.all else set(payload.ids))
    return {"marked": marked, "unread": notify.unread_count(user)}
