package netc.runtime;

/**
 * Pillow's resampling with the bilinear (triangle) or bicubic (Keys, a = -0.5) filter, antialiased: when
 * shrinking, the filter widens by the scale so every source pixel contributes. Two passes, horizontal
 * then vertical, with coefficients in fixed point and each pass rounded to 8 bits (clipped to [0, 255]:
 * the bicubic filter's negative lobes overshoot at edges), exactly as Pillow computes it.
 *
 * <p>Only a window of the resized image is computed (the center crop that follows the resize): every
 * output pixel depends only on its own coefficients, so the window's values equal those of the
 * whole resized image, cropped. The horizontal pass runs over the source rows the window's vertical
 * taps reach and the window's columns only, so memory and time follow the window and the source,
 * never the resized size (which, for a 1x30000 strip resized to a shorter side of 256, is 7.7
 * million pixels long).
 */
final class Resample {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private Resample() {}

  /**
   * The window [left, left + cw) x [top, top + ch) of {@code rgb} ({@code w x h}, RGB bytes) resized
   * to {@code nw x nh} with {@code filter}: [ch][cw][3] bytes.
   */
  static byte[] resize(byte[] rgb, int w, int h, int nw, int nh, int left, int top, int cw, int ch, Preprocess.Interpolation filter,
      String name) {
    if (left < 0 || top < 0 || cw < 1 || ch < 1 || (long) left + cw > nw || (long) top + ch > nh) {
      throw new IllegalArgumentException("window " + cw + "x" + ch + " at " + left + "," + top + " is not inside " + nw + "x" + nh);
    }
    Taps vertical = h == nh ? null : new Taps(h, nh, top, ch, filter, name);
    int y0 = vertical == null ? top : vertical.first, rows = vertical == null ? ch : vertical.end - vertical.first;
    byte[] columns = w == nw ? columns(rgb, w, y0, rows, left, cw, name) : horizontal(rgb, w, y0, rows, new Taps(w, nw, left, cw, filter, name), name);
    return vertical == null ? columns : vertical(columns, cw, y0, vertical, name);
  }

  /**
   * Pillow's filter taps for outputs [first, first + n) of a resize from {@code in} to {@code out}
   * pixels: for each output, the first source pixel, the number of taps, and their fixed-point
   * weights. {@link #first} and {@link #end} bound the source pixels all of them read.
   */
  private static final class Taps {
    final int n, ksize, first, end;
    final int[] min, count, weights;

    Taps(int in, int out, int firstOut, int n, Preprocess.Interpolation f, String name) {
      double scale = (double) in / out, filterScale = Math.max(scale, 1.0);
      double support = f.support() * filterScale;
      this.n = n;
      this.ksize = (int) Math.ceil(support) * 2 + 1;
      this.min = new int[n];
      this.count = new int[n];
      this.weights = new int[ImageLimits.array(name, (long) n * ksize, "resampling " + in + " to " + out + " pixels")];
      double[] k = new double[ksize];
      int lo = Integer.MAX_VALUE, hi = 0;
      for (int i = 0; i < n; i++) {
        double center = (firstOut + i + 0.5) * scale, ww = 0, ss = 1.0 / filterScale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), in) - xmin;
        for (int x = 0; x < xmax; x++) {
          k[x] = f.weight((x + xmin - center + 0.5) * ss);
          ww += k[x];
        }
        for (int x = 0; x < xmax; x++) {
          double v = ww == 0 ? 0 : k[x] / ww;
          weights[i * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
        }
        min[i] = xmin;
        count[i] = Math.max(xmax, 0);
        if (count[i] > 0) {
          lo = Math.min(lo, xmin);
          hi = Math.max(hi, xmin + count[i]);
        }
      }
      this.first = lo == Integer.MAX_VALUE ? 0 : lo;
      this.end = Math.max(hi, first);
    }

    /** Output i of the taps over {@code src}, a pixel's channel every {@code stride} bytes from {@code base}. */
    int apply(byte[] src, int base, int stride, int i) {
      int acc = 1 << (PRECISION_BITS - 1);
      for (int j = 0, p = base; j < count[i]; j++, p += stride) acc += (src[p] & 0xff) * weights[i * ksize + j];
      return acc < 0 ? 0 : Math.min(acc >> PRECISION_BITS, 255);
    }
  }

  /** Rows [y0, y0 + rows) of the source, columns [left, left + cw): the window when no horizontal resize is needed. */
  private static byte[] columns(byte[] src, int w, int y0, int rows, int left, int cw, String name) {
    byte[] out = new byte[ImageLimits.array(name, 3L * rows * cw, "a resampling buffer of " + cw + "x" + rows)];
    for (int y = 0; y < rows; y++) System.arraycopy(src, ((y0 + y) * w + left) * 3, out, y * cw * 3, cw * 3);
    return out;
  }

  /** The horizontal pass over source rows [y0, y0 + rows): [rows][t.n][3]. */
  private static byte[] horizontal(byte[] src, int w, int y0, int rows, Taps t, String name) {
    byte[] out = new byte[ImageLimits.array(name, 3L * rows * t.n, "a resampling buffer of " + t.n + "x" + rows)];
    for (int y = 0; y < rows; y++) {
      for (int x = 0; x < t.n; x++) {
        int base = ((y0 + y) * w + t.min[x]) * 3;
        for (int c = 0; c < 3; c++) out[(y * t.n + x) * 3 + c] = (byte) t.apply(src, base + c, 3, x);
      }
    }
    return out;
  }

  /** The vertical pass over {@code src} ({@code width} wide, its row 0 being source row {@code y0}): [t.n][width][3]. */
  private static byte[] vertical(byte[] src, int width, int y0, Taps t, String name) {
    byte[] out = new byte[ImageLimits.array(name, 3L * t.n * width, "a resampling buffer of " + width + "x" + t.n)];
    for (int y = 0; y < t.n; y++) {
      for (int x = 0; x < width; x++) {
        int base = ((t.min[y] - y0) * width + x) * 3;
        for (int c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = (byte) t.apply(src, base + c, width * 3, y);
      }
    }
    return out;
  }
}
