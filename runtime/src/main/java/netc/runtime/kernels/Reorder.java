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

  /**
   * Copies rows [from, to) of the tensor, row i being row i % h of channel i / h, with the border
   * around them: each row's side columns, and the rows above and below the interior with its first
   * and last row. Into a blocked destination, the last channel's rows also zero the lanes after it in
   * its block, border included: a consumer reads whole blocks, and what the arena held there before
   * (a NaN or an infinity of another tensor, or of the last call's input) times a zero weight is NaN.
   */
  public static void copy(int channels, int h, int w,
      float[] src, int srcBase, boolean srcBlocked, int srcPlane, int srcRow, int srcPix,
      float[] dst, int dstBase, boolean dstBlocked, int dstPlane, int dstRow, int dstPix, int dstHaloH, int dstHaloW,
      float[] pad, float[] mean, float[] std, int from, int to) {
    for (int i = from; i < to; i++) {
      int c = i / h, y = i - c * h;
      int sr = srcBase + (srcBlocked ? (c / 16) * srcPlane + c % 16 : c * srcPlane) + y * srcRow;
      int d0 = dstBase + (dstBlocked ? (c / 16) * dstPlane + c % 16 : c * dstPlane), dr = d0 + y * dstRow;
      if (dstHaloH > 0 || dstHaloW > 0) border(dst, d0, y, h, w, dstRow, dstPix, dstHaloH, dstHaloW, pad == null ? 0f : pad[c]);
      if (dstBlocked && c == channels - 1) {
        for (int l = c % 16 + 1; l < 16; l++) { // the padding lanes of the last block
          border(dst, d0 - c % 16 + l, y, h, w, dstRow, dstPix, dstHaloH, dstHaloW, 0f);
          for (int x = 0; x < w; x++) dst[dr - c % 16 + l + x * dstPix] = 0f;
        }
      }
      if (mean == null && srcPix == 1 && dstPix == 1) {
        System.arraycopy(src, sr, dst, dr, w);
        continue;
      }
      float m = mean == null ? 0f : mean[c], s = std == null ? 1f : std[c];
      for (int x = 0; x < w; x++) {
        float v = src[sr + x * srcPix];
        dst[dr + x * dstPix] = mean == null ? v : (float) ((v - (double) m) / s);
      }
    }
  }

  /** Where each lane of a block row reads its source row, kept per thread: a gather allocates nothing. */
  private static final ThreadLocal<int[]> LANES = ThreadLocal.withInitial(() -> new int[16]);

  /**
   * The source channel of output channel {@code c} of a channel gather with {@code channels} outputs:
   * {@code start + (c % groups) * (channels / groups) + c / groups}. With groups 1 it is channels
   * [start, start + channels) of the input (the spec's channels(start, end)); with start 0, torch's
   * channel_shuffle in that many groups (view(groups, C / groups), transpose, flatten). The
   * interpreter reads channels by this too.
   */
  public static int sourceChannel(int c, int channels, int start, int groups) {
    return start + (c % groups) * (channels / groups) + c / groups;
  }

  /**
   * Copies rows [from, to) of a blocked [channels][H][W] destination, each channel from a place of
   * its own in {@code src}: {@code lanes[2c]} is the offset of channel c's row 0, pixel 0 and
   * {@code lanes[2c + 1]} its row stride, pixels 16 floats apart (the table of
   * {@link Tables#gatherLanes}: a gather of compose-gathers, reading several maps of the arena). Row i
   * is row i % h of block i / h, written pixel by pixel, 16 lanes together (one cache line each, where a
   * channel at a time wrote each line 16 times: stage2's shuffles of shufflenet_v2_x1_0 0.20 -> 0.14
   * ms, stage3's 0.12 -> 0.075); lanes past the last channel (up to {@code dstPadded}) are zeroed.
   */
  public static void gather(int channels, int h, int w, int[] lanes, float[] src, float[] dst, int dstBase, int dstPlane, int dstRow,
      int dstPadded, int from, int to) {
    int[] lane = LANES.get();
    for (int i = from; i < to; i++) {
      int block = i / h, y = i - block * h, dr = dstBase + block * dstPlane + y * dstRow;
      int count = Math.min(16, channels - block * 16), padded = Math.min(16, dstPadded - block * 16);
      for (int l = 0; l < count; l++) {
        int c = block * 16 + l;
        lane[l] = lanes[2 * c] + y * lanes[2 * c + 1];
      }
      for (int x = 0; x < w; x++) {
        int d = dr + x * 16;
        for (int l = 0; l < count; l++) dst[d + l] = src[lane[l] + x * 16];
        for (int l = count; l < padded; l++) dst[d + l] = 0f;
      }
    }
  }

  /** Writes v to row y's side columns of one channel's padded plane, and to the border rows above row 0 or below row h - 1. */
  private static void border(float[] dst, int d0, int y, int h, int w, int row, int pix, int hh, int hw, float v) {
    int dr = d0 + y * row;
    if (y == 0) fillRows(dst, d0, -hh, 0, w, row, pix, hw, v);
    if (y == h - 1) fillRows(dst, d0, h, h + hh, w, row, pix, hw, v);
    for (int x = -hw; x < 0; x++) dst[dr + x * pix] = v;
    for (int x = w; x < w + hw; x++) dst[dr + x * pix] = v;
  }

  /** Writes v to whole rows [y0, y1) of one channel's padded plane, border columns included. */
  private static void fillRows(float[] dst, int d0, int y0, int y1, int w, int row, int pix, int hw, float v) {
    for (int y = y0; y < y1; y++) {
      for (int x = -hw; x < w + hw; x++) dst[d0 + y * row + x * pix] = v;
    }
  }

  /**
   * Copies rows [from, to) of a blocked [C][H][W] source into channels [at, at + C) of a blocked
   * destination (a concat's branch that could not be written in place), row i being row i % h of
   * channel i / h. The lanes after channel {@code at + C - 1} in its block are zeroed with that
   * channel's rows (up to {@code dstPadded}): for the concat's last input they are its padding,
   * left as any producer leaves it; for an earlier one they are the next input's, which a later
   * step copies (an input written in place starts at a whole block, so none are then zeroed).
   */
  public static void intoChannels(int channels, int h, int w, float[] src, int srcBase, int srcPlane, int srcRow,
      float[] dst, int dstBase, int dstPlane, int dstRow, int at, int dstPadded, int from, int to) {
    for (int i = from; i < to; i++) {
      int c = i / h, y = i - c * h, d = at + c;
      int sr = srcBase + (c / 16) * srcPlane + c % 16 + y * srcRow;
      int dr = dstBase + (d / 16) * dstPlane + d % 16 + y * dstRow;
      for (int x = 0; x < w; x++) dst[dr + x * 16] = src[sr + x * 16];
      if (c == channels - 1) {
        int lanes = Math.min(dstPadded, (d / 16 + 1) * 16) - d - 1; // padding lanes after d in its block
        for (int x = 0; x < w; x++) for (int l = 1; l <= lanes; l++) dst[dr + x * 16 + l] = 0f;
      }
    }
  }
}
