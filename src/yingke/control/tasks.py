"""Jobs of the control app (core.jobs).

assign_new_files – every 10 minutes: new files without an owner (opened by the front desk, an
import or the API in the last days), not in the queue and never assigned or released, get an
owner by the property's assignment rules (R-6.2, control.assignment) or go to the sales
manager's queue. Idempotent: a file decided once has an Assignment row and is not looked at
again; a released file stays in the pool on purpose.
"""

from django.utils.translation import gettext as _
from huey import crontab

from yingke.control.tasks_pattern import nightly_patterns, refresh_property_patterns  # noqa: F401 - registered here
from yingke.core.jobs import huey, report


def assign_new_files_now(property_id: int | None = None) -> dict:
    from yingke.control.assignment import assign_new
    from yingke.core.models import Property

    prop = Property.objects.filter(pk=property_id).first() if property_id else None
    if property_id and prop is None:
        return {}
    counts = assign_new(prop=prop)
    if counts:
        report(_("New files assigned by the rules: %(counts)s")
               % {"counts": ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))})
    return counts


@huey.periodic_task(crontab(minute="*/10"))
def assign_new_files() -> None:
    assign_new_files_now()


@huey.task()
def assign_new_files_of(property_id: int) -> None:
    """Queued after an import of customers into the property has finished."""
    assign_new_files_now(property_id)
