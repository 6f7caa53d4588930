"""Follow-up cadences and escalations (R-7.6, R-7.4, issue 15 point 8): the scheduler.

`run_scheduler(trigger, user=None, now=None)` walks every property:
  1. For each active CadenceRule and each of its offsets d, the events of the rule's kind whose
     local date e lies in [today − d − CATCH_UP_DAYS + 1, today − d] (and e + d on or after the
     day the rule came into use) get a Task due on e + d, for the rule's role; "buyers" are
     guests whose first purchase (refunds and voids excluded) is on or before the due day, so
     a guest who bought on day 10 gets the buyers' 30- and 60-day follow-ups and the
     non-buyers' 3-day one, and a catch-up run decides as on the due day. A task is unique per rule, customer, offset and event occurrence
     (`event_ref`: the complaint or visit, 0 for once-per-file events): the rows are inserted
     with ON CONFLICT DO NOTHING under a lock of the property's rules, so running the scheduler
     twice, in two workers at once or after a restart never makes a task twice; a run after an
     outage catches up the tasks due in the last CATCH_UP_DAYS days.
  2. Escalation: an open task whose due day has passed (the property's local date) and an
     open commitment past its date, either made before today (a task caught up today gives its
     person a day), go, once each (`escalated_at` set by a conditional UPDATE),
     to the sales manager of whoever it falls to, or the general managers of the property when
     there is none (a supervisor's task, the pool's); an in-app notification (core.notify).
Each run is a SchedulerRun with the tasks made per property and rule and the escalations.

Events: file created (the file's `created_at`), first purchase (`first_visit_at`, refunds and
voids excluded by the consumption profile), complaint closed (an archived complaint with a
guest, `closed_at`), banquet held (a non-voided visit with a positive amount whose occasion is
a banquet: hosting, wedding, birthday).
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core import notify
from yingke.core.models import Property, User
from yingke.core.permissions import is_staff, responsible
from yingke.core.roles import Role
from yingke.customers.models import Customer
from yingke.tracking import services
from yingke.tracking.models import Buyers, CadenceRule, Commitment, Event, SchedulerRun, Task, TaskRole

CATCH_UP_DAYS = 14
BANQUETS = ("hosting", "wedding", "birthday")
KEEP_EMPTY_RUNS_DAYS = 7

# R-7.6 (seed 004): name, event, for whom, offsets, role.
DEFAULTS = [
    (gettext_lazy("Buyers: account manager's follow-ups"), Event.FILE_CREATED, Buyers.BUYERS, [3, 30, 60],
     TaskRole.ACCOUNT_MANAGER),
    (gettext_lazy("Non-buyers: account manager's follow-ups"), Event.FILE_CREATED, Buyers.NON_BUYERS, [3, 15],
     TaskRole.ACCOUNT_MANAGER),
    (gettext_lazy("Buyers: supervisor's follow-ups"), Event.FILE_CREATED, Buyers.BUYERS, [15, 30, 60],
     TaskRole.SUPERVISOR),
]


def ensure_default_rules(prop: Property) -> int:
    """Give a property without cadence rules the defaults of R-7.6 (names in the site's language)."""
    if CadenceRule.objects.filter(property=prop).exists():
        return 0
    today = prop.local_today()
    with translation.override(settings.LANGUAGE_CODE):
        rules = [CadenceRule(property=prop, name=str(name), event=event, buyers=buyers, offsets=offsets, role=role,
                             active_from=today) for name, event, buyers, offsets, role in DEFAULTS]
    CadenceRule.objects.bulk_create(rules)
    return len(rules)


def occurrences(prop: Property, event: str, lo: dt.date, hi: dt.date) -> list[tuple[int, int, dt.date]]:
    """(customer id, event ref, local date) of the events of `prop` whose local date is in [lo, hi]."""
    start, end = prop.day_start(lo), prop.day_start(hi + dt.timedelta(days=1))
    if event == Event.FILE_CREATED:
        rows = Customer.objects.filter(property=prop, created_at__gte=start, created_at__lt=end) \
            .values_list("pk", "created_at")
        return [(pk, 0, prop.local_day(at)) for pk, at in rows]
    if event == Event.FIRST_PURCHASE:
        rows = Customer.objects.filter(property=prop, first_visit_at__gte=start, first_visit_at__lt=end) \
            .values_list("pk", "first_visit_at")
        return [(pk, 0, prop.local_day(at)) for pk, at in rows]
    if event == Event.COMPLAINT_CLOSED:
        from yingke.complaints.models import Complaint

        rows = Complaint.objects.filter(property=prop, customer__isnull=False, closed_at__gte=start,
                                        closed_at__lt=end).values_list("customer_id", "pk", "closed_at")
        return [(c, pk, prop.local_day(at)) for c, pk, at in rows]
    if event == Event.BANQUET_HELD:
        from yingke.visits.models import Visit

        rows = Visit.objects.filter(property=prop, voided_at__isnull=True, amount__gt=0, occasion__in=BANQUETS,
                                    occurred_at__gte=start, occurred_at__lt=end) \
            .values_list("customer_id", "pk", "occurred_at")
        return [(c, pk, prop.local_day(at)) for c, pk, at in rows]
    raise ValueError(event)


def _title(rule: CadenceRule, offset: int) -> str:
    return f"{rule.name} · {offset}"[:200]


def generate(prop: Property, today: dt.date | None = None) -> dict[int, int]:
    """Make the tasks of `prop`'s active rules due up to `today`: {rule id: tasks made}."""
    today = today or prop.local_today()
    made: dict[int, int] = {}
    with transaction.atomic():
        rules = list(CadenceRule.objects.select_for_update().filter(property=prop, is_active=True).order_by("pk"))
        for rule in rules:
            before = Task.objects.filter(rule=rule).count()
            for offset in sorted(set(rule.offsets)):
                lo = max(today - dt.timedelta(days=offset + CATCH_UP_DAYS - 1),
                         rule.active_from - dt.timedelta(days=offset))
                hi = today - dt.timedelta(days=offset)
                if lo > hi:
                    continue
                found = occurrences(prop, rule.event, lo, hi)
                if rule.buyers != Buyers.ANY and found:  # a buyer: a first purchase on or before the due day
                    ids = {c for c, _r, _d in found}
                    first = dict(Customer.objects.filter(pk__in=ids, first_visit_at__isnull=False)
                                 .values_list("pk", "first_visit_at"))
                    want = rule.buyers == Buyers.BUYERS
                    found = [f for f in found if want == (
                        f[0] in first and prop.local_day(first[f[0]]) <= f[2] + dt.timedelta(days=offset))]
                tasks = [Task(property=prop, customer_id=c, rule=rule, event=rule.event, event_ref=ref, offset=offset,
                              role=rule.role, title=_title(rule, offset), due_on=day + dt.timedelta(days=offset))
                         for c, ref, day in found]
                for i in range(0, len(tasks), 1000):
                    Task.objects.bulk_create(tasks[i:i + 1000], ignore_conflicts=True)
            n = Task.objects.filter(rule=rule).count() - before
            if n:
                made[rule.pk] = n
    return made


def _managers(prop: Property, person) -> list:
    """Who an overdue item escalates to: the person's active sales manager, else the property's
    general managers."""
    if person is not None and person.manager_id:
        manager = User.objects.filter(pk=person.manager_id, is_active=True).first()
        if manager is not None:
            return [manager]
    return list(User.objects.filter(is_active=True, role=Role.GENERAL_MANAGER, properties=prop))


def _subject_name(row) -> str:
    subject = row.customer if row.customer_id else getattr(row, "lead", None)
    return subject.name if subject is not None else ""


def _link(row) -> str:
    from django.urls import reverse

    if row.customer_id:
        return reverse("customers:detail", args=[row.customer_id])
    return reverse("tracking:lead", args=[row.lead_id])


def escalate(prop: Property, now=None, limit: int = 2000) -> dict[str, int]:
    """Escalate the property's overdue open tasks and commitments once each: {kind: count}."""
    now = now or timezone.now()
    today = prop.local_day(now)
    out = {"tasks": 0, "commitments": 0}
    for kind, model in (("tasks", Task), ("commitments", Commitment)):
        related = ["customer__owner", "lead__owner", "assignee"] if model is Task else ["customer", "owner"]
        # Due before today, and made before today: a task the scheduler caught up today (or a promise
        # recorded late) gives its person a day before their manager hears of it.
        rows = model.objects.all() if model is Commitment else services.live_tasks(Task.objects.all())
        rows = (rows.filter(property=prop, done_at__isnull=True, escalated_at__isnull=True,
                            due_on__lt=today, created_at__lt=prop.day_start(today))
                .select_related(*related).order_by("due_on", "pk")[:limit])
        for row in rows:
            with transaction.atomic():
                if not model.objects.filter(pk=row.pk, escalated_at__isnull=True).update(escalated_at=now):
                    continue  # another run escalated it meanwhile
                person = responsible(row)
                args = {"what": row.title if model is Task else row.promised, "who": _subject_name(row),
                        "due": row.due_on.isoformat(),
                        "person": (person.display_name or person.username) if person is not None else ""}
                notify.send(_managers(prop, person), f"tracking.{kind}_overdue", f"tracking:{kind}:{row.pk}:overdue",
                            args, _link(row))
                out[kind] += 1
    return out


def run_scheduler(trigger=SchedulerRun.Trigger.JOB, user=None, now=None, properties=None) -> SchedulerRun:
    """One run over every property (or `properties`): make due tasks, escalate; logged."""
    now = now or timezone.now()
    run = SchedulerRun.objects.create(started_at=now, trigger=trigger,
                                      user=user if is_staff(user) else None)
    details = {}
    props = properties if properties is not None else Property.objects.order_by("code")
    for prop in props:
        made = generate(prop, prop.local_day(now))
        escalated = escalate(prop, now)
        if made or any(escalated.values()):
            details[prop.code] = {"tasks": {str(k): v for k, v in made.items()}, "escalated": escalated}
        run.created += sum(made.values())
        run.escalated += sum(escalated.values())
    run.details, run.finished_at = details, timezone.now()
    run.save(update_fields=["details", "finished_at", "created", "escalated"])
    SchedulerRun.objects.filter(created=0, escalated=0, trigger=SchedulerRun.Trigger.JOB,
                                started_at__lt=now - dt.timedelta(days=KEEP_EMPTY_RUNS_DAYS)).delete()
    return run


def run_label(run: SchedulerRun) -> str:
    return _("%(created)d tasks made, %(escalated)d escalated") % {"created": run.created, "escalated": run.escalated}


