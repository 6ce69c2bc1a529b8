#!/usr/bin/env python3
"""Vector search side by side, ann-benchmarks style: Funnel's HNSW (`funnel bench vectors`),
hnswlib and faiss (IndexHNSWFlat) on the same vectors, with the same M, efConstruction and
threads, each in its own process: build time, memory, and recall@10 against queries per second
over an ef sweep (the best of --runs passes per ef, for every library), then filtered search at
--selectivity (Funnel and faiss, on the same random subsets). The peers `funnel-sq8` and
`faiss-sq8` (IndexHNSWSQ) store the vectors as int8 codes of a per-dimension scalar quantizer
trained on the base vectors. Writes a Markdown table and, with matplotlib, a plot of the curves.

Datasets: `clustered` (Gaussian clusters, L2) and `games-als` (item vectors of an ALS model fitted
by implicit on the Amazon Games interactions, queried with user vectors by inner product).

    swift build -c release --product funnel
    pip install hnswlib faiss-cpu implicit scipy numpy matplotlib
    python3 Benchmarks/vector_benchmark.py --count 1000000 --threads 1 2 --out Benchmarks/results/vectors.md
    python3 Benchmarks/vector_benchmark.py --dataset games-als --out Benchmarks/results/vectors-games.md
    python3 Benchmarks/vector_benchmark.py --threads 1 --peers funnel funnel-sq8 hnswlib faiss-sq8 --selectivity \
        --out Benchmarks/results/vectors-sq8.md
"""
import argparse
import ctypes
import gc
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


def splitmix_subset(count, fraction):
    """The subset `funnel bench vectors --selectivity` filters to: SplitMix64 seeded with
    fraction · 10^6, one draw per vector, kept when below the fraction."""
    golden, m1, m2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
    with np.errstate(over="ignore"):
        z = np.uint64(int(fraction * 1e6)) + golden * np.arange(1, count + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * m1
        z = (z ^ (z >> np.uint64(27))) * m2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53) < fraction


def games_als(args):
    """Item and user vectors of implicit's ALS on the Games interactions (ids 1-based in the file)."""
    import implicit
    import scipy.sparse as sparse
    pairs = np.loadtxt(pathlib.Path(args.data) / "sasrec-amazon-games" / "Video.txt", dtype=np.int64)
    users, items = pairs[:, 0] - 1, pairs[:, 1] - 1
    matrix = sparse.csr_matrix((np.ones(len(pairs), dtype=np.float32), (users, items)))
    model = implicit.cpu.als.AlternatingLeastSquares(factors=args.dimension, regularization=0.05, iterations=15,
                                                     random_state=args.seed, num_threads=2)
    model.fit(matrix, show_progress=False)
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(model.user_factors.shape[0], size=min(args.queries, model.user_factors.shape[0]), replace=False)
    return np.ascontiguousarray(model.item_factors, dtype=np.float32), np.ascontiguousarray(model.user_factors[chosen], dtype=np.float32)


def prepare(args):
    """Writes base, query and true-neighbour files once per configuration."""
    name = f"clustered-{args.count}x{args.dimension}" if args.dataset == "clustered" else f"games-als-{args.dimension}"
    folder = pathlib.Path(args.workdir) / name
    folder.mkdir(parents=True, exist_ok=True)
    base, queries, truth = folder / "base.fvecs", folder / "queries.fvecs", folder / "truth.ivecs"
    if not truth.exists():
        import faiss
        if args.dataset == "clustered":
            data, query = clustered(args.count, args.dimension, args.queries, args.clusters, args.seed)
        else:
            data, query = games_als(args)
        write_vecs(base, data)
        write_vecs(queries, query)
        exact = faiss.IndexFlatL2(args.dimension) if metric(args) == "l2" else faiss.IndexFlatIP(args.dimension)
        exact.add(data)
        _, ids = exact.search(query, 100)
        write_vecs(truth, ids.astype(np.int32).view(np.float32))
    return base, queries, truth


def metric(args):
    return "l2" if args.dataset == "clustered" else "ip"


def release_freed_memory():
    """Hands freed heap pages back to the kernel (glibc), as Funnel does before measuring."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb():
    """Resident memory now (Linux): reading the files leaves a higher peak than the index itself."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1_048_576


