"""The in-app notification list of each member of staff (R-8.3): newest first, a keyset page at
a time, unread ones highlighted; "mark all read"; opening one marks it read and follows its
link. Texts are rendered when read, in the reader's language (core.notify.text)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yingke.core import notify
from yingke.core.models import Notification
from yingke.core.pagination import InvalidCursor, Ordering, keyset_page

PAGE_SIZE = 30
NEWEST = Ordering("-created", "created_at", descending=True)


def safe_link(link: str) -> str:
    """The notification's link when it is a path of this site ("/…"), else "" (no open
    redirect: "//host", "/\\host", schemes and control characters are refused)."""
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith(("//", "/\\")) or any(ord(ch) < 32 for ch in link):
        return ""
    return link if url_has_allowed_host_and_scheme(link, allowed_hosts=None) else ""


@login_required
def notification_list(request):
    rows = Notification.objects.filter(user=request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    cursor_invalid = False
    try:
        page = keyset_page(rows, NEWEST, PAGE_SIZE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    except InvalidCursor:
        page, cursor_invalid = keyset_page(rows, NEWEST, PAGE_SIZE), True
    notify.unread_count(request.user)  # the bell's counter, set right on this page
    for n in page.rows:
        n.text = notify.text(n)
        n.safe_link = safe_link(n.link)
    return render(request, "core/notifications.html", {
        "title": _("Notifications"), "page": page, "cursor_invalid": cursor_invalid,
        "unread_only": unread_only, "query": "unread=1" if unread_only else "",
    })


@login_required
@require_POST
def mark_all_read(request):
    n = notify.mark_read(request.user)
    if n:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def open_notification(request, pk):
    """Mark the user's notification read and go where it points (only a path of this site);
    someone else's notification, or none, is a 404."""
    n = Notification.objects.filter(user=request.user, pk=pk).first()
    if n is None:
        raise Http404
    if n.read_at is None:
        notify.mark_read(request.user, [n.pk])
    return redirect(safe_link(n.link) or "notifications:list")
