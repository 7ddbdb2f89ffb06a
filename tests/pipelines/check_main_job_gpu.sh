#!/usr/bin/env bash
# The main job (deploy/main-job.sh) on cuda:0: simulate-genome, ingest, train (bf16 on the
# GPU), score-variants and evaluate-scores through the CLI's GPU paths, with the AUROC of
# SPINDLE_LLR above 0.9 (0.97 measured on an H100; the CPU run of the quickstart gets 0.97 too);
# then train's memory floor refusing a step that cannot fit the GPU, naming its memory.
# Skipped (exit 77) without a GPU, failed instead with SPINDLE_REQUIRE_GPU=1.
#   check_main_job_gpu.sh SPINDLE WORKDIR REPOSITORY
set -euo pipefail
spindle=$1 work=$2 root=$3
if ! "$spindle" info | grep -qE '^  cuda:0 '; then
  [ "${SPINDLE_REQUIRE_GPU:-}" = 1 ] && { echo "main job gpu: no GPU, and SPINDLE_REQUIRE_GPU=1" >&2; exit 1; }
  echo "main job gpu: no GPU: skipped"
  exit 77
fi
rm -rf "$work"
"$root/deploy/main-job.sh" --spindle "$spindle" --device cuda:0 --workdir "$work"
python3 - "$work/auroc.json" <<'PY'
import json, sys
scores = {s["field"]: s["auroc"] for s in json.load(open(sys.argv[1]))["scores"]}
assert set(scores) == {"SPINDLE_LLR", "SPINDLE_EMBED_COSINE", "SPINDLE_EMBED_L2"}, scores
assert scores["SPINDLE_LLR"] > 0.9, scores
assert all(0 <= a <= 1 for a in scores.values()), scores
PY
# 128 windows of 131,072 tokens of the 131k model need about 281 GiB for the residual streams alone,
# more than an H100 (80 GB) or H200 (141 GB) has.
sed -e 's/^  d_model: 64/  d_model: 256/; s/^  n_layer: 2/  n_layer: 16/; s/^  d_state: 4/  d_state: 16/' \
    -e 's/^  window: 256/  window: 131072/; s/^  batch: 16/  batch: 128/' -e "s#^output: .*#output: $work/big#" \
    "$work/train.yaml" >"$work/big.yaml"
if "$spindle" train --config "$work/big.yaml" 2>"$work/big.log"; then
  echo "main job gpu: a 128 x 131,072-token step of the 131k model was not refused" >&2; exit 1
fi
grep -q "data.batch: 128 windows of 131072 tokens need at least .* of cuda:0 memory" "$work/big.log" ||
  { cat "$work/big.log" >&2; exit 1; }
echo "main job gpu ok"
