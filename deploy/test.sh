#!/usr/bin/env bash
# Installs dependencies, builds and runs the whole test suite (CTest). Tests labelled gpu
# are skipped on machines without a GPU; see deploy/gpu-check.sh for the GPU machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" "$root/build"
ctest --test-dir "$root/build" --output-on-failure --timeout 600 -j "$(nproc)"
