#!/usr/bin/env bash
# Builds the Debian package mri-enhance-studio_<version>_amd64.deb and prints
# its path (the last line of output). Its own build folder, build-deb/
# (Release, no tests); extra arguments go to CMake. Needs help2man and
# dpkg-dev besides the build dependencies (packaging/install-deps.sh).
#   sudo apt install ./build-deb/package/mri-enhance-studio_<version>_amd64.deb
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-deb"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMRI_BUILD_TESTS=OFF "${launcher[@]}" "$@" >&2
cmake --build "$build" -j "$(nproc)" >&2
out="$build/package"
rm -f "$out"/mri-enhance-studio_*.deb
(cd "$build" && cpack -G DEB -B "$out" >&2)
deb=("$out"/mri-enhance-studio_*_amd64.deb)
[ -f "${deb[0]}" ] || { echo "build-deb.sh: cpack wrote no package to $out" >&2; exit 1; }
echo "${deb[0]}"
