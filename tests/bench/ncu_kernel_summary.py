#!/usr/bin/env python3
"""Total GPU time per kernel from an Nsight Compute CSV log.

  ncu --clock-control none --metrics gpu__time_duration.sum --csv PROGRAM ARGS > log.csv
  tests/bench/ncu_kernel_summary.py log.csv [RUNS]

Prints one line per kernel name, largest first: milliseconds per run (the log's total
divided by RUNS, e.g. the number of training steps the program ran), share of the total
and calls per run. docs/performance.md maps kernel names to ops.
"""
import collections
import csv
import sys

UNIT_MS = {"nsecond": 1e-6, "ns": 1e-6, "usecond": 1e-3, "us": 1e-3, "msecond": 1.0, "ms": 1.0}


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    runs = float(sys.argv[2]) if len(sys.argv) == 3 else 1.0
    with open(sys.argv[1], newline="") as log:
        rows = [line for line in log if line.startswith('"')]  # ncu's own messages start with ==
    total_ms = collections.defaultdict(float)
    calls = collections.Counter()
    for row in csv.DictReader(rows):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        unit = row.get("Metric Unit", "nsecond")
        if unit not in UNIT_MS:
            print(f"{sys.argv[1]}: unknown time unit '{unit}'", file=sys.stderr)
            return 1
        name = row["Kernel Name"]
        total_ms[name] += float(row["Metric Value"].replace(",", "")) * UNIT_MS[unit]
        calls[name] += 1
    if not total_ms:
        print(f"{sys.argv[1]}: no gpu__time_duration.sum rows (was ncu given --csv and that metric?)", file=sys.stderr)
        return 1
    grand = sum(total_ms.values()) / runs
    print(f"total {grand:.3f} ms per run ({runs:g} runs)")
    for name, ms in sorted(total_ms.items(), key=lambda item: -item[1]):
        print(f"{ms / runs:10.3f} ms {100 * ms / runs / grand:5.1f}% {calls[name] / runs:7.1f} calls  {name[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
