"""Churn (R-9.1, seed 003): effective customers who become D at a grading run are flagged as
lost; their account manager records why; customers effective again are won back.

Rules:
  * `flag_losses(run, previous_run)` runs inside the grading run's transaction. A customer
    whose snapshot entry is A, B or C at `previous_run` and D at `run` gets a Loss (lost on
    the run's as-of date, the grade before, the account manager and module of the file at
    that moment) unless they have an open loss already. A customer with an open loss who is
    A, B or C at `run` is won back (won_back_on = the run's as-of date). Both are set-based:
    one INSERT of the new losses and one UPDATE of the won-back ones, with their history
    rows in bulk.
  * Only the newest run of the property (by as-of date, then id) flags anything: a run for
    an older date (a re-grading of the past) changes no loss.
  * At most one open loss per customer: the property's grading parameters row is locked
    for the duration (the engine locks it too), so two runs of one property cannot both
    insert; the check for an open loss is made under that lock. A merge can bring two open
    losses onto one file; the next win-back closes both.
  * A loss is seen through its file (Loss.objects.visible_to: the row rule on the customer;
    a lost file stays with its account manager). Recording the reason needs EDIT on the
    file (its account manager, their sales manager, the general manager); the reason comes
    from the property's list of reasons in use; details (0–500 characters) are required
    when the reason is "other". Every change is in the loss's history with the user.
  * Reasons for loss are configuration (CONFIGURE): added, renamed, reordered, taken out of
    use (never deleted: losses name them). Audited as config.loss_reason.<verb>.
  * The churn report (REPORT on the property, rows limited by report_rule on the customer):
    losses in a period by reason, by module and by account manager, and customers won back
    in the period (how many had been explained).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from yingke.core import permissions
from yingke.core.db import save_unique
from yingke.core.models import AuditEvent, Property
from yingke.core.permissions import CONFIGURE, EDIT, REPORT, NotVisible
from yingke.core.services import clean_text, configurable_properties, plain, valid_id, visible
from yingke.grading.models import GradeEntry, GradingPolicy, GradingRun, Loss, LossReason

EFFECTIVE = ("A", "B", "C")
OTHER = "other"  # the code of the reason that needs details
NOTE_MAX = 500
NAME_MAX = 50

TO_EXPLAIN, EXPLAINED, WON_BACK = "open", "explained", "won_back"
STATES = {
    TO_EXPLAIN: gettext_lazy("To explain"),
    EXPLAINED: gettext_lazy("Explained"),
    WON_BACK: gettext_lazy("Won back"),
}


# ---- flagging (called by the grading engine) -------------------------------------------

def is_newest(run: GradingRun) -> bool:
    """No other run of the property is for a later date (or the same date, made later)."""
    return not GradingRun.objects.filter(property_id=run.property_id).exclude(pk=run.pk).filter(
        Q(as_of__gt=run.as_of) | Q(as_of=run.as_of, pk__gt=run.pk)).exists()


def flag_losses(run, previous_run) -> tuple[int, int]:
    """Called by the grading service inside the run's transaction, after the snapshot is
    stored: flag as lost the customers who were A/B/C at `previous_run` and are D at `run`,
    and mark open losses of customers effective again as won back. Returns (lost, won back)."""
    if run is None:
        return 0, 0
    with transaction.atomic():
        # The engine holds this lock already; taking it here keeps the rule when someone else calls.
        list(GradingPolicy.objects.select_for_update().filter(property_id=run.property_id).values_list("pk"))
        if not is_newest(run):
            return 0, 0
        lost = _flag(run, previous_run) if previous_run is not None else 0
        won = _win_back(run)
    return lost, won


def _open_losses():
    return Loss.objects.filter(won_back_on__isnull=True)


def _flag(run, previous_run) -> int:
    before = GradeEntry.objects.filter(run_id=previous_run.pk, customer_id=OuterRef("customer_id"),
                                       grade__in=EFFECTIVE).values("grade")[:1]
    rows = (GradeEntry.objects.filter(run_id=run.pk, grade="D")
            .annotate(before=Subquery(before))
            .filter(before__isnull=False, customer__property_id=run.property_id)
            .exclude(customer_id__in=_open_losses().values("customer_id"))
            .values_list("customer_id", "before", "customer__owner_id", "customer__module_id"))
    losses = [Loss(customer_id=cid, property_id=run.property_id, run_id=run.pk, lost_on=run.as_of,
                   previous_grade=grade, owner_id=owner, module_id=module)
              for cid, grade, owner, module in rows.iterator(chunk_size=2000)]
    if losses:
        bulk_create_with_history(losses, Loss, batch_size=1000, default_change_reason="grading run")
    return len(losses)


def _win_back(run) -> int:
    back = list(_open_losses().filter(
        property_id=run.property_id, lost_on__lte=run.as_of,
        customer_id__in=GradeEntry.objects.filter(run_id=run.pk, grade__in=EFFECTIVE).values("customer_id")))
    for loss in back:
        loss.won_back_on, loss.won_back_run_id = run.as_of, run.pk
    if back:
        bulk_update_with_history(back, Loss, ["won_back_on", "won_back_run"], batch_size=1000,
                                 default_change_reason="grading run")
    return len(back)


# ---- the lost-customer list --------------------------------------------------------------

def state_of(loss: Loss) -> str:
    if loss.won_back_on is not None:
        return WON_BACK
    return EXPLAINED if loss.reason_id else TO_EXPLAIN


def visible_losses(user):
    """Losses of the files `user` sees (the row rule), with what the list shows."""
    return Loss.objects.visible_to(user).select_related("customer", "owner", "module", "reason", "property",
                                                        "explained_by")


def filter_losses(qs, *, state=None, start=None, end=None, reason=None, owner=None, module=None, property=None,
                  customer=None):
    """Narrow a loss query: state (open/explained/won_back), lost from/to (dates), a reason,
    an account manager (the one at the time of the loss), a module ("none": without), a property."""
    if state == TO_EXPLAIN:
        qs = qs.filter(won_back_on__isnull=True, reason__isnull=True)
    elif state == EXPLAINED:
        qs = qs.filter(won_back_on__isnull=True, reason__isnull=False)
    elif state == WON_BACK:
        qs = qs.filter(won_back_on__isnull=False)
    if start:
        qs = qs.filter(lost_on__gte=start)
    if end:
        qs = qs.filter(lost_on__lte=end)
    if reason is not None:
        qs = qs.filter(reason=reason)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if module == "none":
        qs = qs.filter(module__isnull=True)
    elif module is not None:
        qs = qs.filter(module=module)
    if property is not None:
        qs = qs.filter(property=property)
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs


def visible_loss(user, pk) -> Loss:
    loss = visible_losses(user).filter(pk=pk).first() if valid_id(pk) else None
    if loss is None:
        raise NotVisible
    return loss


def may_explain(user, loss: Loss) -> bool:
    return permissions.can(user, EDIT, loss.customer)


def explainable(user, losses) -> set[int]:
    """Of `losses` (read through visible_losses), the ids whose reason `user` may record: one
    query for a whole page (EDIT on the file is being a file editor who sees it)."""
    from yingke.customers.models import Customer

    ids = {loss.customer_id for loss in losses}
    editable = set(Customer.objects.editable_by(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return {loss.pk for loss in losses if loss.customer_id in editable}


def reasons_in_use(property_id):
    return LossReason.objects.filter(property_id=property_id, is_active=True).order_by("sort_order", "id")


@transaction.atomic
def explain_loss(actor, loss: Loss, reason, note: str = "") -> Loss:
    """Record why a customer was lost (R-9.1): EDIT on the file; a reason in use of the
    loss's property; details required for "other", at most 500 characters."""
    loss = Loss.objects.select_for_update().filter(pk=loss.pk).first()
    if loss is None:
        raise NotVisible
    permissions.require(actor, EDIT, loss.customer)
    errors: dict = {}
    if isinstance(reason, int):
        reason = LossReason.objects.filter(pk=reason).first() if valid_id(reason) else None
    if not isinstance(reason, LossReason) or reason.property_id != loss.property_id or not reason.is_active:
        errors["reason"] = [_("Choose one of this property's reasons.")]
        reason = None
    text = clean_text(note, "note", NOTE_MAX, required=False, errors=errors)
    if "note" not in errors and reason is not None and reason.code == OTHER and not visible(text):
        errors["note"] = [_("Describe the reason when it is “other”.")]
    if errors:
        raise ValidationError(errors)
    loss.reason, loss.note = reason, text
    loss.explained_by = permissions.history_user(actor)
    loss.explained_at = timezone.now()
    loss._history_user = permissions.history_user(actor)
    loss.save(update_fields=["reason", "note", "explained_by", "explained_at"])
    return loss


