#!/usr/bin/env python3
"""Compares two .npy outputs: max absolute error, max |expected|, and their ratio (the parity measure).

  compare.py ACTUAL.npy EXPECTED.npy [EXPECTED64.npy]

With a third file, the expected outputs computed in float64 (export_onnx_classifier.py writes NAME_logits64.npy),
a second line gives both float32 results' errors against it: how much the network itself amplifies float32
rounding, which is what an engine's error beside torch's is to be read against. The exit status is the
parity test's against EXPECTED.npy either way."""
import os
import sys
import zipfile

try:
    import numpy as np
except ImportError as e:
    sys.exit(f"compare.py: {e}: install python3-numpy (apt-get install python3-numpy)")

# an error within this fraction of the largest expected value passes (within this much, absolutely, when
# the expected values are all zero: there is no scale to be relative to)
TOLERANCE = 1e-4


def fail(path, problem):
    sys.exit(f"compare.py: {path}: {problem}")


def refuse_npz(path):
    """An .npz (a zip archive of arrays) is not one array: refused, naming what it holds when it reads as a zip."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [n[:-4] if n.endswith(".npy") else n for n in z.namelist()]
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as e:  # PK and then garbage: a zip cut short or damaged
        fail(path, f"starts as a zip archive (an .npz) but does not read as one ({e}); give one .npy")
    fail(path, f"an .npz archive of {len(names)} arrays ({', '.join(names[:4])}); give one .npy")


def load(path):
    """The [N, classes] array of numbers in the .npy file `path` as float64, or one line saying why not and exit 1.

    The header is read and checked before any data: the bytes its shape and dtype need must be the bytes
    the file holds after it, so a header claiming terabytes is refused by name rather than allocated
    (numpy's MemoryError), and a file cut short is not read as half an array."""
    try:
        with open(path, "rb") as f:
            if f.read(4) == b"PK\x03\x04":
                refuse_npz(path)
            f.seek(0)
            version = np.lib.format.read_magic(f)
            # format 3.0 exists for structured dtypes with non-Latin-1 field names: never an array of numbers
            read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                fail(path, f"is an .npy of format version {version[0]}.{version[1]} (structured values), not numbers")
            shape, _, dtype = read_header(f)
            if dtype.kind not in "iuf":  # bool, complex, strings, objects (pickles: never unpickled here), structured
                fail(path, f"holds {dtype} values, not numbers")
            if len(shape) != 2:
                fail(path, f"has shape {shape}, and the outputs compared are [N, classes] (top-1 is taken over axis 1)")
            if min(shape) < 0:  # numpy's header reader lets them through
                fail(path, f"its header declares shape {shape}: a negative dimension")
            needed, held = shape[0] * shape[1] * dtype.itemsize, os.fstat(f.fileno()).st_size - f.tell()
            if needed != held:
                fail(path, f"its header declares shape {shape} of {dtype}, {needed} bytes of data, and the file holds {held} bytes "
                           f"after its header ({'cut short, or a wrong header' if needed > held else 'trailing bytes, or a wrong header'})")
            if needed == 0:
                fail(path, f"has shape {shape}: no values to compare")
            f.seek(0)
            a = np.lib.format.read_array(f)
    except OSError as e:  # names the file
        sys.exit(f"compare.py: {e}")
    except (ValueError, EOFError) as e:  # no .npy magic, a malformed header, an empty file
        fail(path, f"not an .npy file: {e}")
    # as float64, before any arithmetic: integers subtracted in their own type wrap (uint16 0 - 65535 is 1,
    # abs(int8 -128) is -128), and float16's differences round
    return a.astype(np.float64)


if len(sys.argv) not in (3, 4):
    sys.exit("usage: compare.py ACTUAL.npy EXPECTED.npy [EXPECTED64.npy]")
actual, expected = load(sys.argv[1]), load(sys.argv[2])
exact = load(sys.argv[3]) if len(sys.argv) == 4 else None
if exact is not None and exact.shape != expected.shape:
    sys.exit(f"compare.py: shapes differ: {sys.argv[3]} has {exact.shape}, {sys.argv[2]} has {expected.shape}")
if exact is not None and not np.isfinite(exact).all():
    fail(sys.argv[3], f"{int((~np.isfinite(exact)).sum())} of its {exact.size} values are not finite numbers (NaN or infinity)")
if actual.shape != expected.shape:
    sys.exit(f"compare.py: shapes differ: {sys.argv[1]} has {actual.shape}, {sys.argv[2]} has {expected.shape}")
bad = int((~np.isfinite(expected)).sum())
if bad:  # an infinity made the scale infinite, and every error passed under it
    fail(sys.argv[2], f"{bad} of its {expected.size} values are not finite numbers (NaN or infinity): no scale to compare against")
if len(expected) > 1 and np.abs(expected - expected[0]).max() <= TOLERANCE * np.abs(expected).max():
    # outputs that do not depend on the input match whatever computed the layers before the last few
    fail(sys.argv[2], f"the expected outputs of its {len(expected)} inputs are equal within {TOLERANCE:g} of their largest: they hardly"
                      " depend on the input, so matching them says nothing")
err, scale = float(np.abs(actual - expected).max()), float(np.abs(expected).max())
if scale == 0:
    measure, ok = "expected all zero: absolute error", err <= TOLERANCE
else:
    measure, ok = f"ratio {err / scale:.3g}", err <= TOLERANCE * scale
top_a, top_e = actual.argmax(axis=1), expected.argmax(axis=1)
print(f"max abs error {err:.3g}, max |logit| {scale:.3g}, {measure}, top-1 agree {int((top_a == top_e).sum())}/{len(top_e)}")
if exact is not None:
    if scale > 0:
        ours, theirs = (float(np.abs(v - exact).max()) / scale for v in (actual, expected))
        print(f"against float64: this {ours:.3g}, torch's float32 {theirs:.3g} (of max |logit|)")
    else:
        print("against float64: not compared (the expected outputs are all zero: no scale)")
sys.exit(0 if ok else 1)
