"""The "open complaint" flag on guest files in lists and search results (R-2.6), registered
in customers.flags.FILE_FLAGS (complaints/apps.py: `file_flags.register()`)."""

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yingke.complaints.models import Complaint, Step


def open_complaint_flags(user, ids) -> dict:
    """{customer id: [(label, css class, title)]} for the files among `ids` with an open complaint
    `user` sees: one query for the whole page."""
    rows = (Complaint.objects.visible_to(user).filter(customer_id__in=list(ids), step__lt=Step.ARCHIVED)
            .values("customer_id").annotate(n=Count("pk")).order_by())
    return {r["customer_id"]: [(_("Open complaint"), "badge-hot",
                                ngettext("%(n)d open complaint", "%(n)d open complaints", r["n"]) % {"n": r["n"]})]
            for r in rows}


def register() -> None:
    from yingke.customers.flags import FILE_FLAGS

    if open_complaint_flags not in FILE_FLAGS:
        FILE_FLAGS.append(open_complaint_flags)
