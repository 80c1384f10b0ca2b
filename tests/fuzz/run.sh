#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, as many at once
# as there are cores (MRI_FUZZ_JOBS overrides; each target is one process on one
# core), on a scratch copy of its seed corpus (corpus/<target>/ is never grown
# by a run):
#
#   tests/fuzz/run.sh SECONDS [TARGET...]      targets: csv image nifti modelfile settings dicom
#
# Builds build-fuzz/ first if needed (clang 14, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer; CXX overrides the compiler). Prints per target the
# executions and whether it found anything. A finding (crash, leak, undefined
# behaviour, hang over 10 s, more than 2 GB) leaves its input under
# build-fuzz/findings/<target>/ and the log next to it; the script then exits 1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${MRI_FUZZ_BUILD_DIR:-$root/build-fuzz}"
all_targets=(csv image nifti modelfile settings dicom)

if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
  echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]   (targets: ${all_targets[*]})" >&2
  exit 2
fi
seconds="$1"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  if [ ! -d "$here/corpus/$target" ]; then
    echo "run.sh: no fuzz target '$target' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done

if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$root" # a fresh clone elsewhere (CI's) reuses the cache
  # With -g the folder is hashed too unless told not to; debug info then names
  # the folder of the first build, which only the symbolised stack traces show.
  export CCACHE_NOHASHDIR=true
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="${CXX:-clang++-14}" -DMRI_FUZZ=ON "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

# Reports go to the log; a finding aborts at once, with the input saved.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:symbolize=1"
# Third-party leaks only, each with its reason (GDCM's JPEG-LS and JPEG 2000 decoders).
export LSAN_OPTIONS="suppressions=$root/tests/sanitizer-suppressions/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# One target: its result line (and the first lines of a report) into $build/findings/TARGET.summary.
fuzz_one() {
  local target="$1"
  local work="$build/work/$target"
  local findings="$build/findings/$target"
  local log="$build/findings/$target.log"
  local summary="$build/findings/$target.summary"
  rm -rf "$work" "$findings"
  mkdir -p "$work" "$findings"
  cp -R "$here/corpus/$target/." "$work/"
  local status=0
  # -close_fd_mask=2: the decoders' own chatter on stderr (libpng, OpenCV) is
  # dropped; libFuzzer's and the sanitizers' reports still reach the log.
  "$build/tests/fuzz/fuzz_$target" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -close_fd_mask=2 -artifact_prefix="$findings/" >"$log" 2>&1 || status=$?
  local executions rate artifacts
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  artifacts="$(find "$findings" -type f | head -n 5 | tr '\n' ' ')"
  if [ "$status" -ne 0 ] || [ -n "$artifacts" ]; then
    printf '%-10s %12s %10s  %s\n' "$target" "${executions:-?}" "${rate:-?}" \
      "FOUND a problem (exit $status): ${artifacts:-see log} log: $log" >"$summary"
    grep -m 3 -E 'ERROR: |runtime error: |fuzz check failed|deadly signal|==[0-9]+==' "$log" | sed 's/^/    /' >>"$summary" || true
  else
    printf '%-10s %12s %10s  %s\n' "$target" "${executions:-?}" "${rate:-?}" "nothing found" >"$summary"
  fi
}

at_once="${MRI_FUZZ_JOBS:-$(nproc)}"
mkdir -p "$build/findings"
running=0
for target in "${targets[@]}"; do
  rm -f "$build/findings/$target.summary"
  fuzz_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$at_once" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

found=0
printf '%-10s %12s %10s  %s\n' target executions "exec/s" result
for target in "${targets[@]}"; do
  summary="$build/findings/$target.summary"
  if [ ! -s "$summary" ]; then
    found=1
    echo "$target: the run left no result (see $build/findings/$target.log)"
    continue
  fi
  cat "$summary"
  if grep -q "FOUND a problem" "$summary"; then
    found=1
  fi
done
exit "$found"
