"""Care reminders for special dates (R-2.5): each date is due `remind_days` before it falls."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Max, Q, Value, When

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


class DueReminders:
    """Every due reminder, soonest first (then the guest's name in pinyin, then the date's id).

    A lazy sequence over one ordered query: `count()` / `len()` count in the database and a
    slice reads only that slice, so Django's Paginator pages through thousands of due dates
    reading one page at a time; iterating reads them all.
    """

    def __init__(self, queryset, today: dt.date):
        self.queryset, self.today = queryset, today

    def _occurrences(self, rows) -> list[Occurrence]:
        return [Occurrence(spec, self.today + dt.timedelta(days=spec.in_days), spec.in_days) for spec in rows]

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._occurrences(self.queryset[index])
        return self._occurrences([self.queryset[index]])[0]

    def __iter__(self):
        return iter(self._occurrences(self.queryset))


def due_reminders(specs, today: dt.date) -> DueReminders:
    """The special dates among `specs` (a SpecialDate queryset, already restricted by
    visible_to) whose reminder is due today, all of them, soonest first.

    One query selects exactly the due dates: for each day d of the next
    max(remind_days) days, the dates falling on today + d (lunar ones included, see
    lunar.specs_falling_on) whose lead time is at least d. The same conditions, as a
    CASE, give each row its day d, so the database orders by the real next date (then
    the guest's name) and a page is a LIMIT: nothing is cut before it is ordered. A date
    falls at most once in the window (≤ 61 days), so each row gets exactly one d.
    """
    horizon = min(MAX_REMIND_DAYS, specs.aggregate(m=Max("remind_days"))["m"] or 0)
    due, days = Q(pk__in=[]), []
    for d in range(horizon + 1):
        falls = specs_falling_on(today + dt.timedelta(days=d)) & Q(remind_days__gte=d)
        due |= falls
        days.append(When(falls, then=Value(d)))
    rows = (specs.filter(due)
            .annotate(in_days=Case(*days, default=None, output_field=IntegerField()))
            .select_related("customer", "customer__owner")
            .order_by("in_days", "customer__name_pinyin", "id"))
    return DueReminders(rows, today)
