"""A general manager's grade for one customer (R-4, issue 13 point 1): set or removed with a
reason, audited, shown beside the computed grade and never lost at the next run.

Rules:
  * Only the general manager of a file they see may do it (core.permissions REGRADE: 404 for a
    file out of sight, 403 for any other role).
  * The reason is required: one line of plain text, 1–200 characters (core.services.clean_text).
  * The grade is one of A, B, C, D.
  * `Customer.grade` (the grade in force) becomes the override's grade; on removal it goes back
    to `Customer.grade_computed` (the last run's). Grading runs keep an override in force (the
    engine reads GradeOverride), so it is never lost at the next run; setting and removing take
    the runs' lock (the property's GradingPolicy row) first, so a concurrent run cannot put its
    computed grade back over a new override.
  * Every set, change and removal is a row of GradeOverride's history (simple_history) with who,
    when, the grade and the reason; a removal's row carries the reason for removing it.
Bad input raises ValidationError with field messages and changes nothing; removing an override
that does not exist is a Conflict (API 409).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.permissions import REGRADE
from yingke.core.services import Conflict, clean_text
from yingke.customers.models import GRADES, Customer
from yingke.grading.models import GradeOverride
from yingke.grading.services import lock_policy

REASON_MAX = 200
CHANGE_REASON_MAX = 100  # simple_history's history_change_reason column


def _reason(value, errors: dict) -> str:
    return clean_text(value, "reason", REASON_MAX, required=True, errors=errors)


def _grade(value, errors: dict) -> str:
    grade = str(value or "").strip().upper() if isinstance(value, str) or value is None else ""
    if grade not in GRADES:
        errors.setdefault("grade", []).append(_("Choose one of: %(choices)s.") % {"choices": ", ".join(GRADES)})
    return grade


def _lock(customer: Customer) -> None:
    """The lock grading runs take (the property's GradingPolicy row), before the customer's row:
    a run that is going on finishes first and one that starts later sees the override, so a run
    never puts its computed grade back over a new override (PostgreSQL; SQLite has one writer)."""
    lock_policy(customer.property)


def _stamp(obj, actor, reason: str) -> None:
    obj._history_user = permissions.history_user(actor)
    obj._change_reason = reason[:CHANGE_REASON_MAX]


def set_override(actor, customer: Customer, grade, reason) -> GradeOverride:
    """Put `grade` in force for `customer` with `reason`; replaces an earlier override."""
    permissions.require(actor, REGRADE, customer)
    errors: dict = {}
    grade = _grade(grade, errors)
    reason = _reason(reason, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock(customer)
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        override = GradeOverride.objects.filter(customer=locked).first() or GradeOverride(customer=locked)
        override.grade, override.reason = grade, reason
        override.created_by = permissions.history_user(actor)
        override.created_at = timezone.now()
        _stamp(override, actor, reason)
        override.save()
        Customer.objects.filter(pk=locked.pk).update(grade=grade)
    customer.grade = grade
    customer.grade_override = override
    return override


def remove_override(actor, customer: Customer, reason) -> Customer:
    """Take the override away: the computed grade (the last run's) is in force again.
    Returns the customer, with the grade now in force."""
    permissions.require(actor, REGRADE, customer)
    errors: dict = {}
    reason = _reason(reason, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock(customer)
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        override = GradeOverride.objects.filter(customer=locked).first()
        if override is None:
            raise Conflict({"grade": [_("This customer's grade is not set by hand; there is nothing to remove.")]})
        # The deletion's history row copies these fields: who removed it, when and why.
        override.reason = reason
        override.created_by = permissions.history_user(actor)
        override.created_at = timezone.now()
        _stamp(override, actor, reason)
        override.delete()
        Customer.objects.filter(pk=locked.pk).update(grade=locked.grade_computed)
    customer.grade = locked.grade_computed
    customer._state.fields_cache.pop("grade_override", None)  # the cached reverse relation
    return customer


def override_history(customer: Customer, limit: int = 50) -> list:
    """The override's history rows of `customer`, newest first (set, changed, removed)."""
    return list(GradeOverride.history.filter(customer_id=customer.pk).select_related("history_user")
                .order_by("-history_date", "-history_id")[:limit])
