"""Checks a spindle store against the FASTA files it was made from, with h5py alone.

usage: check_fasta_store.py STORE.h5 FASTA [FASTA ...]

Every record must be /sequences/<name> holding the Caduceus token of each base (IUPAC
codes as N), /soft_masks/<name> its lowercase bits (numpy's big bit order), and the
attributes length, md5 (of the uppercased bases) and the tokenizer vocabulary.
Prints one line per record and "fasta store ok" when everything matches.
"""
import gzip
import hashlib
import sys

import h5py
import numpy as np

VOCABULARY = ["[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]", "[UNK]", "A", "C", "G", "T", "N"]
TOKEN = np.full(256, 255, dtype=np.uint8)
for letter, token in zip("ACGTN", range(7, 12)):
    TOKEN[ord(letter)] = TOKEN[ord(letter.lower())] = token
for ambiguity in "RYKMSWBDHV":
    TOKEN[ord(ambiguity)] = TOKEN[ord(ambiguity.lower())] = 11


def records(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    name, lines = None, []
    with opener(path, "rb") as handle:
        for line in handle:
            line = line.rstrip(b"\r\n")
            if line.startswith(b">"):
                if name is not None:
                    yield name, b"".join(lines)
                name, lines = line[1:].split()[0].decode(), []
            elif line:
                lines.append(line)
    yield name, b"".join(lines)


def main():
    store = h5py.File(sys.argv[1], "r")
    assert store.attrs["spindle_format"] == "spindle-store"
    assert store.attrs["spindle_format_version"].split(".")[0] == "1"
    checked = 0
    for path in sys.argv[2:]:
        for name, bases in records(path):
            raw = np.frombuffer(bases, dtype=np.uint8)
            tokens = store["sequences"][name]
            assert tokens.dtype == np.uint8 and tokens.shape == (len(raw),), (name, tokens.shape, len(raw))
            assert np.array_equal(tokens[:], TOKEN[raw]), f"{name}: tokens differ"
            lowercase = (raw >= ord("a")) & (raw <= ord("z"))
            mask = np.unpackbits(store["soft_masks"][name][:])[: len(raw)].astype(bool)
            assert np.array_equal(mask, lowercase), f"{name}: soft mask differs"
            assert tokens.attrs["length"] == len(raw)
            assert tokens.attrs["md5"] == hashlib.md5(bases.upper()).hexdigest(), f"{name}: md5"
            assert list(tokens.attrs["vocabulary"]) == VOCABULARY
            assert tokens.attrs["tokenizer"] == "caduceus-char"
            print(f"{name}: {len(raw)} bases, {int(lowercase.sum())} lowercase, "
                  f"{int((TOKEN[raw] == 11).sum())} N, first tokens {tokens[:8].tolist()}")
            checked += 1
    assert checked == len(store["sequences"]), "the store holds records not in the FASTA files"
    print("fasta store ok")


main()
