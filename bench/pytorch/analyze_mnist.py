#!/usr/bin/python3
"""Best vectorised PyTorch for what `softmoe analyze` computes on the paper's MNIST model (its fast path):
one traced forward per batch (routing, each slot's contribution to the logits through the linear decoder with the
experts' second layer folded into it, as softmoe computes it, and the summed expert outputs), then EVERY k of the heuristic and of T random orders at once by cumulative sums over the ordered experts
(zero drop: logits = bias + sum of the kept experts' contributions; renorm: per token, kept contributions divided by
kept combine mass), argmax, counts — plus the statistics softmoe keeps (per class, class x expert mass and
selection, load, dispatch load, entropy, top-10% share, mean expert output). One thread, inference_mode, the dataset
in memory before timing. Random orders come from torch's generator (softmoe draws its own, seeded per input), so
random accuracies agree statistically; full and heuristic counts agree exactly.

  /usr/bin/python3 bench/pytorch/analyze_mnist.py MODEL.safetensors DATA_DIR [--split train] [--trials 10]
      [--drop zero|renorm|both] [--batch 256] [--limit N]
"""
import argparse
import time

import torch

from common import MnistSoftMoE, Stats, correct_per_k, fashion, load_state, print_result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('data')
    ap.add_argument('--split', default='train')
    ap.add_argument('--trials', type=int, default=10)
    ap.add_argument('--drop', default='zero', choices=['zero', 'renorm', 'both'])
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--limit', type=int, default=None)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    model = MnistSoftMoE(load_state(a.model))
    x_u8, y_all = fashion(a.data, a.split, a.limit)
    n, Cls, T = model.n, model.classes, a.trials
    ks = list(range(1, n + 1))
    drops = ['zero', 'renorm'] if a.drop == 'both' else [a.drop]
    stats = Stats(n, Cls, ks, T, model.d)
    gen = torch.Generator().manual_seed(a.seed)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(y_all), a.batch):
            y = y_all[s:s + a.batch]
            b = y.shape[0]
            L, D, C, out_sum, logits, P = model.trace(model.tokens(x_u8[s:s + a.batch]))
            stats.add_full(logits.argmax(1), y)
            mass = C  # [b, m, n] (p = 1)
            contrib = C.transpose(1, 2)[..., None] * P  # [b, n, m, C]
            total = contrib.sum(2)  # [b, n, C]
            scores = mass.sum(1)  # [b, n]
            order = torch.sort(scores, dim=1, descending=True, stable=True).indices
            rnd = torch.rand(b, T, n, generator=gen).argsort(-1)  # [b, T, n]
            for drop in drops:
                if drop == 'zero':
                    heur = torch.cumsum(total.gather(1, order[..., None].expand(b, n, Cls)), 1).argmax(-1)  # [b, K]
                    tot = total[:, None].expand(b, T, n, Cls)
                    rpred = torch.cumsum(tot.gather(2, rnd[..., None].expand(b, T, n, Cls)), 2).argmax(-1)  # [b, T, K]
                else:
                    ct = contrib  # [b, n, m, C]
                    num = torch.cumsum(ct.gather(1, order[:, :, None, None].expand_as(ct)), 1)
                    den = torch.cumsum(mass.transpose(1, 2).gather(1, order[..., None].expand(b, n, model.m)), 1)
                    heur = (num / den[..., None]).sum(2).argmax(-1)
                    ct5 = ct[:, None].expand(b, T, n, model.m, Cls)
                    numr = torch.cumsum(ct5.gather(2, rnd[..., None, None].expand(b, T, n, model.m, Cls)), 2)
                    mt = mass.transpose(1, 2)[:, None].expand(b, T, n, model.m)
                    denr = torch.cumsum(mt.gather(2, rnd[..., None].expand(b, T, n, model.m)), 2)
                    rpred = (numr / denr[..., None]).sum(3).argmax(-1)
                stats.count('heuristic', drop, correct_per_k(heur, y))
                stats.count_random(drop, (rpred == y[:, None, None]).sum(0))
                if drop == drops[0]:
                    stats.add_heuristic_per_class(heur.t(), y)
            stats.add_layer(0, C, D, out_sum, scores, order, y)
    print_result(stats.result(time.perf_counter() - t0, len(y_all)))


if __name__ == '__main__':
    main()
