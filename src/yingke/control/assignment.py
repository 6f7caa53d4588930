"""Assignment rules for new and orphaned files (R-6.2, seed 004 "档案分配原则").

The property's AssignmentPolicy names the rules in the order they are tried (configurable by
whoever may CONFIGURE the property); the first rule that finds an owner decides, and the
Assignment row records which one. When none does, the file waits in the sales manager's queue
(an Unassigned row with the reason).

  creator    – whoever brought the customer in (谁收集的档案归谁, "this rule first"): the file's
               `created_by` when that member is an eligible owner of the property. Their
               capacity does not apply: the collector keeps what they collected.
  area       – 按地域就近分配: the customer's `area` equals one of a member's areas
               (StaffSetting.areas, separated by commas, 、 or semicolons; compared trimmed,
               without spaces, case-folded, full-width folded by NFKC). Among several, the
               least loaded (below).
  new_staff  – 将一部分分配给新员工: members whose start (StaffSetting.started_on, else the
               date they joined) is within `new_staff_months` get `new_staff_share` % of the
               files decided by a rule this month (local month of the property): a file goes to
               new staff while floor((decided + 1) × share / 100) > given to new staff, so the
               share holds at every point of the month and the choice is deterministic. Among
               several new members, the least loaded.
  balance    – 根据销售能力、工作量分配: weighted round robin by capacity and current workload:
               the eligible member with the lowest owned files ÷ weight, ties by id; a weight of
               0 takes no balanced files.
A member at their `capacity` (owned files of the property; None = no cap) receives no file by
area, new staff or balance.

Eligible: the active account and sales managers of the property
(core.permissions.assignable_owners(SYSTEM, property)), less `exclude` (the member leaving,
in a handover). Workload: the files each owns in the property, counted once per call (one
aggregate query) and updated as files are decided, so a batch spreads like one by one.

`decide` is the pure decision; `assign_by_rules` applies it through control.ownership.move
(the one writer of owners). Callers decide first whether the actor may run the rules: the
job and the command line run as SYSTEM, the handover asks HANDOVER, the queue page asks
`may_manage_queue`.
"""

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.control.models import DEFAULT_ORDER, Assignment, AssignmentPolicy, StaffSetting, Unassigned
from yingke.control.ownership import move
from yingke.core import permissions
from yingke.core.permissions import SYSTEM, assignable_owners, is_staff, is_system
from yingke.core.roles import Role
from yingke.core.services import Conflict
from yingke.customers.models import Customer

Rule = Assignment.Rule
RULES = tuple(DEFAULT_ORDER)  # creator, area, new_staff, balance
BY_RULE = (Rule.CREATOR, Rule.AREA, Rule.NEW_STAFF, Rule.BALANCE)
QUEUE_ROLES = {Role.GENERAL_MANAGER, Role.SALES_MANAGER}
_SEPARATORS = re.compile(r"[,;、，；/|\n]+")
MAX_MONTHS = 120


# ---- the policy ----------------------------------------------------------------------------

def policy_of(prop) -> AssignmentPolicy:
    """The property's assignment rules, created with the defaults when missing."""
    policy, _created = AssignmentPolicy.objects.get_or_create(property_id=prop.pk)
    return policy


def rule_label(code: str) -> str:
    return str(Rule(code).label) if code in Rule.values else code


