package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Truncated, damaged and oversized images: each is one error naming the file, never classified
 * with its missing part filled in, and never allowed to allocate what its header claims before
 * the claim is checked. The images are made here from small generated pictures.
 */
class BadImageTest {
  @TempDir Path dir;

  @AfterEach
  void clearLimits() {
    System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
    System.clearProperty(ImageLimits.MAX_SIDE_PROPERTY);
  }

  Path write(String name, byte[] data) throws IOException {
    return Files.write(dir.resolve(name), data);
  }

  String error(Path file) {
    String msg = assertThrows(BadInputException.class, () -> Preprocess.decode(file), file + " must be refused").getMessage();
    assertTrue(msg.startsWith(file + ": "), "names the file: " + msg);
    assertEquals(1, msg.lines().count(), "one line: " + msg);
    return msg;
  }

  /** The case: the first 700 bytes of a valid 400x300 JPEG were classified as if whole. */
  @Test
  void theFirst700BytesOfAJpegAreRefused() throws IOException {
    byte[] jpeg = TestImages.jpeg(TestImages.picture(400, 300), false);
    assertTrue(jpeg.length > 2000, "a real JPEG: " + jpeg.length + " bytes");
    assertEquals(400, Preprocess.decode(write("whole.jpg", jpeg)).width(), "the whole file decodes");
    Path cut = write("cut.jpg", Arrays.copyOf(jpeg, 700));
    assertEquals(cut + ": cannot decode image (truncated JPEG: the data ends before the end-of-image marker)", error(cut));
    for (int n : new int[] {jpeg.length / 4, jpeg.length / 2, jpeg.length * 9 / 10, jpeg.length - 2, jpeg.length - 1}) {
      Path f = write("cut" + n + ".jpg", Arrays.copyOf(jpeg, n));
      assertTrue(error(f).contains("truncated JPEG"), error(f));
    }
  }

  /** Every cut point of small baseline and progressive JPEGs and a PNG: never an image. */
  @ParameterizedTest
  @ValueSource(strings = {"baseline", "progressive", "png"})
  void everyTruncationIsRefused(String kind) throws IOException {
    var img = TestImages.picture(40, 30);
    byte[] whole = kind.equals("png") ? TestImages.png(img) : TestImages.jpeg(img, kind.equals("progressive"));
    Path file = dir.resolve("image");
    Files.write(file, whole);
    Preprocess.decode(file);
    int magic = kind.equals("png") ? 8 : 3;
    List<String> unexpected = new ArrayList<>();
    for (int n = 0; n < whole.length; n++) {
      Files.write(file, Arrays.copyOf(whole, n));
      String msg = error(file);
      String expected = n < magic ? "not a PNG or JPEG image" : kind.equals("png") ? "truncated PNG" : "truncated JPEG";
      if (!msg.contains(expected)) unexpected.add(n + ": " + msg);
    }
    assertTrue(unexpected.isEmpty(), unexpected.size() + " cuts say something else, e.g. " + unexpected.subList(0, Math.min(5, unexpected.size())));
  }

  /**
   * Bytes in memory (what Spark reads) go through the file's checks and decoder: the same pixels for
   * a whole image, the same message for each cut of a PNG and a JPEG, naming the given name.
   */
  @ParameterizedTest
  @ValueSource(strings = {"baseline", "png"})
  void bytesInMemoryDecodeAndFailExactlyAsTheFile(String kind) throws IOException {
    var img = TestImages.picture(40, 30);
    byte[] whole = kind.equals("png") ? TestImages.png(img) : TestImages.jpeg(img, false);
    Path file = write("image", whole);
    Preprocess.Rgb fromFile = Preprocess.decode(file), fromBytes = Preprocess.decode(whole, file.toString());
    assertEquals(40, fromBytes.width());
    assertArrayEquals(fromFile.pixels(), fromBytes.pixels());
    Preprocess pre = new Preprocess(16, 16);
    assertArrayEquals(pre.image(file), pre.image(whole, "x"));
    for (int n = 0; n < whole.length; n += 7) {
      byte[] cut = Arrays.copyOf(whole, n);
      write("image", cut);
      String msg = assertThrows(BadInputException.class, () -> Preprocess.decode(cut, file.toString())).getMessage();
      assertEquals(error(file), msg, "cut at " + n);
    }
  }

  @Test
  void aDamagedPngChunkFailsItsCrc() throws IOException {
    byte[] png = TestImages.png(TestImages.picture(40, 30));
    int idat = indexOf(png, "IDAT");
    png[idat + 20] ^= 0x10;
    Path f = write("damaged.png", png);
    assertEquals(f + ": cannot decode image (corrupt PNG: chunk IDAT at byte " + (idat - 4) + " fails its CRC check)", error(f));
  }

