package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The average pool with torch's per-window divisor, clamp and the CLIP epilogue: vector kernels
 * against scalar ones (bit for bit: the same sums in the same order), and both against the divisors
 * worked out by hand.
 */
class PoolClampTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** One 3x3 block of 16 channels, channel j holding (pixel + 1) * (j + 1). */
  private static float[] block() {
    float[] in = new float[9 * 16];
    for (int p = 0; p < 9; p++) for (int j = 0; j < 16; j++) in[p * 16 + j] = (p + 1) * (j + 1);
    return in;
  }

  /** Output row {@code oy} of a 2x2 stride-2 pool over the 3x3 block, ceil mode (2 outputs), padding 1 before or not. */
  private static float[] row(Kernels k, int oy, int pad, boolean countPad) {
    float[] out = new float[2 * 16];
    k.avgPoolRow(block(), 0, 3 * 16, 3, 3, out, 0, 2, oy, 2, 2, 2, 2, pad, pad, 3 + pad, 3 + pad, countPad);
    return out;
  }

  @Test
  void divisorsAreTorchs() {
    // ceil mode, no padding: windows [1,2,4,5]/4, [3,6]/2 (the overhang past the input is not counted), channel 0
    float[] r = row(SCALAR, 0, 0, true);
    assertEquals(3f, r[0]);
    assertEquals(4.5f, r[16]);
    // padding 1 counted: [1]/4 and [2,3]/4; not counted: [1]/1 and [2,3]/2
    assertEquals(0.25f, row(SCALAR, 0, 1, true)[0]);
    assertEquals(1.25f, row(SCALAR, 0, 1, true)[16]);
    assertEquals(1f, row(SCALAR, 0, 1, false)[0]);
    assertEquals(2.5f, row(SCALAR, 0, 1, false)[16]);
    // channel 5 is 6x channel 0
    assertEquals(6 * 2.5f, row(SCALAR, 0, 1, false)[16 + 5]);
  }

  @Test
  void vectorKernelsEqualScalarOnes() {
    for (int oy = 0; oy < 2; oy++) {
      for (int pad = 0; pad < 2; pad++) {
        for (boolean countPad : new boolean[] {true, false}) {
          assertArrayEquals(row(SCALAR, oy, pad, countPad), row(VECTOR, oy, pad, countPad), "row " + oy + " pad " + pad + " " + countPad);
        }
      }
    }
    Random rng = new Random(1);
    float[] x = new float[64];
    for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian() * 4;
    float[] s = new float[64], v = new float[64];
    SCALAR.clamp(x, 0, 64, -0.5f, Float.POSITIVE_INFINITY, s, 0);
    VECTOR.clamp(x, 0, 64, -0.5f, Float.POSITIVE_INFINITY, v, 0);
    assertArrayEquals(s, v);
    for (int i = 0; i < 64; i++) assertEquals(Math.max(x[i], -0.5f), s[i]);
    SCALAR.activate(x, 0, 64, Kernels.CLIP, 6f, s, 0);
    VECTOR.activate(x, 0, 64, Kernels.CLIP, 6f, v, 0);
    assertArrayEquals(s, v);
    for (int i = 0; i < 64; i++) assertEquals(Math.min(Math.max(x[i], 0f), 6f), s[i]);
  }

  /**
   * Max pooling 3x3 stride 2 with padding 1 over a 9x9 block (interior windows take the unrolled path,
   * border ones the clipped loop), values with -0, +0 and a NaN: vector and scalar kernels give the same
   * bits, and each output is the largest of its window worked out here.
   */
  @Test
  void maxPoolOfWholeAndClippedWindows() {
    int h = 9, w = 9, outW = 5;
    float[] in = new float[h * w * 16];
    Random r = new Random(3);
    for (int i = 0; i < in.length; i++) in[i] = r.nextInt(5) == 0 ? (r.nextBoolean() ? -0f : 0f) : (float) r.nextGaussian();
    in[(4 * w + 4) * 16 + 7] = Float.NaN;
    for (int oy = 0; oy < 5; oy++) {
      float[] v = new float[outW * 16], s = new float[outW * 16];
      VECTOR.maxPoolRow(in, 0, w * 16, h, w, v, 0, outW, oy, 3, 3, 2, 2, 1, 1);
      SCALAR.maxPoolRow(in, 0, w * 16, h, w, s, 0, outW, oy, 3, 3, 2, 2, 1, 1);
      assertArrayEquals(s, v, "row " + oy);
      for (int ox = 0; ox < outW; ox++) {
        for (int j = 0; j < 16; j++) {
          float m = Float.NEGATIVE_INFINITY;
          for (int y = Math.max(0, oy * 2 - 1); y < Math.min(h, oy * 2 + 2); y++) {
            for (int x = Math.max(0, ox * 2 - 1); x < Math.min(w, ox * 2 + 2); x++) m = Math.max(m, in[(y * w + x) * 16 + j]);
          }
          assertEquals(m, v[ox * 16 + j], "row " + oy + " pixel " + ox + " channel " + j);
        }
      }
    }
  }
}
