#!/usr/bin/env python3
"""Compares two .npy outputs: max absolute error, max |expected|, and their ratio (the parity measure)."""
import sys

try:
    import numpy as np
except ImportError as e:
    sys.exit(f"compare.py: {e}: install python3-numpy (apt-get install python3-numpy)")

# an error within this fraction of the largest expected value passes (within this much, absolutely, when
# the expected values are all zero: there is no scale to be relative to)
TOLERANCE = 1e-4


def load(path):
    """The [N, classes] array of numbers in the .npy file `path`, or one line saying why not and exit 1."""
    try:
        a = np.load(path)
    except OSError as e:  # names the file
        sys.exit(f"compare.py: {e}")
    except (ValueError, EOFError) as e:  # not a .npy, pickled objects, an empty file
        sys.exit(f"compare.py: {path}: {e}")
    if not isinstance(a, np.ndarray):
        names = a.files
        a.close()
        sys.exit(f"compare.py: {path}: an .npz archive of {len(names)} arrays ({', '.join(names[:4])}); give one .npy")
    if a.dtype.kind not in "biuf":
        sys.exit(f"compare.py: {path}: holds {a.dtype} values, not numbers")
    if a.ndim < 2:
        sys.exit(f"compare.py: {path}: has shape {a.shape}, and the outputs compared are [N, classes] (top-1 is taken over axis 1)")
    if a.size == 0:
        sys.exit(f"compare.py: {path}: has shape {a.shape}: no values to compare")
    return a


if len(sys.argv) != 3:
    sys.exit("usage: compare.py ACTUAL.npy EXPECTED.npy")
actual, expected = load(sys.argv[1]), load(sys.argv[2])
if actual.shape != expected.shape:
    sys.exit(f"compare.py: shapes differ: {actual.shape} vs {expected.shape}")
err, scale = float(np.abs(actual - expected).max()), float(np.abs(expected).max())
if scale == 0:
    measure, ok = "expected all zero: absolute error", err <= TOLERANCE
else:
    measure, ok = f"ratio {err / scale:.3g}", err <= TOLERANCE * scale
top_a, top_e = actual.argmax(axis=1), expected.argmax(axis=1)
print(f"max abs error {err:.3g}, max |logit| {scale:.3g}, {measure}, top-1 agree {int((top_a == top_e).sum())}/{len(top_e)}")
sys.exit(0 if ok else 1)
