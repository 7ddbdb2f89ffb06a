"""End-to-end check of `spindle embed` on the CPU with the tiny reference models
(tests/data/caduceus_reference: Ph and PS, d_model 8, 2 layers) on a generated FASTA:

- the HDF5 file: file attributes, one group per input in input order with name and
  coordinates, hidden states (length x width, or width pooled) and logits (length x 16);
- coordinates: a region fetched from the FASTA (1-based text, BED, strand '-') embeds
  exactly as its bases given with --sequence, its strand shown as given ('.' for none);
  a store record as the FASTA record;
- --rc-average: a sequence and its reverse complement embed alike, positions reversed
  (hidden and logits, Ph and PS); --pool mean is the mean of --pool none; --batch 3
  gives what --batch 1 gives;
- errors exit 1 naming the problem (unknown contig, region past the end, a bad letter
  and its position) and leave no output; usage errors exit 2; --help shows examples.

usage: check_embed_cli.py SPINDLE WORK_DIR MODELS_DIR
Prints "embed cli ok".
"""
import os
import random
import shutil
import subprocess
import sys

import h5py
import numpy as np

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}
# Complement of every token id of the padded vocabulary (A7 C8 G9 T10; others themselves).
COMPLEMENT_IDS = [0, 1, 2, 3, 4, 5, 6, 10, 9, 8, 7, 11, 12, 13, 14, 15]
TOLERANCE = 1e-5


def reverse_complement(bases):
    return "".join(COMPLEMENT[b] for b in reversed(bases.upper()))


def run(spindle, *arguments, expect=0):
    result = subprocess.run([spindle, "--log-level", "warn", "embed", *arguments], capture_output=True, text=True)
    if result.returncode != expect:
        sys.exit("FAIL: exit %d (expected %d): spindle embed %s\n%s%s" % (
            result.returncode, expect, " ".join(arguments), result.stdout, result.stderr))
    return result.stdout + result.stderr


def groups(path):
    with h5py.File(path, "r") as f:
        return dict(f.attrs), [(dict(g.attrs), {k: g[k][()] for k in g}) for _, g in f["embeddings"].items()]


def close(a, b, what):
    if a.shape != b.shape or np.abs(a - b).max() > TOLERANCE:
        sys.exit("FAIL: %s: shapes %s %s, largest difference %s" % (
            what, a.shape, b.shape, np.abs(a - b).max() if a.shape == b.shape else "-"))


def check_file_and_coordinates(spindle, ph, fasta, records):
    bed = "regions.bed"
    with open(bed, "w") as out:
        out.write("# regions\ntrack name=test\nchr1\t10\t40\tgeneA\t0\t-\nchr2\t0\t25\t.\t0\t.\n")
    run(spindle, "--model", ph, "--fasta", fasta, "--regions", bed, "chr1:101-200", "chr2", "--logits", "--out", "a.h5")
    attrs, items = groups("a.h5")
    expected = {"spindle_format": "spindle-embeddings", "model_variant": "ph", "d_model": 8, "n_layer": 2,
                "width": 8, "pooling": "none", "rc_average": 0, "precision": "f32", "device": "cpu", "sequences": 4}
    for key, value in expected.items():
        if attrs[key] != value:
            sys.exit("FAIL: attribute %s = %r, expected %r" % (key, attrs[key], value))
    if list(attrs["logits_tokens"][7:12]) != ["A", "C", "G", "T", "N"]:
        sys.exit("FAIL: logits_tokens %r" % list(attrs["logits_tokens"]))
    coordinates = [(a["name"], a["contig"], a["begin"], a["end"], a["strand"]) for a, _ in items]
    # Strand as given: '.' (none) for a BED strand '.' and regions given without one.
    if coordinates != [("geneA", "chr1", 10, 40, "-"), ("chr2:1-25", "chr2", 0, 25, "."),
                       ("chr1:101-200", "chr1", 100, 200, "."), ("chr2", "chr2", 0, len(records["chr2"]), ".")]:
        sys.exit("FAIL: coordinates %r" % coordinates)
    for (a, data), length in zip(items, (30, 25, 100, len(records["chr2"]))):
        if data["hidden"].shape != (length, 8) or data["logits"].shape != (length, 16) or a["length"] != length:
            sys.exit("FAIL: %s: hidden %s, logits %s" % (a["name"], data["hidden"].shape, data["logits"].shape))
    if not os.path.exists(fasta + ".fai"):
        sys.exit("FAIL: no .fai index made beside " + fasta)
    # The same bases given directly embed exactly alike.
    run(spindle, "--model", ph, "--sequence", reverse_complement(records["chr1"][10:40]),
        "--sequence", records["chr1"][100:200], "--logits", "--out", "given.h5")
    _, given = groups("given.h5")
    close(items[0][1]["hidden"], given[0][1]["hidden"], "BED strand '-' against its reverse complement given")
    close(items[2][1]["logits"], given[1][1]["logits"], "chr1:101-200 against its bases given")
    return attrs


