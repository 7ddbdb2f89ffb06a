"""End-to-end check of `spindle score-variants` on the CPU with the tiny reference models
(tests/data/caduceus_reference: Ph and PS, d_model 8, 2 layers) on a generated FASTA and
VCFs, with bcftools and tabix reading the outputs:

- edge cases: a variant at position 1 and at the last base (N padding recorded), a
  multi-allelic record (one value per ALT) with a '*' allele, a deletion and an insertion
  (embed scores, no llr), a REF mismatch, a contig not in the FASTA, <DEL>, an allele too
  long for the window, a window mostly N; each not scored with its SPINDLE_SKIP reason;
- the output: bcftools reads it, the records and their order are the input's, the header
  declares every added field (Number=A) and the provenance lines, tabix seeks in it;
  plain, gzip, bgzip and BCF inputs give the same records; --tsv and --embeddings (h5py:
  the cosine and L2 distances of the stored embeddings are the VCF's);
- an empty VCF gives a header-only output; an unsorted VCF is refused before any work
  (exit 1, the record named, no output);
- strands: a variant and its complement on the reverse-complemented contig get the same
  llr and embedding distances (odd window: the windows are mirror images), Ph and PS;
- kill and resume: a run killed with SIGKILL mid-way and started again with the same
  command writes the same bytes (VCF, index, TSV) as a run that never stopped, also after
  garbage appended to its progress file; other settings are refused while a progress file
  of the first is there, naming the setting that differs, and so are progress files of
  another number of processes and a --regions BED file changed since the kill.

With a FASTA and a VCF after the models (real data, e.g. hg38 chr21:22-23M and
NA24143.vcf.gz): every record scored with the tiny Ph model (window 1,024), bcftools view
and query read the output, records and order equal the input's, the header declares every
added field; exits 77 (skipped) when the files are absent.

With "mpi MPIEXEC" after the models: runs under `MPIEXEC -np 2` and `-np 3` (uneven
blocks) write the same bytes (VCF, index, TSV) as one process.

With "rings MPIEXEC" after the models: --sequence-parallel 2 under `-np 2` (one ring) and
`-np 4` (two rings), and 3 under `-np 3` (uneven slices), Ph and PS, llr + embed-cosine +
embed-l2: the same header (but the command line), records and skip reasons as one process,
and every score within float rounding of its; a ring stopped mid-way, one rank's progress
file cut short, resumes to the bytes of a ring that never stopped; a ring that does not
divide the world, and a window too short for the ring, are refused with their message and
no hang.

usage: check_score_variants_cli.py SPINDLE WORK_DIR MODELS_DIR [FASTA VCF | mpi MPIEXEC | rings MPIEXEC]
Prints "score-variants cli ok" (or "score-variants real data ok", "score-variants mpi ok",
"score-variants rings ok").
"""
import gzip
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}
FIELDS = ["SPINDLE_LLR", "SPINDLE_EMBED_COSINE", "SPINDLE_EMBED_L2", "SPINDLE_PAD", "SPINDLE_SKIP"]
HEADER = "##fileformat=VCFv4.2\n{contigs}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def fail(message):
    sys.exit("FAIL: " + message)


def run(spindle, *arguments, expect=0):
    result = subprocess.run([spindle, "--log-level", "info", "score-variants", *arguments], capture_output=True,
                            text=True)
    if result.returncode != expect:
        fail("exit %d (expected %d): spindle score-variants %s\n%s%s" % (
            result.returncode, expect, " ".join(arguments), result.stdout, result.stderr))
    return result.stdout + result.stderr


