"""PyTorch peers of Funnel's reference models, for side-by-side speed measurements.

Same architectures, shapes, batch sizes, optimizer and data as `funnel bench`:
  - DCN-v2 on Frappe_x1: 10 fields, embedding 10, 4 full-rank cross layers, parallel DNN
    [400, 400, 400] with batch norm, ReLU and dropout 0.4, Adam 1e-3, batch 4096 (no embedding
    penalty on either side).
  - DeepFM on Frappe_x1: embedding 10, a weight per feature and a bias, the pairwise term, DNN
    [400, 400, 400] with batch norm, ReLU and dropout 0.2, Adam 1e-3, batch 4096.
  - DIN shaped like Amazon Games (23,715 items, vectors of 64): the candidate's vector and the
    history pooled by attention ([h, h*t] -> 80 plus t -> 80, sigmoid, 40,
    sigmoid, 1; softmax over 50 steps, each item plus a recency vector) into [200, 80] ReLU and a
    head, plus a bias per item; 512 positions with one negative each, Adam 1e-3 (the embedding
    tables sparse with SparseAdam, as Funnel updates only the rows a batch touches).
  - Two-tower on MovieLens-100K: user tower (5 one-hot fields × 32 → 256 → 64), item tower
    (item id × 32 + mean of genre embeddings × 32 → 256 → 64), cosine / 0.05, in-batch softmax
    with logQ correction, Adam 1e-3, batch 1024.
Prints one JSON object with examples/s, scoring latency and peak memory.

Usage: python3 pytorch_models.py --threads 1 [--data ../shared/data] [--steps 40]
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_libfm(path):
    labels, ids = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            labels.append(1.0 if float(parts[0]) > 0 else 0.0)
            ids.append([int(p.split(":")[0]) for p in parts[1:]])
    return np.array(ids, dtype=np.int64), np.array(labels, dtype=np.float32)


class CrossNetV2(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(depth))

    def forward(self, x0):
        x = x0
        for layer in self.layers:
            x = x0 * layer(x) + x
        return x


class DCNv2(nn.Module):
    def __init__(self, vocab=5382, fields=10, dim=10, depth=4, hidden=(400, 400, 400), dropout=0.4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        width = fields * dim
        self.cross = CrossNetV2(width, depth)
        layers, size = [], width
        for h in hidden:
            layers += [nn.Linear(size, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            size = h
        self.deep = nn.Sequential(*layers)
        self.head = nn.Linear(width + size, 1)

    def forward(self, ids):
        x0 = self.embedding(ids).flatten(1)
        return self.head(torch.cat([self.cross(x0), self.deep(x0)], dim=1)).squeeze(1)


class DeepFM(nn.Module):
    def __init__(self, vocab=5382, fields=10, dim=10, hidden=(400, 400, 400), dropout=0.2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.weight = nn.Embedding(vocab, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        layers, size = [], fields * dim
        for h in hidden:
            layers += [nn.Linear(size, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            size = h
        self.deep = nn.Sequential(*layers)
        self.head = nn.Linear(size, 1)

    def forward(self, ids):
        v = self.embedding(ids)
        pairwise = 0.5 * (v.sum(1).pow(2) - v.pow(2).sum(1)).sum(1)
        return self.weight(ids).sum((1, 2)) + self.bias + pairwise + self.head(self.deep(v.flatten(1))).squeeze(1)


class DIN(nn.Module):
    def __init__(self, items=23715, dim=64, steps=50, attention=(80, 40), hidden=(200, 80)):
        super().__init__()
        self.items = nn.Embedding(items + 1, dim, sparse=True)
        self.recency = nn.Embedding(steps, dim, sparse=True)
        self.item_bias = nn.Embedding(items, 1, sparse=True)
        self.step = nn.Linear(2 * dim, attention[0])
        self.candidate = nn.Linear(dim, attention[0], bias=False)
        self.attention_hidden = nn.Linear(attention[0], attention[1])
        self.score = nn.Linear(attention[1], 1)
        self.deep = nn.Sequential(nn.Linear(3 * dim, hidden[0]), nn.ReLU(), nn.Linear(hidden[0], hidden[1]), nn.ReLU())
        self.head = nn.Linear(hidden[1], 1)

    def forward(self, targets, histories, recency, mask):
        t = self.items(targets)
        h = self.items(histories) + self.recency(recency)
        a = torch.sigmoid(self.step(torch.cat([h, h * t.unsqueeze(1)], 2)) + self.candidate(t).unsqueeze(1))
        scores = self.score(torch.sigmoid(self.attention_hidden(a))).squeeze(2).masked_fill(~mask, float("-inf"))
        pooled = (torch.softmax(scores, 1).unsqueeze(2) * h).sum(1)
        x = torch.cat([t, pooled, pooled * t], 1)
        return self.head(self.deep(x)).squeeze(1) + self.item_bias(targets).squeeze(1)


class Tower(nn.Module):
    def __init__(self, vocab, fields, bag_vocab=0, dim=32, hidden=256, out=64):
        super().__init__()
        self.fields = nn.Embedding(vocab, dim)
        self.bag = nn.EmbeddingBag(bag_vocab, dim, mode="mean") if bag_vocab else None
        width = dim * (fields + (1 if bag_vocab else 0))
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.ReLU())
        self.projection = nn.Linear(hidden, out)

    def forward(self, ids, bag_ids=None, bag_offsets=None):
        parts = [self.fields(ids).flatten(1)]
        if self.bag is not None:
            parts.append(self.bag(bag_ids, bag_offsets))
        return self.projection(self.mlp(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]))


def movielens(root):
    d = os.path.join(root, "ml-100k")
    users = [line.rstrip("\n").split("|") for line in open(os.path.join(d, "u.user"))]
    vocab = {}
    def gid(field, value):
        return vocab.setdefault((field, value), len(vocab))
    def band(age):
        for limit, name in [(18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (50, "45-49"), (56, "50-55")]:
            if age < limit:
                return name
        return "56+"
    user_index = {u[0]: i for i, u in enumerate(users)}
    user_ids = np.array([[gid(0, u[0]), gid(1, band(int(u[1]))), gid(2, u[2]), gid(3, u[3]),
                          gid(4, u[4][0] if u[4][:1].isdigit() else "other")] for u in users], dtype=np.int64)
    items = [line.rstrip("\n").split("|") for line in open(os.path.join(d, "u.item"), encoding="latin-1") if line.strip()]
    item_index = {it[0]: i for i, it in enumerate(items)}
    genres = [[g for g, flag in enumerate(it[5:]) if flag == "1"] for it in items]
    pairs = []
    for line in open(os.path.join(d, "u.data")):
        u, i, _, _ = line.split("\t")
        pairs.append((user_index[u], item_index[i]))
    return user_ids, len(vocab), genres, np.array(pairs, dtype=np.int64)


def throughput(step, batches, examples_per_batch, warmup=3):
    for b in batches[:warmup]:
        step(b)
    start = time.perf_counter()
    for b in batches[warmup:]:
        step(b)
    seconds = time.perf_counter() - start
    return examples_per_batch * (len(batches) - warmup) / seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=os.environ.get("FUNNEL_DATA", "../shared/data"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--model", choices=["all", "dcn", "deepfm", "din", "two-tower"], default="all",
                        help="measure one model only, as `funnel bench models --model` does")
    args = parser.parse_args()
    wanted = lambda name: args.model in ("all", name)
    torch.set_num_threads(args.threads)
    torch.manual_seed(2021)
    rng = np.random.default_rng(2021)
    result = {"peer": f"pytorch {torch.__version__} (CPU capability {torch.backends.cpu.get_cpu_capability()})",
              "threads": args.threads}

    if wanted("dcn") or wanted("deepfm"):
        ids, labels, batches = frappe_batches(args, rng)
    if wanted("dcn"):
        dcn(result, ids, labels, batches)
    if wanted("deepfm"):
        deepfm(result, ids, labels, batches)
    if wanted("din"):
        din(result, args)
    if wanted("two-tower"):
        two_tower(result, args, rng)
    result["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def frappe_batches(args, rng):
    """Frappe_x1's training split and the batches of 4,096 rows both Frappe models train on."""
    ids, labels = read_libfm(os.path.join(args.data, "frappe", "frappe.train.libfm"))
    batch = 4096
    order = rng.permutation(len(labels))
    batches = [torch.from_numpy(order[(k * batch) % (len(order) - batch):][:batch]) for k in range(args.steps + 3)]
    return torch.from_numpy(ids), torch.from_numpy(labels), batches


