#!/usr/bin/env bash
# The sanitizer job of CI (.ci/run, after packaging/test.sh): builds the
# engine's and the command line's tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-sanitize/, -DMRI_SANITIZE=ON; no GUI) and
# runs them with CTest, then every fuzz target for 60 s on its seed corpus
# (tests/fuzz/run.sh 60, its own clang build in build-fuzz/). Any sanitizer
# report fails the job; the suppressions (tests/sanitizer-suppressions/) are for
# third-party libraries only. Extra arguments go to CMake.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-sanitize"
start=$(date +%s)

"$root/packaging/install-deps.sh"
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$root"
  # With -g the folder is hashed too unless told not to; debug info then names
  # the folder of the first build, which only the symbolised stack traces show.
  export CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMRI_SANITIZE=ON -DMRI_BUILD_GUI=OFF \
  "${launcher[@]}" "$@"
cmake --build "$build" -j "$(nproc)"
built=$(date +%s)
echo "sanitize.sh: built in $((built - start)) s"

ctest --test-dir "$build" --output-on-failure --timeout 900
tested=$(date +%s)
echo "sanitize.sh: sanitized tests ran in $((tested - built)) s"

# Every target for 60 s on its seed corpus.
"$root/tests/fuzz/run.sh" 60
echo "sanitize.sh: fuzzing ran in $(($(date +%s) - tested)) s; $(($(date +%s) - start)) s in all"
