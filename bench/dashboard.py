"""Dashboard benchmark (issue 13 point 4: server time < 300 ms with 1,000,000 visits).

    .venv/bin/python bench/dashboard.py            # generate once (cached), then measure; prints JSON
    measure_dashboard(env) -> dict                 # for bench/run.py: env with DATABASE_URL / YINGKE_HOME

Data set (PostgreSQL database yk_dash_bench, home /tmp/yk-dash-bench; generated once, a
marker file keeps it): one hotel, a restaurant (40 tables), a banquet hall (20 tables) and
rooms (120), 50,000 customers (70 % with one of 10 account managers), 1,000,000 visits over
the last 24 months written by one INSERT … SELECT generate_series (about 2 % voided, 1 %
refunds, stays on the rooms outlet), 24 monthly grading snapshots (1.2 M grade entries).
The aggregates are rebuilt from scratch once (time reported: `rebuild_s`).

Measured in a fresh process with the Django test client (server time, no network): the
dashboard page for the general manager (default period: last 12 months), 20 requests after one
warm-up, p50/p95; the first request (cold cache) on its own; the sales manager's page; and the
same-run floor: the login page (a bare Django round trip, ARCHITECTURE "benchmarks").
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DB = "yk_dash_bench"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
HOME = Path("/tmp/yk-dash-bench")
CUSTOMERS = 50_000
VISITS = 1_000_000
MANAGERS = 10
REQUESTS = 20


def bench_env() -> dict:
    env = dict(os.environ, LANG="en", YINGKE_ALLOWED_HOSTS="testserver,localhost", YINGKE_AXES="0")
    env["YINGKE_HOME"] = str(HOME)
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
    env["DJANGO_SETTINGS_MODULE"] = "yingke.settings"
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingke.settings")
    os.environ["YINGKE_AXES"] = "0"
    import django

    django.setup()


def generate() -> dict:
    """Runs inside the data set's environment: fill the database with bulk SQL."""
    _django()
    from django.db import connection

    from yingke.core.models import Outlet, Property, User
    from yingke.core.roles import Role
    from yingke.customers.models import Customer
    from yingke.reports import aggregates
    from yingke.visits.models import Visit

    t0 = time.monotonic()
    if Property.objects.filter(code="DASH").exists():  # an interrupted generation: start again
        raise SystemExit("the database is not empty; drop it (ensure_dataset does)")
    prop = Property.objects.create(code="DASH", name="Dashboard bench hotel")
    rest = Outlet.objects.create(property=prop, code="CN", name="中餐厅", capacity=40)
    hall = Outlet.objects.create(property=prop, code="BQ", name="宴会厅", kind=Outlet.Kind.BANQUET, capacity=20)
    rooms = Outlet.objects.create(property=prop, code="RM", name="客房", kind=Outlet.Kind.ROOMS, capacity=120)
    gm = User.objects.create_user("bench_gm", password="x", role=Role.GENERAL_MANAGER)
    sm = User.objects.create_user("bench_sm", password="x", role=Role.SALES_MANAGER)
    ams = [User.objects.create_user(f"bench_am{i}", password="x", role=Role.ACCOUNT_MANAGER,
                                    manager=sm if i < 4 else None) for i in range(MANAGERS)]
    for u in [gm, sm, *ams]:
        u.properties.add(prop)
    Customer.objects.bulk_create([
        Customer(property=prop, customer_code=f"D{i:06d}", name=f"客户{i}", name_pinyin=f"kehu{i}",
                 owner=ams[i % MANAGERS] if i % 10 < 7 else None)
        for i in range(CUSTOMERS)], batch_size=5000)
    t_customers = time.monotonic()
    lo, hi = Customer.objects.filter(property=prop).order_by("id").values_list("id", flat=True)[:1][0], \
        Customer.objects.filter(property=prop).order_by("-id").values_list("id", flat=True)[:1][0]
    table = Visit._meta.db_table
    # Skewed customers (a few spend a lot: Pareto), lunch/dinner times, some stays.
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO {table} (property_id, outlet_id, customer_id, occurred_at, amount, covers, table_no,
                occasion, doc_no, doc_key, room_type, channel, void_reason, created_at, voided_at, arrival,
                departure, nights)
            SELECT %(prop)s,
                   CASE WHEN mod(g, 20) = 0 THEN %(rooms)s WHEN mod(g, 7) = 0 THEN %(hall)s ELSE %(rest)s END,
                   %(lo)s + floor(power(random(), 2.2) * (%(hi)s - %(lo)s + 1))::int,
                   t.at, CASE WHEN mod(g, 100) = 0 THEN -round((random() * 300)::numeric, 2)
                              ELSE round((100 + random() * 2500)::numeric, 2) END,
                   1 + (mod(g, 12)), '', '', '', 'b' || g, '', '', '', now(),
                   CASE WHEN mod(g, 50) = 0 THEN now() END,
                   CASE WHEN mod(g, 20) = 0 THEN (t.at - interval '2 days')::date END,
                   CASE WHEN mod(g, 20) = 0 THEN t.at::date END,
                   CASE WHEN mod(g, 20) = 0 THEN 2 END
            FROM generate_series(1, %(n)s) g,
                 LATERAL (SELECT date_trunc('day', now() - (random() * 730) * interval '1 day')
                                 + CASE WHEN mod(g, 2) = 0 THEN interval '3 hours 30 minutes'
                                        ELSE interval '10 hours 15 minutes' END
                                 + (random() * 150) * interval '1 minute' + interval '0 s' AS at) t
        """, {"prop": prop.pk, "rooms": rooms.pk, "hall": hall.pk, "rest": rest.pk, "lo": lo, "hi": hi,
              "n": VISITS})
        cur.execute(f"ANALYZE {table}")
    t_visits = time.monotonic()
    _snapshots(prop)
    t_runs = time.monotonic()
    aggregates.rebuild(prop)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    t_rebuild = time.monotonic()
    return {"customers_s": round(t_customers - t0, 1), "visits_s": round(t_visits - t_customers, 1),
            "snapshots_s": round(t_runs - t_visits, 1), "rebuild_s": round(t_rebuild - t_runs, 1)}


def _snapshots(prop) -> None:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from yingke.grading.models import GradeEntry, GradingRun

    today = timezone.localdate()
    first = today.replace(day=1)
    for n in range(24):
        m = first.year * 12 + first.month - 1 - n
        as_of = dt.date(m // 12, m % 12 + 1, 1) - dt.timedelta(days=1) if n else today
        run = GradingRun.objects.create(property=prop, as_of=as_of, window_days=60, a_share=20, b_share=50,
                                        trigger=GradingRun.Trigger.NIGHTLY, finished_at=timezone.now())
        with connection.cursor() as cur:
            cur.execute(f"""
                INSERT INTO {GradeEntry._meta.db_table} (run_id, customer_id, grade, visits, amount, position)
                SELECT %s, id, g, CASE WHEN g = 'D' THEN 0 ELSE 1 + (mod(id, 9)) END,
                       CASE WHEN g = 'D' THEN 0 ELSE round((200 + (mod(id, 97)) * 55)::numeric, 2) END,
                       row_number() OVER (ORDER BY id)
                FROM (SELECT id, CASE WHEN r < 0.08 THEN 'A' WHEN r < 0.25 THEN 'B' WHEN r < 0.45 THEN 'C'
                                      ELSE 'D' END AS g
                      FROM (SELECT id, random() AS r FROM customers_customer WHERE property_id = %s) x) y
            """, [run.pk, prop.pk])
        counts = dict(GradeEntry.objects.filter(run=run).values_list("grade").annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count("id")))
        GradingRun.objects.filter(pk=run.pk).update(
            customers=sum(counts.values()), effective=sum(counts.get(g, 0) for g in "ABC"),
            a_count=counts.get("A", 0), b_count=counts.get("B", 0), c_count=counts.get("C", 0),
            d_count=counts.get("D", 0))


def timed(client, url) -> float:
    """Milliseconds of one GET that must answer 200."""
    t = time.perf_counter()
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return (time.perf_counter() - t) * 1000


def stats(values) -> dict:
    values = sorted(values)
    return {"p50": round(values[len(values) // 2], 1),
            "p95": round(values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 1),
            "max": round(values[-1], 1)}


def measure() -> dict:
    """Runs inside the data set's environment, in a fresh process."""
    _django()
    from django.db import connection
    from django.test import Client

    from yingke.core.models import User

    gm, sm = Client(), Client()
    gm.force_login(User.objects.get(username="bench_gm"))
    sm.force_login(User.objects.get(username="bench_sm"))
    anon = Client()
    from yingke.reports.models import ReportCache, RunGradeStat

    def forget():
        ReportCache.objects.all().delete()

    forget()
    RunGradeStat.objects.all().delete()
    cold = timed(gm, "/reports/")  # first view ever: snapshot summaries, Pareto and migration computed
    page = [timed(gm, "/reports/") for _ in range(REQUESTS)]
    uncached, panel = [], []
    for _ in range(5):
        forget()  # nothing kept for the period: the migration computed, the Pareto left to its panel
        uncached.append(timed(gm, "/reports/"))
        panel.append(timed(gm, "/reports/pareto/"))  # the panel the page then loads: Pareto computed
    team = [timed(sm, "/reports/") for _ in range(REQUESTS)]
    floor = [timed(anon, "/login/") for _ in range(REQUESTS)]
    count = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context: count.append(1) or
                                    execute(sql, params, many, context)):
        timed(gm, "/reports/")
    result = {"visits": VISITS, "customers": CUSTOMERS, "requests": REQUESTS, "cold_ms": round(cold, 1),
              "gm_ms": stats(page), "gm_uncached_ms": stats(uncached), "pareto_panel_ms": stats(panel), "sm_ms": stats(team),
              "floor_login_ms": stats(floor), "queries": len(count)}
    result["ratio_p50"] = round(result["gm_ms"]["p50"] / max(result["floor_login_ms"]["p50"], 0.1), 1)
    return result


