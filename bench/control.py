"""Daily control table benchmark (issue 14 point 5: server time < 200 ms for an account manager
owning 2,000+ customers in a 1,000,000-visit database).

    .venv/bin/python bench/control.py              # prepare once (cached), then measure; prints JSON
    measure_control(env) -> dict                   # for bench/run.py (section "control")

Data set: the dashboard's (bench/dashboard.py: PostgreSQL database yk_dash_bench, home
/tmp/yk-dash-bench, 50,000 customers, 1,000,000 visits over 24 months, 10 account managers,
bench_am0..bench_am3 in bench_sm's team). The database is migrated to the current schema, then
prepared once (marker `control-bench.done` in the home) for bench_am0, who owns 5,000 files:
their consumption profiles (visits.profile.refresh_profiles), their grades from the latest
grading snapshot, their behaviour pattern computed from the visits by
control.pattern.refresh_patterns (usual interval, expected next visit: many are past it), 400
special dates (solar and lunar, spread over the year) and notes on one in five files. The
sales manager's team (4 members, 20,000 files) is measured too: their teammates' patterns are
computed the same way.

Measured in a fresh process with the Django test client (server time, no network): bench_am0's
`/control/today/`, 20 requests after one warm-up, p50/p95; the sales manager's `/control/team/`;
the same-run floor (the login page); the query count of one table page; the size of each
section.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import BIN, HOME, REQUESTS, bench_env, ensure_dataset, stats, timed  # noqa: E402

MEMBER = "bench_am0"
TEAM = ["bench_am0", "bench_am1", "bench_am2", "bench_am3"]
DATES = 400
MARKER = HOME / "control-bench.done"


def _django():
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingke.settings")
    os.environ["YINGKE_AXES"] = "0"
    import django

    django.setup()


def prepare() -> dict:
    """Runs inside the data set's environment: profiles, grades, patterns, dates and notes of
    the measured account manager's files (and the patterns of their team)."""
    _django()
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from yingke.core.models import Property, User
    from yingke.customers.lunar import solar_to_lunar
    from yingke.customers.models import Customer, Note, SpecialDate
    from yingke.grading.models import GradeEntry, GradingRun
    from yingke.visits.profile import refresh_profiles

    t0 = time.monotonic()
    prop = Property.objects.get(code="DASH")
    team = list(User.objects.filter(username__in=TEAM))
    member = next(u for u in team if u.username == MEMBER)
    ids = list(Customer.objects.filter(property=prop, owner__in=team).values_list("pk", flat=True))
    refresh_profiles(ids)
    t_profiles = time.monotonic()
    run = GradingRun.objects.filter(property=prop).order_by("-as_of").first()
    with connection.cursor() as cur:
        cur.execute(f"""UPDATE {Customer._meta.db_table} c SET grade = e.grade, grade_computed = e.grade
                        FROM {GradeEntry._meta.db_table} e
                        WHERE e.run_id = %s AND e.customer_id = c.id AND c.owner_id = ANY(%s)""",
                    [run.pk, [u.pk for u in team]])
    try:
        from yingke.control.pattern import refresh_patterns
    except ImportError:  # the pattern helper not there: say so in the result
        refresh_patterns = None
    how = "control.pattern.refresh_patterns"
    if refresh_patterns is not None:
        refresh_patterns(prop, ids)
    else:
        how = "set directly (last visit + 30 days)"
        Customer.objects.filter(pk__in=ids, last_visit_at__isnull=False).update(usual_interval=30)
        with connection.cursor() as cur:
            cur.execute(f"""UPDATE {Customer._meta.db_table} SET expected_next_visit =
                            (last_visit_at AT TIME ZONE 'Asia/Shanghai')::date + usual_interval
                            WHERE id = ANY(%s) AND usual_interval IS NOT NULL""", [ids])
    t_patterns = time.monotonic()
    own = list(Customer.objects.filter(property=prop, owner=member).order_by("pk").values_list("pk", flat=True))
    today = prop.local_today()
    dates = []
    for i, pk in enumerate(own[:DATES]):
        when = today + dt.timedelta(days=i % 365)
        if i % 3 == 0:
            _y, m, d = solar_to_lunar(when)
            dates.append(SpecialDate(customer_id=pk, calendar="lunar", month=abs(m), day=d, leap_month=m < 0))
        else:
            dates.append(SpecialDate(customer_id=pk, month=when.month, day=when.day, remind_days=7 + i % 20))
    SpecialDate.objects.bulk_create(dates)
    now = timezone.now()
    Note.objects.bulk_create(Note(customer_id=pk, text="电话回访", author=member,
                                  created_at=now - dt.timedelta(days=i % 60))
                             for i, pk in enumerate(own) if i % 5 == 0)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"files": len(own), "team_files": len(ids), "pattern": how,
            "profiles_s": round(t_profiles - t0, 1), "patterns_s": round(t_patterns - t_profiles, 1),
            "prepare_s": round(time.monotonic() - t0, 1)}


def measure() -> dict:
    """Runs inside the data set's environment, in a fresh process."""
    _django()
    from django.db import connection
    from django.test import Client

    from yingke.control.table import control_table
    from yingke.core.models import Property, User
    from yingke.customers.models import Customer

    member = User.objects.get(username=MEMBER)
    am, sm, anon = Client(), Client(), Client()
    am.force_login(member)
    sm.force_login(User.objects.get(username="bench_sm"))
    url = "/control/today/"
    timed(am, url)  # warm-up
    page = [timed(am, url) for _ in range(REQUESTS)]
    timed(sm, "/control/team/")
    team = [timed(sm, "/control/team/") for _ in range(REQUESTS)]
    floor = [timed(anon, "/login/") for _ in range(REQUESTS)]
    count = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context: count.append(1) or
                                    execute(sql, params, many, context)):
        timed(am, url)
    prop = Property.objects.get(code="DASH")
    table = control_table(member, member, prop)
    result = {"files": Customer.objects.filter(owner=member).count(), "visits": 1_000_000, "requests": REQUESTS,
              "am_ms": stats(page), "team_ms": stats(team), "floor_login_ms": stats(floor), "queries": len(count),
              "sections": {p.key: p.count for p in table["sections"]}}
    result["ratio_p50"] = round(result["am_ms"]["p50"] / max(result["floor_login_ms"]["p50"], 0.1), 1)
    return result


def measure_control(env: dict | None = None) -> dict:
    """The dashboard's data set (generated once), migrated and prepared once; measured in a
    fresh process."""
    env = {**bench_env(), **(env or {})}
    generation = ensure_dataset(env)
    subprocess.run([str(BIN / "yingke"), "migrate"], env=env, check=True, capture_output=True)
    if MARKER.exists():
        prepared = json.loads(MARKER.read_text())
    else:
        out = subprocess.run([str(BIN / "python"), __file__, "prepare"], env=env, check=True, capture_output=True,
                             text=True)
        prepared = json.loads(out.stdout.strip().splitlines()[-1])
        MARKER.write_text(json.dumps(prepared))
    out = subprocess.run([str(BIN / "python"), __file__, "measure"], env=env, check=True, capture_output=True,
                         text=True)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "prepared": prepared, "generation": generation}


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what == "prepare":
        print(json.dumps(prepare()))
    elif what == "measure":
        print(json.dumps(measure()))
    else:
        print(json.dumps(measure_control(), indent=2))
