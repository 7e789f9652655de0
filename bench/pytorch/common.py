"""Shared helpers of the best-PyTorch references in bench/pytorch (read by bench/speed.bench.ts): checkpoint and IDX
readers, the paper's MNIST Soft MoE and the bwconrad Soft MoE ViT as plain vectorised tensors (stacked expert
weights, no Python loop over experts), and the analysis statistics `softmoe analyze` computes, vectorised.

Every script runs with torch.set_num_threads(1) under torch.inference_mode(), reads the dataset into memory before
timing, and prints one line "RESULT {json}" with the timed seconds of its main loop.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'reference'))
from softmoe_ref import read_idx  # noqa: E402  (the project's one IDX reader)

torch.set_num_threads(1)


def fashion(data_dir, split, limit=None):
    name = 't10k' if split == 'test' else 'train'
    x = read_idx(f'{data_dir}/{name}-images-idx3-ubyte.gz')
    y = read_idx(f'{data_dir}/{name}-labels-idx1-ubyte.gz')
    if limit:
        x, y = x[:limit], y[:limit]
    return x, torch.from_numpy(y.astype(np.int64))


def load_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        dt = {'F32': '<f4', 'F16': '<f2', 'BF16': None}[e['dtype']]
        arr = np.frombuffer(raw, dtype=dt, count=(b - a) // np.dtype(dt).itemsize, offset=8 + n + a).astype(np.float32)
        out[name] = torch.from_numpy(arr.copy()).reshape(e['shape'])
    return out


def load_state(path):
    if path.endswith('.safetensors'):
        return load_safetensors(path)
    sd = torch.load(path, map_location='cpu')
    return sd.get('model', sd) if isinstance(sd, dict) else sd


def vit_cli(limit=None, extra=None):
    """The command line both ViT scripts share (MODEL CONFIG DATA [--split] [--limit] [--batch], plus `extra(ap)`'s
    flags): the parsed arguments, the model and the dataset in memory."""
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('config')
    ap.add_argument('data')
    ap.add_argument('--split', default='test')
    ap.add_argument('--limit', type=int, default=limit)
    ap.add_argument('--batch', type=int, default=256)
    if extra:
        extra(ap)
    a = ap.parse_args()
    with open(a.config) as f:
        model = Vit(load_state(a.model), json.load(f))
    x_u8, y = fashion(a.data, a.split, a.limit)
    return a, model, x_u8, y


# ---------------------------------------------------------------- the paper's MNIST model, vectorised
class MnistSoftMoE:
    """The paper's MNIST Soft MoE (normalised tokens and phi with a learnable scale, ReLU experts without bias, p = 1
    slot per expert, linear decoder) with the experts' weights stacked [n, ...] so all experts run in one bmm."""

    def __init__(self, sd, patch=14, mean=0.1307, std=0.3081):
        self.n = sd['phi'].shape[1]
        self.phi = sd['normalization_scale_param'] * sd['phi'] / (sd['phi'].square().sum(0, keepdim=True).sqrt() + 1e-6)
        self.w1 = torch.stack([sd[f'experts.{e}.1.weight'].t() for e in range(self.n)])  # [n, d, h]
        self.w2 = torch.stack([sd[f'experts.{e}.3.weight'].t() for e in range(self.n)])  # [n, h, d]
        self.dec = sd['decoder.1.weight']  # [C, m*d]
        self.patch, self.mean, self.std = patch, mean, std
        self.d = self.phi.shape[0]
        self.classes = self.dec.shape[0]
        self.m = self.dec.shape[1] // self.d
        # The experts' second layer folded into the readout, as softmoe does: U[e] = W2_e . W_t for every token t,
        # [n, h, m*C], so a slot's contribution to every token's logits is its hidden activation times U[e].
        wt = self.dec.reshape(self.classes, self.m, self.d).permute(2, 1, 0).reshape(self.d, self.m * self.classes)  # [d, m*C]
        self.u = torch.matmul(self.w2, wt).contiguous()

    def tokens(self, u8):
        x = (torch.from_numpy(np.array(u8, dtype=np.float32)).div_(255.0) - self.mean) / self.std
        b, hh, ww = x.shape
        g, p = hh // self.patch, self.patch
        return x.reshape(b, g, p, g, p).permute(0, 1, 3, 2, 4).reshape(b, g * g, p * p)

    def trace(self, X):
        """Routing, logits, per-slot contributions [b, n, m, C] and summed expert outputs [n, d] of tokens X [b, m, d]
        (the experts' second layer folded into the readout; no slot's d-dimensional output is formed)."""
        Xn = X / (X.square().sum(2, keepdim=True).sqrt() + 1e-6)
        L = Xn @ self.phi  # [b, m, n]
        D = torch.softmax(L, 1)
        C = torch.softmax(L, 2)
        Xs = D.transpose(1, 2) @ Xn  # [b, n, d]
        H = torch.relu(torch.bmm(Xs.transpose(0, 1), self.w1))  # [n, b, h]
        b = X.shape[0]
        P = torch.bmm(H, self.u).reshape(self.n, b, self.m, self.classes).transpose(0, 1)  # [b, n, m, C]
        logits = (C.transpose(1, 2)[..., None] * P).sum((1, 2))
        out_sum = torch.bmm(H.sum(1, keepdim=True), self.w2).squeeze(1)  # [n, d]
        return L, D, C, out_sum, logits, P


