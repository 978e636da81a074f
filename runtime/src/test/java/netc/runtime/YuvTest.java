package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    return encode(format, W, H);
  }

  /** A {@code W x H} frame in {@code format}; odd sizes round the chroma planes up (FFmpeg's layout). */
  static byte[] encode(String format, int W, int H) {
    int cw = (W + 1) / 2, ch = (H + 1) / 2;
    byte[] out = new byte[format.equals("yuyv") ? W * H * 2 : W * H + 2 * cw * ch];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        int[] c = yuv(color(x, y));
        switch (format) {
          case "i420" -> {
            out[y * W + x] = (byte) c[0];
            out[W * H + (y / 2) * cw + x / 2] = (byte) c[1];
            out[W * H + cw * ch + (y / 2) * cw + x / 2] = (byte) c[2];
          }
          case "nv12" -> {
            out[y * W + x] = (byte) c[0];
            out[W * H + (y / 2) * 2 * cw + (x / 2) * 2] = (byte) c[1];
            out[W * H + (y / 2) * 2 * cw + (x / 2) * 2 + 1] = (byte) c[2];
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
    for (String format : new String[] {"i420", "nv12", "yuyv"}) assertDecodes(format, W, H);
  }

  /** Odd sizes as FFmpeg lays them out: chroma rounded up for I420 and NV12; YUYV takes any height. */
  @Test
  void oddSizesDecodeToTheOriginalColors() {
    for (String format : new String[] {"i420", "nv12"}) {
      for (int[] size : new int[][] {{5, 3}, {7, 6}, {8, 5}, {1, 1}}) assertDecodes(format, size[0], size[1]);
    }
    assertDecodes("yuyv", 6, 5);
    assertEquals(5 * 3 + 2 * 3 * 2, Yuv.frameBytes("i420", 5, 3, "f"), "a 5x3 I420 frame has 3x2 chroma samples per plane");
  }

  static void assertDecodes(String format, int w, int h) {
    Preprocess.Rgb rgb = Yuv.toRgb(encode(format, w, h), format, w, h, "frame");
    int worst = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int[] c = color(x, y);
        for (int k = 0; k < 3; k++) worst = Math.max(worst, Math.abs((rgb.pixels()[(y * w + x) * 3 + k] & 0xff) - c[k]));
      }
    }
    assertTrue(worst <= 3, format + " " + w + "x" + h + ": worst difference " + worst + " levels");
  }

  @Test
  void sizeMismatchNamesTheFrame() {
    String msg = assertThrows(BadInputException.class, () -> Yuv.toRgb(new byte[100], "nv12", W, H, "cam.yuv")).getMessage();
    assertEquals("cam.yuv: 100 bytes, but a 8x6 nv12 frame has 72", msg);
    String odd = assertThrows(BadInputException.class, () -> Yuv.toRgb(new byte[7 * 6 * 2], "yuyv", 7, 6, "odd.yuv")).getMessage();
    assertEquals("odd.yuv: yuyv packs two pixels in 4 bytes, so it needs an even width, got 7x6", odd);
  }

  // ---- frame files: the size is checked before anything is read ---------------------------------

  @TempDir Path dir;

  @AfterEach
  void clearLimits() {
    System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
    System.clearProperty(ImageLimits.MAX_SIDE_PROPERTY);
  }

  static String frameError(Path file, String format, int w, int h) {
    String msg = assertTimeoutPreemptively(Duration.ofSeconds(5),
        () -> assertThrows(BadInputException.class, () -> new Preprocess(8, 8).frame(file, format, w, h)).getMessage());
    assertEquals(1, msg.lines().count(), msg);
    return msg;
  }

  @Test
  void aFileOfTheWrongSizeIsRefusedBeforeItIsRead() throws IOException {
    Path f = Files.write(dir.resolve("cam.yuv"), new byte[100]);
    assertEquals(f + ": 100 bytes, but a 8x6 nv12 frame has 72", frameError(f, "nv12", 8, 6));
    Path sparse = dir.resolve("sparse.yuv");
    try (RandomAccessFile raf = new RandomAccessFile(sparse.toFile(), "rw")) {
      raf.setLength(3L << 30); // 3 GiB, no blocks written: reading it would take seconds and an out-of-memory
    }
    assertEquals(sparse + ": 3221225472 bytes, but a 64x48 nv12 frame has 4608", frameError(sparse, "nv12", 64, 48));
  }

  @Test
  void devicesPipesAndDirectoriesAreRefused() {
    Path zero = Path.of("/dev/zero");
    Assumptions.assumeTrue(Files.exists(zero), "a Unix device to read");
    assertEquals("/dev/zero: not a regular file (a device or a pipe)", frameError(zero, "i420", 640, 480));
    assertEquals(dir + ": not a regular file (a directory)", frameError(dir, "i420", 640, 480));
    assertEquals(dir.resolve("none.yuv") + ": no such file", frameError(dir.resolve("none.yuv"), "i420", 640, 480));
  }

  /** The sizes of the campaign: 32768x32768 overflowed int (NegativeArraySizeException), 2x100000 the resize (ArrayIndexOutOfBoundsException). */
  @Test
  void sizesBeyondTheLimitsAreRefusedFirst() {
    Path none = dir.resolve("none.yuv");
    assertEquals(none + ": frame of 32768x32768 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)",
        frameError(none, "i420", 32768, 32768));
    assertEquals(none + ": frame of 2x100000 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)",
        frameError(none, "nv12", 2, 100000));
    assertEquals(none + ": frame of 7072x7072 has 50013184 pixels, over the limit of 50000000 (-Dnetc.image.maxPixels=N allows more)",
        frameError(none, "yuyv", 7072, 7072));
  }

  @Test
  void aStripFrameResizesWhenTheLimitAllowsIt() throws IOException {
    System.setProperty(ImageLimits.MAX_SIDE_PROPERTY, "100000");
    Path f = Files.write(dir.resolve("strip.yuv"), encode("nv12", 2, 100_000));
    float[] x = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new Preprocess(256, 224).frame(f, "nv12", 2, 100_000));
    assertEquals(3 * 224 * 224, x.length);
  }

  @Test
  void oddFramesFromFiles() throws IOException {
    Path f = Files.write(dir.resolve("odd.yuv"), encode("i420", 5, 3));
    assertEquals(3 * 8 * 8, new Preprocess(8, 8).frame(f, "i420", 5, 3).length);
    // 12 bytes of luma, and 3 rows round up to 2 rows of 2 chroma pairs: 8 bytes
    assertEquals(f + ": 27 bytes, but a 4x3 nv12 frame has 20", frameError(f, "nv12", 4, 3));
  }
}
