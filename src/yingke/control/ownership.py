"""The one place that changes the account manager of files in bulk (R-6.1, R-6.2, R-1.3):
claims, approvals, releases, bulk and rule-based assignment, handover.

    moved = move(actor, customer_ids, owner, rule=Assignment.Rule.BULK, reason="…")

Callers decide first whether `actor` may (core.permissions: CLAIM/DECIDE/require_assign/
HANDOVER); `move` only writes, under the caller's transaction:
- one UPDATE per batch of the files whose owner really changes (files already owned by
  `owner` are left alone and not counted);
- an Assignment per moved file (who, when, the rule, the reason, the previous owner);
- a history record per moved file ("~", with the reason), like an edit of the owner field;
- pending claims of the moved files lapse (the file changed hands), except those the
  caller names in `keep_claims`;
- a moved file leaves the sales manager's queue (Unassigned) when it gets an owner.
Returns the ids of the files moved.

Every row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite holds the write lock from
BEGIN IMMEDIATE) and read again before anything is written, so what the caller checked can be
checked again on the rows as they are now:
- `expect` {file id: owner id or None}: the owner the caller saw (and decided on) for each
  file. If any file has another owner by the time the lock is ours (or is gone), Conflict and
  nothing moves: all or nothing.
- `only_from` (a collection of owner ids, None for the pool): files owned by anyone else
  are skipped, not moved.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.control.models import Assignment, Claim, Unassigned
from yingke.core.permissions import history_user
from yingke.core.services import Conflict
from yingke.customers.models import Customer

BATCH = 1000


def changed_meanwhile(n: int, of: int) -> Conflict:
    if of == 1:
        return Conflict({"owner": [_("This file changed account manager a moment ago, so nothing was changed. "
                                     "Reload the page and try again.")]})
    return Conflict({"ids": [_("%(n)s of the %(all)s files changed account manager a moment ago, so nothing was "
                               "changed. Reload the page and try again.") % {"n": n, "all": of}]})


def move(actor, customer_ids, owner, *, rule: str, reason: str = "", handover=None,
         keep_claims=(), expect: dict | None = None, only_from=None) -> list[int]:
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    owner_id = owner.pk if owner is not None else None
    user, now = history_user(actor), timezone.now()
    moved: list[int] = []
    with transaction.atomic():
        rows = []  # (pk, property_id, owner_id) of every file, locked, in id order
        for start in range(0, len(ids), BATCH):
            rows.extend(Customer.objects.filter(pk__in=ids[start:start + BATCH]).order_by("pk")
                        .select_for_update().values_list("pk", "property_id", "owner_id"))
        if expect is not None:
            now_owned = {pk: o for pk, _p, o in rows}
            changed = sum(1 for pk in ids if pk not in now_owned or now_owned[pk] != expect.get(pk))
            if changed:
                raise changed_meanwhile(changed, len(ids))
        sources = None if only_from is None else set(only_from)
        rows = [r for r in rows if r[2] != owner_id and (sources is None or r[2] in sources)]
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            got = [pk for pk, _p, _o in chunk]
            Customer.objects.filter(pk__in=got).update(owner_id=owner_id, updated_at=now)
            Assignment.objects.bulk_create([
                Assignment(property_id=prop, customer_id=pk, owner_id=owner_id, previous_owner_id=previous,
                           rule=rule, reason=reason[:300], actor=user, handover=handover, created_at=now)
                for pk, prop, previous in chunk])
            files = list(Customer.objects.filter(pk__in=got))
            for f in files:
                f._history_user, f._history_date = user, now
            Customer.history.bulk_history_create(files, update=True, default_change_reason=(reason or rule)[:100],
                                                 default_user=user, default_date=now)
            (Claim.objects.filter(customer_id__in=got, status=Claim.Status.PENDING)
             .exclude(pk__in=list(keep_claims))
             .update(status=Claim.Status.LAPSED, decided_at=now))
            if owner_id is not None:
                Unassigned.objects.filter(customer_id__in=got).delete()
            moved.extend(got)
    return moved


def move_edited_owner(actor, customer_id: int, owner, *, expect_owner_id, reason: str) -> bool:
    """customers.services.save_customer's owner change (the edit form, PATCH): rule "manual",
    and only if the file still has the owner the editor saw. Registered as
    customers.services.OWNER_MOVER (control.apps): customers does not import control."""
    return bool(move(actor, [customer_id], owner, rule=Assignment.Rule.MANUAL, reason=reason,
                     expect={customer_id: expect_owner_id}))
