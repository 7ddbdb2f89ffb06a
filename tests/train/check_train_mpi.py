"""`mpirun -np N spindle train` on the CPU: the same tiny run (d_model 16, 2 layers) on one
process, on a ring of 2 (each window cut in two), on 2 data-parallel replicas and on a
2 x 2 grid gives the same training and validation losses step for step; rank 0 alone
writes metrics and checkpoints; a run stopped on one process resumes on a ring of 2 with
the same losses; a grid that does not match the world fails (exit 1, no hang).
    check_train_mpi.py SPINDLE MPIEXEC WORK
"""
import json
import os
import shutil
import subprocess
import sys

from check_train_cli import markov_fasta

STEPS = 6
TOLERANCE = 1e-4  # relative, on losses after up to 6 AdamW steps in f32


def config_text(store, output, parallel):
    return f"""model:
  preset: caduceus-131k-ph
  d_model: 16
  n_layer: 2
data:
  store: {store}
  window: 63
  batch: 4
  reverse_complement: true
  validation:
    records: [chrB]
optimizer:
  lr: 1.0e-2
  warmup_steps: 2
steps: {STEPS}
seed: 3
output: {output}
checkpoint:
  every: 3
validation:
  every: 3
  batches: 2
{parallel}
"""


def train(spindle, mpiexec, ranks, work, name, store, parallel, *extra, expect=0):
    output = os.path.join(work, name)
    config = output + ".yaml"
    with open(config, "w") as file:
        file.write(config_text(store, output, parallel))
    command = [spindle, "train", "--config", config, *extra]
    if ranks > 1:
        command = [mpiexec, "-np", str(ranks), "--oversubscribe", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == expect, (command, result.returncode, result.stderr[-3000:])
    return output, result.stderr


def losses(output):
    with open(os.path.join(output, "metrics.jsonl")) as lines:
        return [(m["kind"], m["step"], m["loss"]) for m in map(json.loads, lines)]


def expect_same(name, actual, expected):
    assert [a[:2] for a in actual] == [e[:2] for e in expected], (name, actual, expected)
    worst = max(abs(a[2] - e[2]) / abs(e[2]) for a, e in zip(actual, expected))
    assert worst <= TOLERANCE, (name, worst, actual, expected)
    print("%s: %d losses, worst relative difference %.2e" % (name, len(actual), worst))


def main():
    spindle, mpiexec, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fasta, store = os.path.join(work, "markov.fa"), os.path.join(work, "markov.h5")
    markov_fasta(fasta)
    subprocess.run([spindle, "ingest", "fasta", fasta, "--out", store], check=True, capture_output=True)

    alone, _ = train(spindle, mpiexec, 1, work, "alone", store, "")
    expected = losses(alone)
    for ranks, name, parallel in ((2, "ring2", "parallel: {sequence: 2}"), (2, "data2", "parallel: {data: 2}"),
                                  (4, "grid2x2", "parallel: {sequence: 2, data: 2}")):
        output, _ = train(spindle, mpiexec, ranks, work, name, store, parallel)
        expect_same(name, losses(output), expected)
        checkpoints = sorted(os.listdir(os.path.join(output, "checkpoints")))
        assert len(checkpoints) == 2, (name, checkpoints)

    # Stopped after step 3 on one process, resumed on a ring of 2.
    resumed, _ = train(spindle, mpiexec, 1, work, "resumed", store, "", "--stop-after", "3")
    train(spindle, mpiexec, 2, work, "resumed", store, "parallel: {sequence: 2}", "--resume")
    expect_same("resumed on a ring of 2", losses(resumed), expected)

    _, message = train(spindle, mpiexec, 3, work, "bad", store, "parallel: {sequence: 2, data: 2}", expect=1)
    text = "parallel: {sequence: 2, data: 2} needs sequence x data = 4 ranks but the world has 3"
    # mpirun ends the job when the first rank exits, so not every rank's message need
    # arrive; that every rank refuses is mpi.bad_grid_fails_on_every_rank's check.
    assert text in message, message[-3000:]
    print("train mpi ok")


if __name__ == "__main__":
    main()
