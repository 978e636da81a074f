package netc.runtime.kernels;

/**
 * Copies a [C][H][W] tensor between layouts. A layout is described by the offset of channel c
 * (plain: c * plane; blocked: (c / 16) * blockStride + c % 16), a row stride and a pixel stride, and
 * the offset of the first interior element (past the border). The destination's border is filled
 * with {@code pad[c]} (or zero), and when {@code mean} is given the copy normalizes:
 * (x - mean[c]) / std[c].
 */
public final class Reorder {
  private Reorder() {}

  public static void copy(int channels, int h, int w,
      float[] src, int srcBase, boolean srcBlocked, int srcPlane, int srcRow, int srcPix,
      float[] dst, int dstBase, boolean dstBlocked, int dstPlane, int dstRow, int dstPix, int dstHaloH, int dstHaloW,
      float[] pad, float[] mean, float[] std, int from, int to) {
    for (int c = from; c < to; c++) {
      int so = srcBase + (srcBlocked ? (c / 16) * srcPlane + c % 16 : c * srcPlane);
      int d0 = dstBase + (dstBlocked ? (c / 16) * dstPlane + c % 16 : c * dstPlane);
      if (dstHaloH > 0 || dstHaloW > 0) fillBorder(dst, d0, h, w, dstRow, dstPix, dstHaloH, dstHaloW, pad == null ? 0f : pad[c]);
      float m = mean == null ? 0f : mean[c], s = std == null ? 1f : std[c];
      for (int y = 0; y < h; y++) {
        int sr = so + y * srcRow, dr = d0 + y * dstRow;
        if (mean == null && srcPix == 1 && dstPix == 1) {
          System.arraycopy(src, sr, dst, dr, w);
          continue;
        }
        for (int x = 0; x < w; x++) {
          float v = src[sr + x * srcPix];
          dst[dr + x * dstPix] = mean == null ? v : (float) ((v - (double) m) / s);
        }
      }
    }
  }

  /** Writes v to the border of one channel: whole rows above and below, then the columns either side. */
  private static void fillBorder(float[] dst, int d0, int h, int w, int row, int pix, int hh, int hw, float v) {
    for (int y = -hh; y < h + hh; y++) {
      int r = d0 + y * row;
      if (y < 0 || y >= h) {
        for (int x = -hw; x < w + hw; x++) dst[r + x * pix] = v;
      } else {
        for (int x = -hw; x < 0; x++) dst[r + x * pix] = v;
        for (int x = w; x < w + hw; x++) dst[r + x * pix] = v;
      }
    }
  }
}
