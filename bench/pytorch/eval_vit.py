#!/usr/bin/python3
"""Best vectorised PyTorch for `softmoe eval` of a Soft MoE ViT: the forward in batches (experts stacked, one bmm
each; inference_mode; one thread), argmax, correct count. The dataset is in memory before timing.

  /usr/bin/python3 bench/pytorch/eval_vit.py MODEL.pt CONFIG.json DATA_DIR [--split test] [--limit N] [--batch 256]
"""
import time

import torch

from common import print_result, vit_cli


def main():
    a, model, x_u8, y = vit_cli()
    correct = 0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for s in range(0, len(y), a.batch):
            logits = model.forward_from(model.stem(model.images(x_u8[s:s + a.batch])))
            correct += int((logits.argmax(1) == y[s:s + a.batch]).sum())
    print_result({'seconds': time.perf_counter() - t0, 'num_examples': len(y), 'correct': correct})


if __name__ == '__main__':
    main()
