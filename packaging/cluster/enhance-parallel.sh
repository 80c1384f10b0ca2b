#!/bin/bash
# Every part of a dataset at once on one big machine with GNU parallel, each
# part with its share of the CPUs, then the merge:
#   enhance-parallel.sh DATASET MODEL [PARTS]
set -u
dataset="$1"
model="$2"
parts="${3:-4}"
threads=$(( $(nproc) / parts ))
if [ "$threads" -lt 1 ]; then threads=1; fi
# A part that fails is reported by merge, which then names it.
seq 0 $(( parts - 1 )) | parallel --will-cite --jobs "$parts" --line-buffer \
  mri-enhance enhance --dataset "$dataset" --model "$model" --shard {}/"$parts" --threads "$threads" --quiet
mri-enhance merge --dataset "$dataset"
