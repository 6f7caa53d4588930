"""Where tracking plugs into the rest of the app (registered from tracking/apps.py):
the control table's "follow-ups" and "commitments" sections (control.table.register, R-6.4),
what a leaving member of staff holds (control.handover.HOLDINGS, R-1.3), the renderers of its
notifications (core.notify), and the renumbering of a merged file's follow-ups."""

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.tracking.models import Commitment, Lead, Task, TaskRole

# ---- the control table (R-6.4) -----------------------------------------------------------------


def _task_reason(t, day) -> str:
    if t.due_on < day:
        return _("%(task)s — overdue since %(due)s") % {"task": t.title, "due": t.due_on.strftime("%m-%d")}
    return _("%(task)s — due today") % {"task": t.title}


def follow_up_rows(ctx):
    from yingke.control.table import Row
    from yingke.customers.masking import shown_mobile
    from yingke.tracking.services import open_tasks_for

    qs = open_tasks_for(ctx.member, ctx.prop, ctx.day).visible_to(ctx.actor)
    count = qs.count()
    rows = []
    for t in qs.select_related("customer__module", "lead").order_by("due_on", "pk")[:ctx.cap]:
        if t.customer_id:
            c = t.customer
            last = c.last_visit_at
            rows.append(Row(id=c.pk, code=c.customer_code, name=c.name, mobile=shown_mobile(ctx.actor, c.mobile),
                            grade=c.grade or "", module=c.module.name if c.module_id else "",
                            last_visit=ctx.prop.local_day(last) if last else None,
                            reason=_task_reason(t, ctx.day), date=t.due_on))
        else:
            lead = t.lead
            rows.append(Row(id=lead.pk, code="", name=lead.name, mobile=shown_mobile(ctx.actor, lead.mobile),
                            grade="", module=_("lead"), last_visit=None, reason=_task_reason(t, ctx.day),
                            date=t.due_on, url=reverse("tracking:lead", args=[lead.pk]), kind="lead"))
    return rows, count


def follow_up_counts(actor, member_ids, prop, day) -> dict:
    """{member id: open tasks due by `day`} for the team view: a query per way a task falls to someone."""
    from yingke.tracking.services import live_tasks

    base = live_tasks(Task.objects.visible_to(actor)).filter(property=prop, done_at__isnull=True, due_on__lte=day)
    out: dict[int, int] = {}
    ids = list(member_ids)
    for field, q in (("assignee_id", Q(assignee_id__in=ids)),
                     ("customer__owner_id", Q(assignee__isnull=True, role=TaskRole.ACCOUNT_MANAGER,
                                              customer__owner_id__in=ids)),
                     ("lead__owner_id", Q(assignee__isnull=True, role=TaskRole.ACCOUNT_MANAGER, customer__isnull=True,
                                          lead__owner_id__in=ids))):
        for r in base.filter(q).values(field).annotate(n=Count("pk")).order_by():
            out[r[field]] = out.get(r[field], 0) + r["n"]
    return out


def follow_up_link(ctx) -> str:
    return reverse("tracking:tasks") + f"?property={ctx.prop.code}&member={ctx.member.pk}"


def _commitments(actor, prop, member_ids, day):
    return Commitment.objects.visible_to(actor).filter(property=prop, owner_id__in=list(member_ids),
                                                       done_at__isnull=True, due_on__lte=day + dt.timedelta(days=1))


def commitment_rows(ctx):
    from yingke.control.table import Row
    from yingke.customers.masking import shown_mobile

    qs = _commitments(ctx.actor, ctx.prop, [ctx.member.pk], ctx.day)
    rows = []
    for cm in qs.select_related("customer__module").order_by("due_on", "pk")[:ctx.cap]:
        c = cm.customer
        last = c.last_visit_at
        if cm.due_on < ctx.day:
            reason = _("Promised “%(what)s” by %(due)s — overdue") % {"what": cm.promised, "due": cm.due_on.strftime("%m-%d")}
        else:
            reason = _("Promised “%(what)s” by %(due)s") % {"what": cm.promised, "due": cm.due_on.strftime("%m-%d")}
        rows.append(Row(id=c.pk, code=c.customer_code, name=c.name, mobile=shown_mobile(ctx.actor, c.mobile),
                        grade=c.grade or "", module=c.module.name if c.module_id else "",
                        last_visit=ctx.prop.local_day(last) if last else None, reason=reason, date=cm.due_on))
    return rows, qs.count()


