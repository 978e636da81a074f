package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The packed conv tile (panel gathered first) against the gathering one, and the vector kernels
 * against the scalar ones: the same products in the same order, so equal to the last bit, for every
 * tile shape, with a residual, a strided 3x3 window and an activation in the epilogue.
 */
class ConvTileTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  @Test
  void packedTilesEqualGatheringTilesBitForBit() {
    for (int blocks : new int[] {1, 2, 4}) {
      float[] gather = run(VECTOR, blocks, false), packed = run(VECTOR, blocks, true);
      assertTrue(nonZero(gather), "the test computes something");
      assertArrayEquals(gather, packed, "vector kernels, " + blocks + " blocks");
      assertArrayEquals(run(SCALAR, blocks, false), run(SCALAR, blocks, true), "scalar kernels, " + blocks + " blocks");
      assertArrayEquals(gather, run(SCALAR, blocks, true), "vector against scalar, " + blocks + " blocks");
    }
  }

  private static boolean nonZero(float[] a) {
    for (float v : a) if (v != 0) return true;
    return false;
  }

  /**
   * A 3x3 stride-2 conv with padding 1 from 2 input blocks (9x9, a halo of 1) to {@code blocks}
   * output blocks (5x5), residual and ReLU, over every tile.
   */
  private static float[] run(Kernels k, int blocks, boolean packed) {
    int inBlocks = 2, h = 9, w = 9, rowStride = (w + 2) * 16, plane = (h + 2) * rowStride;
    int oh = 5, ow = 5, tile = Kernels.tilePixels(blocks), outPlane = oh * ow * 16;
    Random rng = new Random(blocks);
    float[] in = new float[inBlocks * plane];
    for (int b = 0; b < inBlocks; b++) {
      for (int y = 1; y <= h; y++) for (int i = 16; i < (w + 1) * 16; i++) in[b * plane + y * rowStride + i] = rng.nextFloat() - 0.5f;
    }
    int[] kOff = Tables.kOffsets(inBlocks, 16, 3, 3, plane, 1, rowStride, 16);
    int[] inPix = Tables.pixels(oh, ow, 2, 2, rowStride, 16, 0, tile); // top-left of each window in the haloed input
    int[] outPix = Tables.pixels(oh, ow, 1, 1, ow * 16, 16, 0, tile);
    float[] wts = new float[kOff.length * 16 * blocks + 16 * blocks];
    for (int i = 0; i < wts.length; i++) wts[i] = rng.nextFloat() - 0.5f;
    float[] res = new float[blocks * outPlane];
    for (int i = 0; i < res.length; i++) res[i] = rng.nextFloat() - 0.5f;
    float[] out = new float[blocks * outPlane];
    float[] panel = new float[kOff.length * tile];
    int bias = kOff.length * 16 * blocks;
    for (int p0 = 0; p0 < inPix.length; p0 += tile) {
      if (packed) {
        k.packBlockedPanel(in, 0, inPix, p0, kOff, tile, panel, 0);
        k.convTilePacked(blocks, panel, 0, kOff.length, p0, wts, 0, bias, out, 0, outPix, outPlane, res, 0, outPix, outPlane, Kernels.RELU, 0f);
      } else {
        k.convTile(blocks, in, 0, inPix, p0, kOff, wts, 0, bias, out, 0, outPix, outPlane, res, 0, outPix, outPlane, Kernels.RELU, 0f);
      }
    }
    return out;
  }
}