def check_store(spindle, ph, fasta):
    subprocess.run([spindle, "--log-level", "warn", "ingest", "fasta", fasta, "--out", "store.h5"], check=True)
    run(spindle, "--model", ph, "--store", "store.h5", "--records", "chr2", "--out", "store_emb.h5")
    run(spindle, "--model", ph, "--fasta", fasta, "--records", "chr2", "--out", "fasta_emb.h5")
    close(groups("store_emb.h5")[1][0][1]["hidden"], groups("fasta_emb.h5")[1][0][1]["hidden"], "store against FASTA")


def check_rc_average(spindle, model, variant):
    x = "".join(random.Random(3).choice("ACGTN") for _ in range(57))
    run(spindle, "--model", model, "--sequence", x, "--sequence", reverse_complement(x), "--rc-average", "--logits",
        "--out", "rc.h5")
    attrs, items = groups("rc.h5")
    if attrs["rc_average"] != 1 or attrs["width"] != 8:
        sys.exit("FAIL: %s: rc_average %r, width %r" % (variant, attrs["rc_average"], attrs["width"]))
    forward, reverse = items[0][1], items[1][1]
    close(forward["hidden"], reverse["hidden"][::-1], variant + " --rc-average hidden")
    close(forward["logits"], reverse["logits"][::-1][:, COMPLEMENT_IDS], variant + " --rc-average logits")


def check_pooling(spindle, model, variant, fasta):
    for extra in ([], ["--rc-average"]):
        run(spindle, "--model", model, "--fasta", fasta, "--out", "none.h5", *extra)
        run(spindle, "--model", model, "--fasta", fasta, "--pool", "mean", "--out", "mean.h5", *extra)
        (_, positions), (attrs, pooled) = groups("none.h5"), groups("mean.h5")
        if attrs["pooling"] != "mean":
            sys.exit("FAIL: pooling attribute %r" % attrs["pooling"])
        for (_, p), (_, m) in zip(positions, pooled):
            close(m["hidden"], p["hidden"].mean(axis=0), variant + " --pool mean " + " ".join(extra))


def check_batch(spindle, ps, fasta):
    with open("windows.bed", "w") as out:
        out.writelines("chr1\t%d\t%d\n" % (start, start + 50) for start in range(0, 400, 50))
        out.write("chr2\t0\t30\n")
    run(spindle, "--model", ps, "--fasta", fasta, "--regions", "windows.bed", "--batch", "3", "--logits", "--out", "b3.h5")
    run(spindle, "--model", ps, "--fasta", fasta, "--regions", "windows.bed", "--logits", "--out", "b1.h5")
    for (_, three), (_, one) in zip(groups("b3.h5")[1], groups("b1.h5")[1]):
        close(three["hidden"], one["hidden"], "--batch 3 hidden")
        close(three["logits"], one["logits"], "--batch 3 logits")


def check_errors(spindle, ph, fasta):
    cases = [
        (["--fasta", fasta, "--regions", "chrX:1-10"], "--regions chrX:1-10: no record 'chrX' in fasta " + fasta),
        (["--fasta", fasta, "--regions", "chr1:990-1010"],
         "--regions chr1:990-1010: chr1:990-1010 ends past the end of chr1 (1000 bases in fasta " + fasta + ")"),
        (["--sequence", "ACGT", "--sequence", "ACGTAXGT"],
         "--sequence 2: position 6 (1-based): unknown character 'X' in sequence"),
    ]
    for arguments, message in cases:
        output = run(spindle, "--model", ph, *arguments, "--out", "bad.h5", expect=1)
        if message not in output:
            sys.exit("FAIL: message %r not in %r" % (message, output))
        if any(name.startswith("bad.h5") for name in os.listdir(".")):
            sys.exit("FAIL: output left behind by %r" % arguments)
    run(spindle, "--model", ph, "--sequence", "ACGT", "--fasta", fasta, "--out", "bad.h5", expect=2)
    run(spindle, "--model", ph, "--sequence", "ACGT", "--regions", "chr1", "--out", "bad.h5", expect=2)
    run(spindle, "--model", ph, "--out", "bad.h5", expect=2)
    if "Examples:" not in run(spindle, "--help"):
        sys.exit("FAIL: --help shows no examples")


def main():
    spindle, work, models = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chdir(work)
    generator = random.Random(7)
    records = {"chr1": "".join(generator.choice("ACGTacgtN") for _ in range(1000)),
               "chr2": "".join(generator.choice("ACGTacgt") for _ in range(430))}
    fasta = "x.fa"
    with open(fasta, "w") as out:
        for name, bases in records.items():
            out.write(">%s\n%s\n" % (name, "\n".join(bases[i:i + 60] for i in range(0, len(bases), 60))))
    ph, ps = os.path.join(models, "ph_fused"), os.path.join(models, "ps_fused")
    check_file_and_coordinates(spindle, ph, fasta, records)
    check_store(spindle, ph, fasta)
    for model, variant in ((ph, "ph"), (ps, "ps")):
        check_rc_average(spindle, model, variant)
        check_pooling(spindle, model, variant, fasta)
    check_batch(spindle, ps, fasta)
    check_errors(spindle, ph, fasta)
    print("embed cli ok: Ph and PS, file layout, coordinates, store, rc-average, pooling, batch, errors")


if __name__ == "__main__":
    main()
