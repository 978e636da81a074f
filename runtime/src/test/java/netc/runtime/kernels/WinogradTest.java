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
}
