"""Checks the series of a spindle store against the shared real data, with h5py and numpy.

usage: check_series_store.py STORE.h5 DATA_DIR

Expects /series/ETTh1 (from ett/ETTh1.csv with --time-column date), /series/100 and
/series/s0010_re (from ecg/). Signals are decoded here independently with numpy from the
WFDB files (formats 212 and 16) and compared sample for sample. Prints "series store ok".
"""
import csv
import datetime
import sys

import h5py
import numpy as np


def check_etth1(store, data):
    with open(f"{data}/ett/ETTh1.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header, rows = rows[0], rows[1:]
    group = store["series/ETTh1"]
    values = group["values"]
    assert values.shape == (17420, 7) and values.dtype == np.float32, values.shape
    assert list(values.attrs["channel_names"]) == header[1:]
    expected = np.array([[np.float32(float(x)) for x in row[1:]] for row in rows], dtype=np.float32)
    assert np.array_equal(values[:], expected), "ETTh1 values differ from the CSV"
    epoch = datetime.datetime(1970, 1, 1)
    times = [int((datetime.datetime.fromisoformat(row[0]) - epoch).total_seconds()) * 10**9 for row in rows]
    assert np.array_equal(group["time"][:], np.array(times, dtype=np.int64)), "ETTh1 times differ"
    assert group.attrs["sampling_rate_hz"] == 1 / 3600 and group.attrs["irregular_steps"] == 0
    print(f"ETTh1: {values.shape[0]} rows x {values.shape[1]} values, first row {values[0].tolist()}")


def wfdb_signal_lines(path):
    lines = [line.split() for line in open(path) if line.strip() and not line.startswith("#")]
    return lines[0], lines[1:]


def check_wfdb(store, data, record, decode):
    record_line, signals = wfdb_signal_lines(f"{data}/ecg/{record}.hea")
    samples = int(record_line[3])
    values = store[f"series/{record}/values"]
    assert values.shape == (samples, len(signals)), values.shape
    files = {}
    for index, fields in enumerate(signals):
        files.setdefault(fields[0], []).append(index)
    expected = np.zeros((samples, len(signals)))
    for name, members in files.items():
        digital = decode(np.fromfile(f"{data}/ecg/{name}", dtype=np.uint8)).reshape(samples, len(members))
        for column, index in enumerate(members):
            gain, zero = float(signals[index][2]), int(signals[index][4])
            expected[:, index] = (digital[:, column] - zero) / gain
    assert np.array_equal(values[:], expected.astype(np.float32)), f"{record}: samples differ"
    assert list(values.attrs["units"]) == ["mV"] * len(signals)
    assert list(values.attrs["channel_names"]) == [fields[8] for fields in signals]
    print(f"{record}: {values.shape[0]} x {values.shape[1]} samples, first "
          + ", ".join(f"{n} {v:.3f} mV" for n, v in zip(values.attrs["channel_names"], values[0])))
    return values


def decode_212(raw):
    triples = raw.reshape(-1, 3).astype(np.int32)
    first = triples[:, 0] | ((triples[:, 1] & 0x0F) << 8)
    second = triples[:, 2] | ((triples[:, 1] & 0xF0) << 4)
    pairs = np.stack([first, second], axis=1).reshape(-1)
    return np.where(pairs >= 2048, pairs - 4096, pairs)


def decode_16(raw):
    return raw.view("<i2").astype(np.int32)


def main():
    store, data = h5py.File(sys.argv[1], "r"), sys.argv[2]
    check_etth1(store, data)
    mitdb = check_wfdb(store, data, "100", decode_212)
    assert np.allclose(mitdb[0], [-0.145, -0.065], atol=1e-6), mitdb[0]
    annotations = store["series/100/annotations"]
    symbols, counts = np.unique(annotations["symbol"][:].astype(str), return_counts=True)
    assert dict(zip(symbols, counts)) == {"N": 2239, "A": 33, "V": 1, "+": 1}, dict(zip(symbols, counts))
    assert np.all(np.diff(annotations["sample"][:]) >= 0) and annotations["sample"][-1] < 650000
    rhythm = annotations["aux"][:][annotations["symbol"][:].astype(str) == "+"].astype(str)
    print(f"100: {len(annotations['sample'])} annotations: "
          + ", ".join(f"{s} {c}" for s, c in zip(symbols, counts)) + f"; rhythm {rhythm.tolist()}")
    check_wfdb(store, data, "s0010_re", decode_16)
    comments = list(store["series/s0010_re"].attrs["comments"])
    assert "Reason for admission: Myocardial infarction" in comments, comments[:5]
    print("series store ok")


main()