  /** Intact chunks (CRCs right) whose compressed rows stop at half the image: the decoder must not fill in the rest. */
  @Test
  void aPngWithIntactChunksButHalfItsRowsIsRefused() throws IOException {
    int w = 16, h = 16;
    byte[] rows = new byte[h / 2 * (1 + 3 * w)]; // filter byte + RGB per row, half the rows
    Arrays.fill(rows, (byte) 7);
    for (int r = 0; r < h / 2; r++) rows[r * (1 + 3 * w)] = 0;
    byte[] png = TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(w, h), TestImages.chunk("IDAT", deflate(rows)), TestImages.chunk("IEND", new byte[0]));
    Path f = write("half.png", png);
    assertTrue(error(f).startsWith(f + ": cannot decode image ("), error(f));
  }

  @Test
  void pngStructureProblemsAreNamed() throws IOException {
    byte[] idat = TestImages.chunk("IDAT", deflate(new byte[4]));
    byte[] iend = TestImages.chunk("IEND", new byte[0]);
    Path noHeader = write("noheader.png", TestImages.concat(PngChunks.SIGNATURE, idat, iend));
    assertEquals(noHeader + ": cannot decode image (corrupt PNG: the first chunk is IDAT, not a 13-byte IHDR)", error(noHeader));
    Path noData = write("nodata.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1), iend));
    assertEquals(noData + ": cannot decode image (corrupt PNG: no IDAT chunk (no pixel data))", error(noData));
    byte[] huge = TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xf0, 'I', 'D', 'A', 'T'});
    Path lying = write("lying.png", huge);
    assertEquals(lying + ": cannot decode image (corrupt PNG: chunk IDAT at byte 33 declares 4294967280 bytes)", error(lying));
  }

  /** A marker in the middle of the scan data: libjpeg warns and fills in the rest; that is an error. */
  @Test
  void corruptJpegDataIsRefused() throws IOException {
    byte[] jpeg = TestImages.jpeg(TestImages.picture(64, 48), false);
    int sos = indexOf(jpeg, new byte[] {(byte) 0xff, (byte) 0xda});
    int mid = (sos + jpeg.length) / 2;
    jpeg[mid] = (byte) 0xff;
    jpeg[mid + 1] = (byte) 0xd9; // an end-of-image marker where the scan is not done
    Path f = write("corrupt.jpg", jpeg);
    String msg = error(f);
    assertTrue(msg.startsWith(f + ": cannot decode image (corrupt JPEG: Corrupt JPEG data"), msg);
  }

  /** Bytes after the end marker (some cameras append data) leave the image whole: it decodes as without them. */
  @Test
  void bytesAfterTheEndMarkerAreIgnored() throws IOException {
    var img = TestImages.picture(40, 30);
    for (byte[] whole : List.of(TestImages.png(img), TestImages.jpeg(img, false))) {
      byte[] tail = TestImages.concat(whole, "trailing bytes".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      assertArrayEquals(Preprocess.decode(write("a", whole)).pixels(), Preprocess.decode(write("b", tail)).pixels());
    }
  }

  @Test
  void otherFormatsAndNonFilesAreNamed() throws IOException {
    Path gif = write("x.gif", "GIF89a....".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(gif + ": not a PNG or JPEG image (a GIF image)", error(gif));
    Path empty = write("empty.png", new byte[0]);
    assertEquals(empty + ": not a PNG or JPEG image (an empty file)", error(empty));
    assertEquals(dir + ": not a regular file (a directory)", error(dir));
    Path zero = Path.of("/dev/zero");
    if (Files.exists(zero)) assertEquals("/dev/zero: not a regular file (a device or a pipe)", error(zero));
  }

  /**
   * A small progressive JPEG with its last scan repeated 3000 times: ImageIO's decoder redraws the
   * whole image after each scan, which took 25 seconds for this 512x512 one (and grows with the
   * image). The scans are counted before decoding, and the 101st is refused with its place, from a
   * file and from memory alike.
   */
  @Test
  void thousandsOfScansAreRefusedBeforeDecoding() throws IOException {
    byte[] whole = TestImages.jpeg(TestImages.picture(512, 512), true);
    List<int[]> scans = TestImages.scans(whole);
    assertEquals(10, scans.size(), "libjpeg's progressive script");
    byte[] many = TestImages.repeatScan(whole, 9, 3000);
    Path f = write("scans.jpg", many);
    String msg = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> error(f));
    int[] last = scans.get(9);
    long scan101 = last[1] + 90L * (last[1] - last[0]);
    assertEquals(f + ": cannot decode image (JPEG of more than 100 scans (scan 101 starts at byte " + scan101
        + "): the decoder redraws the image for each, and encoders write a few dozen at most)", msg);
    assertEquals(msg, assertThrows(BadInputException.class, () -> Preprocess.decode(many, f.toString())).getMessage());
  }

  /**
   * The first warning that damages the pixels stops the decoder: a progressive JPEG whose first scan
   * is repeated 90 times (100 scans, the most allowed; a repeated scan is a warning) is refused after
   * its second scan: in less than four times the time of the whole 10-scan file (measured: a third to
   * two thirds of it), where redrawing the image for each of its 100 scans took eight times as long.
   * The margin is wide on both sides, so a loaded machine does not fail it; the fastest of three runs.
   */
  @Test
  void aDamagingWarningStopsTheDecoder() throws IOException {
    byte[] whole = TestImages.jpeg(TestImages.picture(1024, 1024), true);
    Path ok = write("ok.jpg", whole), repeated = write("repeated.jpg", TestImages.repeatScan(whole, 0, 90));
    long wholeNanos = Long.MAX_VALUE, repeatedNanos = Long.MAX_VALUE;
    for (int run = 0; run < 3; run++) { // the fastest of three: the first warms up
      long t0 = System.nanoTime();
      Preprocess.decode(ok);
      long t1 = System.nanoTime();
      String msg = error(repeated);
      wholeNanos = Math.min(wholeNanos, t1 - t0);
      repeatedNanos = Math.min(repeatedNanos, System.nanoTime() - t1);
      assertEquals(repeated + ": cannot decode image (corrupt JPEG: Inconsistent progression sequence for component 0 coefficient 0)", msg);
    }
    assertTrue(repeatedNanos < 4 * wholeNanos, "the refused file took " + repeatedNanos / 1e6 + " ms, the whole one " + wholeNanos / 1e6 + " ms");
  }

  /**
   * A file over the size cap is refused before a byte is read: a JPEG without its end marker in a
   * 10 GB sparse file (the decoder read on through the zeros), and a whole PNG followed by them.
   */
  @Test
  void aFileOverTheSizeCapIsRefusedUnread() throws IOException {
    byte[] jpeg = TestImages.jpeg(TestImages.picture(40, 30), false);
    Path endless = write("endless.jpg", Arrays.copyOf(jpeg, jpeg.length - 2));
    Path padded = write("padded.png", TestImages.png(TestImages.picture(40, 30)));
    for (Path f : List.of(endless, padded)) {
      try (RandomAccessFile file = new RandomAccessFile(f.toFile(), "rw")) {
        file.setLength(10L << 30);
      }
      String msg = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> error(f));
      assertEquals(f + ": 10737418240 bytes, more than 268435456: not read as an image", msg);
    }
  }

  // ---- sizes from the header ------------------------------------------------------------------

  /** A PNG header claiming 60000x60000 (10.8 GB of pixels) in a 60-byte file: refused before anything is allocated. */
  @Test
  void hugeDimensionsAreRefusedFromTheHeader() throws IOException {
    Path side = write("side.png", pngOfSize(60_000, 60_000));
    assertEquals(side + ": image of 60000x60000 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)", error(side));
    Path pixels = write("pixels.png", pngOfSize(8_000, 8_000));
    assertEquals(pixels + ": image of 8000x8000 has 64000000 pixels, over the limit of 50000000 (-Dnetc.image.maxPixels=N allows more)", error(pixels));
    Path jpeg = write("huge.jpg", jpegOfSize(60_000, 50_000));
    assertEquals(jpeg + ": image of 60000x50000 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)", error(jpeg));
  }

  @Test
  void limitsAreConfigurable() throws IOException {
    Path f = write("small.png", TestImages.png(TestImages.picture(400, 300)));
    System.setProperty(ImageLimits.MAX_SIDE_PROPERTY, "399");
    assertTrue(error(f).contains("has a side over the limit of 399 pixels"), error(f));
    System.setProperty(ImageLimits.MAX_SIDE_PROPERTY, "400");
    System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "119999");
    assertTrue(error(f).contains("has 120000 pixels, over the limit of 119999"), error(f));
    System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "120000");
    assertEquals(300, Preprocess.decode(f).height());
    System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "lots");
    assertEquals("-Dnetc.image.maxPixels=lots: not a positive integer up to 2147483647", assertThrows(BadInputException.class, () -> Preprocess.decode(f)).getMessage());
  }

  // ---- extreme aspect ratios ------------------------------------------------------------------

  /**
   * A strip at the side limit resizes to 256x7680000 (or the transpose) and is cropped: only the
   * crop is computed, in well under a second. The narrow side upscales from one pixel, so every
   * row of the crop is one color; the long side samples the strip's middle. The values are those
   * of the whole-image resample (ResampleTest's reference, computed over the window alone) at
   * torchvision's center crop; the strip is noise, so that a window off by a row or a weight differs.
   */
  @ParameterizedTest
  @ValueSource(strings = {"1x30000", "30000x1", "2x30000", "30000x3"})
  void stripsResizeAndCrop(String size) throws IOException {
    int w = Integer.parseInt(size.split("x")[0]), h = Integer.parseInt(size.split("x")[1]);
    java.awt.image.BufferedImage noise = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
    new java.util.Random(w + 7L * h).nextBytes(((java.awt.image.DataBufferByte) noise.getRaster().getDataBuffer()).getData());
    Path f = write("strip.png", TestImages.png(noise));
    float[] x = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new Preprocess(256, 224).image(f));
    assertEquals(3 * 224 * 224, x.length);
    int nw = w <= h ? 256 : 256 * w / h, nh = w <= h ? 256 * h / w : 256; // Resize(256): the shorter side 256
    int left = (int) Math.rint((nw - 224) / 2.0), top = (int) Math.rint((nh - 224) / 2.0); // CenterCrop(224)
    byte[] window = ResampleTest.referenceWindow(Preprocess.decode(f).pixels(), w, h, nw, nh, left, top, 224, 224);
    float[] expected = new float[3 * 224 * 224];
    for (int i = 0; i < 224 * 224; i++) {
      for (int c = 0; c < 3; c++) expected[c * 224 * 224 + i] = (window[3 * i + c] & 0xff) / 255f;
    }
    assertArrayEquals(expected, x, size);
    if (Math.min(w, h) == 1) {
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 224; i++) {
          for (int j = 1; j < 224; j++) {
            // along the short side every value equals the first
            float first = w == 1 ? x[(c * 224 + i) * 224] : x[c * 224 * 224 + i];
            float here = w == 1 ? x[(c * 224 + i) * 224 + j] : x[(c * 224 + j) * 224 + i];
            if (here != first) fail(size + ": channel " + c + " not constant along the short side at " + i + "," + j);
          }
        }
      }
    }
  }

  /** Beyond the side limit a strip is refused; with the limit raised it resizes like any other (no NegativeArraySizeException). */
  @Test
  void aStripBeyondTheLimitIsRefusedOrResizedWhenAllowed() throws IOException {
    Path f = write("long.png", TestImages.png(TestImages.picture(1, 100_000)));
    assertEquals(f + ": image of 1x100000 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)",
        assertThrows(BadInputException.class, () -> new Preprocess(256, 224).image(f)).getMessage());
    System.setProperty(ImageLimits.MAX_SIDE_PROPERTY, "1000000");
    assertEquals(3 * 224 * 224, assertTimeoutPreemptively(Duration.ofSeconds(10), () -> new Preprocess(256, 224).image(f)).length);
  }

  /** A resize whose longer side would pass 2^31 (a strip resized to a large shorter side) is refused, not wrapped around. */
  @Test
  void aResizedSideBeyondIntIsRefused() {
    Preprocess.Rgb strip = new Preprocess.Rgb(1, 30_000, new byte[3 * 30_000]);
    String msg = assertThrows(BadInputException.class, () -> new Preprocess(100_000, 224).tensor(strip, "strip")).getMessage();
    assertEquals("strip: image of 1x30000 resized to a shorter side of 100000 would be 100000x3000000000, a side over 2147483647", msg);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** A structurally valid PNG whose header says {@code w x h} and whose data holds one row. */
  static byte[] pngOfSize(int w, int h) {
    return TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(w, h), TestImages.chunk("IDAT", deflate(new byte[1])), TestImages.chunk("IEND", new byte[0]));
  }

  /** A real 16x16 JPEG with its frame header (SOF0) patched to say {@code w x h}. */
  static byte[] jpegOfSize(int w, int h) {
    byte[] jpeg = TestImages.jpeg(TestImages.picture(16, 16), false);
    int sof = indexOf(jpeg, new byte[] {(byte) 0xff, (byte) 0xc0});
    ByteBuffer.wrap(jpeg, sof + 5, 4).putShort((short) h).putShort((short) w);
    return jpeg;
  }

  static byte[] deflate(byte[] data) {
    Deflater d = new Deflater();
    d.setInput(data);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    while (!d.finished()) out.write(buf, 0, d.deflate(buf));
    d.end();
    return out.toByteArray();
  }

  static int indexOf(byte[] data, String ascii) {
    return indexOf(data, ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  static int indexOf(byte[] data, byte[] what) {
    outer:
    for (int i = 0; i + what.length <= data.length; i++) {
      for (int j = 0; j < what.length; j++) if (data[i + j] != what[j]) continue outer;
      return i;
    }
    throw new AssertionError("not found: " + Arrays.toString(what));
  }
}
