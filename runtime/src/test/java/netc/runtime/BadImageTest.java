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
    // ImageIO says "Error reading PNG image data": which part of the file, and why, were left out
    assertEquals(f + ": cannot decode image (corrupt PNG: its pixel data (the IDAT chunks) ends before the last row)", error(f));
    // all its rows, one with a filter type PNG has not (7): not "ends early"
    byte[] full = new byte[h * (1 + 3 * w)];
    Arrays.fill(full, (byte) 7);
    Path filter = write("filter.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(w, h), TestImages.chunk("IDAT", deflate(full)),
        TestImages.chunk("IEND", new byte[0])));
    assertEquals(filter + ": cannot decode image (corrupt PNG: its pixel data (the IDAT chunks) is damaged: Unknown row filter type (= 7)!)",
        error(filter));
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

  /**
   * The PNG reader's warnings that it ignored a chunk or its extras leave the pixels whole and are let
   * through (they were refused as corrupt): a gray image's tRNS chunk of the wrong length, a 4-bit
   * palette of 256 entries (its pixels reach 16), a tRNS chunk longer than the palette, an RGBA
   * image's (empty) tRNS chunk. A second PLTE chunk, which ImageIO ignores and PIL takes, is still
   * refused.
   */
  @Test
  void pngWarningsAboutIgnoredChunksAreLetThrough() throws IOException {
    byte[] iend = TestImages.chunk("IEND", new byte[0]);
    Path gray = write("gray.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 8, 0), TestImages.chunk("tRNS", new byte[3]),
        TestImages.chunk("IDAT", deflate(new byte[] {0, 10, 20})), iend));
    assertArrayEquals(new byte[] {10, 10, 10, 20, 20, 20}, Preprocess.decode(gray).pixels());
    byte[] palette = new byte[3 * 256];
    for (int i = 0; i < palette.length; i++) palette[i] = (byte) i;
    Path wide = write("wide.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 4, 3), TestImages.chunk("PLTE", palette),
        TestImages.chunk("IDAT", deflate(new byte[] {0, 0x1f})), iend));
    assertArrayEquals(new byte[] {3, 4, 5, 45, 46, 47}, Preprocess.decode(wide).pixels());
    Path alphas = write("alphas.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 8, 3), TestImages.chunk("PLTE", Arrays.copyOf(palette, 6)),
        TestImages.chunk("tRNS", new byte[] {1, 2, 3}), TestImages.chunk("IDAT", deflate(new byte[] {0, 1, 0})), iend));
    assertArrayEquals(new byte[] {3, 4, 5, 0, 1, 2}, Preprocess.decode(alphas).pixels());
    Path rgba = write("rgba.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 8, 6), TestImages.chunk("tRNS", new byte[0]),
        TestImages.chunk("IDAT", deflate(new byte[] {0, 10, 20, 30, (byte) 255, 40, 50, 60, 0})), iend));
    assertArrayEquals(new byte[] {10, 20, 30, 40, 50, 60}, Preprocess.decode(rgba).pixels());
    Path twice = write("twice.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 4, 3), TestImages.chunk("PLTE", palette),
        TestImages.chunk("PLTE", new byte[6]), TestImages.chunk("IDAT", deflate(new byte[] {0, 0x1f})), iend));
    assertEquals(twice + ": cannot decode image (corrupt PNG: a second PLTE chunk at byte 813)", error(twice));
  }

  /**
   * ImageIO parses a palette image's sPLT chunks (suggested palettes) even with metadata ignored, into five int
   * arrays of half their length before checking them: a 1x1 image with a large sPLT took gigabytes and was refused
   * as an image too large for the heap. A palette image's sPLTs may hold 1 MiB together; an RGB image's, which the
   * reader skips, and a palette image's other chunks (an animation's frames, text) are not counted.
   */
  @Test
  void aPaletteImageWithMegabytesOfSuggestedPalettesIsRefusedBeforeDecoding() throws IOException {
    byte[] iend = TestImages.chunk("IEND", new byte[0]);
    byte[] splt = TestImages.chunk("sPLT", new byte[(int) PngChunks.MAX_PALETTE_SPLT + 1]);
    Path palette = write("splt.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1, 8, 3), TestImages.chunk("PLTE", new byte[] {1, 2, 3}),
        splt, TestImages.chunk("IDAT", deflate(new byte[] {0, 0})), iend));
    assertEquals(palette + ": cannot decode image (palette PNG whose suggested palettes (sPLT chunks) hold more than 1048576 bytes (the sPLT at"
        + " byte 48 holds 1048577): the decoder reads them into memory ten times over, and a palette of 256 colors takes under 3 KB)", error(palette));
    Path rgb = write("rgb-splt.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1, 8, 2), splt,
        TestImages.chunk("IDAT", deflate(new byte[] {0, 10, 20, 30})), iend));
    assertArrayEquals(new byte[] {10, 20, 30}, Preprocess.decode(rgb).pixels());
    byte[] text = new byte[9 << 20];
    text[0] = 'k'; // a keyword, its terminator, then text
    Path captioned = write("text.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1, 8, 3), TestImages.chunk("PLTE", new byte[] {1, 2, 3}),
        TestImages.chunk("tEXt", text), TestImages.chunk("IDAT", deflate(new byte[] {0, 0})), iend));
    assertArrayEquals(new byte[] {1, 2, 3}, Preprocess.decode(captioned).pixels());
  }

  /**
   * The PNG reader reads none of the data of a tRNS chunk it ignores in an image with alpha, or before the palette,
   * and goes on from there: the chunk's data read as the next chunks. A crafted chunk (a fake IDAT inside, its first
   * bytes equal to its CRC) decoded a picture hidden in it, not the one PIL shows. Such a chunk is refused before
   * decoding (an empty one, which misleads nothing, is let through above).
   */
  @Test
  void aTrnsChunkTheReaderWouldMisreadIsRefused() throws IOException {
    byte[] idat = TestImages.chunk("IDAT", deflate(new byte[] {0, 10, 20, 30, (byte) 255, 40, 50, 60, 0}));
    byte[] iend = TestImages.chunk("IEND", new byte[0]);
    for (int colorType : new int[] {4, 6}) {
      Path f = write("alpha" + colorType + ".png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 8, colorType),
          TestImages.chunk("tRNS", new byte[6]), idat, iend));
      assertEquals(f + ": cannot decode image (corrupt PNG: chunk tRNS at byte 33 in an image with an alpha channel (color type " + colorType
          + "), which the PNG specification forbids)", error(f));
    }
    Path early = write("early.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(2, 1, 8, 3), TestImages.chunk("tRNS", new byte[] {1, 2}),
        TestImages.chunk("PLTE", new byte[6]), TestImages.chunk("IDAT", deflate(new byte[] {0, 1, 0})), iend));
    assertEquals(early + ": cannot decode image (corrupt PNG: chunk tRNS at byte 33 comes before the palette (PLTE chunk))", error(early));
  }

  /**
   * A palette index at or past the PLTE chunk's entries is an error by the PNG specification; ImageIO
   * pads the palette and decoded it without a word. The first such pixel is named, from a file and
   * from memory alike; indices within the palette decode.
   */
  @Test
  void aPaletteIndexPastThePaletteIsRefused() throws IOException {
    byte[] plte = TestImages.chunk("PLTE", new byte[] {1, 2, 3, 4, 5, 6}), iend = TestImages.chunk("IEND", new byte[0]);
    Path ok = write("ok.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(3, 1, 8, 3), plte, TestImages.chunk("IDAT", deflate(new byte[] {0, 1, 0, 1})), iend));
    assertArrayEquals(new byte[] {4, 5, 6, 1, 2, 3, 4, 5, 6}, Preprocess.decode(ok).pixels());
    byte[] beyond = TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(3, 2, 8, 3), plte, TestImages.chunk("IDAT", deflate(new byte[] {0, 1, 0, 1, 0, 0, 5, 2})), iend);
    Path f = write("beyond.png", beyond);
    assertEquals(f + ": cannot decode image (corrupt PNG: pixel (1, 1) has palette index 5, beyond the 2 entries of its PLTE chunk)", error(f));
    assertEquals(error(f), assertThrows(BadInputException.class, () -> Preprocess.decode(beyond, f.toString())).getMessage());
    // 2 bits a pixel: index 2 of a 2-entry palette, which ImageIO pads to 4 entries with black
    Path packed = write("packed.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(4, 1, 2, 3), plte, TestImages.chunk("IDAT", deflate(new byte[] {0, 0b00_01_10_01})), iend));
    assertEquals(packed + ": cannot decode image (corrupt PNG: pixel (2, 0) has palette index 2, beyond the 2 entries of its PLTE chunk)", error(packed));
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
   * A file this user may not read is "permission denied" (the exception's message was the path alone),
   * and one in a folder this user may not search "cannot access", not "no such file". The permissions
   * are skipped where they do not apply (root): {@link #aFileNotEvenRootMayReadIsPermissionDenied} and
   * FileOutputTest's reasons cover the message there.
   */
  @Test
  void unreadableFilesSayWhy() throws IOException {
    assertEquals(dir.resolve("none.png") + ": no such file", error(dir.resolve("none.png")));
    Path png = write("x.png", TestImages.png(TestImages.picture(4, 4))), jpeg = write("x.jpg", TestImages.jpeg(TestImages.picture(4, 4), false));
    Path yuv = write("f.yuv", new byte[6]);
    Path folder = Files.createDirectories(dir.resolve("closed")), hidden = Files.write(folder.resolve("y.png"), TestImages.png(TestImages.picture(4, 4)));
    var none = java.nio.file.attribute.PosixFilePermissions.fromString("---------");
    org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    for (Path f : List.of(png, jpeg, yuv, folder)) Files.setPosixFilePermissions(f, none);
    try {
      org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(png), "permissions apply to this user (not root)");
      assertEquals(png + ": cannot read (permission denied)", error(png));
      assertEquals(jpeg + ": cannot read (permission denied)", error(jpeg));
      assertEquals(yuv + ": cannot read (permission denied)", assertThrows(BadInputException.class, () -> new Preprocess(2, 2).frame(yuv, "i420", 2, 2)).getMessage());
      assertEquals(hidden + ": cannot access (permission denied)", error(hidden));
    } finally {
      for (Path f : List.of(png, jpeg, yuv, folder)) Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }
  }

  /**
   * The same message for a file that refuses even root: Linux's write-only /proc/sys/vm/drop_caches
   * (procfs checks its sysctl files' owner bits for root too), behind an image's name. So the refusal
   * is checked where the test runs as root, which bypasses the permissions above.
   */
  @Test
  void aFileNotEvenRootMayReadIsPermissionDenied() throws IOException {
    Path writeOnly = Path.of("/proc/sys/vm/drop_caches");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(writeOnly) && !Files.isReadable(writeOnly), "Linux's /proc/sys");
    for (String name : List.of("w.png", "w.jpg")) {
      Path link = Files.createSymbolicLink(dir.resolve(name), writeOnly);
      assertEquals(link + ": cannot read (permission denied)", error(link));
    }
  }

  /**
   * A file that can be neither found nor ruled out is "cannot access" with the reason, not "no such file": the
   * branch of a folder this user may not search, which root passes, reached here through two links naming each
   * other (the system's "too many levels of symbolic links"), which stop root too.
   */
  @Test
  void aFileBehindALinkLoopCannotBeAccessed() throws IOException {
    Path inside = netc.runtime.io.LinkLoop.fileBehind(dir, "x.png");
    String msg = error(inside);
    assertTrue(msg.startsWith(inside + ": cannot access (") && !msg.contains("no such file"), msg);
    assertTrue(msg.toLowerCase(java.util.Locale.ROOT).contains("symbolic links"), msg);
  }

  /**
   * A JPEG cut short between scans and closed with an end marker (what a tool that repairs truncated downloads
   * writes) decoded without a warning, what was not sent left zero: a blocky or colorless image classified with
   * confidence. Every such cut of a progressive JPEG is refused, saying which coefficients are missing, and so is a
   * baseline JPEG without its scan; the whole files decode.
   */
  private static final String CUT_OR_PARTIAL = ": a file cut short and closed with an end marker, or a scan script that stops early on purpose,"
      + " which -Dnetc.image.partialJpeg=true reads as libjpeg does)";

  @Test
  void aJpegWhoseScansStopBeforeTheImageIsCompleteIsRefused() throws IOException {
    byte[] whole = TestImages.jpeg(TestImages.picture(64, 48), true);
    List<int[]> scans = TestImages.scans(whole);
    assertEquals(10, scans.size(), "libjpeg's progressive script");
    Preprocess.decode(whole, "whole.jpg");
    for (int kept = 1; kept < scans.size(); kept++) {
      byte[] cut = Arrays.copyOf(whole, scans.get(kept - 1)[1] + 2);
      cut[cut.length - 2] = (byte) 0xff;
      cut[cut.length - 1] = (byte) 0xd9;
      String msg = assertThrows(BadInputException.class, () -> Preprocess.decode(cut, "cut.jpg")).getMessage();
      String prefix = "cut.jpg: cannot decode image (JPEG ends at byte " + (cut.length - 2) + " before its scans complete the image: component ";
      assertTrue(msg.startsWith(prefix) && msg.endsWith(CUT_OR_PARTIAL), kept + " scans: " + msg);
      if (kept == 1) assertEquals(prefix + "1 of 3 (ID 1) DC coefficients stop at bit 1" + CUT_OR_PARTIAL, msg);
      if (kept == 2) assertTrue(msg.contains("component 1 of 3 (ID 1) DC coefficients stop at bit 1"), msg);
      if (kept == 9) assertTrue(msg.contains("component 1 of 3 (ID 1) AC coefficients 1-63 stop at bit 1:"), msg);
    }
    // a script that stops early on purpose is legal JPEG: the property reads it as libjpeg does
    byte[] dcOnly = Arrays.copyOf(whole, scans.get(0)[1] + 2);
    dcOnly[dcOnly.length - 2] = (byte) 0xff;
    dcOnly[dcOnly.length - 1] = (byte) 0xd9;
    System.setProperty(JpegMarkers.PARTIAL_PROPERTY, "true");
    try {
      assertEquals(64, Preprocess.decode(dcOnly, "dc-only.jpg").width());
    } finally {
      System.clearProperty(JpegMarkers.PARTIAL_PROPERTY);
    }
    byte[] baseline = TestImages.jpeg(TestImages.picture(64, 48), false);
    Preprocess.decode(baseline, "baseline.jpg");
    int[] scan = TestImages.scans(baseline).get(0);
    byte[] noScan = Arrays.copyOf(baseline, scan[0] + 2);
    noScan[scan[0]] = (byte) 0xff;
    noScan[scan[0] + 1] = (byte) 0xd9;
    assertEquals("baseline.jpg: cannot decode image (JPEG ends at byte " + scan[0] + " before its scans complete the image: component 1 of 3"
        + " (ID 1) has no scan" + CUT_OR_PARTIAL,
        assertThrows(BadInputException.class, () -> Preprocess.decode(noScan, "baseline.jpg")).getMessage());
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
   * The walk that counts the scans goes on where the decoders do: past a COM or APPn segment declaring fewer than
   * its 2 length bytes (libjpeg skips nothing and goes on; the walk stopped, and 3000 scans after it decoded
   * uncounted), and past a tables-only stream in front (SOI, EOI: ImageIO and PIL decode the image after it). A
   * reserved marker, which libjpeg refuses only after reading the header past it, is refused at its place.
   */
  @Test
  void theScanCountCannotBeSteppedAround() throws IOException {
    byte[] many = TestImages.repeatScan(TestImages.jpeg(TestImages.picture(64, 64), true), 9, 3000);
    byte[] body = Arrays.copyOfRange(many, 2, many.length); // after SOI
    byte[] soi = {(byte) 0xff, (byte) 0xd8};
    for (byte[] front : new byte[][] {{(byte) 0xff, (byte) 0xfe, 0, 0}, {(byte) 0xff, (byte) 0xe5, 0, 1}, {(byte) 0xff, (byte) 0xdc, 0, 0},
        {(byte) 0xff, (byte) 0xd9, (byte) 0xff, (byte) 0xd8}}) {
      byte[] file = TestImages.concat(soi, front, body);
      String msg = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(BadInputException.class,
          () -> Preprocess.decode(file, "x.jpg")).getMessage());
      assertTrue(msg.startsWith("x.jpg: cannot decode image (JPEG of more than 100 scans (scan 101 starts at byte "), Arrays.toString(front) + ": " + msg);
    }
    byte[] reserved = TestImages.concat(soi, new byte[] {(byte) 0xff, (byte) 0xf0, 0, 4, 0, 0}, body);
    assertEquals("x.jpg: cannot decode image (corrupt JPEG: reserved marker 0xF0 at byte 2)",
        assertThrows(BadInputException.class, () -> Preprocess.decode(reserved, "x.jpg")).getMessage());
    byte[] shortTable = TestImages.concat(soi, new byte[] {(byte) 0xff, (byte) 0xdb, 0, 1}, body);
    assertEquals("x.jpg: cannot decode image (corrupt JPEG: the segment of marker 0xDB at byte 2 declares 1 bytes, fewer than its length field)",
        assertThrows(BadInputException.class, () -> Preprocess.decode(shortTable, "x.jpg")).getMessage());
    // and a tables-only stream in front of a good image still decodes, as in ImageIO and PIL
    byte[] good = TestImages.jpeg(TestImages.picture(64, 64), false);
    byte[] abbreviated = TestImages.concat(soi, new byte[] {(byte) 0xff, (byte) 0xd9}, good);
    assertArrayEquals(Preprocess.decode(good, "a.jpg").pixels(), Preprocess.decode(abbreviated, "b.jpg").pixels());
  }

  /**
   * Scans are bounded by the pixels they redraw too: 41 scans of a 6000 x 6000 frame are 1.48 billion, the
   * 42nd passes {@link JpegMarkers#MAX_SCAN_PIXELS}, and it is refused with its place before decoding (the
   * frame header is patched: the walk reads the size from it, the data is never decoded).
   */
  @Test
  void manyScansOfALargeImageAreRefusedBeforeDecoding() throws IOException {
    byte[] whole = TestImages.jpeg(TestImages.picture(512, 512), true);
    byte[] many = TestImages.repeatScan(whole, 9, 35); // 45 scans
    int sof = 2;
    while (!((many[sof] & 0xff) == 0xff && (many[sof + 1] & 0xff) == 0xc2)) sof += 2 + ((many[sof + 2] & 0xff) << 8 | (many[sof + 3] & 0xff));
    assertEquals(512, (many[sof + 5] & 0xff) << 8 | (many[sof + 6] & 0xff), "the progressive frame header's height");
    for (int at : new int[] {sof + 5, sof + 7}) { // height, width: 6000
      many[at] = (byte) (6000 >> 8);
      many[at + 1] = (byte) 6000;
    }
    Path f = write("large-scans.jpg", many);
    String msg = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> error(f));
    int[] last = TestImages.scans(whole).get(9);
    long scan42 = last[1] + 31L * (last[1] - last[0]);
    assertEquals(f + ": cannot decode image (JPEG of 42 scans or more over 36,000,000 pixels (scan 42 starts at byte " + scan42
        + "): the decoder redraws the image for each, and 42 of them pass 1,500,000,000 pixels)", msg);
    assertEquals(41 * 36_000_000L <= JpegMarkers.MAX_SCAN_PIXELS, true, "41 scans fit");
    // where -Dnetc.image.maxPixels allows larger images, 20 scans of the largest fit (libjpeg's CMYK script has 18):
    // the walk lets this file's 45 scans of 36 MP through (decoding it is the decoder's business, not done here)
    System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "100000000");
    try {
      assertEquals(2_000_000_000L, JpegMarkers.scanPixels());
      JpegMarkers.check(many, "large-scans.jpg");
    } finally {
      System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
    }
    assertEquals(JpegMarkers.MAX_SCAN_PIXELS, JpegMarkers.scanPixels());
  }

  /**
   * Bytes between a scan's data and the next marker (zeros before the end marker, as some encoders and cameras
   * write) are libjpeg's "extraneous bytes" warning, not damage: the image decodes to the same pixels as without
   * them, as PIL's does, baseline and progressive. A file cut inside its scan data stays refused.
   */
  @Test
  void paddingBeforeTheEndMarkerDecodesAsWithout() throws IOException {
    for (boolean progressive : List.of(false, true)) {
      byte[] jpeg = TestImages.jpeg(TestImages.picture(40, 24), progressive);
      byte[] padded = TestImages.concat(Arrays.copyOf(jpeg, jpeg.length - 2), new byte[16], new byte[] {(byte) 0xff, (byte) 0xd9});
      assertArrayEquals(Preprocess.decode(jpeg, "plain.jpg").pixels(), Preprocess.decode(padded, "padded.jpg").pixels(), "progressive " + progressive);
      Path f = write("padded.jpg", padded);
      assertArrayEquals(Preprocess.decode(jpeg, "plain.jpg").pixels(), Preprocess.decode(f).pixels());
    }
    byte[] jpeg = TestImages.jpeg(TestImages.picture(40, 24), false);
    List<int[]> scans = TestImages.scans(jpeg);
    int cut = scans.get(0)[1] - 40; // inside the only scan's data, then the end marker
    byte[] cutShort = TestImages.concat(Arrays.copyOf(jpeg, cut), new byte[] {(byte) 0xff, (byte) 0xd9});
    String msg = assertThrows(BadInputException.class, () -> Preprocess.decode(cutShort, "cut.jpg")).getMessage();
    assertTrue(msg.startsWith("cut.jpg: cannot decode image ("), msg);
  }

  /**
   * A byte where a marker should start (after the JFIF segment) took the scans after it out of the count:
   * libjpeg skips it with a warning, and that file of 3000 scans decoded for seconds before being refused.
   * The walk refuses it at that byte, as it does 0xFF 0x00 there.
   */
  @Test
  void aStrayByteBetweenSegmentsIsRefusedWhereItIs() throws IOException {
    byte[] many = TestImages.repeatScan(TestImages.jpeg(TestImages.picture(512, 512), true), 9, 3000);
    int at = 4 + ((many[4] & 0xff) << 8 | (many[5] & 0xff)); // after SOI and the JFIF segment
    for (byte[] stray : List.of(new byte[] {0}, new byte[] {(byte) 0xff, 0})) {
      byte[] bad = TestImages.concat(Arrays.copyOf(many, at), stray, Arrays.copyOfRange(many, at, many.length));
      Path f = write("stray.jpg", bad);
      String msg = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> error(f));
      assertEquals(f + ": cannot decode image (corrupt JPEG: no marker at byte " + at + ", where a segment or the end of the image should start)", msg);
      assertEquals(msg, assertThrows(BadInputException.class, () -> Preprocess.decode(bad, f.toString())).getMessage());
    }
  }

  /**
   * A palette PNG with empty ancillary chunks (12 bytes each, CRCs right): ImageIO's reader keeps each
   * (20 million took 1.8 GB and two minutes), so more than {@link PngChunks#MAX_CHUNKS} besides IDAT
   * are refused before decoding, with the place of the first one too many; at the bound the image
   * decodes.
   */
  @Test
  void tooManyPngChunksAreRefusedBeforeDecoding() throws IOException {
    byte[] head = TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1, 8, 3),
        TestImages.chunk("PLTE", new byte[] {10, 20, 30}));
    byte[] tail = TestImages.concat(TestImages.chunk("IDAT", deflate(new byte[2])), TestImages.chunk("IEND", new byte[0]));
    // IHDR, PLTE and IEND count: this many empty chunks reach the bound exactly
    int fits = PngChunks.MAX_CHUNKS - 3;
    Path ok = write("ok.png", TestImages.concat(head, repeat(TestImages.chunk("vpAg", new byte[0]), fits), tail));
    assertArrayEquals(new byte[] {10, 20, 30}, Preprocess.decode(ok).pixels());
    Path many = write("many.png", TestImages.concat(head, repeat(TestImages.chunk("vpAg", new byte[0]), fits + 2), tail));
    assertEquals(many + ": cannot decode image (PNG of more than 65536 chunks besides IDAT (chunk 65537, vpAg, starts at byte " + (head.length + 12L * (fits + 1))
        + "): the decoder keeps each, and encoders write a few dozen, or two per frame of an animation)", error(many));
  }

  /**
   * Empty APP2 segments (4 bytes each): libjpeg keeps each in a list it walks to the end for every
   * one, 40,000 took 28 seconds; more than {@link JpegMarkers#MAX_APP2} are refused before decoding,
   * as are more than {@link JpegMarkers#MAX_SEGMENTS} segments of any kind. At the bounds the image
   * decodes.
   */
  @Test
  void tooManyJpegSegmentsAreRefusedBeforeDecoding() throws IOException {
    byte[] jpeg = TestImages.jpeg(TestImages.picture(16, 16), false);
    int at = 4 + ((jpeg[4] & 0xff) << 8 | (jpeg[5] & 0xff)); // after SOI and the JFIF segment
    byte[] app2 = {(byte) 0xff, (byte) 0xe2, 0, 2}, comment = {(byte) 0xff, (byte) 0xfe, 0, 2};
    assertEquals(16, Preprocess.decode(withSegments(jpeg, at, app2, JpegMarkers.MAX_APP2), "ok.jpg").width());
    Path f = write("app2.jpg", withSegments(jpeg, at, app2, JpegMarkers.MAX_APP2 + 1));
    assertEquals(f + ": cannot decode image (JPEG of more than 512 APP2 segments (APP2 segment 513 starts at byte " + (at + 4 * 512)
        + "): the decoder's time grows with the square of their number, and a color profile takes at most 255)", error(f));
    int own = 0; // the image's own segments (JFIF, tables, frame and scan headers): with them this many comments reach the bound exactly
    for (int i = 2; (jpeg[i + 1] & 0xff) != 0xda; i += 2 + ((jpeg[i + 2] & 0xff) << 8 | (jpeg[i + 3] & 0xff))) own++;
    assertEquals(16, Preprocess.decode(withSegments(jpeg, at, comment, JpegMarkers.MAX_SEGMENTS - own - 1), "ok.jpg").width());
    // the JFIF segment is the first: the last of these comments is segment 65537
    Path g = write("comments.jpg", withSegments(jpeg, at, comment, JpegMarkers.MAX_SEGMENTS));
    assertEquals(g + ": cannot decode image (JPEG of more than 65536 marker segments (segment 65537 starts at byte " + (at + 4L * 65535)
        + "): encoders write a few dozen, a few hundred at most)", error(g));
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

  /**
   * An image replaced while it was read (another file renamed over it between the structure check and the decoder's
   * pass, or rewritten in place) is refused naming the change: the checks were made of one file and the pixels of
   * another. Here the writer runs between the decode and the check; left alone, the same file decodes.
   */
  @Test
  void anImageReplacedWhileReadIsRefused() throws Exception {
    Path f = write("shot.png", TestImages.png(TestImages.picture(8, 6)));
    Path next = write("next.png", TestImages.png(TestImages.picture(6, 8)));
    Runnable replace = () -> {
      try {
        java.nio.file.Files.move(next, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class).fileKey() != null,
        "a file system that gives files an identity");
    BadInputException e = assertThrows(BadInputException.class, () -> Preprocess.decode(f, replace));
    assertEquals(f + ": changed while being read (another file now has its name)", e.getMessage());
    assertEquals(6, Preprocess.decode(f).width(), "left alone, the file now there decodes");
  }

  /**
   * A PNG within the limits whose pixels need more heap than the JVM has: the PNG reader wraps the
   * OutOfMemoryError as "Caught exception during read: ", which was the whole message. Decoded in a
   * JVM of 64 MB, this 4000x4000 16-bit RGBA header (128 MB of samples) is the heap message.
   */
  @Test
  void aPngBeyondTheHeapSaysSo() throws Exception {
    Path f = write("big.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(4000, 4000, 16, 6),
        TestImages.chunk("IDAT", deflate(new byte[1])), TestImages.chunk("IEND", new byte[0])));
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        Decode.class.getName(), f.toString()).redirectErrorStream(true).redirectOutput(f.resolveSibling("decode.log").toFile()).start();
    // the output to a file, so the wait can time out: a read of the pipe would block until the JVM ended
    boolean ended = p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
    if (!ended) p.destroyForcibly();
    String out = Files.readString(f.resolveSibling("decode.log")).strip();
    assertTrue(ended, "the decoding JVM ends: " + out);
    assertTrue(out.matches(java.util.regex.Pattern.quote(f + ": decoding the image of 4000x4000 needs more memory than this JVM may use (") + "\\d+ MB; raise it with -Xmx\\)"), out);
    // the compiled jar's command line prints that message, not its own of the JVM's out-of-memory
    OutOfMemoryError named = new OutOfMemoryError(out);
    named.initCause(new OutOfMemoryError("Java heap space"));
    assertEquals("error: " + out, Main.errorLine(f.toString(), named));
  }

  /** Decodes the file named by its argument, printing the message of a refusal (a test's JVM of a given heap). */
  public static final class Decode {
    public static void main(String[] args) {
      try {
        Preprocess.Rgb rgb = Preprocess.decode(Path.of(args[0]));
        System.out.println("decoded " + rgb.width() + "x" + rgb.height());
      } catch (BadInputException e) {
        System.out.println("refused: " + e.getMessage());
      } catch (OutOfMemoryError e) { // the heap, not the file: not a BadInputException
        System.out.println(e.getMessage());
      }
    }
  }

  /** The decoder's exception names its cause: a palette PNG without a palette. */
  @Test
  void aDecoderErrorNamesItsCause() throws IOException {
    Path f = write("nopalette.png", TestImages.concat(PngChunks.SIGNATURE, TestImages.ihdr(1, 1, 8, 3),
        TestImages.chunk("IDAT", deflate(new byte[2])), TestImages.chunk("IEND", new byte[0])));
    assertEquals(f + ": cannot decode image (Error reading PNG metadata: Required PLTE chunk missing)", error(f));
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

  static byte[] repeat(byte[] part, int n) {
    byte[] out = new byte[part.length * n];
    for (int i = 0; i < n; i++) System.arraycopy(part, 0, out, i * part.length, part.length);
    return out;
  }

  /** {@code jpeg} with {@code n} copies of {@code segment} inserted at byte {@code at}. */
  static byte[] withSegments(byte[] jpeg, int at, byte[] segment, int n) {
    return TestImages.concat(Arrays.copyOf(jpeg, at), repeat(segment, n), Arrays.copyOfRange(jpeg, at, jpeg.length));
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
