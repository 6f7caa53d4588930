"""Claims and releases of guest files (R-6.1): the one service behind the pool page, the
claims page, the 360 page's ownership card and the API.

    claim(actor, customer, reason)         a visible file: pool → theirs at once; owned → a request
    claim_by_code(actor, property, code, reason)   the same, for a file known only by its code
    release(actor, customer, reason)       back to the shared pool
    approve(actor, claim, reason="") / refuse(actor, claim, reason) / withdraw(actor, claim)

Rules, in plain words:
  * Claiming (CLAIM): account and sales managers of the file's property who do not own it.
    A pool file (no owner) becomes the claimant's at once (Assignment rule "claim"); no Claim
    row is kept. A file someone owns becomes a pending Claim, decided by the sales manager of
    its account manager or the general manager (DECIDE). One pending claim per claimant and
    file: a second one is refused (409), as is claiming a file that is already yours.
  * Nobody decides their own claim: a sales manager's claim of a team member's file goes to
    the general manager.
  * Approving moves the file to the claimant (ownership.move, rule "approved"); the other
    pending claims of the file lapse (the file changed hands). Refusing needs a reason; the
    claimant sees the decision and its reason. The claimant may withdraw a pending claim.
  * Releasing (may_release, and EDIT on the file): the file goes back to the pool (rule
    "release") with a reason; its pending claims lapse.
  * Reasons are one line of text (core.services.clean_text): required, at most 500
    characters (the approval's reason is optional: the claim's own reason is recorded).

Concurrency. Two people claiming one free file at the same moment: exactly one gets it, the
other is told "someone claimed this file a moment ago" (Conflict, 409 in the API). Every
write here first locks the file's row (SELECT … FOR UPDATE on PostgreSQL; SQLite takes the
database's write lock at BEGIN IMMEDIATE, settings.DATABASES) and reads the owner again
under that lock; only then does it decide and call ownership.move, the one writer of
owners. The second transaction waits for the first to commit and then sees the new owner.
Claims are locked after their file, always in that order, so approvals, refusals and
withdrawals of one claim cannot both win (tests/control/test_claims_race.py).

What an account manager learns about a file they may not see (R-1.2, R-12.1). An account
manager sees only their own files and the pool, so a file owned by someone else has no page
and no id they may use: `claim(…)` of such an id is 404 like any unknown id. They claim it
by its customer code (`claim_by_code`) — what the guest, a colleague or a duplicate warning
("this customer code is already used in this property", the new-file form) tells them. The
answer reveals only that a file with this code exists in the property and has an account
manager: no name, no mobile, no owner. The one exception to "404 by id": an account manager
who claims from the pool page a file that someone claimed from the pool a moment ago (the
last RACE_WINDOW) is told so (409), not 404 — they saw it in the pool, and the answer says
only that it left the pool. "My claims" shows such a claim by its code alone
until it is approved (then the file is theirs and visible). An unknown code and an invalid
one get the same message. The code's existence is no more than the new-file form already
tells anyone who may open files in the property.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.control import ownership
from yingke.control.models import Assignment, Claim
from yingke.core import permissions
from yingke.core.permissions import CLAIM, DECIDE, EDIT, SEE, NotVisible, is_staff, is_system
from yingke.core.roles import Role
from yingke.core.services import Conflict, clean_text, plain, valid_id
from yingke.customers.models import Customer
from yingke.customers.pinyin import clean_name

REASON_MAX = 500
CODE_MAX = 30
RACE_WINDOW = dt.timedelta(minutes=10)  # how long "someone claimed this file a moment ago" is told


class Outcome:
    """What a claim did: `owned` (the file is now the claimant's) or `requested` (a Claim)."""

    def __init__(self, customer, claim=None):
        self.customer, self.claim = customer, claim

    @property
    def owned(self) -> bool:
        return self.claim is None


def _reason(value, required=True) -> str:
    return clean_text(value, "reason", REASON_MAX, required=required)


def _locked(customer_id) -> Customer:
    """The file's row, locked until the end of the transaction (see the module docstring)."""
    c = Customer.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=customer_id).first()
    if c is None:
        raise NotVisible
    return c


def _raced() -> Conflict:
    return Conflict({"customer": [_("Someone claimed this file a moment ago; it is no longer in the pool.")]})


