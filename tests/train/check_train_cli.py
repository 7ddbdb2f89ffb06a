"""End-to-end check of `spindle train` on the CPU with a tiny Caduceus (d_model 16, 2
layers) on a store made from a generated order-2 Markov FASTA (held-out record chrB):

- training and validation losses fall below the unigram entropy of their bases (what a
  model that knows only base frequencies reaches), metrics.jsonl has a line per step and
  per validation, loss_curve.svg parses as XML with both curves, checkpoints keep the
  newest two (a folder that a killed deletion left goes at the next save), and a checkpoint
  holds the model under the reference names and AdamW's moments;
- exact resume: a run stopped after step 75 (last checkpoint at 50) and resumed gives the
  same metrics, bit for bit, as an uninterrupted run (timing fields aside);
- the resume reads the configuration, not its text: comments, key order and number
  spelling may change, and the store may be named by another path (relative, through a link);
- errors exit 1 naming what is wrong: an unknown key (file:line), a changed setting on
  resume (another store among them), a resume whose checkpoint.dir holds none of the run's
  checkpoints (changed, or the checkpoints moved away: it would start over at step 0),
  --stop-after at a step a resumed run has done, a damaged trainer state, a second run over
  an existing one, a loss that is no longer finite (the run stops before that step's
  optimizer step and checkpoint); a refused run leaves no folder behind that it made;
- a resume finds a checkpoint that a crash left moved aside while it was being replaced
  (before it is an hour old, the refusal names it and how to rename it back).

usage: check_train_cli.py SPINDLE WORK_DIR
Prints "train cli ok" with the figures.
"""
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

STEPS = 150
TIMING = {"elapsed_s", "tokens_per_s"}


def unigram_entropy(sequence):
    counts = [sequence.count(base) for base in "ACGT"]
    return -sum(c / len(sequence) * math.log(c / len(sequence)) for c in counts if c)


# Writes the FASTA; returns the unigram entropies of its records (nats per base).
def markov_fasta(path):
    generator = random.Random(11)
    bases = "ACGT"
    rows = {a + b: [generator.random() ** 3 for _ in bases] for a in bases for b in bases}
    entropies = []
    with open(path, "w") as fasta:
        for name, length in (("chrA", 40000), ("chrB", 12000)):
            sequence = ["A", "C"]
            while len(sequence) < length:
                sequence.append(generator.choices(bases, rows[sequence[-2] + sequence[-1]])[0])
            fasta.write(">%s\n%s\n" % (name, "".join(sequence)))
            entropies.append(unigram_entropy("".join(sequence)))
    return entropies


def config_text(store, output, lr="1.0e-2"):
    return f"""model:
  preset: caduceus-131k-ph
  d_model: 16
  n_layer: 2
data:
  store: {store}
  window: 128
  batch: 4
  reverse_complement: true
  validation:
    records: [chrB]
optimizer:
  lr: {lr}
  min_lr: 1.0e-4
  warmup_steps: 5
steps: {STEPS}
seed: 3
output: {output}
checkpoint:
  every: 50
  keep: 2
validation:
  every: 50
  batches: 4
"""


def same_meaning(text):
    """`text` with a comment, the top-level seed and steps first and numbers spelled otherwise."""
    moved = ("seed: 3\n", "steps: %d\n" % STEPS)
    assert all(line in text for line in moved) and "1.0e-2" in text, text
    for line in moved:
        text = text.replace(line, "")
    return "# resumed\n" + "".join(moved) + text.replace("1.0e-2", "0.01").replace("1.0e-4", "1e-4")


def run(spindle, *arguments, expect=0, cwd=None):
    result = subprocess.run([spindle, *arguments], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == expect, (arguments, result.returncode, result.stderr[-3000:])
    return result.stderr


def metrics(output):
    with open(os.path.join(output, "metrics.jsonl")) as lines:
        return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in lines]


def safetensors_names(path):
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    header.pop("__metadata__", None)
    return set(header)