def clean_order(value, errors: dict) -> list[str]:
    """A list of the four rule codes, each exactly once (any order)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value) or \
            sorted(value) != sorted(RULES):
        errors.setdefault("order", []).append(
            _("List each rule exactly once: %(rules)s.") % {"rules": ", ".join(RULES)})
        return []
    return list(value)


def _whole(value, field, low, high, errors):
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        value = int(text) if re.fullmatch(r"[0-9]{1,6}", text) else None
    if not isinstance(value, int) or not low <= value <= high:
        errors.setdefault(field, []).append(
            _("Enter a whole number from %(min)s to %(max)s.") % {"min": low, "max": high})
        return None
    return value


def update_policy(actor, prop, *, order=None, new_staff_months=None, new_staff_share=None) -> AssignmentPolicy:
    """Change the rules of `prop` (CONFIGURE). None leaves a value as it is. Bad input raises
    ValidationError per field and changes nothing; each change is a history row (who, when)."""
    permissions.require(actor, permissions.CONFIGURE, prop)
    errors: dict = {}
    values = {}
    if order is not None:
        values["order"] = clean_order(order, errors)
    if new_staff_months is not None:
        values["new_staff_months"] = _whole(new_staff_months, "new_staff_months", 0, MAX_MONTHS, errors)
    if new_staff_share is not None:
        values["new_staff_share"] = _whole(new_staff_share, "new_staff_share", 0, 100, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = policy_of(prop)
        policy = AssignmentPolicy.objects.select_for_update().get(pk=policy.pk)
        if all(getattr(policy, k) == v for k, v in values.items()):
            return policy
        for key, value in values.items():
            setattr(policy, key, value)
        policy._history_user = permissions.history_user(actor)
        policy.save()
    return policy


POLICY_FIELDS = ["order", "new_staff_months", "new_staff_share"]


def shown(field, value) -> str:
    if field == "order":
        return " → ".join(rule_label(v) for v in value or [])
    return str(value)


def policy_changes(policy: AssignmentPolicy, limit: int = 30) -> list[dict]:
    """The changes of the rules, newest first: when, who, [(field label, old, new)]."""
    records = list(policy.history.select_related("history_user").order_by("-history_date", "-history_id")
                   [: limit + 1])
    out = []
    for newer, older in zip(records, records[1:], strict=False):
        fields = [f for f in POLICY_FIELDS if getattr(older, f) != getattr(newer, f)]
        if fields:
            out.append({"when": newer.history_date, "who": newer.history_user,
                        "changes": [(str(AssignmentPolicy._meta.get_field(f).verbose_name),
                                     shown(f, getattr(older, f)), shown(f, getattr(newer, f))) for f in fields]})
    return out


# ---- areas ---------------------------------------------------------------------------------

def norm_area(text) -> str:
    """One area as compared: NFKC (full-width folded), case-folded, without any spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).casefold().split())


