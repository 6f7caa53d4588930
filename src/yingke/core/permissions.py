"""The one permission module (R-1.2, R-1.3, R-12.1, R-12.2): what a member of staff may
see and do. Services ask it; views, API endpoints, CLI commands and jobs never decide.

Rows. `row_rule(user, path)` is the single definition of which rows carrying a property
and an owner (guest files, and everything hanging off one through `path`) a user sees:
  general manager, front desk, supervisor – every row of their properties;
  sales manager – rows of their properties owned by them or their team, or in the pool;
  account manager – their own rows and the pool of their properties;
  administrator, deactivated or anonymous users – nothing.
`RuleQuerySet.visible_to(user)` applies it; a model that belongs to a customer names
the path to it in `customer_path` (default "customer").

Actions. `require(actor, action, obj)` raises NotVisible (404: a row the actor may not
see is indistinguishable from one that does not exist) or PermissionDenied (403: seen,
but not theirs to change); `can(...)` answers the same question with a bool.
  see        – the row is visible
  create     – open a new file in a property (obj: the property)
  edit       – change the regular information of a file (GM, sales and account managers)
  annotate   – add notes, preferences and special dates to a visible file (every role
               that sees files; the front desk and the supervisor annotate, R-1.2)
  amend      – change or delete an annotation (obj: the annotation): editors of the
               file, or whoever recorded it
  own        – be the account manager of files (obj: the member of staff)
  export     – export customer lists and report tables (R-12.2)
  configure  – properties, outlets, staff, tags (obj: a property, or None for "any")
  record     – enter a visit or stay on a visible file (obj: the file; R-3.3): the roles
               that open files (EDITORS); correcting or voiding one is `amend` (obj: the
               visit): editors of the file, or whoever recorded it
  import     – run a file import into a property (obj: the property; R-3.2): general
               managers and administrators of the property. Customer rows are then
               written with the importer's own rights (create/edit per row)
  claim      – claim a file of a property one works at (obj: the file; R-6.1): account and
               sales managers of its property who do not own it already. A pool file is theirs
               at once; an owned one becomes a request (control.claims)
  decide     – approve or refuse a claim (obj: the claim): the general manager of the
               property, or the sales manager of the file's current account manager
  target     – set the position targets and the control settings (areas, capacity, daily
               development target) of a member of staff (obj: that member): the general
               manager of a property they work at, or their own sales manager (R-6.3)
  control    – read a member of staff's daily control table and target figures (obj: that
               member): themselves (account and sales managers), their sales manager, the
               general manager of a property they work at (R-6.4, R-6.5)
  handover   – hand a leaving member of staff's work over (obj: that member; R-1.3): whoever
               may configure a property they work at (general manager, administrator)
  complain   – record a complaint in a property (obj: the property; R-8.1): every role that
               works there (a guest named must also be visible)
  handle     – take a complaint through its steps (obj: the complaint; R-8.2): whoever sees it
               (`complaint_rule`: through its guest like files; anonymous ones by the
               property-wide roles, so the lobby manager and the supervisor work them all)
  approve    – approve compensation above the property's threshold (obj: the complaint):
               the general manager who sees it
  track      – open leads, opportunities in a property (obj: the property; R-7.1, R-11.4): the
               roles that change files (general, sales and account managers) working there.
               Changing a lead or an opportunity is `edit` (obj: it), as for files
  follow     – log a follow-up or record a commitment on a lead or a file one sees (obj: the
               lead or the file; R-7.3, R-7.4): every role that sees it
  complete   – finish a follow-up task or keep a commitment (obj: the task or commitment;
               R-7.6): whoever it falls to (the assignee; for a task of the account manager the
               file's or lead's owner; a supervisor's task any supervisor; a commitment its
               owner), their sales manager, or the general manager — and the row must be seen
  plan       – approve or return a monthly visit plan (obj: the plan; R-7.8): the sales manager
               of its account manager or the general manager of its property
Assignment has a function of its own, `require_assign(actor, customer, owner)`; the
staff an actor may assign are `assignable_owners(actor, property)`.

`SYSTEM` is the actor of command-line imports and background jobs that run without a
member of staff: it may do everything and is recorded as nobody in the history.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from yingke.core.roles import (
    COMPENSATION_APPROVERS,
    COMPLAINT_REPORTERS,
    CONFIGURERS,
    EDITORS,
    EXPORTERS,
    FILE_EDITORS,
    FULL_MOBILE,
    GRADERS,
    IMPORTERS,
    OWNER_ROLES,
    PROPERTY_WIDE,
    REPORTERS,
    Role,
)

NOTHING = Q(pk__in=[])
ALL_BUT_ADMIN = {r for r in Role if r != Role.ADMIN}


class Action(StrEnum):
    SEE = "see"
    CREATE = "create"
    EDIT = "edit"
    ANNOTATE = "annotate"
    AMEND = "amend"
    OWN = "own"
    EXPORT = "export"
    CONFIGURE = "configure"
    RECORD = "record"
    IMPORT = "import"
    GRADE = "grade"
    REGRADE = "regrade"
    REPORT = "report"
    CLAIM = "claim"
    DECIDE = "decide"
    TARGET = "target"
    CONTROL = "control"
    HANDOVER = "handover"
    COMPLAIN = "complain"
    HANDLE = "handle"
    APPROVE = "approve"
    COMPLAINT_REPORT = "complaint_report"
    TRACK = "track"
    FOLLOW = "follow"
    COMPLETE = "complete"
    PLAN = "plan"


(SEE, CREATE, EDIT, ANNOTATE, AMEND, OWN, EXPORT, CONFIGURE, RECORD, IMPORT, GRADE, REGRADE, REPORT,
 CLAIM, DECIDE, TARGET, CONTROL, HANDOVER, COMPLAIN, HANDLE, APPROVE, COMPLAINT_REPORT, TRACK, FOLLOW, COMPLETE,
 PLAN) = Action


class NotVisible(Http404):
    """The actor may not see the row: answered as 404, like an id that does not exist."""


class _System:
    """The actor of jobs and command-line work done on nobody's behalf."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None
    role = None
    username = "system"

    def __str__(self):
        return "system"


