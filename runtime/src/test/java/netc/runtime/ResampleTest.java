package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The windowed resample against the whole-image resample it replaced (kept here as the reference,
 * which matches torchvision on the fixtures): cropping after resizing everything must give the same
 * bytes as resizing only the window, for shrinking, enlarging and extreme aspect ratios, with either filter.
 */
class ResampleTest {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  @ParameterizedTest
  @EnumSource(Preprocess.Interpolation.class)
  void aWindowEqualsTheWholeResizeCropped(Preprocess.Interpolation filter) {
    Random r = new Random(11);
    for (int trial = 0; trial < 400; trial++) {
      int w = 1 + r.nextInt(trial % 4 == 0 ? 300 : 40), h = 1 + r.nextInt(trial % 4 == 1 ? 300 : 40);
      int nw = 1 + r.nextInt(trial % 4 == 2 ? 400 : 60), nh = 1 + r.nextInt(trial % 4 == 3 ? 400 : 60);
      int cw = 1 + r.nextInt(nw), ch = 1 + r.nextInt(nh), left = r.nextInt(nw - cw + 1), top = r.nextInt(nh - ch + 1);
      byte[] rgb = new byte[3 * w * h];
      r.nextBytes(rgb);
      byte[] whole = reference(rgb, w, h, nw, nh, filter);
      byte[] expected = new byte[3 * cw * ch];
      for (int y = 0; y < ch; y++) System.arraycopy(whole, ((top + y) * nw + left) * 3, expected, y * cw * 3, cw * 3);
      String what = w + "x" + h + " to " + nw + "x" + nh + ", window " + cw + "x" + ch + " at " + left + "," + top;
      assertArrayEquals(expected, Resample.resize(rgb, w, h, nw, nh, left, top, cw, ch, filter, "test"), filter + ", " + what);
    }
  }

  /** The previous implementation: both passes over the whole image. */
  static byte[] reference(byte[] rgb, int w, int h, int nw, int nh, Preprocess.Interpolation filter) {
    byte[] tmp = w == nw ? rgb : pass(rgb, w, h, nw, true, 0, nw, filter);
    return h == nh ? tmp : pass(tmp, nw, h, nh, false, 0, nh, filter);
  }

  /**
   * {@link #reference}'s pixels in the window [left, left + cw) x [top, top + ch) alone, for resizes too
   * large to make whole (a strip resized to 256x3840000): each output of a pass depends on its own index.
   */
  static byte[] referenceWindow(byte[] rgb, int w, int h, int nw, int nh, int left, int top, int cw, int ch) {
    Preprocess.Interpolation f = Preprocess.Interpolation.BILINEAR;
    byte[] tmp = w == nw ? crop(rgb, w, left, 0, cw, h) : pass(rgb, w, h, nw, true, left, cw, f); // cw x h
    return h == nh ? crop(tmp, cw, 0, top, cw, ch) : pass(tmp, cw, h, nh, false, top, ch, f);
  }

  private static byte[] crop(byte[] rgb, int w, int left, int top, int cw, int ch) {
    byte[] out = new byte[3 * cw * ch];
    for (int y = 0; y < ch; y++) System.arraycopy(rgb, ((top + y) * w + left) * 3, out, y * cw * 3, cw * 3);
    return out;
  }

  /** Outputs [from, from + count) of a pass of {@code outSize}: columns if {@code horizontal}, else rows. */
  private static byte[] pass(byte[] src, int w, int h, int outSize, boolean horizontal, int from, int count, Preprocess.Interpolation filter) {
    int inSize = horizontal ? w : h;
    double scale = (double) inSize / outSize, filterScale = Math.max(scale, 1.0);
    boolean bicubic = filter == Preprocess.Interpolation.BICUBIC;
    double support = (bicubic ? 2 : 1) * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[count * 2];
    int[] kk = new int[count * ksize];
    double[] k = new double[ksize];
    for (int xx = 0; xx < count; xx++) {
      double center = (from + xx + 0.5) * scale, ww = 0, ss = 1.0 / filterScale;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      for (int x = 0; x < xmax; x++) {
        double t = Math.abs((x + xmin - center + 0.5) * ss);
        // Pillow's bicubic_filter (a = -0.5) and bilinear_filter
        k[x] = !bicubic ? (t < 1 ? 1 - t : 0) : t < 1 ? (1.5 * t - 2.5) * t * t + 1 : t < 2 ? (((t - 5) * t + 8) * t - 4) * -0.5 : 0;
        ww += k[x];
      }
      for (int x = 0; x < xmax; x++) {
        double v = ww == 0 ? 0 : k[x] / ww;
        kk[xx * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    int ow = horizontal ? count : w, oh = horizontal ? h : count;
    byte[] out = new byte[ow * oh * 3];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int xx = horizontal ? x : y;
        int min = bounds[xx * 2], n = bounds[xx * 2 + 1];
        for (int c = 0; c < 3; c++) {
          int acc = 1 << (PRECISION_BITS - 1);
          for (int i = 0; i < n; i++) {
            int s = horizontal ? ((y * w + min + i) * 3 + c) : (((min + i) * w + x) * 3 + c);
            acc += (src[s] & 0xff) * kk[xx * ksize + i];
          }
          int v = acc >> PRECISION_BITS;
          out[(y * ow + x) * 3 + c] = (byte) (acc < 0 ? 0 : Math.min(v, 255));
        }
      }
    }
    return out;
  }
}
