#!/usr/bin/env bash
# Made model-v1.pt, the version-1 model file (key=value metadata inside a
# LibTorch archive) that release 0.1.0 (commit 6ada03a) wrote. Kept so that
# tests prove such files still load. Run with that release's mri-enhance:
#   tests/data/models/make_model_v1.sh path/to/0.1.0/mri-enhance
set -euo pipefail
enhance="$1"
work="$(mktemp -d)"
"$enhance" demo-dataset --out "$work/data" --slices 4 --seed 3
OMP_WAIT_POLICY=passive "$enhance" train --dataset "$work/data" --model "$(dirname "$0")/model-v1.pt" \
  --epochs 2 --depth 1 --base-channels 2 --patch 16 --patches-per-image 2 --batch 2 --seed 7 \
  --validation 0.25 --threads 1
rm -rf "$work"
