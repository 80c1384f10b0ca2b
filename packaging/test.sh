#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is missing, build,
# run the whole test suite (Qt Test executables registered with CTest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/install-deps.sh"
"$root/packaging/build.sh"
ctest --test-dir "$root/build" --output-on-failure --timeout 900
