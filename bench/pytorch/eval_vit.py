#!/usr/bin/python3
"""Best vectorised PyTorch for `softmoe eval` of a Soft MoE ViT: the forward in batches (experts stacked, one bmm
each; inference_mode; one thread), argmax, correct count. The dataset is in memory before timing.

  /usr/bin/python3 bench/pytorch/eval_vit.py MODEL.pt CONFIG.json DATA_DIR [--split test] [--limit N] [--batch 256]
"""
import argparse
import json
import time

import torch

from common import Vit, fashion, load_state, print_result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('config')
    ap.add_argument('data')
    ap.add_argument('--split', default='test')
    ap.add_argument('--limit', type=int, default=None)
    ap.add_argument('--batch', type=int, default=256)
    a = ap.parse_args()
    with open(a.config) as f:
        model = Vit(load_state(a.model), json.load(f))
    x_u8, y = fashion(a.data, a.split, a.limit)
    correct = 0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(y), a.batch):
            logits = model.forward_from(model.stem(model.images(x_u8[s:s + a.batch])))
            correct += int((logits.argmax(1) == y[s:s + a.batch]).sum())
    print_result({'seconds': time.perf_counter() - t0, 'num_examples': len(y), 'correct': correct})


if __name__ == '__main__':
    main()