def main():
    spindle, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fasta, store = os.path.join(work, "markov.fa"), os.path.join(work, "markov.h5")
    training_entropy, held_out_entropy = markov_fasta(fasta)
    run(spindle, "ingest", "fasta", fasta, "--out", store)

    straight = os.path.join(work, "straight")
    straight_yaml = os.path.join(work, "straight.yaml")
    with open(straight_yaml, "w") as file:
        file.write(config_text(store, straight))
    run(spindle, "train", "--config", straight_yaml)
    lines = metrics(straight)
    train = [line for line in lines if line["kind"] == "train"]
    validation = [line for line in lines if line["kind"] == "validation"]
    assert [line["step"] for line in train] == list(range(1, STEPS + 1)), "a line per step"
    assert [line["step"] for line in validation] == [50, 100, 150], validation
    first, last = sum(l["loss"] for l in train[:5]) / 5, sum(l["loss"] for l in train[-10:]) / 10
    assert last < training_entropy - 0.05 and first > training_entropy, (first, last, training_entropy)
    assert validation[-1]["loss"] < min(validation[0]["loss"], held_out_entropy - 0.05), (validation, held_out_entropy)
    assert all(0 <= line["accuracy"] <= 1 for line in validation)

    svg = ElementTree.parse(os.path.join(straight, "loss_curve.svg")).getroot()
    namespace = "{http://www.w3.org/2000/svg}"
    assert svg.tag == namespace + "svg", svg.tag
    assert len(svg.findall(namespace + "polyline")) == 2
    assert len(svg.findall(namespace + "circle")) == len(validation)

    checkpoints = os.path.join(straight, "checkpoints")
    assert sorted(os.listdir(checkpoints)) == ["step-00000100", "step-00000150"], os.listdir(checkpoints)
    newest = os.path.join(checkpoints, "step-00000150")
    model_names = safetensors_names(os.path.join(newest, "model", "model.safetensors"))
    assert "caduceus.backbone.layers.0.mixer.mamba_fwd.in_proj.weight" in model_names, sorted(model_names)[:5]
    moments = safetensors_names(os.path.join(newest, "optimizer.safetensors"))
    assert moments == {name + suffix for name in model_names for suffix in (".exp_avg", ".exp_avg_sq")}
    with open(os.path.join(newest, "trainer_state.json")) as file:
        state = json.load(file)
    assert state["step"] == STEPS and state["windows_cursor"] == STEPS * 4, state

    resumed = os.path.join(work, "resumed")
    resumed_yaml = os.path.join(work, "resumed.yaml")
    with open(resumed_yaml, "w") as file:
        file.write(config_text(store, resumed))
    run(spindle, "train", "--config", resumed_yaml, "--stop-after", "75")
    assert len(metrics(resumed)) == 75 + 1, "steps 1..75 and the validation at 50"
    # A stop at a step the resumed run has done already cannot happen (it ran on to the last step).
    message = run(spindle, "train", "--config", resumed_yaml, "--resume", "--stop-after", "50", expect=1)
    assert "--stop-after 50: step 50 is done already" in message, message
    assert len(metrics(resumed)) == 75 + 1, "metrics untouched by the refusal"
    changed_yaml = os.path.join(work, "changed.yaml")
    with open(changed_yaml, "w") as file:
        file.write(config_text(store, resumed, lr="2.0e-2"))
    message = run(spindle, "train", "--config", changed_yaml, "--resume", expect=1)
    assert "optimizer.lr = 0.01, this configuration has 0.02" in message, message
    message = run(spindle, "train", "--config", resumed_yaml, expect=1)
    assert "holds checkpoints of a run" in message, message
    # Another store (a copy is another file) changes the losses.
    copied_store = os.path.join(work, "copied.h5")
    shutil.copyfile(store, copied_store)
    with open(changed_yaml, "w") as file:
        file.write(config_text(copied_store, resumed))
    message = run(spindle, "train", "--config", changed_yaml, "--resume", expect=1)
    named = 'data.store = "%s", this configuration has "%s"' % (store, copied_store)
    assert named in message, message
    # A checkpoint.dir without the run's checkpoints (changed, or the checkpoints moved away)
    # would start over at step 0 and drop the metrics of steps 1..75: refused, naming both folders.
    checkpoints = os.path.join(resumed, "checkpoints")
    elsewhere = os.path.join(work, "elsewhere")
    with open(changed_yaml, "w") as file:
        file.write(config_text(store, resumed).replace("checkpoint:\n", "checkpoint:\n  dir: %s\n" % elsewhere))
    message = run(spindle, "train", "--config", changed_yaml, "--resume", expect=1)
    assert "no checkpoint in %s" % elsewhere in message and "step 50 in %s" % checkpoints in message, message
    assert not os.path.exists(elsewhere), "a refused run leaves no folder it made"
    os.rename(checkpoints, elsewhere + ".moved")
    message = run(spindle, "train", "--config", resumed_yaml, "--resume", expect=1)
    assert "no checkpoint in %s" % checkpoints in message and "step 50 in %s" % checkpoints in message, message
    assert not os.path.exists(checkpoints), "a refused run leaves no folder it made"
    os.rename(elsewhere + ".moved", checkpoints)
    assert len(metrics(resumed)) == 75 + 1, "metrics untouched by the refusals"
    # What a kill while an old checkpoint was being deleted leaves: the next save deletes it.
    half_deleted = os.path.join(resumed, "checkpoints", "step-00000025.deleting")
    os.makedirs(os.path.join(half_deleted, "model"))
    # What a crash while a checkpoint folder was being replaced leaves (io/atomic_write.h): the
    # old folder moved aside by a process that no longer runs (99999999 is none: pid_max is at
    # most 2^22), unchanged for over an hour, and no new one. The resume renames it back and
    # resumes from it; without, it would find no checkpoint and refuse.
    moved_aside = os.path.join(resumed, "checkpoints", "step-00000050.replaced-99999999")
    os.rename(os.path.join(resumed, "checkpoints", "step-00000050"), moved_aside)
    # Moved aside just now, it is not restored yet (its process may run on another host): the
    # refusal names it and how it comes back.
    message = run(spindle, "train", "--config", resumed_yaml, "--resume", expect=1)
    leftover = "%s is a checkpoint that a save moved aside while replacing it" % moved_aside
    by_hand = "rename it back to %s by hand" % os.path.join(resumed, "checkpoints", "step-00000050")
    assert leftover in message and "an hour has passed" in message and by_hand in message, message
    two_hours_ago = os.stat(moved_aside).st_mtime - 7200
    os.utime(moved_aside, (two_hours_ago, two_hours_ago))
    # Resumed with the same settings written otherwise, the store named relative to the
    # working folder through a link.
    os.symlink(store, os.path.join(work, "linked.h5"))
    with open(resumed_yaml, "w") as file:
        file.write(same_meaning(config_text("./linked.h5", resumed)))
    message = run(spindle, "train", "--config", resumed_yaml, "--resume", cwd=work)
    assert "step-00000050: restored from %s" % moved_aside in message, message
    assert metrics(resumed) == lines, "resumed metrics differ from the uninterrupted run's"
    listed = sorted(os.listdir(os.path.join(resumed, "checkpoints")))
    assert listed == ["step-00000100", "step-00000150"], listed

    # A run folder moved with its store (named relative to the folder) resumes where it is now.
    project = os.path.join(work, "project")
    os.makedirs(project)
    os.link(store, os.path.join(project, "store.h5"))
    with open(os.path.join(project, "run.yaml"), "w") as file:
        file.write(config_text("store.h5", "out"))
    run(spindle, "train", "--config", "run.yaml", "--stop-after", "50", cwd=project)
    moved = os.path.join(work, "project-moved")
    os.rename(project, moved)
    message = run(spindle, "train", "--config", "run.yaml", "--resume", "--stop-after", "51", cwd=moved)
    assert "resuming from" in message and len(metrics(os.path.join(moved, "out"))) > 50, message

    # A damaged trainer state is an error naming the file and the key (it was "unexpected error:
    # [json.exception.out_of_range.403] key 'optimizer_steps' not found").
    damaged = os.path.join(work, "damaged")
    shutil.copytree(resumed, damaged)
    state_path = os.path.join(damaged, "checkpoints", "step-00000150", "trainer_state.json")
    with open(state_path) as file:
        state = json.load(file)
    del state["optimizer_steps"]
    with open(state_path, "w") as file:
        json.dump(state, file)
    damaged_yaml = os.path.join(work, "damaged.yaml")
    with open(damaged_yaml, "w") as file:
        file.write(config_text(store, damaged))
    message = run(spindle, "train", "--config", damaged_yaml, "--resume", expect=1)
    assert "%s: optimizer_steps: missing" % state_path in message and "unexpected" not in message, message

    # A run that diverges (lr 1000: the loss is NaN at step 2) stops there, before its optimizer
    # step and any checkpoint of NaN parameters, naming the newest checkpoint (step 1). Without
    # weight decay, which at such a rate would scale the weights by 1 - lr x weight_decay < 0
    # (refused with the configuration).
    diverged = os.path.join(work, "diverged")
    diverged_yaml = os.path.join(work, "diverged.yaml")
    with open(diverged_yaml, "w") as file:
        file.write(config_text(store, diverged, lr="1000").replace("every: 50\n  keep", "every: 1\n  keep")
                   .replace("  min_lr:", "  weight_decay: 0\n  min_lr:"))
    message = run(spindle, "train", "--config", diverged_yaml, expect=1)
    assert re.search(r"train: step 2: the training diverged: loss (nan|inf|-inf), gradient norm", message), message
    assert "step-00000001" in message, message
    assert os.listdir(os.path.join(diverged, "checkpoints")) == ["step-00000001"]
    assert [line["step"] for line in metrics(diverged)] == [1], metrics(diverged)

    bad_yaml = os.path.join(work, "bad.yaml")
    good = config_text(store, os.path.join(work, "bad"))
    with open(bad_yaml, "w") as file:
        file.write(good + "optimiser:\n  lr: 1\n")
    message = run(spindle, "train", "--config", bad_yaml, expect=1)
    assert "%s:%d: optimiser: unknown key" % (bad_yaml, good.count("\n") + 1) in message, message

    # A checkpoint folder (or output folder) that cannot be made is refused before the first
    # step, naming the key (it failed after the last step with "unexpected error: filesystem
    # error", the training lost).
    blocked = os.path.join(work, "blocked")
    blocked_yaml = os.path.join(work, "blocked.yaml")
    with open(blocked_yaml, "w") as file:
        file.write(config_text(store, blocked).replace("checkpoint:\n", "checkpoint:\n  dir: %s/x\n" % store))
    message = run(spindle, "train", "--config", blocked_yaml, expect=1)
    assert "%s: checkpoint.dir: cannot make the folder %s/x" % (blocked_yaml, store) in message, message
    assert "unexpected error" not in message and "step 1" not in message, message
    assert not os.path.exists(blocked), "the output folder the refused run made is removed again"
    with open(blocked_yaml, "w") as file:
        file.write(config_text(store, store + "/out"))
    message = run(spindle, "train", "--config", blocked_yaml, expect=1)
    assert "%s: output: cannot make the folder %s/out" % (blocked_yaml, store) in message, message

    print("train cli ok: loss %.3f -> %.3f (unigram entropy %.3f), validation %.3f -> %.3f (unigram %.3f), "
          "accuracy %.3f; stopped after step 75 and resumed: %d metrics lines identical"
          % (first, last, training_entropy, validation[0]["loss"], validation[-1]["loss"], held_out_entropy,
             validation[-1]["accuracy"], len(lines)))


if __name__ == "__main__":
    main()
