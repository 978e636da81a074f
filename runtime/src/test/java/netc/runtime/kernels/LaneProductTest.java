package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Winograd product with the tiles as vector lanes ({@link Kernels#winogradProductLanes}) against
 * a plain sum in double, against the scalar kernel to the bit, and against the channel-vector kernel
 * the products ran on before ({@link Kernels#convLinearSmall}, {@link Kernels#convLinear}) to the
 * bit: each output is the same fused multiply-adds in the same order. Run at every vector width (the
 * module runs this package's tests once per width), so each width's register tile is checked: one,
 * two and four vectors a row, channels a call of 12, 6 and 2, panel counts that leave a pair or a
 * third of a panel over.
 */
class LaneProductTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** A product's operands: V_q [inBlocks][tiles][16], U_q in both packings, and M_q's size. */
  private record Product(int inBlocks, int tiles, int outChannels, float[] v, float[] u, float[] panels, float[] groups) {
    int k() {
      return inBlocks * 16;
    }

    float weight(int n, int c) {
      return u[n * k() + c];
    }

    float input(int t, int c) {
      return v[((c >> 4) * tiles + t) * 16 + (c & 15)];
    }
  }

  private static Product product(int inBlocks, int tiles, int outChannels, long seed) {
    Random r = new Random(seed);
    int k = inBlocks * 16, panelCount = (outChannels + Kernels.LANE_PANEL - 1) / Kernels.LANE_PANEL;
    float[] v = new float[inBlocks * tiles * 16 + 14 * 16 + 224]; // the 14-pixel tile reads past the last tile
    for (int i = 0; i < inBlocks * tiles * 16; i++) v[i] = (float) r.nextGaussian();
    float[] u = new float[outChannels * k];
    for (int i = 0; i < u.length; i++) u[i] = (float) r.nextGaussian();
    float[] panels = new float[panelCount * k * Kernels.LANE_PANEL];
    float[] groups = new float[(outChannels + 31) / 32 * 32 * k + 64]; // [group of 32][k][32], then 64 zeros (the bias)
    for (int n = 0; n < outChannels; n++) {
      for (int c = 0; c < k; c++) {
        panels[(n / Kernels.LANE_PANEL * k + c) * Kernels.LANE_PANEL + n % Kernels.LANE_PANEL] = u[n * k + c];
        groups[(n / 32 * k + c) * 32 + n % 32] = u[n * k + c];
      }
    }
    return new Product(inBlocks, tiles, outChannels, v, u, panels, groups);
  }

  private static float[] lanes(Kernels kernels, Product p) {
    float[] m = new float[p.outChannels() * p.tiles() + 32];
    java.util.Arrays.fill(m, Float.NaN); // every output is written
    kernels.winogradProductLanes(p.v(), 0, p.inBlocks(), p.tiles(), p.panels(), 0, p.outChannels(), m, 16);
    return java.util.Arrays.copyOfRange(m, 16, 16 + p.outChannels() * p.tiles());
  }

  /** The same product as the steps before computed it: 8- or 14-pixel tiles of two output blocks, group by group. */
  private static float[] channelVectors(Kernels kernels, Product p, int tile) {
    int tiles = p.tiles(), k = p.k();
    int[] kOff = new int[k];
    for (int c = 0; c < k; c++) kOff[c] = (c >> 4) * tiles * 16 + (c & 15);
    int[] pix = Tables.pixels(1, tiles, 1, 1, 0, 16, 0, tile);
    float[] m = new float[p.outChannels() * tiles];
    for (int group = 0; group < p.outChannels() / 32; group++) {
      for (int p0 = 0; p0 < pix.length; p0 += tile) {
        if (tile == Kernels.SMALL_LINEAR_TILE) {
          kernels.convLinearSmall(2, p.v(), p0 * 16, kOff, p0, p.groups(), group * k * 32, p.groups().length - 64, m, group * 2 * tiles * 16,
              pix, tiles * 16, null, 0, null, 0, Kernels.NONE, 0f, 0, 0);
        } else {
          kernels.convLinear(2, p.v(), p0 * 16, kOff, p0, p.groups(), group * k * 32, p.groups().length - 64, m, group * 2 * tiles * 16,
              pix, tiles * 16, null, 0, null, 0, Kernels.NONE, 0f, 0, 0);
        }
      }
    }
    return m;
  }

  @Test
  void lanesMatchAPlainSumAndTheScalarKernelToTheBit() {
    long seed = 1;
    for (int inBlocks : new int[] {1, 3}) {
      for (int tiles : new int[] {1, 7, 9, 16}) {
        for (int outChannels : new int[] {16, 48, 64}) { // 3, 8 and 11 panels
          Product p = product(inBlocks, tiles, outChannels, seed++);
          float[] vector = lanes(VECTOR, p), scalar = lanes(SCALAR, p);
          String what = inBlocks + " input blocks, " + tiles + " tiles, " + outChannels + " outputs";
          assertArrayEquals(scalar, vector, what + ": vector against scalar");
          for (int n = 0; n < outChannels; n++) {
            for (int t = 0; t < tiles; t++) {
              double sum = 0, magnitude = 0;
              for (int c = 0; c < p.k(); c++) {
                double term = (double) p.weight(n, c) * p.input(t, c);
                sum += term;
                magnitude += Math.abs(term);
              }
              float got = vector[((n >> 4) * tiles + t) * 16 + (n & 15)];
              // k float roundings of partial sums, each within half an ulp of the running sum: k * 2^-24 of the terms' magnitude
              assertEquals(sum, got, p.k() * 0x1p-24 * magnitude, what + ": output " + n + " of tile " + t);
            }
          }
        }
      }
    }
  }

  @Test
  void lanesGiveTheChannelVectorKernelsBits() {
    for (int tiles : new int[] {7, 16}) {
      Product p = product(2, tiles, 64, 100 + tiles);
      float[] lanes = lanes(VECTOR, p);
      assertTrue(java.util.Arrays.stream(box(lanes)).anyMatch(x -> x != 0f), "the test computes something");
      assertArrayEquals(channelVectors(VECTOR, p, Kernels.SMALL_LINEAR_TILE), lanes, tiles + " tiles, 8-pixel tiles");
      assertArrayEquals(channelVectors(VECTOR, p, Kernels.LINEAR_TILE), lanes, tiles + " tiles, 14-pixel tiles");
      assertArrayEquals(channelVectors(SCALAR, p, Kernels.SMALL_LINEAR_TILE), lanes(SCALAR, p), tiles + " tiles, scalar kernels");
    }
  }

  @Test
  void lanesLeaveTheMemoryAroundTheOutputAlone() {
    Product p = product(1, 9, 16, 7);
    float[] m = new float[16 + 16 * 9 + 16];
    java.util.Arrays.fill(m, -3f);
    VECTOR.winogradProductLanes(p.v(), 0, 1, 9, p.panels(), 0, 16, m, 16);
    for (int i = 0; i < 16; i++) assertEquals(-3f, m[i], "before the output");
    for (int i = 16 + 16 * 9; i < m.length; i++) assertEquals(-3f, m[i], "after the output");
  }

  private static Float[] box(float[] a) {
    Float[] b = new Float[a.length];
    for (int i = 0; i < a.length; i++) b[i] = a[i];
    return b;
  }
}
