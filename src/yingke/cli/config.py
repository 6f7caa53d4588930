"""Configuration commands: `outlet add|list`, `user list|deactivate`.

Thin adapters over core.services, acting as permissions.SYSTEM (the machine's
operator); the services validate, refuse (R-1.3: a member of staff who still owns guest
files is not deactivated) and audit. Exit status 2 for a refusal or bad input.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from yingke.cli.admin import first_error, get_property, get_user, require_migrated
from yingke.cli.main import CliError, say


def register(sub, user_sub) -> None:
    """Add `outlet …` to `sub` and `user list` / `user deactivate` to `user_sub`."""
    from yingke.core.models import Outlet
    from yingke.core.roles import Role

    outlet = sub.add_parser("outlet", help=_("manage outlets (restaurants, banquet halls, rooms, bars)"))
    osub = outlet.add_subparsers(dest="action", required=True, metavar=_("action"))
    kinds = ", ".join(f"{k.value} = {k.label}" for k in Outlet.Kind)
    p = osub.add_parser("add", help=_("add an outlet to a property"))
    p.add_argument("property", metavar="PROPERTY", help=_("property code"))
    p.add_argument("code", metavar="CODE", help=_("outlet code, e.g. CN"))
    p.add_argument("--name", required=True, help=_("name shown to users"))
    p.add_argument("--kind", default=Outlet.Kind.RESTAURANT, choices=Outlet.Kind.values, metavar="KIND",
                   help=_("one of: %s") % kinds)
    p.add_argument("--capacity", type=int, default=0, metavar="N",
                   help=_("tables (restaurant, banquet hall, bar) or rooms (rooms outlet); default 0"))
    p.set_defaults(handler=outlet_add)
    p = osub.add_parser("list", help=_("list outlets"))
    p.add_argument("property", nargs="?", metavar="PROPERTY", help=_("property code (default: all)"))
    p.set_defaults(handler=outlet_list)

    p = user_sub.add_parser("list", help=_("list staff accounts"))
    p.add_argument("--property", metavar="CODE", help=_("only staff of this property"))
    p.add_argument("--role", choices=Role.values, metavar="ROLE", help=_("only staff with this role"))
    p.set_defaults(handler=user_list)
    p = user_sub.add_parser("deactivate", help=_("deactivate a member of staff (refused while they own guest files)"))
    p.add_argument("username")
    p.set_defaults(handler=user_deactivate)
    p = user_sub.add_parser("reactivate", help=_("reactivate a deactivated member of staff"))
    p.add_argument("username")
    p.set_defaults(handler=user_reactivate)


def _run(fn, *args, **kwargs):
    from yingke.core.services import Conflict

    try:
        return fn(*args, **kwargs)
    except Conflict as e:
        raise CliError(" ".join(e.messages)) from None
    except ValidationError as e:
        raise CliError(first_error(e)) from None
    except PermissionDenied as e:
        raise CliError(str(e)) from None


def _storable(text: str, message: str) -> str:
    """Arguments that are not valid text (undecodable bytes) never reach the database."""
    from yingke.core.services import plain

    if not plain(text):
        raise CliError(message)
    return text


def _shown(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode()


def _property(code: str):
    return get_property(_storable(code, _("unknown property “%(code)s”.") % {"code": _shown(code)}))


def _user(username: str):
    return get_user(_storable(username, _("unknown user “%(username)s”.") % {"username": _shown(username)}))


def outlet_add(args) -> int:
    from yingke.core import services
    from yingke.core.permissions import SYSTEM

    require_migrated()
    prop = _property(args.property)
    outlet = _run(services.create_outlet, SYSTEM, prop, code=args.code, name=args.name, kind=args.kind,
                  capacity=args.capacity)
    say(_("Created outlet %(code)s of %(property)s: %(name)s (%(kind)s, %(capacity)s).")
        % {"code": outlet.code, "property": prop.code, "name": outlet.name, "kind": outlet.get_kind_display(),
           "capacity": _capacity(outlet)})
    return 0


def _capacity(outlet) -> str:
    from django.utils.translation import ngettext

    from yingke.core.models import Outlet

    if outlet.kind == Outlet.Kind.ROOMS:
        return ngettext("%(n)d room", "%(n)d rooms", outlet.capacity) % {"n": outlet.capacity}
    return ngettext("%(n)d table", "%(n)d tables", outlet.capacity) % {"n": outlet.capacity}


def outlet_list(args) -> int:
    from yingke.core.models import Outlet

    require_migrated()
    qs = Outlet.objects.select_related("property").order_by("property__code", "code")
    if args.property:
        qs = qs.filter(property=_property(args.property))
    rows = list(qs)
    if not rows:
        say(_("No outlets yet; add one with “yingke outlet add PROPERTY CODE --name NAME”."), err=True)
    for o in rows:
        say(f"{o.property.code}\t{o.code}\t{o.name}\t{o.get_kind_display()}\t{_capacity(o)}")
    return 0


def user_list(args) -> int:
    from django.db.models import Count, Prefetch
    from django.utils.translation import ngettext

    from yingke.core.models import Property, User

    require_migrated()
    qs = User.objects.order_by("username").select_related("manager").annotate(
        n_owned=Count("owned_customers", distinct=True)).prefetch_related(
        Prefetch("properties", queryset=Property.objects.order_by("code")))
    if args.property:
        qs = qs.filter(properties=_property(args.property))
    if args.role:
        qs = qs.filter(role=args.role)
    rows = list(qs)
    if not rows:
        say(_("No staff accounts yet; add one with “yingke user add”."), err=True)
    for u in rows:
        status = _("active") if u.is_active else _("deactivated")
        files = ngettext("owns %(n)d file", "owns %(n)d files", u.n_owned) % {"n": u.n_owned}
        say("\t".join([u.username, u.display_name or "—", str(u.get_role_display()),
                       ",".join(p.code for p in u.properties.all()) or "—",
                       u.manager.username if u.manager else "—", status, files]))
    return 0


def user_deactivate(args) -> int:
    return _set_active(args, False)


def user_reactivate(args) -> int:
    return _set_active(args, True)


def _set_active(args, active: bool) -> int:
    from yingke.core import services
    from yingke.core.permissions import SYSTEM

    require_migrated()
    user = _user(args.username)
    if user.is_active == active:
        say(_("%(username)s is already active.") % {"username": user.username} if active
            else _("%(username)s is already deactivated.") % {"username": user.username})
        return 0
    _run(services.set_active, SYSTEM, user, active)
    say(_("Reactivated %(username)s.") % {"username": user.username} if active
        else _("Deactivated %(username)s; they can no longer log in or use API keys.") % {"username": user.username})
    return 0
