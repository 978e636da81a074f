package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Camera frames: an RGB picture of 2x2 blocks of one color (so chroma subsampling loses nothing) is
 * encoded with the BT.601 limited-range forward matrix into each layout, and must decode back to
 * within the rounding of 8-bit Y, U and V (a couple of levels).
 */
class YuvTest {
  static final int W = 8, H = 6;

  static int[] color(int x, int y) {
    int bx = x / 2, by = y / 2;
    return new int[] {(bx * 70 + by * 30) % 256, (bx * 20 + 200 - by * 50) & 0xff, (bx * 90 + by * 10 + 17) % 256};
  }

  static int[] yuv(int[] rgb) {
    double r = rgb[0], g = rgb[1], b = rgb[2];
    int y = (int) Math.round(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b);
    int u = (int) Math.round(128 - 0.148223 * r - 0.290993 * g + 0.439216 * b);
    int v = (int) Math.round(128 + 0.439216 * r - 0.367788 * g - 0.071427 * b);
    return new int[] {y, u, v};
  }

  static byte[] encode(String format) {
    byte[] out = new byte[format.equals("yuyv") ? W * H * 2 : W * H * 3 / 2];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        int[] c = yuv(color(x, y));
        switch (format) {
          case "i420" -> {
            out[y * W + x] = (byte) c[0];
            out[W * H + (y / 2) * (W / 2) + x / 2] = (byte) c[1];
            out[W * H + W * H / 4 + (y / 2) * (W / 2) + x / 2] = (byte) c[2];
          }
          case "nv12" -> {
            out[y * W + x] = (byte) c[0];
            out[W * H + (y / 2) * W + (x / 2) * 2] = (byte) c[1];
            out[W * H + (y / 2) * W + (x / 2) * 2 + 1] = (byte) c[2];
          }
          default -> {
            int p = (y * W + (x & ~1)) * 2;
            out[p + ((x & 1) == 0 ? 0 : 2)] = (byte) c[0];
            out[p + 1] = (byte) c[1];
            out[p + 3] = (byte) c[2];
          }
        }
      }
    }
    return out;
  }

  @Test
  void eachLayoutDecodesToTheOriginalColors() {
    for (String format : new String[] {"i420", "nv12", "yuyv"}) {
      Preprocess.Rgb rgb = Yuv.toRgb(encode(format), format, W, H, "frame");
      int worst = 0;
      for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
          int[] c = color(x, y);
          for (int k = 0; k < 3; k++) worst = Math.max(worst, Math.abs((rgb.pixels()[(y * W + x) * 3 + k] & 0xff) - c[k]));
        }
      }
      assertTrue(worst <= 3, format + ": worst difference " + worst + " levels");
    }
  }

  @Test
  void sizeMismatchNamesTheFrame() {
    String msg = assertThrows(BadInputException.class, () -> Yuv.toRgb(new byte[100], "nv12", W, H, "cam.yuv")).getMessage();
    assertEquals("cam.yuv: 100 bytes, but a 8x6 nv12 frame has 72", msg);
    assertThrows(BadInputException.class, () -> Yuv.toRgb(new byte[7 * 6 * 2], "yuyv", 7, 6, "odd.yuv"));
  }
}