SYSTEM = _System()


def is_system(actor) -> bool:
    return actor is SYSTEM


def history_user(actor):
    """The user to record in change history: a member of staff, or nobody for SYSTEM."""
    return actor if is_staff(actor) else None


def is_staff(user) -> bool:
    return user is not None and not is_system(user) and user.is_authenticated and user.is_active


# ---- rows ----------------------------------------------------------------------------

def row_rule(user, path: str = "") -> Q:
    """A Q selecting the rows (with `property` and `owner`) `user` may see; `path` prefixes the lookups."""
    p = f"{path}__" if path else ""
    if is_system(user):
        return Q()
    if not is_staff(user):
        return NOTHING
    in_props = Q(**{f"{p}property_id__in": user.property_ids()})
    role = user.role
    if role in PROPERTY_WIDE:
        return in_props
    pool = Q(**{f"{p}owner__isnull": True})
    if role == Role.SALES_MANAGER:
        team = Q(**{f"{p}owner_id": user.pk}) | Q(**{f"{p}owner__manager_id": user.pk})
        return in_props & (pool | team)
    if role == Role.ACCOUNT_MANAGER:
        return in_props & (pool | Q(**{f"{p}owner_id": user.pk}))
    return NOTHING  # administrators see no customer data


def complaint_rule(user, path: str = "") -> Q:
    """The complaints `user` sees (R-8.1, issue 16): one with a guest, when the guest's file is
    visible (row_rule); an anonymous one, by the property-wide roles of its property (general
    manager, lobby manager / front desk, supervisor)."""
    p = f"{path}__" if path else ""
    if is_system(user):
        return Q()
    if not is_staff(user):
        return NOTHING
    guest = Q(**{f"{p}customer__isnull": False}) & row_rule(user, f"{p}customer")
    if user.role in PROPERTY_WIDE:
        return guest | (Q(**{f"{p}customer__isnull": True}) & Q(**{f"{p}property_id__in": user.property_ids()}))
    return guest


def subject_rule(user, path: str = "") -> Q:
    """Tracking rows about a guest file or a lead (follow-ups, tasks; issue 15): one with a file
    (`customer`) is seen when the file is, one about a lead without a file when the lead is
    (leads have a property and an owner: row_rule)."""
    p = f"{path}__" if path else ""
    return (Q(**{f"{p}customer__isnull": False}) & row_rule(user, f"{p}customer")) | \
        (Q(**{f"{p}customer__isnull": True}) & row_rule(user, f"{p}lead"))


