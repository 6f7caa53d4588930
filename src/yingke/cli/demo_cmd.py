"""`yingke demo` and the demo part of `yingke serve --demo`."""

import time

from django.utils.translation import gettext as _

from yingke.cli.admin import run_migrations
from yingke.cli.main import CliError, say

SERVE_DEMO_CUSTOMERS = 3000


def print_logins(code: str | None = None) -> None:
    from yingke.cli.demo import load_logins
    from yingke.core.models import Property
    from yingke.core.roles import Role

    known = set(Property.objects.values_list("code", flat=True))  # the file may stem from another database
    for prop_code, entry in load_logins().items():
        if (code and prop_code != code) or prop_code not in known:
            continue
        say(_("Demo logins for property %(code)s (password for all: %(password)s):")
            % {"code": prop_code, "password": entry["password"]})
        for username, role, display in entry["users"]:
            say(f"  {username:<12} {Role(role).label} · {display}")


def progress_printer(total_customers: int):
    started = time.monotonic()
    labels = {"customers": _("customers"), "visits": _("visits")}

    def progress(done, total, what):
        step = 50000 if what == "customers" else 200000
        if total_customers >= 20000 and (done % step == 0 or done == total):
            say(_("%(what)s: %(done)d / %(total)d (%(seconds).0f s)")
                % {"what": labels[what], "done": done, "total": total, "seconds": time.monotonic() - started})

    return progress


def make_demo(code, customers, visits, seed, kind="hotel", password=None, progress=None):
    from yingke.cli.demo import run_demo

    try:
        result = run_demo(code=code, customers=customers, visits=visits, seed=seed, kind=kind,
                          password=password, progress=progress)
    except ValueError as e:
        raise CliError(str(e)) from None
    say(_("Demo data for property %(code)s (%(name)s): %(customers)d customers, %(visits)d visits in "
          "%(seconds).1f s.") % {"code": result.property.code, "name": result.property.name,
                                 "customers": result.customers, "visits": result.visits,
                                 "seconds": result.seconds})
    derive(result.property)
    if result.logins:
        print_logins(result.property.code)
    return result


def derive(prop) -> None:
    """What the demo's bulk rows feed: customer modules suggested from each file's nature, a
    grading run as of today (R-4) and the dashboard's aggregates (the rows were written
    directly, so nothing marked their days yet)."""
    from yingke.complaints.demo import add_demo_complaints
    from yingke.control.pattern import refresh_patterns
    from yingke.core.permissions import SYSTEM
    from yingke.customers.modules import apply_suggestions
    from yingke.grading.services import run_grading
    from yingke.reports.tasks import refresh_property
    from yingke.tracking.demo import add_demo as add_demo_tracking
    from yingke.visits.models import Visit
    from yingke.visits.signals import visits_changed

    apply_suggestions(SYSTEM, prop, record_history=False)  # customer modules from the organisations' nature (R-5.1)
    add_demo_complaints(prop)  # a few complaints at every step
    add_demo_tracking(prop)  # leads from the seven sources at every stage, follow-ups, tasks, commitments,
    # pipeline, spend (issue 15)
    run = run_grading(SYSTEM, prop)
    visits_changed.send(sender=Visit, property_id=prop.pk, times=None)
    refresh_patterns(prop)  # now rather than by the queued job: the demo's pages show them at once
    refresh_property.call_local(prop.pk)
    say(_("Graded as of %(day)s: %(effective)d effective customers (A %(a)d, B %(b)d, C %(c)d); dashboard "
          "figures computed.") % {"day": run.as_of.isoformat(), "effective": run.effective, "a": run.a_count,
                                  "b": run.b_count, "c": run.c_count})


def demo(args) -> int:
    if args.customers < 0 or (args.visits is not None and args.visits < 0):
        raise CliError(_("numbers of customers and visits cannot be negative."))
    if args.password is not None and len(args.password) < 8:
        raise CliError(_("the password must have at least %(n)d characters.") % {"n": 8})
    run_migrations(quiet=True)
    make_demo(args.property, args.customers, args.visits, args.seed, args.kind, args.password,
              progress_printer(args.customers))
    return 0


def serve_demo() -> None:
    """Load demo data when there is no property yet; print the demo logins."""
    from yingke.core.models import Property

    if not Property.objects.exists():
        say(_("No property yet: loading demo data …"))
        make_demo("DEMO", SERVE_DEMO_CUSTOMERS, None, 1)
    else:
        print_logins()
