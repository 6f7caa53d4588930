"""Complaints shown on other apps' pages, so that those apps need not import this one:

{% complaints_card customer %}   the 360 page's "Complaints and praise" card (R-2.6): the
                                 guest's complaints the reader sees, the praise and suggestions
                                 among the notes the page lists (counted here, shown in the notes
                                 card), and "Record a complaint". One query, and one more for the
                                 property's time limits when a complaint is open.
{% escalated_complaints %}       the home page panel of lobby managers (front desk) and general
                                 managers (R-8.3): the open complaints escalated to them. One
                                 query; nothing for other roles.
"""

from django import template
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from yingke.complaints.escalation import open_escalations
from yingke.complaints.models import Complaint
from yingke.complaints.services import due_at, policy_of
from yingke.core import permissions
from yingke.core.roles import ESCALATION_LEVELS

register = template.Library()

CARD_SHOWN = 10  # complaints listed on the 360 page; the rest are counted
PANEL_SHOWN = 20
PRAISE_KINDS = ("praise", "suggestion")  # customers.Note kinds shown on the card


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


def complaint_url(pk) -> str:
    return reverse("complaints:detail", args=[pk])


def _praise_and_suggestions(context, customer) -> dict:
    """{kind: count} of the praise and suggestions among the notes the 360 page lists (its notes
    card reads them anyway: no query of its own); counted in the database elsewhere."""
    notes = context.get("notes")
    if notes is None:
        return dict(customer.notes.filter(kind__in=PRAISE_KINDS).values_list("kind")
                    .annotate(n=Count("pk")).order_by())
    counts: dict = {}
    for n in notes:
        if n.kind in PRAISE_KINDS:
            counts[n.kind] = counts.get(n.kind, 0) + 1
    return counts


@register.inclusion_tag("complaints/_card_file.html", takes_context=True)
def complaints_card(context, customer):
    user = _user(context)
    rows = list(Complaint.objects.visible_to(user).filter(customer=customer)
                .select_related("outlet").order_by("-created_at", "-pk")[:CARD_SHOWN + 1])
    shown = rows[:CARD_SHOWN]
    now = timezone.now()
    policy = policy_of(customer.property) if any(c.is_open for c in shown) else None
    for c in shown:
        c.property = customer.property  # the guest's property (services.record): no query per row
        c.url = complaint_url(c.pk)
        c.due = due_at(c, policy) if c.is_open else None
        c.late = c.due is not None and now > c.due
    kinds = _praise_and_suggestions(context, customer)
    can_record = permissions.can(user, permissions.COMPLAIN, customer.property)
    return {"customer": customer, "complaints": shown, "more": len(rows) > CARD_SHOWN,
            "open_count": sum(1 for c in shown if c.is_open),
            "praise": kinds.get("praise", 0), "suggestions": kinds.get("suggestion", 0),
            "can_record": can_record, "new_url": reverse("complaints:new") + f"?customer={customer.pk}",
            "list_url": reverse("complaints:list") + f"?state=all&customer={customer.pk}"}


@register.inclusion_tag("complaints/_card_escalations.html", takes_context=True)
def escalated_complaints(context):
    user = _user(context)
    role = getattr(user, "role", None)
    if role not in ESCALATION_LEVELS.values():
        return {"show": False}
    rows = list(open_escalations(user, limit=PANEL_SHOWN))
    for e in rows:
        e.url = complaint_url(e.complaint_id)
    return {"show": True, "escalations": rows, "capped": len(rows) >= PANEL_SHOWN}
