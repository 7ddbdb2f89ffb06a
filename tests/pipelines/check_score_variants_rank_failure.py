"""`mpirun -np 2 spindle score-variants` when one rank fails and the other does not: the job
must end on every rank (no hang) with exit 1 and the failing rank's error, leave no output
that looks complete, and keep the progress files so that the same command resumes.

The failure is a FASTA whose .fai index claims 400 more bases of contig b than the file
holds (as after a FASTA cut short by a failed copy): the REF checks pass (every variant
lies in the bases that are there), but windows of the variants near b's end reach into the
missing bases, so only the rank that scores them fails. With b's variants last in the VCF
that is rank 1, with b's variants first rank 0 (the rank that writes the outputs). After the
index is made again from the FASTA, the same command resumes from both ranks' progress
files and writes the same bytes as one process that never failed. Last, 4 processes in
rings of 2 (--sequence-parallel 2): the second ring (ranks 2 and 3) fails, the first not.

usage: check_score_variants_rank_failure.py SPINDLE WORK_DIR MODEL_DIR MPIEXEC
Prints "score-variants rank failure ok".
"""
import os
import random
import shutil
import subprocess
import sys
import time

HELD, CLAIMED = 2000, 2400  # bases of b in the file, and in the .fai


def fail(message):
    sys.exit("FAIL: " + message)


def write_inputs(folder, order):
    random.seed(17)
    bases = {name: "".join(random.choice("ACGT") for _ in range(HELD)) for name in ("a", "b")}
    os.makedirs(folder)
    with open(os.path.join(folder, "ref.fa"), "w") as out:
        for name in ("a", "b"):
            out.write(">%s\n" % name)
            for i in range(0, HELD, 60):
                out.write(bases[name][i:i + 60] + "\n")
    # samtools faidx's index of the file, with b's length overstated.
    line_count = (HELD + 59) // 60
    offset_b = len(">a\n") + HELD + line_count + len(">b\n")
    with open(os.path.join(folder, "ref.fa.fai"), "w") as out:
        out.write("a\t%d\t3\t60\t61\n" % HELD)
        out.write("b\t%d\t%d\t60\t61\n" % (CLAIMED, offset_b))
    other = {"A": "G", "C": "T", "G": "A", "T": "C"}
    with open(os.path.join(folder, "v.vcf"), "w") as out:
        out.write("##fileformat=VCFv4.2\n##contig=<ID=a,length=%d>\n##contig=<ID=b,length=%d>\n" % (HELD, CLAIMED))
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for name in order:
            for p in range(0, HELD, 20):
                out.write("%s\t%d\t.\t%s\t%s\t.\tPASS\t.\n" % (name, p + 1, bases[name][p], other[bases[name][p]]))


ARGUMENTS = ["score-variants", "--model", "model", "--fasta", "ref.fa", "--vcf", "v.vcf", "--out", "o.vcf.gz",
             "--tsv", "o.tsv", "--window", "512", "--scores", "llr,embed-l2", "--batch", "4"]


def run_ranks(spindle, mpiexec, folder, ranks=2, extra=()):
    start = time.time()
    process = subprocess.Popen([mpiexec, "-np", str(ranks), "--oversubscribe", spindle, *ARGUMENTS, *extra],
                               cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.terminate()  # mpirun passes it on to the ranks it started
        process.communicate()
        fail("%s: mpirun -np %d did not end within 60 s (a hang)" % (folder, ranks))
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), time.time() - start


def check_failure(spindle, mpiexec, model, folder, order, failing, ranks=2, extra=()):
    """`failing`: how the error names the ranks that fail ("rank 1", "ranks 2-3")."""
    write_inputs(folder, order)
    os.symlink(model, os.path.join(folder, "model"))
    result, seconds = run_ranks(spindle, mpiexec, folder, ranks, extra)
    output = result.stdout + result.stderr
    if result.returncode == 0:
        fail("%s: exit 0 although %s failed\n%s" % (folder, failing, output))
    expected = ["score-variants: %s of %d failed: ref.fa: b [" % (failing, ranks),
                "(expected 512 bases: a FASTA that matches its .fai index)"]
    if not all(text in output for text in expected):
        fail("%s: no message naming %s and the FASTA (wanted %s)\n%s" % (folder, failing, expected, output))
    if output.count(" failed: ") != output.count(expected[0]):
        fail("%s: other ranks than %s failed: not the case this test is about\n%s" % (folder, failing, output))
    left = sorted(os.listdir(folder))
    if any(name in left for name in ("o.vcf.gz", "o.vcf.gz.tbi", "o.tsv")):
        fail("%s: outputs left after the failure: %s" % (folder, left))
    if not all("o.vcf.gz.progress-%d-of-%d" % (r, ranks) in left for r in range(ranks)):
        fail("%s: progress files not kept: %s" % (folder, left))
    print("%s of %d failing: exit %d after %.1f s, no outputs, progress files kept" %
          (failing, ranks, result.returncode, seconds))


def check_resume(spindle, mpiexec, folder):
    """The index made again from the file: the same command resumes and completes."""
    os.remove(os.path.join(folder, "ref.fa.fai"))
    resumed, _ = run_ranks(spindle, mpiexec, folder)
    if resumed.returncode != 0 or "resuming after" not in resumed.stderr:
        fail("%s: no resume after the index was made again (exit %d)\n%s" % (folder, resumed.returncode,
                                                                          resumed.stderr))
    whole = folder + "-one"
    os.makedirs(whole)
    for name in ("ref.fa", "v.vcf", "model"):
        os.symlink(os.path.abspath(os.path.join(folder, name)), os.path.join(whole, name))
    subprocess.run([spindle, "--log-level", "warn", *ARGUMENTS], cwd=whole, check=True)
    for name in ("o.vcf.gz", "o.vcf.gz.tbi", "o.tsv"):
        with open(os.path.join(folder, name), "rb") as a, open(os.path.join(whole, name), "rb") as b:
            if a.read() != b.read():
                fail("%s: %s of the resumed run differs from one process's" % (folder, name))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    spindle, work, model = (os.path.abspath(a) for a in sys.argv[1:4])
    mpiexec = sys.argv[4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chdir(work)
    check_failure(spindle, mpiexec, model, "rank1", ("a", "b"), "rank 1")
    check_resume(spindle, mpiexec, "rank1")
    check_failure(spindle, mpiexec, model, "rank0", ("b", "a"), "rank 0")
    check_resume(spindle, mpiexec, "rank0")
    check_failure(spindle, mpiexec, model, "rings", ("a", "b"), "ranks 2-3", 4, ["--sequence-parallel", "2"])
    print("score-variants rank failure ok")


if __name__ == "__main__":
    main()
