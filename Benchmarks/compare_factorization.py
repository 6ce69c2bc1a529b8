"""Implicit ALS and BPR side by side with the implicit library's, on the same leave-last-out
split and protocols as `compare_implicit.py`: full ranking (the target against every item outside
the user's history; HR@10, NDCG@10, Recall@50) and the target against the same 100 sampled
negatives (HR@10, NDCG@10; Funnel writes the lists, both rank them).

ALS, with the same objective on both sides: 64 factors, λ 0.01, 15 iterations of 3
conjugate-gradient steps, every history pair of weight 1. Funnel's confidence is 1 + α·r with
α = 1, that is 2; implicit's is its alpha times r, so it runs with alpha 2 (and, for reference,
with its default 1, a confidence of 1).

BPR, 64 factors and an item bias, λ 0.01, 100 epochs of as many triples as pairs. implicit
draws each negative as the item of a random pair (by popularity) and skips a triple whose
negative the user took; Funnel does the same with `--negatives popularity`, and by default
draws negatives uniformly at a learning rate of 0.05. implicit runs at its default learning
rate, 0.01; Funnel's rows give both its default and implicit's setting.

Fit times are of the fit alone (`funnel bench factorization`; implicit's `fit`), with the same
threads, in one run.

    swift build -c release --product funnel
    pip install implicit scipy numpy
    python3 Benchmarks/compare_factorization.py --threads 1 2 --out Benchmarks/results/factorization.md
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

# implicit's advice: its own threads, BLAS on one (set before numpy loads). Funnel's run below
# gets the environment as it was.
FUNNEL_ENV = dict(os.environ)
os.environ["OPENBLAS_NUM_THREADS"] = "1"

from compare_implicit import full_ranking, history_matrix, load, sampled_ranking, split  # noqa: E402
from compare_pytorch import cpu_model  # noqa: E402


def fit_and_rank(model, dataset, root, candidates):
    """Fits an implicit model on the split's histories; its fit seconds, full-ranking quality and
    sampled-protocol quality on Funnel's candidate lists (the file `candidates`)."""
    triples, user_count, item_count = load(dataset, root)
    histories, targets = split(triples, user_count)
    user_items = history_matrix(histories, user_count, item_count)
    start = time.perf_counter()
    model.fit(user_items, show_progress=False)
    seconds = time.perf_counter() - start
    scores_of = lambda chunk: model.user_factors[chunk] @ model.item_factors.T
    hr10, ndcg10, hr50 = full_ranking(scores_of, histories, targets, item_count)
    with open(candidates) as f:
        lists = [[int(i) for i in line.split()] or None for line in f]
    sampled_hr10, sampled_ndcg10 = sampled_ranking(scores_of, lists)
    return {"full_hr10": hr10, "full_ndcg10": ndcg10, "full_recall50": hr50, "sampled_hr10": sampled_hr10,
            "sampled_ndcg10": sampled_ndcg10, "fit_seconds": seconds}


def implicit_als(dataset, root, alpha, threads, seed, candidates):
    from implicit.cpu.als import AlternatingLeastSquares
    return fit_and_rank(AlternatingLeastSquares(factors=64, regularization=0.01, alpha=alpha, iterations=15, use_cg=True,
                                                calculate_training_loss=False, num_threads=threads, random_state=seed),
                        dataset, root, candidates)


def implicit_bpr(dataset, root, threads, seed, candidates):
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    return fit_and_rank(BayesianPersonalizedRanking(factors=64, learning_rate=0.01, regularization=0.01, iterations=100,
                                                    num_threads=threads, random_state=seed),
                        dataset, root, candidates)


def mean_of_seeds(runs):
    mean = {key: sum(r[key] for r in runs) / len(runs) for key in runs[0]}
    mean["fit_seconds"] = statistics.median(r["fit_seconds"] for r in runs)
    return mean


def funnel_fit(args, dataset, threads, candidates, *options):
    command = [args.funnel, "bench", "factorization", "--dataset", dataset, "--threads", str(threads), "--repeats", "5",
               "--data", args.data, "--candidates-out", candidates, *options]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=FUNNEL_ENV).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--datasets", nargs="+", default=["ml-100k", "amazon-games"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 11])
    parser.add_argument("--out")
    args = parser.parse_args()

    lines = [f"{cpu_model()}; leave-last-out, full ranking; fit seconds: Funnel the median of 5 fits, implicit the median over its seeds", "",
             "| dataset | threads | model | fit s | HR@10 | NDCG@10 | Recall@50 | sampled HR@10 | sampled NDCG@10 | Recall@50 ratio | fit time ratio |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for dataset in args.datasets:
        candidates = os.path.join(tempfile.mkdtemp(), f"{dataset}-candidates.txt")
        for threads in args.threads:
            rows = [("Funnel ALS (α 1: confidence 2)", funnel_fit(args, dataset, threads, candidates, "--model", "als"))]
            for alpha in (2.0, 1.0):
                runs = [implicit_als(dataset, args.data, alpha, threads, seed, candidates) for seed in args.seeds]
                rows.append((f"implicit ALS (alpha {alpha:g}: confidence {alpha:g}), mean of {len(runs)} seeds", mean_of_seeds(runs)))
            peer = rows[1][1]
            bpr = [("Funnel BPR (uniform negatives, rate 0.05)", funnel_fit(args, dataset, threads, candidates, "--model", "bpr")),
                   ("Funnel BPR (negatives by popularity, rate 0.01)",
                    funnel_fit(args, dataset, threads, candidates, "--model", "bpr", "--negatives", "popularity", "--learning-rate", "0.01"))]
            runs = [implicit_bpr(dataset, args.data, threads, seed, candidates) for seed in args.seeds]
            bpr_peer = mean_of_seeds(runs)
            bpr.append((f"implicit BPR (rate 0.01), mean of {len(runs)} seeds", bpr_peer))
            for name, r, against in [(n, r, peer) for n, r in rows] + [(n, r, bpr_peer) for n, r in bpr]:
                lines.append(f"| {dataset} | {threads} | {name} | {r['fit_seconds']:.3f} | {r['full_hr10']:.4f} | {r['full_ndcg10']:.4f} | "
                             f"{r['full_recall50']:.4f} | {r['sampled_hr10']:.4f} | {r['sampled_ndcg10']:.4f} | {r['full_recall50'] / against['full_recall50']:.3f} | {against['fit_seconds'] / r['fit_seconds']:.2f}x |")
    lines += ["", "ALS ratios are against implicit with the same confidence (alpha 2), BPR ratios against implicit's BPR; a fit time "
              "ratio above 1 means Funnel fits faster."]
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