class RuleQuerySet(models.QuerySet):
    """For models with a property and an owner (guest files, leads …)."""

    def visible_to(self, user):
        return self.filter(row_rule(user))

    def editable_by(self, user):
        """Rows whose regular information `user` may change."""
        if not (is_system(user) or (is_staff(user) and user.role in FILE_EDITORS)):
            return self.none()
        return self.visible_to(user)


class RelatedRuleQuerySet(models.QuerySet):
    """For models that belong to such a row: visible when it is (path in `customer_path`)."""

    def visible_to(self, user):
        return self.filter(row_rule(user, getattr(self.model, "customer_path", "customer")))


# ---- capabilities that are not about rows ---------------------------------------------

def sees_full_mobile(user) -> bool:
    """R-12.1: full mobiles for GM, sales and account managers; masked for everyone else."""
    return is_system(user) or (is_staff(user) and user.role in FULL_MOBILE)


def sees_customers(user) -> bool:
    """Whether any guest file can be visible to `user` (administrators see none, R-1.2)."""
    return is_system(user) or (is_staff(user) and user.role in ALL_BUT_ADMIN)


def sees_id_region(user) -> bool:
    """Whether the ID mask may keep its first characters (the region code).

    The front desk and the supervisor see the birth date on the file; with the first four
    and last four characters the check digit leaves about nine candidates, so they see
    only the last four.
    """
    return sees_full_mobile(user)


def creatable_properties(user) -> list[int]:
    """Ids of the properties in which `user` may open new files."""
    if not is_staff(user) or user.role not in EDITORS:
        return []
    return user.property_ids()


def configurable_property_ids(user) -> list[int] | None:
    """Properties `user` may configure: None means every property (superuser, SYSTEM)."""
    if is_system(user) or (is_staff(user) and user.is_superuser):
        return None
    if not is_staff(user) or user.role not in CONFIGURERS:
        return []
    return user.property_ids()


def may_create_property(actor) -> bool:
    """Adding a property is a group-level configuration: superusers, administrators, SYSTEM."""
    return is_system(actor) or (is_staff(actor) and (actor.is_superuser or actor.role == Role.ADMIN))


# ---- actions ---------------------------------------------------------------------------

def _visible(user, obj) -> bool:
    if obj.pk is None:
        return False
    return type(obj)._default_manager.visible_to(user).filter(pk=obj.pk).exists()


def _customer_of(annotation):
    return getattr(annotation, getattr(type(annotation), "customer_path", "customer"))


def _recorder_id(annotation):
    for field in ("created_by_id", "author_id"):
        if hasattr(annotation, field):
            return getattr(annotation, field)
    return None


def _may_amend(actor, annotation) -> bool:
    return is_system(actor) or actor.role in FILE_EDITORS or _recorder_id(annotation) == actor.pk


def amendable(actor, annotations) -> set:
    """Of annotations of one file the actor sees (read through visible_to), the ids they may
    change or remove (AMEND), without a query: for the delete buttons of a whole section.
    The service still asks `require(actor, AMEND, …)` when one is removed."""
    if not (is_system(actor) or is_staff(actor)):
        return set()
    return {a.pk for a in annotations if _may_amend(actor, a)}


def can(actor, action: Action, obj=None) -> bool:
    try:
        require(actor, action, obj)
    except (PermissionDenied, Http404):
        return False
    return True


