#!/usr/bin/env bash
# Rewrites the committed seed corpora (tests/fuzz/corpus/<target>/) with
# fuzz_make_corpus from a normal build: ./make_corpus.sh [BUILD_DIR]
# Inputs that once found a bug (corpus/<target>/regression-*) are kept.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build}"
cmake --build "$build" --target fuzz_make_corpus
"$build/tests/fuzz/fuzz_make_corpus" "$here/corpus"