# ---------------------------------------------------------------- statistics softmoe analyze keeps (vectorised)
class Stats:
    """Counts per k (heuristic, random trials), per class, class x expert mass and selection, load, dispatch load,
    combine entropy, top-10% share and mean expert output: what `softmoe analyze` accumulates."""

    def __init__(self, n, classes, ks, trials, d, layers=1):
        K = len(ks)
        self.ks = ks
        self.full = 0
        self.support = torch.zeros(classes, dtype=torch.int64)
        self.full_per_class = torch.zeros(classes, dtype=torch.int64)
        self.heur = {}
        self.rand = {}
        self.heur_per_class = torch.zeros(K, classes, dtype=torch.int64)
        self.layers = [dict(cem=torch.zeros(classes, n, dtype=torch.float64), sel=torch.zeros(K, classes, n, dtype=torch.int64),
                            load=torch.zeros(n, dtype=torch.float64), dload=torch.zeros(n, dtype=torch.float64),
                            entropy=0.0, top10=0.0, out=torch.zeros(n, d, dtype=torch.float64)) for _ in range(layers)]
        self.n, self.classes, self.trials = n, classes, trials

    def count(self, name, drop, correct_per_k):
        key = (name, drop)
        self.heur[key] = self.heur.get(key, 0) + correct_per_k

    def count_random(self, drop, correct_tk):
        self.rand[drop] = self.rand.get(drop, 0) + correct_tk

    def add_full(self, pred, y):
        ok = pred == y
        self.full += int(ok.sum())
        self.support += torch.bincount(y, minlength=self.classes)
        self.full_per_class += torch.bincount(y[ok], minlength=self.classes)

    def add_heuristic_per_class(self, pred_kb, y):
        """pred_kb [K, b] predictions at each k."""
        ok = pred_kb == y[None, :]
        K = pred_kb.shape[0]
        idx = (torch.arange(K)[:, None] * self.classes + y[None, :])[ok]
        self.heur_per_class += torch.bincount(idx, minlength=K * self.classes).reshape(K, self.classes)

    def add_layer(self, li, C, D, out_sum, scores, order, y, p=1):
        """C, D [b, m, n*p]; out_sum [n, d] (expert outputs summed over rows and slots); scores [b, n]; order [b, n]."""
        s = self.layers[li]
        b, m, S = C.shape
        n = S // p
        share = scores / scores.sum(1, keepdim=True)
        s['cem'].index_add_(0, y, share.double())
        s['load'] += share.sum(0).double()
        top = max(1, math.ceil(n / 10))
        s['top10'] += float(share.topk(top, dim=1).values.sum())
        # dispatch score: log of each expert's unnormalised dispatch mass, from log C - log D averaged over tokens.
        lr = (torch.log(C) - torch.log(D)).reshape(b, m, n, p)
        ds = torch.logsumexp(lr.mean(1), 2)  # [b, n]
        s['dload'] += torch.softmax(ds, 1).sum(0).double()
        s['entropy'] += float(-(C * torch.log(C)).sum())
        s['out'] += out_sum.double()
        # experts kept by the heuristic at each k, per class
        ranks = torch.empty_like(order)
        ranks.scatter_(1, order, torch.arange(n).expand(b, n))
        ks = torch.tensor(self.ks)
        kept = ranks[None, :, :] < ks[:, None, None]  # [K, b, n]
        K = len(self.ks)
        idx = (torch.arange(K)[:, None] * self.classes + y[None, :])  # [K, b]
        s['sel'] += torch.zeros(K * self.classes, n, dtype=torch.int64).index_add_(0, idx.reshape(-1), kept.reshape(K * b, n).long()).reshape(K, self.classes, n)

    def result(self, seconds, examples):
        return {
            'seconds': seconds, 'num_examples': examples, 'full_correct': self.full,
            'heuristic': {f'{k[0]}/{k[1]}': v.tolist() for k, v in self.heur.items()},
            'random': {d: v.tolist() for d, v in self.rand.items()},
        }


