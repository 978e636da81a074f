package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The lanes layout of small Winograd convs ({@link Kernels#winogradProductLanes} and the transforms
 * into and out of it): the product against a plain sum in double, against the scalar kernel to the
 * bit, and against the channel-vector kernels the products ran on before ({@link
 * Kernels#convLinearSmall}, {@link Kernels#convLinear}) to the bit, as each output is the same fused
 * multiply-adds in the same order; the transforms against the block-layout ones to the bit. Run at
 * every vector width (the module runs this package's tests once per width), so each width's register
 * tile is checked: one, two and four vectors a row, 12, 6 and 2 channels a call.
 */
class LaneProductTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** Where the operands start in their arrays: none at 0, so a kernel that ignored a base would be caught. */
  private static final int V_BASE = 48, W_BASE = 7, M_BASE = 32;

  /**
   * A product's operands: V_q in the block layout [inBlocks][tiles][16] and as rows of 16 lanes (the
   * lanes past the last tile zero), U_q as [n][k] and packed both ways.
   */
  private record Product(int inBlocks, int tiles, int outChannels, int columns, float[] v, float[] rows, float[] u, float[] panels,
      float[] groups) {
    int k() {
      return inBlocks * 16;
    }

    double sum(int n, int t) {
      double sum = 0;
      for (int c = 0; c < k(); c++) sum += (double) u[n * k() + c] * rows[V_BASE + 16 * c + t];
      return sum;
    }

    double magnitude(int n, int t) {
      double sum = 0;
      for (int c = 0; c < k(); c++) sum += Math.abs((double) u[n * k() + c] * rows[V_BASE + 16 * c + t]);
      return sum;
    }
  }

  private static Product product(int inBlocks, int tiles, int outChannels, long seed) {
    Random r = new Random(seed);
    int k = inBlocks * 16, columns = (outChannels + Kernels.LANE_CHANNELS - 1) / Kernels.LANE_CHANNELS * Kernels.LANE_CHANNELS;
    float[] v = new float[inBlocks * tiles * 16 + 14 * 16 + 224]; // the 14-pixel tile reads past the last tile
    float[] rows = new float[V_BASE + 16 * k];
    for (int b = 0; b < inBlocks; b++) {
      for (int t = 0; t < tiles; t++) {
        for (int c = 0; c < 16; c++) {
          float x = (float) r.nextGaussian();
          v[(b * tiles + t) * 16 + c] = x;
          rows[V_BASE + 16 * (b * 16 + c) + t] = x;
        }
      }
    }
    float[] u = new float[outChannels * k];
    for (int i = 0; i < u.length; i++) u[i] = (float) r.nextGaussian();
    float[] panels = new float[W_BASE + columns * k];
    float[] groups = new float[(outChannels + 31) / 32 * 32 * k + 64]; // [group of 32][k][32], then 64 zeros (the bias)
    for (int n = 0; n < outChannels; n++) {
      for (int c = 0; c < k; c++) {
        panels[W_BASE + (n / Kernels.LANE_PANEL * k + c) * Kernels.LANE_PANEL + n % Kernels.LANE_PANEL] = u[n * k + c];
        groups[(n / 32 * k + c) * 32 + n % 32] = u[n * k + c];
      }
    }
    return new Product(inBlocks, tiles, outChannels, columns, v, rows, u, panels, groups);
  }

  /** M_q's rows [n0, n1) computed into an array of NaNs: {@code [M_BASE + 16 n + lane]}. */
  private static float[] lanes(Kernels kernels, Product p, int n0, int n1) {
    float[] m = new float[M_BASE + 16 * p.columns() + 16];
    Arrays.fill(m, Float.NaN);
    kernels.winogradProductLanes(p.rows(), V_BASE, p.k(), p.panels(), W_BASE, n0, n1, m, M_BASE);
    return m;
  }

  /** The same product as the steps before computed it, in the block layout: 8- or 14-pixel tiles of two output blocks, group by group. */
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
  void productsMatchAPlainSumAndTheScalarKernelToTheBit() {
    long seed = 1;
    for (int inBlocks : new int[] {1, 3}) {
      for (int tiles : new int[] {1, 7, 9, 16}) {
        for (int outChannels : new int[] {16, 48, 64}) { // 24, 48 and 72 columns: 4, 8 and 12 panels
          Product p = product(inBlocks, tiles, outChannels, seed++);
          float[] vector = lanes(VECTOR, p, 0, p.columns()), scalar = lanes(SCALAR, p, 0, p.columns());
          String what = inBlocks + " input blocks, " + tiles + " tiles, " + outChannels + " outputs";
          assertArrayEquals(scalar, vector, what + ": vector against scalar");
          for (int n = 0; n < p.columns(); n++) {
            for (int t = 0; t < 16; t++) {
              float got = vector[M_BASE + 16 * n + t];
              if (n >= outChannels || t >= tiles) {
                assertEquals(0f, got, what + ": output " + n + " of lane " + t + " (zero weights or zero inputs)");
              } else {
                // k roundings of partial sums, each within half an ulp of the running sum: k * 2^-24 of the terms' magnitude
                assertEquals(p.sum(n, t), got, p.k() * 0x1p-24 * p.magnitude(n, t), what + ": output " + n + " of tile " + t);
              }
            }
          }
          for (int i = 0; i < M_BASE; i++) assertTrue(Float.isNaN(vector[i]), what + ": before the rows");
          for (int i = M_BASE + 16 * p.columns(); i < vector.length; i++) assertTrue(Float.isNaN(vector[i]), what + ": after the rows");
        }
      }
    }
  }

  /** Items take ranges of 12 channels: each writes its rows and no other, with the whole product's bits. */
  @Test
  void channelRangesWriteTheirRowsOnly() {
    Product p = product(2, 9, 64, 5);
    float[] whole = lanes(VECTOR, p, 0, p.columns());
    int[][] ranges = {{0, 12}, {12, 36}, {36, p.columns()}};
    for (Kernels kernels : new Kernels[] {VECTOR, SCALAR}) {
      for (int[] range : ranges) {
        float[] part = lanes(kernels, p, range[0], range[1]);
        for (int i = 0; i < part.length; i++) {
          int n = (i - M_BASE) >> 4;
          boolean inside = i >= M_BASE && n >= range[0] && n < range[1];
          if (inside) assertEquals(whole[i], part[i], "channels " + range[0] + ".." + range[1] + ", float " + i);
          else assertTrue(Float.isNaN(part[i]), "channels " + range[0] + ".." + range[1] + " wrote float " + i);
        }
      }
    }
  }

  @Test
  void productsGiveTheChannelVectorKernelsBits() {
    for (int tiles : new int[] {7, 16}) {
      Product p = product(2, tiles, 64, 100 + tiles);
      float[] lanes = lanes(VECTOR, p, 0, p.columns()), scalarLanes = lanes(SCALAR, p, 0, p.columns());
      float[] small = channelVectors(VECTOR, p, Kernels.SMALL_LINEAR_TILE), linear = channelVectors(VECTOR, p, Kernels.LINEAR_TILE);
      float[] scalarSmall = channelVectors(SCALAR, p, Kernels.SMALL_LINEAR_TILE);
      for (int n = 0; n < 64; n++) {
        for (int t = 0; t < tiles; t++) {
          int block = ((n >> 4) * tiles + t) * 16 + (n & 15), lane = M_BASE + 16 * n + t;
          String what = tiles + " tiles, output " + n + " of tile " + t;
          assertTrue(lanes[lane] != 0f || small[block] == 0f, what + ": computed");
          assertEquals(small[block], lanes[lane], what + ", 8-pixel tiles");
          assertEquals(linear[block], lanes[lane], what + ", 14-pixel tiles");
          assertEquals(scalarSmall[block], scalarLanes[lane], what + ", scalar kernels");
        }
      }
    }
  }

  /**
   * The transforms into and out of the lanes layout against the block-layout ones, one row of 4 tiles
   * of one channel block: the same values, moved; the output transform with a bias, a residual and
   * relu over a row of 7 pixels (its last tile half outside).
   */
  @Test
  void laneTransformsMoveTheBlockTransformsValues() {
    Random r = new Random(3);
    int tiles = 4, rowStride = (2 * tiles + 2) * 16;
    float[] in = new float[4 * rowStride];
    for (int i = 0; i < in.length; i++) in[i] = (float) r.nextGaussian();
    int vPos = 16 * 16 * 3; // a block's 16 rows, as in a conv of three input blocks
    for (Kernels kernels : new Kernels[] {VECTOR, SCALAR}) {
      float[] block = new float[16 * tiles * 16], lanes = new float[V_BASE + 16 * vPos];
      Arrays.fill(lanes, Float.NaN);
      kernels.winogradInput(in, 0, rowStride, tiles, block, 0, tiles * 16);
      kernels.winogradInputLanes(in, 0, rowStride, tiles, lanes, V_BASE + 5, vPos); // the row's tiles from lane 5
      for (int q = 0; q < 16; q++) {
        for (int t = 0; t < 16; t++) {
          for (int c = 0; c < 16; c++) {
            float got = lanes[V_BASE + q * vPos + 16 * c + t];
            if (t >= 5 && t < 5 + tiles) assertEquals(block[(q * tiles + t - 5) * 16 + c], got, "position " + q + " tile " + (t - 5) + " channel " + c);
            else assertTrue(Float.isNaN(got), "lane " + t + " is another row's");
          }
        }
      }

      float[] w = new float[16];
      for (int i = 0; i < 16; i++) w[i] = (float) r.nextGaussian();
      float[] res = new float[2 * 8 * 16];
      for (int i = 0; i < res.length; i++) res[i] = (float) r.nextGaussian();
      int mPos = 16 * 48;
      float[] mLanes = new float[M_BASE + 16 * mPos];
      for (int q = 0; q < 16; q++) {
        for (int t = 0; t < tiles; t++) {
          for (int c = 0; c < 16; c++) mLanes[M_BASE + q * mPos + 16 * c + 5 + t] = block[(q * tiles + t) * 16 + c];
        }
      }
      float[] expected = new float[2 * 8 * 16], got = new float[2 * 8 * 16];
      kernels.winogradOutput(block, 0, tiles * 16, tiles, w, 0, expected, 0, 8 * 16, 2, 7, res, 0, 8 * 16, Kernels.RELU, 0f);
      kernels.winogradOutputLanes(mLanes, M_BASE + 5, mPos, tiles, w, 0, got, 0, 8 * 16, 2, 7, res, 0, 8 * 16, Kernels.RELU, 0f);
      assertTrue(Arrays.stream(box(expected)).anyMatch(x -> x > 0f), "the transform computes something");
      assertArrayEquals(expected, got, kernels.getClass().getSimpleName());
    }
  }

  private static Float[] box(float[] a) {
    Float[] b = new Float[a.length];
    for (int i = 0; i < a.length; i++) b[i] = a[i];
    return b;
  }
}
