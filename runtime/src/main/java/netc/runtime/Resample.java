package netc.runtime;

/**
 * Pillow's resampling with the bilinear (triangle) filter, antialiased: when shrinking, the filter
 * widens by the scale so every source pixel contributes. Two passes, horizontal then vertical, with
 * coefficients in fixed point and each pass rounded to 8 bits, exactly as Pillow computes it.
 */
final class Resample {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private Resample() {}

  static byte[] bilinear(byte[] rgb, int w, int h, int nw, int nh) {
    byte[] tmp = w == nw ? rgb : pass(rgb, w, h, nw, true);
    return h == nh ? tmp : pass(tmp, nw, h, nh, false);
  }

  private static byte[] pass(byte[] src, int w, int h, int outSize, boolean horizontal) {
    int inSize = horizontal ? w : h;
    double scale = (double) inSize / outSize, filterScale = Math.max(scale, 1.0);
    double support = filterScale; // the bilinear filter's support is 1
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[outSize * 2];
    int[] kk = new int[outSize * ksize];
    double[] k = new double[ksize];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale, ww = 0, ss = 1.0 / filterScale;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      for (int x = 0; x < xmax; x++) {
        double t = Math.abs((x + xmin - center + 0.5) * ss);
        k[x] = t < 1 ? 1 - t : 0;
        ww += k[x];
      }
      for (int x = 0; x < xmax; x++) {
        double v = ww == 0 ? 0 : k[x] / ww;
        kk[xx * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    int ow = horizontal ? outSize : w, oh = horizontal ? h : outSize;
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
