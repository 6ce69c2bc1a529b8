#!/usr/bin/env python3
"""Diversity against accuracy in the simulated world: the feed judged by `funnel eval --store
--arms` (the last day held out, every earlier event builds the pipeline and, with --train, trains
the two-tower model and the ranker once) under no reranker, MMR over a sweep of lambda and DPP
over a sweep of theta, all over the same candidates, relevance and users. With --train, the
sweeps run twice: over category similarity, and over the trained item tower's vectors
(`[pipeline.similarity] vector`). Diversity is measured by categories whatever the reranker
reads. Writes a markdown table (intra-list similarity, leaf categories per feed, Recall@n and
HR@n) and a PNG of the frontier: intra-list similarity against Recall@n, one line per reranker.

    funnel simulate --store /tmp/frontier.sqlite
    python3 Benchmarks/diversity_frontier.py --store /tmp/frontier.sqlite --train \\
        --out Benchmarks/results/diversity-frontier.md --plot Benchmarks/results/diversity-frontier.png

Needs matplotlib for the plot (pip install matplotlib).
"""
import argparse
import json
import os
import subprocess
import tempfile

SWEEP = [0.1, 0.3, 0.5, 0.7, 0.9]
SIMILARITIES = {"category": "{ category = 1.0 }", "vector": "{ category = 0.0, vector = 1.0, vectors = \"two-tower\" }"}


def arms(similarities):
    """(arm name, reranker, parameter, similarity, its [pipeline] settings)."""
    found = [("none", "none", None, "", {"reranker": '"none"'})]
    for similarity in similarities:
        weights = {"similarity": SIMILARITIES[similarity]}
        for reranker, key in [("mmr", "mmrLambda"), ("dpp", "dppTheta")]:
            for value in SWEEP:
                name = f"{reranker}-{similarity}-" + str(value).replace(".", "")
                found.append((name, reranker, value, similarity, {"reranker": f'"{reranker}"', key: value, **weights}))
    return found


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

    plan = arms(["category", "vector"] if args.train else ["category"])
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "funnel.toml")
        with open(config, "w") as f:
            f.write("[experiments.frontier]\n[experiments.frontier.arms.control]\n[experiments.frontier.arms.control.pipeline]\nreranker = \"none\"\n")
            for name, _, _, _, pipeline in plan[1:]:
                f.write(f"[experiments.frontier.arms.{name}.pipeline]\n" + "".join(f"{k} = {v}\n" for k, v in pipeline.items()))
        report = os.path.join(folder, "report.json")
        command = [args.funnel, "eval", "--store", args.store, "--n", str(args.n), "--users", str(args.users),
                   "--config", config, "--arms", "--json", report]
        if not args.train:
            command.append("--no-train")
        subprocess.run(command, check=True)
        with open(report) as f:
            reports = {entry["arm"].split("/", 1)[1]: entry["report"] for entry in json.load(f)}
    reports["none"] = reports.pop("control")
    rows = [(name, reranker, value, similarity, reports[name]) for name, reranker, value, similarity, _ in plan]
    ranker = rows[0][4]["ranker"]

    lines = [f"| reranker | similarity | parameter | intra-list similarity | leaf categories per feed | Recall@{args.n} | HR@{args.n} |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for _, reranker, value, similarity, r in rows:
        parameter = "" if value is None else (f"λ {value}" if reranker == "mmr" else f"θ {value}")
        lines.append(f"| {reranker} | {similarity} | {parameter} | {r['intraListSimilarity']:.4f} | {r['leafCategoriesPerFeed']:.2f} | "
                     f"{r['feedRecall']:.4f} | {r['feedHitRate']:.4f} |")
    table = f"ranked by {ranker}\n\n" + "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots(figsize=(7, 5))
        for (reranker, similarity), style in [(("mmr", "category"), "o-"), (("dpp", "category"), "s-"),
                                             (("mmr", "vector"), "o--"), (("dpp", "vector"), "s--")]:
            points = [(r["intraListSimilarity"], r["feedRecall"], value) for _, name, value, sim, r in rows if name == reranker and sim == similarity]
            if not points:
                continue
            axes.plot([p[0] for p in points], [p[1] for p in points], style, label=f"{reranker}, {similarity} similarity")
            for x, y, value in points:
                axes.annotate(f"{value}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        none = rows[0][4]
        axes.scatter([none["intraListSimilarity"]], [none["feedRecall"]], color="black", zorder=3, label="none (relevance order)")
        axes.set_xlabel("intra-list similarity by category (lower is more diverse)")
        axes.set_ylabel(f"Recall@{args.n} of the held-out day")
        axes.set_title(f"Diversity against accuracy, simulated world, ranked by {ranker}")
        axes.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
