"""`make bench`: generate data with `yingke demo`, measure, write docs/benchmarks.md.

Every figure is printed beside a floor measured in the same run on the same data
(ARCHITECTURE, "Benchmarks"): for a search, one primary-key lookup through the ORM;
for a page, a bare Django round trip (the login page). Ratios are what to compare.

Environment knobs: BENCH_CUSTOMERS (default 50000), BENCH_LIST_CUSTOMERS (default
1000000), BENCH_SKIP_PG=1, BENCH_SKIP_1M=1 (the list is then measured on the search data
set, and the report says its size). Data sets are cached under bench/data/.
"""

import json
import os
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


def ratio(value, floor):
    return f"{value / floor:.1f}×" if floor else "–"


def main() -> int:
    customers = int(os.environ.get("BENCH_CUSTOMERS", 50000))
    big = int(os.environ.get("BENCH_LIST_CUSTOMERS", 1_000_000))
    dbs = ["sqlite"] + ([] if os.environ.get("BENCH_SKIP_PG") or not pg_answers() else ["postgres"])
    results = {}
    for db in dbs:
        env = ensure_dataset(db, customers, customers * 10)
        gen = float((Path(env["YINGKE_HOME"]) / f"bench-{customers}-{customers * 10}.done").read_text())
        results[(db, "small")] = dict(measure(env, "search"), **measure(env, "pages"), generate_s=gen)
        print(db, results[(db, "small")], flush=True)
    big_visits = big // 10
    if os.environ.get("BENCH_SKIP_1M"):
        # No million-row data set: measure the list on the search data set, and say so.
        big, big_visits = customers, customers * 10
    for db in dbs:
        env = ensure_dataset(db, big, big_visits)
        gen = float((Path(env["YINGKE_HOME"]) / f"bench-{big}-{big_visits}.done").read_text())
        results[(db, "big")] = dict(measure(env, "list"), big_search=measure(env, "search")["search"],
                                    generate_s=gen)
        print(db, results[(db, "big")], flush=True)
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
        if size != "small":
            continue
        s = r["search"]
        lines.append(f"| {db} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} | "
                     f"{s['floor_p95']:.2f} | {ratio(s['p95'], s['floor_p95'])} | "
                     f"{'yes' if s['p95'] < 50 else 'NO'} |")
    lines += [
        "",
        "Per kind of query (p95 ms): " + "; ".join(
            f"{db}: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["search"]["by_kind"].items()))
            for (db, size), r in sorted(results.items()) if size == "small"
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
        if size != "small":
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
    lines += ["", "## Data generation (`yingke demo`)", "", "| database | customers | visits | seconds |",
              "|---|---|---|---|"]
    generated = {}
    for (db, size), r in sorted(results.items()):
        n = customers if size == "small" else big
        v = n * 10 if size == "small" else big_visits
        generated[(db, n, v)] = r["generate_s"]  # one row per data set (BENCH_SKIP_1M reuses one)
    lines += [f"| {db} | {n:,} | {v:,} | {s:.0f} |" for (db, n, v), s in generated.items()]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
