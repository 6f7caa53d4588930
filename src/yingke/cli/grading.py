"""`yingke grade --property CODE [--as-of YYYY-MM-DD] [--export FILE] [--user NAME]`: grade
the customers of a property (R-4) through `grading.services.run_grading`, store the
snapshot, print one summary line, and optionally write the snapshot as CSV or XLSX.

Every argument is checked before anything is stored: an unknown property or user, a
malformed date, a date after today in the property's time zone, an export file of another kind or in a folder that does not exist → a
message and exit 2, nothing graded.
"""

import datetime as dt
import re
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yingke.cli.admin import get_property, get_user, require_migrated
from yingke.cli.main import EXIT_OK, CliError, say

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EXPORT_KINDS = (".csv", ".xlsx")
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)


def add_parsers(sub) -> None:
    """Register the grading commands on the top-level subparsers."""
    p = sub.add_parser(
        "grade", help=_("grade the customers of a property (A, B, C, D) and store the snapshot"),
        description=_("Grade every customer of the property as of a date (default: today in the property's time "
                      "zone) with the property's window and shares, store the snapshot and set each customer's "
                      "grade (a general manager's override is kept). With --export, also write the snapshot, one "
                      "row per customer: customer_code, name, grade, visits, amount, standard, rank_visits, "
                      "rank_amount."))
    p.add_argument("--property", required=True, metavar="CODE", help=_("property to grade"))
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help=_("as-of date (default: today in the property's time zone)"))
    p.add_argument("--export", metavar="FILE", help=_("also write the snapshot to this .csv (UTF-8) or .xlsx file"))
    p.add_argument("--user", help=_("staff user name recorded as having run the grading (must be allowed to grade "
                                    "the property)"))
    p.set_defaults(handler=grade)


def parse_as_of(value: str) -> dt.date:
    try:
        if not DATE.fullmatch(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(_("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28.")
                       % {"value": value}) from None
    if not EARLIEST <= day <= LATEST:
        raise CliError(_("The as-of date must be between %(first)s and %(last)s.")
                       % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()})
    return day


def check_export_path(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in EXPORT_KINDS:
        raise CliError(_("The export file must end in .csv or .xlsx: “%(path)s”.") % {"path": value})
    if path.is_dir():
        raise CliError(_("“%(path)s” is a folder; give a file name ending in .csv or .xlsx.") % {"path": value})
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(_("The folder of the export file does not exist: “%(path)s”.") % {"path": str(folder)})
    return path


def summary_line(run) -> str:
    first_day = run.as_of - dt.timedelta(days=run.window_days - 1)
    return _("Graded %(property)s as of %(as_of)s (window %(first)s – %(as_of)s, %(days)d days): "
             "%(effective)d effective of %(customers)d customers — A %(a)d, B %(b)d, C %(c)d, D %(d)d.") % {
        "property": run.property.code, "as_of": run.as_of.isoformat(), "first": first_day.isoformat(),
        "days": run.window_days, "effective": run.effective, "customers": run.customers, "a": run.a_count,
        "b": run.b_count, "c": run.c_count, "d": run.d_count}


def grade(args) -> int:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from yingke.core import permissions
    from yingke.customers.models import Customer
    from yingke.grading.export import write_snapshot_file
    from yingke.grading.services import run_grading

    require_migrated()
    prop = get_property(args.property)
    as_of = parse_as_of(args.as_of) if args.as_of else None
    if as_of is not None and as_of > prop.local_today():
        raise CliError(_("The as-of date %(as_of)s is after today (%(today)s in the property's time zone); "
                         "a grading can only look back.") % {"as_of": as_of.isoformat(),
                                                              "today": prop.local_today().isoformat()})
    export = check_export_path(args.export) if args.export else None
    # Without --user the operator of the machine grades (recorded as nobody); with it, that
    # member of staff's rights apply: they must be allowed to grade (and to export).
    actor = get_user(args.user) if args.user else permissions.SYSTEM
    try:
        permissions.require(actor, permissions.GRADE, prop)
        if export:
            permissions.require(actor, permissions.EXPORT)
    except (PermissionDenied, Http404) as e:
        raise CliError(str(e) or _("You may not grade the customers of this property.")) from None
    run = run_grading(actor, prop, as_of=as_of)
    say(summary_line(run))
    if export:
        visible = None if permissions.is_system(actor) else Customer.objects.visible_to(actor)
        try:
            rows = write_snapshot_file(actor, run, export, customers_qs=visible)
        except OSError as e:
            raise CliError(_("The grading was stored, but %(path)s could not be written: %(error)s")
                           % {"path": str(export), "error": e.strerror or e}) from None
        say(ngettext("%(rows)d row written to %(path)s.", "%(rows)d rows written to %(path)s.", rows)
            % {"rows": rows, "path": str(export)})
    return EXIT_OK
