package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API. A conv tile keeps its accumulators in registers (6 pixels x 4 blocks,
 * or 7 x 2, or 7 x 1) over one flat loop of k steps: per step the tile's weight vectors, one
 * broadcast input per pixel, and an FMA for each accumulator. Two rules keep C2 from boxing vectors
 * into heap objects (each measured 20x slower): vectors live across one loop only, never a nest,
 * and never cross a call that might not be inlined; so tiles land their accumulators in a small
 * per-thread array and the epilogue reads them back from there.
 */
final class VectorKernels extends Kernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

  @Override
  public boolean vectorized() {
    return true;
  }

  /** Per-thread landing area for a tile's accumulators (at most 7 pixels x 4 blocks x 16 floats). */
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[7 * 4 * 16]);

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
  public void convTilePacked(int blocks, float[] panel, int panelBase, int k, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope) {
    float[] acc = SCRATCH.get();
    if (blocks == 4) packed6x4(panel, panelBase, k, w, wBase, acc);
    else if (blocks == 2) packed7x2(panel, panelBase, k, w, wBase, acc);
    else packed7x1(panel, panelBase, k, w, wBase, acc);
    epilogue(acc, blocks, tilePixels(blocks), p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  /** Lane l of a pixel's 16 goes to panel row l: the scatter offsets for tiles of 6 and 7 pixels. */
  private static final int[] ROWS6 = rows(6), ROWS7 = rows(7);

  private static int[] rows(int tp) {
    int[] r = new int[16];
    for (int l = 0; l < 16; l++) r[l] = l * tp;
    return r;
  }

  @Override
  public void packBlockedPanel(float[] in, int inBase, int[] inPix, int p0, int[] kOff, int tp, float[] panel, int panelBase) {
    int[] rows = tp == WIDE_TILE ? ROWS6 : ROWS7; // a tile is 6 or 7 pixels (Kernels.tilePixels)
    for (int t = 0; t < tp; t++) {
      int base = inBase + inPix[p0 + t];
      for (int k = 0; k < kOff.length; k += 16) {
        FloatVector.fromArray(S, in, base + kOff[k]).intoArray(panel, panelBase + k * tp + t, rows, 0);
      }
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

  private static void packed6x4(float[] p, int pBase, int kn, float[] w, int wBase, float[] acc) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    int wi = wBase;
    for (int k = 0; k < kn; k++, wi += 64) {
      int a = pBase + k * 6;
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector w2 = FloatVector.fromArray(S, w, wi + 32), w3 = FloatVector.fromArray(S, w, wi + 48);
      FloatVector x;
      x = FloatVector.broadcast(S, p[a]); c00 = x.fma(w0, c00); c01 = x.fma(w1, c01); c02 = x.fma(w2, c02); c03 = x.fma(w3, c03);
      x = FloatVector.broadcast(S, p[a + 1]); c10 = x.fma(w0, c10); c11 = x.fma(w1, c11); c12 = x.fma(w2, c12); c13 = x.fma(w3, c13);
      x = FloatVector.broadcast(S, p[a + 2]); c20 = x.fma(w0, c20); c21 = x.fma(w1, c21); c22 = x.fma(w2, c22); c23 = x.fma(w3, c23);
      x = FloatVector.broadcast(S, p[a + 3]); c30 = x.fma(w0, c30); c31 = x.fma(w1, c31); c32 = x.fma(w2, c32); c33 = x.fma(w3, c33);
      x = FloatVector.broadcast(S, p[a + 4]); c40 = x.fma(w0, c40); c41 = x.fma(w1, c41); c42 = x.fma(w2, c42); c43 = x.fma(w3, c43);
      x = FloatVector.broadcast(S, p[a + 5]); c50 = x.fma(w0, c50); c51 = x.fma(w1, c51); c52 = x.fma(w2, c52); c53 = x.fma(w3, c53);
    }
    c00.intoArray(acc, 0); c01.intoArray(acc, 16); c02.intoArray(acc, 32); c03.intoArray(acc, 48);
    c10.intoArray(acc, 64); c11.intoArray(acc, 80); c12.intoArray(acc, 96); c13.intoArray(acc, 112);
    c20.intoArray(acc, 128); c21.intoArray(acc, 144); c22.intoArray(acc, 160); c23.intoArray(acc, 176);
    c30.intoArray(acc, 192); c31.intoArray(acc, 208); c32.intoArray(acc, 224); c33.intoArray(acc, 240);
    c40.intoArray(acc, 256); c41.intoArray(acc, 272); c42.intoArray(acc, 288); c43.intoArray(acc, 304);
    c50.intoArray(acc, 320); c51.intoArray(acc, 336); c52.intoArray(acc, 352); c53.intoArray(acc, 368);
  }

  private static void packed7x2(float[] p, int pBase, int kn, float[] w, int wBase, float[] acc) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
    int wi = wBase;
    for (int k = 0; k < kn; k++, wi += 32) {
      int a = pBase + k * 7;
      FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + 16);
      FloatVector x;
      x = FloatVector.broadcast(S, p[a]); c00 = x.fma(w0, c00); c01 = x.fma(w1, c01);
      x = FloatVector.broadcast(S, p[a + 1]); c10 = x.fma(w0, c10); c11 = x.fma(w1, c11);
      x = FloatVector.broadcast(S, p[a + 2]); c20 = x.fma(w0, c20); c21 = x.fma(w1, c21);
      x = FloatVector.broadcast(S, p[a + 3]); c30 = x.fma(w0, c30); c31 = x.fma(w1, c31);
      x = FloatVector.broadcast(S, p[a + 4]); c40 = x.fma(w0, c40); c41 = x.fma(w1, c41);
      x = FloatVector.broadcast(S, p[a + 5]); c50 = x.fma(w0, c50); c51 = x.fma(w1, c51);
      x = FloatVector.broadcast(S, p[a + 6]); c60 = x.fma(w0, c60); c61 = x.fma(w1, c61);
    }
    c00.intoArray(acc, 0); c01.intoArray(acc, 16); c10.intoArray(acc, 32); c11.intoArray(acc, 48);
    c20.intoArray(acc, 64); c21.intoArray(acc, 80); c30.intoArray(acc, 96); c31.intoArray(acc, 112);
    c40.intoArray(acc, 128); c41.intoArray(acc, 144); c50.intoArray(acc, 160); c51.intoArray(acc, 176);
    c60.intoArray(acc, 192); c61.intoArray(acc, 208);
  }

  private static void packed7x1(float[] p, int pBase, int kn, float[] w, int wBase, float[] acc) {
    FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0;
    int wi = wBase;
    for (int k = 0; k < kn; k++, wi += 16) {
      int a = pBase + k * 7;
      FloatVector w0 = FloatVector.fromArray(S, w, wi);
      c0 = FloatVector.broadcast(S, p[a]).fma(w0, c0);
      c1 = FloatVector.broadcast(S, p[a + 1]).fma(w0, c1);
      c2 = FloatVector.broadcast(S, p[a + 2]).fma(w0, c2);
      c3 = FloatVector.broadcast(S, p[a + 3]).fma(w0, c3);
      c4 = FloatVector.broadcast(S, p[a + 4]).fma(w0, c4);
      c5 = FloatVector.broadcast(S, p[a + 5]).fma(w0, c5);
      c6 = FloatVector.broadcast(S, p[a + 6]).fma(w0, c6);
    }
    c0.intoArray(acc, 0); c1.intoArray(acc, 16); c2.intoArray(acc, 32); c3.intoArray(acc, 48);
    c4.intoArray(acc, 64); c5.intoArray(acc, 80); c6.intoArray(acc, 96);
  }

  /**
   * Sigmoid, tanh or leaky ReLU on 16 floats in place. It takes an array, not a vector: with the
   * large EXP and TANH intrinsics this method may not be inlined, and a vector passed to a call that
   * is not inlined is boxed on the heap (callers apply ReLU in registers themselves).
   */
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
      // one flat loop over the clipped window keeps the accumulator in a register
      int cols = x1 - x0, n = (y1 - y0) * cols;
      FloatVector acc = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : 0f);
      for (int i = 0; i < n; i++) {
        int y = y0 + i / cols, x = x0 + i % cols;
        FloatVector v = FloatVector.fromArray(S, in, inBase + y * inRowStride + x * 16);
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
