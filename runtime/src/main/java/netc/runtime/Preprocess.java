package netc.runtime;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Image input as torchvision prepares it for ImageNet models: decode to 8-bit RGB (as PIL's
 * convert("RGB"), but for 16-bit gray: see {@link #toRgb}), Resize(256) with PIL's antialiased
 * bilinear filter (or bicubic, as torchvision's EfficientNet V1 weights ask: {@link Interpolation}),
 * CenterCrop(224), ToTensor (values / 255, CHW). The mean/std normalization is not
 * here: a spec declares it as part of the network, where it is folded into the first conv.
 *
 * <p>The resize reproduces Pillow's two-pass fixed-point resampling (horizontal, then vertical, each
 * rounded to 8 bits), so the tensor matches torchvision on a PIL-loaded image to within 1/255.
 */
public final class Preprocess {
  /**
   * The resize's filter, as torchvision's {@code Resize(size, interpolation)} on a PIL image (Pillow's
   * antialiased filters): bilinear, torchvision's default and most of its weights'; bicubic, its EfficientNet
   * V1 weights' (each at its own size: B0 256 then 224, B3 320 then 300). A model says which in its spec
   * ({@code input(..., bicubic = true)}).
   */
  public enum Interpolation {
    BILINEAR(1),
    BICUBIC(2);

    private final int support;

    Interpolation(int support) {
      this.support = support;
    }

    /** The filter's reach in source pixels at scale 1 (Pillow's support). */
    int support() {
      return support;
    }

    /**
     * The filter at {@code x} source pixels from the center, as Pillow computes it: the triangle, or the
     * bicubic convolution kernel with a = -0.5 (Keys').
     */
    double weight(double x) {
      x = Math.abs(x);
      if (this == BILINEAR) return x < 1 ? 1 - x : 0;
      double a = -0.5;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      return x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0;
    }

    /** As a compiled model's properties and the command line spell it: "bilinear", "bicubic". */
    public String spelled() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The filter {@code text} spells ({@link #spelled}), or null. */
    public static Interpolation named(String text) {
      for (Interpolation i : values()) if (i.spelled().equals(text)) return i;
      return null;
    }
  }

  private final int resize;
  private final int crop;
  private final Interpolation interpolation;

  /**
   * @throws IllegalArgumentException unless both are positive, the resize is at least the crop (a
   *     smaller one leaves every image too small for it) and a crop's 3 x crop x crop values fit in a
   *     Java array
   */
  public Preprocess(int resize, int crop) {
    this(resize, crop, Interpolation.BILINEAR);
  }

  /**
   * Resizes with {@code interpolation}'s filter.
   *
   * @throws IllegalArgumentException as {@link #Preprocess(int, int)}, or for a null interpolation
   */
  public Preprocess(int resize, int crop, Interpolation interpolation) {
    if (interpolation == null) throw new IllegalArgumentException("interpolation: null; give Interpolation.BILINEAR or BICUBIC");
    if (resize < 1 || crop < 1) throw new IllegalArgumentException("resize and crop must be positive, got " + resize + " and " + crop);
    if (resize < crop) {
      throw new IllegalArgumentException("a resize of " + resize + " is smaller than the crop of " + crop
          + ": images are resized to that shorter side, then center-cropped to " + crop + "x" + crop);
    }
    if (3L * crop * crop > ImageLimits.MAX_ARRAY) throw new IllegalArgumentException("a crop of " + crop + " has more values than a Java array holds");
    this.resize = resize;
    this.crop = crop;
    this.interpolation = interpolation;
  }

  /**
   * The preprocessing {@code model} was compiled for (its spec's {@code input(..., resize = N, bicubic = B)}
   * and input size): images prepared so are what the model expects.
   *
   * @throws IllegalArgumentException when the model does not take RGB images (not 3 x S x S)
   */
  public static Preprocess forModel(CompiledModel model) {
    Arguments.notNull(model, "model");
    ModelInfo.Preprocessing p = model.info().preprocess();
    if (p == null) {
      throw new IllegalArgumentException("the model " + model.name() + " takes " + model.info().inputShape()
          + " tensors, not RGB images (3 x S x S): prepare its inputs yourself");
    }
    return new Preprocess(p.resize(), p.crop(), p.interpolation());
  }

  /** The shorter side after resizing. */
  public int resize() {
    return resize;
  }

  /** The side of the center crop (the tensor is 3 x crop x crop). */
  public int crop() {
    return crop;
  }

  /** The resize's filter. */
  public Interpolation interpolation() {
    return interpolation;
  }

  /** Decodes, resizes, crops: a [3, crop, crop] tensor in [0, 1]. */
  public float[] image(Path file) {
    return tensor(decode(file), file.toString());
  }

  /**
   * {@link #image(Path)} of an encoded PNG or JPEG held in memory (a file read by Spark, a network
   * message): the same checks and decoder, {@code name} naming the image in the messages.
   */
  public float[] image(byte[] encoded, String name) {
    return tensor(decode(encoded, name), name);
  }

  /**
   * {@link #image(Path)} of an encoded image read from a stream (an upload, a resource), read to its
   * end; at most {@link #MAX_STREAM_BYTES} bytes are taken, more is refused rather than buffered.
   */
  public float[] image(java.io.InputStream encoded, String name) {
    Arguments.notNull(encoded, "encoded");
    Arguments.notNull(name, "name"); // it names the image in every message: "null: not a PNG or JPEG image" named nothing
    return image(readAtMost(encoded, name, MAX_STREAM_BYTES), name);
  }

  /**
   * The stream's bytes to its end, refused past {@code max} as soon as it passes it: in chunks, joined once
   * all are in (readNBytes(max + 1) read the whole cap plus a byte before it could refuse, then joined it,
   * twice the cap held at once).
   */
  static byte[] readAtMost(java.io.InputStream in, String name, int max) {
    List<byte[]> chunks = new ArrayList<>();
    long total = 0;
    try {
      for (int size = 1 << 16; ; size = (int) Math.min(size * 2L, 1 << 24)) {
        byte[] chunk = new byte[(int) Math.min(size, max + 1L - total)];
        int n = 0;
        for (int r; n < chunk.length && (r = in.read(chunk, n, chunk.length - n)) >= 0; ) n += r;
        total += n;
        if (total > max) throw new BadInputException(name + ": more than " + max + " bytes: not read as an image");
        chunks.add(n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n));
        if (n < chunk.length) break; // the end of the stream
      }
    } catch (IOException e) {
      throw readFailure(name, e, e.getMessage());
    }
    byte[] all = new byte[(int) total];
    int at = 0;
    for (byte[] c : chunks) {
      System.arraycopy(c, 0, all, at, c.length);
      at += c.length;
    }
    return all;
  }

  /**
   * The largest encoded image read from a stream or a file: far above any PNG or JPEG within the
   * pixel limits that compress at all, and small enough to buffer. A file's size is checked before
   * it is read, so a valid header followed by gigabytes (a sparse file) is refused at once.
   */
  public static final int MAX_STREAM_BYTES = 256 << 20;

  /**
   * An image already decoded (a camera frame grabbed as a BufferedImage, an AWT or Swing picture):
   * converted to RGB as a decoded file is (alpha dropped, gray replicated, palettes looked up, CMYK
   * as Pillow converts it; see {@link #readsRaw}), then resized and cropped.
   */
  public float[] image(BufferedImage image, String name) {
    Arguments.notNull(image, "image");
    Arguments.notNull(name, "name");
    ImageLimits.check(name, "image", image.getWidth(), image.getHeight());
    ColorModel model = image.getColorModel();
    return tensor(readsRaw(model) ? toRgb(image.getRaster(), model, name) : viaArgb(image, name), name);
  }

  /**
   * Whether {@link #toRgb} reads an image of {@code model} from its samples, as it reads a decoded
   * file: a palette; RGB or CMYK of 8 or 16 bits a sample; gray of up to 16 bits (AWT's own
   * conversion takes gray for linear and brightens it, mid gray to 74%). Alpha must not be
   * premultiplied. Any RGB color space is read as RGB, as a file's color profile is ignored. The
   * samples must be unsigned integers (byte, ushort, int), or signed 16-bit ones, which toRgb reads
   * as their color model scales them (AWT's conversion of signed gray fails on a negative sample).
   */
  private static boolean readsRaw(ColorModel model) {
    int type = model.getTransferType();
    if (type != DataBuffer.TYPE_BYTE && type != DataBuffer.TYPE_USHORT && type != DataBuffer.TYPE_INT && type != DataBuffer.TYPE_SHORT) return false;
    if (model instanceof IndexColorModel) return true;
    int bits = model.getComponentSize(0);
    if (model.isAlphaPremultiplied() || !java.util.Arrays.stream(model.getComponentSize()).allMatch(b -> b == bits)) return false;
    return switch (model.getColorSpace().getType()) {
      case ColorSpace.TYPE_RGB, ColorSpace.TYPE_CMYK -> bits == 8 || bits == 16;
      case ColorSpace.TYPE_GRAY -> bits <= 16;
      default -> false;
    };
  }

  /**
   * The RGB of an image {@link #toRgb} does not read (5-6-5 and 5-5-5 packed pixels, TYPE_INT_ARGB_PRE,
   * float samples, color spaces such as PhotoYCC or XYZ): its color model's own conversion, alpha
   * dropped as PIL drops it.
   */
  private static Rgb viaArgb(BufferedImage image, String name) {
    int w = image.getWidth(), h = image.getHeight();
    byte[] out = new byte[ImageLimits.array(name, 3L * w * h, "the RGB pixels of " + w + "x" + h)];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      try {
        image.getRGB(0, y, w, 1, row, 0, w);
      } catch (ArrayIndexOutOfBoundsException e) {
        // AWT's conversion of float or double samples outside [0, 1] in a gray or linear RGB color space indexes past its tables
        throw new BadInputException(name + ": row " + y + " of the image has samples its color model cannot convert to RGB"
            + " (float samples outside 0..1?)");
      }
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 3, argb = row[x];
        out[o] = (byte) (argb >> 16);
        out[o + 1] = (byte) (argb >> 8);
        out[o + 2] = (byte) argb;
      }
    }
    return new Rgb(w, h, out);
  }

  /**
   * A raw camera frame, converted from YUV (BT.601, limited range, or full with -full after the format) to RGB first. The size the
   * format and {@code width x height} imply is checked against the limits and against the file's
   * size before anything is read, so a device or a huge sparse file is refused without reading it.
   */
  public float[] frame(Path file, String format, int width, int height) {
    Arguments.notNull(file, "file");
    return frame(file, format, width, height, () -> {});
  }

  /**
   * {@link #frame(Path, String, int, int)}, running {@code whileOpen} between the read and the check that the file is
   * still the one read (a test's writer): a frame rewritten in place as it was read (a capture loop writing the next
   * frame into the same file, an mmap'd buffer) held the top of one frame and the rest of the next, classified as one.
   */
  float[] frame(Path file, String format, int width, int height, Runnable whileOpen) {
    String name = file.toString();
    long expected = Yuv.frameBytes(format, width, height, name);
    netc.runtime.io.RegularFile.require(file, "");
    byte[] data;
    try {
      long size = Files.size(file);
      netc.runtime.io.FileIdentity before = netc.runtime.io.FileIdentity.of(file, size);
      if (size != expected) throw new BadInputException(Yuv.sizeMismatch(name, size, format, width, height, expected));
      data = readExactly(file, (int) expected);
      whileOpen.run();
      before.requireUnchanged(file);
    } catch (IOException e) {
      throw readFailure(name, e, netc.runtime.io.FileOutput.reason(e));
    }
    return tensor(Yuv.toRgb(data, format, width, height, name), name);
  }

  /**
   * A raw camera frame held in memory (a capture library's buffer), as {@link #frame(Path, String, int, int)}
   * reads one from a file: i420, nv12, nv21 or yuyv, BT.601 limited range (full range with -full after it: nv21-full); {@code name} names it in messages. A buffer
   * of another size than the format and {@code width x height} imply is refused, not read in part.
   */
  public float[] frame(byte[] data, String format, int width, int height, String name) {
    Arguments.notNull(data, "data");
    Arguments.notNull(name, "name");
    long expected = Yuv.frameBytes(format, width, height, name);
    if (data.length != expected) throw new BadInputException(Yuv.sizeMismatch(name, data.length, format, width, height, expected));
    return tensor(Yuv.toRgb(data, format, width, height, name), name);
  }

  /** Reads {@code n} bytes and no more, in case the file changed since its size was checked. */
  private static byte[] readExactly(Path file, int n) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] data = in.readNBytes(n);
      if (data.length != n || in.read() >= 0) throw new BadInputException(file + ": the file changed size while it was read");
      return data;
    }
  }

  /**
   * RGB bytes [h][w][3] with their size. Pixels in other orders come in through {@link #fromArgb} (Java's and
   * Android's packed ints) and {@link #fromBgr} (OpenCV's byte order): given as they are, BGR bytes would be taken
   * for RGB, red and blue swapped, without a word.
   */
  public record Rgb(int width, int height, byte[] pixels) {
    public Rgb {
      Arguments.notNull(pixels, "pixels");
      if (width < 1 || height < 1 || pixels.length != 3L * width * height) {
        throw new IllegalArgumentException(pixels.length + " bytes are not the RGB pixels of a " + width + "x" + height + " image");
      }
    }

    /**
     * From packed ARGB ints, row by row ({@code BufferedImage.getRGB(0, 0, w, h, null, 0, w)}, Android's
     * {@code Bitmap.getPixels}): alpha is dropped, not composited, as PIL's {@code convert("RGB")} drops it.
     */
    public static Rgb fromArgb(int[] argb, int width, int height) {
      Arguments.notNull(argb, "argb");
      if (width < 1 || height < 1 || argb.length != (long) width * height) {
        throw new IllegalArgumentException(argb.length + " ints are not the ARGB pixels of a " + width + "x" + height + " image");
      }
      if (3L * argb.length > ImageLimits.MAX_ARRAY) { // past 715,827,882 pixels, 3 x length overflowed to a negative size
        throw new IllegalArgumentException("a " + width + "x" + height + " image's RGB bytes are more than one Java array holds");
      }
      byte[] rgb = new byte[3 * argb.length];
      for (int i = 0; i < argb.length; i++) {
        rgb[3 * i] = (byte) (argb[i] >> 16);
        rgb[3 * i + 1] = (byte) (argb[i] >> 8);
        rgb[3 * i + 2] = (byte) argb[i];
      }
      return new Rgb(width, height, rgb);
    }

    /** From BGR bytes [h][w][3], OpenCV's order (a {@code Mat} of CV_8UC3), swapped to RGB. */
    public static Rgb fromBgr(byte[] bgr, int width, int height) {
      Arguments.notNull(bgr, "bgr");
      if (width < 1 || height < 1 || bgr.length != 3L * width * height) {
        throw new IllegalArgumentException(bgr.length + " bytes are not the BGR pixels of a " + width + "x" + height + " image");
      }
      byte[] rgb = new byte[bgr.length];
      for (int i = 0; i < bgr.length; i += 3) {
        rgb[i] = bgr[i + 2];
        rgb[i + 1] = bgr[i + 1];
        rgb[i + 2] = bgr[i];
      }
      return new Rgb(width, height, rgb);
    }
  }

  /**
   * torchvision's Resize(resize) then CenterCrop(crop), ToTensor: only the crop is resampled, so
   * an extreme aspect ratio (a 1x30000 strip resizes to 256x7680000) costs no more than the crop.
   */
  public float[] tensor(Rgb rgb, String name) {
    Arguments.notNull(rgb, "rgb");
    Arguments.notNull(name, "name");
    int w = rgb.width(), h = rgb.height();
    // torchvision Resize(int): the shorter side becomes `resize`, the longer keeps the aspect ratio
    long nw = w <= h ? resize : (long) resize * w / h;
    long nh = w <= h ? (long) resize * h / w : resize;
    if (Math.max(nw, nh) > Integer.MAX_VALUE) {
      throw new BadInputException(name + ": image of " + w + "x" + h + " resized to a shorter side of " + resize + " would be " + nw + "x" + nh
          + ", a side over " + Integer.MAX_VALUE);
    }
    // both sides are at least resize >= crop (the constructor's check): the crop fits
    int top = (int) Math.rint((nh - crop) / 2.0), left = (int) Math.rint((nw - crop) / 2.0);
    byte[] cropped = Resample.resize(rgb.pixels(), w, h, (int) nw, (int) nh, left, top, crop, crop, interpolation, name);
    float[] out = new float[3 * crop * crop];
    for (int y = 0; y < crop; y++) {
      for (int x = 0; x < crop; x++) {
        int src = (y * crop + x) * 3;
        for (int c = 0; c < 3; c++) out[(c * crop + y) * crop + x] = (cropped[src + c] & 0xff) / 255f;
      }
    }
    return out;
  }

  /**
   * Decodes a PNG or JPEG to RGB, handling grayscale, alpha, palettes and CMYK JPEGs. A truncated
   * or damaged file is refused, never decoded with its missing part filled in: a PNG's chunks are
   * checked first (CRCs, the IEND chunk), and any warning of the JPEG decoder (it warns when the
   * data ends before the image's end marker, or when it meets corrupt data) is an error. The
   * dimensions are checked against {@link ImageLimits} before the pixels are allocated. A file over
   * {@link #MAX_STREAM_BYTES} is refused unread, and a JPEG of more than {@link JpegMarkers#MAX_SCANS}
   * scans before decoding (the decoder redraws the image for each).
   *
   * @throws BadInputException when the file is missing, unreadable, not a PNG or JPEG, damaged or past the limits, naming it
   * @throws OutOfMemoryError naming the file and the heap, when the heap cannot hold its pixels now (a retry may)
   */
  public static Rgb decode(Path file) {
    Arguments.notNull(file, "file");
    return decode(file, () -> {});
  }

  /**
   * {@link #decode(Path)}, running {@code whileOpen} between the decode and the check that the file is still the one
   * read (a test's writer). The file is read three times (its first bytes, its chunks or markers, the decoder's
   * pass): one rewritten or replaced in between was decoded past the checks made of another.
   */
  static Rgb decode(Path file, Runnable whileOpen) {
    netc.runtime.io.RegularFile.require(file, "");
    try {
      long size = Files.size(file);
      if (size > MAX_STREAM_BYTES) throw new BadInputException(file + ": " + size + " bytes, more than " + MAX_STREAM_BYTES + ": not read as an image");
      netc.runtime.io.FileIdentity before = netc.runtime.io.FileIdentity.of(file, size);
      Rgb rgb;
      try {
        rgb = decodeChecked(file);
      } catch (BadInputException e) {
        // refused as damaged: said as a change instead where the file changed meanwhile (the checks made of one file,
        // the decoder reading another)
        before.requireUnchanged(file);
        throw e;
      }
      whileOpen.run();
      before.requireUnchanged(file);
      return rgb;
    } catch (IOException e) { // reading the file: the decoder's own errors are refusals already
      throw readFailure(file.toString(), e, netc.runtime.io.FileOutput.reason(e));
    }
  }

  /** The three reads of {@link #decode(Path)}: the format, its structure's check, the decoder's pass. */
  private static Rgb decodeChecked(Path file) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(HEAD_BYTES);
    }
    String format = format(head, file.toString());
    int palette = -1;
    boolean ycc = false;
    if (format.equals("png")) palette = PngChunks.check(file);
    else ycc = JpegMarkers.check(file);
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      return decode(in, file.toString(), format, palette, ycc);
    }
  }

  /**
   * A read that failed: the file's fault ("cannot read"), or, where the reading thread was interrupted (a request
   * cancelled by Future.cancel(true): a channel's stream closes with ClosedByInterruptException), a
   * CancellationException, the thread's interrupt status left as it is, not a bad image a service would answer as
   * the caller's mistake.
   */
  static RuntimeException readFailure(String name, IOException e, String reason) {
    // not every InterruptedIOException: a socket's read timeout is one, and the stream's fault
    if (e instanceof java.nio.channels.ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
      java.util.concurrent.CancellationException cancelled = new java.util.concurrent.CancellationException(name + ": reading was interrupted");
      cancelled.initCause(e);
      return cancelled;
    }
    return new BadInputException(name + ": cannot read (" + reason + ")", e);
  }

  /** {@link #decode(Path)} of an encoded image held in memory, {@code name} naming it in the messages. */
  public static Rgb decode(byte[] encoded, String name) {
    Arguments.notNull(encoded, "encoded");
    Arguments.notNull(name, "name"); // it names the image in every message: "null: not a PNG or JPEG image" named nothing
    try {
      String format = format(java.util.Arrays.copyOf(encoded, Math.min(HEAD_BYTES, encoded.length)), name);
      int palette = -1;
      boolean ycc = false;
      if (format.equals("png")) palette = PngChunks.check(encoded, name);
      else ycc = JpegMarkers.check(encoded, name);
      // a memory cache: ImageIO's default for a stream is a temporary file per image
      try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
        return decode(in, name, format, palette, ycc);
      }
    } catch (IOException e) {
      throw new BadInputException(name + ": cannot decode image (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
    }
  }

  /** The bytes that tell the formats apart (a WebP's signature ends at byte 12). */
  private static final int HEAD_BYTES = 12;

  /** "png" or "jpeg" from the file's first bytes (its name may lie), else a refusal naming what it looks like. */
  private static String format(byte[] head, String file) {
    if (startsWith(head, PngChunks.SIGNATURE)) return "png";
    if (startsWith(head, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff})) return "jpeg";
    String seems = startsWith(head, "GIF8".getBytes(StandardCharsets.ISO_8859_1)) ? "a GIF image"
        : startsWith(head, "BM".getBytes(StandardCharsets.ISO_8859_1)) ? "a BMP image"
        : startsWith(head, "II*".getBytes(StandardCharsets.ISO_8859_1)) || startsWith(head, "MM\0*".getBytes(StandardCharsets.ISO_8859_1)) ? "a TIFF image"
        : head.length == 12 && new String(head, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP") ? "a WebP image"
        : head.length == 0 ? "an empty file" : "unknown format";
    throw new BadInputException(file + ": not a PNG or JPEG image (" + seems + ")");
  }

  private static boolean startsWith(byte[] data, byte[] prefix) {
    return data.length >= prefix.length && java.util.Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * The JDK's own reader of {@code format}, where there are several: what this class does around the decoder (the
   * ICC profile dropped, CMYK and YCbCr read from the raster, the warnings that refuse a file) is written for it, and a
   * library on a service's class path (TwelveMonkeys' imageio-jpeg registers itself ahead of it) would decode other
   * pixels with no error. Another reader only where the JDK has none; null where there is none at all.
   */
  static ImageReader reader(String format) {
    ImageReader first = null;
    for (Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format); readers.hasNext(); ) {
      ImageReader r = readers.next();
      javax.imageio.spi.ImageReaderSpi spi = r.getOriginatingProvider();
      if (spi != null && spi.getClass().getName().startsWith("com.sun.imageio.plugins.")) {
        if (first != null) first.dispose();
        return r;
      }
      if (first == null) first = r;
      else r.dispose();
    }
    return first;
  }

  /**
   * Decodes one image from {@code in}; {@code file} names it in the messages, {@code palette} is the
   * number of entries of a palette PNG's PLTE chunk (-1 for other images).
   */
  private static Rgb decode(ImageInputStream in, String file, String format, int palette, boolean ycc) throws IOException {
    ImageReader reader = in == null ? null : reader(format);
    if (reader == null) throw new BadInputException(file + ": cannot decode image (this JVM has no " + format + " reader)");
    List<String> warnings = new ArrayList<>();
    try {
      reader.setInput(in, true, true);
      reader.addIIOReadWarningListener((source, warning) -> {
        warnings.add(warning);
        // the image is refused from here on: stop decoding it (a progressive JPEG would be redrawn for each scan left)
        if (damaged(warning)) source.abort();
      });
      int w = reader.getWidth(0), h = reader.getHeight(0);
      refuseIfWarned(file, format, warnings); // damage in the header (bytes where a marker should be): refused before decoding
      ImageLimits.check(file, "image", w, h);
      return decodePixels(reader, file, w, h, format, palette, ycc, warnings);
    } catch (IOException | RuntimeException e) {
      if (e instanceof BadInputException b) throw b;
      refuseIfWarned(file, format, warnings); // a truncation warning explains the failure better
      // so may one let through (the PNG reader warned that it ignored an RGBA image's tRNS chunk, then read that chunk's
      // data as the next chunk; PngChunks refuses such a chunk before decoding now, and no input known reaches this)
      String after = warnings.isEmpty() ? "" : ", after the warning: " + warnings.get(0);
      throw new BadInputException(file + ": cannot decode image (" + reason(e) + after + ")");
    } finally {
      reader.dispose();
    }
  }

  /**
   * Decodes the pixels of a {@code w x h} image (already within the limits), refused if the decoder
   * {@code warnings} say they are damaged or a pixel's index is past the {@code palette} entries of a
   * palette PNG; running out of heap is a clear error.
   */
  private static Rgb decodePixels(ImageReader reader, String file, int w, int h, String format, int palette, boolean ycc,
      List<String> warnings) throws IOException {
    try {
      Raster raster;
      ColorModel model = null;
      if (ycc) { // three components YCbCr to libjpeg, not to ImageIO (JpegMarkers.check): their samples as decoded, converted below as libjpeg does
        raster = reader.readRaster(0, null);
      } else {
        try {
          BufferedImage img = reader.read(0, format.equals("jpeg") ? withoutProfile(reader) : null);
          raster = img.getRaster();
          model = img.getColorModel();
        } catch (javax.imageio.IIOException e) {
          // the PNG reader wraps whatever it throws, running out of heap too: that is the message below
          if (e.getCause() instanceof OutOfMemoryError oom) throw oom;
          if (!format.equals("jpeg")) throw e;
          raster = rawCmyk(reader, file, e);
        }
      }
      if (raster.getWidth() != w || raster.getHeight() != h) {
        throw new BadInputException(file + ": cannot decode image (its header says " + w + "x" + h + ", the decoder gave "
            + raster.getWidth() + "x" + raster.getHeight() + ")");
      }
      refuseIfWarned(file, format, warnings);
      if (ycc) return yccToRgb(raster, file);
      if (palette >= 0 && model instanceof IndexColorModel icm && palette < icm.getMapSize()) checkIndices(raster, palette, file);
      return toRgb(raster, model, file);
    } catch (OutOfMemoryError e) {
      // the limits keep this to a few hundred MB, but a small -Xmx may still not hold it, nor a busy service's heap
      // at the moment: the JVM's resource, not the file, so not a BadInputException (a service answers those
      // "bad request", and the same image decodes on a retry)
      OutOfMemoryError named = new OutOfMemoryError(file + ": decoding the image of " + w + "x" + h + " needs more memory than this JVM may use ("
          + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB; raise it with -Xmx)");
      named.initCause(e);
      throw named;
    }
  }

  /**
   * What the decoder says went wrong: an exception's message, or its class where it has none. An
   * ImageIO exception's cause follows its message ("Error reading PNG metadata: Required PLTE chunk
   * missing"), or stands for it where the message only introduces it (the PNG reader wraps whatever
   * it throws as "Caught exception during read: "). Its "Error reading PNG image data" is said as what its cause means.
   */
  private static String reason(Throwable e) {
    String own = e.getMessage() == null ? "" : e.getMessage().strip();
    Throwable cause = e.getCause();
    // the PNG reader's words for any failure in the pixel data (rows that stop short, data that does not inflate, a row
    // filter that is none of PNG's), which name neither the part nor the problem: said by the cause
    if (own.equals("Error reading PNG image data")) {
      own = "corrupt PNG: its pixel data (the IDAT chunks) " + (cause instanceof java.io.EOFException ? "ends before the last row"
          : cause instanceof java.util.zip.ZipException || cause instanceof java.util.zip.DataFormatException ? "does not inflate" : "is damaged");
    }
    if (e instanceof javax.imageio.IIOException && cause != null && cause != e) {
      if (own.isEmpty() || own.endsWith(":")) return reason(cause);
      if (cause.getMessage() != null && !cause.getMessage().isBlank()) return own + ": " + reason(cause);
    }
    return own.isEmpty() ? e.getClass().getSimpleName() : own;
  }

  /**
   * Refuses a palette image with a pixel whose index is past the {@code entries} of its PLTE chunk:
   * the PNG specification calls it an error, and ImageIO pads the palette (with black, then with its
   * last entry) and decodes it without a word.
   */
  private static void checkIndices(Raster r, int entries, String file) {
    int w = r.getWidth();
    int[] row = new int[w];
    for (int y = 0; y < r.getHeight(); y++) {
      r.getSamples(0, y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        if (row[x] >= entries) {
          throw new BadInputException(file + ": cannot decode image (corrupt PNG: pixel (" + x + ", " + y + ") has palette index " + row[x]
              + ", beyond the " + entries + " entries of its PLTE chunk)");
        }
      }
    }
  }

  /** libjpeg's YCbCr to RGB tables (jdcolor.c, 16-bit fixed point), PIL's libjpeg-turbo's too: Cr to R, Cb to B, and the halves of G. */
  private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int x = i - 128;
      CR_R[i] = (fix(1.40200) * x + (1 << 15)) >> 16;
      CB_B[i] = (fix(1.77200) * x + (1 << 15)) >> 16;
      CR_G[i] = -fix(0.71414) * x;
      CB_G[i] = -fix(0.34414) * x + (1 << 15);
    }
  }

  private static int fix(double x) {
    return (int) (x * 65536 + 0.5);
  }

  /**
   * The RGB of a raster of 8-bit Y, Cb, Cr samples, each value as libjpeg's ycc_rgb_convert computes it (so
   * PIL's decoding of the same file, to the bit): R = Y + 1.402 (Cr - 128), G = Y - 0.34414 (Cb - 128) -
   * 0.71414 (Cr - 128), B = Y + 1.772 (Cb - 128), each clamped to [0, 255].
   */
  static Rgb yccToRgb(Raster r, String name) {
    int w = r.getWidth(), h = r.getHeight();
    byte[] out = new byte[ImageLimits.array(name, 3L * w * h, "the RGB pixels of " + w + "x" + h)];
    int[] px = new int[3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.getPixel(x, y, px);
        int luma = px[0] & 0xff, cb = px[1] & 0xff, cr = px[2] & 0xff, o = (y * w + x) * 3;
        out[o] = (byte) Math.min(255, Math.max(0, luma + CR_R[cr]));
        out[o + 1] = (byte) Math.min(255, Math.max(0, luma + ((CB_G[cb] + CR_G[cr]) >> 16)));
        out[o + 2] = (byte) Math.min(255, Math.max(0, luma + CB_B[cb]));
      }
    }
    return new Rgb(w, h, out);
  }

  /**
   * Parameters that read a JPEG's pixels as the decoder gives them: with an ICC profile in the file
   * ImageIO converts them from the profile to sRGB, and PIL's convert("RGB") ignores the profile.
   * The JPEG reader applies no color conversion of its own when the bands are selected (all of
   * them here, in order); the decoder's (YCbCr to RGB, Adobe's inverted CMYK) stay. Null when the
   * reader offers no image type (CMYK before Java 17.0.4): read(0) then says why. (A progressive JPEG
   * is output after each of its scans whatever the parameters: ImageIO's native reader asks libjpeg for
   * the pass of the scan it has just read, so a first pass past the last only renumbers the passes, as
   * an update listener counting them showed; the scans are bounded by {@link JpegMarkers#MAX_SCANS}.)
   */
  private static ImageReadParam withoutProfile(ImageReader reader) throws IOException {
    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
    if (!types.hasNext()) return null;
    ImageReadParam param = reader.getDefaultReadParam();
    param.setSourceBands(java.util.stream.IntStream.range(0, types.next().getNumBands()).toArray());
    return param;
  }

  /**
   * The raw samples of a CMYK JPEG whose read(0) failed with {@code refused}: Java before 17.0.4
   * has no image type for CMYK, but reads its raster (Adobe's inverted CMYK, not converted). A
   * YCCK JPEG's raster holds YCCK, which is refused rather than taken for CMYK; anything else
   * that is not 4 bands is {@code refused}.
   */
  static Raster rawCmyk(ImageReader reader, String file, javax.imageio.IIOException refused) throws IOException {
    if (!reader.canReadRaster()) throw refused;
    Raster raster = reader.readRaster(0, null);
    if (raster.getNumBands() != 4) throw refused;
    int transform = adobeTransform(reader);
    if (transform > 0) {
      throw new BadInputException(file + ": cannot decode image (a YCCK JPEG (Adobe color transform " + transform
          + "), which the JPEG decoder of Java " + System.getProperty("java.version") + " does not convert; Java 17.0.4 and later do)");
    }
    return raster;
  }

  /**
   * The color transform of the JPEG's Adobe segment (APP14): 0 none (RGB or CMYK), 1 YCbCr, 2 YCCK; -1
   * without one (a 4-component JPEG is then CMYK).
   */
  private static int adobeTransform(ImageReader reader) throws IOException {
    javax.imageio.metadata.IIOMetadata metadata = reader.getImageMetadata(0);
    if (metadata == null) return -1;
    for (org.w3c.dom.Node n = metadata.getAsTree("javax_imageio_jpeg_image_1.0").getFirstChild(); n != null; n = n.getNextSibling()) {
      if (!n.getNodeName().equals("markerSequence")) continue;
      for (org.w3c.dom.Node m = n.getFirstChild(); m != null; m = m.getNextSibling()) {
        if (m.getNodeName().equals("app14Adobe")) return Integer.parseInt(m.getAttributes().getNamedItem("transform").getNodeValue());
      }
    }
    return -1;
  }

  /**
   * The decoder's warnings mean its pixels are not all from the file: JPEG's "Truncated File -
   * Missing EOI marker" when the data ran out (the rest is filled in gray), libjpeg's "Corrupt JPEG
   * data" and others. Only those that say they ignored metadata leave the pixels whole: the JPEG
   * reader's "...; ignored" (an invalid color profile, a thumbnail's markers) and the PNG reader's
   * "..., ignoring it.", "..., ignoring extras." and "..., ignoring chunk." (a tRNS chunk it cannot
   * use, whose transparency is dropped anyway; palette entries beyond the bit depth's reach). The PNG
   * reader warns once per chunk, so one of these cannot hide a damaging warning. Its "The chunk will
   * be ignored." of a second PLTE chunk is not let through: PIL takes the last palette, ImageIO the
   * first. Nor is libjpeg's "Corrupt JPEG data: N extraneous bytes before marker 0xd9" damage: it skipped
   * bytes after the last scan's data had given every block it needed (encoders and cameras that pad before
   * the end marker), and PIL decodes the same pixels without a word. Before any other marker (a restart
   * marker, the next scan) the same warning follows scan data that ended early, its blocks decoded from
   * garbage: still refused. Between segments, where no scan's data was read, such bytes are refused before
   * decoding ({@link JpegMarkers}).
   */
  private static boolean damaged(String warning) {
    return warning == null || !(warning.endsWith("; ignored") || warning.endsWith(", ignoring it.") || warning.endsWith(", ignoring extras.")
        || warning.endsWith(", ignoring chunk.") || EXTRANEOUS.matcher(warning).matches());
  }

  /** libjpeg's JWRN_EXTRANEOUS_DATA, as ImageIO passes it on. */
  private static final java.util.regex.Pattern EXTRANEOUS = java.util.regex.Pattern.compile(
      "Corrupt JPEG data: [0-9]{1,10} extraneous bytes before marker 0xd9");

  /** Refuses the image if the decoder gave a {@linkplain #damaged damaging} warning, naming the first. */
  private static void refuseIfWarned(String file, String format, List<String> warnings) {
    for (String w : warnings) {
      if (!damaged(w)) continue;
      String problem = w != null && w.contains("Missing EOI") ? "truncated JPEG: the data ends before the end-of-image marker"
          : "corrupt " + format.toUpperCase(java.util.Locale.ROOT) + ": " + BadInputException.oneLine(String.valueOf(w)); // some hold a line break
      throw new BadInputException(file + ": cannot decode image (" + problem + ")");
    }
  }

  /**
   * The 8-bit RGB of decoded samples as PIL's convert("RGB") gives them: palettes looked up, gray
   * replicated, alpha dropped, CMYK as Pillow converts it; {@code model} null for a raw CMYK raster.
   * 16-bit samples keep their high byte. That is PIL's result for 16-bit RGB and gray with alpha, not
   * for 16-bit gray alone: PIL opens that as an integer image (mode I;16) and convert("RGB") clips
   * its values to 255, so that all but the darkest of a 16-bit gray PNG turns white. The high byte
   * is kept there too, on purpose: it is the picture, which the clipped values are not. Samples of
   * other depths (a BufferedImage's 10- or 12-bit gray) keep their high 8 bits as well, and fewer
   * bits are scaled up to 0-255. Signed 16-bit samples (DataBuffer.TYPE_SHORT) are 0 to 32767 from
   * black to full scale, as their color model reads them: they keep the high 8 of those 15 bits, and
   * a negative one, below the scale, is 0.
   */
  static Rgb toRgb(Raster r, ColorModel model, String name) {
    int w = r.getWidth(), h = r.getHeight(), bands = r.getNumBands();
    byte[] out = new byte[ImageLimits.array(name, 3L * w * h, "the RGB pixels of " + w + "x" + h)];
    // the raster gives signed samples sign-extended: read as 16 unsigned bits, 32767 was 127 and -1 was 255
    boolean signed = r.getTransferType() == DataBuffer.TYPE_SHORT;
    // the color model's bits: a 12-bit gray image's raster holds 16-bit samples
    int bits = signed ? 15 : model == null || model instanceof IndexColorModel ? r.getSampleModel().getSampleSize(0) : model.getComponentSize(0);
    boolean cmyk = model == null ? bands == 4 : model.getColorSpace().getType() == ColorSpace.TYPE_CMYK;
    int[] px = new int[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.getPixel(x, y, px);
        if (signed) for (int b = 0; b < bands; b++) px[b] = Math.max(px[b], 0);
        int o = (y * w + x) * 3;
        int red, green, blue;
        if (model instanceof IndexColorModel icm) {
          red = icm.getRed(px[0]);
          green = icm.getGreen(px[0]);
          blue = icm.getBlue(px[0]);
        } else if (bands == 1 || bands == 2) { // gray, gray + alpha: PIL replicates the gray, drops alpha (16-bit gray: see above)
          red = green = blue = to8(px[0], bits);
        } else if (cmyk) {
          // CMYK JPEG. ImageIO's decoded image holds ink amounts; its raw raster (the fallback for
          // readers that refuse CMYK) holds Adobe's inverted values, 255 - ink. Pillow's cmyk2rgb:
          // nk - c * nk / 255 with nk = 255 - k, the product rounded as its MULDIV255 rounds it.
          int c = to8(px[0], bits), m = to8(px[1], bits), yel = to8(px[2], bits), k = to8(px[3], bits);
          if (model == null) {
            c = 255 - c;
            m = 255 - m;
            yel = 255 - yel;
            k = 255 - k;
          }
          int nk = 255 - k;
          red = nk - mulDiv255(c, nk);
          green = nk - mulDiv255(m, nk);
          blue = nk - mulDiv255(yel, nk);
        } else { // RGB, RGBA: PIL's convert("RGB") drops alpha
          red = to8(px[0], bits);
          green = to8(px[1], bits);
          blue = to8(px[2], bits);
        }
        out[o] = (byte) red;
        out[o + 1] = (byte) green;
        out[o + 2] = (byte) blue;
      }
    }
    return new Rgb(w, h, out);
  }

  /** A sample of {@code bits} bits in 8: its high byte, or scaled up to 0-255 (rounded) from fewer bits. */
  private static int to8(int v, int bits) {
    if (bits >= 8) return v >> (bits - 8);
    int max = (1 << bits) - 1;
    return (v * 255 + max / 2) / max;
  }

  /** a * b / 255 rounded to nearest for a, b in [0, 255], exactly as Pillow's MULDIV255 computes it. */
  private static int mulDiv255(int a, int b) {
    int t = a * b + 128;
    return (t + (t >> 8)) >> 8;
  }
}
