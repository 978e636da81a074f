package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The F(4x4,3x3) transforms: vector and scalar kernels agree bit for bit, and together with the
 * products they compute a 3x3 convolution (one channel, one tile row), checked against the sum of
 * products in double.
 */
class WinogradTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** A 6-row strip of one channel block with 3 tiles (14 columns: 3 tiles of 4 outputs, and 2 more). */
  private static final int TILES = 3, COLS = 14, ROW = COLS * 16;

  private static float[] strip(long seed) {
    Random rng = new Random(seed);
    float[] in = new float[6 * ROW];
    for (int i = 0; i < in.length; i++) in[i] = rng.nextFloat() - 0.5f;
    return in;
  }

  @Test
  void transformsAgreeBitForBitAndComputeTheConvolution() {
    float[] in = strip(1);
    int vPos = TILES * 16;
    float[] vs = new float[36 * vPos], vv = new float[36 * vPos];
    SCALAR.winograd4Input(in, 0, ROW, TILES, vs, 0, vPos);
    VECTOR.winograd4Input(in, 0, ROW, TILES, vv, 0, vPos);
    assertArrayEquals(vs, vv, "input transform");

    // products with the transformed weights of one 3x3 kernel per lane, U = G g G^T
    Random rng = new Random(2);
    double[][] g = new double[16][9];
    double[][] gm = {{0.25, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
        {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    float[] m = new float[36 * vPos];
    for (int l = 0; l < 16; l++) {
      for (int k = 0; k < 9; k++) g[l][k] = rng.nextDouble() - 0.5;
      for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 6; j++) {
          double u = 0;
          for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) u += gm[i][a] * g[l][a * 3 + b] * gm[j][b];
          for (int t = 0; t < TILES; t++) m[(i * 6 + j) * vPos + t * 16 + l] = (float) u * vv[(i * 6 + j) * vPos + t * 16 + l];
        }
      }
    }
    float[] bias = new float[16], res = new float[4 * COLS * 16];
    for (int i = 0; i < 16; i++) bias[i] = 0.25f;
    for (int i = 0; i < res.length; i++) res[i] = rng.nextFloat() - 0.5f;
    int outW = COLS - 2; // 12 outputs: the 3 tiles exactly; 11 would clip the last
    for (int w : new int[] {outW, outW - 1}) {
      float[] ys = new float[4 * COLS * 16], yv = new float[4 * COLS * 16];
      SCALAR.winograd4Output(m, 0, vPos, TILES, bias, 0, ys, 0, COLS * 16, 4, w, res, 0, COLS * 16, Kernels.NONE, 0f);
      VECTOR.winograd4Output(m, 0, vPos, TILES, bias, 0, yv, 0, COLS * 16, 4, w, res, 0, COLS * 16, Kernels.NONE, 0f);
      assertArrayEquals(ys, yv, "output transform, width " + w);
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < COLS; x++) {
          for (int l = 0; l < 16; l++) {
            int at = (y * COLS + x) * 16 + l;
            if (x >= w) {
              assertEquals(0f, yv[at], "nothing written past the output width");
              continue;
            }
            double conv = 0;
            for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) conv += g[l][a * 3 + b] * in[(y + a) * ROW + (x + b) * 16 + l];
            assertEquals(conv + 0.25 + res[at], yv[at], 1e-5, "output (" + y + ", " + x + ") lane " + l);
          }
        }
      }
    }
  }

  /**
   * The output transform with and without a residual, clamped (relu) or not, clipped or not: vector
   * and scalar agree bit for bit (the clamp is a second pass over each row now), and once C2 has
   * compiled it the vector one allocates nothing, the calls alternating all four cases as a network's
   * layers do. Its row method boxed in every full-size resnet18 run before d08bab5, but that code
   * passes this test too: alone, C2 compiles it within its node budget. So this guards the agreement
   * and plain regressions; {@code examples/check-allocation.sh} on whole networks is the check for
   * what only their compilation shows.
   */
  @Test
  void theOutputTransformAgreesAndAllocatesNothingOnceWarm() {
    int tiles = 14, cols = tiles * 4, vPos = tiles * 16;
    Random rng = new Random(5);
    float[] m = new float[36 * vPos], bias = new float[16], res = new float[4 * cols * 16];
    for (int i = 0; i < m.length; i++) m[i] = rng.nextFloat() - 0.5f;
    for (int i = 0; i < 16; i++) bias[i] = rng.nextFloat() - 0.5f;
    for (int i = 0; i < res.length; i++) res[i] = rng.nextFloat() - 0.5f;
    float[] ys = new float[res.length], yv = new float[res.length];
    for (int c = 0; c < 8; c++) {
      float[] r = c % 2 == 0 ? res : null;
      int act = c / 2 % 2 == 0 ? Kernels.RELU : Kernels.NONE, outW = c < 4 ? cols : cols - 3;
      java.util.Arrays.fill(ys, 0f);
      java.util.Arrays.fill(yv, 0f);
      SCALAR.winograd4Output(m, 0, vPos, tiles, bias, 0, ys, 0, cols * 16, 4, outW, r, 0, cols * 16, act, 0f);
      VECTOR.winograd4Output(m, 0, vPos, tiles, bias, 0, yv, 0, cols * 16, 4, outW, r, 0, cols * 16, act, 0f);
      assertArrayEquals(ys, yv, "residual " + (r != null) + ", act " + act + ", width " + outW);
    }
    int bits = VectorKernels.BITS > 0 ? VectorKernels.BITS : 128; // the scalar run's VectorKernels take 128-bit vectors
    // a width this JVM runs in the Java fallback allocates by design: the agreement above is checked, the allocation skipped
    org.junit.jupiter.api.Assumptions.assumeTrue(bits <= VectorWidth.nativeBits(),
        bits + " bits is wider than the " + VectorWidth.nativeBits() + "-bit vectors this JVM compiles natively");
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId(), allocated = Long.MAX_VALUE, deadline = System.nanoTime() + 60_000_000_000L;
    while (allocated >= 1024 && System.nanoTime() < deadline) {
      long before = threads.getThreadAllocatedBytes(id);
      for (int i = 0; i < 2000; i++) {
        VECTOR.winograd4Output(m, 0, vPos, tiles, bias, 0, yv, 0, cols * 16, 4, i % 8 < 4 ? cols : cols - 3, i % 2 == 0 ? res : null, 0,
            cols * 16, i / 2 % 2 == 0 ? Kernels.RELU : Kernels.NONE, 0f);
      }
      allocated = threads.getThreadAllocatedBytes(id) - before;
    }
    org.junit.jupiter.api.Assertions.assertTrue(allocated < 1024,
        "2000 warm output transforms at " + bits + " bits still allocated " + allocated + " bytes after a minute");
  }
}