def ensure_dataset(env: dict) -> dict:
    marker = Path(env["YINGKE_HOME"]) / "dash-bench.done"
    if marker.exists():
        return json.loads(marker.read_text())
    import psycopg

    Path(env["YINGKE_HOME"]).mkdir(parents=True, exist_ok=True)
    db = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    t = time.monotonic()
    subprocess.run([str(BIN / "yingke"), "migrate"], env=env, check=True, capture_output=True)
    migrate_s = round(time.monotonic() - t, 1)
    out = subprocess.run([str(BIN / "python"), __file__, "generate"], env=env, check=True, capture_output=True,
                         text=True)
    info = {"migrate_s": migrate_s, **json.loads(out.stdout.strip().splitlines()[-1])}
    marker.write_text(json.dumps(info))
    return info


def measure_dashboard(env: dict | None = None) -> dict:
    """Generate the 1M-visit data set once, then measure in a fresh process."""
    env = {**bench_env(), **(env or {})}
    info = ensure_dataset(env)
    out = subprocess.run([str(BIN / "python"), __file__, "measure"], env=env, check=True, capture_output=True,
                         text=True)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "generation": info}


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what == "generate":
        print(json.dumps(generate()))
    elif what == "measure":
        print(json.dumps(measure()))
    else:
        print(json.dumps(measure_dashboard(), indent=2))
