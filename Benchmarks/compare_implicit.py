"""ItemCF side by side with the implicit library's item-item recommenders.

Same data, same leave-last-out split (per user by time, ties in file order; the last item is the
test target, the one before it joins the history), same protocols with ties at their expected
rank: sampled (the target against the 100 uniform negatives Funnel drew and wrote out, so both
rank identical lists; HR@10, NDCG@10) and full ranking (the target against every item outside
the user's history; HR@10, NDCG@10, Recall@50); same threads, in one run. Also reports the
similarity build time (median of repeats).

    swift build -c release --product funnel
    pip install implicit scipy numpy
    python3 Benchmarks/compare_implicit.py --threads 1 2 --out Benchmarks/results/implicit.md
"""
import argparse
import datetime
import json
import math
import os
import re
import statistics
import subprocess
import tempfile
import time

import numpy as np
import scipy.sparse as sp

from compare_pytorch import cpu_model, publish


def load(dataset, root):
    """(user, item, time) triples in file order, with Funnel's dense ids: MovieLens users and
    movies in the order of u.user and u.item, sequence users and items in first-seen order."""
    triples = []
    users, items = {}, {}
    if dataset == "ml-100k":
        folder = os.path.join(root, "ml-100k")
        for line in open(os.path.join(folder, "u.user"), encoding="latin-1"):
            users.setdefault(line.split("|")[0], len(users))
        for line in open(os.path.join(folder, "u.item"), encoding="latin-1"):
            items.setdefault(line.split("|")[0], len(items))
        for line in open(os.path.join(folder, "u.data")):
            u, i, _, t = line.split("\t")
            triples.append((u, i, int(t)))
    else:
        for n, line in enumerate(open(os.path.join(root, "sasrec-amazon-games", "Video.txt")), start=1):
            u, i = line.split()
            triples.append((u, i, n))
    return [(users.setdefault(u, len(users)), items.setdefault(i, len(items)), t) for u, i, t in triples], len(users), len(items)


def split(triples, user_count):
    """Per user: history (train and validation item) and the test target; users with < 3 keep all."""
    by_user = [[] for _ in range(user_count)]
    for k, (u, i, t) in enumerate(triples):
        by_user[u].append((t, k, i))
    histories, targets = [], []
    for events in by_user:
        events.sort()
        items = [i for _, _, i in events]
        if len(items) < 3:
            histories.append(items)
            targets.append(None)
        else:
            histories.append(items[:-1])
            targets.append(items[-1])
    return histories, targets


def full_ranking(scores_of, histories, targets, item_count, batch=512):
    """HR@10, NDCG@10 and HR@50 (= Recall@50) with ties at their expected rank."""
    users = [u for u, t in enumerate(targets) if t is not None]
    hr10 = ndcg10 = hr50 = 0.0
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        scores = scores_of(chunk)
        for row, u in zip(scores, chunk):
            row = np.asarray(row, dtype=np.float64).ravel()
            target = targets[u]
            s = row[target]
            mask = np.ones(item_count, dtype=bool)
            mask[list(set(histories[u]))] = False
            mask[target] = False
            greater = int(np.count_nonzero(row[mask] > s))
            ties = int(np.count_nonzero(row[mask] == s))
            for k in (10, 50):
                if greater >= k:
                    continue
                last = min(greater + ties, k - 1)
                hit = (last - greater + 1) / (ties + 1)
                if k == 10:
                    hr10 += hit
                    ndcg10 += sum(1 / math.log2(r + 2) for r in range(greater, last + 1)) / (ties + 1)
                else:
                    hr50 += hit
    n = len(users)
    return hr10 / n, ndcg10 / n, hr50 / n


