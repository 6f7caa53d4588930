"""Background jobs of complaints (core.jobs): escalation of overdue steps every 5 minutes."""

from huey import crontab

from yingke.core.jobs import huey, report


@huey.periodic_task(crontab(minute="*/5"))
def escalate_complaints():
    from yingke.complaints.escalation import escalate_overdue

    made = escalate_overdue()
    report(f"complaints: {made} escalation(s)")
    return made