def dcn(result, ids_t, labels_t, batches):
    """DCN-v2 training at batch 4096, then scoring 1,000 candidates in float32 and bfloat16."""
    batch = len(batches[0])
    model = DCNv2()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    def dcn_step(rows):
        optimizer.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(ids_t[rows]), labels_t[rows])
        loss.backward()
        optimizer.step()
    result["dcn_v2_train_examples_per_second"] = throughput(dcn_step, batches, batch)

    # DCN-v2 scoring of 1,000 candidates (inference mode), latency per call.
    model.eval()
    candidates = ids_t[:1000].clone()
    times = []
    with torch.inference_mode():
        for _ in range(20):
            model(candidates)
        for _ in range(200):
            start = time.perf_counter()
            torch.sigmoid(model(candidates))
            times.append(time.perf_counter() - start)
    times.sort()
    result["dcn_v2_score_1000_p50_ms"] = 1000 * times[len(times) // 2]
    result["dcn_v2_score_1000_p99_ms"] = 1000 * times[int(len(times) * 0.99)]

    # The same in bfloat16 (autocast: products in bfloat16, oneDNN's AMX kernels where the CPU
    # has them), beside Funnel's bfloat16 products.
    times = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for _ in range(20):
            model(candidates)
        for _ in range(200):
            start = time.perf_counter()
            torch.sigmoid(model(candidates).float())
            times.append(time.perf_counter() - start)
    times.sort()
    result["dcn_v2_score_1000_bf16_p50_ms"] = 1000 * times[len(times) // 2]
    result["dcn_v2_score_1000_bf16_p99_ms"] = 1000 * times[int(len(times) * 0.99)]



def deepfm(result, ids_t, labels_t, batches):
    """DeepFM training at batch 4096."""
    batch = len(batches[0])
    deepfm = DeepFM()
    optimizer_fm = torch.optim.Adam(deepfm.parameters(), lr=1e-3)
    deepfm.train()
    def deepfm_step(rows):
        optimizer_fm.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(deepfm(ids_t[rows]), labels_t[rows])
        loss.backward()
        optimizer_fm.step()
    result["deepfm_train_examples_per_second"] = throughput(deepfm_step, batches, batch)



def din(result, args):
    """DIN training: 512 positions and a negative each (1,024 rows), histories of 50."""
    din = DIN()
    sparse = [din.items.weight, din.recency.weight, din.item_bias.weight]
    dense = [p for p in din.parameters() if all(p is not q for q in sparse)]
    optimizers = [torch.optim.SparseAdam(sparse, lr=1e-3), torch.optim.Adam(dense, lr=1e-3)]
    recency = torch.arange(49, -1, -1).repeat(1024, 1)
    mask = torch.ones(1024, 50, dtype=torch.bool)
    din_labels = torch.tensor([1.0, 0.0]).repeat(512)
    def din_batch():
        histories = torch.randint(0, 23715, (512, 50)).repeat_interleave(2, dim=0)
        return torch.randint(0, 23715, (1024,)), histories
    def din_step(batch):
        targets, histories = batch
        for o in optimizers:
            o.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(din(targets, histories, recency, mask), din_labels)
        loss.backward()
        for o in optimizers:
            o.step()
    result["din_train_examples_per_second"] = throughput(din_step, [din_batch() for _ in range(args.steps + 3)], 1024)



def two_tower(result, args, rng):
    """Two-tower training on MovieLens-100K, batch 1024, dimension 64."""
    user_ids, user_vocab, genres, pairs = movielens(args.data)
    user_t = torch.from_numpy(user_ids)
    user_tower = Tower(user_vocab, 5)
    item_tower = Tower(len(genres), 1, bag_vocab=19)
    params = list(user_tower.parameters()) + list(item_tower.parameters())
    optimizer2 = torch.optim.Adam(params, lr=1e-3)
    counts = np.bincount(pairs[:, 1], minlength=len(genres)).astype(np.float64)
    log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / len(pairs)).astype(np.float32))
    batch2 = 1024
    order2 = rng.permutation(len(pairs))
    batches2 = [order2[(k * batch2) % (len(order2) - batch2):][:batch2] for k in range(args.steps + 3)]
    def tower_step(rows):
        users = torch.from_numpy(pairs[rows, 0])
        items = pairs[rows, 1]
        bag = [g for i in items for g in genres[i]]
        offsets = np.cumsum([0] + [len(genres[i]) for i in items[:-1]])
        optimizer2.zero_grad(set_to_none=True)
        u = F.normalize(user_tower(user_t[users]), dim=1)
        v = F.normalize(item_tower(torch.from_numpy(items).unsqueeze(1), torch.tensor(bag, dtype=torch.int64),
                                   torch.from_numpy(offsets)), dim=1)
        logits = u @ v.T / 0.05 - log_q[torch.from_numpy(items)]
        loss = F.cross_entropy(logits, torch.arange(len(rows)))
        loss.backward()
        optimizer2.step()
    result["two_tower_train_examples_per_second"] = throughput(tower_step, batches2, batch2)


if __name__ == "__main__":
    main()
