"""Algorithm 1 analysis the way the paper's code does it (beyond-param-count, mnist_experiments), for comparison.

For every batch, every k and every random trial it runs a masked forward pass that recomputes the experts
(expert_masked_forward: each expert runs on the inputs that keep it; C is not renormalised — `zero`; or
orig_expert_masked_forward: dropped logits -> -inf before both softmaxes — `renorm`). Random subsets are drawn
vectorised per batch (torch.rand(...).argsort). One thread, Debian PyTorch with OpenBLAS. Run with /usr/bin/python3:

  /usr/bin/python3 bench/pytorch/analyze_paper_style.py MODEL.safetensors --data /usr/share/datasets/fashion-mnist

Prints the time and the heuristic accuracy per k as one JSON line ("RESULT {...}"). With --random softmoe the
random subsets are those softmoe draws (the same seeded generator), so the random curves can be compared exactly.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "reference"))
from softmoe_ref import PaperMnistSoftMoE, read_idx, read_safetensors  # noqa: E402  (the paper model the fixtures use)

torch.set_num_threads(1)
MEAN, STD = 0.1307, 0.3081
M32 = 0xFFFFFFFF


def prepare(images_u8):
    x = torch.from_numpy(images_u8.astype(np.float32)).div(255.0).unsqueeze(1)
    return (x - MEAN) / STD


# softmoe's seeded generator (src/core/train/prng.ts, mulberry32 over a splitmix-mixed seed), bit for bit.
def _imul(a, b):
    return (a * b) & M32


def mix_seed(*parts):
    h = 0x9E3779B9
    for p in parts:
        h = _imul(h ^ (p & M32), 0x85EBCA6B)
        h ^= h >> 13
        h = _imul(h, 0xC2B2AE35)
        h ^= h >> 16
        h = (h + p // 4294967296) & M32
    return h


class Prng:
    def __init__(self, seed):
        self.state = mix_seed(seed, 0x2545F491)

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & M32
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0

    def int(self, n):
        return int(self.next() * n)


def softmoe_orders(seed, index, trials, n):
    """softmoe's randomOrders for one MoE layer: a Fisher-Yates permutation per trial."""
    rng = Prng(mix_seed(seed, index))
    out = []
    for _ in range(trials):
        p = list(range(n))
        for a in range(n - 1, 0, -1):
            j = rng.int(a + 1)
            p[a], p[j] = p[j], p[a]
        out.append(p)
    return out


def analyze(model, x, y, ks, trials, drops, batch, random="torch", seed=0):
    n = model.num_experts
    res = {"full_correct": 0, "heuristic": {d: [0] * len(ks) for d in drops}, "random": {d: [[0] * len(ks) for _ in range(trials)] for d in drops}}
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for s in range(0, len(y), batch):
            xb, yb = x[s : s + batch], y[s : s + batch]
            B = len(yb)
            logits, C = model.forward_with_combine(xb)
            res["full_correct"] += int((logits.argmax(1) == yb).sum())
            rank = torch.argsort(C.sum(dim=1), dim=1, descending=True)
            if random == "torch":
                perms = torch.rand(trials, B, n, generator=gen).argsort(dim=2)
            else:
                perms = torch.tensor([softmoe_orders(seed, s + i, trials, n) for i in range(B)]).permute(1, 0, 2)
            for d in drops:
                fwd = model.forward_zero if d == "zero" else model.forward_renorm
                for ki, k in enumerate(ks):
                    keep = torch.zeros(B, n, dtype=torch.bool)
                    keep[torch.arange(B)[:, None], rank[:, :k]] = True
                    res["heuristic"][d][ki] += int((fwd(xb, keep).argmax(1) == yb).sum())
                    for t in range(trials):
                        keep = torch.zeros(B, n, dtype=torch.bool)
                        keep[torch.arange(B)[:, None], perms[t, :, :k]] = True
                        res["random"][d][t][ki] += int((fwd(xb, keep).argmax(1) == yb).sum())
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--drop", default="zero", choices=["zero", "renorm", "both"])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--random", default="torch", choices=["torch", "softmoe"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    model = PaperMnistSoftMoE.from_state(read_safetensors(args.model))
    imgs = read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz")
    labels = read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz")
    if args.limit:
        imgs, labels = imgs[: args.limit], labels[: args.limit]
    x, y = prepare(imgs), torch.from_numpy(labels.astype(np.int64))
    drops = ["zero", "renorm"] if args.drop == "both" else [args.drop]
    ks = list(range(1, model.num_experts + 1))
    res = analyze(model, x, y, ks, args.trials, drops, args.batch, args.random, args.seed)
    res["seconds"] = time.time() - t0
    res["ks"] = ks
    res["num_examples"] = len(y)
    print("RESULT " + json.dumps(res))


if __name__ == "__main__":
    main()
