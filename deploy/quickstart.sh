#!/usr/bin/env bash
# The main job on built-in defaults: installs dependencies, builds, checks the installation,
# then runs deploy/main-job.sh (synthetic genome with planted motifs -> store -> a small
# Caduceus trained on the CPU -> the truth VCF scored -> AUROC). No GPU, download or data
# needed; about 5 minutes on 2 cores. Outputs go to main-job/ in the current folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
"$root/deploy/build.sh" "$root/build"
spindle="$root/build/spindle"
echo "== spindle info"
"$spindle" info
echo "== spindle check"
"$spindle" check
"$root/deploy/main-job.sh" --spindle "$spindle" "$@"
