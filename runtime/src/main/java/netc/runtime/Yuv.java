package netc.runtime;

import java.util.List;

/**
 * Raw camera frames to RGB: I420 (planar Y, then U, then V, chroma at half resolution both ways),
 * NV12 (Y plane, then interleaved UV at half resolution), NV21 (the same with VU: Android's camera
 * preview) and YUYV (4:2:2 packed Y0 U Y1 V), with BT.601's matrix at video levels (limited range: Y
 * in 16..235, chroma in 16..240, as video and most webcam streams have it) or, with {@code -full} after
 * the layout ({@code nv21-full}), at full range (0..255, JPEG's levels, as phone cameras' JPEG-bound
 * frames and MJPEG webcams give).
 *
 * <p>Odd sizes are laid out as FFmpeg and libyuv lay them out: I420, NV12 and NV21 round the chroma
 * planes up (a 5x3 frame has 3x2 chroma samples, the last column and row covering one pixel);
 * YUYV packs two pixels per 4 bytes, so its width must be even.
 */
final class Yuv {
  private Yuv() {}

  /**
   * The bytes of a {@code w x h} frame in {@code format}, after checking the format and the size
   * (the image limits, an even width for YUYV): called before the file is opened.
   */
  static long frameBytes(String format, int w, int h, String name) {
    ImageLimits.check(name, "frame", w, h);
    long luma = (long) w * h, chroma = 2L * chromaWidth(w) * chromaHeight(h);
    if (format == null) throw new IllegalArgumentException("format: null (" + FORMATS + ")");
    return switch (layout(format)) {
      case "i420", "nv12", "nv21" -> luma + chroma;
      case "yuyv" -> {
        if (w % 2 != 0) throw new BadInputException(name + ": yuyv packs two pixels in 4 bytes, so it needs an even width, got " + w + "x" + h);
        yield luma * 2;
      }
      default -> throw new BadInputException(name + ": unknown YUV format " + format + " (" + FORMATS + ")");
    };
  }

  /** The formats, as messages list them. */
  static final String FORMATS = "i420, nv12, nv21 or yuyv; with -full after it for full range";

  /** Whether {@code format} is one of {@link #FORMATS}. */
  static boolean known(String format) {
    return format != null && List.of("i420", "nv12", "nv21", "yuyv").contains(layout(format));
  }

  /** The layout of a format: the format without its {@code -full}. */
  private static String layout(String format) {
    return format.endsWith(FULL) ? format.substring(0, format.length() - FULL.length()) : format;
  }

  private static final String FULL = "-full";

  /** The one-line error for a frame file of the wrong size (its size is checked before it is read). */
  static String sizeMismatch(String name, long size, String format, int w, int h, long expected) {
    return name + ": " + size + " bytes, but a " + w + "x" + h + " " + format + " frame has " + expected;
  }

  private static int chromaWidth(int w) {
    return (w + 1) / 2;
  }

  private static int chromaHeight(int h) {
    return (h + 1) / 2;
  }

  static Preprocess.Rgb toRgb(byte[] data, String format, int w, int h, String name) {
    long expected = frameBytes(format, w, h, name);
    if (data.length != expected) throw new BadInputException(sizeMismatch(name, data.length, format, w, h, expected));
    byte[] out = new byte[3 * w * h]; // frameBytes checked 3wh against the array limit
    int cw = chromaWidth(w), ch = chromaHeight(h), plane = w * h;
    String layout = layout(format);
    boolean full = format.endsWith(FULL);
    // chosen once, not by a string per pixel: 0 planar (I420), 1 chroma pairs (NV12 U first, NV21 V first), 2 packed (YUYV)
    int kind = layout.equals("i420") ? 0 : layout.startsWith("nv") ? 1 : 2, vFirst = layout.equals("nv21") ? 1 : 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int luma, u, v;
        switch (kind) {
          case 0 -> {
            luma = data[y * w + x] & 0xff;
            int c = (y / 2) * cw + x / 2;
            u = data[plane + c] & 0xff;
            v = data[plane + cw * ch + c] & 0xff;
          }
          case 1 -> {
            luma = data[y * w + x] & 0xff;
            int c = plane + (y / 2) * 2 * cw + (x / 2) * 2;
            u = data[c + vFirst] & 0xff;
            v = data[c + 1 - vFirst] & 0xff;
          }
          default -> {
            int p = (y * w + (x & ~1)) * 2;
            luma = data[p + ((x & 1) == 0 ? 0 : 2)] & 0xff;
            u = data[p + 1] & 0xff;
            v = data[p + 3] & 0xff;
          }
        }
        double cb = u - 128, cr = v - 128;
        int o = (y * w + x) * 3;
        if (full) { // Kr 0.299, Kb 0.114 over 0..255: R = Y + 1.402 Cr, B = Y + 1.772 Cb (JFIF)
          out[o] = clip(luma + 1.402 * cr);
          out[o + 1] = clip(luma - 0.344136 * cb - 0.714136 * cr);
          out[o + 2] = clip(luma + 1.772 * cb);
        } else { // the same scaled from 219 levels of Y and 224 of chroma
          double yy = 1.164383 * (luma - 16);
          out[o] = clip(yy + 1.596027 * cr);
          out[o + 1] = clip(yy - 0.391762 * cb - 0.812968 * cr);
          out[o + 2] = clip(yy + 2.017232 * cb);
        }
      }
    }
    return new Preprocess.Rgb(w, h, out);
  }

  private static byte clip(double v) {
    return (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
  }
}
