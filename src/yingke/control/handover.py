"""Handover of a leaving member of staff's work (R-1.3; seed 004: "when any employee leaves,
they hand in every guest file they hold; only then may they leave").

    held = holdings(member)                       # {"customers": {property_id: 12}, …}
    h = handover(actor, member, to=colleague, reason="离职")
    h = handover(actor, member, by_rules=True, reason="离职", properties=[h1])

Who: whoever may HANDOVER the member (core.permissions: the general manager or an
administrator of a property they work at). The handover covers the member's properties
that the actor configures (or fewer, `properties`); a member who also works elsewhere is
handed over there by someone who configures that property.

Where to: exactly one of
  * `to`: an active account or sales manager of each property handed over whom the actor
    may make responsible for its files (permissions.assignable_owners; an administrator,
    who sees no guest files, chooses among the property's account and sales managers like
    the command line does — the moves are still recorded under the administrator's name);
  * `by_rules`: every file goes through the property's assignment rules
    (control.assignment.assign_by_rules) with the leaver excluded; files no rule places go
    to the shared pool and wait in the sales manager's queue.

What moves, in ONE transaction (all or nothing), recorded on a Handover row (`counts`):
  customers        the files they own: control.ownership.move (an Assignment per file with
                   rule "handover", the actor, the reason and the handover; a history record),
                   so the new owners and the pool see them at the next request (no cache).
  claims_made      their pending claims of other people's files: withdrawn, with the reason.
  claims_to_decide claims of their team's files waiting for them (a sales manager): left
                   pending. They follow the team: with the team handed to a sales manager that
                   person decides them; otherwise the general manager, who may decide every
                   claim of the property (permissions DECIDE), finds them in the claims queue.
  team             their active account managers (a sales manager): handed to `to` when `to`
                   is a sales manager; otherwise they report to no sales manager (the general
                   manager leads them) until one is chosen on their staff page. Only those who
                   work at none but the handed-over properties: one who also works elsewhere
                   stays in the member's team (moving them would change another property's
                   team without its general manager) — `team_kept` in the counts, named in the
                   summary and on the screen; the member's deactivation stays blocked by the
                   team check in core.services until someone gives them a new sales manager.
  targets          their position targets of periods that have not started yet (R-6.3):
                   added to `to`'s targets of the same periods (so the team's total stays);
                   by the rules, removed (the sales manager sets the new owners' targets).
  …                whatever later issues register in HOLDINGS.

The registry. `HOLDINGS` lists every kind of work a member of staff can hold, in order:
    Holding(key, label, counter, mover, blocks=True)
  key      a short code, the key in `holdings()` and in Handover.counts
  label    lazy translated text, plural ("open follow-ups")
  counter  counter(member, property_ids) -> {property_id: count}: what `member` holds in
           those properties (only the positive counts)
  mover    mover(ctx: Context) -> int: move it all inside the handover's transaction and
           return how many items moved. `ctx` has actor, member, to (None: by the rules),
           property_ids, handover, reason and `owners` ({customer_id: new owner id or None}
           for the files this handover moved — work attached to a customer follows it)
  blocks   whether holding it keeps the member from being deactivated (core.services asks
           `blocking` through core.services.HOLDING_COUNTERS, registered in apps.py)
Later issues append theirs in their AppConfig.ready(), e.g.
    HOLDINGS.append(Holding("follow_ups", _("open follow-ups"), count_follow_ups, move_follow_ups))
Open follow-ups, commitments and complaints will be registered by the tracking and
complaints issues.
"""

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.control.models import Assignment, Claim, Handover, PositionTarget, Unassigned
from yingke.control.ownership import move
from yingke.core import permissions
from yingke.core.models import AuditEvent, Property
from yingke.core.permissions import HANDOVER, SYSTEM, history_user, is_system
from yingke.core.roles import OWNER_ROLES, Role
from yingke.core.services import Conflict, clean_text, configurable_member
from yingke.customers.models import Customer

User = get_user_model()
TARGET_FIELDS = ("effective", "a_customers", "visits", "revenue", "new_customers", "follow_ups")


