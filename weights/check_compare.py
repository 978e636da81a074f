#!/usr/bin/env python3
"""Self-check of compare.py (mvn test runs it, examples' CompareScriptTest, where a Python with numpy is installed):
each case writes .npy files to a temporary folder, runs compare.py on them and checks its exit status and its
one line of output.

  /usr/bin/python3 weights/check_compare.py     # prints "compare.py: N cases pass", or the first that fails, exit 1
"""
import io
import os
import subprocess
import sys
import tempfile

import numpy as np

COMPARE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare.py")


def header(d, shape, descr="<f4", data=b""):
    """An .npy whose header says `shape` and `descr`, followed by `data` (whatever its size)."""
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": False, "shape": shape})
    return raw(d, b.getvalue() + data)


def raw(d, data):
    path = os.path.join(d, f"f{len(os.listdir(d))}.npy")
    with open(path, "wb") as f:
        f.write(data)
    return path


def save(d, a):
    path = os.path.join(d, f"f{len(os.listdir(d))}.npy")
    np.save(path, a)
    return path


def main():
    with tempfile.TemporaryDirectory() as d:
        ok = save(d, np.array([[1.0, 2.0]], np.float32))
        # (actual, expected, exit status, the line compare.py prints: stdout when it compares, else stderr)
        cases = [
            (ok, ok, 0, "max abs error 0, max |logit| 2, ratio 0, top-1 agree 1/1"),
            # integers compared as float64: in their own type 0 - 65535 wrapped to 1 and passed (ratio 1.5e-5)
            (save(d, np.array([[0, 5]], np.uint16)), save(d, np.array([[65535, 5]], np.uint16)), 1,
             "max abs error 6.55e+04, max |logit| 6.55e+04, ratio 1, top-1 agree 0/1"),
            # abs(int8 -128) stayed -128: the scale was 1
            (save(d, np.array([[-127, 1]], np.int8)), save(d, np.array([[-128, 1]], np.int8)), 1,
             "max abs error 1, max |logit| 128, ratio 0.00781, top-1 agree 1/1"),
            # big-endian and Fortran-ordered arrays are read as their values
            (save(d, np.asfortranarray(np.array([[1, 3], [4, 2]], ">f8"))), save(d, np.array([[1, 3], [4, 2]], np.float32)), 0,
             "max abs error 0, max |logit| 4, ratio 0, top-1 agree 2/2"),
        ]
        bad = {
            "bool": save(d, np.array([[True, False]])),
            "3-D": save(d, np.zeros((2, 3, 4), np.float32)),
            "1-D": save(d, np.zeros(3, np.float32)),
            "huge": header(d, (10 ** 12, 10)),
            "short": header(d, (2, 10), data=bytes(40)),
            "long": header(d, (1, 2), data=bytes(12)),
            "negative": header(d, (-1, 10)),
            "object": header(d, (1, 2), descr="|O", data=bytes(16)),
            "empty array": save(d, np.zeros((0, 10), np.float32)),
            "empty file": raw(d, b""),
            "not npy": raw(d, b"abc"),
            "zip junk": raw(d, b"PK\x03\x04" + b"garbage" * 10),
            "strings": save(d, np.array([["a", "b"]])),
        }
        npz = os.path.join(d, "two.npz")
        np.savez(npz, logits=np.zeros((1, 2)), labels=np.zeros(1))
        expect = {
            "bool": "holds bool values, not numbers",
            "3-D": "has shape (2, 3, 4), and the outputs compared are [N, classes] (top-1 is taken over axis 1)",
            "1-D": "has shape (3,), and the outputs compared are [N, classes] (top-1 is taken over axis 1)",
            "huge": "its header declares shape (1000000000000, 10) of float32, 40000000000000 bytes of data, and the file holds 0 bytes"
                    " after its header (cut short, or a wrong header)",
            "short": "its header declares shape (2, 10) of float32, 80 bytes of data, and the file holds 40 bytes after its header"
                     " (cut short, or a wrong header)",
            "long": "its header declares shape (1, 2) of float32, 8 bytes of data, and the file holds 12 bytes after its header"
                    " (trailing bytes, or a wrong header)",
            "negative": "its header declares shape (-1, 10): a negative dimension",
            "object": "holds object values, not numbers",
            "empty array": "has shape (0, 10): no values to compare",
            "empty file": "not an .npy file: EOF: reading magic string, expected 8 bytes got 0",
            "not npy": "not an .npy file: EOF: reading magic string, expected 8 bytes got 3",
            "zip junk": "starts as a zip archive (an .npz) but does not read as one (File is not a zip file); give one .npy",
            "strings": "holds <U1 values, not numbers",
        }
        for name, path in bad.items():
            cases.append((path, ok, 1, f"compare.py: {path}: {expect[name]}"))
            cases.append((ok, path, 1, f"compare.py: {path}: {expect[name]}"))  # either side
        cases.append((npz, ok, 1, f"compare.py: {npz}: an .npz archive of 2 arrays (logits, labels); give one .npy"))
        wide = save(d, np.zeros((1, 3), np.float32))
        cases.append((ok, wide, 1, f"compare.py: shapes differ: {ok} has (1, 2), {wide} has (1, 3)"))
        # an infinity expected made the scale infinite, and any error passed under it
        inf = save(d, np.array([[np.inf, 2.0]], np.float32))
        cases.append((ok, inf, 1, f"compare.py: {inf}: 1 of its 2 values are not finite numbers (NaN or infinity): no scale to compare against"))
        # two images' outputs equal: whatever computed the layers before the last few matches them
        same = save(d, np.array([[1.0, 2.0], [1.0, 2.0001]], np.float32))
        cases.append((same, same, 1, f"compare.py: {same}: the expected outputs of its 2 inputs are equal within 0.0001 of their largest:"
                                     " they hardly depend on the input, so matching them says nothing"))
        for actual, expected, status, line in cases:
            r = subprocess.run([sys.executable, COMPARE, actual, expected], capture_output=True, text=True)
            got = (r.stdout if status == 0 or not r.stderr else r.stderr).rstrip("\n")
            if r.returncode != status or got != line or r.stdout and r.stderr:
                sys.exit(f"check_compare.py: compare.py {actual} {expected}: expected exit {status} and\n  {line}\n"
                         f"got exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")
        print(f"compare.py: {len(cases)} cases pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
