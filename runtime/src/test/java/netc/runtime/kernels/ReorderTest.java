package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Reorder.copy into a blocked destination: values in place, border filled, and the last block's padding lanes zeroed. */
class ReorderTest {

  /**
   * 3 channels of 2x3 from plain layout into one block of 16 lanes with a 1-pixel border, the
   * destination filled with NaN first (what another tensor, or the last call, may have left in the
   * arena): channels 0-2 hold the values and their border the pad value; lanes 3-15, the block's
   * padding, read by a consumer that works on whole blocks, are zero everywhere, border included.
   */
  @Test
  void blockedCopyZeroesThePaddingLanes() {
    int c = 3, h = 2, w = 3, hh = 1, hw = 1, pw = w + 2 * hw, ph = h + 2 * hh;
    float[] src = new float[c * h * w];
    for (int i = 0; i < src.length; i++) src[i] = i + 1;
    int row = pw * 16, plane = ph * row, base = hh * row + hw * 16;
    float[] dst = new float[plane];
    Arrays.fill(dst, Float.NaN);
    Reorder.copy(c, h, w, src, 0, false, h * w, w, 1, dst, base, true, plane, row, 16, hh, hw,
        new float[] {-1f, -2f, -3f}, null, null, 0, c * h);
    for (int y = -hh; y < h + hh; y++) {
      for (int x = -hw; x < w + hw; x++) {
        boolean inside = y >= 0 && y < h && x >= 0 && x < w;
        for (int l = 0; l < 16; l++) {
          float expected = l >= c ? 0f : inside ? src[l * h * w + y * w + x] : -(l + 1);
          assertEquals(expected, dst[base + y * row + x * 16 + l], "lane " + l + " at (" + y + ", " + x + ")");
        }
      }
    }
  }

  /** 20 channels: the second block's lanes 4-15 are zeroed, the first block's all hold channels. */
  @Test
  void onlyTheLastBlockHasPadding() {
    int c = 20, h = 1, w = 2;
    float[] src = new float[c * h * w];
    for (int i = 0; i < src.length; i++) src[i] = i + 1;
    int row = w * 16, plane = h * row;
    float[] dst = new float[2 * plane];
    Arrays.fill(dst, Float.NaN);
    Reorder.copy(c, h, w, src, 0, false, h * w, w, 1, dst, 0, true, plane, row, 16, 0, 0, null, null, null, 0, c * h);
    for (int ch = 0; ch < 32; ch++) {
      for (int x = 0; x < w; x++) {
        float expected = ch < c ? src[ch * w + x] : 0f;
        assertEquals(expected, dst[(ch / 16) * plane + x * 16 + ch % 16], "channel " + ch + " pixel " + x);
      }
    }
  }
}
