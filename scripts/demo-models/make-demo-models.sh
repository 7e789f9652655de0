#!/usr/bin/env bash
# Regenerates the embedded demo suite in media/demo/models/: the paper's fixed-parameter MNIST Soft MoE with
# n = 1, 2, 4, 8, 16 experts, trained on the 60,000 Fashion-MNIST training images (Debian's dataset-fashion-mnist)
# for 4 epochs each, seed 0, wasm backend, saved as F16 safetensors (ep4_moe.safetensors) with args.json and
# train_log.json. About 20 minutes on a shared 2-core machine; deterministic for the seed on the wasm backend.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=media/demo/models
DATA="${SOFTMOE_TRAIN_DATA:-/usr/share/datasets/fashion-mnist}"
EPOCHS="${SOFTMOE_DEMO_EPOCHS:-4}"
rm -rf "$OUT.tmp"
nice -n 10 npx tsx src/cli/main.ts train --experts 1,2,4,8,16 --epochs "$EPOCHS" --seed 0 --data "$DATA" \
  --out "$OUT.tmp" --half --backend wasm --no-progress
# The resume state (F32 weights + Adam moments) is not part of the demo.
rm -f "$OUT.tmp"/n*/optimizer.safetensors
sed -i "s#\"save_dir\": \"$OUT.tmp\"#\"save_dir\": \"$OUT\"#" "$OUT.tmp"/n*/args.json
mkdir -p "$OUT"
for d in "$OUT.tmp"/n*; do rm -rf "$OUT/$(basename "$d")"; mv "$d" "$OUT/"; done
rmdir "$OUT.tmp"
echo "demo suite written to $OUT"
