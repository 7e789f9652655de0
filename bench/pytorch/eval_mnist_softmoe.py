"""Reference for bench/eval.bench.ts: the paper's MNIST Soft MoE forward in PyTorch (one thread, no grad) over the
Fashion-MNIST test set, batch 256, from the same safetensors checkpoint. Prints one JSON line; writes predictions.

usage: /usr/bin/python3 eval_mnist_softmoe.py MODEL.safetensors DATA_DIR PRED_OUT [BATCH]
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "reference"))
from softmoe_ref import PaperMnistSoftMoE, read_idx, read_safetensors  # noqa: E402  (the paper model the fixtures use)

torch.set_num_threads(1)


def main():
    t_start = time.time()
    model_path, data_dir, pred_out = sys.argv[1:4]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    sd = read_safetensors(model_path)
    model = PaperMnistSoftMoE.from_state(sd)
    imgs = read_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz")
    x_all = torch.from_numpy(imgs.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    preds = []
    t0 = time.time()
    with torch.no_grad():
        for s in range(0, x_all.shape[0], batch):
            preds.append(model((x_all[s : s + batch] - 0.1307) / 0.3081).argmax(1))
    forward_s = time.time() - t0
    p = torch.cat(preds).numpy().astype(np.uint8)
    with open(pred_out, "wb") as f:
        f.write(p.tobytes())
    print(json.dumps({"forward_s": forward_s, "examples": int(p.shape[0]), "script_s": time.time() - t_start, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
