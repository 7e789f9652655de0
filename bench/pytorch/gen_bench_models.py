#!/usr/bin/python3
"""Make the checkpoints of the speed benchmarks (bench/speed.bench.ts) that are not committed (too big, or only
for speed): generated into a folder outside the repository (default /tmp/softmoe-bench-models) and reused while
their config is unchanged.

  /usr/bin/python3 bench/pytorch/gen_bench_models.py [OUT_DIR]

  mnist-n64   the paper's MNIST Soft MoE with 64 experts (expert hidden 196*4/64 = 12, the fixed-parameter suite),
              as the parity fixtures build it (test/fixtures/engine/gen_parity.py), trained 300 steps

The model is the same plain-PyTorch bwconrad/soft-moe SoftMoEVisionTransformer (timm names) as the parity fixtures
(test/fixtures/vit/gen_vit.py), on Fashion-MNIST (28x28x1), trained briefly (a few hundred images per step, seeded)
so that routing and predictions are not trivial:
  vit-small   D 96, depth 4, 3 heads, MLP ratio 2, patch 7 (16 patches + class token), 8 experts x 2 slots in
              blocks 2 and 3
  vit-medium  D 192, depth 6, 3 heads, MLP ratio 4, patch 7, 16 experts x 2 slots in blocks 3, 4 and 5
Each folder gets model.pt (state_dict) and config.json (the hyper-parameters, as the tool reads them).
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


gv = load('gen_vit', ('test', 'fixtures', 'vit', 'gen_vit.py'))
gp = load('gen_parity', ('test', 'fixtures', 'engine', 'gen_parity.py'))

COMMON = dict(img_size=28, patch_size=7, in_chans=1, num_classes=10, global_pool='token', mean=[0.2860], std=[0.3530])
MODELS = {
    'vit-small': dict(COMMON, embed_dim=96, depth=4, num_heads=3, mlp_ratio=2.0, num_experts=8, slots_per_expert=2,
                      moe_layer_index=2, steps=150, seed=11),
    'vit-medium': dict(COMMON, embed_dim=192, depth=6, num_heads=3, mlp_ratio=4.0, num_experts=16, slots_per_expert=2,
                       moe_layer_index=3, steps=60, seed=12),
}
KW = ('img_size', 'patch_size', 'in_chans', 'num_classes', 'embed_dim', 'depth', 'num_heads', 'mlp_ratio',
      'num_experts', 'slots_per_expert', 'moe_layer_index', 'global_pool')


def mnist(out_root, n=64, steps=300):
    out = os.path.join(out_root, f'mnist-n{n}')
    args = {'method': 'soft', 'setting': 'mnist', 'patch_size': 14, 'num_experts': n, 'num_slots': 1, 'expert_out_dim': 196,
            'expert_fn_multiplier': 4 / n, 'encoder_out_dim': 196, 'decoder': 'linear', 'normalize_moe_input': True,
            'phi_init': 'uniform', 'lr': 1e-3, 'batch_size': 256, 'seed': 1000 + n, 'trained_steps': steps}
    if os.path.exists(os.path.join(out, 'model.safetensors')) and os.path.exists(os.path.join(out, 'args.json')):
        with open(os.path.join(out, 'args.json')) as f:
            if json.load(f) == args:
                print(f'mnist-n{n}: up to date in {out}')
                return
    print(f'mnist-n{n}: training {steps} steps')
    x = torch.from_numpy(gp.read_idx(f'{gp.DATA}/train-images-idx3-ubyte.gz').astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(gp.read_idx(f'{gp.DATA}/train-labels-idx1-ubyte.gz').astype(np.int64))
    torch.manual_seed(1000 + n)
    model = gp.PaperSoftMoE(n)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(n)
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (256,), generator=g)
        loss = torch.nn.functional.cross_entropy(model((x[idx] - gp.MEAN) / gp.STD), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    os.makedirs(out, exist_ok=True)
    gp.write_safetensors(os.path.join(out, 'model.safetensors'), model.state_dict())
    with open(os.path.join(out, 'args.json'), 'w') as f:
        json.dump(args, f, indent=1)
    print(f'mnist-n{n}: written to {out}')


def main():
    out_root = sys.argv[1] if len(sys.argv) > 1 else '/tmp/softmoe-bench-models'
    torch.set_num_threads(1)
    mnist(out_root)
    train_raw = gv.read_idx(f'{gv.DATA}/train-images-idx3-ubyte.gz')[:20000]
    train_lab = gv.read_idx(f'{gv.DATA}/train-labels-idx1-ubyte.gz')[:20000]
    for name, cfg in MODELS.items():
        out = os.path.join(out_root, name)
        sidecar = {k: cfg[k] for k in KW + ('mean', 'std')}
        cfg_path = os.path.join(out, 'config.json')
        if os.path.exists(os.path.join(out, 'model.pt')) and os.path.exists(cfg_path):
            with open(cfg_path) as f:
                if json.load(f) == sidecar:
                    print(f'{name}: up to date in {out}')
                    continue
        print(f'{name}: training {cfg["steps"]} steps')
        torch.manual_seed(cfg['seed'])
        rng = np.random.default_rng(cfg['seed'])
        images = gv.make_images(train_raw, cfg['img_size'], cfg['in_chans'], rng)
        model = gv.SoftMoEVisionTransformer(**{k: cfg[k] for k in KW})
        gv.train(model, images, train_lab, cfg['mean'], cfg['std'], cfg['steps'], cfg['seed'])
        os.makedirs(out, exist_ok=True)
        torch.save(model.state_dict(), os.path.join(out, 'model.pt'))
        with open(cfg_path, 'w') as f:
            json.dump(sidecar, f, indent=2)
        print(f'{name}: written to {out}')


if __name__ == '__main__':
    main()
