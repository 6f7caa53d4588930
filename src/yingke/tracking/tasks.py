"""Background jobs of tracking (core.jobs): the cadence scheduler and escalations every 5 minutes
(also run by `yingke run-jobs --once` from cron)."""

from django.utils.translation import gettext as _
from huey import crontab

from yingke.core.jobs import huey, report


@huey.periodic_task(crontab(minute="*/5"))
def run_cadences():
    from yingke.tracking.cadence import run_scheduler

    run = run_scheduler()
    if run.created or run.escalated:  # quiet when nothing was due, like the other periodic jobs
        report(_("Follow-up cadences: %(created)d tasks made, %(escalated)d overdue items escalated.")
               % {"created": run.created, "escalated": run.escalated})
    return run.pk
