#!/usr/bin/env bash
# Fuzzes every reader of user files and config text (tests/fuzz) with libFuzzer under
# AddressSanitizer and UBSan, on the CPU.
#   deploy/fuzz.sh [SECONDS_PER_TARGET] [BUILD_DIR]      (defaults: 60, build-fuzz/)
# Installs Clang 19, builds with -DSPINDLE_BUILD_FUZZERS=ON, writes a few valid inputs per
# target as seeds (tests/fuzz/write_seeds.sh), then runs each target for the given time.
# Inputs that crash, leak, hang or break the error rule of tests/fuzz/fuzz_input.h are
# kept in BUILD_DIR/findings/TARGET/; the exit status is 1 if there is any.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build_dir=${2:-"$root/build-fuzz"}

# Clang 19, packaged by both Debian 12 and Ubuntu 24.04 (Debian 12's default Clang, 14,
# lacks std::source_location). Its runtimes are only a recommendation on Ubuntu.
# llvm-19 brings the symbolizer that puts file:line in the sanitizers' stack traces.
"$root/deploy/install-deps.sh" clang-19 libclang-rt-19-dev llvm-19
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer

"$root/deploy/build.sh" "$build_dir" -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DSPINDLE_CUDA=OFF -DSPINDLE_BUILD_TESTS=OFF -DSPINDLE_BUILD_FUZZERS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

# The seeds are written afresh; what the fuzzer adds goes to corpus/TARGET/, kept from run
# to run so that a later run starts where this one stopped.
"$root/tests/fuzz/write_seeds.sh" "$build_dir/seeds"

status=0
for seeds in "$build_dir/seeds"/*/; do
  target=$(basename "$seeds")
  corpus="$build_dir/corpus/$target"
  findings="$build_dir/findings/$target"
  rm -rf "$findings"
  mkdir -p "$findings" "$corpus"
  echo "fuzz.sh: fuzz_$target for $seconds s"
  # -close_fd_mask=1 mutes the readers' own stdout; a finding's report goes to stderr.
  if ! "$build_dir/tests/fuzz/fuzz_$target" "$corpus" "$seeds" -max_total_time="$seconds" -max_len=4096 \
       -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -close_fd_mask=1 -print_final_stats=1 \
       -artifact_prefix="$findings/" > "$findings/log.txt" 2>&1; then
    status=1
    echo "fuzz.sh: fuzz_$target: finding(s) in $findings (log.txt says what)" >&2
    grep -m 3 -E 'ERROR: |fuzz finding|runtime error' "$findings/log.txt" >&2 || true
  fi
  grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$findings/log.txt" | tr '\n' ' '
  echo
done
exit $status
