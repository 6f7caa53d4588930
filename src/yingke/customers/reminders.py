"""Care reminders for special dates (R-2.5): each date is due `remind_days` before it falls."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q

from yingke.customers.lunar import next_occurrence, specs_falling_on

MAX_REMIND_DAYS = 60  # the longest lead time; keeps the set-based date window small


@dataclass
class Occurrence:
    spec: object
    date: dt.date
    days: int  # from today; 0 = today

    @property
    def due(self) -> bool:
        return self.days <= self.spec.remind_days


def occurrence(spec, today: dt.date) -> Occurrence:
    when = next_occurrence(spec, today)
    return Occurrence(spec, when, (when - today).days)


def due_reminders(specs, today: dt.date, limit: int = 2000) -> list[Occurrence]:
    """The special dates among `specs` (a SpecialDate queryset, already restricted by
    visible_to) whose reminder is due today, soonest first.

    One query selects exactly the due dates: for each day d of the next
    max(remind_days) days, the dates falling on today + d (lunar ones included, see
    lunar.specs_falling_on) whose lead time is at least d.
    """
    horizon = min(MAX_REMIND_DAYS, specs.aggregate(m=Max("remind_days"))["m"] or 0)
    due = Q(pk__in=[])
    for d in range(horizon + 1):
        due |= specs_falling_on(today + dt.timedelta(days=d)) & Q(remind_days__gte=d)
    rows = specs.filter(due).select_related("customer", "customer__owner")[:limit]
    found = [o for o in (occurrence(spec, today) for spec in rows) if o.due]
    found.sort(key=lambda o: (o.date, o.spec.customer.name_pinyin, o.spec.id))
    return found
