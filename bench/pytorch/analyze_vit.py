#!/usr/bin/python3
"""Best vectorised PyTorch for what `softmoe analyze` computes on a Soft MoE ViT with several MoE layers (its general
path), by the same algorithm: activations cached before the first MoE block, the first MoE layer's routing and expert
outputs computed once per batch and recombined for every mask, masked passes stacked into large batches (every k at
once, all random trials at once), each expert run only on the rows that keep it in later layers, and per-layer
selection for the heuristic (each layer keeps its own top k by its own combine mass on the already-masked upstream).
Random orders come from torch's generator (softmoe draws its own, seeded per input), so random accuracies agree
statistically; full and heuristic counts agree exactly where float order allows. One thread, inference_mode.

  /usr/bin/python3 bench/pytorch/analyze_vit.py MODEL.pt CONFIG.json DATA_DIR [--limit 256] [--trials 10]
      [--drop zero|renorm] [--batch 256]
"""
import time

import torch

from common import Stats, print_result, vit_cli

MAX_STATE = 2 ** 22  # float32 values of one stacked state, as softmoe's engine


def top_mask(scores, ks_rows):
    """scores [rows, n], ks_rows [rows] → keep mask [rows, n] of each row's top k (ties: lower index first)."""
    order = torch.sort(scores, dim=1, descending=True, stable=True).indices
    ranks = torch.empty_like(order)
    ranks.scatter_(1, order, torch.arange(scores.shape[1]).expand_as(order))
    return (ranks < ks_rows[:, None]).float()


def masked_experts(model, li, x, D, mask):
    """Slot outputs [rows, S, d] where each expert ran only on the rows that keep it (zeros elsewhere)."""
    m = model.blocks[model.moe_blocks[li]]['moe']
    n, p = m['n'], m['p']
    rows = x.shape[0]
    xs = (D.transpose(1, 2) @ x).reshape(rows, n, p, model.d)
    out = torch.zeros(rows, n, p, model.d)
    for e in range(n):
        idx = mask[:, e].nonzero().squeeze(1)
        if idx.numel() == 0:
            continue
        xe = xs[idx, e].reshape(-1, model.d)
        ye = torch.addmm(m['b2'][e], torch.nn.functional.gelu(torch.addmm(m['b1'][e], xe, m['w1'][e])), m['w2'][e])
        out[idx, e] = ye.reshape(-1, p, model.d)
    return out.reshape(rows, n * p, model.d)


def main():
    def extra(ap):
        ap.add_argument('--trials', type=int, default=10)
        ap.add_argument('--drop', default='zero', choices=['zero', 'renorm'])
        ap.add_argument('--seed', type=int, default=0)
    a, model, x_u8, y_all = vit_cli(limit=256, extra=extra)
    L = len(model.moe_blocks)
    n = model.blocks[model.moe_blocks[0]]['moe']['n']
    T, drop = a.trials, a.drop
    ks = list(range(1, n + 1))
    P = n - 1  # k = n is the full model
    stats = Stats(n, 10, ks, T, model.d, layers=L)
    gen = torch.Generator().manual_seed(a.seed)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(y_all), a.batch):
            y = y_all[s:s + a.batch]
            b = y.shape[0]
            h0 = model.stem(model.images(x_u8[s:s + a.batch]))
            m_tok = h0.shape[1]
            # the traced pass: full routing and slot outputs of every layer, the statistics, layer 0 kept
            h = h0
            for li in range(L):
                xn, Lg, D, C = model.route(li, h)
                Ys = model.experts(li, xn, D)
                p = model.blocks[model.moe_blocks[li]]['moe']['p']
                scores = C.reshape(b, m_tok, n, p).sum((1, 3))
                stats.add_layer(li, C, D, Ys.reshape(b, n, p, -1).sum((0, 2)), scores, torch.sort(scores, dim=1, descending=True, stable=True).indices, y, p)
                if li == 0:
                    cache = (Lg, C, Ys)
                h = model.advance(li, h, C, Ys)
            full = h.argmax(1)
            stats.add_full(full, y)
            q = max(1, MAX_STATE // (b * m_tok * model.d))

            def passes(count, masks_for):
                """Predictions [count, b] of `count` passes; masks_for(first, qq, li, routing) gives [qq*b, n]."""
                out = []
                for first in range(0, count, q):
                    qq = min(q, count - first)
                    state = h0.repeat(qq, 1, 1)
                    Lg0, C0, Y0 = (t.repeat(qq, 1, 1) for t in cache)
                    mk = masks_for(first, qq, 0, C0)
                    state = model.advance(0, state, model.c_eff(0, Lg0, C0, mk, drop), Y0)
                    for li in range(1, L):
                        xn, Lg, D, C = model.route(li, state)
                        mk = masks_for(first, qq, li, C)
                        state = model.advance(li, state, model.c_eff(li, Lg, C, mk, drop), masked_experts(model, li, xn, D, mk))
                    out.append(state.argmax(1).reshape(qq, b))
                return torch.cat(out)

            def heuristic_masks(first, qq, li, C):
                p = model.blocks[model.moe_blocks[li]]['moe']['p']
                k_rows = torch.arange(first + 1, first + qq + 1).repeat_interleave(b)
                return top_mask(C.reshape(qq * b, m_tok, n, p).sum((1, 3)), k_rows)

            heur = torch.cat([passes(P, heuristic_masks), full[None]]).t()  # [b, K]
            stats.count('heuristic', drop, (heur == y[:, None]).sum(0))
            stats.add_heuristic_per_class(heur.t(), y)

            perms = torch.rand(T, L, b, n, generator=gen).argsort(-1)  # [T, L, b, n]
            ranks = torch.empty_like(perms)
            ranks.scatter_(3, perms, torch.arange(n).expand_as(perms))

            def random_masks(first, qq, li, _C):
                idx = torch.arange(first, first + qq)  # pass = t * P + j
                t, j = idx // P, idx % P
                return (ranks[t, li] < (j + 1)[:, None, None]).float().reshape(qq * b, n)

            rnd = passes(T * P, random_masks).reshape(T, P, b)
            correct = (rnd == y[None, None]).sum(2)  # [T, P]
            stats.count_random(drop, torch.cat([correct, torch.full((T, 1), int((full == y).sum()))], 1))
    print_result(stats.result(time.perf_counter() - t0, len(y_all)))


if __name__ == '__main__':
    main()
