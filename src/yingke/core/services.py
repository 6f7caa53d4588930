"""Configuration services: properties, outlets and staff (R-1.1, R-1.2, R-1.3).

Pages, API endpoints and CLI commands call these functions with the acting member of
staff (or permissions.SYSTEM for the command line); every function asks
core.permissions (CONFIGURE) before doing anything, raises ValidationError with field
messages on bad input and then changes nothing, and records each change as an
AuditEvent "config.<what>.<verb>" with the values before and after.

Who configures what:
  * Configuring is for administrators and general managers, within the properties they
    work at (permissions.configurable_property_ids); superusers and SYSTEM configure all.
    A row outside those properties is answered as if it did not exist (NotVisible, 404).
  * Creating a property is for the group: superusers, SYSTEM (`yingke property add`) and
    administrators. An administrator who creates a property is given access to it so that
    they can configure it. A general manager runs one hotel and cannot create properties.
  * A property's code is its identifier in imports, the API and scripts: it is set once.
  * Staff: an actor manages the staff who work at one of the properties they configure.
    They grant access only to properties they configure; the staff member's other
    properties are kept as they are. Changes that act on the whole account (role,
    active, password, user name) need the actor to configure every property of that
    member of staff ("ask an administrator of the group" otherwise). A general manager
    neither creates administrators nor changes them; only a superuser changes a superuser.
  * Nobody changes their own role, properties or active flag, or resets their own
    password here (the password-change page asks for the old one).
  * R-1.3: someone who still owns guest files, or holds other work the domain apps register
    in HOLDING_COUNTERS (open claims …), cannot be deactivated, lose the property of that
    work, or move to a role that cannot own files: the message says how much and points to
    the handover (control.handover). A sales manager who still leads account
    managers cannot be deactivated or change role until the team has another manager.
  * The sales manager field applies to account managers only; for other roles it is cleared.
"""

import re
import unicodedata
import zoneinfo
from functools import lru_cache

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yingke.core import permissions
from yingke.core.db import save_unique
from yingke.core.models import AuditEvent, Outlet, Property, User, code_validator
from yingke.core.permissions import CONFIGURE, NotVisible, is_system
from yingke.core.roles import OWNER_ROLES, Role
from yingke.core.signals import outlet_renamed

MAX_CAPACITY = 100_000


class Conflict(ValidationError):
    """The input is valid but the current state forbids the change (API: 409)."""


# ---- input ------------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # the largest row id (a signed 64-bit integer); the API's `le=` bound too


def valid_id(pk) -> bool:
    """Whether `pk` can be a row id (a positive 64-bit integer, not a bool): anything else is
    simply not found, never a database error."""
    return isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= MAX_ID


def clean_text(value, field: str, max_length: int, required: bool = True, errors: dict | None = None) -> str:
    """One line of text: spaces collapsed and trimmed; control characters, lone surrogates
    and text over `max_length` are refused with a message on `field`; when `required`, text
    that is empty once format characters (Cf, e.g. U+200B) are left out is refused too."""
    text = " ".join(str(value or "").split())
    return _checked(text, text, field, max_length, required, errors)


def _checked(text: str, line: str, field: str, max_length: int, required: bool, errors: dict | None) -> str:
    """`text` (`line`: it on one line) refused on `field` for control characters, length, or
    nothing visible when `required`; raises unless the caller collects `errors`."""
    own = errors is None
    errors = {} if own else errors
    if not plain(line):
        errors.setdefault(field, []).append(_("Remove the control characters or invalid symbols."))
    elif len(text) > max_length:
        errors.setdefault(field, []).append(_("Enter at most %(max)s characters.") % {"max": max_length})
    elif required and not visible(text):
        errors.setdefault(field, []).append(_("This field is required."))
    if own and errors:
        raise ValidationError(errors)
    return text