def run_peer(args, name, base, queries, truth, threads):
    """One library in this process: build, then the ef sweep, then the filtered sweeps (faiss)."""
    k, space = args.k, metric(args)
    before = resident_mb()
    data = read_fvecs(base)
    count, dimension = data.shape
    if name == "hnswlib":
        import hnswlib
        index = hnswlib.Index(space=space, dim=dimension)
        start = time.perf_counter()
        index.init_index(max_elements=count, M=args.m, ef_construction=args.ef_construction, random_seed=42)
        index.add_items(data, np.arange(count), num_threads=threads)
        build = time.perf_counter() - start
        def search(query, ef, subset=None):
            index.set_ef(ef)
            return index.knn_query(query, k=k, num_threads=threads)[0]
    else:
        import faiss
        faiss.omp_set_num_threads(threads)
        measure = faiss.METRIC_L2 if space == "l2" else faiss.METRIC_INNER_PRODUCT
        if name == "faiss-sq8":
            index = faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_8bit, args.m, measure)
        else:
            index = faiss.IndexHNSWFlat(dimension, args.m, measure)
        index.hnsw.efConstruction = args.ef_construction
        start = time.perf_counter()
        if name == "faiss-sq8":
            index.train(data)
        index.add(data)
        build = time.perf_counter() - start
        def search(query, ef, subset=None):
            params = faiss.SearchParametersHNSW(efSearch=ef)
            if subset is not None:
                params.sel = faiss.IDSelectorBitmap(np.packbits(subset, bitorder="little"))
            return index.search(query, k, params=params)[1]
    exact = data if args.selectivity and name == "faiss" else None
    del data
    gc.collect()
    release_freed_memory()
    growth = resident_mb() - before
    query, true_ids = read_fvecs(queries), read_ivecs(truth)[:, :k]

    def sweep(truth_ids, subset=None):
        points = []
        for ef in args.ef:
            best = float("inf")
            for _ in range(args.runs):
                started = time.perf_counter()
                found = search(query, max(ef, k), subset)
                best = min(best, time.perf_counter() - started)
            hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth_ids))
            points.append({"ef": ef, "recall": hits / (len(query) * k), "qps": len(query) / best})
        return points

    result = {"peer": name, "threads": threads, "count": count, "dimension": dimension, "build_seconds": build, "memory_growth_mb": growth,
              "peak_memory_mb": peak_mb(), "sweep": sweep(true_ids)}
    if exact is not None:
        import faiss
        flat = faiss.IndexFlatL2(dimension) if space == "l2" else faiss.IndexFlatIP(dimension)
        flat.add(exact)
        filtered = []
        for fraction in args.selectivity:
            subset = splitmix_subset(count, fraction)
            allowed = faiss.IDSelectorBitmap(np.packbits(subset, bitorder="little"))
            _, ids = flat.search(query, k, params=faiss.SearchParameters(sel=allowed))
            filtered.append({"selectivity": fraction, "allowed": int(subset.sum()), "sweep": sweep(ids, subset)})
        result["filtered"] = filtered
    return result


def run_funnel(args, base, queries, truth, threads, quantize=False):
    filters = ["--selectivity", *map(str, args.selectivity)] if args.selectivity and not quantize else []
    out = subprocess.run([args.funnel, "bench", "vectors", "--base", str(base), "--queries", str(queries),
                          "--truth", str(truth), "--threads", str(threads), "--m", str(args.m), "--ef-construction",
                          str(args.ef_construction), "--k", str(args.k), "--metric", metric(args), "--runs", str(args.runs),
                          "--ef", *map(str, args.ef), "--quantize", "int8" if quantize else "none"] + filters,
                         check=True, capture_output=True, text=True, env=dict(os.environ, FUNNEL_MALLOC_TUNING="0")).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["peer"] = "funnel-sq8" if quantize else "funnel"
    return result