def split_areas(text) -> set[str]:
    """The areas of a StaffSetting, normalised: '朝阳区、 海淀区, ＣＢＤ' → {'朝阳区', '海淀区', 'cbd'}."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return {a for a in (norm_area(p) for p in _SEPARATORS.split(folded)) if a}


# ---- the decision --------------------------------------------------------------------------

class _Member:
    __slots__ = ("id", "owned", "weight", "capacity", "areas", "new")

    def __init__(self, pk, owned, setting, new):
        self.id, self.owned, self.new = pk, owned, new
        self.weight = setting.weight if setting else 1
        self.capacity = setting.capacity if setting else None
        self.areas = split_areas(setting.areas) if setting else set()

    def has_room(self) -> bool:
        return self.capacity is None or self.owned < self.capacity

    def load(self):
        return (Fraction(self.owned, self.weight) if self.weight else Fraction(10**12), self.id)


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    import calendar

    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


class Decider:
    """The state of one property's decisions: eligible members, their workload, the month's counts."""

    def __init__(self, prop, exclude=()):
        self.prop = prop
        self.policy = policy_of(prop)
        excluded = {getattr(e, "pk", e) for e in exclude}
        users = [u for u in assignable_owners(SYSTEM, prop).order_by("pk").only("pk", "date_joined")
                 if u.pk not in excluded]
        settings = {s.user_id: s for s in StaffSetting.objects.filter(property_id=prop.pk,
                                                                       user_id__in=[u.pk for u in users])}
        owned = dict(Customer.objects.filter(property_id=prop.pk, owner_id__in=[u.pk for u in users])
                     .values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n").order_by())
        today = prop.local_today()
        since = _months_before(today, self.policy.new_staff_months)
        self.members: dict[int, _Member] = {}
        for u in users:
            s = settings.get(u.pk)
            start = (s.started_on if s and s.started_on else prop.local_day(u.date_joined))
            new = self.policy.new_staff_months > 0 and start > since
            self.members[u.pk] = _Member(u.pk, owned.get(u.pk, 0), s, new)
        month_start = prop.day_start(today.replace(day=1))
        counts = dict(Assignment.objects.filter(property_id=prop.pk, created_at__gte=month_start, rule__in=BY_RULE)
                      .values("rule").annotate(n=Count("pk")).values_list("rule", "n").order_by())
        self.decided = sum(counts.values())
        self.to_new = counts.get(Rule.NEW_STAFF, 0)
        self.order = [r for r in self.policy.order if r in RULES] or list(RULES)

    def _least_loaded(self, members):
        members = [m for m in members if m.has_room()]
        return min(members, key=_Member.load) if members else None

    def _creator(self, c):
        return self.members.get(c["created_by_id"])

    def _area(self, c):
        area = norm_area(c["area"])
        if not area:
            return None
        return self._least_loaded(m for m in self.members.values() if area in m.areas)

    def _new_staff(self, c):
        share = self.policy.new_staff_share
        if not share or (self.decided + 1) * share // 100 <= self.to_new:
            return None
        return self._least_loaded(m for m in self.members.values() if m.new and m.weight)

    def _balance(self, c):
        return self._least_loaded(m for m in self.members.values() if m.weight)

    def decide_one(self, c) -> tuple[int | None, str]:
        for rule in self.order:
            member = getattr(self, f"_{rule}")(c)
            if member is not None:
                member.owned += 1
                self.decided += 1
                if rule == Rule.NEW_STAFF:
                    self.to_new += 1
                return member.id, rule
        return None, Rule.QUEUE


def _rows(customers) -> list[dict]:
    """Customers (objects, dicts or ids) as {pk, created_by_id, area}."""
    customers = list(customers)
    if customers and isinstance(customers[0], int):
        by_id = {r["pk"]: r for r in Customer.objects.filter(pk__in=customers)
                 .values("pk", "created_by_id", "area")}
        return [by_id[i] for i in customers if i in by_id]
    if customers and isinstance(customers[0], dict):
        return customers
    return [{"pk": c.pk, "created_by_id": c.created_by_id, "area": c.area} for c in customers]


def decide(prop, customers, *, exclude=()) -> list[tuple[int, object, str]]:
    """For each customer of `prop`, in the order given: (customer id, the owner id or None, rule).
    No writes. Owners are ids (user pks); None with rule "queue" when no rule found one."""
    decider = Decider(prop, exclude)
    return [(c["pk"], *decider.decide_one(c)) for c in _rows(customers)]


def queue_reason(decider_members: int) -> str:
    if not decider_members:
        return _("No active account or sales manager can take files in this property.")
    return _("No assignment rule found an account manager (everyone is at capacity or no rule applies).")


def assign_by_rules(actor, customer_ids, *, reason, handover=None, exclude=()) -> dict[str, int]:
    """Give the files `customer_ids` an owner by the rules of their property (R-6.2), through
    ownership.move grouped by (owner, rule); the rest go to the queue (owner None, rule
    "queue", an Unassigned row with why). Returns {rule: files}. The caller has checked that
    `actor` may (SYSTEM for jobs; HANDOVER; may_manage_queue).

    The files are locked first and decided as they are under the lock: without a handover
    (the job, the queue) only files still without an owner — one given an owner meanwhile is
    skipped and leaves the queue; in a handover only files the leaving member (`exclude`)
    still owns."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    ids = sorted({i for i in customer_ids if isinstance(i, int)})
    counts: dict[str, int] = defaultdict(int)
    if not ids:
        return {}
    sources = {getattr(e, "pk", e) for e in exclude} if handover is not None else {None}
    with transaction.atomic():
        locked = list(Customer.objects.filter(pk__in=ids).order_by("pk").select_for_update()
                      .values("pk", "property_id", "created_by_id", "area", "owner_id"))
        rows = [r for r in locked if r["owner_id"] in sources]
        if handover is None:  # owned meanwhile: no longer waiting for an owner
            owned = [r["pk"] for r in locked if r["owner_id"] is not None]
            if owned:
                Unassigned.objects.filter(customer_id__in=owned).delete()
        by_prop: dict[int, list[dict]] = defaultdict(list)
        for r in rows:
            by_prop[r["property_id"]].append(r)
        from yingke.core.models import Property

        for prop in Property.objects.filter(pk__in=list(by_prop)).order_by("pk"):
            decider = Decider(prop, exclude)
            groups: dict[tuple, list[int]] = defaultdict(list)
            for r in by_prop[prop.pk]:
                owner_id, rule = decider.decide_one(r)
                groups[(owner_id, rule)].append(r["pk"])
            owners = User.objects.in_bulk([o for o, _r in groups if o is not None])
            queued: list[int] = []
            for (owner_id, rule), pks in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0] or 0)):
                if owner_id is None:
                    move(actor, pks, None, rule=rule, reason=reason, handover=handover)
                    queued.extend(pks)
                    continue
                move(actor, pks, owners[owner_id], rule=rule, reason=reason, handover=handover)
                counts[rule] += len(pks)
            if queued:
                why = queue_reason(len(decider.members))
                have = set(Unassigned.objects.filter(customer_id__in=queued).values_list("customer_id", flat=True))
                Unassigned.objects.filter(customer_id__in=have).update(reason=why[:300])
                Unassigned.objects.bulk_create([Unassigned(property_id=prop.pk, customer_id=pk, reason=why[:300])
                                                for pk in queued if pk not in have])
                counts[Rule.QUEUE] += len(queued)
    return dict(counts)


