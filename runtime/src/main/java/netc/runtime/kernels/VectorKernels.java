package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API, at the vector width this JVM runs natively ({@link #BITS}: 512, 256 or
 * 128, chosen once by {@link VectorWidth}). The layout is the same on every width (channel blocks of
 * 16 floats: one vector at 512 bits, two at 256, four at 128), and so are the kernel plan and the
 * packed weights; only the register tiles differ, generated per width into {@code Tiles512},
 * {@code Tiles256} and {@code Tiles128} (and {@code Tiles128r16} for x86's 16 registers at 128 bits,
 * {@code Tiles256t} and {@code Tiles128r16t} for JDK 17's C2) by {@code TileGenerator}. Everything else here steps
 * through a block {@link #L} lanes at a time. Every width computes each output with the same
 * operations in the same order, so all agree with {@link ScalarKernels} to the last bit.
 *
 * <p>A conv tile keeps its accumulators in registers over one flat loop of k steps: per step the
 * tile's weight vectors, one broadcast input per pixel, and an FMA for each accumulator. Two rules
 * keep C2 from boxing vectors into heap objects (each measured 20x slower): vectors live across one
 * loop only, never a nest, and never cross a call that might not be inlined; so tiles land their
 * accumulators in a small per-thread array and the epilogue reads them back from there. The species
 * is a static final, so C2 compiles every vector operation to machine vectors of that width.
 */
final class VectorKernels extends Kernels {
  /** The vector width in bits (512, 256 or 128), fixed when the class loads. */
  static final int BITS = VectorWidth.BITS;

  /** The vector registers the tiles are cut for, {@link VectorWidth#REGISTERS} (at 128 bits, 16 or 32). */
  static final int REGISTERS = VectorWidth.REGISTERS;

  /** Whether the 16-register tiles take 15 registers a sub-tile, {@link VectorWidth#TIGHT}. */
  static final boolean TIGHT = VectorWidth.TIGHT;

  static final VectorSpecies<Float> S = BITS == 512 ? FloatVector.SPECIES_512 : BITS == 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;

  /** Floats per vector: a channel block of 16 is {@code 16 / L} vectors. */
  static final int L = S.length();

  /** Vectors per 16-channel block: 1, 2 or 4. */
  static final int V = 16 / L;

  @Override
  public boolean vectorized() {
    return true;
  }

  @Override
  public int vectorBits() {
    // VectorWidth's, not BITS: Kernels.INSTANCE may construct this object while this class's own
    // initialization is still in progress (when code touches VectorKernels before Kernels), and BITS
    // then still reads 0
    return VectorWidth.BITS;
  }

  /**
   * Per-thread landing area for a tile's accumulators (14 pixels x 2 blocks or 7 x 4, x 16 floats),
   * then one float for the words a linear tile touched ahead ({@link Kernels#convLinear}).
   */
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[LINEAR_TILE * 2 * 16 + 1]);

  static final int TOUCHED = LINEAR_TILE * 2 * 16;

  @Override
  public void convTile(int blocks, float[] in, int inBase, int[] inPix, int p0, int[] kOff, float[] w, int wBase,
      int biasOff, float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope) {
    float[] acc = SCRATCH.get();
    if (blocks == 4) Tiles.tile6x4(in, inBase, inPix, p0, kOff, w, wBase, acc);
    else if (blocks == 2) Tiles.tile7x2(in, inBase, inPix, p0, kOff, w, wBase, acc);
    else Tiles.tile7x1(in, inBase, inPix, p0, kOff, w, wBase, acc);
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
    if (blocks == 2) Tiles.linear14x2(x, xBase, kOff, w, wBase, acc, next, nextStep);
    else Tiles.linear14x1(x, xBase, kOff, w, wBase, acc, 0, 0);
    epilogue(acc, blocks, LINEAR_TILE, p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void convLinearStrided(int step, int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    if (!(blocks == 2 && stridedStep(step)) && !(blocks == 1 && step == 32)) {
      throw new IllegalArgumentException("no strided linear kernel for " + blocks + " blocks, step " + step);
    }
    float[] acc = SCRATCH.get();
    if (blocks == 1) Tiles.linear14x1step32(x, xBase, kOff, w, wBase, acc, 0, 0); // a grouped conv's single-block groups
    else if (step == 2) Tiles.linear14x2step2(x, xBase, kOff, w, wBase, acc, next, nextStep);
    else Tiles.linear14x2step32(x, xBase, kOff, w, wBase, acc, next, nextStep);
    epilogue(acc, blocks, LINEAR_TILE, p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void convLinearSmall(int blocks, float[] x, int xBase, int[] kOff, int p0, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int[] outPix, int outBlockStride, float[] res, int resBase, int[] resPix,
      int resBlockStride, int act, float slope, int next, int nextStep) {
    if (blocks != 2) throw new IllegalArgumentException("no small linear kernel for " + blocks + " blocks");
    float[] acc = SCRATCH.get();
    Tiles.linear8x2(x, xBase, kOff, w, wBase, acc, next, nextStep);
    epilogue(acc, blocks, SMALL_LINEAR_TILE, p0, w, biasOff, out, outBase, outPix, outBlockStride, res, resBase, resPix, resBlockStride, act, slope);
  }

  @Override
  public void packBlocks(float[] in, int inBase, int[] inPix, int p0, int[] kbOff, float[] panel, int panelBase) {
    for (int kb = 0; kb < kbOff.length; kb++) {
      int from = inBase + kbOff[kb], to = panelBase + kb * LINEAR_TILE * 16;
      for (int t = 0; t < LINEAR_TILE; t++) {
        for (int l = 0; l < 16; l += L) FloatVector.fromArray(S, in, from + inPix[p0 + t] + l).intoArray(panel, to + t * 16 + l);
      }
    }
  }

  /**
   * Bias, residual, activation and store for each pixel of a tile, from the accumulators in
   * {@code acc} ([pixel][block][16]). Each (pixel, lane) is read from res just before it is written to
   * out, so out may alias res; the tile stops at the repeated tail pixel (same offset as the one before),
   * which would read a residual already overwritten.
   *
   * <p>Each bias vector is loaded once for the tile's pixels: C2 cannot hoist it, as the stores to out
   * might change w. Measured against loading it for each pixel (its first form), the same jars alternated
   * in one JVM, one thread, AMD EPYC Zen 4 at -XX:UseAVX=2: mobilenet_v2 0.935-0.937 of the time (0.973 at
   * 512 bits), resnet18 0.955, resnet50 0.979. Without a residual, where the activation is no clamp
   * (none, or one applied after the store), the compares and blends are skipped: mobilenet_v2 0.97 (its
   * projections have none). The three cases are three loops, chosen before them: a vector merged from two
   * paths (a phi) and then stored fails VectorSupport.store's intrinsic on JDK 17 and boxes (the comment
   * in {@link #outputRows}). Tiles of two blocks, the usual case, once had an epilogue of their own
   * (both blocks of a pixel in one loop over its lanes, 10-20% faster at 512 bits than this method's
   * loop over blocks nested inside the pixel loop); with the pixels innermost it gained nothing
   * (mobilenet_v2 0.98 of its time at 256 bits and 0.97 at 512 without it, resnet50 1.00 and 1.00,
   * paired as above), and was removed.
   */
  private static void epilogue(float[] acc, int blocks, int pixels, int p0, float[] w, int biasOff, float[] out, int outBase,
      int[] outPix, int obs, float[] res, int resBase, int[] resPix, int rbs, int act, float slope) {
    float lo = low(act), hi = high(act, slope);
    boolean clamps = act == RELU || act == CLIP;
    if (contiguous(outPix, p0, pixels) && (res == null || contiguous(resPix, p0, pixels))) {
      linearEpilogue(acc, blocks, pixels, w, biasOff, out, outBase + outPix[p0], obs, res, res == null ? 0 : resBase + resPix[p0], rbs, lo, hi, clamps);
    } else {
      tableEpilogue(acc, blocks, pixels, p0, w, biasOff, out, outBase, outPix, obs, res, resBase, resPix, rbs, lo, hi, clamps);
    }
    if (afterStore(act)) {
      int n = distinctPixels(outPix, p0, pixels);
      for (int t = 0; t < n; t++) for (int b = 0; b < blocks; b++) activateInPlace(out, outBase + outPix[p0 + t] + b * obs, act, slope);
    }
  }

  /** Whether a tile's pixels lie one after another, 16 floats apart (a run of one row, no repeated tail). */
  private static boolean contiguous(int[] pix, int p0, int pixels) {
    int first = pix[p0];
    for (int t = 1; t < pixels; t++) if (pix[p0 + t] != first + 16 * t) return false;
    return true;
  }

  /**
   * {@link #epilogue} for a tile whose output (and residual) pixels are contiguous, from {@code out[o]}
   * (and {@code res[r]}): their indices linear in the pixel, so C2 checks their bounds once a loop, where
   * the tables took a table load and a bounds check for each vector's store (and residual load); the
   * accumulators' index, whose step is the tile's block count, keeps its check. Measured in a scratch
   * harness calling the runtime's tiles as resnet50's layer1.0.conv3 does (3,136 pixels, 8 weight groups,
   * -XX:UseAVX=2, one thread, medians of alternated reps in one run): tiles and epilogue over K = 64 and
   * 128 in 1.117 and 2.128 ms against 1.147 and 2.177 through the tables (the tiles alone 1.012 and 2.006).
   */
  private static void linearEpilogue(float[] acc, int blocks, int pixels, float[] w, int biasOff, float[] out, int o0, int obs, float[] res,
      int r0, int rbs, float lo, float hi, boolean clamps) {
    for (int b = 0; b < blocks; b++) {
      for (int l = 0; l < 16; l += L) {
        FloatVector bias = FloatVector.fromArray(S, w, biasOff + b * 16 + l);
        int a = b * 16 + l, o = o0 + b * obs + l, r = r0 + b * rbs + l, step = blocks * 16;
        if (res != null) {
          for (int t = 0; t < pixels; t++) {
            FloatVector v = FloatVector.fromArray(S, acc, t * step + a).add(bias).add(FloatVector.fromArray(S, res, r + 16 * t));
            v = v.blend(lo, v.compare(VectorOperators.LE, lo));
            v.blend(hi, v.compare(VectorOperators.GE, hi)).intoArray(out, o + 16 * t);
          }
        } else if (clamps) {
          for (int t = 0; t < pixels; t++) {
            FloatVector v = FloatVector.fromArray(S, acc, t * step + a).add(bias);
            v = v.blend(lo, v.compare(VectorOperators.LE, lo));
            v.blend(hi, v.compare(VectorOperators.GE, hi)).intoArray(out, o + 16 * t);
          }
        } else {
          for (int t = 0; t < pixels; t++) FloatVector.fromArray(S, acc, t * step + a).add(bias).intoArray(out, o + 16 * t);
        }
      }
    }
  }

  /** {@link #epilogue} through the pixel tables, up to the tile's first repeated pixel. */
  private static void tableEpilogue(float[] acc, int blocks, int pixels, int p0, float[] w, int biasOff, float[] out, int outBase,
      int[] outPix, int obs, float[] res, int resBase, int[] resPix, int rbs, float lo, float hi, boolean clamps) {
    int n = distinctPixels(outPix, p0, pixels);
    for (int b = 0; b < blocks; b++) {
      for (int l = 0; l < 16; l += L) {
        FloatVector bias = FloatVector.fromArray(S, w, biasOff + b * 16 + l);
        int a = b * 16 + l, o = outBase + b * obs + l;
        if (res != null) {
          for (int t = 0; t < n; t++) {
            FloatVector v = FloatVector.fromArray(S, acc, t * blocks * 16 + a).add(bias)
                .add(FloatVector.fromArray(S, res, resBase + resPix[p0 + t] + b * rbs + l));
            v = v.blend(lo, v.compare(VectorOperators.LE, lo));
            v.blend(hi, v.compare(VectorOperators.GE, hi)).intoArray(out, o + outPix[p0 + t]);
          }
        } else if (clamps) {
          for (int t = 0; t < n; t++) {
            FloatVector v = FloatVector.fromArray(S, acc, t * blocks * 16 + a).add(bias);
            v = v.blend(lo, v.compare(VectorOperators.LE, lo));
            v.blend(hi, v.compare(VectorOperators.GE, hi)).intoArray(out, o + outPix[p0 + t]);
          }
        } else {
          for (int t = 0; t < n; t++) FloatVector.fromArray(S, acc, t * blocks * 16 + a).add(bias).intoArray(out, o + outPix[p0 + t]);
        }
      }
    }
  }

  /** A tile's pixels up to the first that repeats the one before it (a map's last tile repeats its last pixel). */
  private static int distinctPixels(int[] outPix, int p0, int pixels) {
    int n = 1;
    while (n < pixels && outPix[p0 + n] != outPix[p0 + n - 1]) n++;
    return n;
  }

  /** Output pixels of a depthwise row computed together: each weight vector loaded once serves this many accumulators. */
  static final int DEPTHWISE_PIXELS = 4;

  /**
   * Columns of a depthwise row computed together by {@link #depthwise8}: a column is one vector of one
   * output pixel, so 8 columns are 8 / V pixels (8 at 512 bits, 4 at 256, 2 at 128).
   */
  static final int DEPTHWISE_COLUMNS = 8;

  /**
   * Without a residual, a row of at least 8 / V pixels goes 8 columns at a time through {@link #depthwise8},
   * which stores the bare sums, and then {@link #biasClamp} adds the bias and clamps them in place. The
   * row's last group ends at its end, over pixels already done, whose sums it stores again with the same
   * bits: single pixels of one vector each, one chain of dependent FMAs per vector, left the FMA pipes
   * idle (MobileNetV2's rows of 7 and 14 pixels at 256 bits). Shorter rows, and every row with a residual
   * (which may share its array with the output, so the sums cannot be stored first), go through
   * {@link #depthwise4} and {@link #depthwise1}, which finish each vector in registers. The bits are the
   * same either way. Measured in one JVM, mobilenet_v2 at batch 1 (two jars, each with its own runtime
   * in its own class loader, alternated call by call; AMD EPYC Zen 4): one thread, 0.91-0.95 of the time
   * at 256 bits, 0.93 at 128 (16 registers), 0.99-1.02 at 512, where it is kept for one path at every
   * width; two threads at 256 bits 0.93. The 8 accumulators could not also finish in registers: the eight
   * stores' adds and clamps took C2 past its node budget for inlining (NodeCountInliningCutoff), and it boxed.
   */
  @Override
  public void depthwiseRow(float[] in, int inBase, int step, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int outW, float[] res, int resBase, int act, float slope) {
    float lo = low(act), hi = high(act, slope);
    int x = 0;
    int group = DEPTHWISE_COLUMNS / V; // pixels
    if (res == null && outW >= group) {
      // the last group ends at the row's end, over pixels done before: their bare sums again, the same bits
      boolean rowsOf3 = (step == 16 || step == 32) && rowsOfThree(kOff); // stride 1 or 2
      for (; x < outW; x += group) {
        int at = Math.min(x, outW - group);
        if (rowsOf3 && step == 16) depthwise8rows3(in, inBase + at * 16, kOff, w, wBase, out, outBase + at * 16);
        else if (rowsOf3) depthwise8rows3s2(in, inBase + at * 32, kOff, w, wBase, out, outBase + at * 16);
        else depthwise8(in, inBase + at * step, step, kOff, w, wBase, out, outBase + at * 16);
      }
      biasClamp(out, outBase, outW, w, biasOff, lo, hi);
    }
    for (; x + DEPTHWISE_PIXELS <= outW; x += DEPTHWISE_PIXELS) {
      for (int l = 0; l < 16; l += L) depthwise4(in, inBase + x * step + l, step, kOff, w, wBase + l, biasOff + l, out, outBase + x * 16 + l,
          res, resBase + x * 16 + l, lo, hi);
    }
    for (; x < outW; x++) {
      for (int l = 0; l < 16; l += L) depthwise1(in, inBase + x * step + l, kOff, w, wBase + l, biasOff + l, out, outBase + x * 16 + l,
          res, resBase + x * 16 + l, lo, hi);
    }
    if (afterStore(act)) for (int p = 0; p < outW; p++) activateInPlace(out, outBase + p * 16, act, slope);
  }

  /**
   * The bare sums of 8 columns of a depthwise row (column c: pixel c / V, lanes (c % V) L, all offsets
   * constants C2 folds), each weight vector loaded once for the columns of its lanes, stored to
   * {@code out} for {@link #biasClamp}. Eight accumulators: with four, a column's chain of dependent
   * multiply-adds (4 cycles each, 9 for a 3x3 window) left the FMA pipes idle.
   */
  private static void depthwise8(float[] in, int p, int step, int[] kOff, float[] w, int wi, float[] out, int o) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int k = 0; k < kOff.length; k++, wi += 16) {
      int i = p + kOff[k];
      // the input as the second factor: C2 then folds its load into the FMA
      a0 = FloatVector.fromArray(S, w, wi).fma(FloatVector.fromArray(S, in, i), a0);
      a1 = FloatVector.fromArray(S, w, wi + 1 % V * L).fma(FloatVector.fromArray(S, in, i + 1 / V * step + 1 % V * L), a1);
      a2 = FloatVector.fromArray(S, w, wi + 2 % V * L).fma(FloatVector.fromArray(S, in, i + 2 / V * step + 2 % V * L), a2);
      a3 = FloatVector.fromArray(S, w, wi + 3 % V * L).fma(FloatVector.fromArray(S, in, i + 3 / V * step + 3 % V * L), a3);
      a4 = FloatVector.fromArray(S, w, wi + 4 % V * L).fma(FloatVector.fromArray(S, in, i + 4 / V * step + 4 % V * L), a4);
      a5 = FloatVector.fromArray(S, w, wi + 5 % V * L).fma(FloatVector.fromArray(S, in, i + 5 / V * step + 5 % V * L), a5);
      a6 = FloatVector.fromArray(S, w, wi + 6 % V * L).fma(FloatVector.fromArray(S, in, i + 6 / V * step + 6 % V * L), a6);
      a7 = FloatVector.fromArray(S, w, wi + 7 % V * L).fma(FloatVector.fromArray(S, in, i + 7 / V * step + 7 % V * L), a7);
    }
    a0.intoArray(out, o);
    a1.intoArray(out, o + 1 / V * 16 + 1 % V * L);
    a2.intoArray(out, o + 2 / V * 16 + 2 % V * L);
    a3.intoArray(out, o + 3 / V * 16 + 3 % V * L);
    a4.intoArray(out, o + 4 / V * 16 + 4 % V * L);
    a5.intoArray(out, o + 5 / V * 16 + 5 % V * L);
    a6.intoArray(out, o + 6 / V * 16 + 6 % V * L);
    a7.intoArray(out, o + 7 / V * 16 + 7 % V * L);
  }

  /** Whether the window's taps come in rows of three adjacent pixels: kOff[3r + t] = kOff[3r] + 16 t (a 3-wide window, dilation 1). */
  static boolean rowsOfThree(int[] kOff) {
    if (kOff.length % 3 != 0) return false;
    for (int r = 0; r < kOff.length; r += 3) {
      if (kOff[r + 1] != kOff[r] + 16 || kOff[r + 2] != kOff[r] + 32) return false;
    }
    return true;
  }

  /**
   * {@link #depthwise8} for a stride-1 row whose window comes in rows of three adjacent taps
   * ({@link #rowsOfThree}): a window row's three taps in one iteration, so the input vector that tap t
   * of pixel j reads is the one tap t + 1 of pixel j - 1 reads, and C2 loads it once (8 / V + 2 input
   * pixels a window row where depthwise8 loads 3 x 8 / V). Each accumulator's multiply-adds keep
   * depthwise8's order (the window's taps in turn): the same bits. mobilenet_v2's depthwise steps,
   * jars before and after alternated in one JVM (`netc compare --own-runtime --steps`, AMD EPYC Zen 5,
   * one thread): 0.81 of their time at 256 bits, 0.84 at 512, 0.94 at 128; two threads at 256 0.82.
   */
  private static void depthwise8rows3(float[] in, int p, int[] kOff, float[] w, int wi, float[] out, int o) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < kOff.length; r += 3, wi += 48) {
      int i = p + kOff[r];
      for (int t = 0; t < 48; t += 16) { // tap t / 16 of the row, over input pixel j + t / 16 of column pixel j
        a0 = FloatVector.fromArray(S, w, wi + t).fma(FloatVector.fromArray(S, in, i + t), a0);
        a1 = FloatVector.fromArray(S, w, wi + t + 1 % V * L).fma(FloatVector.fromArray(S, in, i + t + 1 / V * 16 + 1 % V * L), a1);
        a2 = FloatVector.fromArray(S, w, wi + t + 2 % V * L).fma(FloatVector.fromArray(S, in, i + t + 2 / V * 16 + 2 % V * L), a2);
        a3 = FloatVector.fromArray(S, w, wi + t + 3 % V * L).fma(FloatVector.fromArray(S, in, i + t + 3 / V * 16 + 3 % V * L), a3);
        a4 = FloatVector.fromArray(S, w, wi + t + 4 % V * L).fma(FloatVector.fromArray(S, in, i + t + 4 / V * 16 + 4 % V * L), a4);
        a5 = FloatVector.fromArray(S, w, wi + t + 5 % V * L).fma(FloatVector.fromArray(S, in, i + t + 5 / V * 16 + 5 % V * L), a5);
        a6 = FloatVector.fromArray(S, w, wi + t + 6 % V * L).fma(FloatVector.fromArray(S, in, i + t + 6 / V * 16 + 6 % V * L), a6);
        a7 = FloatVector.fromArray(S, w, wi + t + 7 % V * L).fma(FloatVector.fromArray(S, in, i + t + 7 / V * 16 + 7 % V * L), a7);
      }
    }
    a0.intoArray(out, o);
    a1.intoArray(out, o + 1 / V * 16 + 1 % V * L);
    a2.intoArray(out, o + 2 / V * 16 + 2 % V * L);
    a3.intoArray(out, o + 3 / V * 16 + 3 % V * L);
    a4.intoArray(out, o + 4 / V * 16 + 4 % V * L);
    a5.intoArray(out, o + 5 / V * 16 + 5 % V * L);
    a6.intoArray(out, o + 6 / V * 16 + 6 % V * L);
    a7.intoArray(out, o + 7 / V * 16 + 7 % V * L);
  }
  /**
   * {@link #depthwise8rows3} for a stride-2 row: pixel j's taps read input pixels 2j .. 2j + 2, so tap 2 of
   * pixel j is tap 0 of pixel j + 1, one load for the two. A copy with 32 for 16, as C2 sees two loads are
   * one only where the pixel step is a constant in their offsets. mobilenet_v2's stride-2 depthwise steps,
   * paired as there, one thread at 256 bits: 0.80 of their time.
   */
  private static void depthwise8rows3s2(float[] in, int p, int[] kOff, float[] w, int wi, float[] out, int o) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < kOff.length; r += 3, wi += 48) {
      int i = p + kOff[r];
      for (int t = 0; t < 48; t += 16) { // tap t / 16 of the row, over input pixel j + t / 16 of column pixel j
        a0 = FloatVector.fromArray(S, w, wi + t).fma(FloatVector.fromArray(S, in, i + t), a0);
        a1 = FloatVector.fromArray(S, w, wi + t + 1 % V * L).fma(FloatVector.fromArray(S, in, i + t + 1 / V * 32 + 1 % V * L), a1);
        a2 = FloatVector.fromArray(S, w, wi + t + 2 % V * L).fma(FloatVector.fromArray(S, in, i + t + 2 / V * 32 + 2 % V * L), a2);
        a3 = FloatVector.fromArray(S, w, wi + t + 3 % V * L).fma(FloatVector.fromArray(S, in, i + t + 3 / V * 32 + 3 % V * L), a3);
        a4 = FloatVector.fromArray(S, w, wi + t + 4 % V * L).fma(FloatVector.fromArray(S, in, i + t + 4 / V * 32 + 4 % V * L), a4);
        a5 = FloatVector.fromArray(S, w, wi + t + 5 % V * L).fma(FloatVector.fromArray(S, in, i + t + 5 / V * 32 + 5 % V * L), a5);
        a6 = FloatVector.fromArray(S, w, wi + t + 6 % V * L).fma(FloatVector.fromArray(S, in, i + t + 6 / V * 32 + 6 % V * L), a6);
        a7 = FloatVector.fromArray(S, w, wi + t + 7 % V * L).fma(FloatVector.fromArray(S, in, i + t + 7 / V * 32 + 7 % V * L), a7);
      }
    }
    a0.intoArray(out, o);
    a1.intoArray(out, o + 1 / V * 16 + 1 % V * L);
    a2.intoArray(out, o + 2 / V * 16 + 2 % V * L);
    a3.intoArray(out, o + 3 / V * 16 + 3 % V * L);
    a4.intoArray(out, o + 4 / V * 16 + 4 % V * L);
    a5.intoArray(out, o + 5 / V * 16 + 5 % V * L);
    a6.intoArray(out, o + 6 / V * 16 + 6 % V * L);
    a7.intoArray(out, o + 7 / V * 16 + 7 % V * L);
  }

  /** The first {@code pixels} pixels of a row of bare sums at {@code out[o ..]}: + the bias, then {@link #low}'s clamp, in place. */
  private static void biasClamp(float[] out, int o, int pixels, float[] w, int biasOff, float lo, float hi) {
    for (int l = 0; l < 16; l += L) {
      FloatVector bias = FloatVector.fromArray(S, w, biasOff + l);
      for (int x = 0; x < pixels; x++) {
        FloatVector y = FloatVector.fromArray(S, out, o + x * 16 + l).add(bias);
        y = y.blend(lo, y.compare(VectorOperators.LE, lo));
        y = y.blend(hi, y.compare(VectorOperators.GE, hi));
        y.intoArray(out, o + x * 16 + l);
      }
    }
  }

  /** L lanes of four consecutive output pixels of a depthwise row: four accumulators over one loop of window positions. */
  private static void depthwise4(float[] in, int p, int step, int[] kOff, float[] w, int wi, int biasOff, float[] out, int o,
      float[] res, int r, float lo, float hi) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < kOff.length; k++, wi += 16) {
      FloatVector wv = FloatVector.fromArray(S, w, wi);
      int i = p + kOff[k];
      a0 = FloatVector.fromArray(S, in, i).fma(wv, a0);
      a1 = FloatVector.fromArray(S, in, i + step).fma(wv, a1);
      a2 = FloatVector.fromArray(S, in, i + 2 * step).fma(wv, a2);
      a3 = FloatVector.fromArray(S, in, i + 3 * step).fma(wv, a3);
    }
    FloatVector bias = FloatVector.fromArray(S, w, biasOff);
    // each store in one path, its vector never merged from two (see depthwise1)
    if (res == null) {
      a0.add(bias).max(lo).min(hi).intoArray(out, o);
      a1.add(bias).max(lo).min(hi).intoArray(out, o + 16);
      a2.add(bias).max(lo).min(hi).intoArray(out, o + 32);
      a3.add(bias).max(lo).min(hi).intoArray(out, o + 48);
    } else { // each residual read before its output is written: out may alias res
      a0.add(bias).add(FloatVector.fromArray(S, res, r)).max(lo).min(hi).intoArray(out, o);
      a1.add(bias).add(FloatVector.fromArray(S, res, r + 16)).max(lo).min(hi).intoArray(out, o + 16);
      a2.add(bias).add(FloatVector.fromArray(S, res, r + 32)).max(lo).min(hi).intoArray(out, o + 32);
      a3.add(bias).add(FloatVector.fromArray(S, res, r + 48)).max(lo).min(hi).intoArray(out, o + 48);
    }
  }

  /**
   * L lanes of one output pixel of a depthwise row (the row's last pixels, fewer than four; on a 7x7 map
   * three of every row's seven at 512 bits). The epilogue is written out in each path: it was a helper
   * taking the vector, whose residual add merged the vector from two paths before the store, and in
   * one mobilenet_v2 bench JVM of several (AMD EPYC Zen 5, 512 bits) each call here boxed one vector,
   * 118 KB a call of each 7x7 depthwise step (the bench's step finder named them).
   */
  private static void depthwise1(float[] in, int p, int[] kOff, float[] w, int wi, int biasOff, float[] out, int o, float[] res, int r, float lo,
      float hi) {
    FloatVector a = FloatVector.zero(S);
    for (int k = 0; k < kOff.length; k++, wi += 16) a = FloatVector.fromArray(S, in, p + kOff[k]).fma(FloatVector.fromArray(S, w, wi), a);
    FloatVector y = a.add(FloatVector.fromArray(S, w, biasOff));
    if (res == null) y.max(lo).min(hi).intoArray(out, o);
    else y.add(FloatVector.fromArray(S, res, r)).max(lo).min(hi).intoArray(out, o);
  }

  /**
   * The rearranges of {@link #groupedRow} for groups of g channels narrower than a vector: lane o takes
   * lane (o / g) g + j, channel j of its own group (where a vector lies in one group, L <= g, the
   * kernels broadcast instead and these are not used: their indices are then kept in range).
   */
  static final VectorShuffle<Float> G2_0 = VectorShuffle.fromArray(S, groupLanes(2, 0), 0), G2_1 = VectorShuffle.fromArray(S, groupLanes(2, 1), 0);
  /** Lanes 4 to 7: at 256 bits (the only width that uses it) the second group of 4 channels of a vector. */
  static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(S, 0xF0L & ((1L << L) - 1));
  static final VectorShuffle<Float> G4_0 = VectorShuffle.fromArray(S, groupLanes(4, 0), 0), G4_1 = VectorShuffle.fromArray(S, groupLanes(4, 1), 0), G4_2 = VectorShuffle.fromArray(S, groupLanes(4, 2), 0), G4_3 = VectorShuffle.fromArray(S, groupLanes(4, 3), 0);

  /** The source lanes of G{g}_{j} (an int array, so no method passes vectors: VectorHelpersInlineTest). */
  private static int[] groupLanes(int g, int j) {
    int[] index = new int[L];
    for (int o = 0; o < L; o++) index[o] = Math.min(o / g * g + j, L - 1);
    return index;
  }

  /**
   * {@link Kernels#groupedRow}: four pixels at a time, then one, each lane chunk's sums in registers
   * with the epilogue of {@link #depthwise4}. Where a vector holds several groups (L > g) each input
   * vector is rearranged once per group channel j, a shuffle per multiply-add; where it lies in one
   * group (groups of 4 at 128 bits) the input is a broadcast from memory. Groups of 4 at 256 bits (two a
   * vector) take two broadcasts joined by a blend instead: with AVX2 code (-XX:UseAVX=2, AMD EPYC Zen 4)
   * the rearranges ran resnext50_32x4d's layer1 grouped convs at 7.7 GFLOP/s inside the network (C2's
   * -XX:+PrintIntrinsics showed four vector intrinsics failing there for want of constants) and 24.5 alone, the blends at 32.6 in both,
   * one thread (3.77 -> 0.89 ms a conv; ONNX Runtime's own 1.16). Measured in a micro-benchmark
   * of one block (AMD EPYC Zen 5, 14 pixels, 3x3 window, groups of 4): 163 GFLOP/s of the grouped conv's
   * own multiply-adds at 512 bits and 47-50 at 256, where the dense 16 x 16 block computed the same
   * outputs at 52 and 30; in resnext50_32x4d, one thread, layer1's grouped convs (groups of 4) took 0.59
   * of the dense block's time at 512 bits, 0.87 at 256 and 0.54 at 128. Groups of 8 are left to the dense
   * block (layer2's convs took 1.25 and 1.37 of its time here: 8 rearranges and 8 multiply-adds a pixel
   * and window position against 16 multiply-adds with their broadcasts from memory).
   */
  @Override
  public void groupedRow(int g, float[] in, int inBase, int step, int[] kOff, float[] w, int wBase, int biasOff,
      float[] out, int outBase, int outW, float[] res, int resBase, int act, float slope) {
    if (g != 2 && g != 4) throw new IllegalArgumentException("groups of " + g + " channels: 2 or 4");
    float lo = low(act), hi = high(act, slope);
    float[] acc = SCRATCH.get();
    for (int lane = 0; lane < 16; lane += L) {
      int x = 0;
      for (; x + 4 <= outW; x += 4) {
        int p = inBase + x * step, o = outBase + x * 16, r = resBase + x * 16;
        if (g == 2) grouped2x4(in, p, step, lane, kOff, w, wBase, acc);
        else grouped4x4(in, p, step, lane, kOff, w, wBase, acc);
        groupedFinish(acc, 4, lane, w, biasOff, out, o, res, r, lo, hi);
      }
      for (; x < outW; x++) {
        int p = inBase + x * step, o = outBase + x * 16, r = resBase + x * 16;
        if (g == 2) grouped2x1(in, p, step, lane, kOff, w, wBase, acc);
        else grouped4x1(in, p, step, lane, kOff, w, wBase, acc);
        groupedFinish(acc, 1, lane, w, biasOff, out, o, res, r, lo, hi);
      }
    }
    if (afterStore(act)) for (int x = 0; x < outW; x++) activateInPlace(out, outBase + x * 16, act, slope);
  }

  /** 4 pixels x L lanes (from block lane {@code lane}) of {@link #groupedRow} for groups of 2. */
  private static void grouped2x4(float[] in, int p, int step, int lane, int[] kOff, float[] w, int wi, float[] acc) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int first = lane / 2 * 2; // where L <= 2: the input lane of the group that holds these L lanes
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int i = p + kOff[k];
      FloatVector wv;
      if (L > 2) { // each vector holds several groups: input lane (o / 2) 2 + j by a constant rearrange
        FloatVector x0 = FloatVector.fromArray(S, in, i + lane);
        FloatVector x1 = FloatVector.fromArray(S, in, i + 1 * step + lane);
        FloatVector x2 = FloatVector.fromArray(S, in, i + 2 * step + lane);
        FloatVector x3 = FloatVector.fromArray(S, in, i + 3 * step + lane);
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = x0.rearrange(G2_0).fma(wv, a0); a1 = x1.rearrange(G2_0).fma(wv, a1); a2 = x2.rearrange(G2_0).fma(wv, a2); a3 = x3.rearrange(G2_0).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = x0.rearrange(G2_1).fma(wv, a0); a1 = x1.rearrange(G2_1).fma(wv, a1); a2 = x2.rearrange(G2_1).fma(wv, a2); a3 = x3.rearrange(G2_1).fma(wv, a3);
      } else { // the vector lies in one group: input lane first + j, broadcast
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = FloatVector.broadcast(S, in[i + first + 0]).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i + 1 * step + first + 0]).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i + 2 * step + first + 0]).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i + 3 * step + first + 0]).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = FloatVector.broadcast(S, in[i + first + 1]).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i + 1 * step + first + 1]).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i + 2 * step + first + 1]).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i + 3 * step + first + 1]).fma(wv, a3);
      }
    }
    a0.intoArray(acc, 0); a1.intoArray(acc, L); a2.intoArray(acc, 2 * L); a3.intoArray(acc, 3 * L);
  }

  /** 1 pixel x L lanes (from block lane {@code lane}) of {@link #groupedRow} for groups of 2. */
  private static void grouped2x1(float[] in, int p, int step, int lane, int[] kOff, float[] w, int wi, float[] acc) {
    FloatVector a0 = FloatVector.zero(S);
    int first = lane / 2 * 2; // where L <= 2: the input lane of the group that holds these L lanes
    for (int k = 0; k < kOff.length; k++, wi += 32) {
      int i = p + kOff[k];
      FloatVector wv;
      if (L > 2) { // each vector holds several groups: input lane (o / 2) 2 + j by a constant rearrange
        FloatVector x0 = FloatVector.fromArray(S, in, i + lane);
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = x0.rearrange(G2_0).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = x0.rearrange(G2_1).fma(wv, a0);
      } else { // the vector lies in one group: input lane first + j, broadcast
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = FloatVector.broadcast(S, in[i + first + 0]).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = FloatVector.broadcast(S, in[i + first + 1]).fma(wv, a0);
      }
    }
    a0.intoArray(acc, 0);
  }

  /** 4 pixels x L lanes (from block lane {@code lane}) of {@link #groupedRow} for groups of 4. */
  private static void grouped4x4(float[] in, int p, int step, int lane, int[] kOff, float[] w, int wi, float[] acc) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int first = lane / 4 * 4; // where L <= 4: the input lane of the group that holds these L lanes
    for (int k = 0; k < kOff.length; k++, wi += 64) {
      int i = p + kOff[k];
      FloatVector wv;
      if (L == 8) { // two groups a vector: channel j of each, two broadcasts joined by a blend
        int i1 = i + step, i2 = i + 2 * step, i3 = i + 3 * step;
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 0]).blend(in[i + lane + 4], UPPER_HALF).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i1 + lane + 0]).blend(in[i1 + lane + 4], UPPER_HALF).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i2 + lane + 0]).blend(in[i2 + lane + 4], UPPER_HALF).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i3 + lane + 0]).blend(in[i3 + lane + 4], UPPER_HALF).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 1]).blend(in[i + lane + 5], UPPER_HALF).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i1 + lane + 1]).blend(in[i1 + lane + 5], UPPER_HALF).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i2 + lane + 1]).blend(in[i2 + lane + 5], UPPER_HALF).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i3 + lane + 1]).blend(in[i3 + lane + 5], UPPER_HALF).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 32 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 2]).blend(in[i + lane + 6], UPPER_HALF).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i1 + lane + 2]).blend(in[i1 + lane + 6], UPPER_HALF).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i2 + lane + 2]).blend(in[i2 + lane + 6], UPPER_HALF).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i3 + lane + 2]).blend(in[i3 + lane + 6], UPPER_HALF).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 48 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 3]).blend(in[i + lane + 7], UPPER_HALF).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i1 + lane + 3]).blend(in[i1 + lane + 7], UPPER_HALF).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i2 + lane + 3]).blend(in[i2 + lane + 7], UPPER_HALF).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i3 + lane + 3]).blend(in[i3 + lane + 7], UPPER_HALF).fma(wv, a3);
      } else if (L > 4) { // each vector holds several groups: input lane (o / 4) 4 + j by a constant rearrange
        FloatVector x0 = FloatVector.fromArray(S, in, i + lane);
        FloatVector x1 = FloatVector.fromArray(S, in, i + 1 * step + lane);
        FloatVector x2 = FloatVector.fromArray(S, in, i + 2 * step + lane);
        FloatVector x3 = FloatVector.fromArray(S, in, i + 3 * step + lane);
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = x0.rearrange(G4_0).fma(wv, a0); a1 = x1.rearrange(G4_0).fma(wv, a1); a2 = x2.rearrange(G4_0).fma(wv, a2); a3 = x3.rearrange(G4_0).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = x0.rearrange(G4_1).fma(wv, a0); a1 = x1.rearrange(G4_1).fma(wv, a1); a2 = x2.rearrange(G4_1).fma(wv, a2); a3 = x3.rearrange(G4_1).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 32 + lane); a0 = x0.rearrange(G4_2).fma(wv, a0); a1 = x1.rearrange(G4_2).fma(wv, a1); a2 = x2.rearrange(G4_2).fma(wv, a2); a3 = x3.rearrange(G4_2).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 48 + lane); a0 = x0.rearrange(G4_3).fma(wv, a0); a1 = x1.rearrange(G4_3).fma(wv, a1); a2 = x2.rearrange(G4_3).fma(wv, a2); a3 = x3.rearrange(G4_3).fma(wv, a3);
      } else { // the vector lies in one group: input lane first + j, broadcast
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = FloatVector.broadcast(S, in[i + first + 0]).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i + 1 * step + first + 0]).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i + 2 * step + first + 0]).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i + 3 * step + first + 0]).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = FloatVector.broadcast(S, in[i + first + 1]).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i + 1 * step + first + 1]).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i + 2 * step + first + 1]).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i + 3 * step + first + 1]).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 32 + lane); a0 = FloatVector.broadcast(S, in[i + first + 2]).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i + 1 * step + first + 2]).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i + 2 * step + first + 2]).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i + 3 * step + first + 2]).fma(wv, a3);
        wv = FloatVector.fromArray(S, w, wi + 48 + lane); a0 = FloatVector.broadcast(S, in[i + first + 3]).fma(wv, a0); a1 = FloatVector.broadcast(S, in[i + 1 * step + first + 3]).fma(wv, a1); a2 = FloatVector.broadcast(S, in[i + 2 * step + first + 3]).fma(wv, a2); a3 = FloatVector.broadcast(S, in[i + 3 * step + first + 3]).fma(wv, a3);
      }
    }
    a0.intoArray(acc, 0); a1.intoArray(acc, L); a2.intoArray(acc, 2 * L); a3.intoArray(acc, 3 * L);
  }

  /** 1 pixel x L lanes (from block lane {@code lane}) of {@link #groupedRow} for groups of 4. */
  private static void grouped4x1(float[] in, int p, int step, int lane, int[] kOff, float[] w, int wi, float[] acc) {
    FloatVector a0 = FloatVector.zero(S);
    int first = lane / 4 * 4; // where L <= 4: the input lane of the group that holds these L lanes
    for (int k = 0; k < kOff.length; k++, wi += 64) {
      int i = p + kOff[k];
      FloatVector wv;
      if (L == 8) { // two groups a vector: channel j of each, two broadcasts joined by a blend
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 0]).blend(in[i + lane + 4], UPPER_HALF).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 1]).blend(in[i + lane + 5], UPPER_HALF).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 32 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 2]).blend(in[i + lane + 6], UPPER_HALF).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 48 + lane); a0 = FloatVector.broadcast(S, in[i + lane + 3]).blend(in[i + lane + 7], UPPER_HALF).fma(wv, a0);
      } else if (L > 4) { // each vector holds several groups: input lane (o / 4) 4 + j by a constant rearrange
        FloatVector x0 = FloatVector.fromArray(S, in, i + lane);
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = x0.rearrange(G4_0).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = x0.rearrange(G4_1).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 32 + lane); a0 = x0.rearrange(G4_2).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 48 + lane); a0 = x0.rearrange(G4_3).fma(wv, a0);
      } else { // the vector lies in one group: input lane first + j, broadcast
        wv = FloatVector.fromArray(S, w, wi + 0 + lane); a0 = FloatVector.broadcast(S, in[i + first + 0]).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 16 + lane); a0 = FloatVector.broadcast(S, in[i + first + 1]).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 32 + lane); a0 = FloatVector.broadcast(S, in[i + first + 2]).fma(wv, a0);
        wv = FloatVector.fromArray(S, w, wi + 48 + lane); a0 = FloatVector.broadcast(S, in[i + first + 3]).fma(wv, a0);
      }
    }
    a0.intoArray(acc, 0);
  }



  /**
   * The epilogue of {@link #groupedRow}'s kernels: {@code pixels} pixels' sums of L lanes from {@code acc}
   * ([pixel][L]) + the bias (+ the residual), clamped ({@link #low}), stored. Apart from the kernels, which
   * leave their accumulators in {@code acc}: written into each, the four pixels' adds and clamps took C2
   * past its inlining budget (NodeCountInliningCutoff) at 256 bits and the last clamp boxed, 0.2 MB a
   * forward pass of GeneratedModelTest's grouped network (WarmAllocationTest, -Dnetc.vectorBits=256).
   * The trip through {@code acc} measured level: resnext50_32x4d's layer1 grouped convs 1.001 of their
   * time at 512 bits, one thread, alternated in one JVM with the kernels before (docs/performance-log.md).
   * Each residual is read before its output is written: out may alias res.
   */
  private static void groupedFinish(float[] acc, int pixels, int lane, float[] w, int biasOff, float[] out, int o, float[] res, int r,
      float lo, float hi) {
    FloatVector bias = FloatVector.fromArray(S, w, biasOff + lane);
    for (int t = 0; t < pixels; t++) {
      FloatVector v = FloatVector.fromArray(S, acc, t * L).add(bias);
      if (res != null) v = v.add(FloatVector.fromArray(S, res, r + t * 16 + lane));
      v = v.blend(lo, v.compare(VectorOperators.LE, lo));
      v.blend(hi, v.compare(VectorOperators.GE, hi)).intoArray(out, o + t * 16 + lane);
    }
  }

  /**
   * The activations that are a clamp, applied as values are stored, between lo = 0 for relu and clip
   * (else -infinity) and hi = clip's bound (else +infinity): v = v <= lo ? lo : v, then v >= hi ? hi : v,
   * each a compare and a blend. That gives the bits of Math.min(Math.max(v, lo), hi) for every float
   * (NaN stays NaN, -0 becomes lo = +0, and with no activation nothing changes, not even -0), where
   * FloatVector.max and min, which compile to Java's exact NaN and signed-zero rules, take six
   * instructions each on AVX-512 (2-4% of mobilenet_v2, mnasnet1_0 and resnet50 at 256 bits). The
   * two lines are written out at each store, not in a helper: a vector that crosses a call C2 does
   * not inline is boxed, and a clamp helper was, in mobilenet_v2's depthwise1 at 256 bits (the
   * epilogues of depthwise4 and depthwise1 keep max and min from those days). The others
   * (leaky_relu, sigmoid, tanh) run after the store, {@link #activateInPlace}. The bounds are floats
   * computed once per call.
   */
  private static float low(int act) {
    return act == RELU || act == CLIP ? 0f : Float.NEGATIVE_INFINITY;
  }

  /** See {@link #low}. */
  private static float high(int act, float slope) {
    return act == CLIP ? slope : Float.POSITIVE_INFINITY;
  }

  /** Whether an activation is applied after the store, by {@link #activateInPlace}: all but none, relu and clip. */
  private static boolean afterStore(int act) {
    return act == LEAKY_RELU || act == SIGMOID || act == TANH || act == SILU || act == HARDSIGMOID || act == HARDSWISH || act == GELU;
  }

  /**
   * Applies an activation of {@link #afterStore} to the 16 floats of one block at {@code off}, with the
   * operations of {@link ScalarKernels#apply} in its order (sigmoid and silu by {@link #sigmoidInPlace}), all but
   * tanh vectorized; tanh is scalar, with StrictMath, as the TANH intrinsic and the Vector API's Java
   * fallback differ in the last bit.
   */
  private static void activateInPlace(float[] a, int off, int act, float slope) {
    if (act == TANH) {
      for (int j = 0; j < 16; j++) a[off + j] = ScalarKernels.apply(a[off + j], act, slope);
      return;
    }
    if (act == SIGMOID || act == SILU) {
      sigmoidInPlace(a, off, act == SILU);
      return;
    }
    if (act == GELU) {
      geluInPlace(a, off);
      return;
    }
    for (int l = 0; l < 16; l += L) {
      FloatVector v = FloatVector.fromArray(S, a, off + l);
      switch (act) {
        case LEAKY_RELU -> v = v.blend(v.mul(slope), v.compare(VectorOperators.LT, 0f));
        default -> { // hardsigmoid, and hardswish: v times it
          FloatVector h = v.add(3f).max(0f).min(6f).div(6f);
          v = act == HARDSWISH ? h.mul(v) : h;
        }
      }
      v.intoArray(a, off + l);
    }
  }

  /**
   * sigmoid (1 / (1 + e^-x)) or silu (x / (1 + e^-x)) of the 16 floats at {@code off}, in place, with
   * {@link ScalarKernels#exp}'s operations in its order, lane by lane. The exp is written out here, not
   * called: a FloatVector passed to or returned from a method C2 does not inline is boxed, and C2
   * declined to inline a separate exp at 256 bits inside efficientnet_b0 (0.1 MB per forward pass).
   */
  static void sigmoidInPlace(float[] a, int off, boolean silu) {
    for (int l = 0; l < 16; l += L) {
      FloatVector v = FloatVector.fromArray(S, a, off + l);
      FloatVector x = v.neg().max(ScalarKernels.EXP_LO).min(ScalarKernels.EXP_HI);
      FloatVector t = x.mul(ScalarKernels.LOG2E).add(ScalarKernels.ROUND), n = t.sub(ScalarKernels.ROUND);
      FloatVector r = x.sub(n.mul(ScalarKernels.LN2_HI)).sub(n.mul(ScalarKernels.LN2_LO));
      FloatVector p = r.mul(ScalarKernels.P0).add(ScalarKernels.P1).mul(r).add(ScalarKernels.P2).mul(r).add(ScalarKernels.P3).mul(r)
          .add(ScalarKernels.P4).mul(r).add(ScalarKernels.P5);
      FloatVector e = p.mul(r.mul(r)).add(r).add(1f);
      IntVector bits = t.reinterpretAsInts().sub(ScalarKernels.ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
      FloatVector denominator = e.mul(bits.reinterpretAsFloats()).add(1f);
      if (silu) v.div(denominator).blend(v.mul(0f), v.neg().compare(VectorOperators.GT, ScalarKernels.EXP_HI)).intoArray(a, off + l);
      else FloatVector.broadcast(S, 1f).div(denominator).intoArray(a, off + l);
    }
  }

  /**
   * gelu of the 16 floats at {@code off}, in place, with {@link ScalarKernels#gelu}'s operations in its
   * order (its exp written out, as in {@link #sigmoidInPlace}).
   */
  static void geluInPlace(float[] a, int off) {
    for (int l = 0; l < 16; l += L) {
      FloatVector v = FloatVector.fromArray(S, a, off + l);
      FloatVector z = v.abs().mul(ScalarKernels.RSQRT2).min(ScalarKernels.ERF_Z_MAX);
      FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(ScalarKernels.ERF_P).add(1f));
      FloatVector poly = t.mul(ScalarKernels.ERF_A5).add(ScalarKernels.ERF_A4).mul(t).add(ScalarKernels.ERF_A3).mul(t).add(ScalarKernels.ERF_A2)
          .mul(t).add(ScalarKernels.ERF_A1);
      FloatVector x = z.mul(z).neg().max(ScalarKernels.EXP_LO).min(ScalarKernels.EXP_HI);
      FloatVector et = x.mul(ScalarKernels.LOG2E).add(ScalarKernels.ROUND), n = et.sub(ScalarKernels.ROUND);
      FloatVector r = x.sub(n.mul(ScalarKernels.LN2_HI)).sub(n.mul(ScalarKernels.LN2_LO));
      FloatVector p = r.mul(ScalarKernels.P0).add(ScalarKernels.P1).mul(r).add(ScalarKernels.P2).mul(r).add(ScalarKernels.P3).mul(r)
          .add(ScalarKernels.P4).mul(r).add(ScalarKernels.P5);
      FloatVector e = p.mul(r.mul(r)).add(r).add(1f);
      IntVector bits = et.reinterpretAsInts().sub(ScalarKernels.ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
      FloatVector q = t.mul(poly).mul(e.mul(bits.reinterpretAsFloats())).blend(0f, z.compare(VectorOperators.EQ, ScalarKernels.ERF_Z_MAX));
      FloatVector factor = FloatVector.broadcast(S, 2f).sub(q).blend(q, v.compare(VectorOperators.LT, 0f));
      v.mul(0.5f).mul(factor).intoArray(a, off + l);
    }
  }

  @Override
  public void fc(float[] in, int inBase, int inPadded, float[] w, int wBase, int biasOff, float[] out, int outBase,
      int act, float slope, int from, int to) {
    float[] lanes = SCRATCH.get();
    int o = from;
    for (; o + FC_ROWS <= to; o += FC_ROWS) {
      fcRows(in, inBase, inPadded, w, wBase + o * inPadded, lanes);
      for (int r = 0; r < FC_ROWS; r++) out[outBase + o + r] = fcFinish(lanes, r * 16, w, biasOff, o + r, act, slope);
    }
    for (; o < to; o++) {
      int row = wBase + o * inPadded;
      // 16 lane sums, L at a time: lane j sums in[i + j] w[row + i + j] over i in steps of 16, on every width
      for (int l = 0; l < 16; l += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = l; i < inPadded; i += 16) {
          acc = FloatVector.fromArray(S, in, inBase + i).fma(FloatVector.fromArray(S, w, row + i), acc);
        }
        acc.intoArray(lanes, l);
      }
      out[outBase + o] = fcFinish(lanes, 0, w, biasOff, o, act, slope);
    }
  }

  /** Rows of an fc computed together by {@link #fcRows}: 8 accumulators of V vectors a row (8 rows at 512 bits, 4 at 256, 2 at 128). */
  static final int FC_ROWS = 8 / V;

  /**
   * The 16 lane sums of FC_ROWS consecutive rows of an fc's weights from {@code row} (row r's at lanes[16 r ..]),
   * each lane summed over i in steps of 16 as the one-row loop sums it: the same bits. One row's single chain
   * of dependent multiply-adds (80 of 4 cycles for 1280 inputs) bounded that loop by latency: mobilenet_v2's
   * classifier took 0.156 ms one thread at 256 bits, against ONNX Runtime's 0.087 (AMD EPYC Zen 5). Here the
   * input vector is loaded once for the rows, and eight chains keep the FMA pipes busy: that step 0.72 of its
   * time at 256 bits (jars before and after alternated in one JVM, one thread; each call's weights partly from
   * memory, as the other jar ran between), level at 512, where it was bound by memory already.
   */
  private static void fcRows(float[] in, int inBase, int inPadded, float[] w, int row, float[] lanes) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int i = 0; i < inPadded; i += 16) {
      int x = inBase + i, r = row + i;
      a0 = FloatVector.fromArray(S, in, x).fma(FloatVector.fromArray(S, w, r), a0);
      a1 = FloatVector.fromArray(S, in, x + 1 % V * L).fma(FloatVector.fromArray(S, w, r + 1 / V * inPadded + 1 % V * L), a1);
      a2 = FloatVector.fromArray(S, in, x + 2 % V * L).fma(FloatVector.fromArray(S, w, r + 2 / V * inPadded + 2 % V * L), a2);
      a3 = FloatVector.fromArray(S, in, x + 3 % V * L).fma(FloatVector.fromArray(S, w, r + 3 / V * inPadded + 3 % V * L), a3);
      a4 = FloatVector.fromArray(S, in, x + 4 % V * L).fma(FloatVector.fromArray(S, w, r + 4 / V * inPadded + 4 % V * L), a4);
      a5 = FloatVector.fromArray(S, in, x + 5 % V * L).fma(FloatVector.fromArray(S, w, r + 5 / V * inPadded + 5 % V * L), a5);
      a6 = FloatVector.fromArray(S, in, x + 6 % V * L).fma(FloatVector.fromArray(S, w, r + 6 / V * inPadded + 6 % V * L), a6);
      a7 = FloatVector.fromArray(S, in, x + 7 % V * L).fma(FloatVector.fromArray(S, w, r + 7 / V * inPadded + 7 % V * L), a7);
    }
    a0.intoArray(lanes, 0);
    a1.intoArray(lanes, 1 / V * 16 + 1 % V * L);
    a2.intoArray(lanes, 2 / V * 16 + 2 % V * L);
    a3.intoArray(lanes, 3 / V * 16 + 3 % V * L);
    a4.intoArray(lanes, 4 / V * 16 + 4 % V * L);
    a5.intoArray(lanes, 5 / V * 16 + 5 % V * L);
    a6.intoArray(lanes, 6 / V * 16 + 6 % V * L);
    a7.intoArray(lanes, 7 / V * 16 + 7 % V * L);
  }

  /**
   * Output o of an fc from its 16 lane sums at lanes[at ..]: summed in a fixed order (reduceLanes' is
   * unspecified, the intrinsic and the Java fallback differ, and the result must not depend on the JIT
   * tier), + the bias, the activation.
   */
  private static float fcFinish(float[] lanes, int at, float[] w, int biasOff, int o, int act, float slope) {
    return ScalarKernels.apply(ScalarKernels.sumLanes(lanes, at) + (biasOff < 0 ? 0 : w[biasOff + o]), act, slope);
  }

  @Override
  public void activate(float[] a, int base, int n, int act, float slope, float[] out, int outBase) {
    float lo = low(act), hi = high(act, slope);
    for (int i = 0; i < n; i += L) {
      FloatVector v = FloatVector.fromArray(S, a, base + i);
      v = v.blend(lo, v.compare(VectorOperators.LE, lo));
      v = v.blend(hi, v.compare(VectorOperators.GE, hi));
      v.intoArray(out, outBase + i);
    }
    if (afterStore(act)) for (int i = 0; i < n; i += 16) activateInPlace(out, outBase + i, act, slope);
  }

  @Override
  public void add(float[] x, int xBase, float[] y, int yBase, float[] out, int outBase, int n, int act, float slope) {
    float lo = low(act), hi = high(act, slope);
    for (int i = 0; i < n; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xBase + i).add(FloatVector.fromArray(S, y, yBase + i));
      v = v.blend(lo, v.compare(VectorOperators.LE, lo));
      v = v.blend(hi, v.compare(VectorOperators.GE, hi));
      v.intoArray(out, outBase + i);
    }
    if (afterStore(act)) for (int i = 0; i < n; i += 16) activateInPlace(out, outBase + i, act, slope);
  }

  @Override
  public void scaleRow(float[] x, int xBase, float[] s, int sBase, float[] out, int outBase, int pixels) {
    for (int l = 0; l < 16; l += L) {
      FloatVector g = FloatVector.fromArray(S, s, sBase + l);
      for (int p = 0; p < pixels; p++) FloatVector.fromArray(S, x, xBase + p * 16 + l).mul(g).intoArray(out, outBase + p * 16 + l);
    }
  }

  @Override
  public void affineRow(float[] x, int xBase, float[] w, int scaleOff, int shiftOff, float[] out, int outBase, int pixels,
      int act, float slope) {
    float lo = low(act), hi = high(act, slope);
    for (int l = 0; l < 16; l += L) {
      FloatVector scale = FloatVector.fromArray(S, w, scaleOff + l), shift = FloatVector.fromArray(S, w, shiftOff + l);
      for (int p = 0; p < pixels; p++) {
        FloatVector v = FloatVector.fromArray(S, x, xBase + p * 16 + l).fma(scale, shift);
        v = v.blend(lo, v.compare(VectorOperators.LE, lo));
        v = v.blend(hi, v.compare(VectorOperators.GE, hi));
        v.intoArray(out, outBase + p * 16 + l);
      }
    }
    if (afterStore(act)) for (int p = 0; p < pixels; p++) activateInPlace(out, outBase + p * 16, act, slope);
  }

  @Override
  public void maxPoolRow(float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw) {
    int y0 = Math.max(0, oy * sh - ph), y1 = Math.min(inH, oy * sh - ph + kh);
    // 3x3 windows (ResNet's stem pool), borders included, unrolled: a tap in the padding reads the
    // nearest tap inside the window instead, which leaves a max unchanged (max is exact, in any order
    // and with repeats). So no window runs the loop below, whose vector carried round a loop C2 once
    // compiled without its intrinsics in one JVM of eight (913 KB boxed per resnet18 call at 128 bits,
    // only the border windows taking the loop then).
    boolean unrolled = kh == 3 && kw == 3 && y1 > y0;
    int top = oy * sh - ph;
    int r0 = inBase + Math.min(Math.max(top, y0), y1 - 1) * inRowStride, r1 = inBase + Math.min(Math.max(top + 1, y0), y1 - 1) * inRowStride;
    int r2 = inBase + Math.min(Math.max(top + 2, y0), y1 - 1) * inRowStride;
    // the windows wholly inside the row: taps at fixed distances, none clipped
    int inside0 = 0, inside1 = 0;
    if (unrolled) {
      inside0 = Math.min(outW, (pw + sw - 1) / sw);
      inside1 = Math.max(inside0, Math.min(outW, inW - 3 + pw < 0 ? 0 : (inW - 3 + pw) / sw + 1));
    }
    for (int ox = inside0; ox < inside1; ox++) {
      int c = (ox * sw - pw) * 16;
      max3x3(in, r0, r1, r2, c, c + 16, c + 32, out, outBase + ox * 16);
    }
    for (int ox = 0; ox < outW; ox++) {
      if (ox == inside0 && inside1 > inside0) ox = inside1;
      if (ox >= outW) break;
      int x0 = Math.max(0, ox * sw - pw), x1 = Math.min(inW, ox * sw - pw + kw);
      if (unrolled && x1 > x0) {
        int left = ox * sw - pw;
        int c0 = Math.min(Math.max(left, x0), x1 - 1) * 16, c1 = Math.min(Math.max(left + 1, x0), x1 - 1) * 16;
        int c2 = Math.min(Math.max(left + 2, x0), x1 - 1) * 16;
        max3x3(in, r0, r1, r2, c0, c1, c2, out, outBase + ox * 16);
        continue;
      }
      // one flat loop over the clipped window keeps the accumulator in a register; the offset steps
      // along a row and jumps to the next at its end (no division per element)
      int cols = Math.max(0, x1 - x0), n = Math.max(0, y1 - y0) * cols, rowJump = inRowStride - cols * 16; // an empty window: -inf
      for (int l = 0; l < 16; l += L) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0, c = 0, off = inBase + y0 * inRowStride + x0 * 16 + l; i < n; i++, off += 16) {
          if (c == cols) {
            c = 0;
            off += rowJump;
          }
          c++;
          FloatVector v = FloatVector.fromArray(S, in, off);
          acc = acc.max(v);
        }
        acc.intoArray(out, outBase + ox * 16 + l);
      }
    }
  }

  /** The max of a 3x3 window's taps, rows at r0, r1, r2 and columns at c0, c1, c2 (floats), stored at {@code out[o ..]}: one pixel's 16 channels. */
  private static void max3x3(float[] in, int r0, int r1, int r2, int c0, int c1, int c2, float[] out, int o) {
    for (int l = 0; l < 16; l += L) {
      FloatVector a = FloatVector.fromArray(S, in, r0 + c0 + l).max(FloatVector.fromArray(S, in, r0 + c1 + l)).max(FloatVector.fromArray(S, in, r0 + c2 + l));
      FloatVector b = FloatVector.fromArray(S, in, r1 + c0 + l).max(FloatVector.fromArray(S, in, r1 + c1 + l)).max(FloatVector.fromArray(S, in, r1 + c2 + l));
      FloatVector c = FloatVector.fromArray(S, in, r2 + c0 + l).max(FloatVector.fromArray(S, in, r2 + c1 + l)).max(FloatVector.fromArray(S, in, r2 + c2 + l));
      a.max(b).max(c).intoArray(out, o + l);
    }
  }

  @Override
  public void avgPoolRow(float[] in, int inBase, int inRowStride, int inH, int inW, float[] out, int outBase,
      int outW, int oy, int kh, int kw, int sh, int sw, int ph, int pw, int limH, int limW, boolean countPad) {
    int y0 = Math.max(0, oy * sh - ph), y1 = Math.min(inH, oy * sh - ph + kh);
    for (int ox = 0; ox < outW; ox++) {
      int x0 = Math.max(0, ox * sw - pw), x1 = Math.min(inW, ox * sw - pw + kw);
      float inv = 1f / poolDivisor(oy * sh - ph, ox * sw - pw, kh, kw, inH, inW, limH, limW, countPad);
      int cols = x1 - x0, n = (y1 - y0) * cols, rowJump = inRowStride - cols * 16;
      for (int l = 0; l < 16; l += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0, c = 0, off = inBase + y0 * inRowStride + x0 * 16 + l; i < n; i++, off += 16) {
          if (c == cols) {
            c = 0;
            off += rowJump;
          }
          c++;
          acc = acc.add(FloatVector.fromArray(S, in, off));
        }
        acc.mul(inv).intoArray(out, outBase + ox * 16 + l);
      }
    }
  }

  @Override
  public void clamp(float[] a, int base, int n, float lo, float hi, float[] out, int outBase) {
    // any bounds, -0 among them, where the compares and blends of the activations would differ from
    // Math.max and min (a bound of -0 against a value of +0): FloatVector.max and min give their bits
    for (int i = 0; i < n; i += L) FloatVector.fromArray(S, a, base + i).max(lo).min(hi).intoArray(out, outBase + i);
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

  // Each body below handles L lanes of a block and sits in a loop over the block's 16 / L parts, so
  // its vectors never outlive one iteration.

  @Override
  public void winogradInput(float[] in, int inBase, int rowStride, int tiles, float[] v, int vBase, int vPos) {
    float[] t = transformScratch(16 * 16);
    for (int tile = 0; tile < tiles; tile++) {
      int a = inBase + tile * 32;
      for (int j = 0; j < 4; j++) { // column j of B^T d
        for (int l = 0; l < 16; l += L) {
          int c = a + j * 16 + l, o = j * 16 + l;
          FloatVector d0 = FloatVector.fromArray(S, in, c), d1 = FloatVector.fromArray(S, in, c + rowStride);
          FloatVector d2 = FloatVector.fromArray(S, in, c + 2 * rowStride), d3 = FloatVector.fromArray(S, in, c + 3 * rowStride);
          d0.sub(d2).intoArray(t, o);
          d1.add(d2).intoArray(t, 64 + o);
          d2.sub(d1).intoArray(t, 128 + o);
          d1.sub(d3).intoArray(t, 192 + o);
        }
      }
      for (int i = 0; i < 4; i++) { // row i of (B^T d) B
        for (int l = 0; l < 16; l += L) {
          int r = i * 64 + l, q = vBase + tile * 16 + 4 * i * vPos + l;
          FloatVector t0 = FloatVector.fromArray(S, t, r), t1 = FloatVector.fromArray(S, t, r + 16);
          FloatVector t2 = FloatVector.fromArray(S, t, r + 32), t3 = FloatVector.fromArray(S, t, r + 48);
          t0.sub(t2).intoArray(v, q);
          t1.add(t2).intoArray(v, q + vPos);
          t2.sub(t1).intoArray(v, q + 2 * vPos);
          t1.sub(t3).intoArray(v, q + 3 * vPos);
        }
      }
    }
  }

  @Override
  public void winogradProductLanes(float[] v, int vBase, int k, float[] w, int wBase, int n0, int n1, float[] m, int mBase) {
    for (int n = n0; n < n1; n += LANE_CHANNELS) {
      int wa = wBase + n / LANE_PANEL * k * LANE_PANEL;
      Tiles.lanes(v, vBase, k, w, wa, wa + k * LANE_PANEL, m, mBase + 16 * n);
    }
  }

  @Override
  public void winogradOutput(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] s = transformScratch(16 * 16);
    float lo = low(act), hi = high(act, slope);
    for (int tile = 0; tile < tiles; tile++) {
      int a = mBase + tile * 16;
      for (int j = 0; j < 4; j++) { // column j of A^T m
        for (int l = 0; l < 16; l += L) {
          int c = a + j * mPos + l;
          FloatVector m0 = FloatVector.fromArray(S, m, c), m1 = FloatVector.fromArray(S, m, c + 4 * mPos);
          FloatVector m2 = FloatVector.fromArray(S, m, c + 8 * mPos), m3 = FloatVector.fromArray(S, m, c + 12 * mPos);
          m0.add(m1).add(m2).intoArray(s, j * 16 + l);
          m1.sub(m2).sub(m3).intoArray(s, 64 + j * 16 + l);
        }
      }
      int x = tile * 2;
      boolean second = x + 1 < outW;
      for (int i = 0; i < rows; i++) { // row i of (A^T m) A, then the epilogue
        int o = outBase + i * outRowStride + x * 16, r = resBase + i * resRowStride + x * 16;
        for (int l = 0; l < 16; l += L) {
          FloatVector s0 = FloatVector.fromArray(S, s, i * 64 + l), s1 = FloatVector.fromArray(S, s, i * 64 + 16 + l);
          FloatVector s2 = FloatVector.fromArray(S, s, i * 64 + 32 + l), s3 = FloatVector.fromArray(S, s, i * 64 + 48 + l);
          FloatVector bias = FloatVector.fromArray(S, w, biasOff + l);
          FloatVector y0 = s0.add(s1).add(s2).add(bias), y1 = s1.sub(s2).sub(s3).add(bias);
          if (res != null) y0 = y0.add(FloatVector.fromArray(S, res, r + l));
          y0 = y0.blend(lo, y0.compare(VectorOperators.LE, lo));
          y0 = y0.blend(hi, y0.compare(VectorOperators.GE, hi));
          y0.intoArray(out, o + l);
          if (second) {
            if (res != null) y1 = y1.add(FloatVector.fromArray(S, res, r + 16 + l));
            y1 = y1.blend(lo, y1.compare(VectorOperators.LE, lo));
            y1 = y1.blend(hi, y1.compare(VectorOperators.GE, hi));
            y1.intoArray(out, o + 16 + l);
          }
        }
        if (afterStore(act)) {
          activateInPlace(out, o, act, slope);
          if (second) activateInPlace(out, o + 16, act, slope);
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
        for (int l = 0; l < 16; l += L) {
          int c = inBase + tile * 64 + j * 16 + l, o = tile * 576 + j * 16 + l;
          FloatVector x0 = FloatVector.fromArray(S, in, c), x1 = FloatVector.fromArray(S, in, c + rowStride);
          FloatVector x2 = FloatVector.fromArray(S, in, c + 2 * rowStride), x3 = FloatVector.fromArray(S, in, c + 3 * rowStride);
          FloatVector x4 = FloatVector.fromArray(S, in, c + 4 * rowStride), x5 = FloatVector.fromArray(S, in, c + 5 * rowStride);
          FloatVector t0 = x4.sub(x2.mul(4f)), t1 = x3.mul(0.5f).sub(x1.mul(2f)), t2 = x4.sub(x2.mul(0.25f)), t3 = x3.mul(2f).sub(x1.mul(0.5f));
          x0.sub(x2.mul(4.25f)).add(x4).intoArray(t, o);
          t0.add(t1).intoArray(t, o + 96);
          t0.sub(t1).intoArray(t, o + 192);
          t2.add(t3).intoArray(t, o + 288);
          t2.sub(t3).intoArray(t, o + 384);
          x1.sub(x3.mul(4.25f)).add(x5).intoArray(t, o + 480);
        }
      }
    }
  }

  /** (B^T d) B of each tile, row by row, into its 36 positions: position q of tile t at {@code v[vBase + q * vPos + 16 t]}. */
  private static void inputRows(float[] t, int tiles, float[] v, int vBase, int vPos) {
    java.util.Objects.checkFromIndexSize(vBase, 35 * vPos + tiles * 16, v.length);
    for (int tile = 0; tile < tiles; tile++) {
      for (int i = 0; i < 6; i++) {
        for (int l = 0; l < 16; l += L) {
          int r = tile * 576 + i * 96 + l, q = vBase + tile * 16 + 6 * i * vPos + l;
          FloatVector x0 = FloatVector.fromArray(S, t, r), x1 = FloatVector.fromArray(S, t, r + 16);
          FloatVector x2 = FloatVector.fromArray(S, t, r + 32), x3 = FloatVector.fromArray(S, t, r + 48);
          FloatVector x4 = FloatVector.fromArray(S, t, r + 64), x5 = FloatVector.fromArray(S, t, r + 80);
          FloatVector t0 = x4.sub(x2.mul(4f)), t1 = x3.mul(0.5f).sub(x1.mul(2f)), t2 = x4.sub(x2.mul(0.25f)), t3 = x3.mul(2f).sub(x1.mul(0.5f));
          x0.sub(x2.mul(4.25f)).add(x4).intoArray(v, q);
          t0.add(t1).intoArray(v, q + vPos);
          t0.sub(t1).intoArray(v, q + 2 * vPos);
          t2.add(t3).intoArray(v, q + 3 * vPos);
          t2.sub(t3).intoArray(v, q + 4 * vPos);
          x1.sub(x3.mul(4.25f)).add(x5).intoArray(v, q + 5 * vPos);
        }
      }
    }
  }

  // The output transform is split as the input one is, each half its own method over a row of tiles:
  // in one method, the lane loops (two or four passes at 256 or 128 bits) took C2 past its inlining
  // budget and every vector was boxed (layer1's transforms 10-15 ms instead of 0.25 at 256 bits).
  @Override
  public void winograd4Output(float[] m, int mBase, int mPos, int tiles, float[] w, int biasOff, float[] out, int outBase,
      int outRowStride, int rows, int outW, float[] res, int resBase, int resRowStride, int act, float slope) {
    float[] s = transformScratch(tiles * 384);
    outputColumns(m, mBase, mPos, tiles, s);
    outputRows(s, tiles, w, biasOff, out, outBase, outRowStride, rows, outW, res, resBase, resRowStride);
    float lo = low(act), hi = high(act, slope);
    for (int i = 0; i < rows; i++) {
      int o = outBase + i * outRowStride;
      clampRow(out, o, outW * 16, lo, hi);
      if (afterStore(act)) for (int j = 0; j < outW; j++) activateInPlace(out, o + j * 16, act, slope);
    }
  }

  /** A^T m of each tile of a row (4 x 6 values per lane), column by column, as Kernels.at6: row i, column j of tile t at {@code s[384 t + 96 i + 16 j]}. */
  private static void outputColumns(float[] m, int mBase, int mPos, int tiles, float[] s) {
    java.util.Objects.checkFromIndexSize(mBase, 35 * mPos + tiles * 16, m.length);
    for (int tile = 0; tile < tiles; tile++) {
      for (int j = 0; j < 6; j++) {
        for (int l = 0; l < 16; l += L) {
          int c = mBase + tile * 16 + j * mPos + l, o = tile * 384 + j * 16 + l;
          FloatVector x0 = FloatVector.fromArray(S, m, c), x1 = FloatVector.fromArray(S, m, c + 6 * mPos);
          FloatVector x2 = FloatVector.fromArray(S, m, c + 12 * mPos), x3 = FloatVector.fromArray(S, m, c + 18 * mPos);
          FloatVector x4 = FloatVector.fromArray(S, m, c + 24 * mPos), x5 = FloatVector.fromArray(S, m, c + 30 * mPos);
          FloatVector p = x1.add(x2), q = x1.sub(x2), u = x3.add(x4), d = x3.sub(x4);
          x0.add(p).add(u).intoArray(s, o);
          q.mul(0.5f).add(d.mul(2f)).intoArray(s, o + 96);
          p.mul(0.25f).add(u.mul(4f)).intoArray(s, o + 192);
          q.mul(0.125f).add(d.mul(8f)).add(x5).intoArray(s, o + 288);
        }
      }
    }
  }

  /**
   * (A^T m) A of each tile, row by row, then the bias and residual, and the store of output pixel
   * (i, 4t + j) for i < rows and 4t + j < outW. The activation is a second pass over the stored rows,
   * in the caller ({@link #clampRow}): with the clamp inline (four calls of a store helper since removed), C2 reached
   * NodeCountInliningCutoff before the last store, which then took its vector as an object, boxed and
   * not intrinsified (resnet18 at 256 and 512 bits, two threads: 1.7-3.9 MB allocated per call, in
   * every bench run on an AMD EPYC Zen 4; `-XX:+PrintInlining` says so). With the pass still in this
   * method, -XX:+LogCompilation showed C2 at the cutoff again in 4 of 14 bench JVMs (resnet18,
   * squeezenet1_1; cut at its last call, afterStore): no margin. Each vector's residual is read before
   * its output is written, as before, so out may alias res.
   */
  private static void outputRows(float[] s, int tiles, float[] w, int biasOff, float[] out, int outBase, int outRowStride, int rows,
      int outW, float[] res, int resBase, int resRowStride) {
    for (int tile = 0; tile < tiles; tile++) {
      int cols = Math.min(4, outW - tile * 4);
      for (int i = 0; i < rows; i++) {
        int o = outBase + i * outRowStride + tile * 64, r = resBase + i * resRowStride + tile * 64;
        for (int l = 0; l < 16; l += L) {
          int a = tile * 384 + i * 96 + l;
          FloatVector x0 = FloatVector.fromArray(S, s, a), x1 = FloatVector.fromArray(S, s, a + 16);
          FloatVector x2 = FloatVector.fromArray(S, s, a + 32), x3 = FloatVector.fromArray(S, s, a + 48);
          FloatVector x4 = FloatVector.fromArray(S, s, a + 64), x5 = FloatVector.fromArray(S, s, a + 80);
          FloatVector bias = FloatVector.fromArray(S, w, biasOff + l);
          FloatVector p = x1.add(x2), q = x1.sub(x2), u = x3.add(x4), d = x3.sub(x4);
          FloatVector y0 = x0.add(p).add(u).add(bias), y1 = q.mul(0.5f).add(d.mul(2f)).add(bias);
          FloatVector y2 = p.mul(0.25f).add(u.mul(4f)).add(bias), y3 = q.mul(0.125f).add(d.mul(8f)).add(x5).add(bias);
          // two branches, no vector assigned in one of them: a vector merged from two paths (a phi)
          // fails VectorSupport.store's intrinsic on JDK 17 (-XX:+PrintInlining), and boxes
          if (res == null) {
            y0.intoArray(out, o + l);
            if (cols > 1) y1.intoArray(out, o + 16 + l);
            if (cols > 2) y2.intoArray(out, o + 32 + l);
            if (cols > 3) y3.intoArray(out, o + 48 + l);
          } else {
            y0.add(FloatVector.fromArray(S, res, r + l)).intoArray(out, o + l);
            if (cols > 1) y1.add(FloatVector.fromArray(S, res, r + 16 + l)).intoArray(out, o + 16 + l);
            if (cols > 2) y2.add(FloatVector.fromArray(S, res, r + 32 + l)).intoArray(out, o + 32 + l);
            if (cols > 3) y3.add(FloatVector.fromArray(S, res, r + 48 + l)).intoArray(out, o + 48 + l);
          }
        }
      }
    }
  }

  /** Clamps {@code n} floats of {@code a} from {@code off} to [lo, hi] in place (the F(4x4,3x3) epilogue's activation). */
  private static void clampRow(float[] a, int off, int n, float lo, float hi) {
    if (lo == Float.NEGATIVE_INFINITY && hi == Float.POSITIVE_INFINITY) return;
    for (int j = 0; j < n; j += L) FloatVector.fromArray(S, a, off + j).max(lo).min(hi).intoArray(a, off + j);
  }


  /** Per-thread sums of {@link #meanBlock}'s 16 lanes. */
  private static final ThreadLocal<double[]> MEAN_TOTALS = ThreadLocal.withInitial(() -> new double[16]);

  @Override
  public void meanBlock(float[] in, int inBase, int rowStride, int h, int w, float[] out, int outBase) {
    int n = h * w;
    double[] total = MEAN_TOTALS.get();
    float[] part = SCRATCH.get();
    java.util.Arrays.fill(total, 0);
    for (int l = 0; l < 16; l += L) {
      for (int c = 0; c < n; c += MEAN_CHUNK) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = c, end = Math.min(n, c + MEAN_CHUNK); i < end; i++) {
          acc = acc.add(FloatVector.fromArray(S, in, inBase + (i / w) * rowStride + (i % w) * 16 + l));
        }
        acc.intoArray(part, 0);
        for (int k = 0; k < L; k++) total[l + k] += part[k];
      }
    }
    for (int j = 0; j < 16; j++) out[outBase + j] = (float) (total[j] / n);
  }
}
