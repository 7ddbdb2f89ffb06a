"""A rank that fails inside a ring section (between its group's exchanges) must end the
whole job, not leave its partners waiting forever: `mpirun -np 2` of
`spindle score-variants --sequence-parallel 2`, of `spindle train` with
`parallel: {sequence: 2}` (a ring of 2) and with `parallel: {sequence: 1, data: 2}` (no
ring: each training step is a section of the world) on the CPU (tiny model, f32), rank 1
made to throw in one section by the test hook SPINDLE_TEST_RING_FAILURE
(platform/distributed/ring_section.cpp). The job must end within 40 s, exit non-zero and
print rank 1's error. score-variants also: the same command without the hook resumes from
the progress files the abort left; and the hook never fires for one process (no group: the
run is as without it), for score-variants and train. train-setup: setting up fails on rank 1
alone (the config names a store relative to each rank's folder, and rank 1's has none; an
MPMD mpirun): both ranks must end with rank 1's error, not rank 0 waiting in the first step;
the same when rank 1 alone cannot read its config (a model config.json that does not exist)
or has no GPU for `device: cuda` (CUDA_VISIBLE_DEVICES=-1), and when the ranks read configs
that differ (in steps alone), and when the ranks would resume from different steps (rank 1
started in another folder, where the relative checkpoint.dir holds no checkpoint).
score-variants-setup: rank 1 alone
has no GPU for --device cuda, rank 0 runs on the CPU: both ranks end with rank 1's error.

usage: check_ring_failure_aborts.py SPINDLE MPIEXEC WORK_DIR
           (score-variants MODEL_DIR | train | train-data | train-setup | score-variants-setup)
Prints "ring failure aborts ok".
"""
import os
import random
import shutil
import subprocess
import sys
import time

LIMIT = 40  # seconds for one run; a ring left waiting would never end


def fail(message):
    sys.exit("FAIL: " + message)


