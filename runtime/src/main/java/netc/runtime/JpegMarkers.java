package netc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The scans and segments of a JPEG file, counted before decoding: ImageIO's decoder redraws the
 * whole image after each scan of a progressive JPEG, so a small file of thousands of scans would
 * take hours (a repeated scan is only a warning, and a valid progression can have thousands of
 * scans without one), and it keeps every APP2 segment at a cost growing with their number. Walks
 * the markers (streaming, one read block): each segment's length is skipped, and after each
 * start-of-scan header the entropy-coded data is searched for the next marker. The walk stops at
 * the end-of-image marker of the first image with a frame (a tables-only stream before it, SOI and
 * EOI around tables, is walked through, as the decoders go on to the next image) or at the end of the
 * data (a truncated file is the decoder's to name). Reserved markers, which libjpeg refuses once it
 * has read the header past them, are refused here. Where
 * a marker should start and the bytes are none, the file is refused: libjpeg skips such bytes with a
 * warning ("extraneous bytes before marker") that refuses the file anyway, but only after decoding it,
 * and a walk that stopped there would leave the scans after it uncounted. At the end marker, the scans
 * must have sent every coefficient of every component to its last bit ({@link Walk#checkComplete}).
 */
final class JpegMarkers {
  /**
   * The most scans a JPEG may have: a baseline JPEG has 1 (or one per component), libjpeg's
   * progressive script 10 for color and 6 for gray, 18 for CMYK; optimizing encoders (mozjpeg,
   * jpegtran -optimize) stay in the same range.
   */
  static final int MAX_SCANS = 100;

  /**
   * The most pixels all scans together may redraw: scans times the frame's width and height. 100 scans
   * of a small image are quick, but of a 50-megapixel one they would keep the decoder busy for tens of
   * seconds (on an AMD EPYC Zen 5 ImageIO redraws about 270 million pixels a second: ten scans of 2048 x
   * 2048 took 155 ms). 1.5 billion is some 6 seconds there; libjpeg's progressive scripts (10 scans for
   * color, 18 for CMYK) stay within it up to the largest image {@link ImageLimits} allows by default (50
   * megapixels), and where -Dnetc.image.maxPixels allows larger ones, the bound is
   * {@link #SCRIPT_SCANS} scans of the largest ({@link #scanPixels}).
   */
  static final long MAX_SCAN_PIXELS = 1_500_000_000L;

  /** Scans of the largest image the limits allow that always fit: libjpeg's CMYK script has 18. */
  static final int SCRIPT_SCANS = 20;

  /** The bound on scans times pixels in force: {@link #MAX_SCAN_PIXELS}, or {@link #SCRIPT_SCANS} scans of the largest image the limits allow. */
  static long scanPixels() {
    return Math.max(MAX_SCAN_PIXELS, SCRIPT_SCANS * ImageLimits.limit(ImageLimits.MAX_PIXELS_PROPERTY, ImageLimits.DEFAULT_MAX_PIXELS));
  }

  /**
   * The most APP2 segments a JPEG may have. libjpeg keeps every APP2 segment for ImageIO (which looks
   * for a color profile in them) in a list it walks to its end to append each, so the time grows with
   * the square of their number: 20,000 empty ones (80 KB) took 6 seconds, 40,000 took 28, and 2
   * million (8 MB) would take most of a day. A color profile is split into at most 255 (its parts
   * are numbered with one byte); a multi-picture (MPF) or FlashPix segment adds one or a few. 512
   * cost a few milliseconds.
   */
  static final int MAX_APP2 = 512;

  /**
   * The most marker segments (each with a length: APPn, COM, tables, frame and scan headers) a JPEG
   * may have. A file has a few dozen: tables and a header for each of at most {@link #MAX_SCANS}
   * scans, a color profile's at most 255 parts, metadata split into 64 KB parts. The decoder skips
   * most of them cheaply, but ImageIO's metadata reader (asked for the Adobe segment of a CMYK JPEG
   * on Javas whose decoder has no CMYK) builds objects for each.
   */
  static final int MAX_SEGMENTS = 65_536;

  /** The system property that lets a JPEG whose scans stop before the last bit through ({@link Walk#checkComplete}). */
  static final String PARTIAL_PROPERTY = "netc.image.partialJpeg";

  private static final int APP0 = 0xe0, APP2 = 0xe2, APP14 = 0xee;

  private static final int SOS = 0xda, EOI = 0xd9, SOI = 0xd8, TEM = 0x01, COM = 0xfe, DNL = 0xdc;

  private JpegMarkers() {}

  /**
   * Throws a one-line BadInputException naming {@code file} if it has more than {@link #MAX_SCANS}
   * scans, {@link #MAX_APP2} APP2 segments or {@link #MAX_SEGMENTS} segments in all. Returns whether its
   * three components are YCbCr to libjpeg where ImageIO reads them otherwise or not at all ({@link Walk#libjpegYcc}).
   */
  static boolean check(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new Walk(file.toString(), in).run();
    }
  }

  /** {@link #check(Path)} of an image held in memory, {@code name} naming it in the message. */
  static boolean check(byte[] data, String name) throws IOException {
    return new Walk(name, new java.io.ByteArrayInputStream(data)).run();
  }

  /** One pass over a file's markers. */
  private static final class Walk {
    private final String file;
    private final InputStream in;
    private final byte[] block = new byte[1 << 16];
    private int pos, end;
    /** The file offset of {@code block[0]}. */
    private long base;

    Walk(String file, InputStream in) {
      this.file = file;
      this.in = in;
    }

    /**
     * What the segments before the first scan say of the color space: a JFIF or an Adobe segment, the Adobe
     * segment's color transform (-1 where it has none), the frame's component IDs.
     */
    private boolean jfif, adobe;
    private int adobeTransform = -1;
    private int[] ids = {};

    /**
     * Whether the frame's three components are YCbCr to libjpeg (PIL's decoder; its jdapimin.c) where
     * ImageIO's reader, which has rules of its own, reads them otherwise or not at all:
     * <ul>
     * <li>by libjpeg's guess alone: no JFIF or Adobe segment, and IDs other than 1, 2, 3 (JFIF's) and 'R', 'G',
     *     'B'. ImageIO read such a file's components (IDs 0, 1, 2, not subsampled) as RGB: every color wrong.
     * <li>a JFIF segment and an Adobe segment of transform 0 ("not transformed", RGB had it been alone): libjpeg
     *     takes the JFIF segment's word, YCbCr; ImageIO refuses the pair ("Unsupported Image Type").
     * </ul>
     */
    boolean libjpegYcc() {
      if (ids.length != 3) return false;
      if (jfif) return adobe && adobeTransform == 0;
      return !adobe && !(ids[0] == 1 && ids[1] == 2 && ids[2] == 3) && !(ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B');
    }

    /** Walks the file; {@link #libjpegYcc} of what it saw. */
    boolean run() throws IOException {
      walk();
      return libjpegYcc();
    }

    private void walk() throws IOException {
      if (next() != 0xff || next() != SOI) return;
      int scans = 0, app2 = 0, segments = 0;
      long pixels = 0, budget = scanPixels(); // the frame's, from its SOFn header
      for (int code = headerMarker(); code > 0; ) {
        if (code == EOI) {
          if (pixels > 0) { // the image's end: the decoder reads this image
            checkComplete(base + pos - 2);
            return;
          }
          // tables only (SOI, tables, EOI: an abbreviated stream): ImageIO and PIL go on to the image after it
          if (next() != 0xff || marker(0xff) != SOI) return;
          // a new image: libjpeg forgets what the tables' segments said of the color space at each SOI
          jfif = adobe = false;
          adobeTransform = -1;
          ids = new int[0];
          frameIds = null;
          code = headerMarker();
          continue;
        }
        if (code == TEM || code == SOI || code >= 0xd0 && code <= 0xd7) { // markers without a segment
          code = headerMarker();
          continue;
        }
        long start = base + pos - 2;
        if (reserved(code)) { // libjpeg's "unsupported marker": refused, but only once it has read the header past it
          throw new BadInputException(String.format(java.util.Locale.ROOT, "%s: cannot decode image (corrupt JPEG: reserved marker 0x%02X at byte %d)",
              file, code, start));
        }
        if (++segments > MAX_SEGMENTS) {
          throw new BadInputException(file + ": cannot decode image (JPEG of more than " + MAX_SEGMENTS + " marker segments (segment " + segments
              + " starts at byte " + start + "): encoders write a few dozen, a few hundred at most)");
        }
        if (code == APP2 && ++app2 > MAX_APP2) {
          throw new BadInputException(file + ": cannot decode image (JPEG of more than " + MAX_APP2 + " APP2 segments (APP2 segment " + app2
              + " starts at byte " + start + "): the decoder's time grows with the square of their number, and a color profile takes at most 255)");
        }
        int hi = next(), lo = next(), length = hi << 8 | lo;
        if (lo < 0) return;
        if (length < 2) {
          // libjpeg skips an APPn, COM or DNL segment's length less 2 only where that is positive, and goes on after the
          // length: so does the walk, which stopped counting there. Other segments of such a length are libjpeg's errors
          if (code >= 0xe0 && code <= 0xef || code == COM || code == DNL) {
            code = headerMarker();
            continue;
          }
          throw new BadInputException(String.format(java.util.Locale.ROOT, "%s: cannot decode image (corrupt JPEG: the segment of marker 0x%02X"
              + " at byte %d declares %d bytes, fewer than its length field)", file, code, start, length));
        }
        if (isFrame(code) && length >= 8) { // precision, height, width, components (ID, sampling, table each)
          int precision = next(), h = next() << 8 | next(), w = next() << 8 | next(), n = next();
          if (precision < 0 || n < 0) return;
          if (w > 0 && h > 0) ImageLimits.check(file, "image", w, h); // an image over the limits is refused by them, before its scans count
          pixels = (long) w * h;
          length -= 6;
          if (n >= 1 && length >= 2 + 3 * n) {
            int[] all = new int[n];
            for (int c = 0; c < n; c++) {
              all[c] = next();
              if (next() < 0 || next() < 0) return;
            }
            length -= 3 * n;
            if (n == 3) ids = all;
            startFrame(code, all);
          }
        } else if ((code == APP0 || code == APP14) && length >= 7 && scans == 0) { // the identifier: "JFIF\0", "Adobe"; libjpeg reads none past the first scan
          StringBuilder id = new StringBuilder();
          for (int i = 0; i < 5; i++) id.append((char) next());
          jfif |= code == APP0 && id.toString().equals("JFIF\0");
          boolean adobeHere = code == APP14 && id.toString().equals("Adobe");
          adobe |= adobeHere;
          length -= 5;
          if (adobeHere && length >= 2 + 7) { // version, flags0, flags1 (two bytes each), then the transform
            for (int i = 0; i < 6; i++) next();
            adobeTransform = next();
            length -= 7;
          }
        }
        if (code == SOS && length >= 2 + 1) { // the scan's components, then its spectral band and bit
          int ns = next();
          length -= 1;
          if (ns >= 1 && length >= 2 + 2 * ns + 3) {
            int[] cs = new int[ns];
            for (int i = 0; i < ns; i++) {
              cs[i] = next();
              next(); // its tables
            }
            int ss = next(), se = next(), al = next() & 0x0f;
            if (ss < 0 || se < 0) return;
            length -= 2 * ns + 3;
            addScan(cs, ss, se, al);
          }
        }
        if (!skip(length - 2)) return;
        if (code != SOS) {
          code = headerMarker();
          continue;
        }
        if (++scans > MAX_SCANS) {
          throw new BadInputException(file + ": cannot decode image (JPEG of more than " + MAX_SCANS + " scans (scan " + scans
              + " starts at byte " + start + "): the decoder redraws the image for each, and encoders write a few dozen at most)");
        }
        if (scans * pixels > budget) {
          throw new BadInputException(String.format(java.util.Locale.ROOT, "%s: cannot decode image (JPEG of %d scans or more over %,d pixels"
              + " (scan %d starts at byte %d): the decoder redraws the image for each, and %d of them pass %,d pixels)", file, scans, pixels,
              scans, start, scans, budget));
        }
        code = afterEntropyData();
      }
    }

    /**
     * What the scans so far sent of each component of the frame (its IDs {@code frameIds}, null when the frame is of
     * a kind not checked: lossless, hierarchical), as the lowest bit sent of its DC coefficient and of each AC
     * coefficient 1 to 63 ({@link #NONE} where nothing was): a scan sends bits down to its Al; an image is complete
     * once every coefficient is sent down to bit 0. A sequential scan sends its components whole.
     */
    private int[] frameIds;
    private int[][] lowestBit;
    private boolean progressive;
    private static final int NONE = 99;

    private void startFrame(int code, int[] componentIds) {
      boolean sequential = code == 0xc0 || code == 0xc1 || code == 0xc9;
      progressive = code == 0xc2 || code == 0xca;
      frameIds = sequential || progressive ? componentIds : null;
      lowestBit = new int[componentIds.length][64];
      for (int[] bits : lowestBit) java.util.Arrays.fill(bits, NONE);
    }

    private void addScan(int[] componentIds, int ss, int se, int al) {
      if (frameIds == null) return;
      for (int id : componentIds) {
        int c = indexOf(frameIds, id);
        if (c < 0) continue; // libjpeg's error, not this walk's
        int from = progressive ? Math.min(ss, 63) : 0, to = progressive ? Math.min(Math.max(se, ss), 63) : 63;
        if (progressive && ss == 0) to = 0; // a DC scan sends the DC coefficient only
        for (int k = from; k <= to; k++) lowestBit[c][k] = Math.min(lowestBit[c][k], progressive ? al : 0);
      }
    }

    private static int indexOf(int[] values, int v) {
      for (int i = 0; i < values.length; i++) if (values[i] == v) return i;
      return -1;
    }

    /**
     * Refuses an image whose scans end before they sent every coefficient to its last bit: a file cut short and
     * closed with an end marker (by a tool that repairs truncated downloads, say), or missing a component's scan.
     * libjpeg takes the end marker as the image's end and leaves what was not sent zero, without a warning: a
     * blocky or colorless image that the model would classify with confidence. The JPEG standard lets a
     * progressive script stop early on purpose (libjpeg's encoder requires only each component's DC), which
     * encoders' default scripts never do: {@link #PARTIAL_PROPERTY} reads such a file as libjpeg does.
     */
    private void checkComplete(long eoi) {
      if (frameIds == null || Boolean.getBoolean(PARTIAL_PROPERTY)) return;
      for (int c = 0; c < frameIds.length; c++) {
        int[] bits = lowestBit[c];
        String missing = null;
        if (bits[0] == NONE && (!progressive || java.util.Arrays.stream(bits).allMatch(b -> b == NONE))) {
          missing = "has no scan";
        } else if (bits[0] != 0) {
          missing = bits[0] == NONE ? "DC coefficients were never sent" : "DC coefficients stop at bit " + bits[0];
        } else {
          for (int k = 1; k < 64 && missing == null; k++) {
            if (bits[k] == 0) continue;
            int last = k;
            while (last < 63 && bits[last + 1] == bits[k]) last++;
            missing = "AC coefficients " + k + (last > k ? "-" + last : "") + (bits[k] == NONE ? " were never sent" : " stop at bit " + bits[k]);
          }
        }
        if (missing != null) {
          throw new BadInputException(file + ": cannot decode image (JPEG ends at byte " + eoi + " before its scans complete the image: component "
              + (c + 1) + " of " + frameIds.length + " (ID " + frameIds[c] + ") " + missing + ": a file cut short and closed with an end marker, or a"
            + " scan script that stops early on purpose, which -D" + PARTIAL_PROPERTY + "=true reads as libjpeg does)");
        }
      }
    }

    /** Whether {@code code} is a marker JPEG reserves (JPG, JPG0-JPG13, RES) or hierarchical coding's DHP and EXP, which libjpeg refuses. */
    private static boolean reserved(int code) {
      return code >= 0x02 && code <= 0xbf || code == 0xc8 || code >= 0xf0 && code <= 0xfd || code == 0xde || code == 0xdf;
    }

    /** Whether {@code code} starts a frame header (SOF0-SOF15 but DHT, JPG and DAC, which share the range). */
    private static boolean isFrame(int code) {
      return code >= 0xc0 && code <= 0xcf && code != 0xc4 && code != 0xc8 && code != 0xcc;
    }

    /**
     * The code of the marker that starts at the next byte, outside entropy-coded data, or -1 where the
     * data ends. Any other byte there, or 0xFF 0x00, is refused, naming its place.
     */
    private int headerMarker() throws IOException {
      long at = base + pos;
      int b = next();
      if (b < 0) return -1;
      int code = b == 0xff ? marker(b) : 0;
      if (code == 0) {
        throw new BadInputException(file + ": cannot decode image (corrupt JPEG: no marker at byte " + at
            + ", where a segment or the end of the image should start)");
      }
      return code;
    }

    /**
     * The code of the marker whose 0xFF is {@code b} (fill bytes, more 0xFFs, skipped), or -1 where the
     * data ends or {@code b} is not a marker.
     */
    private int marker(int b) throws IOException {
      if (b != 0xff) return -1;
      int code;
      do {
        code = next();
      } while (code == 0xff);
      return code;
    }

    /**
     * Skips a scan's entropy-coded data: the code of the marker that ends it, or -1 at the end of the
     * data. Inside it, 0xFF 0x00 is a stuffed data byte and 0xFF 0xD0-0xD7 a restart marker.
     */
    private int afterEntropyData() throws IOException {
      while (true) {
        while (pos < end && block[pos] != (byte) 0xff) pos++;
        if (pos == end) {
          if (!fill()) return -1;
          continue;
        }
        int code = marker(next());
        if (code < 0) return -1;
        if (code != 0 && (code < 0xd0 || code > 0xd7)) return code;
      }
    }

    private int next() throws IOException {
      if (pos == end && !fill()) return -1;
      return block[pos++] & 0xff;
    }

    /** Skips {@code n} bytes; false if the data ends first. */
    private boolean skip(int n) throws IOException {
      while (n > end - pos) {
        n -= end - pos;
        pos = end;
        if (!fill()) return false;
      }
      pos += n;
      return true;
    }

    private boolean fill() throws IOException {
      int n = in.readNBytes(block, 0, block.length);
      base += end;
      pos = 0;
      end = n;
      return n > 0;
    }
  }
}
