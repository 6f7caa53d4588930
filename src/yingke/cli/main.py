"""`yingke` command line: thin adapters over the domain services.

Exit status: 0 all done, 1 some rows rejected (each reported), 2 bad usage, unreadable
file, unknown property or user, or a database that cannot be used; 130 interrupted.
Messages are Chinese unless LANGUAGE, LC_ALL, LC_MESSAGES or LANG asks for English.
"""

import argparse
import os
import sys

EXIT_OK, EXIT_REJECTED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """A problem to report in one sentence; exits with status 2."""


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingke.settings")
    import django

    django.setup()


def language_from_env(environ=os.environ) -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh-hans"
    return "zh-hans"


def say(*parts, err=False):
    try:
        print(*parts, file=sys.stderr if err else sys.stdout, flush=True)
    except BrokenPipeError:  # `yingke … | head`: stop printing, finish the work
        os.dup2(os.open(os.devnull, os.O_WRONLY), (sys.stderr if err else sys.stdout).fileno())


def build_parser() -> argparse.ArgumentParser:
    from django.utils.translation import gettext as _

    from yingke.cli import admin, config, demo_cmd, grading, handover, importing, keys, qr, server
    from yingke.core.roles import Role

    parser = argparse.ArgumentParser(prog="yingke", description=_("Yingke (迎客) hotel and restaurant CRM."))
    sub = parser.add_subparsers(dest="command", required=True, metavar=_("command"))

    p = sub.add_parser("migrate", help=_("create or update the database tables"))
    p.set_defaults(handler=admin.migrate)

    p = sub.add_parser("serve", help=_("run the web server (migrates and collects static files first)"))
    p.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)"))
    p.add_argument("--port", type=int, default=8000, help=_("port to listen on (default 8000)"))
    p.add_argument("--workers", type=int, default=int(os.environ.get("YINGKE_WORKERS", 2)),
                   help=_("worker processes (default 2)"))
    p.add_argument("--demo", action="store_true",
                   help=_("load demo data when the database has no property yet and print the demo logins"))
    p.add_argument("--no-worker", action="store_true",
                   help=_("do not run a job worker beside the web server (run “yingke worker” elsewhere)"))
    p.set_defaults(handler=server.serve)

    p = sub.add_parser("worker", help=_("run background jobs (imports) until stopped"))
    p.add_argument("--threads", type=int, default=1, help=_("jobs run at the same time (default 1)"))
    p.add_argument("--beside-server", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=server.worker)
    p = sub.add_parser("run-jobs", help=_("run the background jobs that are due now, then exit (for cron)"))
    p.add_argument("--once", action="store_true", required=True, help=_("run what is due once and exit"))
    p.set_defaults(handler=server.run_jobs)

    prop = sub.add_parser("property", help=_("manage properties (hotels and restaurants)"))
    psub = prop.add_subparsers(dest="action", required=True, metavar=_("action"))
    p = psub.add_parser("add", help=_("add a property"))
    p.add_argument("code", help=_("short code, e.g. H1"))
    p.add_argument("--name", required=True, help=_("name shown to users"))
    p.add_argument("--kind", choices=["hotel", "restaurant"], default="hotel", help=_("hotel or restaurant"))
    p.set_defaults(handler=admin.property_add)
    p = psub.add_parser("list", help=_("list properties"))
    p.set_defaults(handler=admin.property_list)

    user = sub.add_parser("user", help=_("manage staff accounts"))
    usub = user.add_subparsers(dest="action", required=True, metavar=_("action"))
    p = usub.add_parser("add", help=_("add a member of staff"))
    p.add_argument("username")
    roles = ", ".join(f"{r.value} = {r.label}" for r in Role)
    p.add_argument("--role", required=True, choices=Role.values, metavar="ROLE", help=_("one of: %s") % roles)
    p.add_argument("--property", required=True, action="append", metavar="CODE",
                   help=_("property code; repeat for staff of several properties"))
    p.add_argument("--password", help=_("prompted for when omitted on a terminal, otherwise generated and printed"))
    p.add_argument("--name", default="", help=_("display name"))
    p.add_argument("--manager", help=_("user name of the sales manager this account manager reports to"))
    p.set_defaults(handler=admin.user_add)

    config.register(sub, usub)
    keys.register(sub)

    token = sub.add_parser("token", help=_("manage API keys"))
    tsub = token.add_subparsers(dest="action", required=True, metavar=_("action"))
    p = tsub.add_parser("add", help=_("issue an API key for a member of staff (shown once)"))
    p.add_argument("username")
    p.add_argument("--name", default="", help=_("what the key is for"))
    p.add_argument("--expires-in-days", type=int, metavar="N",
                   help=_("days until the key stops working (1–3650; default: no expiry)"))
    p.set_defaults(handler=admin.token_add)

    p = sub.add_parser("demo", help=_("generate realistic demo data"),
                       description=_("Generate deterministic demo data (same seed, same data): a property with "
                                     "outlets and staff of every role, Chinese guest files with preferences, "
                                     "special dates and two years of visits. Bulk demo rows are written "
                                     "directly and get no change-history records."))
    p.add_argument("--property", default="DEMO", metavar="CODE",
                   help=_("property code; created with outlets and staff when missing (default DEMO)"))
    p.add_argument("--customers", type=int, default=3000, metavar="N", help=_("number of customers (default 3000)"))
    p.add_argument("--visits", type=int, metavar="N", help=_("number of visits (default 4 per customer)"))
    p.add_argument("--seed", type=int, default=1, metavar="S", help=_("random seed (default 1)"))
    p.add_argument("--kind", choices=["hotel", "restaurant"], default="hotel",
                   help=_("kind of a new property (default hotel)"))
    p.add_argument("--password", help=_("password for new demo staff (default: generated)"))
    p.set_defaults(handler=demo_cmd.demo)

    imp = sub.add_parser("import", help=_("import data from CSV or spreadsheet files"))
    isub = imp.add_subparsers(dest="what", required=True, metavar=_("what"))
    for what, help_text, description, handler in (
        ("customers", _("import guest files (CSV, XLSX; Chinese or English headers)"),
         _("Rows are matched by customer code: a known code updates the file, a new one creates it. Empty "
           "cells keep stored values; tags are added."), importing.import_customers),
        ("visits", _("import visits from POS exports (CSV, XLSX; Chinese or English headers)"),
         _("One row per bill. The guest is found by customer code, card number, mobile or unique name, "
           "otherwise a new file is opened; unknown outlets are created unless the property's outlets are "
           "fixed. A document imported again is stored once; a changed one is corrected."),
         importing.import_visits),
        ("stays", _("import stays from PMS exports (CSV, XLSX; Chinese or English headers)"),
         _("One row per stay: arrival, departure, room type, rate, booking channel, amount. Matching and "
           "re-imports as for visits."), importing.import_stays),
    ):
        p = isub.add_parser(what, help=help_text, description=description + " " + _(
            "Bad rows are reported with line, column and reason; good rows are kept. Rows are written in "
            "batches; an interrupted import is finished by running the same command again."))
        p.add_argument("file")
        p.add_argument("--property", required=True, metavar="CODE", help=_("property to import into"))
        p.add_argument("--dry-run", action="store_true", help=_("check every row, change nothing"))
        p.add_argument("--encoding", help=_("text encoding of a CSV file (default: detected)"))
        p.add_argument("--sheet", help=_("worksheet name (default: the first sheet)"))
        p.add_argument("--errors", metavar="OUT.csv",
                       help=_("write the rejected rows, with the reason, to this CSV file for correction"))
        p.add_argument("--user", help=_("staff user name recorded as the author of the changes (must be allowed "
                                        "to import into the property)"))
        p.set_defaults(handler=handler)

    grading.add_parsers(sub)
    handover.add_parsers(sub)
    qr.add_parsers(sub)
    return parser


def main(argv=None) -> int:
    setup_django()
    from django.db import DatabaseError
    from django.utils import translation
    from django.utils.translation import gettext as _

    translation.activate(language_from_env())
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or EXIT_OK
    except CliError as e:
        say(_("Error: %s") % e, err=True)
        return EXIT_ERROR
    except DatabaseError as e:
        say(_("Database error: %s") % str(e).strip(), err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        say(_("Interrupted."), err=True)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
