#!/usr/bin/env bash
# Downloads Debian's htslib packages into .device-debs/ (git-ignored), for GPU machines
# whose image has no htslib and no package archive: carry the folder there and
# deploy/gpu-check.sh unpacks it into a private prefix.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.device-debs"
cd "$root/.device-debs"
apt-get download libhts3 libhts-dev libhtscodecs2 libdeflate0 libdeflate-dev
ls -l