def commitment_counts(actor, member_ids, prop, day) -> dict:
    q = _commitments(actor, prop, member_ids, day).values("owner_id").annotate(n=Count("pk")).order_by()
    return {r["owner_id"]: r["n"] for r in q}


def register_sections() -> None:
    from yingke.control import table

    table.register("follow_ups", rows=follow_up_rows, counts=follow_up_counts, link=follow_up_link)
    table.register("commitments", rows=commitment_rows, counts=commitment_counts)


# ---- handover (R-1.3) ----------------------------------------------------------------------------


def _by_property(qs) -> dict[int, int]:
    return {r["property_id"]: r["n"] for r in qs.values("property_id").annotate(n=Count("pk")).order_by() if r["n"]}


def _open_leads(member, property_ids):
    return Lead.objects.filter(owner=member, property_id__in=list(property_ids), dropped_at__isnull=True,
                               converted_at__isnull=True)


def count_leads(member, property_ids):
    return _by_property(_open_leads(member, property_ids))


def _assigned_tasks(member, property_ids):
    return Task.objects.filter(assignee=member, property_id__in=list(property_ids), done_at__isnull=True)


def count_tasks(member, property_ids):
    return _by_property(_assigned_tasks(member, property_ids))


def _open_commitments(member, property_ids):
    return Commitment.objects.filter(owner=member, property_id__in=list(property_ids), done_at__isnull=True)


def count_commitments(member, property_ids):
    return _by_property(_open_commitments(member, property_ids))


def _new_holder(ctx, customer_id=None, property_id=None):
    """Who takes an item over: the handover's `to`; by the rules, the new owner of the item's file
    (ctx.owners), else nobody (the pool)."""
    if ctx.to is not None:
        return ctx.to.pk
    return ctx.owners.get(customer_id) if customer_id else None


def move_leads(ctx) -> int:
    leads = _open_leads(ctx.member, ctx.property_ids)
    return leads.update(owner_id=ctx.to.pk if ctx.to is not None else None)


def move_tasks(ctx) -> int:
    n = 0
    for t in _assigned_tasks(ctx.member, ctx.property_ids).only("pk", "customer_id"):
        Task.objects.filter(pk=t.pk).update(assignee_id=_new_holder(ctx, t.customer_id))
        n += 1
    return n


def move_commitments(ctx) -> int:
    n = 0
    for cm in _open_commitments(ctx.member, ctx.property_ids).select_related("customer"):
        new = _new_holder(ctx, cm.customer_id) or cm.customer.owner_id
        if new is None or new == ctx.member.pk:
            continue  # nobody to take it: it stays and keeps blocking, named on the screen
        Commitment.objects.filter(pk=cm.pk).update(owner_id=new)
        n += 1
    return n


def register_holdings() -> None:
    from yingke.control.handover import HOLDINGS, Holding

    HOLDINGS.extend([
        Holding("leads", gettext_lazy("open leads"), count_leads, move_leads),
        Holding("tasks", gettext_lazy("follow-up tasks assigned to them"), count_tasks, move_tasks),
        Holding("commitments", gettext_lazy("open commitments"), count_commitments, move_commitments),
    ])


# ---- notifications ---------------------------------------------------------------------------------


def _task_overdue(args) -> str:
    return _("Overdue follow-up: %(what)s (%(who)s), due %(due)s, falls to %(person)s.") % {
        "what": args.get("what", ""), "who": args.get("who", ""), "due": args.get("due", ""),
        "person": args.get("person") or _("nobody yet")}


def _commitment_overdue(args) -> str:
    return _("Promise not kept: %(what)s (%(who)s), due %(due)s, by %(person)s.") % {
        "what": args.get("what", ""), "who": args.get("who", ""), "due": args.get("due", ""),
        "person": args.get("person") or _("nobody yet")}


RENDERERS = {"tracking.tasks_overdue": _task_overdue, "tracking.commitments_overdue": _commitment_overdue}


def renumber_after_merge(sender, survivor, **kwargs) -> None:
    from yingke.tracking.services import renumber

    renumber(customer=survivor)


