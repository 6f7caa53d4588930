"""Background jobs of complaints (core.jobs): escalation of overdue steps every 5 minutes."""

from django.utils.translation import ngettext
from huey import crontab

from yingke.core.jobs import huey, report


@huey.periodic_task(crontab(minute="*/5"))
def escalate_complaints():
    from yingke.complaints.escalation import escalate_overdue

    made = escalate_overdue()
    if made:  # quiet when nothing was overdue, like the other periodic jobs
        report(ngettext("Complaints: %(n)d overdue step escalated.", "Complaints: %(n)d overdue steps escalated.",
                        made) % {"n": made})
    return made
