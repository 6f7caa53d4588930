"""Keeping the report aggregates (reports.models) in step with visits.

Rules, in plain words:

1. A visit belongs to the local day of its time (`occurred_at` in the property's time zone)
   and to the meal period whose local [starts, ends) holds that time; otherwise "other". A
   rooms outlet has one period, "day". Voided visits count nowhere; refunds count with their
   negative amount in revenue but are not visits: tables served, covers and room nights count
   only amounts >= 0. A stay's room nights count on its visit's day (its check-out day).
2. "Managed" means the file had an account manager (Customer.owner) when the day was
   aggregated: recorded visits are aggregated within minutes, so this is the ownership at
   the time of the visit, and a later change of owner does not rewrite history.
3. visits_changed marks days stale (StaleDay) in the change's transaction: the local days of
   the given times; times=None marks every day from the property's first visit to today.
4. A refresh recomputes the stale days set-based: per day one DELETE and one
   INSERT … SELECT … GROUP BY outlet, period over that day's visits (UTC bounds computed in
   Python, so SQLite and PostgreSQL run the same SQL and daylight saving is right), and per
   month touched the same for CustomerMonthStat. It runs from the periodic job
   (reports.tasks), and from a page view for at most VIEW_REFRESH_DAYS stale days of the
   requested range (more is left to the job; the page says so).
"""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from yingke.core.models import Outlet, Property
from yingke.reports.models import (
    ALL_DAY,
    DEFAULT_MEAL_PERIODS,
    OTHER_PERIOD,
    CustomerMonthStat,
    DailyOutletStat,
    MealPeriod,
    OwnerMonthStat,
    ReportState,
    RunGradeStat,
    StaleDay,
)
from yingke.visits.models import Visit

VIEW_REFRESH_DAYS = 31  # stale days a page view refreshes itself; more go to the job
MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=MONEY)
# A refund (a negative amount) is not a visit (visits/profile.py): it lowers revenue but serves no
# table, cover or room night.
SERVED = Q(amount__gte=0)


def meal_periods(prop: Property) -> list[tuple[str, str, dt.time, dt.time]]:
    """(code, name, starts, ends) of the property, or the defaults."""
    rows = [(m.code, m.name, m.starts, m.ends) for m in MealPeriod.objects.filter(property=prop)]
    return rows or [(code, str(name), s, e) for code, name, s, e in DEFAULT_MEAL_PERIODS]


# -- stale marking ---------------------------------------------------------------------

def mark_stale(property_id: int, times) -> int:
    """Mark the local days of `times` (None: every day since the first visit) stale."""
    prop = Property.objects.only("time_zone").get(pk=property_id)
    if times is None:
        first = Visit.objects.filter(property_id=property_id).order_by("occurred_at").values_list(
            "occurred_at", flat=True).first()
        if first is None:
            return 0
        start = prop.local_day(first)
        end = max(prop.local_today(), start)
        days = [start + dt.timedelta(n) for n in range((end - start).days + 1)]
    else:
        days = sorted({prop.local_day(t) for t in times if t is not None})
    # An existing mark is touched too (its row lock orders this change after a running refresh).
    now = timezone.now()
    for chunk in _chunks(days, 500):
        StaleDay.objects.filter(property_id=property_id, day__in=chunk).update(marked_at=now)
    StaleDay.objects.bulk_create([StaleDay(property_id=property_id, day=d, marked_at=now) for d in days],
                                 ignore_conflicts=True, batch_size=500)
    return len(days)


def on_visits_changed(sender, property_id, times=None, **kwargs):
    mark_stale(property_id, times)


def stale_days(prop: Property, first: dt.date | None = None, last: dt.date | None = None) -> list[dt.date]:
    qs = StaleDay.objects.filter(property=prop)
    if first:
        qs = qs.filter(day__gte=first)
    if last:
        qs = qs.filter(day__lte=last)
    return list(qs.order_by("day").values_list("day", flat=True))


# -- refresh ---------------------------------------------------------------------------

def _insert_select(model, fields: list[str], qs) -> None:
    sql, params = qs.query.sql_with_params()
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({cols}) {sql}", params)


def _day_rows(prop: Property, day: dt.date, periods) -> None:
    start, end = prop.day_start(day), prop.day_start(day + dt.timedelta(1))
    whens = [When(outlet__kind=Outlet.Kind.ROOMS, then=Value(ALL_DAY))]
    for code, _name, s, e in periods:
        whens.append(When(occurred_at__gte=prop.day_start(day, s), occurred_at__lt=prop.day_start(day, e),
                          then=Value(code)))
    managed = Q(customer__owner__isnull=False)
    served, m_served = SERVED, SERVED & managed
    qs = (Visit.objects.filter(property=prop, voided_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end)
          .order_by()
          .annotate(a_property=Value(prop.pk, output_field=IntegerField()), a_outlet=F("outlet_id"),
                    a_day=Value(day, output_field=DateField()),
                    a_period=Case(*whens, default=Value(OTHER_PERIOD), output_field=CharField()))
          .values("a_property", "a_outlet", "a_day", "a_period")
          .annotate(n_visits=Count("id", filter=served), n_covers=Coalesce(Sum("covers", filter=served), 0),
                    n_revenue=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
                    m_visits=Count("id", filter=m_served),
                    m_covers=Coalesce(Sum("covers", filter=m_served), 0),
                    m_revenue=Coalesce(Sum("amount", filter=managed), ZERO, output_field=MONEY),
                    n_nights=Coalesce(Sum("nights", filter=served & Q(outlet__kind=Outlet.Kind.ROOMS)), 0)))
    _insert_select(DailyOutletStat, ["property", "outlet", "day", "period", "visits", "covers", "revenue",
                                     "managed_visits", "managed_covers", "managed_revenue", "room_nights"], qs)


