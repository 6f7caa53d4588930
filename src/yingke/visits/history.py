"""The change history of one visit (R-12.3): who, when, why, field, before → after.

Read from the visit's django-simple-history records (every write of visits.services and
of the import engine leaves one, with the actor and a reason), diffed by the project's one
history code (customers.views.changes: Display, diff_records). A visit written by an
import without a record of its own starts with "imported from FILE (import #N) by USER on
DATE", from visit.import_run. A fixed number of queries whatever the length of the history.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core.models import Outlet, User
from yingke.customers.views.changes import Display, diff_records, who
from yingke.visits.models import Visit

SKIP = {"id", "doc_key", "property", "customer", "import_run", "created_by", "created_at"}
REASONS = {
    "recorded": gettext_lazy("recorded by hand"),
    "corrected": gettext_lazy("corrected"),
    "voided": gettext_lazy("visit voided"),
}


@dataclass
class VisitChange:
    when: dt.datetime
    who: str
    action: str  # "created", "changed", "deleted", "imported"
    reason: str
    field: str
    before: str
    after: str


def _imported(visit: Visit) -> VisitChange | None:
    run = visit.import_run
    if run is None:
        return None
    by = run.user.label if run.user else _("system")
    when = run.started_at or run.created_at
    text = _("imported from %(file)s (import #%(id)s) by %(user)s on %(date)s") % {
        "file": run.file_name, "id": run.pk, "user": by,
        "date": formats.date_format(timezone.localtime(when), "Y-m-d H:i")}
    return VisitChange(when, str(by), "imported", "", "", "", text)


def visit_history(visit: Visit) -> list[VisitChange]:
    """Newest first. The caller has read `visit` through Visit.objects.visible_to(user)."""
    records = list(visit.history.select_related("history_user").order_by("history_date", "history_id"))
    outlets, users = set(), set()
    for r in records:
        outlets.add(r.outlet_id)
        users.update((r.served_by_id, r.voided_by_id))
    outlets.discard(None)
    users.discard(None)
    display = Display(None, {u.pk: u.label for u in User.objects.filter(pk__in=users)} if users else {}, {}, {},
                      names={Outlet: dict(Outlet.objects.filter(pk__in=outlets).values_list("pk", "name"))
                             if outlets else {}})
    when_field = Visit._meta.get_field("occurred_at")

    def summary(r):
        return f"{display.value(Visit, when_field.name, r.occurred_at)} ¥{r.amount:.2f}"

    changes = []
    imported = _imported(visit) if visit.import_run_id else None
    if imported is not None:
        changes.append(imported)
    for r, action, label, before, after in diff_records(Visit, records, SKIP, display, summary,
                                                        first_as_created=True):
        reason = str(REASONS.get(r.history_change_reason or "", r.history_change_reason or ""))
        changes.append(VisitChange(r.history_date, who(r), action, reason, label, before, after))
    changes.sort(key=lambda c: c.when)
    changes.reverse()
    return changes
