#!/usr/bin/env python3
"""Diversity against accuracy in the simulated world: the feed judged by `funnel eval --store`
(the last day held out, every earlier event builds the pipeline) under no reranker, MMR over a
sweep of lambda and DPP over a sweep of theta, all over the same candidates and relevance.
Writes a markdown table (intra-list similarity, leaf categories per feed, Recall@n and HR@n)
and a PNG of the frontier: intra-list similarity against Recall@n, one line per reranker.

    funnel simulate --store /tmp/frontier.sqlite
    python3 Benchmarks/diversity_frontier.py --store /tmp/frontier.sqlite \
        --out Benchmarks/results/diversity-frontier.md --plot Benchmarks/results/diversity-frontier.png

Needs matplotlib for the plot (pip install matplotlib).
"""
import argparse
import json
import os
import subprocess
import tempfile

SWEEP = [0.1, 0.3, 0.5, 0.7, 0.9]


def evaluate(funnel, store, n, users, pipeline, no_train):
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "funnel.toml")
        with open(config, "w") as f:
            f.write("[pipeline]\n" + "".join(f"{key} = {value}\n" for key, value in pipeline.items()))
        report = os.path.join(folder, "report.json")
        command = [funnel, "eval", "--store", store, "--n", str(n), "--users", str(users), "--config", config, "--json", report]
        if no_train:
            command.append("--no-train")
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        with open(report) as f:
            return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", required=True)
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--train", action="store_true", help="train the two-tower model and the ranker (default: rank fusion)")
    parser.add_argument("--out")
    parser.add_argument("--plot")
    args = parser.parse_args()

    runs = [("none", None, {"reranker": '"none"'})]
    runs += [("mmr", value, {"reranker": '"mmr"', "mmrLambda": value}) for value in SWEEP]
    runs += [("dpp", value, {"reranker": '"dpp"', "dppTheta": value}) for value in SWEEP]
    rows = []
    for name, value, pipeline in runs:
        r = evaluate(args.funnel, args.store, args.n, args.users, pipeline, not args.train)
        rows.append((name, value, r))
        print(name, value, f"ILS {r['intraListSimilarity']:.4f}", f"leaves {r['leafCategoriesPerFeed']:.2f}",
              f"Recall@{args.n} {r['feedRecall']:.4f}", f"HR@{args.n} {r['feedHitRate']:.4f}", flush=True)

    lines = [f"| reranker | parameter | intra-list similarity | leaf categories per feed | Recall@{args.n} | HR@{args.n} |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, value, r in rows:
        parameter = "" if value is None else (f"λ {value}" if name == "mmr" else f"θ {value}")
        lines.append(f"| {name} | {parameter} | {r['intraListSimilarity']:.4f} | {r['leafCategoriesPerFeed']:.2f} | "
                     f"{r['feedRecall']:.4f} | {r['feedHitRate']:.4f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots(figsize=(7, 5))
        for name, marker in [("mmr", "o"), ("dpp", "s")]:
            points = [(r["intraListSimilarity"], r["feedRecall"], value) for n, value, r in rows if n == name]
            axes.plot([p[0] for p in points], [p[1] for p in points], marker=marker, label=name)
            for x, y, value in points:
                axes.annotate(f"{value}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        none = rows[0][2]
        axes.scatter([none["intraListSimilarity"]], [none["feedRecall"]], color="black", zorder=3, label="none (relevance order)")
        axes.set_xlabel("intra-list similarity (lower is more diverse)")
        axes.set_ylabel(f"Recall@{args.n} of the held-out day")
        axes.set_title("Diversity against accuracy, simulated world")
        axes.legend()
        figure.tight_layout()
        figure.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