def clean_paragraphs(value, field: str, max_length: int, required: bool = True,
                     errors: dict | None = None) -> str:
    """Text of several lines (a guest's words, a note): line breaks kept (CR LF → LF, at most
    one empty line in a row), each line's spaces collapsed; otherwise as `clean_text`."""
    lines = [" ".join(line.split()) for line in str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return _checked(text, text.replace("\n", " "), field, max_length, required, errors)


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


_NOT_PLAIN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # exactly the categories Cc and Cs


def visible(text: str) -> str:
    """`text` without format characters (Cf: zero-width spaces and joiners, direction marks such
    as U+202E) and spaces: empty when nothing would be seen."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def plain(text: str) -> bool:
    """No control characters (Cc) or lone surrogates (Cs): safe to store and to query with."""
    return _NOT_PLAIN.search(text) is None


def _choice(value, choices, field, errors):
    if value not in choices.values:
        errors.setdefault(field, []).append(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)})
    return value


def _code(value, field, errors) -> str:
    code = str(value or "").strip()
    try:
        code_validator(code)
    except ValidationError as e:
        errors.setdefault(field, []).extend(e.messages)
    return code


def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _audit(actor, action, target, before=None, after=None, **details):
    """Record a change (only what differs, before and after); a save that changed nothing is not one."""
    if before is not None or after is not None:
        changed = {k for k in (after or {}) if (before or {}).get(k) != (after or {}).get(k)}
        if before is not None and not changed:
            return
        details["before"] = {k: (before or {}).get(k) for k in sorted(changed)} if before is not None else None
        details["after"] = {k: (after or {}).get(k) for k in sorted(changed)}
    AuditEvent.record(actor, action, target, **details)


# ---- properties ---------------------------------------------------------------------------

def configurable_properties(actor):
    """The properties `actor` configures; PermissionDenied when they configure nothing."""
    permissions.require(actor, CONFIGURE)
    ids = permissions.configurable_property_ids(actor)
    qs = Property.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def configurable_property(actor, pk=None, code=None) -> Property:
    """One property `actor` configures, by id or code; NotVisible otherwise."""
    qs = configurable_properties(actor)
    if code is not None:
        code = str(code).strip()
        if not plain(code) or len(code) > 20:
            raise NotVisible
        prop = qs.filter(code=code).first() or qs.filter(code__iexact=code).first()
    else:
        prop = qs.filter(pk=pk).first() if valid_id(pk) else None
    if prop is None:
        raise NotVisible
    return prop


def _property_state(p: Property) -> dict:
    return {"code": p.code, "name": p.name, "kind": p.kind, "time_zone": p.time_zone,
            "outlets_strict": p.outlets_strict}


def _property_fields(prop: Property, data: dict, errors: dict) -> None:
    if "name" in data:
        prop.name = clean_text(data["name"], "name", 100, errors=errors)
    if "kind" in data:
        prop.kind = _choice(data["kind"], Property.Kind, "kind", errors)
    if "time_zone" in data:
        tz = str(data["time_zone"] or "").strip()
        if tz not in time_zones():
            errors.setdefault("time_zone", []).append(
                _("Enter a time zone such as Asia/Shanghai (IANA name)."))
        prop.time_zone = tz
    if "outlets_strict" in data:
        if not isinstance(data["outlets_strict"], bool):
            errors.setdefault("outlets_strict", []).append(_("Enter true or false."))
        else:
            prop.outlets_strict = data["outlets_strict"]


@transaction.atomic
def create_property(actor, *, code, name, kind=Property.Kind.HOTEL, time_zone="Asia/Shanghai") -> Property:
    if not permissions.may_create_property(actor):
        raise PermissionDenied(_("Only an administrator of the group may add properties."))
    errors: dict = {}
    prop = Property(code=_code(code, "code", errors))
    _property_fields(prop, {"name": name, "kind": kind, "time_zone": time_zone}, errors)
    if "code" not in errors and Property.objects.filter(code__iexact=prop.code).exists():
        errors["code"] = [_("A property with code “%(code)s” already exists.") % {"code": prop.code}]
    _raise(errors)
    prop.save()
    if permissions.is_staff(actor) and not actor.is_superuser:
        actor.properties.add(prop)  # so that the administrator can configure it
        actor.__dict__.pop("_property_ids", None)
    _audit(actor, "config.property.create", f"property:{prop.code}", None, _property_state(prop))
    return prop


@transaction.atomic
def update_property(actor, prop: Property, **data) -> Property:
    """Change name, kind, time zone or strict outlets (the code is set once)."""
    prop = configurable_property(actor, pk=prop.pk)
    permissions.require(actor, CONFIGURE, prop)
    before = _property_state(prop)
    errors: dict = {}
    unknown = set(data) - {"name", "kind", "time_zone", "outlets_strict"}
    for field in unknown:
        errors[field] = [_("This field cannot be changed.")]
    _property_fields(prop, data, errors)
    _raise(errors)
    prop.save()
    _audit(actor, "config.property.update", f"property:{prop.code}", before, _property_state(prop))
    return prop


# ---- outlets ------------------------------------------------------------------------------

def configurable_outlets(actor):
    ids = permissions.configurable_property_ids(actor)
    qs = Outlet.objects.select_related("property")
    permissions.require(actor, CONFIGURE)
    return qs if ids is None else qs.filter(property_id__in=ids)


def configurable_outlet(actor, pk) -> Outlet:
    outlet = configurable_outlets(actor).filter(pk=pk).first() if valid_id(pk) else None
    if outlet is None:
        raise NotVisible
    return outlet


def _outlet_state(o: Outlet) -> dict:
    return {"property": o.property.code, "code": o.code, "name": o.name, "kind": o.kind, "capacity": o.capacity}


def _outlet_fields(outlet: Outlet, data: dict, errors: dict) -> None:
    if "code" in data:
        outlet.code = _code(data["code"], "code", errors)
    if "name" in data:
        outlet.name = clean_text(data["name"], "name", 100, errors=errors)
    if "kind" in data:
        outlet.kind = _choice(data["kind"], Outlet.Kind, "kind", errors)
    if "capacity" in data:
        cap = data["capacity"]
        if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= MAX_CAPACITY:
            errors.setdefault("capacity", []).append(
                _("Enter a whole number from 0 to %(max)s.") % {"max": MAX_CAPACITY})
        else:
            outlet.capacity = cap
    if "code" not in errors and outlet.code:
        clash = Outlet.objects.filter(property_id=outlet.property_id, code__iexact=outlet.code)
        if outlet.pk:
            clash = clash.exclude(pk=outlet.pk)
        if clash.exists():
            errors.setdefault("code", []).append(
                _("This property already has an outlet with code “%(code)s”.") % {"code": outlet.code})


def _save_outlet(outlet):
    save_unique(outlet, "code", _("This property already has an outlet with this code."))


@transaction.atomic
def create_outlet(actor, prop: Property, *, code, name, kind=Outlet.Kind.RESTAURANT, capacity=0) -> Outlet:
    permissions.require(actor, CONFIGURE, prop)
    outlet = Outlet(property=prop)
    errors: dict = {}
    _outlet_fields(outlet, {"code": code, "name": name, "kind": kind, "capacity": capacity}, errors)
    _raise(errors)
    _save_outlet(outlet)
    _audit(actor, "config.outlet.create", f"outlet:{prop.code}/{outlet.code}", None, _outlet_state(outlet))
    return outlet


@transaction.atomic
def update_outlet(actor, outlet: Outlet, **data) -> Outlet:
    outlet = configurable_outlet(actor, outlet.pk)
    permissions.require(actor, CONFIGURE, outlet.property)
    before = _outlet_state(outlet)
    errors: dict = {}
    for field in set(data) - {"code", "name", "kind", "capacity"}:
        errors[field] = [_("This field cannot be changed.")]
    _outlet_fields(outlet, data, errors)
    _raise(errors)
    with transaction.atomic():
        _save_outlet(outlet)
        _audit(actor, "config.outlet.update", f"outlet:{outlet.property.code}/{outlet.code}", before,
               _outlet_state(outlet))
        if outlet.name != before["name"]:
            # Profiles store outlet names; the visits app refreshes them (core imports no
            # domain app, so it says so by a signal).
            outlet_renamed.send(sender=Outlet, outlet=outlet, old_name=before["name"])
    return outlet


# ---- staff --------------------------------------------------------------------------------

def configurable_staff(actor):
    """Staff who work at a property `actor` configures (everyone for superusers and SYSTEM)."""
    permissions.require(actor, CONFIGURE)
    ids = permissions.configurable_property_ids(actor)
    qs = User.objects.all()
    if ids is not None:
        qs = qs.filter(pk__in=User.objects.filter(properties__in=ids).values("pk"))
    return qs


def configurable_member(actor, pk) -> User:
    user = configurable_staff(actor).filter(pk=pk).first() if valid_id(pk) else None
    if user is None:
        raise NotVisible
    return user


def _staff_state(u: User, props=None) -> dict:
    props = props if props is not None else u.properties.all()
    return {"username": u.username, "display_name": u.display_name, "role": u.role,
            "properties": sorted(p.code for p in props), "manager": u.manager.username if u.manager else None,
            "is_active": u.is_active}


def owned_files(user) -> int:
    """Guest files `user` is the account manager of (reverse relation: core imports no domain app)."""
    rel = getattr(user, "owned_customers", None)
    return rel.count() if rel is not None else 0


def _owned_in(user, property_ids) -> int:
    rel = getattr(user, "owned_customers", None)
    return rel.filter(property_id__in=property_ids).count() if rel is not None and property_ids else 0


# what else a member of staff holds that must be handed over before they leave (open
# claims, follow-ups, commitments, complaints …). core imports no domain app: each app that
# keeps such work appends a counter here in its AppConfig.ready():
#     counter(member, property_ids: list[int] | None) -> [(label, count), …]
# (property_ids None: all their properties). Guest files are counted by core itself.
HOLDING_COUNTERS: list = []


def other_holdings(member, property_ids=None) -> list[tuple[str, int]]:
    """(label, count) of everything registered in HOLDING_COUNTERS that `member` still holds."""
    out: list[tuple[str, int]] = []
    for counter in HOLDING_COUNTERS:
        out.extend((str(label), n) for label, n in counter(member, property_ids) if n)
    return out


def _handover_message(user, count, others=()) -> str:
    parts = []
    if count:
        parts.append(ngettext(
            "%(name)s still owns %(count)d guest file; hand it over to another account manager first.",
            "%(name)s still owns %(count)d guest files; hand them over to another account manager first.",
            count) % {"name": user.label, "count": count})
    if others:
        what = ", ".join(f"{label} {n}" for label, n in others)
        parts.append(_("%(name)s still holds: %(what)s; hand it over first.") % {"name": user.label, "what": what})
    parts.append(_("Use “Hand over work” on their staff page, or “yingke handover --from %(username)s”.")
                 % {"username": user.username})
    return " ".join(parts)


def _team_message(user, count) -> str:
    return ngettext(
        "%(name)s still leads %(count)d account manager; give them another sales manager first.",
        "%(name)s still leads %(count)d account managers; give them another sales manager first.",
        count) % {"name": user.label, "count": count}


def _active_team(user) -> int:
    return user.team.filter(is_active=True).count() if user.pk else 0


def refusal(actor, member: User, whole_account: bool = True) -> str | None:
    """Why `actor` may not change `member` (None: they may): for showing a read-only page."""
    try:
        _require_manage(actor, member, whole_account)
    except PermissionDenied as e:
        return str(e)
    return None


def _require_manage(actor, member: User, whole_account: bool) -> None:
    """PermissionDenied unless `actor` may change `member` (see the module docstring)."""
    if is_system(actor):
        return
    if member.is_superuser and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser may change a superuser's account."))
    if member.role == Role.ADMIN and actor.role != Role.ADMIN and not actor.is_superuser:
        raise PermissionDenied(_("Only an administrator may change an administrator's account."))
    if whole_account:
        allowed = permissions.configurable_property_ids(actor)
        if allowed is not None:
            others = member.properties.exclude(pk__in=allowed)
            if others.exists():
                codes = ", ".join(others.values_list("code", flat=True))
                raise PermissionDenied(
                    _("%(name)s also works at %(codes)s, which you do not configure; ask an administrator "
                      "of the group.") % {"name": member.label, "codes": codes})


def _properties(actor, value, errors) -> list[Property] | None:
    """Resolve property codes or objects to properties `actor` configures."""
    if value is None:
        return None
    allowed = configurable_properties(actor)
    out: list[Property] = []
    for item in value:
        if isinstance(item, Property):
            prop = allowed.filter(pk=item.pk).first()
            label = item.code
        else:
            label = str(item).strip()
            prop = allowed.filter(code__iexact=label).first() if label and plain(label) and len(label) <= 20 else None
        if prop is None:
            errors.setdefault("properties", []).append(
                _("You cannot give access to property “%(code)s”.") % {"code": label[:20] if plain(label) else "?"})
        elif prop not in out:
            out.append(prop)
    return out


def _manager(actor, value, errors):
    if value in (None, ""):
        return None
    if isinstance(value, User):
        candidate = configurable_staff(actor).filter(pk=value.pk).first()
    else:
        name = str(value).strip()
        ok = name and plain(name) and len(name) <= 150
        candidate = configurable_staff(actor).filter(username=name).first() if ok else None
    if candidate is None or candidate.role != Role.SALES_MANAGER or not candidate.is_active:
        errors.setdefault("manager", []).append(_("Choose an active sales manager of your properties."))
        return None
    return candidate


def _check_password(password, user, errors, field="password"):
    text = str(password or "")
    if not text:
        errors.setdefault(field, []).append(_("This field is required."))
        return
    if not plain(text) or len(text) > 128:
        errors.setdefault(field, []).append(_("Use at most 128 printable characters."))
        return
    try:
        password_validation.validate_password(text, user)
    except ValidationError as e:
        errors.setdefault(field, []).extend(e.messages)


def _username(value, errors, exclude_pk=None) -> str:
    name = str(value or "").strip()
    if not name:
        errors.setdefault("username", []).append(_("This field is required."))
        return name
    if len(name) > 150 or not plain(name):
        errors.setdefault("username", []).append(_("Use at most 150 letters, digits and @ . + - _ characters."))
        return name
    try:
        UnicodeUsernameValidator()(name)
    except ValidationError:
        errors.setdefault("username", []).append(_("Use only letters, digits and @ . + - _ (no spaces)."))
        return name
    clash = User.objects.filter(username__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        errors.setdefault("username", []).append(_("The user name “%(username)s” is taken.") % {"username": name})
    return name


def _role(actor, value, errors):
    if value not in Role.values:
        errors.setdefault("role", []).append(_("Choose one of: %(choices)s.") % {"choices": ", ".join(Role.values)})
        return value
    if value == Role.ADMIN and not (is_system(actor) or actor.is_superuser or actor.role == Role.ADMIN):
        errors.setdefault("role", []).append(_("Only an administrator may give the administrator role."))
    return value


@transaction.atomic
def create_staff(actor, *, username, password, role, properties, display_name="", manager=None) -> User:
    """A new member of staff; `properties` are codes or Property objects the actor configures."""
    permissions.require(actor, CONFIGURE)
    errors: dict = {}
    user = User(is_active=True)
    user.username = _username(username, errors)
    user.display_name = clean_text(display_name, "display_name", 50, required=False, errors=errors)
    user.role = _role(actor, role, errors)
    props = _properties(actor, properties, errors) or []
    if not props and "properties" not in errors:
        errors["properties"] = [_("Choose at least one property.")]
    user.manager = _manager(actor, manager, errors) if role == Role.ACCOUNT_MANAGER else None
    if user.manager and props and not user.manager.properties.filter(pk__in=[p.pk for p in props]).exists():
        errors.setdefault("manager", []).append(_("The sales manager must work at one of the same properties."))
    _check_password(password, user, errors)
    _raise(errors)
    for prop in props:
        permissions.require(actor, CONFIGURE, prop)
    user.set_password(password)
    save_unique(user, "username", _("The user name “%(username)s” is taken.") % {"username": user.username})
    user.properties.set(props)
    _audit(actor, "config.staff.create", f"user:{user.username}", None, _staff_state(user, props))
    return user


@transaction.atomic
def update_staff(actor, member: User, **data) -> User:
    """Change any of: username, display_name, role, properties, manager, is_active."""
    member = configurable_member(actor, member.pk)
    own = not is_system(actor) and member.pk == actor.pk
    errors: dict = {}
    for field in set(data) - {"username", "display_name", "role", "properties", "manager", "is_active"}:
        errors[field] = [_("This field cannot be changed.")]
    current = list(member.properties.all())
    before = _staff_state(member, current)
    role = data.get("role", member.role)
    changes_account = any(k in data and data[k] != before[k] for k in ("username", "role", "is_active"))
    if own and (("role" in data and role != member.role) or ("is_active" in data and not data["is_active"])):
        raise PermissionDenied(_("You cannot change your own role or deactivate yourself; ask another "
                                 "administrator."))
    _require_manage(actor, member, whole_account=changes_account)

    if "username" in data:
        member.username = _username(data["username"], errors, exclude_pk=member.pk)
    if "display_name" in data:
        member.display_name = clean_text(data["display_name"], "display_name", 50, required=False, errors=errors)
    if "role" in data:
        if role != member.role:
            _role(actor, role, errors)
        member.role = role
    props = current
    if "properties" in data:
        granted = _properties(actor, data["properties"], errors) or []
        allowed = permissions.configurable_property_ids(actor)
        kept = [] if allowed is None else [p for p in current if p.pk not in allowed]
        props = kept + [p for p in granted if p not in kept]
        if own and {p.pk for p in props} != {p.pk for p in current}:
            raise PermissionDenied(_("You cannot change your own properties; ask another administrator."))
        if not props and "properties" not in errors:
            errors["properties"] = [_("Choose at least one property.")]
    if "manager" in data or "role" in data:
        if member.role == Role.ACCOUNT_MANAGER:
            if "manager" in data:
                member.manager = _manager(actor, data["manager"], errors)
        else:
            member.manager = None
    if member.manager and props and not member.manager.properties.filter(pk__in=[p.pk for p in props]).exists():
        errors.setdefault("manager", []).append(_("The sales manager must work at one of the same properties."))
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors.setdefault("is_active", []).append(_("Enter true or false."))
        else:
            member.is_active = data["is_active"]
    _raise(errors)

    # files and teams are handed over before the change.
    leaving = before["is_active"] and not member.is_active
    losing_owner_role = before["role"] in OWNER_ROLES and member.role not in OWNER_ROLES
    dropped = [p.pk for p in current if p not in props]
    count, field, others = 0, None, []
    if leaving or losing_owner_role:
        count, field = owned_files(member), ("is_active" if leaving else "role")
        others = other_holdings(member)
    elif dropped:
        count, field = _owned_in(member, dropped), "properties"
        others = other_holdings(member, dropped)
    if count or others:
        raise Conflict({field: [_handover_message(member, count, others)]})
    if before["role"] == Role.SALES_MANAGER and (leaving or member.role != Role.SALES_MANAGER):
        team = _active_team(member)
        if team:
            raise Conflict({"is_active" if leaving else "role": [_team_message(member, team)]})

    save_unique(member, "username", _("The user name “%(username)s” is taken.") % {"username": member.username})
    if "properties" in data:
        member.properties.set(props)
    member.__dict__.pop("_property_ids", None)
    after = _staff_state(member, props)
    verb = "update"
    if before["is_active"] != after["is_active"]:
        verb = "reactivate" if after["is_active"] else "deactivate"
    _audit(actor, f"config.staff.{verb}", f"user:{member.username}", before, after)
    return member


def set_active(actor, member: User, active: bool) -> User:
    """Deactivate (R-1.3: refused while they own files or lead a team) or reactivate."""
    return update_staff(actor, member, is_active=active)


def require_password_reset(actor, member: User) -> User:
    """PermissionDenied unless `actor` may set a new password for `member` (NotVisible: not theirs)."""
    member = configurable_member(actor, member.pk)
    if not is_system(actor) and member.pk == actor.pk:
        raise PermissionDenied(_("Change your own password with “Change password” in your menu."))
    _require_manage(actor, member, whole_account=True)
    return member


@transaction.atomic
def reset_password(actor, member: User, password) -> None:
    member = require_password_reset(actor, member)
    errors: dict = {}
    _check_password(password, member, errors)
    _raise(errors)
    member.set_password(password)
    member.save(update_fields=["password"])
    _audit(actor, "config.staff.password", f"user:{member.username}")
