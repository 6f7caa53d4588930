"""`yingke import customers`: prints one line per rejected row problem and a summary."""

import time

from django.utils.translation import gettext as _

from yingke.cli.admin import get_property, get_user
from yingke.cli.main import EXIT_OK, EXIT_REJECTED, CliError, say
from yingke.imports.pipeline import CREATED, REJECTED, UNCHANGED, UPDATED, FileError, Result, run_import


def describe_problem(file_name: str, result: Result, problem) -> str:
    where = _("%(file)s line %(line)d") % {"file": file_name, "line": result.line}
    if problem.column:
        where += _(", column “%(column)s”") % {"column": problem.column}
    if problem.value:
        where += _(", value “%(value)s”") % {"value": problem.value}
    return _("%(where)s: %(reason)s") % {"where": where, "reason": problem.reason}


def import_customers(args) -> int:
    from yingke.cli.keys import require_field_key
    from yingke.imports.customers import CustomerImporter

    require_field_key()  # ID numbers are read and written: refuse a missing or wrong key (exit 2)
    prop = get_property(args.property)
    from yingke.core import permissions

    # Without --user the operator of the machine imports (recorded as nobody in the history);
    # with it, that member of staff's rights apply to every row.
    actor = get_user(args.user) if args.user else permissions.SYSTEM
    started = time.monotonic()
    state = {"name": args.file}

    def on_start(table, header):
        state["name"] = table.name
        if table.format == "csv":
            what = _("CSV, encoding %(encoding)s") % {"encoding": table.encoding}
        else:
            what = _("worksheet “%(sheet)s”") % {"sheet": table.sheet}
        say(_("Reading %(name)s (%(what)s), header on line %(line)d.")
            % {"name": table.name, "what": what, "line": header.line})
        if header.ignored:
            say(_("Ignored columns: %(columns)s") % {"columns": "、".join(header.ignored)})

    def on_result(result):
        if result.outcome == REJECTED:
            for problem in result.problems:
                say(describe_problem(state["name"], result, problem), err=True)

    try:
        summary = run_import(CustomerImporter(prop, actor), args.file, encoding=args.encoding, sheet=args.sheet,
                             dry_run=args.dry_run, on_result=on_result, on_start=on_start)
    except FileError as e:
        raise CliError(str(e)) from None
    except KeyboardInterrupt:
        say(_("Interrupted; nothing was imported."), err=True)
        raise
    c = summary.counts
    line = _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, rejected %(rejected)d") % {
        "created": c[CREATED], "updated": c[UPDATED], "unchanged": c[UNCHANGED], "rejected": c[REJECTED]}
    seconds = time.monotonic() - started
    if args.dry_run:
        say(_("Dry run, nothing was changed: %(summary)s (%(seconds).1f s).") % {"summary": line, "seconds": seconds})
    else:
        say(_("%(summary)s (%(seconds).1f s).") % {"summary": line, "seconds": seconds})
    return EXIT_REJECTED if summary.rejected else EXIT_OK
