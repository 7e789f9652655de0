"""PyTorch reference for bench/train.bench.ts: training-step throughput of the paper's MNIST Soft MoE (n experts,
h = int(196*4/n), m = 4 tokens of d = 196, p = 1), Adam, cross-entropy, one thread.
Prints one JSON line: {"examples_per_s": ..., "steps": ..., "batch": ..., "experts": ..., "torch": ...}.

Run: /usr/bin/python3 bench/pytorch/train_step.py [--experts 16] [--batch 256] [--steps 30]
"""
import argparse
import json
import time

import torch
from torch import nn

torch.set_num_threads(1)
p = argparse.ArgumentParser()
p.add_argument("--experts", type=int, default=16)
p.add_argument("--batch", type=int, default=256)
p.add_argument("--steps", type=int, default=30)
a = p.parse_args()
M, D, K, N = 4, 196, 10, a.experts
H = int(196 * 4 / N)


class PaperSoftMoe(nn.Module):
    def __init__(self):
        super().__init__()
        self.phi = nn.Parameter(torch.empty(D, N).uniform_(-1, 1))
        self.normalization_scale_param = nn.Parameter(torch.tensor([1.0]))
        self.experts = nn.ModuleList(
            [nn.Sequential(nn.Identity(), nn.Linear(D, H, bias=False), nn.ReLU(), nn.Linear(H, D, bias=False)) for _ in range(N)]
        )
        self.decoder = nn.Sequential(nn.Flatten(), nn.Linear(M * D, K, bias=False))

    @staticmethod
    def norm(t, axis, eps=1e-6):
        return t / (torch.sqrt(torch.square(t).sum(axis=axis, keepdims=True)) + eps)

    def forward(self, x):
        x = self.norm(x, 2)
        phi = self.normalization_scale_param * self.norm(self.phi, 0)
        logits = torch.matmul(x, phi)
        d = torch.softmax(logits, dim=1)
        x_tilde = torch.matmul(d.transpose(1, 2), x)
        y_tilde = torch.cat([self.experts[i](x_tilde[:, i]).unsqueeze(1) for i in range(N)], dim=1)
        c = torch.softmax(logits, dim=2)
        return self.decoder(torch.matmul(c, y_tilde))


torch.manual_seed(0)
model = PaperSoftMoe()
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
