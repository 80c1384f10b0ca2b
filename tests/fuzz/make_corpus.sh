#!/usr/bin/env bash
# Rewrites the committed seed corpora (tests/fuzz/corpus/<target>/) with
# fuzz_make_corpus from a normal build: ./make_corpus.sh [BUILD_DIR]
# Inputs that once found a bug (corpus/<target>/regression-*) are kept.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../../build}"
cmake --build "$build" --target fuzz_make_corpus
"$build/tests/fuzz/fuzz_make_corpus" "$here/corpus"
# A few small real files from Debian's python3-pydicom test data (public test
# files): transfer syntaxes, a cut file, a damaged multi-frame header.
pydicom=/usr/lib/python3/dist-packages/pydicom/data/test_files
if [ -d "$pydicom" ]; then
  for name in MR_small.dcm MR_small_RLE.dcm MR_small_bigendian.dcm MR_small_implicit.dcm \
              MR_small_jpeg_ls_lossless.dcm MR_small_jp2klossless.dcm MR_truncated.dcm JPEG2000.dcm \
              rtdose_1frame.dcm rtdose_rle.dcm; do
    cp "$pydicom/$name" "$here/corpus/dicom/pydicom-$name"
  done
fi
