#!/bin/sh
# Runs a spindle command that must fail on bad input: exit code 1, a message on stderr
# matching PATTERN (grep -E), and neither OUT nor a temporary OUT.partial-* left behind.
# usage: expect_failure.sh OUT PATTERN COMMAND [ARG...]
out=$1 pattern=$2
shift 2
rm -f "$out"
"$@" 2>"$out.stderr"
status=$?
message=$(cat "$out.stderr")
rm -f "$out.stderr"
echo "$message"
[ "$status" -eq 1 ] || { echo "FAIL: exit code $status, expected 1"; exit 1; }
echo "$message" | grep -qE -e "$pattern" || { echo "FAIL: message does not match: $pattern"; exit 1; }
[ ! -e "$out" ] || { echo "FAIL: output $out was left behind"; exit 1; }
for partial in "$out".partial-*; do
  [ ! -e "$partial" ] || { echo "FAIL: temporary $partial was left behind"; exit 1; }
done
echo "expected failure ok"