def customer_losses(user, customer):
    """The losses of one file (open first, then the newest), as the 360 page shows them."""
    return list(visible_losses(user).filter(customer=customer).order_by("won_back_on", "-lost_on", "-id")[:20])


# ---- reasons for loss (configuration) --------------------------------------------------

def configurable_reasons(actor, property=None):
    props = configurable_properties(actor)
    qs = LossReason.objects.filter(property__in=props).select_related("property").annotate(
        n_losses=Count("losses"))
    if property is not None:
        qs = qs.filter(property=property)
    return qs.order_by("property__code", "sort_order", "id")


def configurable_reason(actor, pk) -> LossReason:
    reason = configurable_reasons(actor).filter(pk=pk).first() if valid_id(pk) else None
    if reason is None:
        raise NotVisible
    return reason


def _reason_state(r: LossReason) -> dict:
    return {"code": r.code, "name": r.name, "sort_order": r.sort_order, "is_active": r.is_active}


def _reason_name(value, prop, errors, exclude_pk=None) -> str:
    name = clean_text(value, "name", NAME_MAX, errors=errors)
    if "name" not in errors:
        clash = LossReason.objects.filter(property=prop, name=name)
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = [_("This property already has a reason “%(name)s”.") % {"name": name}]
    return name


def _new_code(prop) -> str:
    taken = set(LossReason.objects.filter(property=prop).values_list("code", flat=True))
    n = len(taken) + 1
    while f"r{n}" in taken:
        n += 1
    return f"r{n}"


