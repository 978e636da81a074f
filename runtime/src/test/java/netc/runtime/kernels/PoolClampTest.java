package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The average pool with torch's per-window divisor, clamp and the CLIP epilogue: vector kernels
 * against scalar ones (bit for bit: the same sums in the same order), and both against the divisors
 * worked out by hand.
 */
class PoolClampTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  /** One 3x3 block of 16 channels, channel j holding (pixel + 1) * (j + 1). */
  private static float[] block() {
    float[] in = new float[9 * 16];
    for (int p = 0; p < 9; p++) for (int j = 0; j < 16; j++) in[p * 16 + j] = (p + 1) * (j + 1);
    return in;
  }

  /** Output row {@code oy} of a 2x2 stride-2 pool over the 3x3 block, ceil mode (2 outputs), padding 1 before or not. */
  private static float[] row(Kernels k, int oy, int pad, boolean countPad) {
    float[] out = new float[2 * 16];
    k.avgPoolRow(block(), 0, 3 * 16, 3, 3, out, 0, 2, oy, 2, 2, 2, 2, pad, pad, 3 + pad, 3 + pad, countPad);
    return out;
  }

  @Test
  void divisorsAreTorchs() {
    // ceil mode, no padding: windows [1,2,4,5]/4, [3,6]/2 (the overhang past the input is not counted), channel 0
    float[] r = row(SCALAR, 0, 0, true);
    assertEquals(3f, r[0]);
    assertEquals(4.5f, r[16]);
    // padding 1 counted: [1]/4 and [2,3]/4; not counted: [1]/1 and [2,3]/2
    assertEquals(0.25f, row(SCALAR, 0, 1, true)[0]);
    assertEquals(1.25f, row(SCALAR, 0, 1, true)[16]);
    assertEquals(1f, row(SCALAR, 0, 1, false)[0]);
    assertEquals(2.5f, row(SCALAR, 0, 1, false)[16]);
    // channel 5 is 6x channel 0
    assertEquals(6 * 2.5f, row(SCALAR, 0, 1, false)[16 + 5]);
  }

  /**
   * A layer norm's statistics in double, as the interpreter's: 40 channels of 3000 plus a spread of 0.01
   * (in float the mean lost the spread's digits: outputs off by percents), and values whose squares pass
   * float's range (1e20 and -1e20 normalize to 1 and -1; in float the variance was infinite, the outputs 0).
   */
  @Test
  void aLayerNormKeepsItsDigitsAndItsRange() {
    int channels = 40;
    float[] in = new float[48 * 16], w = new float[2 * 48], out = new float[48 * 16]; // 3 blocks, one pixel each, planes 16 apart
    for (int c = 0; c < channels; c++) {
      in[(c >> 4) * 16 + (c & 15)] = 3000f + 0.01f * (float) Math.sin(c);
      w[c] = 1f;
    }
    double mean = 0, sq = 0;
    for (int c = 0; c < channels; c++) mean += in[(c >> 4) * 16 + (c & 15)];
    mean /= channels;
    for (int c = 0; c < channels; c++) sq += Math.pow(in[(c >> 4) * 16 + (c & 15)] - mean, 2);
    double inv = 1 / Math.sqrt(sq / channels + 1e-6);
    SCALAR.layerNormRow(in, 0, 16, channels, 1, w, 0, 48, 1e-6f, out, 0, 16);
    for (int c = 0; c < channels; c++) {
      assertEquals((in[(c >> 4) * 16 + (c & 15)] - mean) * inv, out[(c >> 4) * 16 + (c & 15)], 1e-5, "channel " + c);
    }
    float[] huge = new float[16], two = {1, 1, 0, 0}, y = new float[16];
    huge[0] = 1e20f;
    huge[1] = -1e20f;
    VECTOR.layerNormRow(huge, 0, 16, 2, 1, two, 0, 2, 1e-5f, y, 0, 16);
    assertEquals(1f, y[0], 1e-6);
    assertEquals(-1f, y[1], 1e-6);
  }

  /**
   * A global average pool over 2^22 pixels (a row of 64 read 65536 times: row stride 0) of 0.3 in
   * channel j times (j + 1): a float sum of the whole map loses digits as it grows (the old kernels
   * gave 0.2975 for 0.3), the chunked sums keep the mean within 1e-6; vector and scalar agree to the bit.
   */
  @Test
  void aMeanOverMillionsOfPixelsKeepsItsDigits() {
    float[] in = new float[64 * 16];
    for (int x = 0; x < 64; x++) for (int j = 0; j < 16; j++) in[x * 16 + j] = 0.3f * (j + 1);
    float[] scalar = new float[16], vector = new float[16];
    SCALAR.meanBlock(in, 0, 0, 65536, 64, scalar, 0);
    VECTOR.meanBlock(in, 0, 0, 65536, 64, vector, 0);
    assertArrayEquals(scalar, vector);
    for (int j = 0; j < 16; j++) assertEquals(0.3f * (j + 1), scalar[j], 1e-6 * (j + 1), "channel " + j);
    // a map smaller than a chunk, and one that ends inside one: the plain mean
    for (int[] hw : new int[][] {{3, 5}, {7, 13}}) {
      float[] small = new float[hw[0] * hw[1] * 16];
      double[] want = new double[16];
      for (int i = 0; i < small.length; i++) {
        small[i] = (float) Math.sin(i);
        want[i % 16] += small[i];
      }
      SCALAR.meanBlock(small, 0, hw[1] * 16, hw[0], hw[1], scalar, 0);
      VECTOR.meanBlock(small, 0, hw[1] * 16, hw[0], hw[1], vector, 0);
      assertArrayEquals(scalar, vector);
      for (int j = 0; j < 16; j++) assertEquals(want[j] / (hw[0] * hw[1]), scalar[j], 1e-6);
    }
  }

  /**
   * A 65536 x 65536 window padded 32768 on every side over a 1x1 map: 2^32 padded pixels (torch's
   * int64 count), which an int wrapped to 0 (infinite outputs); 46341^2 wrapped to a negative count.
   * Each window holds the one pixel.
   */
  @Test
  void windowsOfMorePixelsThanAnIntCounts() {
    assertEquals(1L << 32, Kernels.poolDivisor(-32768, -32768, 65536, 65536, 1, 1, 32769, 32769, true));
    assertEquals(46341L * 46341, Kernels.poolDivisor(-23170, -23170, 46341, 46341, 1, 1, 23171, 23171, true));
    assertEquals(1, Kernels.poolDivisor(-32768, -32768, 65536, 65536, 1, 1, 32769, 32769, false));
    float[] in = new float[16];
    for (int j = 0; j < 16; j++) in[j] = j + 1;
    for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
      float[] out = new float[16];
      k.avgPoolRow(in, 0, 16, 1, 1, out, 0, 1, 0, 65536, 65536, 65536, 65536, 32768, 32768, 32769, 32769, true);
      for (int j = 0; j < 16; j++) assertEquals(Math.scalb(j + 1f, -32), out[j], k.getClass().getSimpleName() + " channel " + j);
      k.avgPoolRow(in, 0, 16, 1, 1, out, 0, 1, 0, 46341, 46341, 46341, 46341, 23170, 23170, 23171, 23171, true);
      for (int j = 0; j < 16; j++) assertEquals((j + 1) / (46341.0 * 46341), out[j], 1e-6 * (j + 1) / (46341.0 * 46341), "channel " + j);
    }
  }

  /**
   * Max pooling, vector against scalar over every output row of maps of 1 to 12 columns, 3x3 windows
   * (the unrolled path, its windows wholly inside a row taken apart from the clipped ones) and 2x2 (the
   * general loop), strides 1 to 3, padding 0 and 1, and ceil mode's extra column and row past the input.
   */
  @Test
  void maxPoolingVectorEqualsScalarAtEveryBorder() {
    Random rng = new Random(3);
    int cases = 0;
    for (int inW = 1; inW <= 12; inW++) {
      int inH = 5;
      float[] in = new float[inH * inW * 16];
      for (int i = 0; i < in.length; i++) in[i] = (float) rng.nextGaussian();
      for (int k : new int[] {3, 2}) {
        for (int stride = 1; stride <= 3; stride++) {
          for (int pad = 0; pad <= Math.min(1, k / 2); pad++) {
            for (boolean ceil : new boolean[] {false, true}) {
              int span = inW + 2 * pad - k, spanH = inH + 2 * pad - k;
              if (span < 0 || spanH < 0) continue;
              int outW = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
              int outH = (ceil ? (spanH + stride - 1) / stride : spanH / stride) + 1;
              // torch drops a ceil-mode window that starts in the right padding or past the input
              if (ceil && (outW - 1) * stride >= inW + pad) outW--;
              if (ceil && (outH - 1) * stride >= inH + pad) outH--;
              for (int oy = 0; oy < outH; oy++) {
                float[] s = new float[outW * 16], v = new float[outW * 16];
                SCALAR.maxPoolRow(in, 0, inW * 16, inH, inW, s, 0, outW, oy, k, k, stride, stride, pad, pad);
                VECTOR.maxPoolRow(in, 0, inW * 16, inH, inW, v, 0, outW, oy, k, k, stride, stride, pad, pad);
                assertArrayEquals(s, v, "width " + inW + ", " + k + "x" + k + " stride " + stride + " pad " + pad + (ceil ? " ceil" : "") + " row " + oy);
                cases++;
              }
            }
          }
        }
      }
    }
    assertEquals(821, cases);
  }

  @Test
  void vectorKernelsEqualScalarOnes() {
    for (int oy = 0; oy < 2; oy++) {
      for (int pad = 0; pad < 2; pad++) {
        for (boolean countPad : new boolean[] {true, false}) {
          assertArrayEquals(row(SCALAR, oy, pad, countPad), row(VECTOR, oy, pad, countPad), "row " + oy + " pad " + pad + " " + countPad);
        }
      }
    }
    Random rng = new Random(1);
    float[] x = new float[64];
    for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian() * 4;
    float[] s = new float[64], v = new float[64];
    SCALAR.clamp(x, 0, 64, -0.5f, Float.POSITIVE_INFINITY, s, 0);
    VECTOR.clamp(x, 0, 64, -0.5f, Float.POSITIVE_INFINITY, v, 0);
    assertArrayEquals(s, v);
    for (int i = 0; i < 64; i++) assertEquals(Math.max(x[i], -0.5f), s[i]);
    SCALAR.activate(x, 0, 64, Kernels.CLIP, 6f, s, 0);
    VECTOR.activate(x, 0, 64, Kernels.CLIP, 6f, v, 0);
    assertArrayEquals(s, v);
    for (int i = 0; i < 64; i++) assertEquals(Math.min(Math.max(x[i], 0f), 6f), s[i]);
  }

  /**
   * The clamp activations where their edges are: -0, +0, NaN, the infinities, subnormals, values at the
   * bound, and clips whose bound is 6, 0, -0 and infinite. The vector kernels clamp with compares and
   * blends (FloatVector.max and min cost six instructions each), and must give the bits of
   * Math.min(Math.max(v, lo), hi) everywhere, as ScalarKernels.apply does: relu keeps NaN and makes -0
   * +0, no activation changes nothing. Through activate and through add (a residual add's epilogue,
   * which adds -0 + 0 = +0 first, so its edges are the sums').
   */
  @Test
  void clampActivationsKeepMathMaxMinBitsAtTheEdges() {
    float[] edges = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 6f, Math.nextDown(6f), Math.nextUp(6f),
        -Float.MIN_VALUE, Float.MIN_VALUE, -3f, 3f, Float.MAX_VALUE, -Float.MAX_VALUE, 0.5f, -0.5f};
    float[] x = new float[64], zeros = new float[64];
    for (int i = 0; i < x.length; i++) x[i] = edges[(i * 7) % edges.length];
    for (int act : new int[] {Kernels.NONE, Kernels.RELU, Kernels.CLIP}) {
      for (float bound : new float[] {6f, 0f, -0f, Float.POSITIVE_INFINITY}) {
        float[] s = new float[64], v = new float[64], sAdd = new float[64], vAdd = new float[64];
        SCALAR.activate(x, 0, 64, act, bound, s, 0);
        VECTOR.activate(x, 0, 64, act, bound, v, 0);
        SCALAR.add(x, 0, zeros, 0, sAdd, 0, 64, act, bound);
        VECTOR.add(x, 0, zeros, 0, vAdd, 0, 64, act, bound);
        for (int i = 0; i < 64; i++) {
          float lo = act == Kernels.NONE ? Float.NEGATIVE_INFINITY : 0f, hi = act == Kernels.CLIP ? bound : Float.POSITIVE_INFINITY;
          float expected = Math.min(Math.max(x[i], lo), hi), expectedAdd = Math.min(Math.max(x[i] + 0f, lo), hi);
          String where = "act " + act + ", bound " + bound + ", x " + x[i];
          assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(s[i]), "scalar activate, " + where);
          assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(v[i]), "vector activate, " + where);
          assertEquals(Float.floatToRawIntBits(expectedAdd), Float.floatToRawIntBits(sAdd[i]), "scalar add, " + where);
          assertEquals(Float.floatToRawIntBits(expectedAdd), Float.floatToRawIntBits(vAdd[i]), "vector add, " + where);
        }
      }
    }
  }

  /**
   * Max pooling 3x3 stride 2 with padding 1 over a 9x9 block (interior windows take the unrolled path,
   * border ones the clipped loop), values with -0, +0 and a NaN: vector and scalar kernels give the same
   * bits, and each output is the largest of its window worked out here.
   */
  @Test
  void maxPoolOfWholeAndClippedWindows() {
    // {size, output size, kernel, pad, stride}: 3x3 stride 2 with padding (ResNet's stem pool: borders
    // clipped at both ends), 3x3 without padding and a last window past the end (ceil mode), 2x2 (the
    // loop), 3x3 stride 1 with padding, and a 2x2 map whose every window is clipped on both sides
    for (int[] c : new int[][] {{9, 5, 3, 1, 2}, {8, 4, 3, 0, 2}, {8, 4, 2, 0, 2}, {6, 6, 3, 1, 1}, {2, 2, 3, 1, 1}}) {
      int h = c[0], w = c[0], outW = c[1], k = c[2], pad = c[3], st = c[4];
      float[] in = new float[h * w * 16];
      Random r = new Random(3);
      for (int i = 0; i < in.length; i++) in[i] = r.nextInt(5) == 0 ? (r.nextBoolean() ? -0f : 0f) : (float) r.nextGaussian();
      in[(Math.min(4, h - 1) * w + Math.min(4, w - 1)) * 16 + 7] = Float.NaN;
      in[3] = Float.NaN; // pixel (0, 0), channel 3: a corner, read through clamped border taps
      for (int oy = 0; oy < outW; oy++) {
        float[] v = new float[outW * 16], s = new float[outW * 16];
        VECTOR.maxPoolRow(in, 0, w * 16, h, w, v, 0, outW, oy, k, k, st, st, pad, pad);
        SCALAR.maxPoolRow(in, 0, w * 16, h, w, s, 0, outW, oy, k, k, st, st, pad, pad);
        String where = h + "x" + w + " kernel " + k + " pad " + pad + " stride " + st + " row " + oy;
        assertArrayEquals(s, v, where);
        for (int ox = 0; ox < outW; ox++) {
          for (int j = 0; j < 16; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int y = Math.max(0, oy * st - pad); y < Math.min(h, oy * st - pad + k); y++) {
              for (int x = Math.max(0, ox * st - pad); x < Math.min(w, ox * st - pad + k); x++) m = Math.max(m, in[(y * w + x) * 16 + j]);
            }
            assertEquals(m, v[ox * 16 + j], where + " pixel " + ox + " channel " + j);
          }
        }
      }
    }
  }
}