def require(actor, action: Action, obj=None) -> None:
    """Raise NotVisible or PermissionDenied unless `actor` may do `action` to `obj`."""
    action = Action(action)
    if is_system(actor):
        return
    if not is_staff(actor):
        raise NotVisible
    if action == SEE:
        if not _visible(actor, obj):
            raise NotVisible
    elif action == CREATE:
        if actor.role not in EDITORS:
            raise PermissionDenied(_("Your role may not open guest files."))
        if obj is None or obj.pk not in actor.property_ids():
            raise PermissionDenied(_("You do not work at this property, so you cannot open files there."))
    elif action == EDIT:
        if not _visible(actor, obj):
            raise NotVisible
        if actor.role not in FILE_EDITORS:
            raise PermissionDenied(_("Your role may look at this file and annotate it, but not change its "
                                     "regular information."))
    elif action == ANNOTATE:
        if not _visible(actor, obj):
            raise NotVisible
    elif action == AMEND:
        if not _visible(actor, _customer_of(obj)):
            raise NotVisible
        if not _may_amend(actor, obj):
            raise PermissionDenied(_("You may change or remove only what you recorded yourself."))
    elif action == OWN:
        if obj is None or not obj.is_active or obj.role not in OWNER_ROLES:
            raise PermissionDenied(_("Only active account and sales managers can be responsible for files."))
    elif action == EXPORT:
        if actor.role not in EXPORTERS:
            raise PermissionDenied(_("Your role may not export customer data."))
    elif action == RECORD:
        if not _visible(actor, obj):
            raise NotVisible
        if actor.role not in EDITORS:
            raise PermissionDenied(_("Your role may not enter visits or stays."))
    elif action == IMPORT:
        if actor.role not in IMPORTERS or obj is None or (
                not actor.is_superuser and obj.pk not in actor.property_ids()):
            raise PermissionDenied(_("Your role may not import files into this property."))
    elif action == GRADE:  # obj: a property — run grading, change its parameters
        if actor.role not in GRADERS or obj is None or (
                not actor.is_superuser and obj.pk not in actor.property_ids()):
            raise PermissionDenied(_("Your role may not grade the customers of this property."))
    elif action == REGRADE:  # obj: a customer — set or remove a general manager's grade
        if not _visible(actor, obj):
            raise NotVisible
        if actor.role != Role.GENERAL_MANAGER:
            raise PermissionDenied(_("Only the general manager may change a customer's grade by hand."))
    elif action == REPORT:  # obj: a property — read its management reports
        if actor.role not in REPORTERS or obj is None or obj.pk not in actor.property_ids():
            raise PermissionDenied(_("Your role may not read the reports of this property."))
    elif action == CLAIM:  # obj: a customer
        if actor.role not in OWNER_ROLES or obj is None or obj.property_id not in actor.property_ids():
            raise PermissionDenied(_("Only account and sales managers of this property can claim its files."))
        if obj.owner_id == actor.pk:
            raise PermissionDenied(_("This file is already yours."))
    elif action == DECIDE:  # obj: a control.Claim
        owner = obj.customer.owner if obj is not None else None
        if obj is None or obj.property_id not in actor.property_ids() or not (
                actor.role == Role.GENERAL_MANAGER
                or (actor.role == Role.SALES_MANAGER and owner is not None and owner.manager_id == actor.pk)):
            raise PermissionDenied(_("Only the sales manager of the file's account manager, or the general "
                                     "manager, decides this claim."))
    elif action == TARGET:  # obj: a member of staff
        if not _leads(actor, obj):
            raise PermissionDenied(_("Only their sales manager or the general manager sets this member of "
                                     "staff's targets."))
    elif action == CONTROL:  # obj: a member of staff
        own = obj is not None and obj.pk == actor.pk and actor.role in OWNER_ROLES
        if not (own or _leads(actor, obj)):
            raise PermissionDenied(_("You may read only your own control table and those of your team."))
    elif action == HANDOVER:  # obj: a member of staff
        allowed = configurable_property_ids(actor)
        theirs = set(obj.property_ids()) if obj is not None else set()
        if allowed is not None and not (theirs & set(allowed)):
            raise PermissionDenied(_("Your role may not hand over this member of staff's work."))
    elif action == COMPLAIN:  # obj: a property
        if obj is None or obj.pk not in actor.property_ids() or actor.role == Role.ADMIN:
            raise PermissionDenied(_("You do not work at this property, so you cannot record its complaints."))
    elif action == HANDLE:  # obj: a complaints.Complaint
        if not _visible(actor, obj):
            raise NotVisible
    elif action == APPROVE:  # obj: a complaints.Complaint
        if not _visible(actor, obj):
            raise NotVisible
        if actor.role not in COMPENSATION_APPROVERS:
            raise PermissionDenied(_("Only the general manager approves compensation above the property's "
                                     "threshold."))
    elif action == COMPLAINT_REPORT:  # obj: a property
        if actor.role not in COMPLAINT_REPORTERS or obj is None or obj.pk not in actor.property_ids():
            raise PermissionDenied(_("Your role may not read the complaint reports of this property."))
    elif action == TRACK:  # obj: a property
        if actor.role not in FILE_EDITORS or obj is None or obj.pk not in actor.property_ids():
            raise PermissionDenied(_("Only the general, sales and account managers of this property work its leads "
                                     "and opportunities."))
    elif action == FOLLOW:  # obj: a lead or a guest file
        if not _visible(actor, obj):
            raise NotVisible
        if actor.role == Role.ADMIN:  # pragma: no cover - administrators see no rows
            raise PermissionDenied
    elif action == COMPLETE:  # obj: a tracking Task or Commitment
        if not _visible(actor, obj):
            raise NotVisible
        if not _falls_to(actor, obj):
            raise PermissionDenied(_("This is not yours to do: it falls to its account manager, their sales "
                                     "manager or the general manager."))
    elif action == PLAN:  # obj: a tracking VisitPlan
        if obj is None or not _leads(actor, obj.owner) or obj.property_id not in actor.property_ids():
            raise PermissionDenied(_("Only the account manager's sales manager or the general manager approves "
                                     "this visit plan."))
    elif action == CONFIGURE:
        allowed = configurable_property_ids(actor)
        if allowed is not None and (not allowed or (obj is not None and obj.pk not in allowed)):
            raise PermissionDenied(_("Your role may not change the configuration of this property."))
    else:  # pragma: no cover - the enum is exhaustive
        raise PermissionDenied


