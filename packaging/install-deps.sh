#!/usr/bin/env bash
# Installs the Debian 12 packages MRI Enhance Studio builds and runs with,
# only those that are missing. Uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  # Compiler cache: a rebuild in a fresh clone (CI's) reuses earlier compilations
  ccache
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qt6-translations-l10n
  libqcustomplot-dev libtorch-dev libopencv-dev zlib1g-dev libcli11-dev nlohmann-json3-dev
  mricron-data fonts-dejavu-core
  libjpeg-dev
  # SHA-256 of model files (engine/io/FileDigest.cpp)
  libssl-dev
  # NIfTI (engine/io/NiftiFile.cpp) and DICOM (engine/io/DicomSeries.cpp)
  libnifti2-dev libgdcm-dev
  # tests/tst_cluster runs the README's GNU parallel recipe
  parallel
  # packaging/sanitize.sh and tests/fuzz/run.sh: libFuzzer and the sanitizer runtimes of clang 14
  clang-14 libclang-rt-14-dev
  # tests/tst_modelexchange and python/mri_enhance_network.py: models that travel to and from PyTorch
  python3-torch python3-numpy
  # The Debian package (packaging/build-deb.sh) and tests/tst_package: man pages
  # from --help, the validators of the package, desktop entry and metainfo, dpkg-shlibdeps
  help2man lintian desktop-file-utils appstream dpkg-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "All build dependencies are installed."
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
echo "Installing: ${missing[*]}"
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
