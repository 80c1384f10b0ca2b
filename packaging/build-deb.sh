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
  export CCACHE_BASEDIR="$root"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# Debian's hardening flags, as its own packages are built (dpkg-buildflags):
# fortified functions, stack protector, read-only relocations bound at start.
# Without -g (the package is stripped) and -O2 (Release's -O3 stays).
cxxflags=""
ldflags=""
if command -v dpkg-buildflags >/dev/null; then
  export DEB_BUILD_MAINT_OPTIONS=hardening=+all
  cxxflags="$(cd "$root" && dpkg-buildflags --get CPPFLAGS) $(cd "$root" && dpkg-buildflags --get CXXFLAGS)"
  cxxflags="$(sed -e 's/\(^\| \)-g\( \|$\)/ /; s/\(^\| \)-O2\( \|$\)/ /' <<<"$cxxflags")"
  ldflags="$(dpkg-buildflags --get LDFLAGS)"
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMRI_BUILD_TESTS=OFF "${launcher[@]}" \
  "-DCMAKE_CXX_FLAGS=$cxxflags" "-DCMAKE_EXE_LINKER_FLAGS=$ldflags" "$@" >&2
cmake --build "$build" -j "$(nproc)" >&2
out="$build/package"
rm -f "$out"/mri-enhance-studio_*.deb
(cd "$build" && cpack -G DEB -B "$out" >&2)
deb=("$out"/mri-enhance-studio_*_amd64.deb)
[ -f "${deb[0]}" ] || { echo "build-deb.sh: cpack wrote no package to $out" >&2; exit 1; }
echo "${deb[0]}"
