package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The depthwise row kernel: vector against scalar to the last bit (the same fused multiply-adds in
 * the same order), and both against a plain loop in double, for strides, dilations, 1x1, 3x3 and 5x5
 * windows, a residual (also in the output's own array) and activations. The vector kernel's paths: rows
 * without a residual of at least a group of 8 columns (8 / V pixels of V vectors each) in such groups, the
 * last one overlapping the one before unless the row divides into groups (widths 8, 9, 10, 12, 14, 17);
 * shorter rows and rows with a residual 4 pixels, then one; a group of a stride-1 or 2 row whose window is 3 wide
 * with dilation 1 ({@link VectorKernels#rowsOfThree}) takes a window row's three taps at once.
 * The plain loop sums in double, so it differs from float32 FMAs by rounding: a 3x3 window of values
 * in [-1, 1] sums to at most 9, and float32 keeps about 1e-6 of that per operation: 1e-5 is the bar.
 */
class DepthwiseTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** A conv's geometry: a blocked input of h x w with a halo of pad, a kh x kw window, one output row oy. */
  record Case(int h, int w, int k, int stride, int pad, int dilation, boolean residual, int act) {
    int outW() {
      return (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    }

    int rowStride() {
      return (w + 2 * pad) * 16;
    }

    int[] kOff() {
      return Tables.kOffsets(1, 1, k, k, 0, 1, dilation * rowStride(), dilation * 16);
    }
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
    return a;
  }

  /** Output row oy of the case through {@code kernels}: [outW][16], after 3 floats of offset on each array. */
  private static float[] run(Kernels kernels, Case c, int oy) {
    float[] in = random(3 + (c.h + 2 * c.pad) * c.rowStride(), 1), w = random(3 + c.k * c.k * 16 + 16, 2);
    float[] res = c.residual ? random(3 + c.outW() * 16, 3) : null;
    float[] out = new float[3 + c.outW() * 16];
    kernels.depthwiseRow(in, 3 + oy * c.stride * c.rowStride(), c.stride * 16, c.kOff(), w, 3, 3 + c.k * c.k * 16, out, 3, c.outW(),
        res, 3, c.act, 0.1f);
    return out;
  }

  /** The same row by a plain loop in double: each lane convolved with its own window. */
  private static float[] reference(Case c, int oy) {
    float[] in = random(3 + (c.h + 2 * c.pad) * c.rowStride(), 1), w = random(3 + c.k * c.k * 16 + 16, 2);
    float[] res = c.residual ? random(3 + c.outW() * 16, 3) : null;
    float[] out = new float[3 + c.outW() * 16];
    for (int x = 0; x < c.outW(); x++) {
      for (int j = 0; j < 16; j++) {
        double s = w[3 + c.k * c.k * 16 + j];
        for (int ky = 0; ky < c.k; ky++) {
          for (int kx = 0; kx < c.k; kx++) {
            int iy = oy * c.stride + ky * c.dilation, ix = x * c.stride + kx * c.dilation;
            s += (double) in[3 + iy * c.rowStride() + ix * 16 + j] * w[3 + (ky * c.k + kx) * 16 + j];
          }
        }
        if (res != null) s += res[3 + x * 16 + j];
        out[3 + x * 16 + j] = PlainActivations.apply(s, c.act, (float) 0.1);
      }
    }
    return out;
  }

  @org.junit.jupiter.api.Test
  void onlyAdjacentTriplesOfTapsAreRowsOfThree() {
    assertTrue(VectorKernels.rowsOfThree(new Case(9, 9, 3, 1, 1, 1, false, 0).kOff()), "3x3");
    assertTrue(VectorKernels.rowsOfThree(new int[] {5, 21, 37}), "1x3");
    assertTrue(!VectorKernels.rowsOfThree(new Case(16, 16, 3, 1, 1, 2, false, 0).kOff()), "3x3 dilated");
    assertTrue(!VectorKernels.rowsOfThree(new Case(12, 12, 5, 1, 2, 1, false, 0).kOff()), "5x5");
    assertTrue(!VectorKernels.rowsOfThree(new Case(5, 5, 1, 1, 0, 1, false, 0).kOff()), "1x1");
    assertTrue(VectorKernels.rowsOfThree(new int[] {0, 16, 32, 48, 64, 80}), "1x6: two triples of adjacent taps serve as well");
    assertTrue(!VectorKernels.rowsOfThree(new int[] {0, 16, 48}), "a gap in the triple");
  }

  /** A residual in the output's own array (MemoryPlanner lets a conv write over the tensor it adds): the same bits as apart. */
  @ParameterizedTest
  @CsvSource({"9, 9, 3, 1, 1, 1, true, 1", "11, 11, 3, 1, 2, 2, true, 5", "10, 10, 3, 2, 1, 1, true, 0"})
  void aResidualInTheOutputsArrayGivesTheSameBits(int h, int w, int k, int stride, int pad, int dilation, boolean residual, int act) {
    Case c = new Case(h, w, k, stride, pad, dilation, residual, act);
    float[] in = random(3 + (c.h + 2 * c.pad) * c.rowStride(), 1), wt = random(3 + c.k * c.k * 16 + 16, 2);
    float[] res = random(3 + c.outW() * 16, 3), aliased = res.clone(), apart = new float[res.length];
    VECTOR.depthwiseRow(in, 3, c.stride * 16, c.kOff(), wt, 3, 3 + c.k * c.k * 16, apart, 3, c.outW(), res, 3, c.act, 0.1f);
    VECTOR.depthwiseRow(in, 3, c.stride * 16, c.kOff(), wt, 3, 3 + c.k * c.k * 16, aliased, 3, c.outW(), aliased, 3, c.act, 0.1f);
    float[] written = java.util.Arrays.copyOfRange(apart, 3, apart.length);
    assertArrayEquals(written, java.util.Arrays.copyOfRange(aliased, 3, aliased.length));
    assertTrue(!java.util.Arrays.equals(written, java.util.Arrays.copyOfRange(res, 3, res.length)), "the row was written");
  }

  @ParameterizedTest
  @CsvSource({
      "9, 9, 3, 1, 1, 1, false, 0", "9, 9, 3, 1, 1, 1, true, 1", "10, 10, 3, 2, 1, 1, false, 1", "11, 11, 3, 1, 2, 2, true, 4",
      "7, 13, 5, 2, 2, 1, false, 2", "8, 6, 3, 1, 1, 1, true, 3", "5, 5, 1, 1, 0, 1, false, 0", "12, 12, 3, 2, 0, 1, false, 1",
      "17, 17, 3, 1, 1, 1, false, 5", "20, 20, 3, 2, 1, 1, false, 4", "3, 1, 3, 1, 1, 1, false, 1", "16, 16, 3, 1, 1, 2, false, 6",
      "8, 8, 3, 1, 1, 1, false, 1", "12, 12, 5, 1, 2, 1, false, 5"})
  void vectorEqualsScalarBitForBitAndBothMatchAPlainLoop(int h, int w, int k, int stride, int pad, int dilation, boolean residual,
      int act) {
    Case c = new Case(h, w, k, stride, pad, dilation, residual, act);
    int lastRow = (h + 2 * pad - dilation * (k - 1) - 1) / stride;
    for (int oy : new int[] {0, lastRow}) {
      float[] vector = run(VECTOR, c, oy), scalar = run(SCALAR, c, oy), expected = reference(c, oy);
      assertArrayEquals(scalar, vector, "vector against scalar, row " + oy);
      assertEquals(0f, vector[0] + vector[1] + vector[2], "nothing written before the row");
      int nonZero = 0;
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], vector[i], 1e-5, "against a plain loop, float " + i + " of row " + oy);
        if (vector[i] != 0) nonZero++;
      }
      assertTrue(nonZero > c.outW() * 4, "the test computes something");
    }
  }
}