def at_recall(sweep, target):
    """The highest QPS among sweep points reaching `target` recall, or None."""
    qps = [p["qps"] for p in sweep if p["recall"] >= target]
    return max(qps) if qps else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["clustered", "games-als"], default="clustered")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="the shared datasets (games-als)")
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
    parser.add_argument("--runs", type=int, default=3, help="passes per ef; the fastest counts")
    parser.add_argument("--selectivity", type=float, nargs="*", default=[0.5, 0.1, 0.01, 0.001])
    parser.add_argument("--peers", nargs="+", default=["funnel", "hnswlib", "faiss"],
                        choices=["funnel", "funnel-sq8", "hnswlib", "faiss", "faiss-sq8"])
    parser.add_argument("--funnel", default=str(ROOT / ".build/release/funnel"))
    parser.add_argument("--workdir", default="/tmp/funnel-vectors")
    parser.add_argument("--out", type=pathlib.Path)
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base, queries, truth = prepare(args)
    if args.peer:
        print(json.dumps(run_peer(args, args.peer, base, queries, truth, args.threads[0])))
        return
    results = []
    for threads in args.threads:
        for peer in args.peers:
            if peer.startswith("funnel"):
                results.append(run_funnel(args, base, queries, truth, threads, quantize=peer == "funnel-sq8"))
            else:
                env = dict(os.environ, OMP_NUM_THREADS=str(threads))
                out = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--peer", peer, "--threads", str(threads)],
                                     check=True, capture_output=True, text=True, env=env).stdout
                results.append(json.loads(out.strip().splitlines()[-1]))
            print(f"{peer}, {threads} thread(s): built in {results[-1].get('build_seconds', 0):.1f} s", file=sys.stderr)
    count, dimension = results[0]["count"], results[0]["dimension"]
    what = (f"{count:,} × {dimension} clustered vectors ({args.clusters} Gaussian clusters), {args.queries:,} queries drawn alike, L2"
            if args.dataset == "clustered" else
            f"{count:,} item vectors ({dimension} factors of implicit's ALS on the Amazon Games interactions), "
            f"{args.queries:,} user vectors as queries, inner product")
    lines = [f"Measured {datetime.date.today()}; {what}; recall@{args.k} against exact neighbours; M = {args.m}, "
             f"efConstruction = {args.ef_construction}; QPS is the best of {args.runs} passes over the queries. "
             "Each library runs in its own process; memory growth is resident memory after the build with the "
             "input vectors freed, minus before reading them.", "",
             f"| threads | library | build (s) | memory growth (MiB) | QPS at recall ≥ 0.95 | " + " | ".join(f"ef {e}: recall / QPS" for e in args.ef) + " |",
             "|---:|---|---:|---:|---:|" + "---:|" * len(args.ef)]
    for r in results:
        best = at_recall(r["sweep"], 0.95)
        cells = " | ".join(f"{p['recall']:.3f} / {p['qps']:.0f}" for p in r["sweep"])
        lines.append(f"| {r['threads']} | {r['peer']} | {r['build_seconds']:.1f} | {r['memory_growth_mb']:.0f} | "
                     f"{'–' if best is None else f'{best:.0f}'} | {cells} |")
    filtered = [(r, f) for r in results for f in r.get("filtered", [])]
    if filtered:
        lines += ["", f"Filtered search: a random subset of the vectors allowed (a bitset), exact answers within the subset.", "",
                  f"| threads | library | allowed | QPS at recall ≥ 0.95 | " + " | ".join(f"ef {e}: recall / QPS" for e in args.ef) + " |",
                  "|---:|---|---:|---:|" + "---:|" * len(args.ef)]
        for r, f in filtered:
            best = at_recall(f["sweep"], 0.95)
            cells = " | ".join(f"{p['recall']:.3f} / {p['qps']:.0f}" for p in f["sweep"])
            lines.append(f"| {r['threads']} | {r['peer']} | {f['selectivity']:g} ({f['allowed']:,}) | "
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
            axes.set_title(f"{'clustered' if args.dataset == 'clustered' else 'Games ALS items'}, {count:,} × {dimension}, "
                           f"M {args.m}, efConstruction {args.ef_construction}")
            figure.tight_layout()
            figure.savefig(args.out.with_suffix(".svg"))
        except ImportError:
            print("matplotlib not installed: no plot", file=sys.stderr)


if __name__ == "__main__":
    main()
