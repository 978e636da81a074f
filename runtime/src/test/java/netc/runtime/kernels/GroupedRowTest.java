package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The grouped row kernel (groups of 2 or 4 channels inside a 16-channel block): vector against scalar
 * to the last bit (the same fused multiply-adds in the same order, at whatever width the test JVM runs:
 * the build runs this class at 512, 256 and 128 bits, where a vector holds 8, 4 or 2 groups of 2, and at
 * 128 bits lies inside one group of 4), and both against a plain loop in double over the dense form of
 * the conv (each output channel's weights zero outside its group). A 3x3 window of 4 group channels in
 * [-1, 1] sums 36 products: float32 keeps about 1e-6 of that per operation, so 5e-5 is the bar.
 */
class GroupedRowTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** A blocked input of h x w with a halo of pad, a k x k window, groups of g channels. */
  record Case(int g, int h, int w, int k, int stride, int pad, int dilation, boolean residual, int act) {
    int outW() {
      return (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    }

    int rowStride() {
      return (w + 2 * pad) * 16;
    }

    int[] kOff() {
      return Tables.kOffsets(1, 1, k, k, 0, 1, dilation * rowStride(), dilation * 16);
    }

    int weights() {
      return k * k * g * 16;
    }
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
    return a;
  }

  /** Output row oy through {@code kernels}: [outW][16] after 3 floats of offset; weights [k][j][16], then the bias. */
  private static float[] run(Kernels kernels, Case c, int oy, float[] out, float[] res) {
    float[] in = random(3 + (c.h + 2 * c.pad) * c.rowStride(), 1), w = random(3 + c.weights() + 16, 2);
    kernels.groupedRow(c.g, in, 3 + oy * c.stride * c.rowStride(), c.stride * 16, c.kOff(), w, 3, 3 + c.weights(), out, 3, c.outW(),
        res, 3, c.act, 0.1f);
    return out;
  }

  private static float[] run(Kernels kernels, Case c, int oy) {
    return run(kernels, c, oy, new float[3 + c.outW() * 16], c.residual ? random(3 + c.outW() * 16, 3) : null);
  }

  /** The same row as a dense conv of the block in double: output lane o reads every input lane, with weight zero outside its group. */
  private static float[] reference(Case c, int oy) {
    float[] in = random(3 + (c.h + 2 * c.pad) * c.rowStride(), 1), w = random(3 + c.weights() + 16, 2);
    float[] res = c.residual ? random(3 + c.outW() * 16, 3) : null;
    float[] out = new float[3 + c.outW() * 16];
    for (int x = 0; x < c.outW(); x++) {
      for (int o = 0; o < 16; o++) {
        double s = w[3 + c.weights() + o];
        for (int ky = 0; ky < c.k; ky++) {
          for (int kx = 0; kx < c.k; kx++) {
            int iy = oy * c.stride + ky * c.dilation, ix = x * c.stride + kx * c.dilation;
            for (int i = 0; i < 16; i++) {
              double weight = i / c.g == o / c.g ? w[3 + ((ky * c.k + kx) * c.g + i % c.g) * 16 + o] : 0;
              s += (double) in[3 + iy * c.rowStride() + ix * 16 + i] * weight;
            }
          }
        }
        if (res != null) s += res[3 + x * 16 + o];
        out[3 + x * 16 + o] = PlainActivations.apply(s, c.act, (float) 0.1);
      }
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({
      "4, 9, 9, 3, 1, 1, 1, false, 1", "4, 9, 9, 3, 1, 1, 1, true, 1", "2, 10, 10, 3, 2, 1, 1, false, 0", "4, 11, 11, 3, 1, 2, 2, true, 4",
      "2, 7, 7, 3, 1, 1, 1, false, 1", "2, 8, 6, 1, 1, 0, 1, true, 3", "4, 12, 12, 3, 2, 0, 1, false, 5", "4, 14, 14, 3, 2, 1, 1, true, 1",
      "4, 3, 1, 3, 1, 1, 1, false, 2", "2, 16, 16, 5, 1, 2, 1, false, 6"})
  void vectorEqualsScalarBitForBitAndBothMatchADenseLoop(int g, int h, int w, int k, int stride, int pad, int dilation, boolean residual,
      int act) {
    Case c = new Case(g, h, w, k, stride, pad, dilation, residual, act);
    int lastRow = (h + 2 * pad - dilation * (k - 1) - 1) / stride;
    for (int oy : new int[] {0, lastRow}) {
      float[] vector = run(VECTOR, c, oy), scalar = run(SCALAR, c, oy), expected = reference(c, oy);
      assertArrayEquals(scalar, vector, "vector against scalar, row " + oy);
      assertEquals(0f, vector[0] + vector[1] + vector[2], "nothing written before the row");
      int nonZero = 0;
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], vector[i], 5e-5, "against the dense loop, float " + i + " of row " + oy);
        if (vector[i] != 0) nonZero++;
      }
      assertTrue(nonZero > c.outW() * 4, "the test computes something");
    }
  }

  /** A residual in the output's own array (a conv writing over the tensor it adds): the same bits as apart. */
  @Test
  void aResidualInTheOutputsArrayGivesTheSameBits() {
    for (int g : new int[] {2, 4}) {
      Case c = new Case(g, 9, 9, 3, 1, 1, 1, true, 1);
      float[] res = random(3 + c.outW() * 16, 3), aliased = res.clone();
      float[] apart = run(VECTOR, c, 0, new float[res.length], res);
      run(VECTOR, c, 0, aliased, aliased);
      assertArrayEquals(Arrays.copyOfRange(apart, 3, apart.length), Arrays.copyOfRange(aliased, 3, aliased.length), "groups of " + g);
    }
  }

  @Test
  void otherGroupWidthsAreRefused() {
    for (int g : new int[] {8, 16}) {
      Case c = new Case(g, 3, 3, 3, 1, 1, 1, false, 0);
      assertThrows(IllegalArgumentException.class, () -> run(VECTOR, c, 0), "groups of " + g);
    }
  }
}
