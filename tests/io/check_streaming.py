"""Checks that `spindle ingest fasta` streams: a billion-base record piped through
/dev/stdin is stored whole while the process's peak memory stays near that of
`spindle version` (the executable and its libraries); so is a record of 3 * 10^8 bases
on one line (unwrapped FASTA), which no line buffer may hold whole.

usage: check_streaming.py SPINDLE WORK_DIR
Prints "streaming ok" with the figures.
"""
import os
import subprocess
import sys

import h5py
import numpy as np

LINE = b"ACGTNacgtn" * 10 + b"\n"  # 100 bases
LINES = 10_000_000                  # 10^9 bases
BLOCK = 100_000                     # lines per write
UNWRAPPED_BLOCKS = 30_000           # blocks of 10^4 bases on the one line of an unwrapped record
ALLOWED_GROWTH_KB = 64 * 1024


def peak_kb(command, feed=None):
    process = subprocess.Popen(command, stdin=subprocess.PIPE if feed else None, stdout=subprocess.DEVNULL)
    if feed:
        feed(process.stdin)
        process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, command
    return usage.ru_maxrss


def feed(pipe):
    pipe.write(b">big\n")
    block = LINE * BLOCK
    for _ in range(LINES // BLOCK):
        pipe.write(block)


def feed_unwrapped(pipe):
    pipe.write(b">long_line\n")
    block = LINE[:-1] * 100
    for _ in range(UNWRAPPED_BLOCKS):
        pipe.write(block)
    pipe.write(b"\n")


def main():
    spindle, work = sys.argv[1], sys.argv[2]
    store = os.path.join(work, "streamed.h5")
    if os.path.exists(store):
        os.remove(store)
    baseline = peak_kb([spindle, "version"])
    peak = peak_kb([spindle, "--log-level", "warn", "ingest", "fasta", "/dev/stdin", "--out", store], feed)
    tokens = h5py.File(store, "r")["sequences/big"]
    assert tokens.shape == (LINES * 100,), tokens.shape
    expected_line = np.array([7, 8, 9, 10, 11] * 20, dtype=np.uint8)
    assert np.array_equal(tokens[:100], expected_line) and np.array_equal(tokens[-100:], expected_line)
    growth = peak - baseline
    print(f"{tokens.shape[0]} bases streamed; peak {peak} kB, spindle version {baseline} kB, growth {growth} kB")
    os.remove(store)
    assert growth < ALLOWED_GROWTH_KB, f"ingest grew by {growth} kB"
    peak = peak_kb([spindle, "--log-level", "warn", "ingest", "fasta", "/dev/stdin", "--out", store], feed_unwrapped)
    with h5py.File(store, "r") as f:
        tokens = f["sequences/long_line"]
        assert tokens.shape == (UNWRAPPED_BLOCKS * 10_000,), tokens.shape
        assert np.array_equal(tokens[:100], expected_line) and np.array_equal(tokens[-100:], expected_line)
    growth = peak - baseline
    print(f"{UNWRAPPED_BLOCKS * 10_000} bases on one line streamed; peak {peak} kB, growth {growth} kB")
    os.remove(store)
    assert growth < ALLOWED_GROWTH_KB, f"ingest of one long line grew by {growth} kB"
    print("streaming ok")


main()
