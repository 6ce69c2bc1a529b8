#!/usr/bin/env python3
"""Vector search side by side, ann-benchmarks style: Funnel's HNSW (`funnel bench vectors`),
hnswlib and faiss (IndexHNSWFlat) on the same vectors, with the same M, efConstruction and
threads, each in its own process: build time, memory, and recall@10 against queries per second
over an ef sweep. Writes a Markdown table and, with matplotlib, a plot of the curves.

    swift build -c release --product funnel
    pip install hnswlib faiss-cpu numpy matplotlib
    python3 Benchmarks/vector_benchmark.py --count 1000000 --threads 1 2 --out Benchmarks/results/vectors.md
"""
import argparse
import datetime
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def write_vecs(path, array):
    array = np.ascontiguousarray(array)
    rows = np.empty((array.shape[0], array.shape[1] + 1), dtype=np.int32)
    rows[:, 0] = array.shape[1]
    rows[:, 1:] = array.view(np.int32)
    rows.tofile(path)


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].copy().view(np.float32)


def read_ivecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].copy()


def clustered(count, dimension, queries, clusters, seed):
    """Gaussian clusters around random centres: base vectors and queries drawn alike."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (clusters, dimension)).astype(np.float32)
    def draw(n):
        return (centres[rng.integers(0, clusters, n)] + rng.normal(0, 1, (n, dimension))).astype(np.float32)
    return draw(count), draw(queries)


def prepare(args):
    """Writes base, query and true-neighbour files once per configuration."""
    folder = pathlib.Path(args.workdir) / f"clustered-{args.count}x{args.dimension}"
    folder.mkdir(parents=True, exist_ok=True)
    base, queries, truth = folder / "base.fvecs", folder / "queries.fvecs", folder / "truth.ivecs"
    if not truth.exists():
        import faiss
        data, query = clustered(args.count, args.dimension, args.queries, args.clusters, args.seed)
        write_vecs(base, data)
        write_vecs(queries, query)
        exact = faiss.IndexFlatL2(args.dimension)
        exact.add(data)
        _, ids = exact.search(query, 100)
        write_vecs(truth, ids.astype(np.int32).view(np.float32))
    return base, queries, truth


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb():
    """Resident memory now (Linux): reading the files leaves a higher peak than the index itself."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1_048_576


def run_peer(name, base, queries, truth, threads, m, ef_construction, efs, k):
    """One library in this process: build, then the ef sweep."""
    data, query, true_ids = read_fvecs(base), read_fvecs(queries), read_ivecs(truth)[:, :k]
    before = resident_mb()
    if name == "hnswlib":
        import hnswlib
        index = hnswlib.Index(space="l2", dim=data.shape[1])
        start = time.perf_counter()
        index.init_index(max_elements=len(data), M=m, ef_construction=ef_construction, random_seed=42)
        index.add_items(data, np.arange(len(data)), num_threads=threads)
        build = time.perf_counter() - start
        growth = resident_mb() - before
        def search(ef):
            index.set_ef(ef)
            return index.knn_query(query, k=k, num_threads=threads)[0]
    else:
        import faiss
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexHNSWFlat(data.shape[1], m)
        index.hnsw.efConstruction = ef_construction
        start = time.perf_counter()
        index.add(data)
        build = time.perf_counter() - start
        growth = resident_mb() - before
        def search(ef):
            index.hnsw.efSearch = ef
            return index.search(query, k)[1]
    sweep = []
    for ef in efs:
        started = time.perf_counter()
        found = search(max(ef, k))
        seconds = time.perf_counter() - started
        hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, true_ids))
        sweep.append({"ef": ef, "recall": hits / (len(query) * k), "qps": len(query) / seconds})
    return {"peer": name, "threads": threads, "build_seconds": build, "memory_growth_mb": growth,
            "peak_memory_mb": peak_mb(), "sweep": sweep}


def run_funnel(args, base, queries, truth, threads):
    out = subprocess.run([str(ROOT / ".build/release/funnel"), "bench", "vectors", "--base", str(base), "--queries", str(queries),
                          "--truth", str(truth), "--threads", str(threads), "--m", str(args.m), "--ef-construction",
                          str(args.ef_construction), "--k", str(args.k), "--ef", *map(str, args.ef)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def at_recall(sweep, target):
    """The highest QPS among sweep points reaching `target` recall, or None."""
    qps = [p["qps"] for p in sweep if p["recall"] >= target]
    return max(qps) if qps else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dimension", type=int, default=64)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="+", default=[10, 20, 40, 80, 160, 320])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--peers", nargs="+", default=["funnel", "hnswlib", "faiss"])
    parser.add_argument("--workdir", default="/tmp/funnel-vectors")
    parser.add_argument("--out", type=pathlib.Path)
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base, queries, truth = prepare(args)
    if args.peer:
        print(json.dumps(run_peer(args.peer, base, queries, truth, args.threads[0], args.m, args.ef_construction, args.ef, args.k)))
        return
    results = []
    for threads in args.threads:
        for peer in args.peers:
            if peer == "funnel":
                results.append(run_funnel(args, base, queries, truth, threads))
            else:
                env = dict(os.environ, OMP_NUM_THREADS=str(threads))
                out = subprocess.run([sys.executable, __file__, "--peer", peer, "--count", str(args.count), "--dimension", str(args.dimension),
                                      "--queries", str(args.queries), "--clusters", str(args.clusters), "--seed", str(args.seed),
                                      "--threads", str(threads), "--m", str(args.m), "--ef-construction", str(args.ef_construction),
                                      "--k", str(args.k), "--workdir", args.workdir, "--ef", *map(str, args.ef)],
                                     check=True, capture_output=True, text=True, env=env).stdout
                results.append(json.loads(out.strip().splitlines()[-1]))
    lines = [f"Measured {datetime.date.today()}; {args.count:,} × {args.dimension} clustered vectors ({args.clusters} Gaussian clusters), "
             f"{args.queries:,} queries drawn alike, L2, recall@{args.k} against exact neighbours; M = {args.m}, "
             f"efConstruction = {args.ef_construction}. Each library runs in its own process.", "",
             f"| threads | library | build (s) | memory growth (MiB) | QPS at recall ≥ 0.95 | " + " | ".join(f"ef {e}: recall / QPS" for e in args.ef) + " |",
             "|---:|---|---:|---:|---:|" + "---:|" * len(args.ef)]
    for r in results:
        best = at_recall(r["sweep"], 0.95)
        cells = " | ".join(f"{p['recall']:.3f} / {p['qps']:.0f}" for p in r["sweep"])
        lines.append(f"| {r['threads']} | {r['peer']} | {r['build_seconds']:.1f} | {r['memory_growth_mb']:.0f} | "
                     f"{'–' if best is None else f'{best:.0f}'} | {cells} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            figure, axes = plt.subplots(figsize=(7, 4.5))
            for r in results:
                axes.plot([p["recall"] for p in r["sweep"]], [p["qps"] for p in r["sweep"]], marker="o",
                          label=f"{r['peer']}, {r['threads']} thread{'s' if r['threads'] > 1 else ''}")
            axes.set_xlabel(f"recall@{args.k}")
            axes.set_ylabel("queries per second")
            axes.set_yscale("log")
            axes.grid(True, which="both", alpha=0.3)
            axes.legend()
            axes.set_title(f"{args.count:,} × {args.dimension} clustered, M {args.m}, efConstruction {args.ef_construction}")
            figure.tight_layout()
            figure.savefig(args.out.with_suffix(".svg"))
        except ImportError:
            print("matplotlib not installed: no plot", file=sys.stderr)


if __name__ == "__main__":
    main()
