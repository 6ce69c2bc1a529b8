"""Times the data paths of `funnel`, each in its own process, and writes a Markdown table.

Imports (MovieLens-100K, the Amazon Games sequences, a simulated CSV of several million events),
batched event ingest into SQLite and PostgreSQL at several batch sizes, and simulating 10^7
events. Wall time and the child's peak resident memory come from the operating system
(wait4), so they include process start and everything the command does.

    swift build -c release --product funnel
    python3 Benchmarks/data_benchmarks.py --out Benchmarks/results/data.md
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

from compare_pytorch import cpu_model, publish

POSTGRES = os.environ.get("FUNNEL_POSTGRES_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")


def run(command, env=None):
    """Runs a command; returns (seconds, peak MiB, stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(command)} failed: {err.decode()}")
    return seconds, usage.ru_maxrss / 1024, out.decode()


def fresh_postgres_database(name):
    """Drops and recreates a database on the server; returns its URL, or None without a server."""
    if shutil.which("psql") is None:
        return None
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        if subprocess.run(["psql", POSTGRES, "-qc", sql], capture_output=True).returncode != 0:
            return None
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--events", type=int, default=1_000_000, help="events per ingest run")
    parser.add_argument("--simulate", type=int, default=10_000_000, help="events to simulate")
    parser.add_argument("--out")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="funnel-bench-")
    rows = []

    def sqlite(name):
        path = os.path.join(work, name + ".sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return path

    def imported(label, store_label, command):
        seconds, mib, out = run(command)
        # "imported U users, I items and E events into …"
        records = sum(int(n) for n in re.match(r"imported (\d+) users, (\d+) items and (\d+) events", out).groups())
        rows.append((label, store_label, f"{records:,} records", f"{seconds:.2f} s", f"{records / seconds:,.0f} records/s", f"{mib:.0f}"))
        print(rows[-1], flush=True)

    # Imports: whole files, one transaction each.
    ml = os.path.join(args.data, "ml-100k")
    games = os.path.join(args.data, "sasrec-amazon-games", "Video.txt")
    simulated = os.path.join(work, "simulated")
    run([args.funnel, "simulate", "--out", simulated])
    for store_label in ("SQLite", "PostgreSQL"):
        def target(name):
            return sqlite(name) if store_label == "SQLite" else fresh_postgres_database("funnel_bench_" + name)
        if store_label == "PostgreSQL" and target("probe") is None:
            print("no PostgreSQL server: skipping its rows", flush=True)
            continue
        if os.path.isdir(ml):
            imported("import MovieLens-100K (u.user, u.item, u.data)", store_label, [args.funnel, "import", "movielens", ml, "--store", target("ml")])
        if os.path.exists(games):
            imported("import Amazon Games sequences (Video.txt)", store_label, [args.funnel, "import", "sequences", games, "--store", target("games")])
        imported("import simulated events.csv (generic CSV mapping)", store_label, [
            args.funnel, "import", "csv", os.path.join(simulated, "events.csv"), "--store", target("csv"), "--kind", "events",
            "--column", "user=user", "--column", "item=item", "--column", "type=type", "--column", "timestamp=timestamp",
            "--column", "watched=watched", "--column", "duration=duration", "--column", "device=device",
            "--column", "city=city", "--column", "hour=hour"])

    # Batched ingest: appendEvents calls, each one transaction, into an empty store.
    for store_label in ("SQLite", "PostgreSQL"):
        for batch in (1_000, 10_000, 100_000):
            store = sqlite("ingest") if store_label == "SQLite" else fresh_postgres_database("funnel_bench_ingest")
            if store is None:
                continue
            _, mib, out = run([args.funnel, "bench", "ingest", "--store", store, "--events", str(args.events), "--batch", str(batch)])
            result = json.loads(out)
            rows.append((f"ingest {args.events:,} events, batches of {batch:,}", store_label, f"{args.events:,} events",
                         f"{result['seconds']:.2f} s", f"{result['events_per_second']:,.0f} events/s", f"{mib:.0f}"))
            print(rows[-1], flush=True)

    # Simulation: generation alone (CSV files) and into a store.
    n = args.simulate
    days = str(max(1, round(n / 280_000)) + 1)
    for label, command in (("simulate → CSV files", ["--out", os.path.join(work, "sim-out")]),
                           ("simulate → SQLite (batches of 100,000)", ["--store", sqlite("sim"), "--batch", "100000"])):
        seconds, mib, out = run([args.funnel, "simulate", "--events", str(n), "--days", days] + command)
        rows.append((label, "file" if "CSV" in label else "SQLite", f"{n:,} events", f"{seconds:.2f} s", f"{n / seconds:,.0f} events/s", f"{mib:.0f}"))
        print(rows[-1], flush=True)

    shutil.rmtree(work, ignore_errors=True)
    lines = [f"Measured {datetime.date.today()} on {cpu_model()} ({os.cpu_count()} cores), {platform.system()}. "
             "Each row is one `funnel` process: wall time and peak resident memory from the operating system. "
             "Ingest rows time only the `appendEvents` calls (events are built outside the timed region); "
             "SQLite runs with `synchronous = FULL`, PostgreSQL 15 with its defaults (`synchronous_commit = on`), on the same machine.",
             "", "| workload | store | size | time | rate | peak memory (MiB) |", "|---|---|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