# ---- new files (the job) -----------------------------------------------------------------------

NEW_FILE_DAYS = 7


def new_files(prop=None, days: int = NEW_FILE_DAYS):
    """Files without an owner, not in the queue, opened in the last `days` days, never assigned
    nor released (no Assignment row): a released file stays in the pool on purpose."""
    since = timezone.now() - dt.timedelta(days=days)
    qs = (Customer.objects.filter(owner__isnull=True, created_at__gte=since)
          .exclude(Exists(Unassigned.objects.filter(customer_id=OuterRef("pk"))))
          .exclude(Exists(Assignment.objects.filter(customer_id=OuterRef("pk")))))
    if prop is not None:
        qs = qs.filter(property_id=prop.pk)
    return qs


def assign_new(actor=SYSTEM, prop=None, days: int = NEW_FILE_DAYS) -> dict[str, int]:
    ids = list(new_files(prop, days).order_by("pk").values_list("pk", flat=True))
    return assign_by_rules(actor, ids, reason=_("New file: assigned by the rules")) if ids else {}


# ---- the queue -------------------------------------------------------------------------------------

def may_manage_queue(actor, prop) -> bool:
    """The queue of a property is for its sales managers and its general manager."""
    return is_system(actor) or (is_staff(actor) and actor.role in QUEUE_ROLES and prop.pk in actor.property_ids())


def require_queue(actor, prop) -> None:
    if not may_manage_queue(actor, prop):
        raise PermissionDenied(_("Only the sales manager or the general manager handles the files waiting for "
                                 "an account manager."))


def apply_rules_now(actor, prop) -> dict[str, int]:
    """Run the rules now over the property's queue and its new files (the queue page's button)."""
    require_queue(actor, prop)
    waiting = list(Unassigned.objects.filter(property_id=prop.pk).values_list("customer_id", flat=True))
    fresh = list(new_files(prop).values_list("pk", flat=True))
    ids = sorted(set(waiting) | set(fresh))
    if not ids:
        return {}
    return assign_by_rules(actor, ids, reason=_("Assignment rules applied by hand"))


def queue(actor, prop):
    """The files waiting in `prop`'s queue that `actor` sees, oldest first (still without an owner)."""
    require_queue(actor, prop)
    return (Unassigned.objects.filter(property_id=prop.pk, customer__owner__isnull=True)
            .filter(permissions.row_rule(actor, "customer"))
            .select_related("customer").order_by("created_at", "pk"))


