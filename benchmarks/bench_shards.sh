#!/bin/bash
# Sharded enhancement on one machine: one process with every CPU against the
# README's GNU parallel recipe (PARTS parts, CPUs / PARTS threads each) and the
# merge, on the same dataset and model, in one run. Also checks that the merged
# CSV equals the single run's. Run by hand:
#   benchmarks/bench_shards.sh BUILD_DIR [SLICES] [PARTS]
# Prints a Markdown table (the README quotes it).
set -euo pipefail
build="$(cd "${1:?build folder}" && pwd)"
slices="${2:-60}"
parts="${3:-2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$build/app:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mri-enhance demo-dataset --out "$work/base" --slices "$slices" --quiet
mri-enhance train --dataset "$work/base" --model "$work/model.pt" --seed 1 --epochs 1 --quiet
cp -r "$work/base" "$work/single"
cp -r "$work/base" "$work/sharded"

seconds() { local start end; start=$(date +%s%N); "$@" > /dev/null 2>&1 || true; end=$(date +%s%N); awk -v ns=$((end - start)) 'BEGIN { printf "%.1f", ns / 1e9 }'; }
single=$(seconds mri-enhance enhance --dataset "$work/single" --model "$work/model.pt" --quiet)
sharded=$(seconds bash "$root/packaging/cluster/enhance-parallel.sh" "$work/sharded" "$work/model.pt" "$parts")
same="no"
if cmp -s <(sed "s#$work/single#D#g" "$work/single/brain_tumor_info_metrics.csv") \
          <(sed "s#$work/sharded#D#g" "$work/sharded/brain_tumor_info_metrics.csv") \
   && diff -rq "$work/single/enhanced_images" "$work/sharded/enhanced_images" > /dev/null; then
  same="yes"
fi
echo "| ${slices} slices of the demo, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')) | seconds |"
echo "|---|---|"
echo "| one process, every CPU | $single |"
echo "| enhance-parallel.sh, $parts parts, then merge | $sharded |"
echo "| merged CSV and images equal the single run's | $same |"