def my_properties(actor) -> list:
    """The properties a member of staff works at, by code (none for anyone else)."""
    from yingke.core.models import Property

    ids = actor.property_ids() if is_staff(actor) else []
    return list(Property.objects.filter(pk__in=ids).order_by("code")) if ids else []


def pick_property(actor, props, code=None, denied=None):
    """One of `props` (the properties of the actor's a page may work on), by code,
    case-insensitive; without a code the first. A code of a property the actor does not work at
    is NotVisible (404) whether or not it exists; one they work at but not among `props`, or no
    `props` at all, is PermissionDenied(denied)."""
    code = str(code).strip().lower() if code is not None else ""
    if code:
        found = next((p for p in props if p.code.lower() == code), None)
        if found is not None:
            return found
        from yingke.core.models import Property

        ids = actor.property_ids() if is_staff(actor) else []
        if not Property.objects.filter(pk__in=ids, code__iexact=code).exists():
            raise NotVisible
    if not props or code:
        raise PermissionDenied(denied) if denied else PermissionDenied
    return props[0]


def chosen_property(actor, code=None, *actions: Action, pk=None):
    """The property a page or endpoint works on, and the properties to choose from: those of
    the actor's on which any of `actions` is allowed, by code. A `code` (or `pk`) names one:
    a property the actor does not work at is NotVisible (404) whether or not it exists, and one
    they work at but may do none of `actions` on is PermissionDenied (403). Without one, the
    first of the list; PermissionDenied (the first action's refusal) when the list is empty.
    Returns (property, properties)."""
    mine = my_properties(actor)
    allowed = [p for p in mine if any(can(actor, a, p) for a in actions)]
    code = str(code).strip() if code is not None else ""
    if code or pk is not None:
        found = next((p for p in mine if (p.pk == pk if pk is not None else p.code.lower() == code.lower())), None)
        if found is None:
            raise NotVisible
        if found not in allowed:
            require(actor, actions[0], found)
        return found, allowed
    if not allowed:
        require(actor, actions[0], None)
        raise PermissionDenied  # pragma: no cover - require refuses a None property for every action used
    return allowed[0], allowed


def responsible(obj):
    """Who a tracking task or commitment falls to (issue 15): its assignee or owner; for an
    account manager's task without one, the owner of its file or lead (it follows the file when
    the file changes hands). None: nobody yet (the pool, or a role's task)."""
    for field in ("assignee", "owner"):
        if getattr(obj, f"{field}_id", None):
            return getattr(obj, field)
    if getattr(obj, "role", "") == Role.ACCOUNT_MANAGER:
        subject = obj.customer if obj.customer_id else getattr(obj, "lead", None)
        return subject.owner if subject is not None and subject.owner_id else None
    return None


def completable(actor, rows) -> set:
    """Of tasks or commitments the actor sees (read through visible_to), the ids whose done/keep
    forms to show, without a query per row (like `amendable`); the service still asks
    `require(actor, COMPLETE, row)`. Rows should come with their file/lead and owner selected."""
    if is_system(actor):
        return {r.pk for r in rows}
    if not is_staff(actor):
        return set()
    return {r.pk for r in rows if _falls_to(actor, r)}