def assign_one(actor, customer, owner, reason="") -> bool:
    """Give one file of the queue an owner by hand (require_assign; rule "manual"). The file
    must still be without an owner when its row is locked: otherwise Conflict, nothing moves."""
    if owner is None:
        raise ValidationError({"owner": [_("Choose an account manager.")]})
    reason = reason or _("Assigned from the queue")
    with transaction.atomic():
        now_owned = (Customer.objects.filter(pk=customer.pk).select_for_update()
                     .values_list("owner_id", flat=True).first())
        if customer.owner_id is not None or now_owned is not None:
            raise Conflict({"customer": [_("This file already has an account manager; it no longer waits in the "
                                           "queue.")]})
        permissions.require(actor, permissions.EDIT, customer)
        permissions.require_assign(actor, customer, owner)
        return bool(move(actor, [customer.pk], owner, rule=Rule.MANUAL, reason=reason,
                         expect={customer.pk: None}))


# ---- bulk assign from the customer list --------------------------------------------------------

MAX_BULK = 1000


def bulk_assign(actor, customer_ids, owner, reason: str = "") -> list[int]:
    """Make `owner` (None: the shared pool) responsible for every file of `customer_ids`, or for
    none: each must be visible and editable by `actor` (EDIT) and `require_assign` must allow
    it. Otherwise ValidationError naming how many could not be assigned and why; nothing moves.
    A reason is required to release files (`owner` None) and to take files of the pool for
    oneself (a claim, R-6.1). The files are checked as read, then locked and moved only if each
    still has the owner it was checked with (ownership.move `expect`): a file that changed
    hands meanwhile (claimed a moment ago …) is Conflict, and nothing moves.
    Rule "bulk" (or "release" for the pool). Returns the ids of the files that changed hands."""
    from yingke.core.services import clean_text, valid_id

    errors: dict = {}
    reason = clean_text(reason, "reason", 300, required=False, errors=errors)
    ids = list(customer_ids) if isinstance(customer_ids, list | tuple | set) else []
    if not ids or not all(valid_id(i) for i in ids):
        errors.setdefault("ids", []).append(_("Choose at least one file."))
    elif len(set(ids)) > MAX_BULK:
        errors.setdefault("ids", []).append(_("Choose at most %(max)s files at a time.") % {"max": MAX_BULK})
    if owner is None and not reason:
        errors.setdefault("reason", []).append(_("Give a reason for putting the files back into the shared pool."))
    if errors:
        raise ValidationError(errors)
    ids = sorted(set(ids))
    if owner is not None:
        try:
            permissions.require(actor, permissions.OWN, owner)
        except PermissionDenied as e:
            raise ValidationError({"owner": [str(e)]}) from None
    with transaction.atomic():
        files = list(Customer.objects.visible_to(actor).filter(pk__in=ids).select_related("property", "owner"))
        found = {c.pk for c in files}
        problems: dict[str, int] = defaultdict(int)
        missing = len(ids) - len(found)
        if missing:
            problems[_("not found or not visible to you")] += missing
        allowed_by_prop: dict[int, bool] = {}
        for c in files:
            try:
                permissions.require(actor, permissions.EDIT, c)
                if owner is None:
                    permissions.require_assign(actor, c, None)
                else:  # one question per property: assignable_owners does not depend on the file
                    if c.property_id not in allowed_by_prop:
                        try:
                            permissions.require_assign(actor, c, owner)
                            allowed_by_prop[c.property_id] = True
                        except ValidationError:
                            allowed_by_prop[c.property_id] = False
                    if not allowed_by_prop[c.property_id]:
                        raise ValidationError(_("the account manager cannot take files of %(property)s from you")
                                              % {"property": c.property.code})
            except (PermissionDenied, ValidationError) as e:
                message = e.messages[0] if isinstance(e, ValidationError) else (str(e) or _("not allowed"))
                problems[message] += 1
        if problems:
            bad = sum(problems.values())
            why = "; ".join(f"{m} ({n})" for m, n in problems.items())
            errors["ids"] = [_("%(bad)s of %(all)s files could not be assigned, so none was: "
                               "%(why)s.") % {"bad": bad, "all": len(ids), "why": why}]
        if owner is not None and owner.pk == getattr(actor, "pk", None) and not reason and \
                any(c.owner_id is None for c in files):
            errors["reason"] = [_("Give a reason for taking files from the shared pool: that is a claim.")]
        if errors:
            raise ValidationError(errors)
        rule = Rule.RELEASE if owner is None else Rule.BULK
        default = _("Assigned in bulk from the customer list")
        return move(actor, ids, owner, rule=rule, reason=reason or default,
                    expect={c.pk: c.owner_id for c in files})


