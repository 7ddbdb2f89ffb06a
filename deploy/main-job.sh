#!/usr/bin/env bash
# The main job: DNA into a store, a small Caduceus pretrained on it, variants scored with
# it, and the scores judged against the truth.
#
# On built-in defaults (no GPU, download or data needed; about 5 minutes on 2 CPU cores):
#   1. spindle simulate-genome: two 400,000-base records of a Markov chain with 4 planted
#      12-base motifs, and a truth VCF of SNVs on the held-out record, half of them inside
#      motif occurrences (INFO flag MOTIF_DISRUPTING), half in the background;
#   2. spindle ingest fasta into a store;
#   3. spindle train: a small Caduceus-Ph by masked-LM on the first record;
#   4. spindle score-variants: the truth VCF scored with the trained model;
#   5. spindle evaluate-scores: the AUROC of each score against MOTIF_DISRUPTING.
# With --fasta and --vcf the same runs on a real genome and VCF (step 1 skipped; step 5
# only with --truth-flag, for a VCF that has one).
#
# usage: deploy/main-job.sh [--workdir DIR] [--device cpu|cuda:N] [--steps N]
#                           [--fasta REF.fa --vcf IN.vcf.gz [--validation REGION] [--truth-flag FLAG]]
#                           [--spindle PATH]
#   --workdir DIR      outputs (default: main-job/ in the current folder); reruns replace them
#   --device D         where training and scoring run: cpu (default), cuda or cuda:N
#   --steps N          training steps (default 450)
#   --fasta, --vcf     a real reference (plain or bgzip FASTA) and VCF/BCF to score
#   --validation R     held out from training (samtools region; default: the last 10% of the
#                      FASTA's last record)
#   --truth-flag F     an INFO flag of the VCF to evaluate the scores against
#   --spindle PATH     the executable (default: build/spindle of this repository)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

workdir=main-job
device=cpu
steps=450
fasta=""
vcf=""
validation=""
truth_flag=""
spindle="$root/build/spindle"
usage() { sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in -h|--help) usage 0 ;; esac
  [ $# -ge 2 ] || { echo "main-job: $1 needs a value" >&2; usage; }
  case "$1" in
    --workdir) workdir=$2 ;;
    --device) device=$2 ;;
    --steps) steps=$2 ;;
    --fasta) fasta=$2 ;;
    --vcf) vcf=$2 ;;
    --validation) validation=$2 ;;
    --truth-flag) truth_flag=$2 ;;
    --spindle) spindle=$2 ;;
    *) echo "main-job: unknown option $1" >&2; usage ;;
  esac
  shift 2
done
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || { echo "main-job: --steps $steps: expected a positive whole number" >&2; exit 2; }
if [ -n "$fasta$vcf" ] && { [ -z "$fasta" ] || [ -z "$vcf" ]; }; then
  echo "main-job: --fasta and --vcf go together" >&2; exit 2
fi
[ -x "$spindle" ] || { echo "main-job: $spindle: not an executable (build first: deploy/build.sh)" >&2; exit 1; }
mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)
start=$(date +%s)
step() { echo "== [$(( $(date +%s) - start )) s] $*"; }

window=256
if [ -z "$fasta" ]; then
  step "simulate-genome: Markov chain with planted motifs, truth VCF"
  "$spindle" simulate-genome --out "$workdir/genome" --records 2 --length 400000 --order 2 --sharpness 0.5 \
    --motifs 4 --motif-length 12 --motif-density 0.25 --variants 150 --seed 1
  fasta=$workdir/genome.fa
  vcf=$workdir/genome.truth.vcf.gz
  truth_flag=MOTIF_DISRUPTING
  validation_yaml="records: [chr2]"
else
  if [ -z "$validation" ]; then
    index="$fasta.fai"
    [ -f "$index" ] || index="$workdir/$(basename "$fasta").fai"
    [ -f "$index" ] || samtools faidx --fai-idx "$index" "$fasta"
    validation=$(tail -n 1 "$index" | awk '{ held = int($2 / 10); print $1 ":" $2 - held + 1 "-" $2 }')
  fi
  validation_yaml="intervals: [\"$validation\"]"
fi

step "ingest fasta -> $workdir/genome.h5"
rm -f "$workdir/genome.h5"
"$spindle" ingest fasta "$fasta" --out "$workdir/genome.h5"

step "train: Caduceus-Ph, d_model 64, 2 layers, $steps steps of 16 x $window tokens on $device (held out: $validation_yaml)"
cat >"$workdir/train.yaml" <<EOF
# Written by deploy/main-job.sh; every key is documented in docs/train_caduceus.yaml.
model:
  preset: caduceus-131k-ph
  d_model: 64
  n_layer: 2
  d_state: 4
data:
  store: $workdir/genome.h5
  window: $window
  batch: 16
  reverse_complement: true
  validation:
    $validation_yaml
optimizer:
  lr: 8.0e-3
  min_lr: 1.0e-4
  warmup_steps: $(( steps < 200 ? steps / 10 : 20 ))
  beta2: 0.95
  weight_decay: 0.1
steps: $steps
seed: 1
device: $device
output: $workdir/train
checkpoint:
  every: $steps
  keep: 1
validation:
  every: $(( steps < 150 ? steps : 150 ))
  batches: 8
EOF
rm -rf "$workdir/train"
"$spindle" train --config "$workdir/train.yaml"
model=$(ls -d "$workdir"/train/checkpoints/step-*/model | tail -n 1)

step "score-variants: $vcf with $model"
"$spindle" score-variants --model "$model" --fasta "$fasta" --vcf "$vcf" --out "$workdir/scored.vcf.gz" \
  --tsv "$workdir/scored.tsv" --window "$window" --pool 32 --scores llr,embed-cosine,embed-l2 --batch 16 \
  --device "$device"

if [ -n "$truth_flag" ]; then
  step "evaluate-scores: against $truth_flag"
  "$spindle" evaluate-scores --vcf "$workdir/scored.vcf.gz" --truth-flag "$truth_flag" \
    --score SPINDLE_LLR:lower,SPINDLE_EMBED_COSINE:higher,SPINDLE_EMBED_L2:higher --json "$workdir/auroc.json"
fi

step "done; outputs in $workdir:"
[ -f "$workdir/genome.json" ] && echo "  genome.fa, genome.json     the synthetic genome and its motifs (genome.motifs.bed: every occurrence)"
echo "  genome.h5                  the store (spindle inspect $workdir/genome.h5)"
echo "  train.yaml                 the training configuration"
echo "  train/metrics.jsonl        loss, lr, tokens/s per step; validation loss and accuracy"
echo "  train/loss_curve.svg       training and validation loss against the step"
echo "  ${model#"$workdir"/}   the trained model (config.json + model.safetensors)"
echo "  scored.vcf.gz (+ .tbi)     the VCF with SPINDLE_* scores (bcftools query -f '%CHROM %POS %INFO/SPINDLE_LLR\\n')"
echo "  scored.tsv                 the scores as a table"
[ -f "$workdir/auroc.json" ] && echo "  auroc.json                 the AUROC of each score against $truth_flag"
exit 0
