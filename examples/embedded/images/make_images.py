"""Writes the example's PNG digits from held-out rows of weights/digits/heldout_images.npy (run from the repo root).

seven.png: row 0 (a 7), black ink on white paper, grayscale, 32x32 (each of the 8x8 cells as a 4x4 block).
three.png: row 2 (a 3), white ink on black, RGB, 24x24 (3x3 blocks): the other polarity and a size
that is not the model's. Classify reads both back to row 0 and row 2 within 8-bit rounding.
"""
import numpy as np
from PIL import Image

digits = np.load("weights/digits/heldout_images.npy")  # [360, 1, 8, 8], ink in [0, 1]


def blocks(row, k):
    return np.kron(digits[row, 0], np.ones((k, k)))


Image.fromarray(np.rint(255 * (1 - blocks(0, 4))).astype(np.uint8), "L").save("examples/embedded/images/seven.png")
Image.fromarray(np.rint(255 * np.repeat(blocks(2, 3)[:, :, None], 3, axis=2)).astype(np.uint8), "RGB").save(
    "examples/embedded/images/three.png")