@dataclasses.dataclass
class Context:
    actor: object
    member: object
    to: object | None
    property_ids: list[int]
    handover: Handover
    reason: str
    owners: dict = dataclasses.field(default_factory=dict)
    rules: dict = dataclasses.field(default_factory=dict)  # by the rules: {rule: files}


class Holding(NamedTuple):
    key: str
    label: str
    counter: Callable
    mover: Callable
    blocks: bool = True


def _by_property(qs, field="property_id") -> dict[int, int]:
    return {p: n for p, n in qs.values_list(field).annotate(n=Count("pk", distinct=True)).order_by() if n}


# ---- what a member holds -----------------------------------------------------------------

def _count_customers(member, property_ids):
    return _by_property(Customer.objects.filter(owner=member, property_id__in=property_ids))


def _count_claims_made(member, property_ids):
    return _by_property(Claim.objects.filter(claimant=member, status=Claim.Status.PENDING,
                                             property_id__in=property_ids))


def _claims_to_decide(member, property_ids):
    if member.role != Role.SALES_MANAGER:
        return Claim.objects.none()
    return Claim.objects.filter(status=Claim.Status.PENDING, property_id__in=property_ids,
                                customer__owner__manager=member).exclude(customer__owner=member)


def _count_claims_to_decide(member, property_ids):
    return _by_property(_claims_to_decide(member, property_ids))


def _team(member, property_ids) -> tuple[list, list]:
    """(moving, kept): the member's active account managers at those properties; `moving` work
    at none but those (the handover re-parents them), `kept` also work elsewhere: moving them
    would change another property's team behind its general manager's back, so they stay."""
    team = list(User.objects.filter(manager=member, is_active=True, properties__in=property_ids)
                .distinct().order_by("username"))
    if not team:
        return [], []
    theirs: dict[int, set] = {}
    for uid, pid in User.properties.through.objects.filter(user_id__in=[u.pk for u in team]) \
            .values_list("user_id", "property_id"):
        theirs.setdefault(uid, set()).add(pid)
    scope_ids = set(property_ids)
    moving = [u for u in team if theirs.get(u.pk, set()) <= scope_ids]
    return moving, [u for u in team if u not in moving]


def team_kept(member, property_ids) -> list:
    """Account managers of the member's team at those properties who also work elsewhere: a
    handover there leaves them in the member's team (see `_team`)."""
    return _team(member, property_ids)[1] if property_ids else []


def _count_team(member, property_ids):
    moving, _kept = _team(member, property_ids)
    if not moving:
        return {}
    through = User.properties.through.objects.filter(user_id__in=[u.pk for u in moving],
                                                      property_id__in=property_ids)
    return {p: n for p, n in through.values_list("property_id").annotate(n=Count("user_id")).order_by() if n}


def _future_targets(member, property_ids):
    props = Property.objects.filter(pk__in=property_ids)
    future = Q(pk__in=[])
    for prop in props:
        future |= Q(property_id=prop.pk, start__gt=prop.local_today())
    return PositionTarget.objects.filter(future, user=member)


def _count_targets(member, property_ids):
    return _by_property(_future_targets(member, property_ids))


# ---- moving it ---------------------------------------------------------------------------

def _move_customers(ctx: Context) -> int:
    ids = list(Customer.objects.filter(owner=ctx.member, property_id__in=ctx.property_ids)
               .values_list("pk", flat=True))
    if not ids:
        return 0
    if ctx.to is not None:
        moved = move(ctx.actor, ids, ctx.to, rule=Assignment.Rule.HANDOVER, reason=ctx.reason, handover=ctx.handover,
                     only_from=[ctx.member.pk])
    else:
        from yingke.control.assignment import assign_by_rules

        ctx.rules = assign_by_rules(ctx.actor, ids, reason=ctx.reason, handover=ctx.handover,
                                    exclude=[ctx.member.pk])
        left = list(Customer.objects.filter(pk__in=ids, owner=ctx.member).values_list("pk", "property_id"))
        if left:  # no rule placed them: the shared pool, waiting in the sales manager's queue
            move(ctx.actor, [pk for pk, _p in left], None, rule=Assignment.Rule.QUEUE, reason=ctx.reason,
                 handover=ctx.handover)
            Unassigned.objects.bulk_create([Unassigned(property_id=p, customer_id=pk, reason=ctx.reason[:300])
                                            for pk, p in left], ignore_conflicts=True)
        moved = ids
    ctx.owners = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "owner_id"))
    return len(moved)


