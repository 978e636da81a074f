package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API. A conv tile keeps its accumulators in registers (14 pixels x 2 blocks
 * or 14 x 1 in the linear kernel; 6 x 4, 7 x 2 or 7 x 1 in the gathering one) over one flat loop of k steps: per step the tile's weight vectors, one
 * broadcast input per pixel, and an FMA for each accumulator. Two rules keep C2 from boxing vectors
 * into heap objects (each measured 20x slower): vectors live across one loop only, never a nest,
 * and never cross a call that might not be inlined; so tiles land their accumulators in a small
 * per-thread array and the epilogue reads them back from there.
 *
 * <p>The linear tiles are written out once per tile size and per distance between their pixels
 * (16 floats, or 2 and 32 for stride-2 convs read in place), each with constant offsets: C2 folds
 * the bounds checks of a tile's loads at constant offsets from one index into two (seen in the
 * disassembly of linear14x2), which it cannot do for offsets computed from a parameter.
 */
final class VectorKernels extends Kernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

  @Override
  public boolean vectorized() {
    return true;
  }

  /**
   * Per-thread landing area for a tile's accumulators (14 pixels x 2 blocks or 7 x 4, x 16 floats),
   * then one float for the words a linear tile touched ahead ({@link Kernels#convLinear}).
   */
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[LINEAR_TILE * 2 * 16 + 1]);

  private static final int TOUCHED = LINEAR_TILE * 2 * 16;

  @Override
  public void convTile(int blocks, float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase,
      int biasOff, float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope) {
    float[] acc = SCRATCH.get();
    if (blocks == 4) tile6x4(in, inBase, inPix, p0, kOff, w, wBase, acc);
    else if (blocks == 2) tile7x2(in, inBase, inPix, p0, kOff, w, wBase, acc);
    else tile7x1(in, inBase, inPix, p0, kOff, w, wBase, acc);
    epilogue(acc, blocks, tilePixels(blocks), p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void convLinear(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    // a map's last tile with at most 8 pixels (the rest repeat its last): 8 slots computed, not 14
    if (blocks == 2 && outPix[p0 + SMALL_LINEAR_TILE] == outPix[p0 + SMALL_LINEAR_TILE - 1]) {
      convLinearSmall(blocks, x, xBase, kOff, p0, w, wBase, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix,
          resBlockStride, act, slope, next, nextStep);
      return;
    }
    float[] acc = SCRATCH.get();
    if (blocks == 2) linear14x2(x, xBase, kOff, w, wBase, acc, next, nextStep);
    else linear14x1(x, xBase, kOff, w, wBase, acc);
    epilogue(acc, blocks, LINEAR_TILE, p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void convLinearStrided(int step, int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    if (blocks != 2 || !stridedStep(step)) throw new IllegalArgumentException("no strided linear kernel for " + blocks + " blocks, step " + step);
    float[] acc = SCRATCH.get();
    if (step == 2) linear14x2step2(x, xBase, kOff, w, wBase, acc, next, nextStep);
    else linear14x2step32(x, xBase, kOff, w, wBase, acc, next, nextStep);
    epilogue(acc, blocks, LINEAR_TILE, p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void convLinearSmall(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    if (blocks != 2) throw new IllegalArgumentException("no small linear kernel for " + blocks + " blocks");
    float[] acc = SCRATCH.get();
    linear8x2(x, xBase, kOff, w, wBase, acc, next, nextStep);
    epilogue(acc, blocks, SMALL_LINEAR_TILE, p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void packBlocks(float[] in, int inBase, int[] inPix, int p0, int[] kbOff, float[] panel, int panelBase) {
    for (int kb = 0; kb < kbOff.length; kb++) {
      int from = inBase + kbOff[kb], to = panelBase + kb * LINEAR_TILE * 16;
      for (int t = 0; t < LINEAR_TILE; t++) FloatVector.fromArray(S, in, from + inPix[p0 + t]).intoArray(panel, to + t * 16);
    }
  }

  /**
   * Bias, residual, activation and store for each pixel of a tile, from the accumulators in
   * {@code acc} ([pixel][block][16]). A pixel's residual is read just before its own output is
   * written, so out may alias res; the repeated tail pixel (same offset as the one before) is not
   * stored twice, which would read a residual already overwritten.
   */
  private static void epilogue(float[] acc, int blocks, int pixels, int p0, float[] w, int biasOff, float[] out, int outBase,
      int[] outPix, int obs, float[] res, int resBase, int[] resPix, int rbs, int act, float slope) {
    for (int t = 0; t < pixels; t++) {
      int o = outPix[p0 + t];
      if (t > 0 && o == outPix[p0 + t - 1]) break;
      for (int b = 0; b < blocks; b++) {
        FloatVector v = FloatVector.fromArray(S, acc, (t * blocks + b) * 16).add(FloatVector.fromArray(S, w, biasOff + b * 16));
        if (res != null) v = v.add(FloatVector.fromArray(S, res, resBase + resPix[p0 + t] + b * rbs));
        if (act == RELU) v = v.max(0f);
        v.intoArray(out, outBase + o + b * obs);
        if (act > RELU) activateInPlace(out, outBase + o + b * obs, act, slope);
      }
    }
  }

  private static void tile6x4(float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, float[] acc) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    int i0 = inBase + inPix[p0], i1 = inBase + inPix[p0 + 1], i2 = inBase + inPix[p0 + 2];
    int i3 = inBase + inPix[p0 + 3], i4 = inBase + inPix[p0 + 4], i5 = inBase + inPix[p0 + 5];
    int wi = wBase;
    for (int k = 0; k < kOff.length; k++, wi += 64) {
      int a = kOff[k];
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector w2 = FloatVector.fromArray(S, w, wi + 32), w3 = FloatVector.fromArray(S, w, wi + 48);
      FloatVector x;
      x = FloatVector.broadcast(S, in[i0 + a]); c00 = x.fma(w0, c00); c01 = x.fma(w1, c01); c02 = x.fma(w2, c02); c03 = x.fma(w3, c03);
      x = FloatVector.broadcast(S, in[i1 + a]); c10 = x.fma(w0, c10); c11 = x.fma(w1, c11); c12 = x.fma(w2, c12); c13 = x.fma(w3, c13);
      x = FloatVector.broadcast(S, in[i2 + a]); c20 = x.fma(w0, c20); c21 = x.fma(w1, c21); c22 = x.fma(w2, c22); c23 = x.fma(w3, c23);
      x = FloatVector.broadcast(S, in[i3 + a]); c30 = x.fma(w0, c30); c31 = x.fma(w1, c31); c32 = x.fma(w2, c32); c33 = x.fma(w3, c33);
      x = FloatVector.broadcast(S, in[i4 + a]); c40 = x.fma(w0, c40); c41 = x.fma(w1, c41); c42 = x.fma(w2, c42); c43 = x.fma(w3, c43);
      x = FloatVector.broadcast(S, in[i5 + a]); c50 = x.fma(w0, c50); c51 = x.fma(w1, c51); c52 = x.fma(w2, c52); c53 = x.fma(w3, c53);
    }
    c00.intoArray(acc, 0); c01.intoArray(acc, 16); c02.intoArray(acc, 32); c03.intoArray(acc, 48);
    c10.intoArray(acc, 64); c11.intoArray(acc, 80); c12.intoArray(acc, 96); c13.intoArray(acc, 112);
    c20.intoArray(acc, 128); c21.intoArray(acc, 144); c22.intoArray(acc, 160); c23.intoArray(acc, 176);
    c30.intoArray(acc, 192); c31.intoArray(acc, 208); c32.intoArray(acc, 224); c33.intoArray(acc, 240);
    c40.intoArray(acc, 256); c41.intoArray(acc, 272); c42.intoArray(acc, 288); c43.intoArray(acc, 304);
    c50.intoArray(acc, 320); c51.intoArray(acc, 336); c52.intoArray(acc, 352); c53.intoArray(acc, 368);
  }

  private static void tile7x2(float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, float[] acc) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
    int i0 = inBase + inPix[p0], i1 = inBase + inPix[p0 + 1], i2 = inBase + inPix[p0 + 2], i3 = inBase + inPix[p0 + 3];
    int i4 = inBase + inPix[p0 + 4], i5 = inBase + inPix[p0 + 5], i6 = inBase + inPix[p0 + 6];
    int wi = wBase;
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int a = kOff[k];
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector x;
      x = FloatVector.broadcast(S, in[i0 + a]); c00 = x.fma(w0, c00); c01 = x.fma(w1, c01);
      x = FloatVector.broadcast(S, in[i1 + a]); c10 = x.fma(w0, c10); c11 = x.fma(w1, c11);
      x = FloatVector.broadcast(S, in[i2 + a]); c20 = x.fma(w0, c20); c21 = x.fma(w1, c21);
      x = FloatVector.broadcast(S, in[i3 + a]); c30 = x.fma(w0, c30); c31 = x.fma(w1, c31);
      x = FloatVector.broadcast(S, in[i4 + a]); c40 = x.fma(w0, c40); c41 = x.fma(w1, c41);
      x = FloatVector.broadcast(S, in[i5 + a]); c50 = x.fma(w0, c50); c51 = x.fma(w1, c51);
      x = FloatVector.broadcast(S, in[i6 + a]); c60 = x.fma(w0, c60); c61 = x.fma(w1, c61);
    }
    c00.intoArray(acc, 0); c01.intoArray(acc, 16); c10.intoArray(acc, 32); c11.intoArray(acc, 48);
    c20.intoArray(acc, 64); c21.intoArray(acc, 80); c30.intoArray(acc, 96); c31.intoArray(acc, 112);
    c40.intoArray(acc, 128); c41.intoArray(acc, 144); c50.intoArray(acc, 160); c51.intoArray(acc, 176);
    c60.intoArray(acc, 192); c61.intoArray(acc, 208);
  }

  private static void tile7x1(float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, float[] acc) {
    FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
    int i0 = inBase + inPix[p0], i1 = inBase + inPix[p0 + 1], i2 = inBase + inPix[p0 + 2], i3 = inBase + inPix[p0 + 3];
    int i4 = inBase + inPix[p0 + 4], i5 = inBase + inPix[p0 + 5], i6 = inBase + inPix[p0 + 6];
    int wi = wBase;
    for (int k = 0; k < kOff.length; k++, wi += 16) {
      int a = kOff[k];
      FloatVector w0 = FloatVector.fromArray(S, w, wi);
      c0 = FloatVector.broadcast(S, in[i0 + a]).fma(w0, c0);
      c1 = FloatVector.broadcast(S, in[i1 + a]).fma(w0, c1);
      c2 = FloatVector.broadcast(S, in[i2 + a]).fma(w0, c2);
      c3 = FloatVector.broadcast(S, in[i3 + a]).fma(w0, c3);
      c4 = FloatVector.broadcast(S, in[i4 + a]).fma(w0, c4);
      c5 = FloatVector.broadcast(S, in[i5 + a]).fma(w0, c5);
      c6 = FloatVector.broadcast(S, in[i6 + a]).fma(w0, c6);
    }
    c0.intoArray(acc, 0); c1.intoArray(acc, 16); c2.intoArray(acc, 32); c3.intoArray(acc, 48);
    c4.intoArray(acc, 64); c5.intoArray(acc, 80); c6.intoArray(acc, 96);
  }

  /** Accumulator c{pixel}{block}: pixels 00 to 13 at a stride of 16 floats from each k step's input offset. */
  private static void linear14x2(float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc, int next, int nextStep) {
    FloatVector c000 = FloatVector.zero(S), c001 = c000, c010 = c000, c011 = c000, c020 = c000, c021 = c000, c030 = c000, c031 = c000;
    FloatVector c040 = c000, c041 = c000, c050 = c000, c051 = c000, c060 = c000, c061 = c000, c070 = c000, c071 = c000;
    FloatVector c080 = c000, c081 = c000, c090 = c000, c091 = c000, c100 = c000, c101 = c000, c110 = c000, c111 = c000;
    FloatVector c120 = c000, c121 = c000, c130 = c000, c131 = c000;
    int wi = wBase, touched = 0;
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int a = xBase + kOff[k];
      touched ^= Float.floatToRawIntBits(w[next + k * nextStep]);
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector v;
      v = FloatVector.broadcast(S, x[a]); c000 = v.fma(w0, c000); c001 = v.fma(w1, c001);
      v = FloatVector.broadcast(S, x[a + 16]); c010 = v.fma(w0, c010); c011 = v.fma(w1, c011);
      v = FloatVector.broadcast(S, x[a + 32]); c020 = v.fma(w0, c020); c021 = v.fma(w1, c021);
      v = FloatVector.broadcast(S, x[a + 48]); c030 = v.fma(w0, c030); c031 = v.fma(w1, c031);
      v = FloatVector.broadcast(S, x[a + 64]); c040 = v.fma(w0, c040); c041 = v.fma(w1, c041);
      v = FloatVector.broadcast(S, x[a + 80]); c050 = v.fma(w0, c050); c051 = v.fma(w1, c051);
      v = FloatVector.broadcast(S, x[a + 96]); c060 = v.fma(w0, c060); c061 = v.fma(w1, c061);
      v = FloatVector.broadcast(S, x[a + 112]); c070 = v.fma(w0, c070); c071 = v.fma(w1, c071);
      v = FloatVector.broadcast(S, x[a + 128]); c080 = v.fma(w0, c080); c081 = v.fma(w1, c081);
      v = FloatVector.broadcast(S, x[a + 144]); c090 = v.fma(w0, c090); c091 = v.fma(w1, c091);
      v = FloatVector.broadcast(S, x[a + 160]); c100 = v.fma(w0, c100); c101 = v.fma(w1, c101);
      v = FloatVector.broadcast(S, x[a + 176]); c110 = v.fma(w0, c110); c111 = v.fma(w1, c111);
      v = FloatVector.broadcast(S, x[a + 192]); c120 = v.fma(w0, c120); c121 = v.fma(w1, c121);
      v = FloatVector.broadcast(S, x[a + 208]); c130 = v.fma(w0, c130); c131 = v.fma(w1, c131);
    }
    acc[TOUCHED] = Float.intBitsToFloat(touched); // a use, so the JIT keeps the touching loads
    c000.intoArray(acc, 0); c001.intoArray(acc, 16); c010.intoArray(acc, 32); c011.intoArray(acc, 48);
    c020.intoArray(acc, 64); c021.intoArray(acc, 80); c030.intoArray(acc, 96); c031.intoArray(acc, 112);
    c040.intoArray(acc, 128); c041.intoArray(acc, 144); c050.intoArray(acc, 160); c051.intoArray(acc, 176);
    c060.intoArray(acc, 192); c061.intoArray(acc, 208); c070.intoArray(acc, 224); c071.intoArray(acc, 240);
    c080.intoArray(acc, 256); c081.intoArray(acc, 272); c090.intoArray(acc, 288); c091.intoArray(acc, 304);
    c100.intoArray(acc, 320); c101.intoArray(acc, 336); c110.intoArray(acc, 352); c111.intoArray(acc, 368);
    c120.intoArray(acc, 384); c121.intoArray(acc, 400); c130.intoArray(acc, 416); c131.intoArray(acc, 432);
  }

  private static void linear14x1(float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00, c06 = c00, c07 = c00;
    FloatVector c08 = c00, c09 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    int wi = wBase;
    for (int k = 0; k < kOff.length; k++, wi += 16) {
      int a = xBase + kOff[k];
      FloatVector w0 = FloatVector.fromArray(S, w, wi);
      c00 = FloatVector.broadcast(S, x[a]).fma(w0, c00);
      c01 = FloatVector.broadcast(S, x[a + 16]).fma(w0, c01);
      c02 = FloatVector.broadcast(S, x[a + 32]).fma(w0, c02);
      c03 = FloatVector.broadcast(S, x[a + 48]).fma(w0, c03);
      c04 = FloatVector.broadcast(S, x[a + 64]).fma(w0, c04);
      c05 = FloatVector.broadcast(S, x[a + 80]).fma(w0, c05);
      c06 = FloatVector.broadcast(S, x[a + 96]).fma(w0, c06);
      c07 = FloatVector.broadcast(S, x[a + 112]).fma(w0, c07);
      c08 = FloatVector.broadcast(S, x[a + 128]).fma(w0, c08);
      c09 = FloatVector.broadcast(S, x[a + 144]).fma(w0, c09);
      c10 = FloatVector.broadcast(S, x[a + 160]).fma(w0, c10);
      c11 = FloatVector.broadcast(S, x[a + 176]).fma(w0, c11);
      c12 = FloatVector.broadcast(S, x[a + 192]).fma(w0, c12);
      c13 = FloatVector.broadcast(S, x[a + 208]).fma(w0, c13);
    }
    c00.intoArray(acc, 0); c01.intoArray(acc, 16); c02.intoArray(acc, 32); c03.intoArray(acc, 48);
    c04.intoArray(acc, 64); c05.intoArray(acc, 80); c06.intoArray(acc, 96); c07.intoArray(acc, 112);
    c08.intoArray(acc, 128); c09.intoArray(acc, 144); c10.intoArray(acc, 160); c11.intoArray(acc, 176);
    c12.intoArray(acc, 192); c13.intoArray(acc, 208);
  }

  /** As linear14x2 with the pixels 2 floats apart (a stride-2 conv over a plain input). */
  private static void linear14x2step2(float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc, int next, int nextStep) {
    FloatVector c000 = FloatVector.zero(S), c001 = c000, c010 = c000, c011 = c000, c020 = c000, c021 = c000, c030 = c000, c031 = c000;
    FloatVector c040 = c000, c041 = c000, c050 = c000, c051 = c000, c060 = c000, c061 = c000, c070 = c000, c071 = c000;
    FloatVector c080 = c000, c081 = c000, c090 = c000, c091 = c000, c100 = c000, c101 = c000, c110 = c000, c111 = c000;
    FloatVector c120 = c000, c121 = c000, c130 = c000, c131 = c000;
    int wi = wBase, touched = 0;
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int a = xBase + kOff[k];
      touched ^= Float.floatToRawIntBits(w[next + k * nextStep]);
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector v;
      v = FloatVector.broadcast(S, x[a]); c000 = v.fma(w0, c000); c001 = v.fma(w1, c001);
      v = FloatVector.broadcast(S, x[a + 2]); c010 = v.fma(w0, c010); c011 = v.fma(w1, c011);
      v = FloatVector.broadcast(S, x[a + 4]); c020 = v.fma(w0, c020); c021 = v.fma(w1, c021);
      v = FloatVector.broadcast(S, x[a + 6]); c030 = v.fma(w0, c030); c031 = v.fma(w1, c031);
      v = FloatVector.broadcast(S, x[a + 8]); c040 = v.fma(w0, c040); c041 = v.fma(w1, c041);
      v = FloatVector.broadcast(S, x[a + 10]); c050 = v.fma(w0, c050); c051 = v.fma(w1, c051);
      v = FloatVector.broadcast(S, x[a + 12]); c060 = v.fma(w0, c060); c061 = v.fma(w1, c061);
      v = FloatVector.broadcast(S, x[a + 14]); c070 = v.fma(w0, c070); c071 = v.fma(w1, c071);
      v = FloatVector.broadcast(S, x[a + 16]); c080 = v.fma(w0, c080); c081 = v.fma(w1, c081);
      v = FloatVector.broadcast(S, x[a + 18]); c090 = v.fma(w0, c090); c091 = v.fma(w1, c091);
      v = FloatVector.broadcast(S, x[a + 20]); c100 = v.fma(w0, c100); c101 = v.fma(w1, c101);
      v = FloatVector.broadcast(S, x[a + 22]); c110 = v.fma(w0, c110); c111 = v.fma(w1, c111);
      v = FloatVector.broadcast(S, x[a + 24]); c120 = v.fma(w0, c120); c121 = v.fma(w1, c121);
      v = FloatVector.broadcast(S, x[a + 26]); c130 = v.fma(w0, c130); c131 = v.fma(w1, c131);
    }
    acc[TOUCHED] = Float.intBitsToFloat(touched); // a use, so the JIT keeps the touching loads
    c000.intoArray(acc, 0); c001.intoArray(acc, 16); c010.intoArray(acc, 32); c011.intoArray(acc, 48);
    c020.intoArray(acc, 64); c021.intoArray(acc, 80); c030.intoArray(acc, 96); c031.intoArray(acc, 112);
    c040.intoArray(acc, 128); c041.intoArray(acc, 144); c050.intoArray(acc, 160); c051.intoArray(acc, 176);
    c060.intoArray(acc, 192); c061.intoArray(acc, 208); c070.intoArray(acc, 224); c071.intoArray(acc, 240);
    c080.intoArray(acc, 256); c081.intoArray(acc, 272); c090.intoArray(acc, 288); c091.intoArray(acc, 304);
    c100.intoArray(acc, 320); c101.intoArray(acc, 336); c110.intoArray(acc, 352); c111.intoArray(acc, 368);
    c120.intoArray(acc, 384); c121.intoArray(acc, 400); c130.intoArray(acc, 416); c131.intoArray(acc, 432);
  }

  /** As linear14x2 with the pixels 32 floats apart (a stride-2 conv over a blocked input). */
  private static void linear14x2step32(float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc, int next, int nextStep) {
    FloatVector c000 = FloatVector.zero(S), c001 = c000, c010 = c000, c011 = c000, c020 = c000, c021 = c000, c030 = c000, c031 = c000;
    FloatVector c040 = c000, c041 = c000, c050 = c000, c051 = c000, c060 = c000, c061 = c000, c070 = c000, c071 = c000;
    FloatVector c080 = c000, c081 = c000, c090 = c000, c091 = c000, c100 = c000, c101 = c000, c110 = c000, c111 = c000;
    FloatVector c120 = c000, c121 = c000, c130 = c000, c131 = c000;
    int wi = wBase, touched = 0;
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int a = xBase + kOff[k];
      touched ^= Float.floatToRawIntBits(w[next + k * nextStep]);
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector v;
      v = FloatVector.broadcast(S, x[a]); c000 = v.fma(w0, c000); c001 = v.fma(w1, c001);
      v = FloatVector.broadcast(S, x[a + 32]); c010 = v.fma(w0, c010); c011 = v.fma(w1, c011);
      v = FloatVector.broadcast(S, x[a + 64]); c020 = v.fma(w0, c020); c021 = v.fma(w1, c021);
      v = FloatVector.broadcast(S, x[a + 96]); c030 = v.fma(w0, c030); c031 = v.fma(w1, c031);
      v = FloatVector.broadcast(S, x[a + 128]); c040 = v.fma(w0, c040); c041 = v.fma(w1, c041);
      v = FloatVector.broadcast(S, x[a + 160]); c050 = v.fma(w0, c050); c051 = v.fma(w1, c051);
      v = FloatVector.broadcast(S, x[a + 192]); c060 = v.fma(w0, c060); c061 = v.fma(w1, c061);
      v = FloatVector.broadcast(S, x[a + 224]); c070 = v.fma(w0, c070); c071 = v.fma(w1, c071);
      v = FloatVector.broadcast(S, x[a + 256]); c080 = v.fma(w0, c080); c081 = v.fma(w1, c081);
      v = FloatVector.broadcast(S, x[a + 288]); c090 = v.fma(w0, c090); c091 = v.fma(w1, c091);
      v = FloatVector.broadcast(S, x[a + 320]); c100 = v.fma(w0, c100); c101 = v.fma(w1, c101);
      v = FloatVector.broadcast(S, x[a + 352]); c110 = v.fma(w0, c110); c111 = v.fma(w1, c111);
      v = FloatVector.broadcast(S, x[a + 384]); c120 = v.fma(w0, c120); c121 = v.fma(w1, c121);
      v = FloatVector.broadcast(S, x[a + 416]); c130 = v.fma(w0, c130); c131 = v.fma(w1, c131);
    }
    acc[TOUCHED] = Float.intBitsToFloat(touched); // a use, so the JIT keeps the touching loads
    c000.intoArray(acc, 0); c001.intoArray(acc, 16); c010.intoArray(acc, 32); c011.intoArray(acc, 48);
    c020.intoArray(acc, 64); c021.intoArray(acc, 80); c030.intoArray(acc, 96); c031.intoArray(acc, 112);
    c040.intoArray(acc, 128); c041.intoArray(acc, 144); c050.intoArray(acc, 160); c051.intoArray(acc, 176);
    c060.intoArray(acc, 192); c061.intoArray(acc, 208); c070.intoArray(acc, 224); c071.intoArray(acc, 240);
    c080.intoArray(acc, 256); c081.intoArray(acc, 272); c090.intoArray(acc, 288); c091.intoArray(acc, 304);
    c100.intoArray(acc, 320); c101.intoArray(acc, 336); c110.intoArray(acc, 352); c111.intoArray(acc, 368);
    c120.intoArray(acc, 384); c121.intoArray(acc, 400); c130.intoArray(acc, 416); c131.intoArray(acc, 432);
  }

  /** Accumulator c{pixel}{block}: pixels 0 to 7 at a stride of 16 floats from each k step's input offset. */
  private static void linear8x2(float[] x, int xBase, int[] kOff, float[] w, int wBase, float[] acc, int next, int nextStep) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    int wi = wBase, touched = 0;
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int a = xBase + kOff[k];
      touched ^= Float.floatToRawIntBits(w[next + k * nextStep]);
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector v;
      v = FloatVector.broadcast(S, x[a]); c00 = v.fma(w0, c00); c01 = v.fma(w1, c01);
      v = FloatVector.broadcast(S, x[a + 16]); c10 = v.fma(w0, c10); c11 = v.fma(w1, c11);
      v = FloatVector.broadcast(S, x[a + 32]); c20 = v.fma(w0, c20); c21 = v.fma(w1, c21);
      v = FloatVector.broadcast(S, x[a + 48]); c30 = v.fma(w0, c30); c31 = v.fma(w1, c31);
      v = FloatVector.broadcast(S, x[a + 64]); c40 = v.fma(w0, c40); c41 = v.fma(w1, c41);
      v = FloatVector.broadcast(S, x[a + 80]); c50 = v.fma(w0, c50); c51 = v.fma(w1, c51);
      v = FloatVector.broadcast(S, x[a + 96]); c60 = v.fma(w0, c60); c61 = v.fma(w1, c61);
      v = FloatVector.broadcast(S, x[a + 112]); c70 = v.fma(w0, c70); c71 = v.fma(w1, c71);
    }
    acc[TOUCHED] = Float.intBitsToFloat(touched); // a use, so the JIT keeps the touching loads
    c00.intoArray(acc, 0); c01.intoArray(acc, 16); c10.intoArray(acc, 32); c11.intoArray(acc, 48);
    c20.intoArray(acc, 64); c21.intoArray(acc, 80); c30.intoArray(acc, 96); c31.intoArray(acc, 112);
    c40.intoArray(acc, 128); c41.intoArray(acc, 144); c50.intoArray(acc, 160); c51.intoArray(acc, 176);
    c60.intoArray(acc, 192); c61.intoArray(acc, 208); c70.intoArray(acc, 224); c71.intoArray(acc, 240);
  }

  private static void activateInPlace(float[] a, int off, int act, float slope) {
    FloatVector v = FloatVector.fromArray(S, a, off);
    switch (act) {
      // sigmoid and tanh use StrictMath, scalar: the EXP/TANH intrinsics and the Vector API's Java
      // fallback differ in the last bit, so a result would depend on how warm the JIT is
      case SIGMOID, TANH -> {
        for (int j = 0; j < 16; j++) a[off + j] = ScalarKernels.apply(a[off + j], act, slope);
        return;
      }
      case LEAKY_RELU -> v = v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f));
      default -> v = v.max(0f);
    }
    v.intoArray(a, off);
  }


  @Override
  public void fc(float[] in, int inBase, int inPadded, float[] w, int wBase, int biasOff, float[] out, int outBase,
      int act, float slope, int from, int to) {
    for (int o = from; o < to; o++) {
      int row = wBase + o * inPadded;
      FloatVector acc = FloatVector.zero(S);
      for (int i = 0; i < inPadded; i += 16) {
        acc = FloatVector.fromArray(S, in, inBase + i).fma(FloatVector.fromArray(S, w, row + i), acc);
      }
      // reduceLanes' order is unspecified (the intrinsic and the Java fallback differ), so the lanes
      // are summed here in a fixed order: the result must not depend on the JIT tier
      float[] lanes = SCRATCH.get();
      acc.intoArray(lanes, 0);
      float v = ScalarKernels.sumLanes(lanes) + (biasOff < 0 ? 0 : w[biasOff + o]);
      out[outBase + o] = ScalarKernels.apply(v, act, slope);
    }
  }

  @Override
  public void activate(float[] a, int base, int n, int act, float slope, float[] out, int outBase) {
    for (int i = 0; i < n; i += 16) {
      FloatVector v = FloatVector.fromArray(S, a, base + i);
      if (act == RELU) v = v.max(0f);
      v.intoArray(out, outBase + i);
      if (act > RELU) activateInPlace(out, outBase + i, act, slope);
    }
  }

  @Override
  public void add(float[] x, int xBase, float[] y, int yBase, float[] out, int outBase, int n) {
    for (int i = 0; i < n; i += 16) {
      FloatVector.fromArray(S, x, xBase + i).add(FloatVector.fromArray(S, y, yBase + i)).intoArray(out, outBase + i);
    }
  }

  @Override
  public void affineRow(float[] x, int xBase, float[] w, int scaleOff, int shiftOff, float[] out, int outBase, int pixels) {
    FloatVector scale = FloatVector.fromArray(S, w, scaleOff), shift = FloatVector.fromArray(S, w, shiftOff);
    for (int p = 0; p < pixels; p++) {
      FloatVector.fromArray(S, x, xBase + p * 16).fma(scale, shift).intoArray(out, outBase + p * 16);
    }
  }

  @Override
  public void poolRow(boolean max, float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw) {
    int y0 = Math.max(0, oy * sh - ph), y1 = Math.min(inH, oy * sh - ph + kh);
    float inv = 1f / (kh * kw);
    for (int ox = 0; ox < outW; ox++) {
      int x0 = Math.max(0, ox * sw - pw), x1 = Math.min(inW, ox * sw - pw + kw);
      // one flat loop over the clipped window keeps the accumulator in a register; the offset steps
      // along a row and jumps to the next at its end (no division per element)
      int cols = x1 - x0, n = (y1 - y0) * cols, rowJump = inRowStride - cols * 16;
      FloatVector acc = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : 0f);
      for (int i = 0, c = 0, off = inBase + y0 * inRowStride + x0 * 16; i < n; i++, off += 16) {
        if (c == cols) {
          c = 0;
          off += rowJump;
        }
        c++;
        FloatVector v = FloatVector.fromArray(S, in, off);
        acc = max ? acc.max(v) : acc.add(v);
      }
      (max ? acc : acc.mul(inv)).intoArray(out, outBase + ox * 16);
    }
  }

  /**
   * Per-thread scratch of the Winograd transforms, what one call holds between its two halves: 16
   * vectors of a tile for F(2x2,3x3); for F(4x4,3x3), 36 vectors of every tile of the row (input) or
   * 24 + 4 of one tile (output). Grown on first need, so a warm pass allocates nothing.
   */
  private static final ThreadLocal<float[]> TRANSFORM = ThreadLocal.withInitial(() -> new float[36 * 16]);

  private static float[] transformScratch(int floats) {
    float[] t = TRANSFORM.get();
    if (t.length < floats) TRANSFORM.set(t = new float[floats]);
    return t;
  }

  // The transforms are separable (B^T d, then (.) B); each half is a short loop of four-vector
  // bodies. Written as one straight-line body of ~70 vector operations, C2 stopped inlining the
  // Vector API calls partway and boxed the rest (4 ms instead of 0.2 for one layer's transform).

  @Override
  public void winogradInput(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos) {
    float[] t = transformScratch(16 * 16);
    for (int tile = 0; tile < tiles; tile++) {
      int a = inBase + tile * 32;
      for (int j = 0; j < 4; j++) { // column j of B^T d
        int c = a + j * 16;
        FloatVector d0 = FloatVector.fromArray(S, in, c), d1 = FloatVector.fromArray(S, in, c + rowStride);
        FloatVector d2 = FloatVector.fromArray(S, in, c + 2 * rowStride), d3 = FloatVector.fromArray(S, in, c + 3 * rowStride);
        d0.sub(d2).intoArray(t, j * 16);
        d1.add(d2).intoArray(t, 64 + j * 16);
        d2.sub(d1).intoArray(t, 128 + j * 16);
        d1.sub(d3).intoArray(t, 192 + j * 16);
      }
      int o = vBase + tile * 16;
      for (int i = 0; i < 4; i++) { // row i of (B^T d) B
        FloatVector t0 = FloatVector.fromArray(S, t, i * 64), t1 = FloatVector.fromArray(S, t, i * 64 + 16);
        FloatVector t2 = FloatVector.fromArray(S, t, i * 64 + 32), t3 = FloatVector.fromArray(S, t, i * 64 + 48);
        int q = o + 4 * i * vPos;
        t0.sub(t2).intoArray(v, q);
        t1.add(t2).intoArray(v, q + vPos);
        t2.sub(t1).intoArray(v, q + 2 * vPos);
        t1.sub(t3).intoArray(v, q + 3 * vPos);
      }
    }
  }

  @Override
  public void winogradOutput(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] s = transformScratch(16 * 16);
    for (int tile = 0; tile < tiles; tile++) {
      int a = mBase + tile * 16;
      for (int j = 0; j < 4; j++) { // column j of A^T m
        FloatVector m0 = FloatVector.fromArray(S, m, a + j * mPos), m1 = FloatVector.fromArray(S, m, a + (4 + j) * mPos);
        FloatVector m2 = FloatVector.fromArray(S, m, a + (8 + j) * mPos), m3 = FloatVector.fromArray(S, m, a + (12 + j) * mPos);
        m0.add(m1).add(m2).intoArray(s, j * 16);
        m1.sub(m2).sub(m3).intoArray(s, 64 + j * 16);
      }
      int x = tile * 2;
      for (int i = 0; i < rows; i++) { // row i of (A^T m) A, then the epilogue
        FloatVector s0 = FloatVector.fromArray(S, s, i * 64), s1 = FloatVector.fromArray(S, s, i * 64 + 16);
        FloatVector s2 = FloatVector.fromArray(S, s, i * 64 + 32), s3 = FloatVector.fromArray(S, s, i * 64 + 48);
        FloatVector bias = FloatVector.fromArray(S, w, biasOff);
        FloatVector y0 = s0.add(s1).add(s2).add(bias), y1 = s1.sub(s2).sub(s3).add(bias);
        int o = outBase + i * outRowStride + x * 16, r = resBase + i * resRowStride + x * 16;
        if (res != null) y0 = y0.add(FloatVector.fromArray(S, res, r));
        if (act == RELU) y0 = y0.max(0f);
        y0.intoArray(out, o);
        if (act > RELU) activateInPlace(out, o, act, slope);
        if (x + 1 < outW) {
          if (res != null) y1 = y1.add(FloatVector.fromArray(S, res, r + 16));
          if (act == RELU) y1 = y1.max(0f);
          y1.intoArray(out, o + 16);
          if (act > RELU) activateInPlace(out, o + 16, act, slope);
        }
      }
    }
  }

  // Each half of the F(4x4,3x3) input transform is its own method over a row of tiles, a loop whose
  // body holds the 1-D transform inline. In one method, the second half ran past C2's inlining
  // budget for the Vector API calls and boxed every vector (measured in a model: 0.67 ms instead of
  // 0.11 for a layer); with the 1-D transform in a small helper, C2 inlined the helper into both
  // loops, with the same result. Each half here is larger than C2 inlines into a caller
  // (FreqInlineSize, 325 bytes of bytecode), so each is compiled on its own, with its own budget.
  @Override
  public void winograd4Input(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos) {
    float[] t = transformScratch(tiles * 576);
    inputColumns(in, inBase, rowStride, tiles, t);
    inputRows(t, tiles, v, vBase, vPos);
  }

  /** B^T d of each 6x6 patch of a row of tiles (patch t at {@code in[inBase + 64 t]}), column by column, as Kernels.bt6. */
  private static void inputColumns(float[] in, int inBase, int rowStride, int tiles, float[] t) {
    java.util.Objects.checkFromIndexSize(inBase, (tiles - 1) * 64 + 5 * rowStride + 96, in.length);
    for (int tile = 0; tile < tiles; tile++) {
      for (int j = 0; j < 6; j++) {
        int c = inBase + tile * 64 + j * 16, o = tile * 576 + j * 16;
        FloatVector x0 = FloatVector.fromArray(S, in, c), x1 = FloatVector.fromArray(S, in, c + rowStride);
        FloatVector x2 = FloatVector.fromArray(S, in, c + 2 * rowStride), x3 = FloatVector.fromArray(S, in, c + 3 * rowStride);
        FloatVector x4 = FloatVector.fromArray(S, in, c + 4 * rowStride), x5 = FloatVector.fromArray(S, in, c + 5 * rowStride);
        FloatVector t0 = x4.sub(x2.mul(4f)), t1 = x3.sub(x1.mul(4f)), t2 = x4.sub(x2), t3 = x3.sub(x1).mul(2f);
        x0.mul(4f).sub(x2.mul(5f)).add(x4).intoArray(t, o);
        t0.add(t1).intoArray(t, o + 96);
        t0.sub(t1).intoArray(t, o + 192);
        t2.add(t3).intoArray(t, o + 288);
        t2.sub(t3).intoArray(t, o + 384);
        x1.mul(4f).sub(x3.mul(5f)).add(x5).intoArray(t, o + 480);
      }
    }
  }

  /** (B^T d) B of each tile, row by row, into its 36 positions: position q of tile t at {@code v[vBase + q * vPos + 16 t]}. */
  private static void inputRows(float[] t, int tiles, float[] v, int vBase, int vPos) {
    java.util.Objects.checkFromIndexSize(vBase, 35 * vPos + tiles * 16, v.length);
    for (int tile = 0; tile < tiles; tile++) {
      for (int i = 0; i < 6; i++) {
        int r = tile * 576 + i * 96, q = vBase + tile * 16 + 6 * i * vPos;
        FloatVector x0 = FloatVector.fromArray(S, t, r), x1 = FloatVector.fromArray(S, t, r + 16);
        FloatVector x2 = FloatVector.fromArray(S, t, r + 32), x3 = FloatVector.fromArray(S, t, r + 48);
        FloatVector x4 = FloatVector.fromArray(S, t, r + 64), x5 = FloatVector.fromArray(S, t, r + 80);
        FloatVector t0 = x4.sub(x2.mul(4f)), t1 = x3.sub(x1.mul(4f)), t2 = x4.sub(x2), t3 = x3.sub(x1).mul(2f);
        x0.mul(4f).sub(x2.mul(5f)).add(x4).intoArray(v, q);
        t0.add(t1).intoArray(v, q + vPos);
        t0.sub(t1).intoArray(v, q + 2 * vPos);
        t2.add(t3).intoArray(v, q + 3 * vPos);
        t2.sub(t3).intoArray(v, q + 4 * vPos);
        x1.mul(4f).sub(x3.mul(5f)).add(x5).intoArray(v, q + 5 * vPos);
      }
    }
  }

  @Override
  public void winograd4Output(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] s = transformScratch(36 * 16);
    for (int tile = 0; tile < tiles; tile++) {
      int a = mBase + tile * 16;
      for (int j = 0; j < 6; j++) { // column j of A^T m (4 x 6), as Kernels.at6
        int c = a + j * mPos;
        FloatVector x0 = FloatVector.fromArray(S, m, c), x1 = FloatVector.fromArray(S, m, c + 6 * mPos);
        FloatVector x2 = FloatVector.fromArray(S, m, c + 12 * mPos), x3 = FloatVector.fromArray(S, m, c + 18 * mPos);
        FloatVector x4 = FloatVector.fromArray(S, m, c + 24 * mPos), x5 = FloatVector.fromArray(S, m, c + 30 * mPos);
        FloatVector p = x1.add(x2), q = x1.sub(x2), u = x3.add(x4), d = x3.sub(x4);
        x0.add(p).add(u).intoArray(s, j * 16);
        q.add(d.mul(2f)).intoArray(s, 96 + j * 16);
        p.add(u.mul(4f)).intoArray(s, 192 + j * 16);
        q.add(d.mul(8f)).add(x5).intoArray(s, 288 + j * 16);
      }
      for (int i = 0; i < rows; i++) { // row i of (A^T m) A into s[512..575]
        int r = i * 96;
        FloatVector x0 = FloatVector.fromArray(S, s, r), x1 = FloatVector.fromArray(S, s, r + 16);
        FloatVector x2 = FloatVector.fromArray(S, s, r + 32), x3 = FloatVector.fromArray(S, s, r + 48);
        FloatVector x4 = FloatVector.fromArray(S, s, r + 64), x5 = FloatVector.fromArray(S, s, r + 80);
        FloatVector p = x1.add(x2), q = x1.sub(x2), u = x3.add(x4), d = x3.sub(x4);
        x0.add(p).add(u).intoArray(s, 512);
        q.add(d.mul(2f)).intoArray(s, 528);
        p.add(u.mul(4f)).intoArray(s, 544);
        q.add(d.mul(8f)).add(x5).intoArray(s, 560);
        epilogueRow(s, Math.min(4, outW - tile * 4), w, biasOff, out, outBase + i * outRowStride + tile * 64, res,
            resBase + i * resRowStride + tile * 64, act, slope);
      }
    }
  }

  /** Bias, residual, activation and store of up to four pixels of a transformed row, from s[512..]. */
  private static void epilogueRow(float[] s, int cols, float[] w, int biasOff, float[] out, int o, float[] res, int r, int act, float slope) {
    for (int j = 0; j < cols; j++) {
      FloatVector y = FloatVector.fromArray(S, s, 512 + j * 16).add(FloatVector.fromArray(S, w, biasOff));
      if (res != null) y = y.add(FloatVector.fromArray(S, res, r + j * 16));
      if (act == RELU) y = y.max(0f);
      y.intoArray(out, o + j * 16);
      if (act > RELU) activateInPlace(out, o + j * 16, act, slope);
    }
  }

  @Override
  public void meanBlock(float[] in, int inBase, int rowStride, int h, int w, float[] out, int outBase) {
    FloatVector acc = FloatVector.zero(S);
    int n = h * w;
    for (int i = 0; i < n; i++) {
      acc = acc.add(FloatVector.fromArray(S, in, inBase + (i / w) * rowStride + (i % w) * 16));
    }
    acc.div((float) n).intoArray(out, outBase);
  }
}
