"""In-app notifications (core.models.Notification) and the one place where other ways of
delivering them plug in.

`send(users, kind, key, args, link)` stores one notification per user and key (sending the
same key again does nothing: jobs may run twice) and, after the transaction commits, hands the
new ones to every function in DELIVERY — SMS, e-mail and WeCom delivery (the care issue)
append theirs there. `text(notification)` renders it in the active language with the renderer
its app registered in RENDERERS[kind]; an unknown kind shows its link only.
"""

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core.models import Notification, User

RENDERERS: dict[str, Callable[[dict], str]] = {}
DELIVERY: list[Callable[[list[Notification]], None]] = []


def send(users: Iterable, kind: str, key: str, args: dict | None = None, link: str = "") -> list[Notification]:
    key = key[:120]
    users = {u.pk: u for u in users if u is not None and getattr(u, "is_active", False)}
    if not users:
        return []
    existing = set(Notification.objects.filter(user_id__in=list(users), key=key).values_list("user_id", flat=True))
    now = timezone.now()
    new = [Notification(user_id=pk, kind=kind, key=key, args=args or {}, link=link[:300], created_at=now)
           for pk in users if pk not in existing]
    if not new:
        return []
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    # Only the rows this call inserted (a concurrent call may have sent the same key meanwhile).
    new = list(Notification.objects.filter(user_id__in=[n.user_id for n in new], key=key, created_at=now))
    if new:
        User.objects.filter(pk__in=[n.user_id for n in new]).update(
            unread_notifications=F("unread_notifications") + 1)
    if new and DELIVERY:
        transaction.on_commit(lambda: [deliver(new) for deliver in DELIVERY])
    return new


def text(notification: Notification) -> str:
    render = RENDERERS.get(notification.kind)
    if render is None:
        return _("Notification")
    try:
        return render(notification.args)
    except (KeyError, TypeError, ValueError):
        return _("Notification")


def bell_count(user) -> int:
    """The bell's count: the counter kept on the user (no query beyond loading the user)."""
    return max(0, getattr(user, "unread_notifications", 0) or 0)


def unread_count(user) -> int:
    """The unread notifications counted, and the bell's counter set to it."""
    n = Notification.objects.filter(user=user, read_at__isnull=True).count()
    User.objects.filter(pk=user.pk).exclude(unread_notifications=n).update(unread_notifications=n)
    user.unread_notifications = n
    return n


def mark_read(user, ids=None) -> int:
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    n = rows.update(read_at=timezone.now())
    if n:
        unread_count(user)
    return n