def _claim(actor, customer_id, reason, expect_pool: bool) -> Outcome:
    """Under the caller's transaction: lock the file, and claim it (pool) or request it.
    `expect_pool`: the actor saw the file in the pool (a pool claim); it is a race lost when
    the file has an owner by the time the lock is ours."""
    c = _locked(customer_id)
    if c.owner_id is not None and expect_pool:
        if c.owner_id == getattr(actor, "pk", None):
            raise Conflict({"customer": [_("This file is already yours.")]})
        raise _raced()  # the answer says no more than that it left the pool
    permissions.require(actor, CLAIM, c)
    if c.owner_id is None:
        ownership.move(actor, [c.pk], actor, rule=Assignment.Rule.CLAIM, reason=reason)
        c.owner, c.owner_id = actor, actor.pk
        return Outcome(c)
    if Claim.objects.filter(customer_id=c.pk, claimant_id=actor.pk, status=Claim.Status.PENDING).exists():
        raise Conflict({"customer": [_("You have already claimed this file; wait for the decision or withdraw "
                                       "that claim.")]})
    made = Claim.objects.create(property_id=c.property_id, customer=c, claimant=actor, owner_id=c.owner_id,
                                reason=reason)
    return Outcome(c, made)


def claim(actor, customer: Customer, reason, *, from_pool: bool = False) -> Outcome:
    """Claim a file the actor sees, as they saw it (`customer.owner_id`): from the pool, theirs
    at once; owned, a request. `from_pool`: claim it only if it is still in the pool (the pool
    page), never make a request. NotVisible for a file they may not see; Conflict when
    someone claimed it first or their claim of it is pending."""
    permissions.require(actor, SEE, customer)
    reason = _reason(reason)
    with transaction.atomic():
        return _claim(actor, customer.pk, reason, expect_pool=from_pool or customer.owner_id is None)


def claim_id(actor, customer_id, reason, *, from_pool: bool = False) -> Outcome:
    """`claim` by id, as the pages and the API post it. A file the actor does not see is
    NotVisible, except one that someone claimed from the pool of the actor's property in the
    last RACE_WINDOW: then the actor lost a race for a file they saw in the pool, and is told
    so (Conflict) — which says only that the file left the pool a moment ago."""
    c = (Customer.objects.visible_to(actor).select_related("owner").filter(pk=customer_id).first()
         if valid_id(customer_id) else None)
    if c is None:
        if valid_id(customer_id) and _just_claimed(actor, customer_id):
            raise _raced()
        raise NotVisible
    return claim(actor, c, reason, from_pool=from_pool)


def _just_claimed(actor, customer_id) -> bool:
    if not is_staff(actor) or actor.role not in permissions.OWNER_ROLES:
        return False
    return Assignment.objects.filter(
        customer_id=customer_id, property_id__in=actor.property_ids(), previous_owner__isnull=True,
        rule=Assignment.Rule.CLAIM, created_at__gte=timezone.now() - RACE_WINDOW).exists()


def find_by_code(property, code) -> int | None:
    """The id of the file of `property` with this customer code (as typed: spaces trimmed,
    NFKC, upper case like stored codes), or None."""
    text = clean_name(str(code or "")).upper()
    if not text or len(text) > CODE_MAX or not plain(text) or property is None:
        return None
    return Customer.objects.filter(property=property, customer_code=text).values_list("pk", flat=True).first()


def claim_by_code(actor, property, code, reason) -> Outcome:
    """Claim the file with customer code `code` in `property`, which the actor may not be able
    to see. The answer reveals only that the file exists and has an account manager."""
    errors: dict = {}
    clean_text(code, "code", CODE_MAX, errors=errors)
    try:
        reason = _reason(reason)
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    if not is_system(actor) and (not is_staff(actor) or actor.role not in permissions.OWNER_ROLES
                                 or property is None or property.pk not in actor.property_ids()):
        raise PermissionDenied(_("Only account and sales managers of this property can claim its files."))
    pk = find_by_code(property, code)
    if pk is None:
        raise ValidationError({"code": [_("No file of this property has this customer code.")]})
    with transaction.atomic():
        return _claim(actor, pk, reason, expect_pool=False)


def release(actor, customer: Customer, reason) -> Customer:
    """Put a file the actor may edit back into the shared pool, with a reason."""
    reason = _reason(reason)
    permissions.require(actor, EDIT, customer)
    if not permissions.may_release(actor):
        raise PermissionDenied(_("Your role may not put files back into the shared pool."))
    with transaction.atomic():
        c = _locked(customer.pk)
        if c.owner_id is None:
            raise Conflict({"customer": [_("This file is already in the shared pool.")]})
        permissions.require(actor, EDIT, c)  # the owner may have changed since it was read
        ownership.move(actor, [c.pk], None, rule=Assignment.Rule.RELEASE, reason=reason)
        c.owner, c.owner_id = None, None
        return c


