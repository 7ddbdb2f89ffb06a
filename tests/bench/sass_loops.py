#!/usr/bin/env python3
"""Instruction counts of a kernel's loops in SASS, without a GPU.

  nvcc ... -arch=sm_90 -cubin kernels/cuda/selective_scan.cu -o scan.cubin
  tests/bench/sass_loops.py NVDISASM scan.cubin 'forward_kernel<__nv_bfloat16, \\(int\\)4' [FROM TO]

For every function whose demangled name matches the regular expression: each loop (a
branch back to an earlier label) with its static instruction count and the counts of the
instructions that matter for the scan's cost models (MUFU: special-function unit, SHFL,
LDS/STS: shared-memory pipe), then, with FROM and TO (hexadecimal addresses), the counts
by opcode in [FROM, TO). A loop body that runs once per iteration with no inner loop or
cold branch issues its static count per iteration: that is how docs/performance.md costs
a kernel in instructions per state-step before it runs.

The development machine has CUDA 13's nvcc and ptxas but no disassembler; CUDA 11.8's
nvdisasm (Debian non-free package nvidia-cuda-toolkit, extracted with dpkg -x) decodes
sm_90 SASS but not CUDA 13's newer ELF header, so the header is rewritten to the older
form (OS/ABI 0x33, ABI version 7, the architecture in both bytes of the old flags: 0x5a055a
for sm_90) in a temporary copy.
"""
import collections
import os
import re
import struct
import subprocess
import sys
import tempfile

INSTRUCTION = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
LABEL = re.compile(r"^\s*(\.L_x_\d+):")
BRANCH = re.compile(r"\bBRA\b.*`\((\.L_x_\d+)\)")
SHOWN = ("MUFU", "FFMA", "FMUL", "FADD", "SHFL", "LDS", "STS", "LDL", "STL", "BAR")


def opcode(text: str) -> str:
    words = text.split()
    if words[0].startswith("@"):  # predicate
        words = words[1:]
    return words[0].split(".")[0]


def disassemble(nvdisasm: str, cubin: str) -> str:
    data = bytearray(open(cubin, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or struct.unpack_from("<H", data, 18)[0] != 190:
        sys.exit(f"{cubin}: not a 64-bit CUDA ELF (a cubin from nvcc -cubin)")
    flags = struct.unpack_from("<I", data, 48)[0]
    arch = (flags >> 8) & 0xFF if data[7] == 0x41 else flags & 0xFF  # CUDA 13's header, or already old
    data[7], data[8] = 0x33, 7
    struct.pack_into("<I", data, 48, (arch << 16) | 0x500 | arch)
    with tempfile.NamedTemporaryFile(suffix=".cubin", delete=False) as old:
        old.write(data)
    try:
        return subprocess.run([nvdisasm, "-c", old.name], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(old.name)


def report(body: str, address_range) -> None:
    instructions, labels = [], {}
    for line in body.split("\n"):
        label = LABEL.match(line)
        if label:
            labels[label.group(1)] = len(instructions)
            continue
        found = INSTRUCTION.search(line)
        if found:
            instructions.append((int(found.group(1), 16), found.group(2)))
    for i, (address, text) in enumerate(instructions):
        target = BRANCH.search(text)
        # A branch to itself (the padding after EXIT) is no loop.
        if target and labels.get(target.group(1), i + 1) < i:
            start = labels[target.group(1)]
            counts = collections.Counter(opcode(t) for _, t in instructions[start:i + 1])
            shown = " ".join(f"{op} {counts[op]}" for op in SHOWN if counts[op])
            print(f"  loop {instructions[start][0]:#x}-{address:#x}: {i + 1 - start} instructions; {shown}")
    if address_range:
        low, high = address_range
        counts = collections.Counter(opcode(t) for a, t in instructions if low <= a < high)
        print(f"  [{low:#x}, {high:#x}): {sum(counts.values())} instructions:",
              ", ".join(f"{op} {n}" for op, n in counts.most_common()))


def main() -> int:
    if len(sys.argv) not in (4, 6):
        print(__doc__, file=sys.stderr)
        return 2
    nvdisasm, cubin, pattern = sys.argv[1:4]
    address_range = (int(sys.argv[4], 16), int(sys.argv[5], 16)) if len(sys.argv) == 6 else None
    cufilt = os.path.join(os.path.dirname(nvdisasm), "cu++filt")
    sections = re.split(r"\n\s*\.section\s+\.text\.(\S+?),", disassemble(nvdisasm, cubin))
    matched = 0
    for mangled, body in zip(sections[1::2], sections[2::2]):
        name = subprocess.run([cufilt], input=mangled, capture_output=True, text=True).stdout.strip()
        if re.search(pattern, name):
            matched += 1
            print(name)
            report(body, address_range)
    if not matched:
        print(f"no function in {cubin} matches {pattern!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
