"""`make bench`: generate data with `yingke demo`, measure, write docs/benchmarks.md.

Every figure is printed beside a floor measured in the same run on the same data
(ARCHITECTURE, "Benchmarks"): for a search, one primary-key lookup through the ORM;
for a page, a bare Django round trip (the login page). Ratios are what to compare.

Environment knobs: BENCH_CUSTOMERS (default 50000), BENCH_LIST_CUSTOMERS (default
1000000), BENCH_SKIP_PG=1, BENCH_SKIP_1M=1 (the list is then measured on the search data
set, and the report says its size). Data sets are cached under bench/data/.

Imports (R-3.2): `yingke import customers` and `yingke import visits` on files generated on
the fly into an empty database, beside the floor of the same run: csv.reader + one
executemany per 5,000 rows into a bare table on SQLite, csv.reader + COPY on PostgreSQL.
BENCH_IMPORT_VISITS (default 1000000) and BENCH_IMPORT_CUSTOMERS (default 100000) set the
sizes (the report says them); BENCH_SKIP_IMPORT=1 leaves the imports out. Each import is
reported as the wall-clock time of the command (what the targets are judged on) and, beside
it, the time the command itself reports for the import (start_run to the summary line), i.e.
without the ~1.5 s of interpreter and Django start-up, which dominates a small file.

Grading (R-4.7, bench/grading.py): one property with 50,000 customers and 1,000,000 visits
graded on SQLite and PostgreSQL beside the floor of one plain GROUP BY of the window's visits.
Dashboard (issue 13, bench/dashboard.py): server time of the management dashboard with
1,000,000 visits on PostgreSQL beside the login-page floor. Both data sets are generated once
and cached (/tmp/yk-grade-bench, /tmp/yk-dash-bench and their PostgreSQL databases).

BENCH_ONLY=part,part… measures only those parts (search, list, imports, grading, dashboard);
docs/benchmarks.md then keeps the other sections from its previous run, each marked with the
date it was measured.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DATA = ROOT / "bench" / "data"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def pg_answers() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        return True
    except Exception:
        return False


def dataset_env(db: str, customers: int) -> dict:
    env = dict(os.environ, LANG="en", YINGKE_ALLOWED_HOSTS="testserver,localhost")
    name = f"{db}-{customers}"
    env["YINGKE_HOME"] = str(DATA / name)
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/yk_bench_{customers}"
    return env


def ensure_dataset(db: str, customers: int, visits: int) -> dict:
    """Create the data set once with `yingke demo` (cached by a marker file)."""
    env = dataset_env(db, customers)
    home = Path(env["YINGKE_HOME"])
    marker = home / f"bench-{customers}-{visits}.done"
    if marker.exists():
        return env
    home.mkdir(parents=True, exist_ok=True)
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS yk_bench_{customers}")
            conn.execute(f"CREATE DATABASE yk_bench_{customers}")
    else:
        for f in home.glob("yingke.sqlite3*"):
            f.unlink()
    started = time.monotonic()
    cmd = [str(BIN / "yingke"), "demo", "--property", "BENCH", "--customers", str(customers),
           "--visits", str(visits), "--seed", "7"]
    print(f"[{db}] {' '.join(cmd[1:])}", flush=True)
    subprocess.run(cmd, env=env, check=True)
    marker.write_text(f"{time.monotonic() - started:.1f}")
    return env


def measure(env: dict, what: str) -> dict:
    out = subprocess.run([str(BIN / "python"), str(ROOT / "bench" / "measure.py"), what], env=env, check=True,
                         capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_import_files(customers: int, visits: int) -> tuple[Path, Path]:
    """A customer file and a POS export of `visits` bills for those customers (one in
    fifty for a guest not on file, found by name and mobile, who gets a new file)."""
    import csv
    import random

    folder = DATA / "import"
    folder.mkdir(parents=True, exist_ok=True)
    cust, vis = folder / f"customers-{customers}.csv", folder / f"visits-{customers}-{visits}.csv"
    if not cust.exists():
        with cust.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["客户编号", "姓名", "手机", "单位", "生日"])
            for i in range(customers):
                w.writerow([f"B{i:07d}", f"客人{i}", f"139{i:08d}", "迎客科技" if i % 7 == 0 else "",
                            f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"])
    if not vis.exists():
        rng = random.Random(5)
        outlets = ["中餐厅", "西餐厅", "宴会厅", "大堂吧"]
        with vis.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["单据号", "客户编号", "姓名", "手机", "结账时间", "实收", "人数", "餐厅", "桌号"])
            for i in range(visits):
                month, day, minute = 1 + i % 12, 1 + i % 28, rng.randrange(600, 1380)
                when = f"2025-{month:02d}-{day:02d} {minute // 60:02d}:{minute % 60:02d}:00"
                amount = f"{rng.randrange(3000, 800000) / 100:.2f}"
                if i % 50 == 49:
                    guest = ["", f"散客{i % 997}", f"137{i % 997:08d}"]
                else:
                    guest = [f"B{rng.randrange(customers):07d}", "", ""]
                w.writerow([f"P{i:09d}", *guest, when, amount, 1 + i % 10, outlets[i % 4], f"A{i % 40}"])
    return cust, vis


def import_floor(db: str, path: Path, env: dict) -> float:
    """Seconds to read `path` with csv.reader and write every row into a bare table:
    executemany per 5,000 rows (SQLite), COPY (PostgreSQL)."""
    import csv
    import sqlite3

    started = time.monotonic()
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols = ", ".join(f"c{i} text" for i in range(len(header)))
        marks = ", ".join("?" for _h in header)
        if db == "sqlite":
            target = Path(env["YINGKE_HOME"]) / "floor.sqlite3"
            target.unlink(missing_ok=True)
            conn = sqlite3.connect(target)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"CREATE TABLE floor ({cols})")
            batch = []
            for row in reader:
                batch.append(row)
                if len(batch) == 5000:
                    conn.executemany(f"INSERT INTO floor VALUES ({marks})", batch)
                    conn.commit()
                    batch = []
            conn.executemany(f"INSERT INTO floor VALUES ({marks})", batch)
            conn.commit()
            conn.close()
        else:
            import psycopg

            with psycopg.connect(env["DATABASE_URL"]) as conn:
                conn.execute("DROP TABLE IF EXISTS floor")
                conn.execute(f"CREATE TABLE floor ({cols})")
                with conn.cursor().copy("COPY floor FROM STDIN") as copy:
                    for row in reader:
                        copy.write_row(row)
                conn.execute("DROP TABLE floor")
    return time.monotonic() - started


def import_bench(db: str, customers: int, visits: int) -> dict:
    """Time `yingke import customers` and `yingke import visits` into an empty database."""
    import resource

    cust, vis = write_import_files(customers, visits)
    env = dict(os.environ, LANG="en")
    env.pop("DATABASE_URL", None)
    home = DATA / f"import-{db}"
    if home.exists():
        import shutil

        shutil.rmtree(home)
    home.mkdir(parents=True)
    env["YINGKE_HOME"] = str(home)
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS yk_bench_import")
            conn.execute("CREATE DATABASE yk_bench_import")
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/yk_bench_import"
    yingke = str(BIN / "yingke")
    subprocess.run([yingke, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([yingke, "property", "add", "BI", "--name", "Bench import"], env=env, check=True,
                   capture_output=True)
    out = {}
    for kind, path, n in (("customers", cust, customers), ("visits", vis, visits)):
        print(f"[{db}] yingke import {kind} {path.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([yingke, "import", kind, str(path), "--property", "BI"], env=env,
                              capture_output=True, text=True)
        seconds = time.monotonic() - started
        if proc.returncode not in (0, 1):
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"yingke import {kind} failed")
        floor = import_floor(db, path, env)
        summary = proc.stdout.strip().splitlines()[-1]
        # the command's own figure: "created N, … (12.3 s)." — the import without start-up
        reported = re.search(r"\(([\d.]+) s\)\.?$", summary)
        inner = float(reported.group(1)) if reported else None
        out[kind] = {"rows": n, "seconds": seconds, "rows_s": n / seconds, "floor_s": floor,
                     "floor_rows_s": n / floor, "summary": summary, "import_s": inner,
                     "import_rows_s": n / inner if inner else None}
    # the largest child so far: the imports (the floor runs in this process)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def ratio(value, floor):
    return f"{value / floor:.1f}×" if floor else "–"


def main() -> int:
    customers = int(os.environ.get("BENCH_CUSTOMERS", 50000))
    big = int(os.environ.get("BENCH_LIST_CUSTOMERS", 1_000_000))
    dbs = ["sqlite"] + ([] if os.environ.get("BENCH_SKIP_PG") or not pg_answers() else ["postgres"])
    results = {}
    only = {p.strip() for p in os.environ.get("BENCH_ONLY", "").split(",") if p.strip()}

    def wanted(part):
        return not only or part in only

    for db in (dbs if wanted("search") else []):
        env = ensure_dataset(db, customers, customers * 10)
        gen = float((Path(env["YINGKE_HOME"]) / f"bench-{customers}-{customers * 10}.done").read_text())
        results[(db, "small")] = dict(measure(env, "search"), **measure(env, "pages"), generate_s=gen)
        print(db, results[(db, "small")], flush=True)
    big_visits = big // 10
    if os.environ.get("BENCH_SKIP_1M"):
        # No million-row data set: measure the list on the search data set, and say so.
        big, big_visits = customers, customers * 10
    for db in (dbs if wanted("list") else []):
        env = ensure_dataset(db, big, big_visits)
        gen = float((Path(env["YINGKE_HOME"]) / f"bench-{big}-{big_visits}.done").read_text())
        results[(db, "big")] = dict(measure(env, "list"), big_search=measure(env, "search")["search"],
                                    generate_s=gen)
        print(db, results[(db, "big")], flush=True)
    if wanted("imports") and not os.environ.get("BENCH_SKIP_IMPORT"):
        import_customers = int(os.environ.get("BENCH_IMPORT_CUSTOMERS", 100_000))
        import_visits = int(os.environ.get("BENCH_IMPORT_VISITS", 1_000_000))
        for db in dbs:
            results[(db, "import")] = import_bench(db, import_customers, import_visits)
            print(db, results[(db, "import")], flush=True)
    if wanted("grading"):
        from grading import ensure_grading_dataset, measure_grading

        for db in dbs:
            results[(db, "grading")] = measure_grading(ensure_grading_dataset(db))
            print(db, results[(db, "grading")], flush=True)
    if wanted("dashboard") and "postgres" in dbs:
        from dashboard import measure_dashboard

        results[("postgres", "dashboard")] = measure_dashboard({})
        print("postgres", results[("postgres", "dashboard")], flush=True)
    if wanted("control") and "postgres" in dbs:
        from control import measure_control

        results[("postgres", "control")] = measure_control({})
        print("postgres", results[("postgres", "control")], flush=True)
    write_report(results, customers, big, big_visits)
    return 0


def write_report(results: dict, customers: int, big: int, big_visits: int) -> None:
    import platform

    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M')} ({platform.node()}, "
        f"{os.cpu_count()} cores). Each figure stands beside a floor measured in the same run on "
        "the same data; compare ratios, not absolute times (they vary by ~30 % between runs here).",
        "",
        "Floors: *search* — one primary-key lookup of a customer through the ORM; *pages* — a "
        "bare Django round trip (GET of the login page) through the same middleware.",
        "",
        f"## Search box (R-2.7): {customers:,} customers, {customers * 10:,} visits",
        "",
        "Mixed queries (full mobile, last 4 digits, Chinese name, full pinyin, initials, ID number, "
        "card number, customer code, and the hard cases: one letter, four letters of a surname, one "
        "Chinese character), as a general manager (sees everything) and as an account "
        "manager (own customers and the pool). Target: p95 < 50 ms.",
        "",
        "| database | queries | p50 ms | p95 ms | max ms | floor p95 ms | p95 / floor | target met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (db, size), r in sorted(results.items()):
        if size != "small" or "search" not in r:
            continue
        s = r["search"]
        lines.append(f"| {db} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} | "
                     f"{s['floor_p95']:.2f} | {ratio(s['p95'], s['floor_p95'])} | "
                     f"{'yes' if s['p95'] < 50 else 'NO'} |")
    lines += [
        "",
        "Per kind of query (p95 ms): " + "; ".join(
            f"{db}: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["search"]["by_kind"].items()))
            for (db, size), r in sorted(results.items()) if size == "small" and "search" in r
        ),
        "",
        f"## Customer 360 page: {customers:,} customers",
        "",
        "The 30 customers with the most visits, as the general manager.",
        "",
        "| database | p50 ms | p95 ms | queries (max) | floor p95 ms | p95 / floor |",
        "|---|---|---|---|---|---|",
    ]
    for (db, size), r in sorted(results.items()):
        if size != "small" or "page" not in r:
            continue
        p = r["page"]
        lines.append(f"| {db} | {p['p50']:.1f} | {p['p95']:.1f} | {p['queries']} | {p['floor_p95']:.1f} | "
                     f"{ratio(p['p95'], p['floor_p95'])} |")
    big_rows = [(db, r) for (db, size), r in sorted(results.items()) if size == "big"]
    if big_rows:
        lines += [
            "",
            f"## Customer list: {big:,} customers, {big_visits:,} visits",
            "",
            "Server time of the list page (first page, fifth keyset page, sorted by newest, filtered "
            "by account manager, filtered by tag), as the general manager.",
            "",
            "| database | view | p50 ms | p95 ms | queries | floor p95 ms | p95 / floor |",
            "|---|---|---|---|---|---|---|",
        ]
        for db, r in big_rows:
            for view, v in r["list"].items():
                lines.append(f"| {db} | {view} | {v['p50']:.1f} | {v['p95']:.1f} | {v['queries']} | "
                             f"{r['floor_p95']:.1f} | {ratio(v['p95'], r['floor_p95'])} |")
        lines += ["", f"Search box at {big:,} customers (same mix of queries as above):", "",
                  "| database | queries | p50 ms | p95 ms | max ms | floor p95 ms | p95 / floor |",
                  "|---|---|---|---|---|---|---|"]
        for db, r in big_rows:
            s = r["big_search"]
            lines.append(f"| {db} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} | "
                         f"{s['floor_p95']:.2f} | {ratio(s['p95'], s['floor_p95'])} |")
    imports = [(db, r) for (db, size), r in sorted(results.items()) if size == "import"]
    if imports:
        sizes = imports[0][1]
        lines += [
            "",
            f"## Imports (R-3.2): {sizes['customers']['rows']:,} customers, then {sizes['visits']['rows']:,} "
            "visits",
            "",
            "`yingke import customers` and `yingke import visits` from CSV files into an empty database "
            "(wall-clock time of the command: reading, checks, customer matching, bulk writes in batches "
            "with the import-run record, and the consumption profiles of the touched files at the end). "
            "Floor: csv.reader + executemany per 5,000 rows into a bare table (SQLite), csv.reader + "
            "COPY (PostgreSQL), same file, same run. One visit row in fifty names a guest not on file "
            "(a new file is opened). Targets: visits ≥ 25,000 rows/s, customers ≥ 10,000 rows/s, judged on "
            "the wall-clock rows/s (start-up included). *Without start-up*: the same run's time as the "
            "command reports it (from opening the file to the summary line), leaving out the ~1.5 s of "
            "interpreter and Django start-up — shown because start-up weighs heavily on small files; it "
            "is not what the targets are judged on.",
            "",
            "| database | import | rows | seconds | rows/s | without start-up s | rows/s | floor rows/s | "
            "time / floor | target met | peak MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for db, r in imports:
            for kind, target in (("customers", 10000), ("visits", 25000)):
                m = r[kind]
                inner = (f"{m['import_s']:.1f} | {m['import_rows_s']:,.0f}" if m.get("import_s")
                         else "– | –")
                lines.append(f"| {db} | {kind} | {m['rows']:,} | {m['seconds']:.1f} | {m['rows_s']:,.0f} | "
                             f"{inner} | {m['floor_rows_s']:,.0f} | {ratio(m['seconds'], m['floor_s'])} | "
                             f"{'yes' if m['rows_s'] >= target else 'NO'} | {r['peak_rss_mb']:.0f} |")
    grading = [(db, r) for (db, size), r in sorted(results.items()) if size == "grading"]
    if grading:
        lines += [
            "",
            f"## Grading (R-4.7): {grading[0][1]['customers']:,} customers, {grading[0][1]['visits']:,} visits",
            "",
            "`run_grading` of one property as of one date (window 60 days): the ranking in SQL, the "
            "snapshot of every customer, the customers' grades and the run's counts, in one transaction. "
            "Floor: one plain `SELECT customer_id, COUNT(*), SUM(amount) … GROUP BY customer_id` over the "
            "window's visits, same data, same process. Targets: < 3 s PostgreSQL, < 5 s SQLite.",
            "",
            "| database | visits in window | effective | grading s (median) | floor s | grading / floor | target met |",
            "|---|---|---|---|---|---|---|",
        ]
        for db, r in grading:
            target = 3.0 if db == "postgres" else 5.0
            lines.append(f"| {db} | {r['window_visits']:,} | {r['effective']:,} | {r['grading_s']:.2f} | "
                         f"{r['floor_s']:.2f} | {ratio(r['grading_s'], r['floor_s'])} | "
                         f"{'yes' if r['grading_s'] < target else 'NO'} |")
    dash = results.get(("postgres", "dashboard"))
    if dash:
        lines += [
            "",
            f"## Dashboard (R-11.1): {dash['customers']:,} customers, {dash['visits']:,} visits (PostgreSQL)",
            "",
            f"Server time of `/reports/` (default period: the last 12 months), {dash['requests']} requests "
            "after one warm-up, through the Django test client; aggregates kept per day and per "
            "customer-month (not recomputed from visits per page view). Floor: the login page, same run. "
            "Target: < 300 ms. \"Nothing kept\": a period whose figures no job has kept yet (e.g. opened "
            "for the first time): the page is served without the Pareto, which its panel then loads "
            "(`/reports/pareto/`, computed on that request from the customer-months; no target).",
            "",
            "| page | p50 ms | p95 ms | floor p50 ms | p50 / floor | target met |",
            "|---|---|---|---|---|---|",
        ]
        floor = dash["floor_login_ms"]["p50"]
        for label, key in (("general manager", "gm_ms"), ("sales manager (team)", "sm_ms"),
                           ("general manager, nothing kept", "gm_uncached_ms"),
                           ("its Pareto panel, computed on request", "pareto_panel_ms")):
            if key in dash:
                m = dash[key]
                met = "—" if key == "pareto_panel_ms" else ("yes" if m["p95"] < 300 else "NO")
                lines.append(f"| {label} | {m['p50']:.1f} | {m['p95']:.1f} | {floor:.1f} | {ratio(m['p50'], floor)} | "
                             f"{met} |")
        lines += ["", f"First request on a cold cache: {dash['cold_ms']:.0f} ms; queries per page: {dash['queries']}."]
    ctl = results.get(("postgres", "control"))
    if ctl:
        lines += [
            "",
            f"## Control table (R-6.4): an account manager owning {ctl['files']:,} customers, {ctl['visits']:,} "
            "visits (PostgreSQL)",
            "",
            f"Server time of `/control/today/` (the account manager's home page) on the dashboard's data set, "
            f"{ctl['requests']} requests after one warm-up, through the Django test client; behaviour patterns "
            f"{ctl['prepared']['pattern']}. Sections: " + ", ".join(f"{k} {v:,}" for k, v in ctl["sections"].items())
            + f". Queries per page: {ctl['queries']}. Floor: the login page, same run. Target: < 200 ms.",
            "",
            "| page | p50 ms | p95 ms | floor p50 ms | p50 / floor | target met |",
            "|---|---|---|---|---|---|",
        ]
        floor = ctl["floor_login_ms"]["p50"]
        for label, key in (("account manager's table", "am_ms"), ("sales manager's team (4 members)", "team_ms")):
            m = ctl[key]
            met = ("yes" if m["p95"] < 200 else "NO") if key == "am_ms" else "—"
            lines.append(f"| {label} | {m['p50']:.1f} | {m['p95']:.1f} | {floor:.1f} | {ratio(m['p50'], floor)} | "
                         f"{met} |")
    generated = {}
    for (db, size), r in sorted(results.items()):
        if size not in ("small", "big"):
            continue
        n = customers if size == "small" else big
        v = n * 10 if size == "small" else big_visits
        generated[(db, n, v)] = r["generate_s"]  # one row per data set (BENCH_SKIP_1M reuses one)
    if generated:
        lines += ["", "## Data generation (`yingke demo`)", "", "| database | customers | visits | seconds |",
                  "|---|---|---|---|"]
        lines += [f"| {db} | {n:,} | {v:,} | {s:.0f} |" for (db, n, v), s in generated.items()]
    text = keep_unmeasured("\n".join(lines) + "\n")
    (ROOT / "docs" / "benchmarks.md").write_text(text)
    print(text)


SECTION_ORDER = ["Search box", "Customer 360 page", "Customer list", "Imports", "Grading", "Dashboard",
                 "Control table", "Data generation"]


def _sections(text: str) -> tuple[str, dict]:
    head, *parts = text.split("\n## ")
    return head, {next((k for k in SECTION_ORDER if p.startswith(k)), p.split("\n")[0]): "## " + p.rstrip("\n")
                  for p in parts}


def _has_rows(body: str) -> bool:
    lines = body.splitlines()
    return any(line.startswith("|") and not line.startswith("|---")
               and not (i + 1 < len(lines) and lines[i + 1].startswith("|---")) for i, line in enumerate(lines))


def keep_unmeasured(new: str) -> str:
    """Sections this run did not measure are kept from the previous docs/benchmarks.md, marked
    with the date they were written (BENCH_ONLY runs measure some parts only)."""
    path = ROOT / "docs" / "benchmarks.md"
    if not path.exists():
        return new
    old_text = path.read_text()
    old_head, old = _sections(old_text)
    head, sections = _sections(new)
    sections = {k: body for k, body in sections.items() if _has_rows(body)}  # a table without rows: not measured
    stamp = next((line.split(" on ", 1)[1].split(" (")[0] for line in old_head.splitlines()
                  if line.startswith("Written by")), "an earlier run")
    for key, body in old.items():
        if key not in sections:
            note = "" if "_Kept from" in body else f"\n\n_Kept from the run of {stamp}; not measured in the latest run._"
            sections[key] = body + note
    order = [k for k in SECTION_ORDER if k in sections] + [k for k in sections if k not in SECTION_ORDER]
    return head.rstrip("\n") + "\n\n" + "\n\n".join(sections[k] for k in order) + "\n"


if __name__ == "__main__":
    sys.exit(main())