def _pending(actor, claim_id, decide: bool) -> Claim:
    """The claim, its file locked first and then the claim itself (one order everywhere)."""
    c = _locked(claim_id_customer(claim_id))
    made = Claim.objects.select_for_update(of=("self",)).select_related("claimant").filter(pk=claim_id).first()
    if made is None:
        raise NotVisible
    made.customer = c
    if decide:
        permissions.require(actor, DECIDE, made)
        if not is_system(actor) and made.claimant_id == actor.pk:
            raise PermissionDenied(_("You cannot decide your own claim; the general manager decides it."))
    elif is_system(actor) or made.claimant_id != actor.pk:
        raise PermissionDenied(_("Only the member of staff who made a claim may withdraw it."))
    if made.status != Claim.Status.PENDING:
        raise Conflict({"claim": [_("This claim was already decided (%(status)s); nothing was changed.")
                                  % {"status": made.get_status_display()}]})
    return made


def claim_id_customer(claim_id) -> int:
    pk = Claim.objects.filter(pk=claim_id).values_list("customer_id", flat=True).first()
    if pk is None:
        raise NotVisible
    return pk


def approve(actor, claim: Claim, reason="") -> Claim:
    """Give the file to the claimant; the file's other pending claims lapse."""
    reason = _reason(reason, required=False)
    with transaction.atomic():
        made = _pending(actor, claim.pk, decide=True)
        claimant = made.claimant
        if not (claimant.is_active and claimant.role in permissions.OWNER_ROLES
                and made.property_id in claimant.property_ids()):
            raise Conflict({"claim": [_("%(name)s can no longer be responsible for files of this property; "
                                        "refuse the claim.") % {"name": claimant.label}]})
        ownership.move(actor, [made.customer_id], claimant, rule=Assignment.Rule.APPROVED,
                       reason=reason or made.reason, keep_claims=[made.pk])
        _decide(actor, made, Claim.Status.APPROVED, reason)
        return made


def refuse(actor, claim: Claim, reason) -> Claim:
    """Refuse a claim, with a reason the claimant will read; the file stays where it is."""
    reason = _reason(reason)
    with transaction.atomic():
        made = _pending(actor, claim.pk, decide=True)
        _decide(actor, made, Claim.Status.REFUSED, reason)
        return made


def withdraw(actor, claim: Claim) -> Claim:
    """The claimant takes back a pending claim."""
    with transaction.atomic():
        made = _pending(actor, claim.pk, decide=False)
        _decide(actor, made, Claim.Status.WITHDRAWN, "")
        return made


def _decide(actor, made, status, reason):
    made.status, made.decision_reason = status, reason
    made.decided_by, made.decided_at = permissions.history_user(actor), timezone.now()
    made.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])


# ---- reads ------------------------------------------------------------------------------------

def decidable(actor):
    """Claims `actor` decides or decided: the general manager every claim of their properties;
    a sales manager the pending claims they may decide now (DECIDE: the file's account manager
    is in their team today — not the owner when it was claimed, so a sales manager who
    inherits a team does not see its old claims) and the claims they decided themselves.
    Never their own claims (they do not decide them)."""
    qs = Claim.objects.all()
    if is_system(actor):
        return qs
    if not is_staff(actor):
        return qs.none()
    qs = qs.filter(property_id__in=actor.property_ids()).exclude(claimant_id=actor.pk)
    if actor.role == Role.GENERAL_MANAGER:
        return qs
    if actor.role == Role.SALES_MANAGER:
        return qs.filter(Q(status=Claim.Status.PENDING, customer__owner__manager_id=actor.pk)
                         | Q(decided_by_id=actor.pk))
    return qs.none()


def mine(actor):
    """The actor's own claims."""
    if not is_staff(actor):
        return Claim.objects.none()
    return Claim.objects.filter(claimant_id=actor.pk)


def claim_for(actor, pk) -> Claim:
    """A claim the actor made or decides; anything else (and a bad id) is NotVisible."""
    if not valid_id(pk):
        raise NotVisible
    made = (Claim.objects.filter(pk=pk).filter(Q(pk__in=decidable(actor).values("pk")) | Q(pk__in=mine(actor)
                                                                                             .values("pk")))
            .select_related("customer", "claimant", "property").first())
    if made is None:
        raise NotVisible
    return made


def may_claim(actor, customer) -> bool:
    """For buttons: whether `actor` may claim (or request) this file they see."""
    return is_staff(actor) and customer.owner_id != actor.pk and permissions.can(actor, CLAIM, customer)


def claim_roles(actor) -> bool:
    """Whether the actor's role claims files at all (for the pool page's buttons, no query)."""
    return is_staff(actor) and actor.role in permissions.OWNER_ROLES
