"""Runs `funnel bench` and `funnel doctor` under every BLAS kernel class this CPU can run, and
under other CBLAS libraries, and writes a Markdown table.

Each configuration runs in its own process, interleaved and repeated; figures are medians. The
lesser kernel classes (forced with OPENBLAS_CORETYPE) stand in for older CPUs; the first row is
Funnel's own choice with no variable set.

Usage: python3 Benchmarks/blas_kernels.py [--repeats 3] [--threads 1 2] [--library libblis.so.4] [--out FILE]
(run from the repository root after `swift build -c release --product funnel`).
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess

from compare_pytorch import cpu_model, publish, run

METRICS = [
    ("dcn_v2_train_examples_per_second", "DCN-v2 train (ex/s)", "{:,.0f}"),
    ("two_tower_train_examples_per_second", "two-tower train (ex/s)", "{:,.0f}"),
    ("dcn_v2_score_1000_p50_ms", "DCN-v2 score 1,000, p50 (ms)", "{:.2f}"),
]


def doctor(funnel, env, threads):
    out = subprocess.run([funnel, "doctor", "--threads", str(threads)], env=env, capture_output=True, text=True).stdout
    kernel = re.search(r"kernel in use:\s+(\S+ \S+)", out).group(1)
    gflops = float(re.search(r"sgemm 1024³:\s+([0-9.]+)", out).group(1))
    return kernel, gflops


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--library", nargs="*", default=["libblis.so.4"], help="other CBLAS libraries to load")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "FUNNEL_BLAS_LIBRARY")}
    kernels = subprocess.run([args.funnel, "doctor", "--runnable-kernels"], env=base, capture_output=True,
                             text=True, check=True).stdout.split()
    setups = [("Funnel's choice", {})]
    setups += [(f"OPENBLAS_CORETYPE={k}", {"OPENBLAS_CORETYPE": k}) for k in kernels]
    setups += [(f"FUNNEL_BLAS_LIBRARY={lib}", {"FUNNEL_BLAS_LIBRARY": lib}) for lib in args.library]
    sections = []
    for threads in args.threads:
        results = {label: [] for label, _ in setups}
        for _ in range(args.repeats):
            for label, extra in setups:
                env = dict(base, **extra)
                bench = run([args.funnel, "bench", "--threads", str(threads), "--data", args.data], env)
                bench["kernel"], bench["gflops"] = doctor(args.funnel, env, threads)
                results[label].append(bench)
        rows = [f"| {threads} thread{'s' if threads > 1 else ''} | kernels in use | sgemm 1024³ (GFLOP/s) | "
                + " | ".join(label for _, label, _ in METRICS) + " |",
                "|---|---|---:|" + "---:|" * len(METRICS)]
        for label, _ in setups:
            runs = results[label]
            cells = [fmt.format(statistics.median(r[key] for r in runs)) for key, _, fmt in METRICS]
            rows.append(f"| {label} | {runs[0]['kernel']} | {statistics.median(r['gflops'] for r in runs):.0f} | "
                        + " | ".join(cells) + " |")
        sections.append("\n".join(rows))
    header = (f"Measured {datetime.date.today()} on {cpu_model()} ({os.cpu_count()} cores), median of "
              f"{args.repeats} interleaved runs, each configuration in its own process.\n")
    publish(header + "\n" + "\n\n".join(sections) + "\n", args.out)


if __name__ == "__main__":
    main()
