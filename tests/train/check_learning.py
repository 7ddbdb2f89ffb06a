"""Does `spindle train` learn? Two checks on the CPU, a few minutes each at most:

synthetic  `spindle simulate-genome` (order-2 Markov chain, 2 x 200,000 bases), a
           d_model 64, 2-layer Caduceus-Ph for 150 steps of 8 x 256 tokens, held-out chr2.
           The final validation loss must fall below the chain's entropy rate (what the
           best one-sided predictor reaches: only context on both sides gets lower) and is
           reported against the Bayes-optimal masked-LM loss simulate-genome computes.
hg38       the shared 1 Mbp hg38 chr21 window, the last 100 kb held out, the same model for
           200 steps. The final validation loss must fall below the unigram entropy of
           the held-out bases (A/C/G/T, the bases training masks).

usage: check_learning.py SPINDLE WORK_DIR synthetic
       check_learning.py SPINDLE WORK_DIR hg38 FASTA
Prints "learning ok <check>" with the figures, and leaves metrics.jsonl and
loss_curve.svg in WORK_DIR/<check>/run.
"""
import json
import math
import os
import shutil
import subprocess
import sys

CONFIG = """model:
  preset: caduceus-131k-ph
  d_model: 64
  n_layer: 2
data:
  store: {store}
  window: 256
  batch: 8
  reverse_complement: true
  validation:
    {validation}
optimizer:
  lr: 4.0e-3
  min_lr: 1.0e-4
  warmup_steps: 20
  beta2: 0.95
  weight_decay: 0.1
steps: {steps}
seed: 3
device: cpu
output: run
checkpoint:
  every: {steps}
  keep: 1
validation:
  every: 50
  batches: 8
"""


def run(*command):
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit("FAIL: %s exited %d:\n%s" % (" ".join(command), completed.returncode, completed.stderr[-2000:]))


def train(spindle, work, store, validation, steps):
    with open(os.path.join(work, "train.yaml"), "w") as config:
        config.write(CONFIG.format(store=store, validation=validation, steps=steps))
    run(spindle, "train", "--config", os.path.join(work, "train.yaml"))
    validations = []
    with open(os.path.join(work, "run", "metrics.jsonl")) as metrics:
        for line in metrics:
            record = json.loads(line)
            if record["kind"] == "validation":
                validations.append((record["step"], record["loss"], record["accuracy"]))
    return validations


def curve(validations):
    return ", ".join("%d: %.3f" % (step, loss) for step, loss, _ in validations)


def synthetic(spindle, work):
    run(spindle, "simulate-genome", "--out", "syn", "--records", "2", "--length", "200000", "--order", "2",
        "--sharpness", "2", "--seed", "5")
    run(spindle, "ingest", "fasta", "syn.fa", "--out", "syn.h5")
    summary = json.load(open("syn.json"))
    validations = train(spindle, work, "syn.h5", "records: [chr2]", 150)
    final = validations[-1][1]
    entropy_rate = summary["entropy_rate_nats_per_base"]
    floor = summary["bayes_masked_lm_loss_nats"]["value"]
    if not final < entropy_rate:
        sys.exit("FAIL: final validation loss %.4f is not below the entropy rate %.4f (curve %s)"
                 % (final, entropy_rate, curve(validations)))
    print("learning ok synthetic: validation loss %.4f (curve %s); entropy rate %.4f, unigram entropy %.4f, "
          "Bayes-optimal masked-LM loss %.4f (gap %.4f); accuracy %.3f"
          % (final, curve(validations), entropy_rate, summary["unigram_entropy_nats_per_base"], floor,
             final - floor, validations[-1][2]))


def hg38(spindle, work, fasta):
    run(spindle, "ingest", "fasta", fasta, "--out", "hg38.h5")
    with open(fasta + ".fai") as index:
        name, length = index.readline().split("\t")[:2]
    length = int(length)
    held_out_begin = length - 100000
    with open(fasta) as f:
        bases = "".join(line.strip() for line in f if not line.startswith(">")).upper()[held_out_begin:]
    counts = [bases.count(b) for b in "ACGT"]
    total = sum(counts)
    unigram = -sum(c / total * math.log(c / total) for c in counts if c)
    interval = '"%s:%d-%d"' % (name, held_out_begin + 1, length)
    validations = train(spindle, work, "hg38.h5", "intervals: [%s]" % interval, 200)
    final = validations[-1][1]
    if not final < unigram:
        sys.exit("FAIL: final validation loss %.4f is not below the held-out unigram entropy %.4f (curve %s)"
                 % (final, unigram, curve(validations)))
    print("learning ok hg38: validation loss %.4f (curve %s); unigram entropy of the held-out bases %.4f "
          "(%d A/C/G/T); accuracy %.3f" % (final, curve(validations), unigram, total, validations[-1][2]))


def main():
    spindle, work, check = sys.argv[1], sys.argv[2], sys.argv[3]
    work = os.path.join(work, check)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chdir(work)
    if check == "synthetic":
        synthetic(spindle, work)
    else:
        hg38(spindle, work, sys.argv[4])


main()