# ---- staff settings ------------------------------------------------------------------------------

def ensure_settings(prop) -> None:
    """A StaffSetting row for every active owner of `prop` (the defaults), in one insert."""
    members = list(assignable_owners(SYSTEM, prop).values_list("pk", flat=True))
    have = set(StaffSetting.objects.filter(property_id=prop.pk, user_id__in=members).values_list("user_id", flat=True))
    missing = [StaffSetting(property_id=prop.pk, user_id=u) for u in members if u not in have]
    if missing:
        StaffSetting.objects.bulk_create(missing, ignore_conflicts=True)


def settings_for(actor, prop):
    """The staff settings of `prop` that `actor` may read (CONTROL: themselves, their team, every
    member for the general manager), each with `may_change` (TARGET)."""
    ensure_settings(prop)
    rows = list(StaffSetting.objects.filter(property_id=prop.pk, user__is_active=True)
                .select_related("user", "user__manager").order_by("user__username", "pk"))
    # core.permissions asks each member's properties (TARGET, CONTROL): read them in one query
    through = type(rows[0].user).properties.through if rows else None
    props: dict[int, list[int]] = defaultdict(list)
    if through is not None:
        for user_id, prop_id in through.objects.filter(user_id__in=[s.user_id for s in rows]).values_list(
                "user_id", "property_id"):
            props[user_id].append(prop_id)
    out = []
    for s in rows:
        s.user._property_ids = props[s.user_id]
        if permissions.can(actor, permissions.CONTROL, s.user) or permissions.can(actor, permissions.TARGET, s.user):
            s.may_change = permissions.can(actor, permissions.TARGET, s.user)
            out.append(s)
    return out


SETTING_FIELDS = ["areas", "capacity", "weight", "started_on", "daily_target"]
MAX_CAP = 100_000


def update_setting(actor, setting: StaffSetting, **data) -> StaffSetting:
    """Change a member's settings (TARGET on that member). Given fields only; bad input raises
    ValidationError per field and changes nothing."""
    from yingke.core.services import clean_text

    permissions.require(actor, permissions.TARGET, setting.user)
    errors: dict = {}
    values = {}
    unknown = set(data) - set(SETTING_FIELDS)
    if unknown:
        errors["__all__"] = [_("Unknown field.")]
    if "areas" in data:
        text = clean_text(data["areas"], "areas", 200, required=False, errors=errors)
        values["areas"] = text
    if "capacity" in data:
        cap = data["capacity"]
        values["capacity"] = None if cap in (None, "") else _whole(cap, "capacity", 0, MAX_CAP, errors)
    if "weight" in data:
        values["weight"] = _whole(data["weight"], "weight", 0, 100, errors)
    if "daily_target" in data:
        values["daily_target"] = _whole(data["daily_target"], "daily_target", 0, 100, errors)
    if "started_on" in data:
        day = data["started_on"]
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day.strip()) if day.strip() else None
            except ValueError:
                errors.setdefault("started_on", []).append(_("Enter a valid date (YYYY-MM-DD)."))
                day = None
        if day is not None and (not isinstance(day, dt.date) or isinstance(day, dt.datetime)
                                or not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31)):
            errors.setdefault("started_on", []).append(_("Enter a date from 2000-01-01 to 2100-12-31."))
        values["started_on"] = day
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        s = StaffSetting.objects.select_for_update().get(pk=setting.pk)
        if all(getattr(s, k) == v for k, v in values.items()):
            return s
        for key, value in values.items():
            setattr(s, key, value)
        s._history_user = permissions.history_user(actor)
        s.save()
    return s


def setting_for_member(actor, prop, user) -> StaffSetting:
    """The StaffSetting of `user` at `prop` (created with the defaults)."""
    s, _created = StaffSetting.objects.get_or_create(property_id=prop.pk, user_id=user.pk)
    return s
