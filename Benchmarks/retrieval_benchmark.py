#!/usr/bin/env python3
"""Online retrieval on a simulated feed as large as Amazon Games: every channel for one user,
merged and filtered (`funnel bench retrieval`), at 1 and 2 threads, with each channel's recall of
the held-out last day. Writes a Markdown table."""
import argparse
import datetime
import json
import pathlib
import platform
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUNNEL = ROOT / ".build" / "release" / "funnel"


def run(threads, extra):
    out = subprocess.run([str(FUNNEL), "bench", "retrieval", "--threads", str(threads), *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=pathlib.Path)
    parser.add_argument("extra", nargs="*", help="options passed to funnel bench retrieval")
    args = parser.parse_args()
    results = [run(t, args.extra) for t in args.threads]
    first = results[0]
    lines = [
        f"Measured {datetime.date.today()} on {platform.processor() or platform.machine()} "
        f"({subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores).",
        "",
        f"Simulated feed: {first['users']:,} users, {first['items']:,} items, {first['days']} days; indexes built from "
        f"{first['training_events']:,} events of interest before the last day; {first['requests']:,} requests from "
        f"sampled users at the start of the last day; {len(first['channels'])} channels at {first['quota']} candidates each.",
        "",
        "| threads | simulate and build (s) | p50 (ms) | p99 (ms) | candidates per request | peak memory (MiB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['threads']} | {r['build_seconds']:.1f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                     f"{r['mean_candidates']:.0f} | {r['peak_memory_mb']:.0f} |")
    lines += ["", "Each channel alone (no filters), and its recall of the last day's positive actions "
              "after the exposure, availability and dislike filters (users with such actions):", "",
              "| channel | p50 alone (ms) | recall | candidates |", "|---|---:|---:|---:|"]
    for name in first["channels"] + ["all"]:
        alone = first["channel_alone_p50_ms"].get(name)
        recall = first["recall"][name]
        lines.append(f"| {name} | {'' if alone is None else f'{alone:.3f}'} | {recall['recall']:.4f} | {recall['candidates']:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