def shell(*command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        fail("%s: exit %d\n%s" % (" ".join(command), result.returncode, result.stderr))
    return result.stdout


def write_fasta(path, contigs):
    with open(path, "w") as out:
        for name, bases in contigs.items():
            out.write(">%s\n" % name)
            for i in range(0, len(bases), 60):
                out.write(bases[i:i + 60] + "\n")


def write_vcf(path, contigs, records):
    declared = "".join("##contig=<ID=%s,length=%d>\n" % (name, length) for name, length in contigs)
    with open(path, "w") as out:
        out.write(HEADER.format(contigs=declared))
        for chrom, pos, ident, ref, alt in records:
            out.write("\t".join([chrom, str(pos), ident, ref, alt, ".", "PASS", "."]) + "\n")


def other(base):
    return {"A": "G", "C": "T", "G": "A", "T": "C"}[base]


def info_of(path):
    """{id: {field: [values per ALT]}} of an output, through bcftools query."""
    format_ = "%ID\t%ALT\t" + "\t".join("%INFO/" + f for f in FIELDS) + "\n"
    rows = {}
    for line in shell("bcftools", "query", "-f", format_, path).splitlines():
        ident, alt, *values = line.split("\t")
        alts = len(alt.split(","))
        rows[ident] = {f: (v.split(",") if v != "." else ["."] * alts) for f, v in zip(FIELDS, values)}
    return rows


def records_of(path):
    return shell("bcftools", "view", "-H", path)


def check_edge_cases(spindle, ps, ph):
    random.seed(7)
    chr1 = "".join(random.choice("ACGT") for _ in range(1000))
    chr2 = "".join(random.choice("ACGT") for _ in range(300)) + "N" * 400 + "".join(random.choice("ACGT") for _ in range(300))
    write_fasta("ref.fa", {"chr1": chr1, "chr2": chr2})
    records = [
        ("chr1", 1, "first", chr1[0], other(chr1[0])),
        ("chr1", 100, "multi", chr1[99], ",".join(b for b in "ACGT" if b != chr1[99]) + ",*"),
        ("chr1", 200, "deletion", chr1[199:203], chr1[199]),
        ("chr1", 300, "insertion", chr1[299], chr1[299] + "TTAG"),
        ("chr1", 400, "mismatch", other(chr1[399]), chr1[399]),
        ("chr1", 500, "sv", chr1[499], "<DEL>"),
        ("chr1", 600, "long", chr1[599], chr1[599] + "A" * 200),
        ("chr1", 1000, "last", chr1[999], other(chr1[999])),
        ("chr2", 500, "in_n", "N", "A"),
        ("chr2", 900, "chr2_snv", chr2[899], other(chr2[899])),
        ("chrX", 5, "no_contig", "A", "G"),
    ]
    contigs = [("chr1", 1000), ("chr2", 1000), ("chrX", 100)]
    write_vcf("v.vcf", contigs, records)
    shutil.copy("v.vcf", "plain.vcf")
    shell("bgzip", "-f", "v.vcf")  # v.vcf.gz
    with open("plain.vcf", "rb") as raw, gzip.open("gz.vcf.gz", "wb") as out:
        out.write(raw.read())
    shell("bcftools", "view", "-Ob", "-o", "v.bcf", "v.vcf.gz")

    common = ["--fasta", "ref.fa", "--window", "256", "--pool", "64", "--scores", "llr,embed-cosine,embed-l2",
              "--batch", "3"]
    log = run(spindle, "--model", ps, "--vcf", "v.vcf.gz", "--out", "o.vcf.gz", "--tsv", "o.tsv",
              "--embeddings", "o.h5", *common)
    for reason, count in [("ref_mismatch", 1), ("symbolic", 1), ("missing_contig", 1), ("n_fraction", 1),
                          ("long_allele", 1), ("spanning_deletion", 1)]:
        if "not scored, %s: %d" % (reason, count) not in log:
            fail("no count '%s: %d' in the log:\n%s" % (reason, count, log))
    if not os.path.exists("o.vcf.gz.tbi") or os.path.exists("o.vcf.gz.progress"):
        fail("no index, or the progress file left behind")
    header = shell("bcftools", "view", "-h", "o.vcf.gz")
    for field in FIELDS:
        if "##INFO=<ID=%s,Number=A," % field not in header:
            fail("header does not declare %s:\n%s" % (field, header))
    for line in ("##spindleVersion=", "##spindle_scoreVariantsCommand=spindle score-variants --model %s" % ps):
        if line not in header:
            fail("no provenance line %s" % line)
    # Every input record, in order, as it was (apart from INFO).
    query = ["bcftools", "query", "-f", "%CHROM\t%POS\t%ID\t%REF\t%ALT\t%FILTER\n"]
    if shell(*query, "o.vcf.gz") != shell(*query, "v.vcf.gz"):
        fail("records or their order differ from the input")
    info = info_of("o.vcf.gz")
    skips = {ident: row["SPINDLE_SKIP"] for ident, row in info.items()}
    expected_skips = {"first": ["."], "multi": [".", ".", ".", "spanning_deletion"], "deletion": ["."],
                      "insertion": ["."], "mismatch": ["ref_mismatch"], "sv": ["symbolic"], "long": ["long_allele"],
                      "last": ["."], "in_n": ["n_fraction"], "chr2_snv": ["."], "no_contig": ["missing_contig"]}
    if skips != expected_skips:
        fail("SPINDLE_SKIP %s, expected %s" % (skips, expected_skips))
    if info["first"]["SPINDLE_PAD"] != ["128"] or info["last"]["SPINDLE_PAD"] != ["127"]:
        fail("padding of the first and last base: %s %s" % (info["first"], info["last"]))
    if "." in info["multi"]["SPINDLE_LLR"][:3] or info["multi"]["SPINDLE_LLR"][3] != ".":
        fail("multi-allelic llr per ALT: %s" % info["multi"])
    for indel in ("deletion", "insertion"):
        if info[indel]["SPINDLE_LLR"] != ["."] or "." in info[indel]["SPINDLE_EMBED_COSINE"]:
            fail("%s: no llr but embedding distances expected: %s" % (indel, info[indel]))
    # tabix seeks by region.
    if "chr2_snv" not in shell("tabix", "o.vcf.gz", "chr2:850-950"):
        fail("tabix found no record in chr2:850-950")

    # The same records from plain, gzip and BCF input.
    for i, given in enumerate(["plain.vcf", "gz.vcf.gz", "v.bcf"]):
        run(spindle, "--model", ps, "--vcf", given, "--out", "o%d.vcf.gz" % i, *common)
        if records_of("o%d.vcf.gz" % i) != records_of("o.vcf.gz"):
            fail("%s gives other records than bgzip input" % given)

    # The TSV and the embeddings agree with the VCF.
    rows = [line.split("\t") for line in open("o.tsv").read().splitlines()]
    if rows[0][:7] != ["chrom", "pos", "id", "ref", "alt", "record", "allele"] or len(rows) != 1 + 13:
        fail("TSV header or row count: %s, %d rows" % (rows[0], len(rows)))
    with h5py.File("o.h5", "r") as f:
        ref, alt = f["ref"][()], f["alt"][()]
        ids = [(c.decode() if isinstance(c, bytes) else c, int(p)) for c, p in zip(f["chrom"][()], f["position"][()])]
        if f.attrs["width"] != 8 or ref.shape != (8, 8) or len(ids) != 8:
            fail("embeddings file: width %s, shapes %s" % (f.attrs["width"], ref.shape))
    cosine = 1 - (ref * alt).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(alt, axis=1)
    l2 = np.linalg.norm(ref - alt, axis=1)
    vcf_cosine = [float(v) for r in info.values() for v in r["SPINDLE_EMBED_COSINE"] if v != "."]
    vcf_l2 = [float(v) for r in info.values() for v in r["SPINDLE_EMBED_L2"] if v != "."]
    if not (np.allclose(sorted(cosine), sorted(vcf_cosine), rtol=1e-3, atol=1e-7)
            and np.allclose(sorted(l2), sorted(vcf_l2), rtol=1e-4)):
        fail("embedding distances from the HDF5 file differ from the VCF's")

    # An empty VCF: a header-only output with its index.
    write_vcf("empty.vcf", contigs, [])
    run(spindle, "--model", ph, "--vcf", "empty.vcf", "--out", "empty.vcf.gz", *common)
    if records_of("empty.vcf.gz") != "" or not os.path.exists("empty.vcf.gz.tbi"):
        fail("empty VCF: records or no index")
    # An unsorted VCF is refused before any work.
    write_vcf("unsorted.vcf", contigs, [records[1], records[0]])
    log = run(spindle, "--model", ph, "--vcf", "unsorted.vcf", "--out", "unsorted.vcf.gz", *common, expect=1)
    if "unsorted.vcf: record 2 at chr1:1" not in log or "bcftools sort" not in log or os.path.exists("unsorted.vcf.gz"):
        fail("unsorted VCF: message or output\n%s" % log)
    write_vcf("contigs.vcf", contigs, [records[0], records[9], records[7]])
    log = run(spindle, "--model", ph, "--vcf", "contigs.vcf", "--out", "contigs.vcf.gz", *common, expect=1)
    if "contig chr1 appears again" not in log:
        fail("a contig appearing again: message\n%s" % log)


def check_strands(spindle, model):
    """llr and embedding distances of a variant equal those of its complement on the RC contig."""
    random.seed(11)
    bases = "".join(random.choice("ACGT") for _ in range(800))
    reverse = "".join(COMPLEMENT[b] for b in reversed(bases))
    write_fasta("strands.fa", {"fwd": bases, "rev": reverse})
    forward_records, reverse_records = [], []
    for p in range(150, 650, 37):  # 0-based
        alt = other(bases[p])
        forward_records.append(("fwd", p + 1, "v%d" % p, bases[p], alt))
        reverse_records.append(("rev", len(bases) - p, "v%d" % p, COMPLEMENT[bases[p]], COMPLEMENT[alt]))
    write_vcf("strands.vcf", [("fwd", 800), ("rev", 800)], forward_records + reverse_records[::-1])
    run(spindle, "--model", model, "--fasta", "strands.fa", "--vcf", "strands.vcf", "--out", "strands.vcf.gz",
        "--window", "257", "--scores", "llr,embed-cosine,embed-l2", "--batch", "4")
    values = {}
    for line in shell("bcftools", "query", "-f", "%CHROM\t%ID\t%INFO/SPINDLE_LLR\t%INFO/SPINDLE_EMBED_COSINE\t"
                      "%INFO/SPINDLE_EMBED_L2\n", "strands.vcf.gz").splitlines():
        chrom, ident, *scores = line.split("\t")
        values[(chrom, ident)] = [float(s) for s in scores]
    for _, _, ident, *_ in forward_records:
        f, r = values[("fwd", ident)], values[("rev", ident)]
        if abs(f[0] - r[0]) > 1e-4 or abs(f[2] - r[2]) > 1e-4 * max(1, abs(f[2])) or abs(f[1] - r[1]) > 1e-5:
            fail("%s %s: forward %s, reverse complement %s" % (model, ident, f, r))


def make_resume_inputs(model, folders):
    random.seed(13)
    bases = "".join(random.choice("ACGT") for _ in range(6000))
    records = [("c", p + 1, ".", bases[p], other(bases[p])) for p in range(0, 6000, 10)]
    for folder in folders:
        os.makedirs(folder, exist_ok=True)
        write_fasta(os.path.join(folder, "ref.fa"), {"c": bases})
        write_vcf(os.path.join(folder, "v.vcf"), [("c", 6000)], records)
        if not os.path.exists(os.path.join(folder, "model")):
            os.symlink(model, os.path.join(folder, "model"))
    return ["--model", "model", "--fasta", "ref.fa", "--vcf", "v.vcf", "--out", "o.vcf.gz", "--tsv", "o.tsv",
            "--window", "512", "--scores", "llr,embed-l2", "--batch", "4"]


def same_outputs(folder_a, folder_b, what):
    for name in ("o.vcf.gz", "o.vcf.gz.tbi", "o.tsv"):
        with open(os.path.join(folder_a, name), "rb") as a, open(os.path.join(folder_b, name), "rb") as b:
            if a.read() != b.read():
                fail("%s of %s differs from one uninterrupted process's" % (name, what))


def kill_mid_way(command, folder):
    """Runs `command` in `folder` and kills it with SIGKILL once about a fifth of the alleles
    are in its progress file; the progress file's path."""
    process = subprocess.Popen(command, cwd=folder)
    progress = os.path.join(folder, "o.vcf.gz.progress")
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if os.path.exists(progress) and os.path.getsize(progress) > 600 + 120 * 44:
            break
        time.sleep(0.02)
    if process.poll() is not None:
        fail("the run ended before it could be killed (exit %s)" % process.returncode)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if os.path.exists(os.path.join(folder, "o.vcf.gz")):
        fail("a killed run left o.vcf.gz")
    return progress


def check_kill_and_resume(spindle, model):
    arguments = make_resume_inputs(model, ("whole", "killed"))
    command = [spindle, "--log-level", "warn", "score-variants", *arguments]
    subprocess.run(command, cwd="whole", check=True)
    progress = kill_mid_way(command, "killed")
    with open(progress, "ab") as out:
        out.write(b"\x01garbage cut short")
    # The refusal names the setting that differs, with the progress file's value.
    log = subprocess.run([spindle, "score-variants", *arguments[:-1], "8"], cwd="killed", capture_output=True, text=True)
    if log.returncode != 1 or "other settings: batch=4 there, batch=8 in this run" not in log.stderr:
        fail("a resumed run with another --batch was not refused naming --batch: %s" % log.stderr)
    log = subprocess.run(command[:2] + ["info"] + command[3:], cwd="killed", capture_output=True, text=True)
    if log.returncode != 0 or "resuming after" not in log.stderr:
        fail("resume: exit %d\n%s" % (log.returncode, log.stderr))
    same_outputs("whole", "killed", "the resumed run")
    if os.path.exists(progress):
        fail("the progress file is left after the resumed run")


def check_resume_refusals(spindle, model):
    """Progress that a resumed run cannot use is refused, not silently redone, dropped or
    misread: a progress file of other settings shorter than this run's header (killed after a
    few records), the progress files of a run with another number of processes (each holds
    its rank's block of steps), and a progress file kept while the --regions BED file changed
    (the alleles to score are others, here as many as before)."""
    arguments = make_resume_inputs(model, ("counts", "regions", "short"))
    with open(os.path.join("short", "o.vcf.gz.progress"), "wb") as out:
        out.write(b"spindle-score-variants-progress 1\nversion=0.0.1; model=other\n")
    log = subprocess.run([spindle, "score-variants", *arguments], cwd="short", capture_output=True, text=True)
    if log.returncode != 1 or "other settings: version=0.0.1 there" not in log.stderr:
        fail("a short progress file of other settings: exit %d\n%s" % (log.returncode, log.stderr))
    with open(os.path.join("counts", "o.vcf.gz.progress-1-of-2"), "wb") as out:
        out.write(b"spindle-score-variants-progress 1\n")
    log = subprocess.run([spindle, "score-variants", *arguments], cwd="counts", capture_output=True, text=True)
    if (log.returncode != 1 or "o.vcf.gz.progress-1-of-2: the progress file of a run with 2 processes" not in log.stderr
            or os.path.exists(os.path.join("counts", "o.vcf.gz"))):
        fail("progress files of another number of processes: exit %d\n%s" % (log.returncode, log.stderr))

    bed = os.path.join("regions", "r.bed")
    with open(bed, "w") as out:
        out.write("c\t0\t5990\n")  # 599 alleles: all but the last
    command = [spindle, "--log-level", "warn", "score-variants", *arguments, "--regions", "r.bed"]
    kill_mid_way(command, "regions")
    with open(bed, "w") as out:
        out.write("c\t10\t6000\n")  # 599 alleles: all but the first
    log = subprocess.run(command, cwd="regions", capture_output=True, text=True)
    if log.returncode != 1 or "other settings: regions=" not in log.stderr:
        fail("a resumed run whose --regions file changed: exit %d\n%s" % (log.returncode, log.stderr))


def check_real_data(spindle, ph, fasta, vcf):
    shutil.copy(fasta, "ref.fa")  # the index is made beside it
    log = run(spindle, "--model", ph, "--fasta", "ref.fa", "--vcf", vcf, "--out", "real.vcf.gz", "--window", "1024",
              "--scores", "llr,embed-cosine", "--batch", "8")
    query = ["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\t%FILTER\t%INFO/DP\n"]
    expected = shell(*query, vcf)
    if shell(*query, "real.vcf.gz") != expected:
        fail("records, their order or their fields differ from the input's")
    if len(shell("bcftools", "view", "-H", "real.vcf.gz").splitlines()) != len(expected.splitlines()):
        fail("bcftools view: record count")
    header = shell("bcftools", "view", "-h", "real.vcf.gz")
    for field in ("SPINDLE_LLR", "SPINDLE_EMBED_COSINE", "SPINDLE_PAD", "SPINDLE_SKIP"):
        if "##INFO=<ID=%s,Number=A," % field not in header:
            fail("header does not declare %s" % field)
    scored = shell("bcftools", "query", "-i", "INFO/SPINDLE_EMBED_COSINE!=\".\"", "-f", "%POS\n", "real.vcf.gz")
    rate = [line for line in log.splitlines() if "variants/s" in line][-1]
    print("%d records, %d with scores; %s" % (len(expected.splitlines()), len(scored.splitlines()), rate))
    print("score-variants real data ok")


def check_processes(spindle, model, mpiexec):
    folders = ["one", "np2", "np3"]
    arguments = make_resume_inputs(model, folders)
    subprocess.run([spindle, "--log-level", "warn", "score-variants", *arguments], cwd="one", check=True)
    for ranks in (2, 3):
        folder = "np%d" % ranks
        result = subprocess.run([mpiexec, "-np", str(ranks), "--oversubscribe", spindle, "--log-level", "warn",
                                 "score-variants", *arguments], cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            fail("%d processes: exit %d\n%s%s" % (ranks, result.returncode, result.stdout, result.stderr))
        same_outputs("one", folder, "%d processes" % ranks)
        if any(name.startswith("o.vcf.gz.progress") for name in os.listdir(folder)):
            fail("%d processes left progress files" % ranks)
    print("score-variants mpi ok")


def run_ranks(mpiexec, ranks, spindle, arguments, folder, expect_success=True, log_level="warn"):
    """`mpiexec -np ranks spindle score-variants arguments` in `folder`; its output. A job that
    has not ended after 120 s fails the check (a rank left waiting)."""
    try:
        result = subprocess.run([mpiexec, "-np", str(ranks), "--oversubscribe", spindle, "--log-level", log_level,
                                 "score-variants", *arguments], cwd=folder, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        fail("%d processes in %s: no exit within 120 s" % (ranks, folder))
    if (result.returncode == 0) != expect_success:
        fail("%d processes in %s: exit %d\n%s%s" % (ranks, folder, result.returncode, result.stdout, result.stderr))
    return result.stdout + result.stderr


def scored_records(path):
    """(header lines but the command line, [(record without INFO, {INFO key: value})])."""
    header = [line for line in shell("bcftools", "view", "--no-version", "-h", path).splitlines()
              if not line.startswith("##spindle_scoreVariantsCommand=")]
    records = []
    for line in records_of(path).splitlines():
        fields = line.split("\t")
        info = dict(item.split("=", 1) if "=" in item else (item, None) for item in fields[7].split(";"))
        records.append((fields[:7] + fields[8:], info))
    return header, records


def same_scores(expected_path, path, what):
    """Everything as in expected_path but the command line; scores to float rounding: the
    ring folds the scan's state across slices in another order than one process."""
    expected_header, expected = scored_records(expected_path)
    header, got = scored_records(path)
    if header != expected_header or len(got) != len(expected):
        fail("%s: header or record count differs from one process's" % what)
    compared = 0
    for (fields_a, info_a), (fields_b, info_b) in zip(expected, got):
        if fields_a != fields_b or info_a.keys() != info_b.keys():
            fail("%s: record %s differs from one process's %s" % (what, fields_b, fields_a))
        for key, value in info_a.items():
            if key not in ("SPINDLE_LLR", "SPINDLE_EMBED_COSINE", "SPINDLE_EMBED_L2"):
                if info_b[key] != value:
                    fail("%s: %s=%s at %s, one process %s" % (what, key, info_b[key], fields_a[:2], value))
                continue
            for a, b in zip(value.split(","), info_b[key].split(",")):
                if (a == ".") != (b == "."):
                    fail("%s: %s=%s at %s, one process %s" % (what, key, info_b[key], fields_a[:2], value))
                if a != "." and abs(float(a) - float(b)) > 1e-5 * max(abs(float(a)), abs(float(b))) + 1e-6:
                    fail("%s: %s=%s at %s, one process %s" % (what, key, b, fields_a[:2], a))
                compared += a != "."
    return compared


def check_ring_resume(spindle, model, mpiexec):
    """A ring of 2 stopped mid-way, one rank's progress file cut a record short (a step
    behind the other's), goes on from the step both files hold and writes the bytes of a
    ring that never stopped."""
    random.seed(19)
    # 1,200 variants: the ring runs for seconds, well past the stop below (mpirun takes about a
    # second to pass SIGTERM on; with 300, a ring could finish first).
    bases = "".join(random.choice("ACGT") for _ in range(6000))
    for folder in ("ring_whole", "ring_stopped"):
        os.makedirs(folder)
        write_fasta(os.path.join(folder, "ref.fa"), {"c": bases})
        write_vcf(os.path.join(folder, "v.vcf"), [("c", 6000)],
                  [("c", p + 1, ".", bases[p], other(bases[p])) for p in range(0, 6000, 5)])
    arguments = ["--model", model, "--fasta", "ref.fa", "--vcf", "v.vcf", "--out", "o.vcf.gz", "--tsv", "o.tsv",
                 "--window", "256", "--scores", "llr,embed-l2", "--batch", "4", "--sequence-parallel", "2"]
    run_ranks(mpiexec, 2, spindle, arguments, "ring_whole")
    process = subprocess.Popen([mpiexec, "-np", "2", "--oversubscribe", spindle, "--log-level", "warn",
                                "score-variants", *arguments], cwd="ring_stopped")
    progress = [os.path.join("ring_stopped", "o.vcf.gz.progress-%d-of-2" % rank) for rank in (0, 1)]
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if all(os.path.exists(p) and os.path.getsize(p) > 600 + 60 * 44 for p in progress):
            break
        time.sleep(0.02)
    if process.poll() is not None:
        fail("the ring ended before it could be stopped (exit %s)" % process.returncode)
    process.send_signal(signal.SIGTERM)  # mpirun ends both ranks
    process.wait()
    os.truncate(progress[1], os.path.getsize(progress[1]) - 10)
    log = run_ranks(mpiexec, 2, spindle, arguments, "ring_stopped", log_level="info")
    if log.count("resuming after") != 2:
        fail("the ring's ranks did not both resume:\n%s" % log)
    print("\n".join(line for line in log.splitlines() if "resuming after" in line))
    same_outputs("ring_whole", "ring_stopped", "the resumed ring")
    if any(entry.startswith("o.vcf.gz.progress") for entry in os.listdir("ring_stopped")):
        fail("the resumed ring left progress files")
    print("a ring stopped and resumed: the bytes of one that never stopped")


def check_rings(spindle, ph, ps, mpiexec):
    random.seed(17)
    bases = "".join(random.choice("ACGT") for _ in range(1500))
    records = [("c", p + 1, ".", bases[p], other(bases[p])) for p in range(0, 1500, 41)]
    records[5] = ("c", records[5][1], "deletion", bases[records[5][1] - 1:records[5][1] + 2], bases[records[5][1] - 1])
    for model, name in ((ph, "ph"), (ps, "ps")):
        folders = [name + "_" + suffix for suffix in ("one", "np2", "np4", "np3")]
        for folder in folders:
            os.makedirs(folder)
            write_fasta(os.path.join(folder, "ref.fa"), {"c": bases})
            write_vcf(os.path.join(folder, "v.vcf"), [("c", 1500)], records)
        # Window 256: one process's centre (128) on the second rank of a ring of 2, the RC
        # row's (127) on the first; the pooled 64 bases cross the slices' border.
        arguments = ["--model", model, "--fasta", "ref.fa", "--vcf", "v.vcf", "--out", "o.vcf.gz", "--window", "256",
                     "--pool", "64", "--scores", "llr,embed-cosine,embed-l2", "--batch", "3"]
        run_ranks(mpiexec, 1, spindle, arguments, folders[0])
        for folder, ranks, ring in zip(folders[1:], (2, 4, 3), (2, 2, 3)):
            run_ranks(mpiexec, ranks, spindle, arguments + ["--sequence-parallel", str(ring)], folder)
            what = "%s, %d processes in rings of %d" % (name, ranks, ring)
            compared = same_scores(os.path.join(folders[0], "o.vcf.gz"), os.path.join(folder, "o.vcf.gz"), what)
            if compared < 2 * len(records):
                fail("%s: only %d scores compared" % (what, compared))
            if any(entry.startswith("o.vcf.gz.progress") for entry in os.listdir(folder)):
                fail("%s: progress files left" % what)
            print("%s: %d scores as one process's" % (what, compared))
    check_ring_resume(spindle, ps, mpiexec)
    log = run_ranks(mpiexec, 3, spindle, arguments + ["--sequence-parallel", "2"], folders[0], expect_success=False)
    if "rings of 2 ranks do not divide the world of 3 ranks" not in log:
        fail("a ring that does not divide the world: message\n%s" % log)
    log = run_ranks(mpiexec, 2, spindle, arguments[:-8] + ["--window", "4", "--scores", "llr", "--sequence-parallel",
                                                           "2"], folders[0], expect_success=False)
    if "too short for rings of 2 ranks" not in log:
        fail("a window too short for the ring: message\n%s" % log)
    print("score-variants rings ok")


def main():
    if len(sys.argv) not in (4, 6):
        sys.exit(__doc__)
    spindle, work, models = (os.path.abspath(a) for a in sys.argv[1:4])
    ps, ph = os.path.join(models, "ps_fused"), os.path.join(models, "ph_fused")
    if len(sys.argv) == 6 and sys.argv[4] in ("mpi", "rings"):
        os.makedirs(work, exist_ok=True)
        shutil.rmtree(work)
        os.makedirs(work)
        os.chdir(work)
        if sys.argv[4] == "mpi":
            check_processes(spindle, ps, sys.argv[5])
        else:
            check_rings(spindle, ph, ps, sys.argv[5])
        return
    if len(sys.argv) == 6:
        fasta, vcf = (os.path.abspath(a) for a in sys.argv[4:])
        if not (os.path.exists(fasta) and os.path.exists(vcf)):
            print("skipped: %s or %s is absent" % (fasta, vcf))
            sys.exit(77)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chdir(work)
    if len(sys.argv) == 6:
        check_real_data(spindle, ph, fasta, vcf)
        return
    check_edge_cases(spindle, ps, ph)
    for model in (ps, ph):
        check_strands(spindle, model)
    check_kill_and_resume(spindle, ps)
    check_resume_refusals(spindle, ps)
    print("score-variants cli ok")


if __name__ == "__main__":
    main()
