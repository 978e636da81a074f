package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API. The conv tile keeps 7 x 2 accumulators in registers over one flat loop
 * of k steps (C2 keeps vectors in registers across a single loop, but boxes them across a nest of
 * loops, which is 20x slower): per step two weight vectors, seven broadcast inputs, fourteen FMAs.
 */
final class VectorKernels extends Kernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

  @Override
  public boolean vectorized() {
    return true;
  }

  @Override
  public void convTile(int blocks, float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase,
      int biasOff, float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope) {
    if (blocks == 2) {
      tile7x2(in, inBase, inPix, p0, kOff, w, wBase, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
    } else {
      tile7x1(in, inBase, inPix, p0, kOff, w, wBase, biasOff, out, outBase, outPix, res, resBase, resPix, act, slope);
    }
  }

  private static void tile7x2(float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int obs, float[] res, int resBase, int[] resPix, int rbs, int act, float slope) {
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
    FloatVector b0 = FloatVector.fromArray(S, w, biasOff), b1 = FloatVector.fromArray(S, w, biasOff + 16);
    c00 = c00.add(b0); c10 = c10.add(b0); c20 = c20.add(b0); c30 = c30.add(b0); c40 = c40.add(b0); c50 = c50.add(b0); c60 = c60.add(b0);
    c01 = c01.add(b1); c11 = c11.add(b1); c21 = c21.add(b1); c31 = c31.add(b1); c41 = c41.add(b1); c51 = c51.add(b1); c61 = c61.add(b1);
    if (res != null) {
      // every residual value is loaded before the first store: out may be the residual's buffer
      int r0 = resBase + resPix[p0], r1 = resBase + resPix[p0 + 1], r2 = resBase + resPix[p0 + 2], r3 = resBase + resPix[p0 + 3];
      int r4 = resBase + resPix[p0 + 4], r5 = resBase + resPix[p0 + 5], r6 = resBase + resPix[p0 + 6];
      c00 = c00.add(FloatVector.fromArray(S, res, r0)); c01 = c01.add(FloatVector.fromArray(S, res, r0 + rbs));
      c10 = c10.add(FloatVector.fromArray(S, res, r1)); c11 = c11.add(FloatVector.fromArray(S, res, r1 + rbs));
      c20 = c20.add(FloatVector.fromArray(S, res, r2)); c21 = c21.add(FloatVector.fromArray(S, res, r2 + rbs));
      c30 = c30.add(FloatVector.fromArray(S, res, r3)); c31 = c31.add(FloatVector.fromArray(S, res, r3 + rbs));
      c40 = c40.add(FloatVector.fromArray(S, res, r4)); c41 = c41.add(FloatVector.fromArray(S, res, r4 + rbs));
      c50 = c50.add(FloatVector.fromArray(S, res, r5)); c51 = c51.add(FloatVector.fromArray(S, res, r5 + rbs));
      c60 = c60.add(FloatVector.fromArray(S, res, r6)); c61 = c61.add(FloatVector.fromArray(S, res, r6 + rbs));
    }
    int o0 = outBase + outPix[p0], o1 = outBase + outPix[p0 + 1], o2 = outBase + outPix[p0 + 2], o3 = outBase + outPix[p0 + 3];
    int o4 = outBase + outPix[p0 + 4], o5 = outBase + outPix[p0 + 5], o6 = outBase + outPix[p0 + 6];
    apply(c00, act, slope).intoArray(out, o0); apply(c01, act, slope).intoArray(out, o0 + obs);
    apply(c10, act, slope).intoArray(out, o1); apply(c11, act, slope).intoArray(out, o1 + obs);
    apply(c20, act, slope).intoArray(out, o2); apply(c21, act, slope).intoArray(out, o2 + obs);
    apply(c30, act, slope).intoArray(out, o3); apply(c31, act, slope).intoArray(out, o3 + obs);
    apply(c40, act, slope).intoArray(out, o4); apply(c41, act, slope).intoArray(out, o4 + obs);
    apply(c50, act, slope).intoArray(out, o5); apply(c51, act, slope).intoArray(out, o5 + obs);
    apply(c60, act, slope).intoArray(out, o6); apply(c61, act, slope).intoArray(out, o6 + obs);
  }

  private static void tile7x1(float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, float[] res, int resBase, int[] resPix, int act, float slope) {
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
    FloatVector b = FloatVector.fromArray(S, w, biasOff);
    c0 = c0.add(b); c1 = c1.add(b); c2 = c2.add(b); c3 = c3.add(b); c4 = c4.add(b); c5 = c5.add(b); c6 = c6.add(b);
    if (res != null) {
      FloatVector r0 = FloatVector.fromArray(S, res, resBase + resPix[p0]), r1 = FloatVector.fromArray(S, res, resBase + resPix[p0 + 1]);
      FloatVector r2 = FloatVector.fromArray(S, res, resBase + resPix[p0 + 2]), r3 = FloatVector.fromArray(S, res, resBase + resPix[p0 + 3]);
      FloatVector r4 = FloatVector.fromArray(S, res, resBase + resPix[p0 + 4]), r5 = FloatVector.fromArray(S, res, resBase + resPix[p0 + 5]);
      FloatVector r6 = FloatVector.fromArray(S, res, resBase + resPix[p0 + 6]);
      c0 = c0.add(r0); c1 = c1.add(r1); c2 = c2.add(r2); c3 = c3.add(r3); c4 = c4.add(r4); c5 = c5.add(r5); c6 = c6.add(r6);
    }
    apply(c0, act, slope).intoArray(out, outBase + outPix[p0]);
    apply(c1, act, slope).intoArray(out, outBase + outPix[p0 + 1]);
    apply(c2, act, slope).intoArray(out, outBase + outPix[p0 + 2]);
    apply(c3, act, slope).intoArray(out, outBase + outPix[p0 + 3]);
    apply(c4, act, slope).intoArray(out, outBase + outPix[p0 + 4]);
    apply(c5, act, slope).intoArray(out, outBase + outPix[p0 + 5]);
    apply(c6, act, slope).intoArray(out, outBase + outPix[p0 + 6]);
  }

  private static FloatVector apply(FloatVector v, int act, float slope) {
    switch (act) {
      case RELU: return v.max(0f);
      case SIGMOID: return FloatVector.broadcast(S, 1f).div(v.neg().lanewise(VectorOperators.EXP).add(1f));
      case TANH: return v.lanewise(VectorOperators.TANH);
      case LEAKY_RELU: return v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f));
      default: return v;
    }
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
      float v = acc.reduceLanes(VectorOperators.ADD) + (biasOff < 0 ? 0 : w[biasOff + o]);
      out[outBase + o] = ScalarKernels.apply(v, act, slope);
    }
  }

  @Override
  public void activate(float[] a, int base, int n, int act, float slope, float[] out, int outBase) {
    for (int i = 0; i < n; i += 16) apply(FloatVector.fromArray(S, a, base + i), act, slope).intoArray(out, outBase + i);
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
