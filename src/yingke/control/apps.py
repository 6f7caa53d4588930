from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlConfig(AppConfig):
    """Responsibility and control (R-1.3, R-6, R-7.2, R-7.5): claims, assignment rules, the
    behaviour pattern, position targets, the daily control table, target nodes, handover."""

    name = "yingke.control"
    label = "control"
    verbose_name = _("Responsibility and control")

    def ready(self):
        from yingke.control.pattern import on_visits_changed
        from yingke.visits.signals import visits_changed

        # The behaviour pattern of the customers whose visits changed. (Not importing
        # control.tasks_pattern here: core.jobs must not be imported before the settings of
        # a test run are final; workers find the jobs through control.tasks.)
        visits_changed.connect(on_visits_changed, dispatch_uid="control.pattern")
        from yingke.customers.signals import files_merged

        # A merge moved the merged file's visits onto the survivor: its pattern, in the merge's
        # transaction (like its consumption profile, visits.apps).
        files_merged.connect(_pattern_after_merge, dispatch_uid="control.pattern_after_merge")

        register_handover()
        register_owner_mover()


def _pattern_after_merge(sender, survivor, **kwargs):
    from yingke.control.pattern import refresh_patterns

    refresh_patterns(survivor.property, [survivor.pk])


def register_handover():
    """R-1.3 (handover): what a member of staff holds in control (open claims, position targets
    of coming periods …) also keeps them from being deactivated (core.services)."""
    from yingke.control.handover import blocking
    from yingke.core.services import HOLDING_COUNTERS

    if blocking not in HOLDING_COUNTERS:
        HOLDING_COUNTERS.append(blocking)


def register_owner_mover():
    """R-6.1: an owner changed on the file's form or by PATCH goes through the one owner mover
    (control.ownership: an Assignment row, pending claims lapse, the queue row goes)."""
    from yingke.control.ownership import move_edited_owner
    from yingke.customers.services import OWNER_MOVER

    OWNER_MOVER[:] = [move_edited_owner]
