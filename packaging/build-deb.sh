#!/usr/bin/env bash
# Builds the Debian package mri-enhance-studio_<version>_amd64.deb and prints
# its path. Configures and builds into build/ (Release) first, like
# packaging/build.sh; extra arguments go to CMake. Needs help2man and dpkg-dev
# (packaging/install-deps.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >&2
cmake --build "$build" -j "$(nproc)" >&2
out="$build/package"
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out" >&2)
deb="$(ls -t "$out"/mri-enhance-studio_*_amd64.deb | head -n 1)"
echo "$deb"