def _falls_to(actor, obj) -> bool:
    if actor.role == Role.GENERAL_MANAGER and obj.property_id in actor.property_ids():
        return True
    if getattr(obj, "role", "") == Role.SUPERVISOR and not getattr(obj, "assignee_id", None):
        return actor.role == Role.SUPERVISOR
    person = responsible(obj)
    if person is None:  # the pool's tasks: whoever may own files there
        return actor.role in OWNER_ROLES
    return person.pk == actor.pk or _leads(actor, person)


def _leads(actor, member) -> bool:
    """Whether `actor` leads `member` (an account or sales manager): the general manager of a
    property they work at, or their own sales manager."""
    if member is None or getattr(member, "role", None) not in OWNER_ROLES:
        return False
    if actor.role == Role.GENERAL_MANAGER:
        return bool(set(actor.property_ids()) & set(member.property_ids()))
    return actor.role == Role.SALES_MANAGER and member.manager_id == actor.pk


def report_rule(actor, path: str = "") -> Q:
    """The customers whose figures `actor` sees in management reports (R-11.1): a general
    manager, every customer of their properties; a sales manager, the files owned by them
    and their team (not the shared pool, not walk-ins); anyone else nothing. Reports also ask
    `require(actor, REPORT, property)`; `path` prefixes the lookups (e.g. "customer")."""
    p = f"{path}__" if path else ""
    if is_system(actor):
        return Q()
    if not is_staff(actor) or actor.role not in REPORTERS:
        return NOTHING
    in_props = Q(**{f"{p}property_id__in": actor.property_ids()})
    if actor.role == Role.GENERAL_MANAGER:
        return in_props
    return in_props & (Q(**{f"{p}owner_id": actor.pk}) | Q(**{f"{p}owner__manager_id": actor.pk}))


def reads_reports(user) -> bool:
    """Whether `user`'s role reads management reports (REPORT) at all: for the navigation,
    without a query; each report still asks `require(user, REPORT, property)`."""
    return is_staff(user) and user.role in REPORTERS


def edits_files(user) -> bool:
    """Whether `user`'s role changes the regular information of files it sees (FILE_EDITORS)."""
    return is_staff(user) and user.role in FILE_EDITORS


def reads_grading(user) -> bool:
    """Whether `user`'s role opens the grading pages (GRADE, or REPORT read-only)."""
    return is_staff(user) and (user.role in GRADERS or user.role in REPORTERS)


def team_limited(actor) -> bool:
    """Whether `actor`'s reports are limited to a team (report_rule is not the whole property):
    figures that cannot be attributed to customers (walk-ins, occupancy) are then not shown."""
    return not is_system(actor) and getattr(actor, "role", None) != Role.GENERAL_MANAGER


def assignable_owners(actor, property):
    """Staff whom `actor` may make the account manager of a file of `property` (R-1.2, R-6.1).

    GM: any active account or sales manager of the property; sales manager: self and team;
    account manager: self; other roles: nobody (their new files go to the shared pool).
    """
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(is_active=True, properties=property, role__in=OWNER_ROLES)
    if is_system(actor) or (is_staff(actor) and actor.role == Role.GENERAL_MANAGER):
        return staff
    if not is_staff(actor):
        return staff.none()
    if actor.role == Role.SALES_MANAGER:
        return staff.filter(Q(pk=actor.pk) | Q(manager=actor))
    if actor.role == Role.ACCOUNT_MANAGER:
        return staff.filter(pk=actor.pk)
    return staff.none()


def may_release(actor) -> bool:
    """Whether `actor` may put a file they may edit back into the shared pool."""
    return is_system(actor) or (is_staff(actor) and actor.role in FILE_EDITORS)


def require_assign(actor, customer, owner) -> None:
    """May `actor` make `owner` (None: the shared pool) responsible for `customer`?

    A choice the actor may not make is bad input for the owner field (422 with the field's
    message, like any other invalid choice), not a refusal of the whole request.
    """
    if owner is None:
        if customer.pk is not None and not may_release(actor):
            raise ValidationError({"owner": [_("Your role may not put files back into the shared pool.")]})
        return
    if not assignable_owners(actor, customer.property).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": [_("You cannot make this member of staff the account manager of "
                                           "this file.")]})
