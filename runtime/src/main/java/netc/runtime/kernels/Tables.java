package netc.runtime.kernels;

import java.util.Arrays;

/**
 * The offset tables conv kernels index by, built once when a model class initializes from the
 * constants its generated code passes, and the border (halo) fill. Offsets are in floats.
 */
public final class Tables {
  private Tables() {}

  /**
   * Offsets of the top-left input (or output) element for every output pixel (oy, ox), row-major:
   * base + oy * sh * rowStride + ox * sw * pixStride. The length is rounded up to a whole number of
   * tiles of {@code tile} pixels by repeating the last pixel: the tail tile computes it again and
   * writes the same values again, which is harmless (all residual reads precede the stores).
   */
  public static int[] pixels(int oh, int ow, int sh, int sw, int rowStride, int pixStride, int base, int tile) {
    int n = oh * ow;
    int padded = (n + tile - 1) / tile * tile;
    int[] out = new int[padded];
    for (int p = 0; p < padded; p++) {
      int q = Math.min(p, n - 1);
      out[p] = base + (q / ow) * sh * rowStride + (q % ow) * sw * pixStride;
    }
    return out;
  }

  /**
   * Offsets of the pixels of an oh x ow map in tiles of {@code tile} pixels that never cross a row: each
   * row takes ceil(ow / tile) tiles, the slots past its last pixel repeat that pixel (kernels store a
   * repeated pixel once).
   */
  public static int[] rowPixels(int oh, int ow, int rowStride, int pixStride, int base, int tile) {
    int perRow = (ow + tile - 1) / tile * tile;
    int[] out = new int[oh * perRow];
    for (int y = 0; y < oh; y++) {
      for (int c = 0; c < perRow; c++) out[y * perRow + c] = base + y * rowStride + Math.min(c, ow - 1) * pixStride;
    }
    return out;
  }

  /**
   * The lane table of {@link Reorder#gather}: for each of {@code channels} outputs, the offset of its
   * source channel's row 0, pixel 0 and that source's row stride. {@code runs} are sextuples {source,
   * first source channel, source channel step, first output channel, output channel step, count};
   * {@code sources} triples {offset of the interior's channel 0, floats between channel blocks, row
   * stride} of blocked maps.
   */
  public static int[] gatherLanes(int channels, int[] runs, int[] sources) {
    int[] lanes = new int[2 * channels];
    for (int r = 0; r < runs.length; r += 6) {
      int s = runs[r], base = sources[3 * s], plane = sources[3 * s + 1], row = sources[3 * s + 2];
      for (int i = 0; i < runs[r + 5]; i++) {
        int c = runs[r + 1] + i * runs[r + 2], o = runs[r + 3] + i * runs[r + 4];
        lanes[2 * o] = base + (c / 16) * plane + c % 16;
        lanes[2 * o + 1] = row;
      }
    }
    return lanes;
  }

  /**
   * Offsets of every k step (input block, kernel row, kernel column, lane) relative to a pixel's
   * offset, in the order packed weights are stored.
   */
  public static int[] kOffsets(int blocks, int lanes, int kh, int kw, int blockStride, int laneStride, int rowStep, int colStep) {
    int[] out = new int[blocks * kh * kw * lanes];
    int k = 0;
    for (int b = 0; b < blocks; b++) {
      for (int y = 0; y < kh; y++) {
        for (int x = 0; x < kw; x++) {
          for (int l = 0; l < lanes; l++) out[k++] = b * blockStride + y * rowStep + x * colStep + l * laneStride;
        }
      }
    }
    return out;
  }

  /**
   * Zeroes lanes [from, 16) of {@code rows} rows of 16 floats at base: the lanes past a conv's last
   * tile in the lanes layout of {@link Kernels#winogradProductLanes}, which its input transform does
   * not write (so no stale value, a denormal perhaps, enters the products).
   */
  public static void zeroLanes(float[] a, int base, int rows, int from) {
    for (int r = 0; r < rows; r++) Arrays.fill(a, base + 16 * r + from, base + 16 * r + 16, 0f);
  }

  /** Zeroes the border of a blocked tensor [blocks][h + 2hh][w + 2hw][16] at base. */
  public static void zeroBorder(float[] a, int base, int blocks, int h, int w, int hh, int hw) {
    int rowStride = (w + 2 * hw) * 16, blockStride = (h + 2 * hh) * rowStride;
    for (int b = 0; b < blocks; b++) {
      int bb = base + b * blockStride;
      Arrays.fill(a, bb, bb + hh * rowStride, 0f);
      Arrays.fill(a, bb + (hh + h) * rowStride, bb + blockStride, 0f);
      for (int y = hh; y < hh + h; y++) {
        int row = bb + y * rowStride;
        Arrays.fill(a, row, row + hw * 16, 0f);
        Arrays.fill(a, row + (hw + w) * 16, row + rowStride, 0f);
      }
    }
  }
}
