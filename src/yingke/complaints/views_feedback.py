"""What guests wrote on the public page (R-2.6, R-8.4): praise, suggestions and complaints, for
staff to read — also those that joined no guest file. Who sees a message is the complaints'
rule (core.permissions.complaint_rule): through the guest's file when it joined one, otherwise
the property-wide roles of its property."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.complaints.models import Feedback
from yingke.core import export, permissions
from yingke.core.pagination import InvalidCursor, Ordering, keyset_page
from yingke.customers.masking import shown_mobile

ORDER = Ordering("-created", "created_at", descending=True)
PAGE_SIZE = 30
KINDS = Feedback.Kind


def _rows(request):
    rows = Feedback.objects.filter(permissions.complaint_rule(request.user)).select_related(
        "property", "outlet", "customer", "complaint")
    kind = request.GET.get("kind", "")
    if kind in KINDS.values:
        rows = rows.filter(kind=kind)
    return rows, kind if kind in KINDS.values else ""


def _guest(fb, user) -> str:
    if fb.customer_id:
        return f"{fb.customer.name} ({fb.customer.customer_code})"
    return fb.name


COLUMNS = [
    export.Column(gettext_lazy("Received"), lambda r, u: r.created_at),
    export.Column(gettext_lazy("Kind"), lambda r, u: r.get_kind_display()),
    export.Column(gettext_lazy("Outlet"), lambda r, u: r.outlet.name if r.outlet_id else ""),
    export.Column(gettext_lazy("Room or table"), lambda r, u: r.location),
    export.Column(gettext_lazy("Message"), lambda r, u: r.text),
    export.Column(gettext_lazy("Guest"), _guest),
    export.Column(gettext_lazy("Mobile"), lambda r, u: shown_mobile(u, r.mobile)),
    export.Column(gettext_lazy("Complaint"), lambda r, u: r.complaint.reference if r.complaint_id else ""),
]


@login_required
def feedback_list(request):
    rows, kind = _rows(request)
    cursor_invalid = False
    try:
        page = keyset_page(rows, ORDER, PAGE_SIZE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    except InvalidCursor:
        page, cursor_invalid = keyset_page(rows, ORDER, PAGE_SIZE), True
    for fb in page.rows:
        fb.shown_mobile = shown_mobile(request.user, fb.mobile)
    return render(request, "complaints/feedback_list.html", {
        "title": _("Guest feedback"), "page": page, "kind": kind, "kinds": KINDS.choices,
        "query": f"kind={kind}" if kind else "", "cursor_invalid": cursor_invalid,
        "can_export": permissions.can(request.user, permissions.EXPORT),
        "no_access": not permissions.sees_customers(request.user),
    })


@login_required
def feedback_export(request, fmt):
    rows, kind = _rows(request)
    return export.export_response(request.user, fmt, "feedback", rows.order_by(*ORDER.order_by()), COLUMNS,
                                  filters={"kind": kind} if kind else {}, title=_("Guest feedback"))
