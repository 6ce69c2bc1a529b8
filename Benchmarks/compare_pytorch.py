"""Runs `funnel bench` and the PyTorch peer side by side and writes a Markdown table.

Both run on this machine, on the same data, with the same thread counts, interleaved and
repeated; each figure is the median of the repeats. Ratios are Funnel over PyTorch for
throughput and PyTorch over Funnel for latency and memory, so above 1 always favours Funnel.

Under each table: the DCN-v2 step's matrix products alone (`funnel bench` times them with the
same shapes on the same BLAS in the same run) and each engine's training throughput as a share
of that ceiling. Where the CPU has AMX-BF16, both engines also score in bfloat16 (Funnel's
tile kernel, PyTorch's autocast): each row compares like with like.

Usage: python3 Benchmarks/compare_pytorch.py [--repeats 3] [--threads 1 2] [--model din] [--out FILE]
(run from the repository root after `swift build -c release --product funnel`).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

METRICS = [
    ("dcn_v2_train_examples_per_second", "DCN-v2 training, batch 4096 (examples/s)", "higher"),
    ("deepfm_train_examples_per_second", "DeepFM training, batch 4096 (examples/s)", "higher"),
    ("din_train_examples_per_second", "DIN training, 1,024 rows with histories of 50, d 64 (examples/s)", "higher"),
    ("two_tower_train_examples_per_second", "Two-tower training, batch 1024, d 64 (examples/s)", "higher"),
    ("dcn_v2_score_1000_p50_ms", "DCN-v2 scoring 1,000 candidates, p50 (ms)", "lower"),
    ("dcn_v2_score_1000_p99_ms", "DCN-v2 scoring 1,000 candidates, p99 (ms)", "lower"),
    ("dcn_v2_score_1000_bf16_p50_ms", "DCN-v2 scoring 1,000 candidates in bfloat16, p50 (ms)", "lower"),
    ("dcn_v2_score_1000_bf16_p99_ms", "DCN-v2 scoring 1,000 candidates in bfloat16, p99 (ms)", "lower"),
    ("peak_memory_mb", "Peak resident memory (MiB)", "lower"),
]


def run(command, env):
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def publish(report, out):
    """Prints a Markdown report and, when `out` is given, writes it there."""
    print(report)
    if out:
        with open(out, "w") as f:
            f.write(report)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--model", choices=["all", "dcn", "deepfm", "din", "two-tower"], default="all",
                        help="compare one model only")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    env = dict(os.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    sections = []
    kernel = None
    peer = None
    for threads in args.threads:
        funnel, torch = [], []
        for _ in range(args.repeats):
            funnel.append(run([args.funnel, "bench", "models", "--model", args.model, "--threads", str(threads), "--data", args.data], env))
            torch.append(run([sys.executable, os.path.join(here, "peers", "pytorch_models.py"), "--model", args.model,
                              "--threads", str(threads), "--data", args.data], env))
        kernel = funnel[0].get("blas", funnel[0].get("blas_kernel"))
        peer = torch[0]["peer"]
        rows = [f"| {threads} thread{'s' if threads > 1 else ''} | Funnel | PyTorch | ratio |", "|---|---:|---:|---:|"]
        for key, label, better in METRICS:
            if not any(key in r for r in funnel) or not any(key in r for r in torch):
                continue  # bfloat16 rows only where this CPU runs Funnel's bfloat16 products
            f = statistics.median(r[key] for r in funnel if key in r)
            t = statistics.median(r[key] for r in torch if key in r)
            ratio = f / t if better == "higher" else t / f
            rows.append(f"| {label} | {f:,.1f} | {t:,.1f} | {ratio:.2f}x |")
        limit = [r["dcn_v2_matmul_limit_examples_per_second"] for r in funnel if "dcn_v2_matmul_limit_examples_per_second" in r]
        if limit:
            ceiling = statistics.median(limit)
            f = statistics.median(r["dcn_v2_train_examples_per_second"] for r in funnel)
            t = statistics.median(r["dcn_v2_train_examples_per_second"] for r in torch)
            rows.append(f"\nThe DCN-v2 step's matrix products alone, same shapes and BLAS: {ceiling:,.0f} examples/s; "
                        f"Funnel's step reaches {100 * f / ceiling:.0f}% of it, PyTorch's {100 * t / ceiling:.0f}%.")
        scoring = [r["dcn_v2_score_1000_matmul_limit_p50_ms"] for r in funnel if "dcn_v2_score_1000_matmul_limit_p50_ms" in r]
        if scoring:
            rows.append(f"Scoring's products alone (1,000 candidates, p50): {statistics.median(scoring):.1f} ms.")
        sections.append("\n".join(rows))
    header = (f"Measured {datetime.date.today()} on {cpu_model()} ({os.cpu_count()} cores), "
              f"median of {args.repeats} interleaved runs. Funnel's BLAS: {kernel}"
              f"{' (OPENBLAS_CORETYPE=' + os.environ['OPENBLAS_CORETYPE'] + ')' if 'OPENBLAS_CORETYPE' in os.environ else ''}; "
              f"peer: {peer}.\n")
    publish(header + "\n" + "\n\n".join(sections) + "\n", args.out)


if __name__ == "__main__":
    main()
