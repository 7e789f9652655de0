#!/usr/bin/env bash
# Regenerates every figure of REPRODUCTION.md. Needs Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist).
# About 70 minutes on a quiet 2-core machine (longer on a busy one), almost all of it training n = 16, 32 and 64.
# Outputs go to runs/repro/ (training) and docs/reproduction/ (results JSON, CSV and HTML reports).
#   SUITE="1 2 4 8" scripts/repro/reproduce.sh   reruns only those models (steps 1, 2, 2b; step 3 only with n = 16
#                                                 in it); the other models' results in docs/reproduction/ stay as
#                                                 they are, and the tables say which run each row comes from.
#   DEMO=0 …                                      leaves out step 2c (the embedded demo model, unchanged between runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
RUNS=${RUNS:-runs/repro}
OUT=${OUT:-docs/reproduction}
SUITE=${SUITE:-1 2 4 8 16 32 64}
CLI="node dist/cli.js"
mkdir -p "$OUT"
npm run build --silent

# 1. The paper's fixed-parameter suite: 15 epochs, Adam 1e-3, batch 256, seed 0 (initial weights and each epoch's
#    shuffle come from the seed alone, not from the other models). --resume continues a run that was stopped.
for n in $SUITE; do
  [ -f "$RUNS/n$n/ep15_moe.safetensors" ] || $CLI train --experts "$n" --epochs 15 --save-epochs 1,2,5,10,15 \
    --out "$RUNS" --seed 0 --no-progress --resume
done

# 2. Every model on the 10,000 test images: heuristic, random (10 trials), oracle (with its chance level: the same
#    search for a wrong label), the two alternative scores, Algorithm 2, token and expert choice, and the global
#    selector (one subset for all inputs, by backward elimination on the first 5,000 TRAINING images), both drop
#    modes. The oracle is exhaustive while C(n, k) ≤ 65,536 and greedy (labelled) beyond.
for n in $SUITE; do
  $CLI analyze "$RUNS/n$n/ep15_moe.safetensors" --data "$DATA" \
    --selectors heuristic,random,oracle,batch,dispatch,output-norm,token-choice,expert-choice,global --calibration 'train[:5000]' \
    --drop both --trials 10 --seed 0 --json "$OUT/n$n.softmoe.json" --csv "$OUT/n$n.csv" > "$OUT/n$n.summary.txt"
done

# 2b. Pruned checkpoints: the global subsets of those analyses at a half and a quarter of the experts, written with
#     softmoe prune and evaluated on the same 10,000 test images (the accuracy must equal the global renorm point).
for n in $SUITE; do
  [ "$n" -ge 4 ] || continue
  for k in $((n / 2)) $((n / 4)); do
    $CLI prune "$RUNS/n$n/ep15_moe.safetensors" --keep "$k" --from "$OUT/n$n.softmoe.json" --data "$DATA" \
      --out "$RUNS/pruned/n$n-k$k/ep15_moe-k$k.safetensors" --force --json "$OUT/prune-n$n-k$k.json" > "$OUT/prune-n$n-k$k.txt"
  done
done

# 2c. The embedded n = 16 demo model (media/demo/models/n16: the same seed-0 training stopped after 4 epochs, stored
#     as F16) with the same selectors on the same images: n = 16 figures for the new selectors even where the
#     15-epoch n = 16 model is not rerun (a few minutes).
[ "${DEMO:-1}" = 0 ] || $CLI analyze media/demo/models/n16/ep4_moe.safetensors --data "$DATA" \
  --selectors heuristic,random,oracle,batch,dispatch,output-norm,token-choice,expert-choice,global --calibration 'train[:5000]' \
  --drop both --trials 10 --seed 0 --json "$OUT/demo-n16.softmoe.json" --csv "$OUT/demo-n16.csv" > "$OUT/demo-n16.summary.txt"

# 3. Specialisation over training for n = 16 (epochs 1, 2, 5, 10, 15).
if [[ " $SUITE " == *" 16 "* ]]; then
  for e in 1 2 5 10 15; do
    $CLI analyze "$RUNS/n16/ep${e}_moe.safetensors" --data "$DATA" --drop zero --json "$OUT/n16-ep$e.softmoe.json" > "$OUT/n16-ep$e.summary.txt"
  done
fi

# 4. Theorem 1: one expert against many at the same parameter count, fitting the spectral norm of a token matrix
#    (the whole suite only).
[ "$SUITE" != "1 2 4 8 16 32 64" ] || $CLI train --task l2norm --experts 1,4,16 --epochs 100 --seed 0 --out "$RUNS/l2norm" --no-progress | tee "$OUT/l2norm.txt"

# 5. The tables of REPRODUCTION.md, from the result JSONs.
node --import tsx scripts/repro/tables.ts "$OUT" > "$OUT/tables.md"
echo "Tables: $OUT/tables.md"

# 6. Pictures by the tool's own report renderer: comparison reports of the suite and of n = 16 over training (HTML + PNG).
node --import tsx scripts/repro/report.ts "$OUT"
