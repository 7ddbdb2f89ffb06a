"""Reads a safetensors file that test_safetensors wrote, with json and numpy only (the
safetensors package is not needed), and checks its layout and every value.

usage: check_safetensors.py FILE
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BF16": np.uint16}


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def main(path):
    raw = open(path, "rb").read()
    (header_length,) = struct.unpack("<Q", raw[:8])
    assert header_length % 8 == 0, f"header length {header_length} is not a multiple of 8"
    header = json.loads(raw[8 : 8 + header_length])
    assert header.pop("__metadata__") == {"format": "pt"}
    data = raw[8 + header_length :]

    tensors = {}
    end = 0
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{name}: data begins at {begin}, previous ended at {end}"
        end = stop
        values = np.frombuffer(data[begin:stop], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        tensors[name] = values.reshape(info["shape"])
    assert end == len(data), f"{len(data) - end} bytes after the last tensor"

    expected = {
        "f32": (0.25 * np.arange(24, dtype=np.float32) - 3.0).astype(np.float32).reshape(2, 3, 4),
        "f64": 1.0 / (np.arange(5, dtype=np.float64) + 3),
        "i64": (np.arange(6, dtype=np.int64) * 1_000_000_000_007 - 5).reshape(3, 2),
        "i32": -np.arange(4, dtype=np.int32) * 70_000,
        "u8": (250 + np.arange(10)).astype(np.uint8),
        "bf16": (0.5 * np.arange(4, dtype=np.float32) + 1.0).reshape(2, 2),
    }
    assert sorted(tensors) == sorted(expected), sorted(tensors)
    for name, want in expected.items():
        got = bf16_to_f32(tensors[name]) if name == "bf16" else tensors[name]
        assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
        assert np.array_equal(got, want), f"{name}: {got} != {want}"
    print("safetensors read by numpy ok")


if __name__ == "__main__":
    main(sys.argv[1])
