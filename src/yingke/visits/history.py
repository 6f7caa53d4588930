"""The change history of one visit (R-12.3): who, when, why, field, before → after.

Read from the visit's django-simple-history records (every write of visits.services and
of the import engine leaves one, with the actor and a reason); two queries whatever the
length of the history.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core.models import Outlet, User
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
    action: str  # "created", "changed", "deleted"
    reason: str
    field: str
    before: str
    after: str


def _value(field, value, names) -> str:
    if value in (None, ""):
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        return names.get((field.related_model, value), f"#{value}")
    if isinstance(field, models.DateTimeField):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(field, models.DateField):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def visit_history(visit: Visit) -> list[VisitChange]:
    """Newest first. The caller has read `visit` through Visit.objects.visible_to(user)."""
    records = list(visit.history.select_related("history_user").order_by("history_date", "history_id"))
    fields = [f for f in Visit._meta.concrete_fields if f.name not in SKIP]
    outlets, users = set(), set()
    for r in records:
        outlets.add(r.outlet_id)
        users.update((r.served_by_id, r.voided_by_id))
    names = {(Outlet, o.pk): o.name for o in Outlet.objects.filter(pk__in=outlets - {None})} if outlets - {None} \
        else {}
    if users - {None}:
        names.update({(User, u.pk): u.label for u in User.objects.filter(pk__in=users - {None})})
    changes, prev = [], None
    for r in records:
        who = str(r.history_user) if r.history_user else _("system")
        reason = str(REASONS.get(r.history_change_reason or "", r.history_change_reason or ""))
        if r.history_type == "+" or prev is None:
            summary = f"{_value(Visit._meta.get_field('occurred_at'), r.occurred_at, names)} ¥{r.amount:.2f}"
            changes.append(VisitChange(r.history_date, who, "created", reason, "", "", summary))
        elif r.history_type == "-":
            changes.append(VisitChange(r.history_date, who, "deleted", reason, "", "", ""))
        else:
            for f in fields:
                before, after = getattr(prev, f.attname), getattr(r, f.attname)
                if before != after:
                    changes.append(VisitChange(r.history_date, who, "changed", reason, str(f.verbose_name),
                                               _value(f, before, names), _value(f, after, names)))
        prev = r
    changes.reverse()
    return changes