def correct_per_k(pred, y):
    """pred [b, K] → correct count per k [K]."""
    return (pred == y[:, None]).sum(0)


def print_result(res):
    print('RESULT ' + json.dumps(res), flush=True)


# ---------------------------------------------------------------- the Soft MoE ViT (bwconrad / timm names), vectorised
class Vit:
    """timm/bwconrad SoftMoEVisionTransformer in eval mode from a state_dict and its config.json: conv patch embedding
    as one matmul, class token, pre-norm blocks (LayerNorm eps 1e-6, fused qkv attention, exact GELU), Soft MoE MLPs
    (F.normalize of tokens and phi, phi times `scale`, experts on the normalised tokens) with the experts' weights
    stacked so every expert runs in one bmm, final norm and head on the class token (or fc_norm on the mean)."""

    def __init__(self, sd, cfg):
        self.cfg = cfg
        self.d = cfg['embed_dim']
        self.heads = cfg['num_heads']
        self.patch = cfg['patch_size']
        self.pool = cfg.get('global_pool', 'token')
        self.mean = torch.tensor(cfg['mean']).reshape(1, -1, 1, 1)
        self.std = torch.tensor(cfg['std']).reshape(1, -1, 1, 1)
        self.pw = sd['patch_embed.proj.weight'].reshape(self.d, -1).t().contiguous()  # [C*p*p, d]
        self.pb = sd['patch_embed.proj.bias']
        self.cls = sd['cls_token']
        self.pos = sd['pos_embed']
        self.blocks = []
        i = 0
        while f'blocks.{i}.norm1.weight' in sd:
            p = f'blocks.{i}.'
            blk = {k: sd[p + k] for k in ('norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'attn.qkv.bias', 'attn.proj.bias')}
            blk['qkv'] = sd[p + 'attn.qkv.weight'].t().contiguous()
            blk['proj'] = sd[p + 'attn.proj.weight'].t().contiguous()
            if p + 'mlp.phi' in sd:
                phi = sd[p + 'mlp.phi']
                dd, n, ps = phi.shape
                e = 0
                w1, b1, w2, b2 = [], [], [], []
                while f'{p}mlp.experts.{e}.fc1.weight' in sd:
                    w1.append(sd[f'{p}mlp.experts.{e}.fc1.weight'].t())
                    b1.append(sd[f'{p}mlp.experts.{e}.fc1.bias'])
                    w2.append(sd[f'{p}mlp.experts.{e}.fc2.weight'].t())
                    b2.append(sd[f'{p}mlp.experts.{e}.fc2.bias'])
                    e += 1
                blk['moe'] = dict(phi=(sd[p + 'mlp.scale'] * F.normalize(phi, dim=0)).reshape(dd, n * ps), n=n, p=ps,
                                  w1=torch.stack(w1), b1=torch.stack(b1)[:, None], w2=torch.stack(w2), b2=torch.stack(b2)[:, None])
            else:
                blk['fc1'] = sd[p + 'mlp.fc1.weight'].t().contiguous()
                blk['fc1b'] = sd[p + 'mlp.fc1.bias']
                blk['fc2'] = sd[p + 'mlp.fc2.weight'].t().contiguous()
                blk['fc2b'] = sd[p + 'mlp.fc2.bias']
            self.blocks.append(blk)
            i += 1
        self.norm = (sd['norm.weight'], sd['norm.bias']) if 'norm.weight' in sd else None
        self.fc_norm = (sd['fc_norm.weight'], sd['fc_norm.bias']) if 'fc_norm.weight' in sd else None
        self.head_w = sd['head.weight'].t().contiguous()
        self.head_b = sd['head.bias']
        self.moe_blocks = [i for i, b in enumerate(self.blocks) if 'moe' in b]

    def images(self, u8):
        """uint8 [b, H, W] or [b, H, W, C] -> normalised [b, C, H, W]."""
        x = torch.from_numpy(np.array(u8, dtype=np.float32)).div_(255.0)
        x = x[:, None] if x.dim() == 3 else x.permute(0, 3, 1, 2)
        return (x - self.mean) / self.std

    def ln(self, x, w, b):
        return F.layer_norm(x, (self.d,), w, b, 1e-6)

    def attn_half(self, x, blk):
        B, N, C = x.shape
        h = self.heads
        qkv = (self.ln(x, blk['norm1.weight'], blk['norm1.bias']) @ blk['qkv'] + blk['attn.qkv.bias']).reshape(B, N, 3, h, C // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax((q * (C // h) ** -0.5) @ k.transpose(-2, -1), -1)
        return x + ((a @ v).transpose(1, 2).reshape(B, N, C) @ blk['proj'] + blk['attn.proj.bias'])

    def dense_half(self, x, blk):
        y = F.gelu(self.ln(x, blk['norm2.weight'], blk['norm2.bias']) @ blk['fc1'] + blk['fc1b']) @ blk['fc2'] + blk['fc2b']
        return x + y

    def stem(self, x):
        B, Cin, H, W = x.shape
        p = self.patch
        g1, g2 = H // p, W // p
        patches = x[:, :, :g1 * p, :g2 * p].reshape(B, Cin, g1, p, g2, p).permute(0, 2, 4, 1, 3, 5).reshape(B, g1 * g2, Cin * p * p)
        t = patches @ self.pw + self.pb
        t = torch.cat([self.cls.expand(B, -1, -1), t], 1) + self.pos
        first = self.moe_blocks[0]
        for i in range(first):
            t = self.dense_half(self.attn_half(t, self.blocks[i]), self.blocks[i])
        return self.attn_half(t, self.blocks[first])

    def route(self, li, h):
        """MoE layer li's routing on norm2(h): normalised tokens, logits, dispatch, combine [b, m, S]."""
        blk = self.blocks[self.moe_blocks[li]]
        x = F.normalize(self.ln(h, blk['norm2.weight'], blk['norm2.bias']), dim=2)
        L = x @ blk['moe']['phi']
        return x, L, torch.softmax(L, 1), torch.softmax(L, 2)

    def experts(self, li, x, D):
        """Slot outputs [b, S, d] of every expert on its slots."""
        m = self.blocks[self.moe_blocks[li]]['moe']
        b, S = x.shape[0], D.shape[2]
        n, p = m['n'], m['p']
        xs = (D.transpose(1, 2) @ x).reshape(b, n, p, self.d).permute(1, 0, 2, 3).reshape(n, b * p, self.d)
        hid = F.gelu(torch.baddbmm(m['b1'], xs, m['w1']))
        return torch.baddbmm(m['b2'], hid, m['w2']).reshape(n, b, p, self.d).permute(1, 0, 2, 3).reshape(b, S, self.d)

    def slot_mask(self, li, mask):
        p = self.blocks[self.moe_blocks[li]]['moe']['p']
        return mask.repeat_interleave(p, 1)[:, None, :]  # [rows, 1, S]

    def c_eff(self, li, L, C, mask, drop):
        if mask is None:
            return C
        sm = self.slot_mask(li, mask)
        if drop == 'zero':
            return C * sm
        return torch.softmax(L.masked_fill(sm == 0, float('-inf')), 2)

    def advance(self, li, h, Ceff, Ys):
        """h + moe output, then on to the next MoE block's residual after attention (or the logits)."""
        h = h + Ceff @ Ys
        b0 = self.moe_blocks[li]
        nxt = self.moe_blocks[li + 1] if li + 1 < len(self.moe_blocks) else len(self.blocks)
        for i in range(b0 + 1, nxt):
            h = self.dense_half(self.attn_half(h, self.blocks[i]), self.blocks[i])
        if nxt < len(self.blocks):
            return self.attn_half(h, self.blocks[nxt])
        return self.head(h)

    def head(self, h):
        if self.pool == 'token':
            z = self.ln(h, *self.norm)[:, 0] if self.norm else h[:, 0]
        else:
            z = h[:, 1:].mean(1)
            if self.fc_norm:
                z = self.ln(z, *self.fc_norm)
        return z @ self.head_w + self.head_b

    def forward_from(self, h):
        for li in range(len(self.moe_blocks)):
            x, L, D, C = self.route(li, h)
            h = self.advance(li, h, C, self.experts(li, x, D))
        return h