def _month_rows(prop: Property, month: dt.date) -> None:
    nxt = (month + dt.timedelta(32)).replace(day=1)
    qs = (Visit.objects.filter(property=prop, voided_at__isnull=True, occurred_at__gte=prop.day_start(month),
                               occurred_at__lt=prop.day_start(nxt))
          .order_by()
          .annotate(a_property=Value(prop.pk, output_field=IntegerField()), a_customer=F("customer_id"),
                    a_owner=F("customer__owner_id"), a_month=Value(month, output_field=DateField()))
          .values("a_property", "a_customer", "a_owner", "a_month")
          .annotate(n_visits=Count("id", filter=SERVED), n_covers=Coalesce(Sum("covers", filter=SERVED), 0),
                    n_revenue=Coalesce(Sum("amount"), ZERO, output_field=MONEY)))
    _insert_select(CustomerMonthStat, ["property", "customer", "owner", "month", "visits", "covers", "revenue"], qs)
    per_owner = (CustomerMonthStat.objects.filter(property=prop, month=month).order_by()
                 .annotate(a_property=F("property_id"), a_owner=F("owner_id"), a_month=F("month"))
                 .values("a_property", "a_owner", "a_month")
                 .annotate(n_visits=Sum("visits"), n_covers=Sum("covers"), n_revenue=Sum("revenue")))
    _insert_select(OwnerMonthStat, ["property", "owner", "month", "visits", "covers", "revenue"], per_owner)


def refresh_days(prop: Property, days) -> int:
    """Recompute the aggregates of `days` (local dates) of `prop`; clears their stale marks."""
    days = sorted(set(days))
    if not days:
        return 0
    periods = meal_periods(prop)
    months = sorted({d.replace(day=1) for d in days})
    state, _created = ReportState.objects.get_or_create(property=prop)
    with transaction.atomic():
        # One refresh of a property at a time (PostgreSQL; SQLite serialises writers anyway): two
        # page views refreshing the same day must not both insert its rows.
        ReportState.objects.select_for_update().filter(pk=state.pk).first()
        # The marks go first: a visit committed after this point marks its day again (its mark
        # is not visible to this DELETE, or this DELETE waits for it), so no change is lost.
        for chunk in _chunks(days, 500):
            StaleDay.objects.filter(property=prop, day__in=chunk).delete()
        for chunk in _chunks(days, 500):
            DailyOutletStat.objects.filter(property=prop, day__in=chunk).delete()
        for day in days:
            _day_rows(prop, day, periods)
        CustomerMonthStat.objects.filter(property=prop, month__in=months).delete()
        OwnerMonthStat.objects.filter(property=prop, month__in=months).delete()
        for month in months:
            _month_rows(prop, month)
        ReportState.objects.filter(pk=state.pk).update(version=F("version") + 1, refreshed_at=timezone.now())
    return len(days)


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def refresh_stale(prop: Property, first: dt.date | None = None, last: dt.date | None = None,
                  limit: int | None = None) -> tuple[int, int]:
    """Refresh the stale days of `prop` (in [first, last] when given), at most `limit`.
    Returns (refreshed, still stale in the range)."""
    days = stale_days(prop, first, last)
    todo = days if limit is None else days[:limit]
    done = refresh_days(prop, todo)
    return done, len(days) - done


def rebuild(prop: Property) -> int:
    """Everything from scratch: every day from the first visit to today."""
    with transaction.atomic():
        DailyOutletStat.objects.filter(property=prop).delete()
        CustomerMonthStat.objects.filter(property=prop).delete()
        OwnerMonthStat.objects.filter(property=prop).delete()
        mark_stale(prop.pk, None)
    return refresh_stale(prop)[0]


def summarise_runs(run_ids) -> int:
    """RunGradeStat rows for the runs that have none yet (one INSERT … SELECT GROUP BY owner,
    grade per run; a run's snapshot never changes, so this is done once). Page views and the
    job call this at the same time: each run is summed under its property's lock (the one
    refresh_days takes) after checking again that it has no rows, and the unique constraint
    (run, owner, grade) refuses a second copy in any case."""
    from yingke.grading.models import GradingRun

    run_ids = list(run_ids)
    done = set(RunGradeStat.objects.filter(run_id__in=run_ids).values_list("run_id", flat=True).distinct())
    todo = [r for r in run_ids if r not in done]
    summed = 0
    for run in GradingRun.objects.filter(pk__in=todo).only("id", "property_id").order_by("id"):
        state, _created = ReportState.objects.get_or_create(property_id=run.property_id)
        try:
            with transaction.atomic():
                ReportState.objects.select_for_update().filter(pk=state.pk).first()
                if RunGradeStat.objects.filter(run_id=run.pk).exists():
                    continue  # summed by another process meanwhile
                _sum_run(run)
        except IntegrityError:  # the constraint refused a second copy: the run is summed
            continue
        summed += 1
    return summed


def _sum_run(run) -> None:
    from yingke.grading.models import GradeEntry

    qs = (GradeEntry.objects.filter(run_id=run.pk).order_by()
          .annotate(a_run=Value(run.pk, output_field=IntegerField()),
                    a_property=Value(run.property_id, output_field=IntegerField()),
                    a_owner=F("customer__owner_id"), a_grade=F("grade"))
          .values("a_run", "a_property", "a_owner", "a_grade")
          .annotate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO, output_field=MONEY)))
    _insert_select(RunGradeStat, ["run", "property", "owner", "grade", "customers", "amount"], qs)



def version(prop: Property) -> int:
    return ReportState.objects.filter(property=prop).values_list("version", flat=True).first() or 0