def sampled_ranking(scores_of, candidates, batch=512):
    """HR@10 and NDCG@10 of each list's first item (the target) against the rest (repeats count)."""
    users = [u for u, c in enumerate(candidates) if c is not None]
    hr10 = ndcg10 = 0.0
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        for row, u in zip(scores_of(chunk), chunk):
            row = np.asarray(row, dtype=np.float64).ravel()
            scores = row[candidates[u]]
            greater = int(np.count_nonzero(scores[1:] > scores[0]))
            ties = int(np.count_nonzero(scores[1:] == scores[0]))
            if greater < 10:
                last = min(greater + ties, 9)
                hr10 += (last - greater + 1) / (ties + 1)
                ndcg10 += sum(1 / math.log2(r + 2) for r in range(greater, last + 1)) / (ties + 1)
    return hr10 / len(users), ndcg10 / len(users)


def history_matrix(histories, user_count, item_count):
    """Users × items, 1 for each item in a user's history."""
    rows = [u for u, h in enumerate(histories) for _ in h]
    cols = [i for h in histories for i in h]
    user_items = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(user_count, item_count))
    user_items.sum_duplicates()
    user_items.data[:] = 1
    return user_items


def implicit_run(model_name, dataset, root, threads, k, repeats, candidates_path):
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender
    triples, user_count, item_count = load(dataset, root)
    histories, targets = split(triples, user_count)
    user_items = history_matrix(histories, user_count, item_count)
    make = {"cosine": CosineRecommender, "bm25": BM25Recommender}[model_name]
    model, seconds = timed_fits(lambda: make(K=k, num_threads=threads), user_items, repeats)
    similarity = model.similarity.tocsr()
    scores_of = lambda chunk: (user_items[chunk] @ similarity).toarray()
    hr10, ndcg10, hr50 = full_ranking(scores_of, histories, targets, item_count)
    with open(candidates_path) as f:
        candidates = [[int(i) for i in line.split()] or None for line in f]
    sampled_hr10, sampled_ndcg10 = sampled_ranking(scores_of, candidates)
    return {"peer": f"implicit {model_name}", "fit_seconds": seconds, "sampled_hr10": sampled_hr10,
            "sampled_ndcg10": sampled_ndcg10, "full_hr10": hr10,
            "full_ndcg10": ndcg10, "full_recall50": hr50, "peak_memory_mb": peak_memory_mb()}


def timed_fits(make, matrix, repeats):
    """Fits a fresh model `repeats` times; returns the last model and the median fit seconds."""
    seconds = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds.append(time.perf_counter() - start)
    return model, statistics.median(seconds)


def peak_memory_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WEIGHTS = {"click": 1, "like": 2, "collect": 3, "share": 4, "comment": 3, "follow-author": 2, "purchase": 5, "rating": 1}


def implicit_events_fit(path, threads, k, repeats):
    """implicit's cosine item-item fit on an event CSV, with Funnel's interest weights."""
    import csv
    from implicit.nearest_neighbours import CosineRecommender
    users, items, rows, cols, vals = {}, {}, [], [], []
    with open(path) as f:
        for record in csv.DictReader(f):
            w = WEIGHTS.get(record["type"], 0)
            if w:
                rows.append(users.setdefault(record["user"], len(users)))
                cols.append(items.setdefault(record["item"], len(items)))
                vals.append(w)
    matrix = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    _, seconds = timed_fits(lambda: CosineRecommender(K=k, num_threads=threads), matrix, repeats)
    return {"fit_seconds": seconds, "pairs": matrix.nnz, "peak_memory_mb": peak_memory_mb()}


