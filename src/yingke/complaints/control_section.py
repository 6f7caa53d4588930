"""The "open complaints" section of the daily control table (R-6.4, control.table's hook):
the open complaints of the account manager's own guests, one row per guest, the guest whose
next step is due first (overdue ones) at the top. Registered from complaints/apps.py
(`control_section.register()`).

Rows: one query for the member's open complaints (with the guest and its module) and one for
the property's complaint policy; counts for the team view: one query."""

from collections import defaultdict

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.complaints.models import Complaint, Step
from yingke.complaints.services import due_at, policy_of


def _open(prop, owner_ids):
    return Complaint.objects.filter(property=prop, customer__owner_id__in=list(owner_ids), step__lt=Step.ARCHIVED)


def _reason(c, due, now, zone) -> str:
    args = {"ref": c.reference, "kind": c.get_kind_display(), "step": Step(c.step + 1).label,
            "when": due.astimezone(zone).strftime("%m-%d %H:%M")}
    if c.approval_pending:
        return _("%(ref)s %(kind)s: the compensation waits for approval") % args
    if now > due:
        return _("%(ref)s %(kind)s: “%(step)s” overdue since %(when)s") % args
    return _("%(ref)s %(kind)s: “%(step)s” due %(when)s") % args


def rows(ctx):
    from yingke.control.table import Row
    from yingke.customers.masking import shown_mobile

    complaints = list(_open(ctx.prop, [ctx.member.pk]).select_related("customer__module"))
    if not complaints:
        return [], 0
    policy, now, zone = policy_of(ctx.prop), timezone.now(), ctx.prop.zone
    by_guest = defaultdict(list)
    for c in complaints:
        c.property = ctx.prop  # due_at reads the zone: no query per complaint
        by_guest[c.customer_id].append((due_at(c, policy), c))
    ordered = sorted(by_guest.values(), key=lambda items: (min(d for d, _c in items), items[0][1].customer_id))
    listed = []
    for items in ordered[:ctx.cap]:
        items.sort(key=lambda item: (item[0], item[1].pk))
        guest = items[0][1].customer
        reason = "; ".join(_reason(c, due, now, zone) for due, c in items)
        last = guest.last_visit_at
        listed.append(Row(id=guest.pk, code=guest.customer_code, name=guest.name,
                          mobile=shown_mobile(ctx.actor, guest.mobile), grade=guest.grade or "",
                          module=guest.module.name if guest.module_id else "",
                          last_visit=ctx.prop.local_day(last) if last else None, reason=reason,
                          date=ctx.prop.local_day(items[0][0])))
    return listed, len(ordered)


def counts(actor, member_ids, prop, day) -> dict:
    """{member id: guests with an open complaint} for the team view: one query."""
    q = (_open(prop, member_ids).values("customer__owner_id")
         .annotate(n=Count("customer_id", distinct=True)).order_by())
    return {r["customer__owner_id"]: r["n"] for r in q}


def register() -> None:
    from yingke.control import table

    table.register("complaints", rows=rows, counts=counts)
