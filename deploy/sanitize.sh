#!/usr/bin/env bash
# Builds spindle for the CPU with AddressSanitizer and UBSan and runs every test that needs
# no GPU under them: a memory error, undefined behaviour or a leak fails the test.
#   deploy/sanitize.sh [BUILD_DIR]      (default build-sanitize/)
# About 30 minutes to build and 15 to test on 2 cores; not part of CI (deploy/test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-"$root/build-sanitize"}

"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" "$build_dir" -DSPINDLE_CUDA=OFF -DSPINDLE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

# Open MPI keeps allocations until exit; tests/sanitizers/lsan.supp names its libraries.
# Matching them needs whole stacks, and its plugins have no frame pointers: hence the slow
# unwinder on every allocation.
export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=40
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1
# io.fasta_billion_bases_streamed bounds the ingest's memory growth, which the sanitizers'
# shadow memory and quarantine exceed by design.
ctest --test-dir "$build_dir" -LE gpu -E '^io[.]fasta_billion_bases_streamed$' --output-on-failure \
  --timeout 3000 -j "$(nproc)"
