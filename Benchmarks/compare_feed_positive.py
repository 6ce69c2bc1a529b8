"""The whole feed on a log of positive actions only (no exposures), against implicit's models on
the same split, as a new user would meet it: `funnel import csv` of MovieLens-100K's ratings as
clicks (no catalogue, no exposures), then `funnel eval --store` with the last --holdout-days held
out. Funnel writes the split it is judged on (`--split-out`: the positive actions before the split,
and each sampled user's held-out items); implicit's ALS, BM25 and cosine item-kNN are fitted on
the same training actions and judged on the same users and items, with the same Recall@n (the
share of a user's held-out items in their list of n, averaged over users) and NDCG@n (every
held-out item of gain 1). Every list leaves out what the user acted on before the split.

    swift build -c release --product funnel
    pip install implicit scipy numpy
    python3 Benchmarks/compare_feed_positive.py --data ../shared/data --out Benchmarks/results/feed-positive-only.md
"""
import argparse
import csv
import json
import math
import os
import subprocess
import tempfile

os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402

from compare_pytorch import cpu_model  # noqa: E402


def funnel_feed(funnel, data, work, n, holdout_days, users, config):
    """Imports MovieLens-100K's ratings as clicks into a new store and judges the feed; the
    report, and the split folder Funnel wrote."""
    events = os.path.join(work, "events.csv")
    with open(os.path.join(data, "ml-100k", "u.data")) as f, open(events, "w") as out:
        out.write("uid,post,ts\n")
        for line in f:
            user, item, _, ts = line.split("\t")
            out.write(f"{user},{item},{ts.strip()}\n")
    store = os.path.join(work, "positive.sqlite")
    subprocess.run([funnel, "import", "csv", events, "--kind", "events", "--column", "user=uid", "--column", "item=post",
                    "--column", "timestamp=ts", "--time-format", "unix", "--event-type", "click", "--store", store],
                   check=True, capture_output=True)
    split = os.path.join(work, "split")
    report = os.path.join(work, "feed.json")
    command = [funnel, "eval", "--store", store, "--n", str(n), "--holdout-days", str(holdout_days), "--users", str(users),
               "--split-out", split, "--json", report]
    if config:
        command += ["--config", config]
    printed = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    with open(report) as f:
        return json.load(f), split, printed


def read_split(folder):
    with open(os.path.join(folder, "train.csv")) as f:
        train = [(row["user"], row["item"]) for row in csv.DictReader(f)]
    held = {}
    with open(os.path.join(folder, "test.csv")) as f:
        for row in csv.DictReader(f):
            held.setdefault(row["user"], set()).add(row["item"])
    return train, held


def judge(recommend, held, n):
    """Mean Recall@n and NDCG@n of `recommend(user) -> list of items` over the held-out users."""
    recall = ndcg = 0.0
    for user, relevant in held.items():
        items = recommend(user)[:n]
        recall += len(relevant.intersection(items)) / len(relevant)
        dcg = sum(1 / math.log2(k + 2) for k, item in enumerate(items) if item in relevant)
        ideal = sum(1 / math.log2(k + 2) for k in range(min(n, len(relevant))))
        ndcg += dcg / ideal
    return recall / len(held), ndcg / len(held)


def peers(train, held, n, threads):
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

    users = sorted({u for u, _ in train} | set(held))
    items = sorted({i for _, i in train})
    user_row = {u: k for k, u in enumerate(users)}
    item_row = {i: k for k, i in enumerate(items)}
    pairs = sorted({(user_row[u], item_row[i]) for u, i in train})
    matrix = csr_matrix((np.ones(len(pairs), dtype=np.float32), ([p[0] for p in pairs], [p[1] for p in pairs])),
                        shape=(len(users), len(items)))
    results = {}
    models = [
        ("implicit ALS (defaults: 100 factors, λ 0.01, 15 iterations)", AlternatingLeastSquares(num_threads=threads, random_state=42)),
        ("implicit ALS (64 factors, α 2)", AlternatingLeastSquares(factors=64, alpha=2.0, num_threads=threads, random_state=42)),
        ("implicit BM25 item-kNN (K 100)", BM25Recommender(K=100, num_threads=threads)),
        ("implicit cosine item-kNN (K 100)", CosineRecommender(K=100, num_threads=threads)),
    ]
    for name, model in models:
        model.fit(matrix, show_progress=False)

        def recommend(user, model=model):
            row = user_row[user]
            ids, _ = model.recommend(row, matrix[row], N=n, filter_already_liked_items=True)
            return [items[i] for i in ids]

        results[name] = judge(recommend, held, n)
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    order = np.argsort(-counts, kind="stable")

    def popular(user):
        taken = set(matrix[user_row[user]].indices)
        return [items[i] for i in order if i not in taken][:n]

    results["popularity (all training actions)"] = judge(popular, held, n)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--holdout-days", type=float, default=30)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", help="a funnel.toml for the feed")
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        report, split, printed = funnel_feed(args.funnel, args.data, work, args.n, args.holdout_days, args.users, args.config)
        train, held = read_split(split)
        results = peers(train, held, args.n, args.threads)
    n = args.n
    lines = [f"CPU: {cpu_model()}; {args.threads} thread(s). MovieLens-100K ratings imported as clicks (no catalogue, no exposures); "
             f"the last {args.holdout_days:g} days held out: {report['users']} users with {report['heldOutActions']} held-out actions. "
             f"Feed ranked by {report['ranker']}, reranked by {report['reranker']}."
             + (f" Configuration: `{args.config}`." if args.config else ""), "",
             f"| list of {n} | Recall@{n} | NDCG@{n} |", "|---|---:|---:|",
             f"| Funnel feed | {report['feedRecall']:.4f} | {report['feedNDCG']:.4f} |",
             f"| Funnel popular | {report['popularRecall']:.4f} | {report['popularNDCG']:.4f} |"]
    for channel in sorted(report["channelRecallAtN"], key=lambda c: -report["channelRecallAtN"][c]):
        if report["channelRecallAtN"][channel] > 0:
            lines.append(f"| Funnel channel {channel} | {report['channelRecallAtN'][channel]:.4f} | {report['channelNDCGAtN'][channel]:.4f} |")
    for name, (recall, ndcg) in results.items():
        lines.append(f"| {name} | {recall:.4f} | {ndcg:.4f} |")
    text = "\n".join(lines)
    print(printed)
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
