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
"""

from django.db import transaction
from django.utils import timezone

from yingke.control.models import Assignment, Claim, Unassigned
from yingke.core.permissions import history_user
from yingke.customers.models import Customer

BATCH = 1000


def move(actor, customer_ids, owner, *, rule: str, reason: str = "", handover=None,
         keep_claims=()) -> list[int]:
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    owner_id = owner.pk if owner is not None else None
    user, now = history_user(actor), timezone.now()
    moved: list[int] = []
    with transaction.atomic():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            rows = list(Customer.objects.filter(pk__in=chunk).exclude(owner_id=owner_id)
                        .select_for_update().values_list("pk", "property_id", "owner_id"))
            if not rows:
                continue
            got = [pk for pk, _p, _o in rows]
            Customer.objects.filter(pk__in=got).update(owner_id=owner_id, updated_at=now)
            Assignment.objects.bulk_create([
                Assignment(property_id=prop, customer_id=pk, owner_id=owner_id, previous_owner_id=previous,
                           rule=rule, reason=reason[:300], actor=user, handover=handover, created_at=now)
                for pk, prop, previous in rows])
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
