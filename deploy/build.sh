#!/usr/bin/env bash
# Configures and builds spindle with CMake + Ninja.
#   deploy/build.sh [BUILD_DIR] [extra CMake arguments...]
# BUILD_DIR defaults to build/. CUDA is built when nvcc is found (-DSPINDLE_CUDA=AUTO).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-"$root/build"}
shift || true
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir"