def _move_claims_made(ctx: Context) -> int:
    return Claim.objects.filter(claimant=ctx.member, status=Claim.Status.PENDING,
                                property_id__in=ctx.property_ids).update(
        status=Claim.Status.WITHDRAWN, decided_at=timezone.now(), decided_by=history_user(ctx.actor),
        decision_reason=(_("Handover: %(reason)s") % {"reason": ctx.reason})[:500])


def _move_claims_to_decide(ctx: Context) -> int:
    """Left pending: they follow the team (see the module docstring); nothing is changed."""
    return 0


def _move_team(ctx: Context) -> int:
    team, kept = _team(ctx.member, ctx.property_ids)
    ctx.handover.team_kept = kept
    if not team:
        return 0
    new_manager = ctx.to if ctx.to is not None and ctx.to.role == Role.SALES_MANAGER else None
    User.objects.filter(pk__in=[u.pk for u in team]).update(manager=new_manager)
    ctx.handover.team_moved_to = new_manager
    return len(team)


def _move_targets(ctx: Context) -> int:
    targets = list(_future_targets(ctx.member, ctx.property_ids))
    user = history_user(ctx.actor)
    for target in targets:
        if ctx.to is not None:
            mine = PositionTarget.objects.filter(property_id=target.property_id, user=ctx.to, kind=target.kind,
                                                 start=target.start).first()
            if mine is None:
                mine = PositionTarget(property_id=target.property_id, user=ctx.to, kind=target.kind,
                                      start=target.start)
            for field in TARGET_FIELDS:
                theirs, own = getattr(target, field), getattr(mine, field)
                if theirs is not None:
                    setattr(mine, field, theirs if own is None else own + theirs)
            mine.set_by = user
            mine._history_user = user
            mine._change_reason = ctx.reason[:100]
            mine.save()
        target._change_reason = ctx.reason[:100]
        target._history_user = user
        target.delete()
    return len(targets)


HOLDINGS: list[Holding] = [
    Holding("customers", gettext_lazy("guest files"), _count_customers, _move_customers),
    Holding("claims_made", gettext_lazy("pending claims they made"), _count_claims_made, _move_claims_made),
    Holding("claims_to_decide", gettext_lazy("claims waiting for their decision"), _count_claims_to_decide,
            _move_claims_to_decide, blocks=False),
    Holding("team", gettext_lazy("account managers in their team"), _count_team, _move_team, blocks=False),
    Holding("targets", gettext_lazy("position targets of coming periods"), _count_targets, _move_targets),
]


def _entries():
    for entry in HOLDINGS:  # later issues may append plain 4-tuples
        key, label, counter, mover, *rest = entry
        yield key, label, counter, mover, (rest[0] if rest else True)


def labels() -> dict[str, str]:
    return {key: str(label) for key, label, *_rest in _entries()}


def holdings(member, property_ids=None) -> dict[str, dict[int, int]]:
    """What `member` still holds, {kind: {property_id: count}} for every registered kind
    (an empty dict when nothing), in their properties (or those of `property_ids`)."""
    ids = member.property_ids() if property_ids is None else list(property_ids)
    return {key: (counter(member, ids) if ids else {}) for key, _label, counter, _m, _b in _entries()}


def total(held: dict) -> int:
    return sum(sum(per.values()) for per in held.values())


