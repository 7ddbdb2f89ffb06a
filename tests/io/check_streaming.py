"""Checks that `spindle ingest fasta` streams: a billion-base record piped through
/dev/stdin is stored whole while the process's peak memory stays near that of
`spindle version` (the executable and its libraries).

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
    print("streaming ok")


main()
