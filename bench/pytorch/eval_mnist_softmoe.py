"""Reference for bench/eval.bench.ts: the paper's MNIST Soft MoE forward in PyTorch (one thread, no grad) over the
Fashion-MNIST test set, batch 256, from the same safetensors checkpoint. Prints one JSON line; writes predictions.

usage: /usr/bin/python3 eval_mnist_softmoe.py MODEL.safetensors DATA_DIR PRED_OUT [BATCH]
"""
import gzip
import json
import struct
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(raw[8 + n + a : 8 + n + b], dtype="<f4").reshape(v["shape"]).copy())
    return out


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    nd = raw[3]
    dims = struct.unpack(">" + "I" * nd, raw[4 : 4 + 4 * nd])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    t_start = time.time()
    model_path, data_dir, pred_out = sys.argv[1:4]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    sd = read_safetensors(model_path)
    n = sd["phi"].shape[1]
    phi = sd["normalization_scale_param"] * sd["phi"] / (sd["phi"].square().sum(0, keepdim=True).sqrt() + 1e-6)
    experts = []
    for i in range(n):
        l1 = torch.nn.Linear(196, sd[f"experts.{i}.1.weight"].shape[0], bias=False)
        l2 = torch.nn.Linear(sd[f"experts.{i}.1.weight"].shape[0], 196, bias=False)
        l1.weight.data = sd[f"experts.{i}.1.weight"]
        l2.weight.data = sd[f"experts.{i}.3.weight"]
        experts.append(torch.nn.Sequential(torch.nn.Flatten(), l1, torch.nn.ReLU(), l2))
    dec = torch.nn.Linear(784, 10, bias=False)
    dec.weight.data = sd["decoder.1.weight"]
    imgs = read_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz")
    x_all = torch.from_numpy(imgs.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    preds = []
    t0 = time.time()
    with torch.no_grad():
        for s in range(0, x_all.shape[0], batch):
            x = (x_all[s : s + batch] - 0.1307) / 0.3081
            b = x.shape[0]
            X = x.reshape(b, 1, 2, 14, 2, 14).permute(0, 2, 4, 1, 3, 5).reshape(b, 4, 196)
            X = X / (X.square().sum(2, keepdim=True).sqrt() + 1e-6)
            logits = X @ phi
            D = logits.softmax(1)
            xt = D.transpose(1, 2) @ X
            yt = torch.cat([experts[i](xt[:, i : i + 1].reshape(b, 196)).reshape(b, 1, 196) for i in range(n)], 1)
            Y = logits.softmax(2) @ yt
            preds.append(dec(Y.flatten(1)).argmax(1))
    forward_s = time.time() - t0
    p = torch.cat(preds).numpy().astype(np.uint8)
    with open(pred_out, "wb") as f:
        f.write(p.tobytes())
    print(json.dumps({"forward_s": forward_s, "examples": int(p.shape[0]), "script_s": time.time() - t_start, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
