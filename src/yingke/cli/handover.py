"""`yingke handover --from USERNAME (--to USERNAME | --by-rules) --reason TEXT [--property CODE]
[--user USERNAME]`: hand everything a leaving member of staff holds over at once (R-1.3)
through control.handover.handover — their guest files, pending claims, team and position
targets of coming periods, in one transaction, recorded on each file.

Runs as SYSTEM (recorded as nobody; every property) unless --user names a member of staff
whose rights then apply (HANDOVER: a general manager or administrator of the member's
properties). Prints one summary line. Exit 0 when handed over; 2 for bad usage, an unknown
user or property, a refusal or nothing to hand over — and then nothing changed.
"""

from django.utils.translation import gettext as _

from yingke.cli.admin import first_error, get_property, get_user, require_migrated
from yingke.cli.main import EXIT_OK, CliError, say


def add_parsers(sub) -> None:
    """Register `handover` on the top-level subparsers."""
    p = sub.add_parser(
        "handover", help=_("hand a leaving member of staff's files and open work over (to a colleague or by the "
                           "assignment rules)"),
        description=_("Move everything the member of staff holds — guest files, pending claims, their team, "
                      "position targets of coming periods — at once, in one transaction; each file records who "
                      "took it, when and why. Afterwards the member can be deactivated."))
    p.add_argument("--from", dest="from_user", required=True, metavar="USERNAME",
                   help=_("user name of the member of staff who leaves"))
    to = p.add_mutually_exclusive_group(required=True)
    to.add_argument("--to", metavar="USERNAME", help=_("user name of the account or sales manager who takes it all"))
    to.add_argument("--by-rules", action="store_true",
                    help=_("give each file an owner by the property's assignment rules (the leaver excluded)"))
    p.add_argument("--reason", required=True, help=_("why (recorded on each file)"))
    p.add_argument("--property", action="append", metavar="CODE",
                   help=_("only this property (repeat for several; default: every property of the member)"))
    p.add_argument("--user", help=_("staff user name recorded as having done the handover (must be allowed to hand "
                                    "over this member's work)"))
    p.set_defaults(handler=handover_command)


def handover_command(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from yingke.control.handover import handover, summary
    from yingke.core import permissions

    require_migrated()
    member = get_user(args.from_user)
    to = get_user(args.to) if args.to else None
    props = [get_property(code) for code in args.property] if args.property else None
    actor = get_user(args.user) if args.user else permissions.SYSTEM
    try:
        h = handover(actor, member, to=to, by_rules=bool(args.by_rules), reason=args.reason, properties=props)
    except ValidationError as e:
        raise CliError(first_error(e)) from None
    except Http404:
        raise CliError(_("%(user)s may not hand over the work of %(name)s.")
                       % {"user": args.user, "name": member.username}) from None
    except PermissionDenied as e:
        raise CliError(str(e) or _("You may not hand over this member of staff's work.")) from None
    say(summary(h))
    return EXIT_OK
