#!/usr/bin/env bash
# Installs every package spindle builds, runs and tests with, from Debian 12 / Ubuntu 24.04
# archives. Idempotent: packages already present are left alone, and nothing is fetched
# when all are there. Needs root or sudo only when something is missing. Packages named as
# arguments are added to the list (deploy/fuzz.sh adds its compiler).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries the build links
  libhdf5-dev libhts-dev libopenblas-dev libfftw3-dev
  libopenmpi-dev openmpi-bin libboost-dev
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  zlib1g-dev liblzf-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # real clients the tests read spindle's outputs with
  bcftools tabix samtools hdf5-tools python3-h5py python3-numpy
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
