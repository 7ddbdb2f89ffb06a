#!/usr/bin/env bash
# The main job on built-in defaults: installs dependencies, builds, then runs spindle.
# No GPU, download or data needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" "$root/build"
spindle="$root/build/spindle"
echo "== spindle info"
"$spindle" info
echo "== spindle check"
"$spindle" check
echo "spindle is built at $spindle (see README.md for what it can do)"