def run(command, folder, hook=None):
    environment = dict(os.environ)
    environment.pop("SPINDLE_TEST_RING_FAILURE", None)
    if hook:
        environment["SPINDLE_TEST_RING_FAILURE"] = hook
    start = time.time()
    process = subprocess.Popen(command, cwd=folder, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        process.terminate()  # mpirun passes it on to the ranks it started
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        fail("%s did not end within %d s (a hang)\n%s" % (" ".join(command), LIMIT, output[-4000:]))
    return process.returncode, output, time.time() - start


def expect_abort(command, folder, hook, task):
    status, output, seconds = run(command, folder, hook)
    rank, section = hook.split(":")
    expected = "%s: rank %s of 2 failed: ring section %s of rank %s: failure injected by SPINDLE_TEST_RING_FAILURE" % (
        task, rank, section, rank)
    if status == 0:
        fail("exit 0 although rank %s failed\n%s" % (rank, output[-4000:]))
    if expected not in output or "MPI_Abort" not in output:
        fail("no line '%s' and no MPI_Abort in the output\n%s" % (expected, output[-4000:]))
    print("%s: rank %s failing in ring section %s: exit %d after %.1f s with '%s'" %
          (task, rank, section, status, seconds, expected))


def random_bases(generator, count):
    return "".join(generator.choice("ACGT") for _ in range(count))


def write_fasta(path, contigs):
    with open(path, "w") as out:
        out.write("".join(">%s\n%s\n" % contig for contig in contigs.items()))


def check_score_variants(spindle, mpiexec, folder, model):
    generator = random.Random(5)
    bases = random_bases(generator, 1000)
    write_fasta(os.path.join(folder, "ref.fa"), {"a": bases})
    other = {"A": "G", "C": "T", "G": "A", "T": "C"}
    with open(os.path.join(folder, "v.vcf"), "w") as out:
        out.write("##fileformat=VCFv4.2\n##contig=<ID=a,length=1000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for p in range(10, 1000, 25):
            out.write("a\t%d\t.\t%s\t%s\t.\tPASS\t.\n" % (p + 1, bases[p], other[bases[p]]))
    arguments = [spindle, "score-variants", "--model", model, "--fasta", os.path.join(folder, "ref.fa"), "--vcf",
                 os.path.join(folder, "v.vcf"), "--out", "o.vcf.gz", "--window", "64", "--scores", "llr,embed-l2",
                 "--batch", "4"]
    ring = [mpiexec, "-np", "2", "--oversubscribe", *arguments, "--sequence-parallel", "2"]
    # Three ring sections a step (llr, ref and alt embeddings): the 5th is step 2's ref forward.
    expect_abort(ring, folder, "1:5", "score-variants")
    status, output, _ = run(ring, folder)
    if status != 0 or "resuming after 4 of 40 alleles" not in output:
        fail("no resume from the progress files after the abort (exit %d)\n%s" % (status, output[-4000:]))
    print("score-variants: the same command resumed after step 1 and completed")
    alone = os.path.join(folder, "alone")
    os.makedirs(alone)
    status, output, _ = run(arguments, alone, "0:1")
    if status != 0 or not os.path.exists(os.path.join(alone, "o.vcf.gz")):
        fail("one process with the hook set did not run as without it (exit %d)\n%s" % (status, output[-4000:]))
    print("score-variants: one process (no ring) ignores the hook")


def write_train_config(folder, store, parallel):
    config = os.path.join(folder, "train.yaml")
    with open(config, "w") as out:
        out.write(f"""model:
  preset: caduceus-131k-ph
  d_model: 8
  n_layer: 2
data:
  store: {store}
  window: 64
  batch: 2
  validation:
    records: [chrB]
optimizer:
  lr: 1.0e-2
  warmup_steps: 1
steps: 4
seed: 3
output: {os.path.join(folder, "out")}
validation:
  every: 4
  batches: 1
{parallel}
""")
    return config


def make_store(spindle, folder):
    generator = random.Random(9)
    fasta, store = os.path.join(folder, "g.fa"), os.path.join(folder, "g.h5")
    write_fasta(fasta, {"chrA": random_bases(generator, 4000), "chrB": random_bases(generator, 1000)})
    subprocess.run([spindle, "ingest", "fasta", fasta, "--out", store], check=True, capture_output=True)
    return store


def check_train_setup(spindle, mpiexec, folder):
    store = make_store(spindle, folder)
    # One config (every rank must read the same) naming the store relative to each rank's
    # folder: rank 1's has none, as a host whose local disk lacks it.
    config = write_train_config(folder, "g.h5", "parallel: {sequence: 2}")
    rank1_folder, missing = os.path.join(folder, "rank1"), "g.h5: no such file"
    os.makedirs(rank1_folder)
    command = [mpiexec, "--oversubscribe", "-np", "1", "-wdir", folder, spindle, "train", "--config", config, ":",
               "-np", "1", "-wdir", rank1_folder, spindle, "train", "--config", config]
    status, output, seconds = run(command, folder)
    expected = "train: rank 1 of 2 failed: "
    if status == 0:
        fail("exit 0 although rank 1 could not set up\n%s" % output[-4000:])
    if output.count(expected) < 2 or missing not in output:
        fail("rank 1's error ('%s... %s') not printed by both ranks\n%s" % (expected, missing, output[-4000:]))
    print("train-setup: rank 1 without its store: both ranks ended (exit %d after %.1f s) with '%s...'" %
          (status, seconds, expected))
    os.makedirs(os.path.join(folder, "rank0"))
    configs = [write_train_config(os.path.join(folder, "rank0"), store, "parallel: {sequence: 2}")]
    # Before the grid exists: rank 1's config names a model that is not there, or rank 1
    # has no GPU for its `device: cuda` (rank 0 on the CPU).
    model_config = os.path.join(folder, "missing-model", "config.json")
    for case, edit, environment, text in (
            ("unreadable-config", ("preset: caduceus-131k-ph", "config: " + model_config), [], model_config),
            ("no-gpu", ("seed: 3", "seed: 3\ndevice: cuda\nprecision: f32"), ["-x", "CUDA_VISIBLE_DEVICES=-1"],
             "GPU")):
        os.makedirs(os.path.join(folder, case))
        config = write_train_config(os.path.join(folder, case), store, "parallel: {sequence: 2}")
        with open(config) as text_in:
            content = text_in.read()
        with open(config, "w") as out:
            out.write(content.replace(*edit))
        command = [mpiexec, "--oversubscribe", "-np", "1", spindle, "train", "--config", configs[0], ":",
                   "-np", "1", *environment, spindle, "train", "--config", config]
        expect_setup_failure(command, folder, "train", text, "train-setup (%s)" % case)
    # Ranks that read different configs (here only steps differ) would run different steps
    # and wait for each other forever: both end, naming the ranks whose config differs.
    other_steps = os.path.join(folder, "other-steps")
    os.makedirs(other_steps)
    config = write_train_config(other_steps, store, "parallel: {sequence: 2}")
    with open(config) as text_in:
        content = text_in.read()
    with open(config, "w") as out:
        out.write(content.replace("steps: 4", "steps: 6").replace(other_steps, os.path.join(folder, "rank0")))
    command = [mpiexec, "--oversubscribe", "-np", "1", spindle, "train", "--config", configs[0], ":",
               "-np", "1", spindle, "train", "--config", config]
    status, output, seconds = run(command, folder)
    expected = "rank 1 read a config that differs from rank 0's"
    if status == 0 or output.count(expected) < 2:
        fail("ranks with different configs: no exit with '%s' on both ranks (exit %d)\n%s" %
             (expected, status, output[-4000:]))
    print("train-setup (different configs): both ranks ended (exit %d after %.1f s) with '%s'" %
          (status, seconds, expected))
    check_resume_steps_differ(spindle, mpiexec, folder, store)


def check_resume_steps_differ(spindle, mpiexec, folder, store):
    """Each rank looks for the newest checkpoint in checkpoint.dir itself; rank 0 alone writes
    them. Relative output and checkpoint folders and ranks started in different folders give
    rank 1 a checkpoint.dir of its own without the checkpoints, as a node-local disk would:
    rank 0 would resume at step 2 and rank 1 start at step 0, training different steps
    (a hang, or steps mixed). Both must end with one error naming the steps found."""
    shared, local = os.path.join(folder, "resume-shared"), os.path.join(folder, "resume-rank1")
    os.makedirs(shared)
    os.makedirs(local)
    config = write_train_config(shared, store, "parallel: {sequence: 2}")
    with open(config) as text_in:
        content = text_in.read()
    with open(config, "w") as out:
        out.write(content.replace("output: %s" % os.path.join(shared, "out"), "output: out\ncheckpoint:\n  every: 2"))
    arguments = [spindle, "train", "--config", config]
    status, output, _ = run([mpiexec, "--oversubscribe", "-np", "2", *arguments, "--stop-after", "2"], shared)
    if status != 0 or not os.path.isdir(os.path.join(shared, "out", "checkpoints", "step-00000002")):
        fail("the run to resume did not save step 2 (exit %d)\n%s" % (status, output[-4000:]))
    command = [mpiexec, "--oversubscribe", "-np", "1", "-wdir", shared, *arguments, "--resume", ":",
               "-np", "1", "-wdir", local, *arguments, "--resume"]
    status, output, seconds = run(command, shared)
    expected = ("the ranks would resume from different steps: rank 0 found step 2; "
                "rank 1 found no checkpoint (step 0)")
    if status == 0 or output.count(expected) < 2 or "on a filesystem every rank sees" not in output:
        fail("ranks resuming from different steps: no exit with '%s' on both ranks (exit %d)\n%s" %
             (expected, status, output[-4000:]))
    print("train-setup (resume steps differ): both ranks ended (exit %d after %.1f s) with '%s'" %
          (status, seconds, expected))


def expect_setup_failure(command, folder, task, text, case):
    status, output, seconds = run(command, folder)
    expected = "%s: rank 1 of 2 failed: " % task
    if status == 0:
        fail("%s: exit 0 although rank 1 could not set up\n%s" % (case, output[-4000:]))
    if not any(line.count(expected) and text in line for line in output.splitlines()) or output.count(expected) < 2:
        fail("%s: rank 1's error ('%s... %s') not printed by both ranks\n%s" % (case, expected, text, output[-4000:]))
    print("%s: both ranks ended (exit %d after %.1f s) with '%s...'" % (case, status, seconds, expected))


def check_score_variants_setup(spindle, mpiexec, folder):
    write_fasta(os.path.join(folder, "ref.fa"), {"a": "ACGT" * 50})
    with open(os.path.join(folder, "v.vcf"), "w") as out:
        out.write("##fileformat=VCFv4.2\n##contig=<ID=a,length=200>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    arguments = [spindle, "score-variants", "--model", folder, "--fasta", os.path.join(folder, "ref.fa"), "--vcf",
                 os.path.join(folder, "v.vcf"), "--out", "o.vcf.gz", "--device"]
    command = [mpiexec, "--oversubscribe", "-np", "1", *arguments, "cpu", ":",
               "-np", "1", "-x", "CUDA_VISIBLE_DEVICES=-1", *arguments, "cuda"]
    expect_setup_failure(command, folder, "score-variants", "GPU", "score-variants-setup (no GPU on rank 1)")


def check_train(spindle, mpiexec, folder, data_parallel):
    store = make_store(spindle, folder)
    mpirun = [mpiexec, "-np", "2", "--oversubscribe", spindle, "train", "--config"]
    # One section a training step (of the world, from reading its batch through validation,
    # checkpoint and metrics), whether the ranks form a ring or two replicas.
    if not data_parallel:
        config = write_train_config(folder, store, "parallel: {sequence: 2}")
        expect_abort([*mpirun, config], folder, "1:3", "train")
        return
    config = write_train_config(folder, store, "parallel: {sequence: 1, data: 2}")
    expect_abort([*mpirun, config], folder, "1:2", "train")
    alone = os.path.join(folder, "alone")
    os.makedirs(alone)
    status, output, _ = run([spindle, "train", "--config", write_train_config(alone, store, "")], alone, "0:1")
    if status != 0 or not os.path.exists(os.path.join(alone, "out", "loss_curve.svg")):
        fail("one process with the hook set did not run as without it (exit %d)\n%s" % (status, output[-4000:]))
    print("train: one process (no group) ignores the hook")


def main():
    if len(sys.argv) != (6 if sys.argv[4:5] == ["score-variants"] else 5):
        sys.exit(__doc__)
    spindle, mpiexec, work, job = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3]), sys.argv[4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if job == "score-variants":
        check_score_variants(spindle, mpiexec, work, os.path.abspath(sys.argv[5]))
    elif job in ("train", "train-data"):
        check_train(spindle, mpiexec, work, job == "train-data")
    elif job == "train-setup":
        check_train_setup(spindle, mpiexec, work)
    elif job == "score-variants-setup":
        check_score_variants_setup(spindle, mpiexec, work)
    else:
        sys.exit(__doc__)
    print("ring failure aborts ok")


if __name__ == "__main__":
    main()
