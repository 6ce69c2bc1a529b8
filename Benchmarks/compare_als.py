"""Implicit ALS side by side with the implicit library's, on the same leave-last-out split and
full-ranking protocol as `compare_implicit.py` (the target against every item outside the
user's history; HR@10, NDCG@10, Recall@50), with the same objective: 64 factors, λ 0.01, 15
iterations of 3 conjugate-gradient steps, every history pair of weight 1. Funnel's confidence
is 1 + α·r with α = 1, that is 2; implicit's is its alpha times r, so it runs with alpha 2 (and,
for reference, with its default 1, a confidence of 1). Quality only: the fit times here include
nothing comparable (Funnel's run is `funnel eval`, which also evaluates).

    swift build -c release --product funnel
    pip install implicit scipy numpy
    python3 Benchmarks/compare_als.py --out Benchmarks/results/als.md
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

from compare_implicit import full_ranking, history_matrix, load, split
from compare_pytorch import cpu_model


def implicit_als(root, alpha, threads, seed):
    from implicit.cpu.als import AlternatingLeastSquares
    triples, user_count, item_count = load("ml-100k", root)
    histories, targets = split(triples, user_count)
    user_items = history_matrix(histories, user_count, item_count)
    model = AlternatingLeastSquares(factors=64, regularization=0.01, alpha=alpha, iterations=15, use_cg=True,
                                    calculate_training_loss=False, num_threads=threads, random_state=seed)
    start = time.perf_counter()
    model.fit(user_items, show_progress=False)
    seconds = time.perf_counter() - start
    scores_of = lambda chunk: model.user_factors[chunk] @ model.item_factors.T
    hr10, ndcg10, hr50 = full_ranking(scores_of, histories, targets, item_count)
    return {"full_hr10": hr10, "full_ndcg10": ndcg10, "full_recall50": hr50, "fit_seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 11])
    parser.add_argument("--out")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "als.json")
        subprocess.run([args.funnel, "eval", "--dataset", "ml-100k", "--model", "als", "--threads", str(args.threads),
                        "--data", args.data, "--json", report], check=True, stdout=subprocess.DEVNULL)
        with open(report) as f:
            funnel = json.load(f)[0]
    rows = [("Funnel ALS (α 1: confidence 2)", funnel["fullHR10"], funnel["fullNDCG10"], funnel["fullRecall50"])]
    for alpha in (2.0, 1.0):
        runs = [implicit_als(args.data, alpha, args.threads, seed) for seed in args.seeds]
        mean = {key: sum(r[key] for r in runs) / len(runs) for key in runs[0]}
        rows.append((f"implicit ALS (alpha {alpha:g}: confidence {alpha:g}), mean of {len(runs)} seeds",
                     mean["full_hr10"], mean["full_ndcg10"], mean["full_recall50"]))
    lines = [f"ml-100k, leave-last-out, full ranking; {cpu_model()}, {args.threads} thread(s)", "",
             "| model | HR@10 | NDCG@10 | Recall@50 | Recall@50 against implicit (same confidence) |", "|---|---:|---:|---:|---:|"]
    for name, hr10, ndcg10, recall50 in rows:
        lines.append(f"| {name} | {hr10:.4f} | {ndcg10:.4f} | {recall50:.4f} | {recall50 / rows[1][3]:.3f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
