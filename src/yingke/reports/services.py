"""Report configuration: the meal periods of a property (上桌率 per period).

`set_meal_periods(actor, property, rows)` replaces the property's periods (CONFIGURE on the
property: the general manager or an administrator, core.permissions). Rules: 1 to 6 periods;
a code of 1–12 lowercase letters, digits or "_", unique, not "other" or "day"; a name; starts
before ends on the same day; periods do not overlap. Every day of the property is then marked
stale (the job recomputes the aggregates with the new periods). Audited.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yingke.core.models import AuditEvent, Property
from yingke.core.permissions import CONFIGURE, require
from yingke.core.services import plain
from yingke.reports import aggregates
from yingke.reports.models import ALL_DAY, OTHER_PERIOD, MealPeriod

MAX_PERIODS = 6
CODE = re.compile(r"^[a-z0-9_]{1,12}$")


def set_meal_periods(actor, prop: Property, rows: list[tuple[str, str, dt.time, dt.time]]) -> list[MealPeriod]:
    require(actor, CONFIGURE, prop)
    errors: dict[str, list[str]] = {}
    cleaned = []
    for i, (code, name, starts, ends) in enumerate(rows):
        code, name = (code or "").strip().lower(), " ".join((name or "").split())
        if not CODE.match(code) or code in (OTHER_PERIOD, ALL_DAY):
            errors.setdefault(f"{i}.code", []).append(
                _("Use 1–12 lowercase letters, digits or '_' (not \"other\" or \"day\")."))
        if not name or len(name) > 40 or not plain(name):
            errors.setdefault(f"{i}.name", []).append(_("Enter a name of at most 40 characters."))
        if starts is None or ends is None or starts >= ends:
            errors.setdefault(f"{i}.ends", []).append(_("The period must end after it starts, on the same day."))
        cleaned.append((code, name, starts, ends))
    if not cleaned:
        errors.setdefault("__all__", []).append(_("Keep at least one meal period."))
    if len(cleaned) > MAX_PERIODS:
        errors.setdefault("__all__", []).append(_("At most %(n)d meal periods.") % {"n": MAX_PERIODS})
    codes = [c for c, *_rest in cleaned]
    if len(set(codes)) != len(codes):
        errors.setdefault("__all__", []).append(_("Each meal period needs its own code."))
    timed = sorted((s, e, i) for i, (_c, _n, s, e) in enumerate(cleaned) if s is not None and e is not None)
    for (_s1, e1, _i), (s2, _e2, j) in zip(timed, timed[1:], strict=False):
        if s2 < e1:
            errors.setdefault(f"{j}.starts", []).append(_("Meal periods may not overlap."))
    if errors:
        raise ValidationError(errors)
    before = [(m.code, m.name, f"{m.starts:%H:%M}", f"{m.ends:%H:%M}") for m in MealPeriod.objects.filter(property=prop)]
    with transaction.atomic():
        MealPeriod.objects.filter(property=prop).delete()
        made = MealPeriod.objects.bulk_create([MealPeriod(property=prop, code=c, name=n, starts=s, ends=e)
                                               for c, n, s, e in cleaned])
        aggregates.mark_stale(prop.pk, None)
        AuditEvent.record(actor, "configure", f"meal periods {prop.code}", before=before,
                          after=[(c, n, f"{s:%H:%M}", f"{e:%H:%M}") for c, n, s, e in cleaned])
    transaction.on_commit(lambda: _queue_refresh(prop.pk))
    return made


def _queue_refresh(property_id: int) -> None:
    from yingke.reports.tasks import refresh_property

    refresh_property(property_id)
