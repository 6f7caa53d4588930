"""Behaviour pattern jobs (R-7.5, control.pattern).

- `refresh_property_patterns(property_id)`: every customer of one property (queued after the
  commit of a change that does not list its visits: an import, a merge).
- nightly at 02:40 (after the report aggregates at 02:20): every property — the safety net for
  a change that sent no signal. Idempotent: a second run changes nothing.

A worker registers these through `yingke.control.tasks`, which imports this module
(core.jobs.autodiscover imports `<app>.tasks` only). Not from control.apps: core.jobs must not
be imported before the settings are final (tests make jobs immediate in pytest_configure).
"""

from django.utils.translation import gettext as _
from huey import crontab

from yingke.core.jobs import huey, report


@huey.task()
def refresh_property_patterns(property_id: int) -> None:
    from yingke.control.pattern import refresh_patterns
    from yingke.core.models import Property

    prop = Property.objects.filter(pk=property_id).first()
    if prop is not None:
        changed = refresh_patterns(prop)
        if changed:
            report(_("Behaviour patterns of %(property)s: %(count)d files updated.") % {
                "property": prop.code, "count": changed})


def refresh_all() -> int:
    from yingke.control.pattern import refresh_patterns
    from yingke.core.models import Property

    return sum(refresh_patterns(prop) for prop in Property.objects.order_by("pk"))


@huey.periodic_task(crontab(minute="40", hour="2"))
def nightly_patterns() -> None:
    changed = refresh_all()
    report(_("Behaviour patterns: %(count)d files updated.") % {"count": changed})
