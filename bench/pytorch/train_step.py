"""PyTorch reference for bench/train.bench.ts: training-step throughput of the paper's MNIST Soft MoE (n experts,
h = int(196*4/n), m = 4 tokens of d = 196, p = 1), Adam, cross-entropy, one thread.
Prints one JSON line: {"examples_per_s": ..., "steps": ..., "batch": ..., "experts": ..., "torch": ...}.

Run: /usr/bin/python3 bench/pytorch/train_step.py [--experts 16] [--batch 256] [--steps 30]
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "reference"))
from softmoe_ref import PaperMnistSoftMoE  # noqa: E402  (the paper model the fixtures use)

torch.set_num_threads(1)
p = argparse.ArgumentParser()
p.add_argument("--experts", type=int, default=16)
p.add_argument("--batch", type=int, default=256)
p.add_argument("--steps", type=int, default=30)
a = p.parse_args()
M, D, K, N = 4, 196, 10, a.experts
H = int(196 * 4 / N)


torch.manual_seed(0)
model = PaperMnistSoftMoE(N, H, d=D, tokens=M, classes=K, patch=None)  # tokens in
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(a.batch, M, D)
y = torch.randint(0, K, (a.batch,))


def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
dt = time.perf_counter() - t0
print(json.dumps({"examples_per_s": a.steps * a.batch / dt, "steps": a.steps, "batch": a.batch, "experts": N, "torch": torch.__version__}))
