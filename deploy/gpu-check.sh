#!/usr/bin/env bash
# On a GPU machine (the CUDA image: CUDA, NCCL, HDF5, OpenMPI, ... but no htslib):
# configures with CUDA for sm_90, builds with Ninja, runs the gpu-labelled tests with
# SPINDLE_REQUIRE_GPU=1 (a missing GPU fails instead of skipping), then `spindle check`,
# and prints a short summary last.
#
# htslib: when pkg-config does not find it and .device-debs/ holds Debian's htslib
# packages (deploy/fetch-device-debs.sh downloads them), they are unpacked into a private
# prefix and used from there.
#   deploy/gpu-check.sh [BUILD_DIR]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-"$root/build-gpu"}
log_dir=${OUT:-$build_dir}
mkdir -p "$log_dir"

if ! pkg-config --exists htslib; then
  prefix=/tmp/spindle-prefix
  shopt -s nullglob
  debs=("$root"/.device-debs/*.deb)
  [ ${#debs[@]} -gt 0 ] || { echo "gpu-check: htslib missing and no .device-debs/*.deb to unpack" >&2; exit 1; }
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$prefix"; done
  libdir=$prefix/usr/lib/x86_64-linux-gnu
  # Point the .pc files at the prefix; drop Requires.private (the image lacks some of those
  # .pc files, and static linking is not used).
  sed -i -E "s#^(prefix|includedir|libdir)=/usr#\1=$prefix/usr#; /^Requires.private/d" "$libdir"/pkgconfig/*.pc
  export PKG_CONFIG_PATH=$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  # libhts needs its sibling libraries at link time (ld reads LD_LIBRARY_PATH for them) and run time.
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

start=$(date +%s)
"$root/deploy/build.sh" "$build_dir" -DSPINDLE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >"$log_dir/gpu-build.log" 2>&1
build_status=$?
tail -n 5 "$log_dir/gpu-build.log"
build_seconds=$(( $(date +%s) - start ))

test_status=1; check_status=1
if [ $build_status -eq 0 ]; then
  SPINDLE_REQUIRE_GPU=1 ctest --test-dir "$build_dir" -L gpu --output-on-failure --timeout 600 2>&1 | tee "$log_dir/gpu-ctest.log"
  test_status=${PIPESTATUS[0]}
  "$build_dir/spindle" info
  "$build_dir/spindle" check --elements 16777216 | tee "$log_dir/gpu-spindle-check.log"
  check_status=${PIPESTATUS[0]}
fi

echo "== gpu-check summary"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
echo "build: $([ $build_status -eq 0 ] && echo ok || echo FAILED) (${build_seconds} s, log $log_dir/gpu-build.log)"
[ -f "$log_dir/gpu-ctest.log" ] && grep -E "tests passed|tests failed" "$log_dir/gpu-ctest.log" | sed 's/^/ctest -L gpu: /'
[ -f "$log_dir/gpu-spindle-check.log" ] && tail -n 1 "$log_dir/gpu-spindle-check.log" | sed 's/^/spindle check: /'
[ $build_status -eq 0 ] && [ $test_status -eq 0 ] && [ $check_status -eq 0 ]