@transaction.atomic
def create_reason(actor, prop: Property, name) -> LossReason:
    permissions.require(actor, CONFIGURE, prop)
    errors: dict = {}
    name = _reason_name(name, prop, errors)
    if errors:
        raise ValidationError(errors)
    last = LossReason.objects.filter(property=prop).order_by("-sort_order").values_list("sort_order", flat=True)
    reason = LossReason(property=prop, code=_new_code(prop), name=name, sort_order=(last.first() or 0) + 1)
    save_unique(reason, "name", _("This property already has this reason."))
    AuditEvent.record(actor, "config.loss_reason.create", f"loss_reason:{prop.code}/{reason.code}",
                      after=_reason_state(reason))
    return reason


@transaction.atomic
def update_reason(actor, reason: LossReason, **data) -> LossReason:
    """Rename (name), reorder (sort_order 0–999), take out of use or back (is_active)."""
    reason = configurable_reason(actor, reason.pk)
    permissions.require(actor, CONFIGURE, reason.property)
    before = _reason_state(reason)
    errors: dict = {}
    for field in set(data) - {"name", "sort_order", "is_active"}:
        errors[field] = [_("This field cannot be changed.")]
    if "name" in data:
        reason.name = _reason_name(data["name"], reason.property, errors, exclude_pk=reason.pk)
    if "sort_order" in data:
        order = data["sort_order"]
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 999:
            errors["sort_order"] = [_("Enter a whole number from 0 to %(max)s.") % {"max": 999}]
        else:
            reason.sort_order = order
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = [_("Enter true or false.")]
        else:
            reason.is_active = data["is_active"]
    if errors:
        raise ValidationError(errors)
    save_unique(reason, "name", _("This property already has this reason."),
                update_fields=["name", "sort_order", "is_active"])
    after = _reason_state(reason)
    changed = sorted(k for k in after if before[k] != after[k])
    if changed:
        AuditEvent.record(actor, "config.loss_reason.update", f"loss_reason:{reason.property.code}/{reason.code}",
                          before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return reason


@transaction.atomic
def move_reason(actor, reason: LossReason, step: int) -> LossReason:
    """Move a reason one place up (step −1) or down (+1) in its property's list."""
    reason = configurable_reason(actor, reason.pk)
    permissions.require(actor, CONFIGURE, reason.property)
    ordered = list(LossReason.objects.filter(property_id=reason.property_id).order_by("sort_order", "id"))
    i = next(k for k, r in enumerate(ordered) if r.pk == reason.pk)
    j = i + (1 if step > 0 else -1)
    if not 0 <= j < len(ordered):
        return reason
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for n, r in enumerate(ordered, 1):
        if r.sort_order != n:
            r.sort_order = n
            r.save(update_fields=["sort_order"])
    AuditEvent.record(actor, "config.loss_reason.reorder", f"loss_reason:{reason.property.code}/{reason.code}",
                      after={"order": [r.code for r in ordered]})
    return reason


# ---- the churn report ----------------------------------------------------------------------

def report_property(actor, code=None, pk=None) -> Property:
    """A property whose reports `actor` reads (REPORT); NotVisible for one they do not work at,
    PermissionDenied for a role that reads no reports."""
    code = None if code is None else str(code)
    if code is not None and (not plain(code.strip()) or len(code.strip()) > 20):
        raise NotVisible
    return permissions.chosen_property(actor, code, REPORT, pk=pk)[0]


def churn_report(actor, prop: Property, start: dt.date, end: dt.date) -> dict:
    """Losses flagged from `start` to `end` (inclusive, as-of dates) by reason, module and
    account manager, and customers won back in the period (and how many had been explained)."""
    permissions.require(actor, REPORT, prop)
    if end < start:
        raise ValidationError({"to": [_("The end of the period is before its start.")]})
    base = Loss.objects.filter(property=prop).filter(permissions.report_rule(actor, "customer"))
    lost = base.filter(lost_on__gte=start, lost_on__lte=end)
    total = lost.count()

    def grouped(key, label_of):
        rows = []
        for r in lost.values(*key).annotate(n=Count("id")).order_by("-n", *key):
            rows.append({"key": r[key[0]], "label": label_of(r), "losses": r["n"],
                         "share": (r["n"] * 100 / total) if total else 0})
        return rows

    by_reason = grouped(["reason_id", "reason__name"], lambda r: r["reason__name"] or _("Not yet explained"))
    by_module = grouped(["module_id", "module__name"], lambda r: r["module__name"] or _("No module"))
    by_owner = grouped(["owner_id", "owner__display_name", "owner__username"],
                       lambda r: (r["owner__display_name"] or r["owner__username"]) if r["owner_id"]
                       else _("Pool"))
    won = base.filter(won_back_on__gte=start, won_back_on__lte=end).aggregate(
        n=Count("id"), explained=Count("id", filter=Q(reason__isnull=False)))
    open_now = base.filter(won_back_on__isnull=True).aggregate(
        n=Count("id"), unexplained=Count("id", filter=Q(reason__isnull=True)))
    return {"property": prop, "start": start, "end": end, "lost": total, "by_reason": by_reason,
            "by_module": by_module, "by_owner": by_owner, "won_back": won["n"],
            "won_back_explained": won["explained"], "open": open_now["n"], "open_unexplained": open_now["unexplained"],
            "team_limited": permissions.team_limited(actor)}
