#!/bin/bash
# Sharded enhancement on one machine: one process with every CPU against the
# README's GNU parallel recipe (PARTS parts, CPUs / PARTS threads each) and the
# merge, on the same dataset and model, in one run, and whether the merged CSV
# and images equal a single run's (they do with the same thread count). Run by hand:
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
cp -r "$work/base" "$work/single-part-threads"
cp -r "$work/base" "$work/sharded"
threads=$(( $(nproc) / parts ))
if [ "$threads" -lt 1 ]; then threads=1; fi

seconds() { local start end; start=$(date +%s%N); "$@" > /dev/null 2>&1 || true; end=$(date +%s%N); awk -v ns=$((end - start)) 'BEGIN { printf "%.1f", ns / 1e9 }'; }
single=$(seconds mri-enhance enhance --dataset "$work/single" --model "$work/model.pt" --quiet)
singleThreads=$(seconds mri-enhance enhance --dataset "$work/single-part-threads" --model "$work/model.pt" --threads "$threads" --quiet)
sharded=$(seconds bash "$root/packaging/cluster/enhance-parallel.sh" "$work/sharded" "$work/model.pt" "$parts")
# Equal: the same CSV (but for the folder's name) and the same files.
equal() {
  if cmp -s <(sed "s#$work/$1#D#g" "$work/$1/brain_tumor_info_metrics.csv") \
            <(sed "s#$work/$2#D#g" "$work/$2/brain_tumor_info_metrics.csv") \
     && diff -rq "$work/$1/enhanced_images" "$work/$2/enhanced_images" > /dev/null; then
    echo yes
  else
    echo no
  fi
}
echo "| ${slices} slices of the demo, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')) | seconds | CSV and images equal to the sharded run's |"
echo "|---|---|---|"
echo "| one process, every CPU | $single | $(equal single sharded) |"
echo "| one process, $threads thread(s) | $singleThreads | $(equal single-part-threads sharded) |"
echo "| enhance-parallel.sh: $parts parts of $threads thread(s) at once, then merge | $sharded | |"
