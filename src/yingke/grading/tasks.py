"""Nightly grading (R-4, R-4.6) in the job system (core.jobs).

Every 15 minutes `grade_nightly` looks at every property whose grading parameters say
"grade every night": once the property's local time is past 02:00, it grades as of the
local day that has just ended (yesterday), unless a nightly run for that date exists —
so it runs once a night per property, catches up later in the day when the worker was
down at 02:00, and running it twice creates one run. 02:00 rather than midnight leaves the
evening's last bills (bars, banquets closing late, POS exports at close) time to arrive.

Retention (`prune_snapshots`, after each nightly run): nightly snapshots whose date is more
than 90 days before the property's today are deleted, except the last one of each month;
runs started by a person (command line, web page, API) are never deleted. So the A share
and grade migration can be drawn daily for three months and monthly before that.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab

from yingke.core import permissions
from yingke.core.jobs import huey, report
from yingke.core.models import Property
from yingke.grading.models import GradingPolicy, GradingRun

NIGHTLY_HOUR = 2  # local time after which yesterday is graded
RETENTION_DAYS = 90
clock = timezone.now  # the time the periodic task looks at (tests set it)


def due_as_of(property, now: dt.datetime) -> dt.date | None:
    """Yesterday (local) once the property's local time is past 02:00, else None."""
    local = now.astimezone(ZoneInfo(property.time_zone))
    if local.hour < NIGHTLY_HOUR:
        return None
    return local.date() - dt.timedelta(days=1)


def grade_property_nightly(property, as_of: dt.date) -> GradingRun | None:
    """The nightly run of `property` for `as_of`, unless there is one already (checked
    under the policy's lock, so two workers cannot both run it)."""
    from yingke.grading.services import lock_policy, run_grading

    with transaction.atomic():
        lock_policy(property)
        if GradingRun.objects.filter(property=property, as_of=as_of, trigger=GradingRun.Trigger.NIGHTLY).exists():
            return None
        run = run_grading(permissions.SYSTEM, property, as_of=as_of, trigger=GradingRun.Trigger.NIGHTLY)
    prune_snapshots(property, as_of)
    return run


def grade_due(now: dt.datetime | None = None) -> list[GradingRun]:
    """Grade every property that is due at `now` (default: now). A failing property is
    reported and does not stop the others."""
    now = now or timezone.now()
    runs = []
    policies = GradingPolicy.objects.filter(nightly=True).values_list("property_id", flat=True)
    for property in Property.objects.filter(pk__in=policies).order_by("code"):
        as_of = due_as_of(property, now)
        if as_of is None:
            continue
        try:
            run = grade_property_nightly(property, as_of)
        except Exception as e:  # noqa: BLE001 — one property's failure must not stop the others
            report(_("Nightly grading of %(property)s as of %(date)s failed: %(error)s")
                   % {"property": property.code, "date": as_of.isoformat(), "error": e})
            continue
        if run is not None:
            runs.append(run)
            report(_("Graded %(property)s as of %(date)s: %(effective)d effective customers, "
                     "A %(a)d, B %(b)d, C %(c)d, D %(d)d.")
                   % {"property": property.code, "date": as_of.isoformat(), "effective": run.effective,
                      "a": run.a_count, "b": run.b_count, "c": run.c_count, "d": run.d_count})
    return runs


def prune_snapshots(property, today: dt.date) -> int:
    """Delete nightly snapshots older than RETENTION_DAYS except each month's last one;
    other runs stay. Returns the number of runs deleted."""
    cutoff = today - dt.timedelta(days=RETENTION_DAYS)
    old = list(GradingRun.objects.filter(property=property, trigger=GradingRun.Trigger.NIGHTLY, as_of__lt=cutoff)
               .order_by("as_of", "id").values_list("id", "as_of"))
    if not old:
        return 0
    # The month's last nightly run may be more recent than the cutoff: then it is not in
    # `old`, and every old run of that month goes.
    months = {(d.year, d.month) for _i, d in old}
    last_of_month = {}
    for run_id, as_of in (GradingRun.objects.filter(property=property, trigger=GradingRun.Trigger.NIGHTLY,
                                                    as_of__gte=dt.date(min(months)[0], min(months)[1], 1))
                          .order_by("as_of", "id").values_list("id", "as_of")):
        last_of_month[(as_of.year, as_of.month)] = run_id
    keep = set(last_of_month.values())
    doomed = [run_id for run_id, _d in old if run_id not in keep]
    if doomed:
        GradingRun.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@huey.periodic_task(crontab(minute="*/15"))
def grade_nightly() -> None:
    grade_due(clock())
