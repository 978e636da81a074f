package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Camera frames: an RGB picture of 2x2 blocks of one color (so chroma subsampling loses nothing) is
 * encoded with the BT.601 limited-range forward matrix into each layout, and must decode back to
 * within the rounding of 8-bit Y, U and V (a couple of levels). That encoder writes each layout as
 * Yuv reads it, so frames written byte by byte from FFmpeg's definitions of the layouts check the
 * layouts themselves: they must decode to pixels computed from BT.601.
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

  // ---- the published layouts, byte by byte ------------------------------------------------------
  //
  // The tests above encode each layout as Yuv decodes it, so a U/V swap or a wrong plane order made in
  // both would pass. These frames are written byte by byte from FFmpeg's definitions instead
  // (libavutil/pixfmt.h, pixdesc.c): yuv420p (I420) "planar YUV 4:2:0", planes Y, then U (Cb), then V
  // (Cr); nv12 "1 plane for Y and 1 plane for the UV components, which are interleaved (first byte U
  // and the following byte V)"; yuyv422 "packed YUV 4:2:2, Y0 Cb Y1 Cr". Chroma planes of odd sizes
  // are rounded up (AV_CEIL_RSHIFT). Every chroma pair has U != V, strongly red (V high) in one block
  // and blue (U high) in the next, so a swap changes the pixels. The expected RGB was computed apart
  // from Yuv's constants, from BT.601 itself: Kr = 0.299, Kb = 0.114, limited range (Y 16-235, chroma
  // 16-240), so R = 255/219 (Y-16) + 255/224 * 2(1-Kr) (V-128), G = 255/219 (Y-16) - 255/224 * (2Kb(1-Kb)
  // (U-128) + 2Kr(1-Kr) (V-128)) / (1-Kr-Kb), B = 255/219 (Y-16) + 255/224 * 2(1-Kb) (U-128), rounded and
  // clipped to 0-255; no unclipped value is within 0.01 of a rounding boundary. E.g. the top-left pixel,
  // Y 100, U 100, V 220: R = 97.81 + 146.83 = 244.64 -> 245, G = 97.81 + 10.97 - 74.79 = 33.98 -> 34,
  // B = 97.81 - 56.48 = 41.33 -> 41.

  /** The RGB of the 5x3 frame below, in I420 and NV12 alike: chroma blocks of 2x2, the last column and row one pixel wide. */
  static final int[][][] RGB_5X3 = {
    {{245, 34, 41}, {255, 69, 76}, {123, 154, 255}, {158, 189, 255}, {145, 255, 141}},
    {{255, 46, 53}, {255, 86, 94}, {140, 172, 255}, {175, 207, 255}, {0, 117, 0}},
    {{123, 0, 84}, {169, 35, 131}, {162, 132, 10}, {211, 181, 59}, {106, 241, 255}},
  };

  /** The luma of the 5x3 frame, row by row: each pixel its own. */
  static final int[] LUMA_5X3 = {
    100, 130, 160, 190, 220,
    110, 145, 175, 205, 60,
    50, 90, 125, 167, 200,
  };

  @Test
  void i420IsTheLumaPlaneThenUThenV() {
    byte[] frame = bytes(concat(LUMA_5X3, new int[] {
      // U (Cb) plane, 3x2: red, blue, green; then the last row's blocks
      100, 220, 80,
      150, 70, 200,
      // V (Cr) plane, 3x2
      220, 100, 70,
      180, 150, 60,
    }));
    assertEquals(Yuv.frameBytes("i420", 5, 3, "f"), frame.length, "15 luma bytes and two 3x2 chroma planes");
    assertPixels(RGB_5X3, Yuv.toRgb(frame, "i420", 5, 3, "frame"));
  }

  /** The chroma of the I420 frame above as one plane of (U, V) pairs, 3x2 of them: NV12's. */
  static final int[] UV_PAIRS_5X3 = {
    100, 220, 220, 100, 80, 70,
    150, 180, 70, 150, 200, 60,
  };

  /** The same as (V, U) pairs: NV21's (Android's camera preview). */
  static final int[] VU_PAIRS_5X3 = {
    220, 100, 100, 220, 70, 80,
    180, 150, 150, 70, 60, 200,
  };

  /** NV12 is the luma plane then (U, V) pairs; NV21 the same with each pair V first: the pixels of the I420 frame either way. */
  @Test
  void nv12AndNv21AreTheLumaPlaneThenChromaPairs() {
    for (String format : new String[] {"nv12", "nv21"}) {
      byte[] frame = bytes(concat(LUMA_5X3, format.equals("nv12") ? UV_PAIRS_5X3 : VU_PAIRS_5X3));
      assertEquals(Yuv.frameBytes(format, 5, 3, "f"), frame.length, format + ": 15 luma bytes and 3x2 chroma pairs");
      assertPixels(RGB_5X3, Yuv.toRgb(frame, format, 5, 3, "frame"));
    }
  }

  /**
   * Full range (-full after the layout): BT.601's Kr = 0.299, Kb = 0.114 over levels 0-255 (JFIF), computed here from
   * them, not from Yuv's constants: R = Y + 2(1-Kr) (V-128), G = Y - (2Kb(1-Kb) (U-128) + 2Kr(1-Kr) (V-128)) / (1-Kr-Kb),
   * B = Y + 2(1-Kb) (U-128), rounded and clipped. Each layout's -full reads the same samples as its limited form.
   */
  @Test
  void fullRangeFramesUseJpegLevels() {
    int[] u = {100, 220, 80, 150, 70, 200}, v = {220, 100, 70, 180, 150, 60};
    double kr = 0.299, kb = 0.114;
    int[][][] expected = new int[3][5][];
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 5; x++) {
        double luma = LUMA_5X3[y * 5 + x], cb = u[(y / 2) * 3 + x / 2] - 128, cr = v[(y / 2) * 3 + x / 2] - 128;
        double[] rgb = {luma + 2 * (1 - kr) * cr, luma - (2 * kb * (1 - kb) * cb + 2 * kr * (1 - kr) * cr) / (1 - kr - kb), luma + 2 * (1 - kb) * cb};
        expected[y][x] = new int[3];
        for (int k = 0; k < 3; k++) expected[y][x][k] = (int) Math.max(0, Math.min(255, Math.round(rgb[k])));
      }
    }
    int[] planes = concat(LUMA_5X3, concat(u, v)), pairs = concat(LUMA_5X3, UV_PAIRS_5X3), swapped = concat(LUMA_5X3, VU_PAIRS_5X3);
    assertPixels(expected, Yuv.toRgb(bytes(planes), "i420-full", 5, 3, "frame"));
    assertPixels(expected, Yuv.toRgb(bytes(pairs), "nv12-full", 5, 3, "frame"));
    assertPixels(expected, Yuv.toRgb(bytes(swapped), "nv21-full", 5, 3, "frame"));
    // worked by hand: Y 100, U 100, V 220: R = 100 + 1.402 * 92 = 228.98, G = 100 - (0.202 * -28 + 0.4192 * 92) / 0.587 = 43.93,
    // B = 100 + 1.772 * -28 = 50.38; limited range made {245, 34, 41} of the same samples
    assertArrayEquals(new int[] {229, 44, 50}, expected[0][0]);
    assertEquals(Yuv.frameBytes("yuyv", 6, 4, "f"), Yuv.frameBytes("yuyv-full", 6, 4, "f"));
    for (String bad : new String[] {"nv12-fulll", "full", "-full", "NV12"}) {
      assertTrue(!Yuv.known(bad), bad);
      String msg = assertThrows(BadInputException.class, () -> Yuv.frameBytes(bad, 6, 4, "f")).getMessage();
      assertEquals("f: unknown YUV format " + bad + " (i420, nv12, nv21 or yuyv; with -full after it for full range)", msg);
    }
  }

  @Test
  void yuyvIsY0UY1VPerTwoPixels() {
    byte[] frame = bytes(
        // Y0 U Y1 V for each pair of pixels, row by row (6x3: chroma per pair, every row its own)
        60, 100, 90, 220, 120, 220, 150, 100, 180, 80, 210, 70,
        200, 150, 170, 180, 141, 70, 110, 150, 80, 200, 50, 60,
        95, 128, 136, 240, 115, 240, 175, 128, 145, 40, 85, 160);
    assertEquals(Yuv.frameBytes("yuyv", 6, 3, "f"), frame.length, "2 bytes a pixel");
    assertPixels(new int[][][] {
      {{198, 0, 0}, {233, 22, 30}, {76, 108, 255}, {111, 143, 255}, {98, 255, 94}, {133, 255, 129}},
      {{255, 163, 255}, {255, 128, 224}, {181, 150, 29}, {145, 114, 0}, {0, 102, 220}, {0, 67, 185}},
      {{255, 1, 92}, {255, 49, 140}, {115, 71, 255}, {185, 141, 255}, {201, 159, 0}, {131, 89, 0}},
    }, Yuv.toRgb(frame, "yuyv", 6, 3, "frame"));
  }

  static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) out[i] = (byte) values[i];
    return out;
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Every pixel of {@code rgb} is {@code expected[y][x]}, exactly. */
  static void assertPixels(int[][][] expected, Preprocess.Rgb rgb) {
    assertEquals(expected[0].length, rgb.width());
    assertEquals(expected.length, rgb.height());
    for (int y = 0; y < rgb.height(); y++) {
      for (int x = 0; x < rgb.width(); x++) {
        int o = (y * rgb.width() + x) * 3;
        int[] actual = {rgb.pixels()[o] & 0xff, rgb.pixels()[o + 1] & 0xff, rgb.pixels()[o + 2] & 0xff};
        assertArrayEquals(expected[y][x], actual, "pixel (" + x + ", " + y + ")");
      }
    }
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

  /**
   * A frame rewritten in place while it was read (a capture loop writing the next frame into the same file: the
   * same size, the same file) is refused naming the change, not classified as the top of one frame and the rest of
   * the next. Here the writer runs between the read and the check; left alone, the same file reads.
   */
  @Test
  void aFrameRewrittenWhileReadIsRefused() throws IOException {
    Path f = Files.write(dir.resolve("next.yuv"), encode("nv12", 8, 6));
    java.nio.file.attribute.FileTime first = Files.getLastModifiedTime(f), later = java.nio.file.attribute.FileTime.fromMillis(first.toMillis() + 1000);
    Runnable nextFrame = () -> {
      try {
        Files.write(f, encode("i420", 8, 6)); // in place: as many bytes, another frame
        Files.setLastModifiedTime(f, later);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
    BadInputException e = assertThrows(BadInputException.class, () -> new Preprocess(8, 8).frame(f, "nv12", 8, 6, nextFrame));
    assertEquals(f + ": changed while being read (its modification time is " + later + ", it was " + first
        + " when opened: was it overwritten in place?)", e.getMessage());
    assertEquals(3 * 8 * 8, new Preprocess(8, 8).frame(f, "nv12", 8, 6).length, "left alone, it reads");
  }

  /**
   * A frame held in memory (a capture library's buffer) gives the tensor its file gives, and one of another size
   * than its format implies is refused by name, not read in part.
   */
  @Test
  void aFrameInMemoryIsTheFrameOfItsFile() throws java.io.IOException {
    Preprocess pre = new Preprocess(8, 8);
    java.nio.file.Path file = java.nio.file.Files.createTempFile("frame", ".nv12");
    try {
      byte[] frame = encode("nv12", 16, 12);
      java.nio.file.Files.write(file, frame);
      org.junit.jupiter.api.Assertions.assertArrayEquals(pre.frame(file, "nv12", 16, 12), pre.frame(frame, "nv12", 16, 12, "camera"));
    } finally {
      java.nio.file.Files.delete(file);
    }
    for (int size : new int[] {100, 16 * 12 * 3 / 2 + 1}) { // short, and one byte long
      BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(BadInputException.class,
          () -> pre.frame(new byte[size], "nv12", 16, 12, "camera"));
      assertEquals("camera: " + size + " bytes, but a 16x12 nv12 frame has 288", e.getMessage());
    }
  }

  /** ARGB ints (Java's, Android's) and BGR bytes (OpenCV's) become the same RGB pixels; alpha is dropped. */
  @Test
  void argbAndBgrPixelsBecomeRgb() {
    byte[] rgb = {10, 20, 30, (byte) 200, (byte) 210, (byte) 220};
    Preprocess.Rgb fromArgb = Preprocess.Rgb.fromArgb(new int[] {0x800a141e, 0xffc8d2dc}, 2, 1);
    Preprocess.Rgb fromBgr = Preprocess.Rgb.fromBgr(new byte[] {30, 20, 10, (byte) 220, (byte) 210, (byte) 200}, 2, 1);
    org.junit.jupiter.api.Assertions.assertArrayEquals(rgb, fromArgb.pixels());
    org.junit.jupiter.api.Assertions.assertArrayEquals(rgb, fromBgr.pixels());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Preprocess.Rgb.fromArgb(new int[3], 2, 1));
    assertEquals("3 ints are not the ARGB pixels of a 2x1 image", e.getMessage());
  }
}
