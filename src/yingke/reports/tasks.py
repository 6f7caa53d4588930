"""Report jobs: keep the dashboard aggregates (reports.aggregates) in step with visits.

- `refresh_property(property_id)`: the stale days of one property (queued by a page view
  that found more stale days than it refreshes itself, and by an import that changed
  days it does not list).
- every ten minutes: the stale days of every property (visits recorded by hand are in the
  dashboard within ten minutes even when nobody opens it), then `warm`: new snapshots summed
  (RunGradeStat), the default period's Pareto and grade migration computed ahead of the page
  (reports.ReportCache, shared by every process).
- nightly at 02:20: the same, plus yesterday and today of every property (a safety net for
  a change that sent no signal).
All idempotent: refreshing a day twice gives the same rows.
"""

import datetime as dt

from django.utils.translation import gettext as _
from huey import crontab

from yingke.core.jobs import huey, report


@huey.task()
def refresh_property(property_id: int) -> None:
    from yingke.core.models import Property
    from yingke.reports import aggregates

    prop = Property.objects.filter(pk=property_id).first()
    if prop is not None:
        done, _left = aggregates.refresh_stale(prop)
        warm(prop)
        if done:
            report(_("Dashboard figures of %(property)s: %(days)d days recomputed.") % {
                "property": prop.code, "days": done})


@huey.task()
def warm_pareto(property_id: int, first: str, last: str, actor_id: int | None) -> None:
    """Recompute a Pareto whose cached result is older than the aggregates (reports.dashboard)."""
    from yingke.core.models import Property, User
    from yingke.core.permissions import SYSTEM
    from yingke.reports import aggregates, dashboard

    prop = Property.objects.filter(pk=property_id).first()
    actor = SYSTEM if actor_id is None else User.objects.filter(pk=actor_id, is_active=True).first()
    if prop is None or actor is None:
        return
    period, errors = dashboard.parse_period(prop, first, last)
    if not errors:
        dashboard.pareto_now(actor, prop, period, actor_id is not None, aggregates.version(prop))


def warm(prop) -> None:
    """Keep the default view quick: the snapshot summaries, the default period's Pareto (when older
    than the aggregates) and its grade migration pair, for the property's figures."""
    from yingke.core.permissions import SYSTEM
    from yingke.reports import aggregates, dashboard

    period = dashboard.default_period(prop)
    runs = dashboard._runs(prop, period)
    aggregates.summarise_runs([r["id"] for r in runs])
    version = aggregates.version(prop)
    found = dashboard.cached(dashboard._pareto_key(prop, period, "all"))
    if found is None or found[0] != version:
        dashboard.pareto_now(SYSTEM, prop, period, False, version)
    dashboard._migration(SYSTEM, prop, dashboard.run_choices(prop), runs, None, None, False)


def refresh_all(extra_days: int = 0) -> int:
    from yingke.core.models import Property
    from yingke.reports import aggregates
    from yingke.reports.models import StaleDay

    done = 0
    for prop in Property.objects.all():
        if extra_days:
            today = prop.local_today()
            days = [today - dt.timedelta(n) for n in range(extra_days)]
            StaleDay.objects.bulk_create([StaleDay(property=prop, day=d) for d in days], ignore_conflicts=True)
        if StaleDay.objects.filter(property=prop).exists():
            done += aggregates.refresh_stale(prop)[0]
        warm(prop)
    return done


@huey.periodic_task(crontab(minute="*/10"))
def refresh_stale_reports() -> None:
    done = refresh_all()
    if done:
        report(_("Dashboard figures: %(days)d days recomputed.") % {"days": done})


@huey.periodic_task(crontab(minute="20", hour="2"))
def nightly_reports() -> None:
    from django.utils import timezone

    from yingke.reports.models import ReportCache

    ReportCache.objects.filter(computed_at__lt=timezone.now() - dt.timedelta(days=30)).delete()
    done = refresh_all(extra_days=2)
    report(_("Dashboard figures: %(days)d days recomputed.") % {"days": done})
