#!/bin/sh
# Skips a test of the shared real data (../shared/data beside the source tree) in a checkout
# without it: when a PATH does not exist, prints "shared data missing: PATH" and exits 77,
# which CTest reports as skipped (SKIP_RETURN_CODE 77). Otherwise exits 0, or runs COMMAND
# in its place when one follows "--".
# usage: require_shared_data.sh PATH... [-- COMMAND [ARG...]]
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  [ -e "$1" ] || { echo "shared data missing: $1"; exit 77; }
  shift
done
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || exit 0
exec "$@"
