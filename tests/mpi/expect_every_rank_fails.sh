#!/usr/bin/env bash
# Runs an MPI program on RANKS processes and checks that every rank failed with TEXT: the
# job exits non-zero within a minute (no hang), and each rank r printed a line
# "rank r: ..." containing TEXT.
#   expect_every_rank_fails.sh MPIEXEC RANKS TEXT PROGRAM [ARGS...]
set -u
mpiexec=$1 ranks=$2 text=$3
shift 3
output=$(timeout 60 "$mpiexec" -np "$ranks" --oversubscribe "$@" 2>&1)
status=$?
echo "$output"
if [ $status -eq 124 ]; then echo "FAIL: no exit within 60 s"; exit 1; fi
if [ $status -eq 0 ]; then echo "FAIL: exit status 0"; exit 1; fi
for ((rank = 0; rank < ranks; ++rank)); do
  if ! grep "^rank $rank: " <<<"$output" | grep -qF -- "$text"; then
    echo "FAIL: rank $rank printed no line containing: $text"
    exit 1
  fi
done
echo "every rank failed ok (exit status $status)"