def blocking(member, property_ids=None) -> list[tuple[str, int]]:
    """For core.services.HOLDING_COUNTERS: what keeps `member` from leaving besides the guest
    files (which core counts itself) and the team (core's own rule), as (label, count)."""
    ids = member.property_ids() if property_ids is None else list(property_ids)
    out = []
    for key, label, counter, _mover, blocks in _entries():
        if blocks and key != "customers" and ids:
            n = sum(counter(member, ids).values())
            if n:
                out.append((str(label), n))
    return out


# ---- the handover -------------------------------------------------------------------------

def scope(actor, member, properties=None) -> list[Property]:
    """The member's properties the actor hands over: those they configure, or fewer."""
    allowed = permissions.configurable_property_ids(actor)
    theirs = Property.objects.filter(pk__in=member.property_ids()).order_by("code")
    if allowed is not None:
        theirs = theirs.filter(pk__in=allowed)
    theirs = list(theirs)
    if properties is None:
        return theirs
    chosen, unknown = [], []
    for item in properties:
        code = item.code if isinstance(item, Property) else str(item).strip()
        prop = next((p for p in theirs if p.code.lower() == code.lower()), None)
        if prop is None:
            unknown.append(code[:20])
        elif prop not in chosen:
            chosen.append(prop)
    if unknown or not chosen:
        raise ValidationError({"properties": [
            _("Choose properties where %(name)s works and whose staff you manage.") % {"name": member.label}]})
    return chosen


def candidates(actor, member, props) -> list:
    """Who may take the member's work in every one of `props`: active account and sales
    managers the actor may make responsible for files there (an administrator sees no files
    but chooses like the command line)."""
    chooser = SYSTEM if (is_system(actor) or actor.role == Role.ADMIN or actor.is_superuser) else actor
    qs = User.objects.filter(is_active=True, role__in=OWNER_ROLES).exclude(pk=member.pk)
    for prop in props:
        qs = qs.filter(pk__in=permissions.assignable_owners(chooser, prop).values("pk"))
    return list(qs.order_by("username"))


def require_handover(actor, member_or_pk):
    """The member (NotVisible outside the actor's staff, PermissionDenied for roles that may
    not hand over or for oneself)."""
    pk = getattr(member_or_pk, "pk", member_or_pk)
    if not is_system(actor) and permissions.is_staff(actor) and permissions.configurable_property_ids(actor) == []:
        raise PermissionDenied(_("Your role may not hand over this member of staff's work."))
    member = configurable_member(actor, pk)
    permissions.require(actor, HANDOVER, member)
    if not is_system(actor) and member.pk == actor.pk:
        raise PermissionDenied(_("You cannot hand over your own work; ask another administrator."))
    return member


def holdings_for(actor, member_or_pk):
    """For the screen and the API: (member, the properties the actor hands over, what the
    member holds there) after the same checks as the handover itself."""
    member = require_handover(actor, member_or_pk)
    props = scope(actor, member)
    return member, props, holdings(member, [p.pk for p in props])


