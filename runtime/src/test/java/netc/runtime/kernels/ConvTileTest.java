package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The linear conv tile (over a packed panel, or in place over a halo-free input) against the
 * gathering one, and the vector kernels against the scalar ones: the same products in the same
 * order, so equal to the last bit, for every tile shape, with a residual, a strided 3x3 window and
 * an activation in the epilogue. The gathering kernel is in turn checked against a plain loop.
 */
class ConvTileTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  @Test
  void linearTilesOverPanelsEqualGatheringTilesBitForBit() {
    for (int blocks : new int[] {1, 2}) {
      float[] gather = strided(VECTOR, blocks, false), linear = strided(VECTOR, blocks, true);
      assertTrue(nonZero(gather), "the test computes something");
      assertArrayEquals(gather, linear, "vector kernels, " + blocks + " blocks");
      assertArrayEquals(strided(SCALAR, blocks, false), strided(SCALAR, blocks, true), "scalar kernels, " + blocks + " blocks");
      assertArrayEquals(gather, strided(SCALAR, blocks, true), "vector against scalar, " + blocks + " blocks");
    }
    assertArrayEquals(strided(VECTOR, 4, false), strided(SCALAR, 4, false), "gathering 6 x 4 tiles, vector against scalar");
  }

  @Test
  void linearTilesInPlaceEqualGatheringTilesBitForBit() {
    for (int blocks : new int[] {1, 2}) {
      float[] gather = pointwise(VECTOR, blocks, false), linear = pointwise(VECTOR, blocks, true);
      assertTrue(nonZero(gather), "the test computes something");
      assertArrayEquals(gather, linear, "vector kernels, " + blocks + " blocks");
      assertArrayEquals(gather, pointwise(SCALAR, blocks, true), "vector against scalar, " + blocks + " blocks");
    }
  }

  /**
   * A 7x7 map, 49 pixels: three whole 14-pixel tiles and a last one of 7, which the linear kernel
   * computes as an 8-pixel tile (resnet's layer4 and its 7x7 Winograd tile grids end so).
   */
  @Test
  void linearTailTilesOfAtMostEightPixelsEqualGatheringTilesBitForBit() {
    for (int blocks : new int[] {1, 2}) {
      float[] gather = pointwise(VECTOR, blocks, false, 7), linear = pointwise(VECTOR, blocks, true, 7);
      assertTrue(nonZero(Arrays.copyOfRange(gather, 42 * 16, 49 * 16)), "the tail pixels are computed");
      assertArrayEquals(gather, linear, "vector kernels, " + blocks + " blocks");
      assertArrayEquals(gather, pointwise(SCALAR, blocks, true, 7), "vector against scalar, " + blocks + " blocks");
    }
  }

  /**
   * Every activation of the epilogue (applied before the store, or after it as leaky_relu, sigmoid
   * and tanh are), for tiles of one block and of two: vector
   * against scalar bit for bit, linear against gathering.
   */
  @Test
  void everyEpilogueActivationMatchesTheScalarKernels() {
    float[][] acts = {{Kernels.NONE, 0f}, {Kernels.RELU, 0f}, {Kernels.SIGMOID, 0f}, {Kernels.TANH, 0f}, {Kernels.LEAKY_RELU, 0.1f},
        {Kernels.CLIP, 0.25f}, {Kernels.SILU, 0f}, {Kernels.HARDSIGMOID, 0f}, {Kernels.HARDSWISH, 0f}, {Kernels.GELU, 0f}};
    for (float[] a : acts) {
      int act = (int) a[0];
      for (int blocks : new int[] {1, 2}) {
        float[] vector = pointwise(VECTOR, blocks, true, 5, act, a[1]);
        assertTrue(nonZero(vector), "the test computes something");
        assertArrayEquals(pointwise(SCALAR, blocks, true, 5, act, a[1]), vector, "activation " + act + ", " + blocks + " blocks, vector against scalar");
        assertArrayEquals(pointwise(VECTOR, blocks, false, 5, act, a[1]), vector, "activation " + act + ", " + blocks + " blocks, linear against gathering");
      }
    }
    float[] clipped = pointwise(VECTOR, 2, true, 5, Kernels.CLIP, 0.25f), plain = pointwise(VECTOR, 2, true, 5, Kernels.NONE, 0f);
    for (int i = 0; i < 25 * 16; i++) assertEquals(Math.min(Math.max(plain[i], 0f), 0.25f), clipped[i], "clip to [0, 0.25] at " + i);
  }

  /**
   * The epilogues of tiles without a residual: 5x5 (a whole tile and a tail of 11) and 8x8 (four whole
   * tiles and a tail of 8), every activation, vector against scalar bit for bit and linear against
   * gathering.
   */
  @Test
  void epiloguesWithoutResidualMatchTheScalarKernels() {
    float[][] acts = {{Kernels.NONE, 0f}, {Kernels.RELU, 0f}, {Kernels.CLIP, 0.25f}, {Kernels.CLIP, 6f}, {Kernels.LEAKY_RELU, 0.1f}, {Kernels.SIGMOID, 0f}};
    for (float[] a : acts) {
      int act = (int) a[0];
      for (int side : new int[] {5, 8}) {
        for (int blocks : new int[] {1, 2}) {
          String where = "activation " + act + " (" + a[1] + "), " + side + "x" + side + ", " + blocks + " blocks";
          float[] vector = pointwise(VECTOR, blocks, true, side, act, a[1], false);
          assertTrue(nonZero(vector), "the test computes something");
          assertArrayEquals(pointwise(SCALAR, blocks, true, side, act, a[1], false), vector, where + ", vector against scalar");
          assertArrayEquals(pointwise(VECTOR, blocks, false, side, act, a[1], false), vector, where + ", linear against gathering");
          assertFalse(java.util.Arrays.equals(vector, pointwise(VECTOR, blocks, true, side, act, a[1], true)), where + ": the residual is left out");
        }
      }
    }
  }

  @Test
  void smallLinearTilesInPlaceEqualGatheringTilesBitForBit() {
    float[] gather = pointwise(VECTOR, 2, false), small = pointwiseSmall(VECTOR, 2);
    assertTrue(nonZero(small), "the test computes something");
    assertArrayEquals(gather, small, "vector kernels, 8-pixel tiles");
    assertArrayEquals(gather, pointwiseSmall(SCALAR, 2), "scalar kernels, 8-pixel tiles");
    assertThrows(IllegalArgumentException.class, () -> pointwiseSmall(VECTOR, 1), "the small vector kernel has 2-block tiles only");
  }

  /**
   * A stem-like conv, 7x7 stride 2 padding 3 over a plain 3-channel 28x28 image to 2 blocks (14x14):
   * the linear kernel reading rows in place, 2 floats between pixels, against the gathering kernel.
   */
  @Test
  void stepTwoLinearTilesOverAPlainImageEqualGatheringTilesBitForBit() {
    float[] gather = stem(VECTOR, false);
    assertTrue(nonZero(gather), "the test computes something");
    assertArrayEquals(gather, stem(VECTOR, true), "vector kernels");
    assertArrayEquals(gather, stem(SCALAR, true), "vector gathering against scalar linear");
    assertArrayEquals(gather, stem(SCALAR, false), "vector against scalar gathering");
  }

  /** A 3x3 stride-2 conv over a blocked 28x28 input (halo 1) to 14x14: in place, 32 floats between pixels, against gathering. */
  @Test
  void stepThirtyTwoLinearTilesOverABlockedInputEqualGatheringTilesBitForBit() {
    float[] gather = blockedStride2(VECTOR, 2, false);
    assertTrue(nonZero(gather), "the test computes something");
    assertArrayEquals(gather, blockedStride2(VECTOR, 2, true), "vector kernels");
    assertArrayEquals(gather, blockedStride2(SCALAR, 2, true), "vector gathering against scalar linear");
    // and one block a tile, as a grouped conv's single-block groups take it
    float[] single = blockedStride2(VECTOR, 1, false);
    assertTrue(nonZero(single), "the test computes something");
    assertArrayEquals(single, blockedStride2(VECTOR, 1, true), "vector kernels, one block");
    assertArrayEquals(single, blockedStride2(SCALAR, 1, true), "vector gathering against scalar linear, one block");
    assertThrows(IllegalArgumentException.class, () -> VECTOR.convLinearStrided(2, 1, new float[64], 0, new int[1], 0, new float[64], 0, 0,
        new float[64], 0, new int[16], 16, null, 0, null, 0, Kernels.NONE, 0f, 0, 0), "no 1-block tile over a plain input");
  }

  private static float[] blockedStride2(Kernels k, int blocks, boolean linear) {
    Conv c = new Conv(2, 28, 28, 3, 2, 1); // 14x14 output
    int tile = linear ? Kernels.LINEAR_TILE : Kernels.tilePixels(blocks);
    int[] outPix = Tables.pixels(c.oh, c.ow, 1, 1, c.ow * 16, 16, 0, tile);
    int[] kOff = Tables.kOffsets(c.inBlocks, 16, 3, 3, c.plane, 1, c.rowStride, 16);
    float[] out = new float[blocks * c.outPlane];
    if (linear) {
      for (int row = 0; row < c.oh; row++) {
        k.convLinearStrided(32, blocks, c.in, row * 2 * c.rowStride, kOff, row * tile, c.wts, 0, c.bias, out, 0, outPix, c.outPlane,
            null, 0, null, 0, Kernels.RELU, 0f, 0, 1); // touching w[k] ahead changes nothing
      }
    } else {
      int[] inPix = Tables.pixels(c.oh, c.ow, 2, 2, c.rowStride, 16, 0, tile);
      for (int p0 = 0; p0 < inPix.length; p0 += tile) {
        k.convTile(blocks, c.in, 0, inPix, p0, kOff, c.wts, 0, c.bias, out, 0, outPix, c.outPlane, null, 0, null, 0, Kernels.RELU, 0f);
      }
    }
    return out;
  }

  private static float[] stem(Kernels k, boolean linear) {
    int c = 3, h = 28, pad = 3, side = h + 2 * pad, plane = side * side, oh = 14;
    Random rng = new Random(5);
    float[] in = new float[c * plane + 64], wts = new float[c * 49 * 32 + 32], out = new float[2 * oh * oh * 16];
    for (int ch = 0; ch < c; ch++) {
      for (int y = pad; y < pad + h; y++) for (int x = pad; x < pad + h; x++) in[ch * plane + y * side + x] = rng.nextFloat() - 0.5f;
    }
    for (int i = 0; i < wts.length; i++) wts[i] = rng.nextFloat() - 0.5f;
    int bias = c * 49 * 32;
    int[] kOff = Tables.kOffsets(1, c, 7, 7, plane, plane, side, 1);
    int tile = linear ? Kernels.LINEAR_TILE : Kernels.tilePixels(2);
    int[] outPix = Tables.pixels(oh, oh, 1, 1, oh * 16, 16, 0, tile);
    if (linear) {
      for (int row = 0; row < oh; row++) { // one 14-pixel tile per output row, read in place
        k.convLinearStrided(2, 2, in, row * 2 * side, kOff, row * tile, wts, 0, bias, out, 0, outPix, oh * oh * 16, null, 0, null, 0, Kernels.RELU, 0f, 0, 1); // touching w[k] ahead changes nothing
      }
    } else {
      int[] inPix = Tables.pixels(oh, oh, 2, 2, side, 1, 0, tile);
      for (int p0 = 0; p0 < inPix.length; p0 += tile) {
        k.convTile(2, in, 0, inPix, p0, kOff, wts, 0, bias, out, 0, outPix, oh * oh * 16, null, 0, null, 0, Kernels.RELU, 0f);
      }
    }
    return out;
  }

  /**
   * Every output of the strided 3x3 conv (stride 2 over a 9x9 map with a border of 1: 5x5 pixels, the last
   * tile partly past them) against a plain loop in double, the tables built independently of Tables: output
   * (oy, ox) reads rows 2 oy .. 2 oy + 2 and columns 2 ox .. 2 ox + 2 of the bordered input. A sum of 288
   * products of values in [-0.5, 0.5], plus bias and residual, is at most ~80, and float32 keeps ~1e-7 of it
   * per operation: 1e-4 is the bar, where a wrong pixel or weight is off by about 0.1 or more.
   */
  @Test
  void gatheringTileComputesTheConvolution() {
    Conv c = new Conv(2, 9, 9, 3, 2, 1);
    float[] out = strided(SCALAR, 2, false);
    assertEquals(5, c.oh());
    for (int oy = 0; oy < c.oh(); oy++) {
      for (int ox = 0; ox < c.ow(); ox++) {
        for (int o = 0; o < 32; o++) {
          int at = (o / 16) * c.outPlane + (oy * c.ow() + ox) * 16 + o % 16;
          double s = c.wts[c.bias + o] + c.res[at];
          int k = 0;
          for (int b = 0; b < 2; b++) {
            for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) for (int l = 0; l < 16; l++, k++) {
              s += c.in[b * c.plane + (oy * 2 + y) * c.rowStride + (ox * 2 + x) * 16 + l] * (double) c.wts[k * 32 + o];
            }
          }
          assertEquals(Math.max(0, s), out[at], 1e-4, "output channel " + o + " of pixel (" + oy + ", " + ox + ")");
        }
      }
    }
  }

  private static boolean nonZero(float[] a) {
    for (float v : a) if (v != 0) return true;
    return false;
  }

  /** Random input (zero border of {@code halo}), weights for up to 4 output blocks, bias and residual. */
  private record Conv(int inBlocks, int h, int w, int kernel, int halo, int oh, int ow, int rowStride, int plane, int outPlane,
      float[] in, float[] wts, int bias, float[] res) {
    Conv(int inBlocks, int h, int w, int kernel, int stride, int halo) {
      this(inBlocks, h, w, kernel, halo, (h + 2 * halo - kernel) / stride + 1, (w + 2 * halo - kernel) / stride + 1, (w + 2 * halo) * 16,
          (h + 2 * halo) * (w + 2 * halo) * 16, ((h + 2 * halo - kernel) / stride + 1) * ((w + 2 * halo - kernel) / stride + 1) * 16,
          new float[inBlocks * (h + 2 * halo) * (w + 2 * halo) * 16 + Kernels.LINEAR_TILE * 16],
          new float[inBlocks * kernel * kernel * 16 * 64 + 64], inBlocks * kernel * kernel * 16 * 64, new float[4 * 25 * 16 * 4]);
      Random rng = new Random(inBlocks * 31 + kernel);
      for (int b = 0; b < inBlocks; b++) {
        for (int y = halo; y < h + halo; y++) {
          for (int i = halo * 16; i < (w + halo) * 16; i++) in[b * plane + y * rowStride + i] = rng.nextFloat() - 0.5f;
        }
      }
      for (int i = 0; i < wts.length; i++) wts[i] = rng.nextFloat() - 0.5f;
      for (int i = 0; i < res.length; i++) res[i] = rng.nextFloat() - 0.5f;
    }
  }

  /**
   * A 3x3 stride-2 conv with padding 1 from 2 input blocks (9x9, a halo of 1) to {@code blocks}
   * output blocks (5x5), residual and ReLU, over every tile: gathering, or packed then linear.
   */
  private static float[] strided(Kernels k, int blocks, boolean linear) {
    Conv c = new Conv(2, 9, 9, 3, 2, 1);
    int tile = linear ? Kernels.LINEAR_TILE : Kernels.tilePixels(blocks);
    int[] inPix = Tables.pixels(c.oh, c.ow, 2, 2, c.rowStride, 16, 0, tile); // top-left of each window in the haloed input
    int[] outPix = Tables.pixels(c.oh, c.ow, 1, 1, c.ow * 16, 16, 0, tile);
    float[] out = new float[blocks * c.outPlane];
    int[] kOff = Tables.kOffsets(c.inBlocks, 16, 3, 3, c.plane, 1, c.rowStride, 16);
    int[] kbOff = Tables.kOffsets(c.inBlocks, 1, 3, 3, c.plane, 1, c.rowStride, 16);
    int[] panelK = Tables.kOffsets(kbOff.length, 16, 1, 1, tile * 16, 1, 0, 0);
    float[] panel = new float[kOff.length * tile + tile * 16];
    for (int p0 = 0; p0 < inPix.length; p0 += tile) {
      if (linear) {
        k.packBlocks(c.in, 0, inPix, p0, kbOff, panel, 0);
        k.convLinear(blocks, panel, 0, panelK, p0, c.wts, 0, c.bias, out, 0, outPix, c.outPlane, c.res, 0, outPix, c.outPlane, Kernels.RELU, 0f, 0, 1); // touching w[k] ahead changes nothing
      } else {
        k.convTile(blocks, c.in, 0, inPix, p0, kOff, c.wts, 0, c.bias, out, 0, outPix, c.outPlane, c.res, 0, outPix, c.outPlane, Kernels.RELU, 0f);
      }
    }
    return out;
  }

  /** {@link #pointwise} in tiles of {@link Kernels#SMALL_LINEAR_TILE} pixels (8, 8, 8 and a last one of 1), in place. */
  private static float[] pointwiseSmall(Kernels k, int blocks) {
    Conv c = new Conv(3, 5, 5, 1, 1, 0);
    int tile = Kernels.SMALL_LINEAR_TILE;
    int[] pix = Tables.pixels(5, 5, 1, 1, 5 * 16, 16, 0, tile);
    int[] kOff = Tables.kOffsets(c.inBlocks, 16, 1, 1, c.plane, 1, 0, 0);
    float[] out = new float[blocks * c.outPlane];
    for (int p0 = 0; p0 < pix.length; p0 += tile) {
      k.convLinearSmall(blocks, c.in, p0 * 16, kOff, p0, c.wts, 0, c.bias, out, 0, pix, c.outPlane, c.res, 0, pix, c.outPlane, Kernels.RELU, 0f, 0, 1); // touching w[k] ahead changes nothing
    }
    return out;
  }

  /** A 1x1 conv over a halo-free 5x5 input of 3 blocks (25 pixels: one whole tile of 14 and a partial one), in place or gathering. */
  private static float[] pointwise(Kernels k, int blocks, boolean linear) {
    return pointwise(k, blocks, linear, 5);
  }

  /** {@link #pointwise} over a side x side input. */
  private static float[] pointwise(Kernels k, int blocks, boolean linear, int side) {
    return pointwise(k, blocks, linear, side, Kernels.RELU, 0f);
  }

  /** {@link #pointwise} over a side x side input, with activation {@code act} (and its parameter) in the epilogue. */
  /**
   * A residual in the output's own array (MemoryPlanner lets a conv write over the tensor it adds), for
   * tiles of 1, 2 and 4 blocks over 5x5 (a map's last tile repeats its last pixel), a clamp and no
   * activation: the same bits as with the residual apart.
   */
  @Test
  void aResidualInTheOutputsArrayGivesTheSameBits() {
    for (int act : new int[] {Kernels.RELU, Kernels.NONE}) {
      for (int blocks : new int[] {1, 2, 4}) {
        for (boolean linear : blocks == 4 ? new boolean[] {false} : new boolean[] {true, false}) {
          Conv c = new Conv(3, 5, 5, 1, 1, 0);
          int tile = linear ? Kernels.LINEAR_TILE : Kernels.tilePixels(blocks);
          int[] pix = Tables.pixels(5, 5, 1, 1, 5 * 16, 16, 0, tile);
          int[] kOff = Tables.kOffsets(c.inBlocks, 16, 1, 1, c.plane, 1, 0, 0);
          float[] apart = new float[blocks * c.outPlane], aliased = java.util.Arrays.copyOf(c.res, blocks * c.outPlane);
          for (float[] out : new float[][] {apart, aliased}) {
            float[] res = out == apart ? c.res : aliased;
            for (int p0 = 0; p0 < pix.length; p0 += tile) {
              if (linear) {
                VECTOR.convLinear(blocks, c.in, p0 * 16, kOff, p0, c.wts, 0, c.bias, out, 0, pix, c.outPlane, res, 0, pix, c.outPlane, act, 0f, 0, 1);
              } else {
                VECTOR.convTile(blocks, c.in, 0, pix, p0, kOff, c.wts, 0, c.bias, out, 0, pix, c.outPlane, res, 0, pix, c.outPlane, act, 0f);
              }
            }
          }
          assertTrue(nonZero(apart), "the test computes something");
          assertArrayEquals(apart, aliased, "activation " + act + ", " + blocks + " blocks, " + (linear ? "linear" : "gathering"));
        }
      }
    }
  }

  /**
   * A 1x1 conv's linear tiles into a haloed output (a border of 1, as a 3x3 conv's input is stored), with
   * a residual stored otherwise (without a halo, or with a border of 2): vector against scalar, bit for
   * bit. On a 14-wide map each tile is one row, contiguous in the output and in the residual at their
   * own offsets (the vector kernels' linear epilogue); on a 10-wide map tiles cross rows and their
   * halos (the epilogue through the pixel tables).
   */
  @Test
  void haloedOutputsAndOtherwiseStoredResidualsGiveTheScalarBits() {
    for (int side : new int[] {14, 10}) {
      for (int resHalo : new int[] {0, 2}) {
        for (int act : new int[] {Kernels.RELU, Kernels.NONE}) {
          Conv c = new Conv(3, side, side, 1, 1, 0);
          int tile = Kernels.LINEAR_TILE, blocks = 2;
          int[] inPix = Tables.pixels(side, side, 1, 1, side * 16, 16, 0, tile);
          int outRow = (side + 2) * 16, obs = (side + 2) * outRow, resRow = (side + 2 * resHalo) * 16, rbs = (side + 2 * resHalo) * resRow;
          int[] outPix = Tables.pixels(side, side, 1, 1, outRow, 16, outRow + 16, tile);
          int[] resPix = Tables.pixels(side, side, 1, 1, resRow, 16, resHalo * (resRow + 16), tile);
          int[] kOff = Tables.kOffsets(c.inBlocks, 16, 1, 1, c.plane, 1, 0, 0);
          float[] res = new float[blocks * rbs];
          Random rng = new Random(side * 7 + resHalo);
          for (int i = 0; i < res.length; i++) res[i] = rng.nextFloat() - 0.5f;
          float[][] outs = new float[2][blocks * obs];
          for (int which = 0; which < 2; which++) {
            Kernels k = which == 0 ? VECTOR : SCALAR;
            for (int p0 = 0; p0 < inPix.length; p0 += tile) {
              k.convLinear(blocks, c.in, inPix[p0], kOff, p0, c.wts, 0, c.bias, outs[which], 0, outPix, obs, res, 0, resPix, rbs, act, 0f, 0, 1);
            }
          }
          String what = side + "x" + side + ", residual halo " + resHalo + ", activation " + act;
          assertTrue(nonZero(outs[0]), "the test computes something: " + what);
          assertEquals(0f, outs[0][0], "the halo stays unwritten: " + what);
          assertArrayEquals(outs[1], outs[0], what);
        }
      }
    }
  }

  private static float[] pointwise(Kernels k, int blocks, boolean linear, int side, int act, float slope) {
    return pointwise(k, blocks, linear, side, act, slope, true);
  }

  /** {@link #pointwise}, with or without the residual. */
  private static float[] pointwise(Kernels k, int blocks, boolean linear, int side, int act, float slope, boolean residual) {
    Conv c = new Conv(3, side, side, 1, 1, 0);
    float[] res = residual ? c.res : null;
    int tile = linear ? Kernels.LINEAR_TILE : Kernels.tilePixels(blocks);
    int[] pix = Tables.pixels(side, side, 1, 1, side * 16, 16, 0, tile);
    int[] kOff = Tables.kOffsets(c.inBlocks, 16, 1, 1, c.plane, 1, 0, 0);
    float[] out = new float[blocks * c.outPlane];
    for (int p0 = 0; p0 < pix.length; p0 += tile) {
      if (linear) {
        k.convLinear(blocks, c.in, p0 * 16, kOff, p0, c.wts, 0, c.bias, out, 0, pix, c.outPlane, res, 0, pix, c.outPlane, act, slope, 0, 1); // touching w[k] ahead changes nothing
      } else {
        k.convTile(blocks, c.in, 0, pix, p0, kOff, c.wts, 0, c.bias, out, 0, pix, c.outPlane, res, 0, pix, c.outPlane, act, slope);
      }
    }
    return out;
  }
}
