#!/usr/bin/env python3
"""Compares two .npy outputs: max absolute error, max |expected|, and their ratio (the parity measure)."""
import sys

try:
    import numpy as np
except ImportError as e:
    sys.exit(f"compare.py: {e}: install python3-numpy (apt-get install python3-numpy)")

if len(sys.argv) != 3:
    sys.exit("usage: compare.py ACTUAL.npy EXPECTED.npy")
try:
    actual, expected = np.load(sys.argv[1]), np.load(sys.argv[2])
except (OSError, ValueError) as e:
    sys.exit(f"compare.py: {e}")
if actual.shape != expected.shape:
    sys.exit(f"compare.py: shapes differ: {actual.shape} vs {expected.shape}")
err, scale = float(np.abs(actual - expected).max()), float(np.abs(expected).max())
top_a, top_e = actual.argmax(axis=1), expected.argmax(axis=1)
print(f"max abs error {err:.3g}, max |logit| {scale:.3g}, ratio {err / scale:.3g}, top-1 agree {int((top_a == top_e).sum())}/{len(top_e)}")
sys.exit(0 if err <= 1e-4 * scale else 1)
