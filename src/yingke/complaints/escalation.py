"""Escalation of overdue complaint steps (R-8.3).

A step not done by its due time (services.due_at) escalates to level 1, the lobby manager
(front desk role) of the property — the general manager when the step waits for their
approval of a compensation, or when the property has no active lobby manager; still not done
one more limit later, to level 2, the general manager. Each escalation is a row unique per complaint, step and level, written with
the notification in one transaction: running the job twice, or two workers at once, never
escalates twice. Notifications go through core.notify (in-app now; SMS, e-mail and WeCom plug
in there).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from yingke.complaints.models import Complaint, Escalation, Step
from yingke.complaints.services import add_hours, due_at, policy_of
from yingke.core import notify
from yingke.core.models import User
from yingke.core.roles import ESCALATION_LEVELS


def recipients(prop_id: int, level: int):
    """The active staff of the level's role at the property; a property without an active lobby
    manager escalates level 1 to its general manager straight away."""
    for lvl in range(level, max(ESCALATION_LEVELS) + 1):
        found = list(User.objects.filter(is_active=True, role=ESCALATION_LEVELS[lvl], properties__id=prop_id))
        if found:
            return found
    return []


def levels_due(c: Complaint, now: dt.datetime, policy) -> list[tuple[int, dt.datetime]]:
    """The levels an open complaint has reached at `now`, with the time each was reached."""
    due = due_at(c, policy)
    if due is None or now <= due:
        return []
    out = [(1, due)]
    second = add_hours(due, policy.limit_hours(c.severity, c.step + 1), policy, c.property.zone)
    if now > second:
        out.append((2, second))
    return out


def escalate_overdue(now=None, property_ids=None) -> int:
    """Escalate every overdue step not yet escalated to the level it reached; the number of
    escalations made."""
    now = now or timezone.now()
    rows = Complaint.objects.filter(step__lt=Step.ARCHIVED).select_related("property")
    if property_ids is not None:
        rows = rows.filter(property_id__in=list(property_ids))
    policies, made = {}, 0
    for c in rows.iterator(chunk_size=500):
        policy = policies.get(c.property_id) or policies.setdefault(c.property_id, policy_of(c.property))
        step = c.step + 1
        for level, reached in levels_due(c, now, policy):
            try:
                with transaction.atomic():
                    _esc, created = Escalation.objects.get_or_create(
                        complaint=c, step=step, level=level, defaults={"due_at": reached, "created_at": now})
                    if created:
                        # a compensation waiting for approval: only the general manager can act
                        to = recipients(c.property_id, max(ESCALATION_LEVELS) if c.approval_pending else level)
                        notify.send(to, "complaint.escalation",
                                    f"complaint:{c.pk}:step:{step}:level:{level}",
                                    {"complaint": c.pk, "step": step, "level": level},
                                    link=f"/complaints/{c.pk}/")
            except IntegrityError:  # a concurrent run made it
                created = False
            made += created
    return made


def open_escalations(user, limit=20):
    """The escalated complaints still open at the steps escalated, that `user` sees, for
    their home page: lobby managers level 1 and up, general managers level 2 (and 1 when
    the property has no lobby manager is not special-cased: both see what reached them)."""
    levels = [lvl for lvl, role in ESCALATION_LEVELS.items() if role == getattr(user, "role", None)]
    if not levels:
        return Escalation.objects.none()
    from django.db.models import F

    return (Escalation.objects.filter(level__in=levels, complaint__in=Complaint.objects.visible_to(user),
                                      complaint__step=F("step") - 1)
            .select_related("complaint", "complaint__customer", "complaint__outlet")
            .order_by("-created_at")[:limit])
