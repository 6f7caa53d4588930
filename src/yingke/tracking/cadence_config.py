"""Configuring the follow-up cadences of a property (R-7.6): the rules' settings page and the
"run now" button. Only whoever may CONFIGURE the property (core.permissions) changes its rules.

A rule comes into use on the property's local today when it is created or switched back on
(`active_from`): the scheduler makes no task due before that day, so switching a rule on never
floods the lists with tasks of the past. Each change is an AuditEvent "config.cadence.<verb>"
with the values before and after (as core.services records configuration).
"""

import re
import unicodedata

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from yingke.core.models import User
from yingke.core.permissions import CONFIGURE, NotVisible, history_user, require
from yingke.core.services import _audit, _raise, clean_text
from yingke.tracking import cadence
from yingke.tracking.models import Buyers, CadenceRule, Event, SchedulerRun, TaskRole
from yingke.tracking.services import _choice

MAX_OFFSET = 365
MAX_OFFSETS = 10
FIELDS = ("name", "event", "buyers", "offsets", "role", "is_active")
_SEPARATORS = re.compile(r"[,\s;、，；]+")


def parse_offsets(value, errors: dict, field: str = "offsets") -> list[int]:
    """Days after the event, as a list of whole numbers or a text such as "3, 30, 60" (full-width
    digits and commas, the ideographic comma 、 accepted). 1–365 days, 1–10 of them, each once;
    returned in ascending order. Anything else: a message on `field`."""
    def fail(message):
        errors.setdefault(field, []).append(message)
        return []

    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        tokens = [t for t in _SEPARATORS.split(text) if t]
    elif isinstance(value, list | tuple):
        tokens = list(value)
    else:
        return fail(_("Enter the days after the event as whole numbers, e.g. 3, 30, 60."))
    days = []
    for token in tokens:
        if isinstance(token, bool):
            return fail(_("Enter the days after the event as whole numbers, e.g. 3, 30, 60."))
        if isinstance(token, str):
            token = unicodedata.normalize("NFKC", token).strip()
            if not re.fullmatch(r"[0-9]{1,6}", token):
                return fail(_("“%(value)s” is not a number of days: enter whole numbers, e.g. 3, 30, 60.")
                            % {"value": token[:20]})
            token = int(token)
        if not isinstance(token, int):
            return fail(_("Enter the days after the event as whole numbers, e.g. 3, 30, 60."))
        if not 1 <= token <= MAX_OFFSET:
            return fail(_("Each day must be between 1 and %(max)d.") % {"max": MAX_OFFSET})
        days.append(token)
    if not days:
        return fail(_("Enter at least one day after the event, e.g. 3, 30, 60."))
    if len(days) > MAX_OFFSETS:
        return fail(_("Enter at most %(max)d days.") % {"max": MAX_OFFSETS})
    if len(set(days)) != len(days):
        return fail(_("Each day may appear only once."))
    return sorted(days)


def _state(rule: CadenceRule) -> dict:
    return {"name": rule.name, "event": rule.event, "buyers": rule.buyers, "offsets": list(rule.offsets),
            "role": rule.role, "is_active": rule.is_active, "active_from": rule.active_from.isoformat()}


def rules_of(actor, prop):
    """The property's cadence rules, for whoever may configure it."""
    require(actor, CONFIGURE, prop)
    return CadenceRule.objects.filter(property=prop).order_by("event", "role", "id")


def rule_of(actor, prop, pk) -> CadenceRule:
    """One rule of `prop`; a rule of another property (or none) is NotVisible."""
    require(actor, CONFIGURE, prop)
    rule = CadenceRule.objects.filter(property=prop, pk=pk).first() if isinstance(pk, int) else None
    if rule is None:
        raise NotVisible
    return rule


def save_rule(actor, prop, rule: CadenceRule | None = None, **data) -> CadenceRule:
    """Create a rule of `prop` (rule None) or change one of its rules with `data` (the fields of
    FIELDS; on creation name and offsets are required). Raises ValidationError naming the field."""
    require(actor, CONFIGURE, prop)
    errors: dict = {}
    for field in set(data) - set(FIELDS):
        errors[field] = [_("This field cannot be changed.")]
    with transaction.atomic():
        if rule is not None:
            rule = CadenceRule.objects.select_for_update().filter(pk=rule.pk, property=prop).first()
            if rule is None:
                raise NotVisible
            before = _state(rule)
        else:
            rule, before = CadenceRule(property=prop), None
            data.setdefault("name", "")
            data.setdefault("offsets", "")
        was_active = rule.is_active if before is not None else False
        if "name" in data:
            rule.name = clean_text(data["name"], "name", 60, errors=errors)
        if "event" in data:
            rule.event = _choice(data["event"], Event, "event", errors)
        if "buyers" in data:
            rule.buyers = _choice(data["buyers"], Buyers, "buyers", errors)
        if "role" in data:
            rule.role = _choice(data["role"], TaskRole, "role", errors)
        if "offsets" in data:
            rule.offsets = parse_offsets(data["offsets"], errors)
        if "is_active" in data:
            if not isinstance(data["is_active"], bool):
                errors.setdefault("is_active", []).append(_("Say yes or no."))
            else:
                rule.is_active = data["is_active"]
        _raise(errors)
        if before is None or (rule.is_active and not was_active):
            rule.active_from = prop.local_today()
        rule._history_user = history_user(actor)
        rule.save()
        _audit(actor, "config.cadence.update" if before is not None else "config.cadence.create",
               f"cadence:{prop.code}:{rule.pk}", before, _state(rule))
    return rule


def run_now(actor, prop) -> SchedulerRun:
    """Run the scheduler for `prop` at once (tasks due today, escalations), logged as "by hand"."""
    require(actor, CONFIGURE, prop)
    return cadence.run_scheduler(trigger=SchedulerRun.Trigger.PAGE, user=actor, properties=[prop])



def runs_for(property_ids):
    """The scheduler runs shown for `property_ids` (None: every property): every automatic run, and
    runs started by hand only by staff of those properties (who ran what elsewhere is not theirs)."""
    qs = SchedulerRun.objects.select_related("user")
    if property_ids is None:
        return qs
    works = User.properties.through.objects.filter(user_id=OuterRef("user_id"), property_id__in=list(property_ids))
    return qs.exclude(Q(trigger=SchedulerRun.Trigger.PAGE) & ~Exists(works))
