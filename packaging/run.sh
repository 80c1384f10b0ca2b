#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build,
# and run the main job on the demo dataset (built from Debian's mricron-data
# Colin27 T1 volume) or on DATASET_DIR when given:
#   packaging/run.sh [--headless] [DATASET_DIR]
# With a display it opens mri-studio; with --headless (or no display) it trains,
# enhances and compares with the mri-enhance command line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
headless=0
dataset=""
for argument in "$@"; do
  case "$argument" in
    --headless) headless=1 ;;
    *) dataset="$argument" ;;
  esac
done
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  headless=1
fi

"$root/packaging/install-deps.sh"
"$root/packaging/build.sh"
tool="$root/build/app/mri-enhance"

if [ -z "$dataset" ]; then
  dataset="$root/build/demo"
  if [ ! -f "$dataset/brain_tumor_info.csv" ]; then
    "$tool" demo-dataset --out "$dataset"
  fi
fi

if [ "$headless" -eq 0 ] && [ -x "$root/build/app/mri-studio" ]; then
  exec "$root/build/app/mri-studio" "$dataset"
fi

model="$dataset/mri_enhance_model.pt"
"$tool" train --dataset "$dataset" --model "$model" --seed 1
status=0
"$tool" enhance --dataset "$dataset" --model "$model" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
  exit "$status"
fi
"$tool" compare --dataset "$dataset" --out "$dataset/comparison.png" --seed 1
echo "Enhanced slices: $dataset/enhanced_images/"
echo "Metrics CSV:     $dataset/brain_tumor_info_metrics.csv"
echo "Comparison:      $dataset/comparison.png"
exit "$status"