def events_section(args):
    """ItemCF and Swing builds on an event file (e.g. 10^7 simulated events) beside implicit's fit."""
    rows = [f"**{args.events}**: ItemCF and Swing builds (`funnel train`), K = {args.k}, beside implicit's cosine fit on the same "
            "weighted matrix; build times exclude reading the file and assembling the sparse matrix, as implicit's fit does", "",
            "| threads | model | read (s) | build (s) | peak memory (MiB) | build time vs Funnel ItemCF |", "|---:|---|---:|---:|---:|---:|"]
    for threads in args.threads:
        results = {}
        for model in ("itemcf", "swing"):
            out = subprocess.run([args.funnel, "train", model, "--events", args.events, "--threads", str(threads), "--k", str(args.k),
                                  "--out", os.devnull], capture_output=True, text=True, check=True).stdout
            read, built = (float(x) for x in re.search(r"read ([\d.]+) s, matrix [\d.]+ s, built ([\d.]+) s", out).groups())
            memory = float(re.search(r"peak memory (\d+) MiB", out).group(1))
            results[model] = (read, built, memory)
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        peer = json.loads(subprocess.run(["python3", __file__, "--peer", "events", "--dataset", args.events, "--threads", str(threads),
                                          "--k", str(args.k), "--repeats", "3"], capture_output=True, text=True, check=True, env=env).stdout)
        base = results["itemcf"][1]
        for name, (read, built, memory) in (("Funnel ItemCF", results["itemcf"]), ("Funnel Swing", results["swing"])):
            rows.append(f"| {threads} | {name} | {read:.1f} | {built:.2f} | {memory:.0f} | {built / base:.2f}x |")
        rows.append(f"| {threads} | implicit cosine | – | {peer['fit_seconds']:.2f} | {peer['peak_memory_mb']:.0f} | {peer['fit_seconds'] / base:.2f}x |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--funnel", default=".build/release/funnel")
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--k", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peer", help=argparse.SUPPRESS)   # internal: run one implicit model in this process
    parser.add_argument("--dataset", help=argparse.SUPPRESS)
    parser.add_argument("--candidates", help=argparse.SUPPRESS)
    parser.add_argument("--events", help="also build on this event CSV (user,item,type,timestamp columns)")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.peer == "events":
        print(json.dumps(implicit_events_fit(args.dataset, args.threads[0], args.k, args.repeats)))
        return
    if args.peer:
        print(json.dumps(implicit_run(args.peer, args.dataset, args.data, args.threads[0], args.k, args.repeats, args.candidates)))
        return

    import implicit
    sections = []
    for dataset in ("ml-100k", "amazon-games"):
        rows = [f"**{dataset}**, K = {args.k} neighbours, median of {args.repeats} builds", "",
                "| threads | model | build (s) | sampled HR@10 | sampled NDCG@10 | full HR@10 | full NDCG@10 | full Recall@50 "
                "| peak memory (MiB) | build time vs Funnel |",
                "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        candidates = os.path.join(tempfile.mkdtemp(), f"{dataset}-candidates.txt")
        for threads in args.threads:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            funnel = json.loads(subprocess.run([args.funnel, "bench", "itemcf", "--dataset", dataset, "--threads", str(threads),
                                                "--k", str(args.k), "--repeats", str(args.repeats), "--data", args.data,
                                                "--candidates-out", candidates],
                                               capture_output=True, text=True, check=True, env=env).stdout)
            results = [("Funnel ItemCF (last 50 items)", funnel)]
            for model in ("cosine", "bm25"):
                out = subprocess.run(["python3", __file__, "--peer", model, "--dataset", dataset, "--data", args.data,
                                      "--threads", str(threads), "--k", str(args.k), "--repeats", str(args.repeats),
                                      "--candidates", candidates],
                                     capture_output=True, text=True, check=True, env=env).stdout
                results.append((f"implicit {model} (all history)", json.loads(out)))
            for name, r in results:
                ratio = r["fit_seconds"] / funnel["fit_seconds"]
                rows.append(f"| {threads} | {name} | {r['fit_seconds']:.3f} | {r['sampled_hr10']:.4f} | {r['sampled_ndcg10']:.4f} | "
                            f"{r['full_hr10']:.4f} | {r['full_ndcg10']:.4f} | "
                            f"{r['full_recall50']:.4f} | {r['peak_memory_mb']:.0f} | {ratio:.2f}x |")
        sections.append("\n".join(rows))
    if args.events:
        sections.append(events_section(args))
    header = (f"Measured {datetime.date.today()} on {cpu_model()} ({os.cpu_count()} cores); implicit {implicit.__version__}. "
              "Each model runs in its own process; peak memory includes loading and evaluation.\n")
    publish(header + "\n" + "\n\n".join(sections) + "\n", args.out)


if __name__ == "__main__":
    main()
