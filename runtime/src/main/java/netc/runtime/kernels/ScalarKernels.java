package netc.runtime.kernels;

/**
 * Plain Java kernels for JVMs without the Vector API: the same arithmetic in the same order, with fused
 * multiply-adds where the machine has them ({@link #FMA}).
 */
final class ScalarKernels extends Kernels {
  /**
   * Whether {@link Math#fma} is one instruction here (HotSpot's UseFMA; a JVM that does not say is taken
   * to have it). Without it Math.fma computes exactly through BigDecimal, hundreds of times slower than a
   * multiply and an add: there the kernels multiply and add, rounding twice, so their results differ from
   * the fused kernels' in the last bits (well within the 1e-4 x max|logit| the model tests hold them to).
   */
  static final boolean FMA = netc.runtime.VmOptions.fusedMultiplyAdd();

  private static float fma(float a, float b, float c) {
    return FMA ? Math.fma(a, b, c) : a * b + c;
  }

  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[LINEAR_TILE * 32]);
  /** Per-thread scratch of the Winograd transforms: 16 floats for F(2x2,3x3); for F(4x4,3x3) six inputs at 0, six results at 6, 6x6 at 12. */
  private static final ThreadLocal<float[]> TRANSFORM = ThreadLocal.withInitial(() -> new float[48]);

  @Override
  public boolean vectorized() {
    return false;
  }

  @Override
  public void convTile(int blocks, float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase,
      int biasOff, float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope) {
    int width = 16 * blocks, tile = tilePixels(blocks);
    float[] acc = SCRATCH.get();
    java.util.Arrays.fill(acc, 0, tile * width, 0f);
    for (int t = 0; t < tile; t++) {
      int base = inBase + inPix[p0 + t];
      int wi = wBase;
      for (int k = 0; k < kOff.length; k++, wi += width) {
        float x = in[base + kOff[k]];
        for (int j = 0; j < width; j++) acc[t * width + j] = fma(x, w[wi + j], acc[t * width + j]);
      }
    }
    epilogue(acc, blocks, tile, w, biasOff, out, outBase, outPix, p0, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void convLinear(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    linear(LINEAR_TILE, 16, blocks, x, xBase, kOff, p0, w, wBase, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix,
        resBlockStride, act, slope);
  }

  @Override
  public void convLinearStrided(int step, int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    if (!stridedStep(step)) throw new IllegalArgumentException("no strided linear kernel for a step of " + step);
    linear(LINEAR_TILE, step, blocks, x, xBase, kOff, p0, w, wBase, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix,
        resBlockStride, act, slope);
  }

  @Override
  public void convLinearSmall(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    linear(SMALL_LINEAR_TILE, 16, blocks, x, xBase, kOff, p0, w, wBase, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix,
        resBlockStride, act, slope);
  }

  @Override
  public void winogradProductLanes(float[] v, int vBase, int k, float[] w, int wBase, int n0, int n1, float[] m, int mBase) {
    for (int n = n0; n < n1; n++) {
      int wn = wBase + n / LANE_PANEL * k * LANE_PANEL + n % LANE_PANEL;
      for (int lane = 0; lane < 16; lane++) {
        float acc = 0f;
        for (int c = 0; c < k; c++) acc = fma(v[vBase + 16 * c + lane], w[wn + LANE_PANEL * c], acc);
        m[mBase + 16 * n + lane] = acc;
      }
    }
  }

  private static void linear(int tile, int step, int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope) {
    int width = 16 * blocks;
    float[] acc = SCRATCH.get();
    java.util.Arrays.fill(acc, 0, tile * width, 0f);
    for (int t = 0; t < tile; t++) {
      int wi = wBase;
      for (int k = 0; k < kOff.length; k++, wi += width) {
        float v = x[xBase + kOff[k] + step * t];
        for (int j = 0; j < width; j++) acc[t * width + j] = fma(v, w[wi + j], acc[t * width + j]);
      }
    }
    epilogue(acc, blocks, tile, w, biasOff, out, outBase, outPix, p0, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  private static void epilogue(float[] acc, int blocks, int tile, float[] w, int biasOff, float[] out, int outBase, int[] outPix, int p0,
      int outBlockStride, float[] res, int resBase, int[] resPix, int resBlockStride, int act, float slope) {
    int width = 16 * blocks;
    for (int t = 0; t < tile; t++) {
      if (t > 0 && outPix[p0 + t] == outPix[p0 + t - 1]) break; // the repeated tail pixel
      for (int b = 0; b < blocks; b++) {
        for (int j = 0; j < 16; j++) {
          float v = acc[t * width + b * 16 + j] + w[biasOff + b * 16 + j];
          if (res != null) v += res[resBase + resPix[p0 + t] + b * resBlockStride + j];
          acc[t * width + b * 16 + j] = v;
        }
      }
    }
    for (int t = 0; t < tile; t++) {
      if (t > 0 && outPix[p0 + t] == outPix[p0 + t - 1]) break;
      for (int b = 0; b < blocks; b++) {
        for (int j = 0; j < 16; j++) out[outBase + outPix[p0 + t] + b * outBlockStride + j] = apply(acc[t * width + b * 16 + j], act, slope);
      }
    }
  }

  @Override
  public void depthwiseRow(float[] in, int inBase, int step, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int outW, float[] res, int resBase, int act, float slope) {
    for (int x = 0; x < outW; x++) {
      int p = inBase + x * step;
      for (int j = 0; j < 16; j++) {
        float acc = 0f;
        for (int k = 0; k < kOff.length; k++) acc = fma(in[p + kOff[k] + j], w[wBase + k * 16 + j], acc);
        float v = acc + w[biasOff + j];
        if (res != null) v += res[resBase + x * 16 + j];
        out[outBase + x * 16 + j] = apply(v, act, slope);
      }
    }
  }

  @Override
  public void groupedRow(int g, float[] in, int inBase, int step, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int outW, float[] res, int resBase, int act, float slope) {
    for (int x = 0; x < outW; x++) {
      int p = inBase + x * step;
      for (int o = 0; o < 16; o++) {
        int first = o / g * g; // the input lane of the group's first channel
        float acc = 0f;
        for (int k = 0; k < kOff.length; k++) {
          for (int j = 0; j < g; j++) acc = fma(in[p + kOff[k] + first + j], w[wBase + (k * g + j) * 16 + o], acc);
        }
        float v = acc + w[biasOff + o];
        if (res != null) v += res[resBase + x * 16 + o];
        out[outBase + x * 16 + o] = apply(v, act, slope);
      }
    }
  }

  /** exp's argument range: below, e^x is no longer a normal float; above, it overflows. */
  static final float EXP_LO = -87f, EXP_HI = 88f;
  /**
   * 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer n, which then lies in
   * the low bits of the sum (its bits are {@link #ROUND_BITS} + n); subtracting it gives n as a float.
   */
  static final float ROUND = 12582912f;
  static final int ROUND_BITS = 0x4B400000;
  static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
  /** Cephes expf's polynomial for (e^r - 1 - r) / r^2 on |r| <= ln(2) / 2. */
  static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
      P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

  /**
   * e^x within 2 ulp for x in [-87, 88] (clamped there), in float arithmetic only: x = n ln(2) + r,
   * e^r by Cephes' polynomial, 2^n from the exponent bits (n read from the rounding sum's bits, as the
   * Vector API's float-to-int conversion is not intrinsic at every width of JDK 17). {@link
   * VectorKernels#sigmoidInPlace} does the same operations in the same order, so sigmoid and silu agree
   * to the bit across kernels and JIT tiers (the EXP intrinsic and the Vector API's Java fallback do
   * not), and run vectorized.
   */
  static float exp(float x) {
    x = Math.min(Math.max(x, EXP_LO), EXP_HI);
    float t = x * LOG2E + ROUND, n = t - ROUND;
    float r = x - n * LN2_HI - n * LN2_LO; // n LN2_HI is exact: LN2_HI has 9 significant bits
    float p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
    float e = p * (r * r) + r + 1f;
    return e * Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUND_BITS + 127) << 23);
  }

  /** erfc's approximation in {@link #gelu}: Abramowitz and Stegun 7.1.26, t = 1 / (1 + ERF_P z). */
  static final float ERF_P = 0.3275911f, ERF_A1 = 0.254829592f, ERF_A2 = -0.284496736f, ERF_A3 = 1.421413741f, ERF_A4 = -1.453152027f,
      ERF_A5 = 1.061405429f, RSQRT2 = 0.70710678118654752f;

  /**
   * torch's gelu, v (1 + erf(v / sqrt(2))) / 2, in float operations only: with z = |v| / sqrt(2),
   * q = erfc(z) = t (a1 + t (a2 + ... a5 t)) e^{-z^2} (Abramowitz and Stegun 7.1.26, within 1.5e-7),
   * and 1 + erf(v / sqrt(2)) is q for v < 0 (no cancellation) and 2 - q otherwise. At z =
   * {@link #ERF_Z_MAX} and past it q is 0: erfc is below 2e-17 there, nothing against 2 in float, and
   * nothing v may be multiplied by (erfc(6) kept times v = -1e17 gave -1.1, where torch gives -0;
   * -inf gives NaN, as in torch); the products of e^{-z^2} would otherwise reach subnormal floats, which
   * x86 computes slowly.
   * {@link VectorKernels} does the same operations in the same order, so the two agree to the bit.
   */
  static float gelu(float v) {
    float z = Math.min(Math.abs(v) * RSQRT2, ERF_Z_MAX), t = 1f / (1f + ERF_P * z);
    float q = z == ERF_Z_MAX ? 0f : t * ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * exp(-(z * z));
    return 0.5f * v * (v < 0 ? q : 2f - q);
  }

  /** Where {@link #gelu}'s erfc stops: erfc(6) = 2.2e-17. */
  static final float ERF_Z_MAX = 6f;

  /** torch's hardsigmoid, relu6(v + 3) / 6 ({@link VectorKernels} does the same operations). */
  private static float hardsigmoid(float v) {
    return Math.min(Math.max(v + 3f, 0f), 6f) / 6f;
  }

  static float apply(float v, int act, float slope) {
    switch (act) {
      case RELU: return Math.max(v, 0f); // NaN stays NaN, as in torch and the vector kernels
      case SIGMOID: return 1f / (1f + exp(-v));
      case TANH: return (float) StrictMath.tanh(v);
      case LEAKY_RELU: return v >= 0 ? v : v * slope;
      case CLIP: return Math.min(Math.max(v, 0f), slope);
      case SILU: return -v > EXP_HI ? v * 0f : v / (1f + exp(-v)); // past the clamp, v e^v is below 1e-36: -0 (-inf: NaN, as in torch)
      case HARDSIGMOID: return hardsigmoid(v);
      case HARDSWISH: return v * hardsigmoid(v);
      case GELU: return gelu(v);
      default: return v;
    }
  }

  @Override
  public void fc(float[] in, int inBase, int inPadded, float[] w, int wBase, int biasOff, float[] out, int outBase,
      int act, float slope, int from, int to) {
    float[] lanes = SCRATCH.get();
    for (int o = from; o < to; o++) {
      int row = wBase + o * inPadded;
      java.util.Arrays.fill(lanes, 0, 16, 0f);
      for (int i = 0; i < inPadded; i += 16) {
        for (int j = 0; j < 16; j++) lanes[j] = fma(in[inBase + i + j], w[row + i + j], lanes[j]);
      }
      out[outBase + o] = apply(sumLanes(lanes, 0) + (biasOff < 0 ? 0 : w[biasOff + o]), act, slope);
    }
  }

  /** The sum of 16 lanes in a fixed pairwise order, shared by both kernel sets so they agree. */
  static float sumLanes(float[] l, int at) {
    float a = (l[at] + l[at + 1]) + (l[at + 2] + l[at + 3]), b = (l[at + 4] + l[at + 5]) + (l[at + 6] + l[at + 7]);
    float c = (l[at + 8] + l[at + 9]) + (l[at + 10] + l[at + 11]), d = (l[at + 12] + l[at + 13]) + (l[at + 14] + l[at + 15]);
    return (a + b) + (c + d);
  }

  @Override
  public void activate(float[] a, int base, int n, int act, float slope, float[] out, int outBase) {
    for (int i = 0; i < n; i++) out[outBase + i] = apply(a[base + i], act, slope);
  }

  @Override
  public void add(float[] x, int xBase, float[] y, int yBase, float[] out, int outBase, int n, int act, float slope) {
    for (int i = 0; i < n; i++) out[outBase + i] = apply(x[xBase + i] + y[yBase + i], act, slope);
  }

  @Override
  public void scaleRow(float[] x, int xBase, float[] s, int sBase, float[] out, int outBase, int pixels) {
    for (int p = 0; p < pixels; p++) {
      for (int j = 0; j < 16; j++) out[outBase + p * 16 + j] = x[xBase + p * 16 + j] * s[sBase + j];
    }
  }

  @Override
  public void affineRow(float[] x, int xBase, float[] w, int scaleOff, int shiftOff, float[] out, int outBase, int pixels,
      int act, float slope) {
    for (int p = 0; p < pixels; p++) {
      for (int j = 0; j < 16; j++) {
        out[outBase + p * 16 + j] = apply(fma(x[xBase + p * 16 + j], w[scaleOff + j], w[shiftOff + j]), act, slope);
      }
    }
  }

  @Override
  public void maxPoolRow(float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw) {
    int y0 = Math.max(0, oy * sh - ph), y1 = Math.min(inH, oy * sh - ph + kh);
    for (int ox = 0; ox < outW; ox++) {
      int x0 = Math.max(0, ox * sw - pw), x1 = Math.min(inW, ox * sw - pw + kw);
      for (int j = 0; j < 16; j++) {
        float acc = Float.NEGATIVE_INFINITY;
        for (int y = y0; y < y1; y++) {
          for (int x = x0; x < x1; x++) acc = Math.max(acc, in[inBase + y * inRowStride + x * 16 + j]);
        }
        out[outBase + ox * 16 + j] = acc;
      }
    }
  }

  @Override
  public void avgPoolRow(float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw, int limH, int limW, boolean countPad) {
    int y0 = Math.max(0, oy * sh - ph), y1 = Math.min(inH, oy * sh - ph + kh);
    for (int ox = 0; ox < outW; ox++) {
      int x0 = Math.max(0, ox * sw - pw), x1 = Math.min(inW, ox * sw - pw + kw);
      float inv = 1f / poolDivisor(oy * sh - ph, ox * sw - pw, kh, kw, inH, inW, limH, limW, countPad);
      for (int j = 0; j < 16; j++) {
        float acc = 0;
        for (int y = y0; y < y1; y++) {
          for (int x = x0; x < x1; x++) acc += in[inBase + y * inRowStride + x * 16 + j];
        }
        out[outBase + ox * 16 + j] = acc * inv;
      }
    }
  }

  @Override
  public void clamp(float[] a, int base, int n, float lo, float hi, float[] out, int outBase) {
    for (int i = 0; i < n; i++) out[outBase + i] = Math.min(Math.max(a[base + i], lo), hi);
  }

  @Override
  public void winogradInput(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos) {
    float[] d = SCRATCH.get(), t = TRANSFORM.get();
    for (int tile = 0; tile < tiles; tile++) {
      for (int l = 0; l < 16; l++) {
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) d[i * 4 + j] = in[inBase + i * rowStride + (tile * 2 + j) * 16 + l];
        for (int j = 0; j < 4; j++) {
          t[j] = d[j] - d[8 + j];
          t[4 + j] = d[4 + j] + d[8 + j];
          t[8 + j] = d[8 + j] - d[4 + j];
          t[12 + j] = d[4 + j] - d[12 + j];
        }
        for (int i = 0; i < 4; i++) {
          v[vBase + (i * 4) * vPos + tile * 16 + l] = t[i * 4] - t[i * 4 + 2];
          v[vBase + (i * 4 + 1) * vPos + tile * 16 + l] = t[i * 4 + 1] + t[i * 4 + 2];
          v[vBase + (i * 4 + 2) * vPos + tile * 16 + l] = t[i * 4 + 2] - t[i * 4 + 1];
          v[vBase + (i * 4 + 3) * vPos + tile * 16 + l] = t[i * 4 + 1] - t[i * 4 + 3];
        }
      }
    }
  }

  @Override
  public void winogradOutput(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] q = SCRATCH.get(), s = TRANSFORM.get();
    for (int tile = 0; tile < tiles; tile++) {
      for (int l = 0; l < 16; l++) {
        for (int k = 0; k < 16; k++) q[k] = m[mBase + k * mPos + tile * 16 + l];
        for (int j = 0; j < 4; j++) {
          s[j] = q[j] + q[4 + j] + q[8 + j];
          s[4 + j] = q[4 + j] - q[8 + j] - q[12 + j];
        }
        for (int i = 0; i < rows; i++) {
          float y0 = s[i * 4] + s[i * 4 + 1] + s[i * 4 + 2], y1 = s[i * 4 + 1] - s[i * 4 + 2] - s[i * 4 + 3];
          for (int j = 0; j < 2 && tile * 2 + j < outW; j++) {
            float v = (j == 0 ? y0 : y1) + w[biasOff + l];
            if (res != null) v += res[resBase + i * resRowStride + (tile * 2 + j) * 16 + l];
            out[outBase + i * outRowStride + (tile * 2 + j) * 16 + l] = apply(v, act, slope);
          }
        }
      }
    }
  }

  @Override
  public void winograd4Input(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos) {
    float[] s = TRANSFORM.get();
    for (int tile = 0; tile < tiles; tile++) {
      for (int l = 0; l < 16; l++) {
        for (int j = 0; j < 6; j++) { // column j of B^T d
          for (int i = 0; i < 6; i++) s[i] = in[inBase + i * rowStride + (tile * 4 + j) * 16 + l];
          bt6(s, 0, s, 6);
          for (int i = 0; i < 6; i++) s[12 + i * 6 + j] = s[6 + i];
        }
        for (int i = 0; i < 6; i++) { // row i of (B^T d) B
          bt6(s, 12 + i * 6, s, 6);
          for (int j = 0; j < 6; j++) v[vBase + (i * 6 + j) * vPos + tile * 16 + l] = s[6 + j];
        }
      }
    }
  }

  @Override
  public void winograd4Output(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] s = TRANSFORM.get();
    for (int tile = 0; tile < tiles; tile++) {
      for (int l = 0; l < 16; l++) {
        for (int j = 0; j < 6; j++) { // column j of A^T m: 4 x 6 at 12
          for (int i = 0; i < 6; i++) s[i] = m[mBase + (i * 6 + j) * mPos + tile * 16 + l];
          at6(s, 0, s, 6);
          for (int i = 0; i < 4; i++) s[12 + i * 6 + j] = s[6 + i];
        }
        for (int i = 0; i < rows; i++) {
          at6(s, 12 + i * 6, s, 6);
          for (int j = 0; j < 4 && tile * 4 + j < outW; j++) {
            float v = s[6 + j] + w[biasOff + l];
            if (res != null) v += res[resBase + i * resRowStride + (tile * 4 + j) * 16 + l];
            out[outBase + i * outRowStride + (tile * 4 + j) * 16 + l] = apply(v, act, slope);
          }
        }
      }
    }
  }

  @Override
  public void meanBlock(float[] in, int inBase, int rowStride, int h, int w, float[] out, int outBase) {
    int n = h * w;
    for (int j = 0; j < 16; j++) {
      double total = 0;
      for (int c = 0; c < n; c += MEAN_CHUNK) {
        float part = 0;
        for (int i = c, end = Math.min(n, c + MEAN_CHUNK); i < end; i++) part += in[inBase + (i / w) * rowStride + (i % w) * 16 + j];
        total += part;
      }
      out[outBase + j] = (float) (total / n);
    }
  }
}