def handover(actor, member, *, to=None, by_rules=False, reason, properties=None) -> Handover:
    """Hand everything `member` holds in the properties over at once (see the module docstring)."""
    member = require_handover(actor, member)
    errors: dict = {}
    reason = clean_text(reason, "reason", 300, errors=errors)
    props = scope(actor, member, properties)
    if not props:
        raise PermissionDenied(_("Your role may not hand over this member of staff's work."))
    if (to is None) == (not by_rules):
        errors["to"] = [_("Choose either a member of staff to take the work over or the assignment rules.")]
    elif to is not None:
        if not isinstance(to, User):
            to = User.objects.filter(pk=to).first() if isinstance(to, int) and 0 < to < 2**63 else None
        if to is None or to.pk not in {u.pk for u in candidates(actor, member, props)}:
            codes = ", ".join(p.code for p in props)
            errors["to"] = [_("Choose an active account or sales manager of %(codes)s whom you may make "
                              "responsible for files (not %(name)s).") % {"codes": codes, "name": member.label}]
    if errors:
        raise ValidationError(errors)
    ids = [p.pk for p in props]
    with transaction.atomic():
        # Lock the member's row: two handovers of one member run one after the other.
        User.objects.select_for_update().filter(pk=member.pk).first()
        held = holdings(member, ids)
        if not total({k: v for k, v in held.items() if k != "claims_to_decide"}):
            text = _("%(name)s holds nothing to hand over in %(codes)s.") % {
                "name": member.label, "codes": ", ".join(p.code for p in props)}
            kept = team_kept(member, ids)
            if kept:
                text += " " + kept_note(member, [u.label for u in kept])
            raise Conflict({"__all__": [text]})
        h = Handover.objects.create(from_user=member, to_user=to, reason=reason, actor=history_user(actor))
        ctx = Context(actor=actor, member=member, to=to, property_ids=ids, handover=h, reason=reason)
        counts = {}
        for key, _label, _counter, mover, _blocks in _entries():
            counts[key] = mover(ctx) or 0
        counts["claims_to_decide"] = sum(held.get("claims_to_decide", {}).values())
        counts["properties"] = [p.code for p in props]
        counts["by_rules"] = to is None
        team_to = getattr(h, "team_moved_to", None)
        counts["team_to"] = team_to.username if team_to is not None else None
        counts["team_kept"] = [u.username for u in getattr(h, "team_kept", [])]
        if to is None:
            counts["owners"] = _owner_counts(ctx.owners)
            counts["rules"] = {str(k): v for k, v in ctx.rules.items()}
        h.counts = counts
        h.save(update_fields=["counts"])
        AuditEvent.record(actor, "control.handover", f"user:{member.username}", rows=counts.get("customers", 0),
                          handover=h.pk, to=to.username if to is not None else None, reason=reason,
                          counts={k: v for k, v in counts.items() if k != "owners"})
    return h


def _owner_counts(owners: dict) -> dict[str, int]:
    """{username or "": files} of a handover by the rules ("" — the shared pool)."""
    per: dict = {}
    for owner_id in owners.values():
        per[owner_id] = per.get(owner_id, 0) + 1
    names = dict(User.objects.filter(pk__in=[k for k in per if k]).values_list("pk", "username"))
    return {names.get(k, "") if k else "": n for k, n in sorted(per.items(), key=lambda kv: (kv[0] or 0))}


def summary(h: Handover) -> str:
    """One line saying what moved, for messages and the command line."""
    counts = h.counts or {}
    names = labels()
    parts = [f"{names.get(k, k)} {counts[k]}" for k in names if isinstance(counts.get(k), int) and counts[k]
             and k != "claims_to_decide"]
    moved = ", ".join(parts) or _("nothing")
    where = ", ".join(counts.get("properties", []))
    if h.to_user_id:
        line = _("Handed over %(name)s's work in %(where)s to %(to)s: %(moved)s.") % {
            "name": h.from_user.label, "where": where, "to": h.to_user.label, "moved": moved}
    else:
        line = _("Handed over %(name)s's work in %(where)s by the assignment rules: %(moved)s.") % {
            "name": h.from_user.label, "where": where, "moved": moved}
        owners = counts.get("owners") or {}
        if owners:
            line += " " + _("Files now with: %(owners)s.") % {"owners": ", ".join(
                f"{name or _('the shared pool')} {n}" for name, n in owners.items())}
    if counts.get("team") and not counts.get("team_to"):
        line += " " + _("Their account managers now report to no sales manager; choose one on their staff pages.")
    if counts.get("team_kept"):
        line += " " + kept_note(h.from_user, counts["team_kept"])
    if counts.get("claims_to_decide"):
        line += " " + _("%(n)d claims waiting for their decision stay open for the general manager "
                        "(or the team's new sales manager).") % {"n": counts["claims_to_decide"]}
    return line


def kept_note(member, names) -> str:
    """The sentence on team members a handover leaves in `member`'s team (`team_kept`)."""
    return _("%(names)s also work at other properties, so they stay in %(name)s's team; "
             "choose their new sales manager on their staff pages (until then %(name)s cannot be "
             "deactivated).") % {"names": ", ".join(names), "name": member.label}
