package netc.runtime;

/**
 * Raw camera frames to RGB: I420 (planar Y, then U, then V, chroma at half resolution both ways),
 * NV12 (Y plane, then interleaved UV at half resolution) and YUYV (4:2:2 packed Y0 U Y1 V), with the
 * BT.601 limited-range matrix (Y in 16..235, chroma in 16..240) that cameras use for SD and most
 * webcam streams.
 */
final class Yuv {
  private Yuv() {}

  static Preprocess.Rgb toRgb(byte[] data, String format, int w, int h, String name) {
    long expected = switch (format) {
      case "i420", "nv12" -> {
        if (w % 2 != 0 || h % 2 != 0) throw new BadInputException(name + ": " + format + " needs an even width and height, got " + w + "x" + h);
        yield (long) w * h * 3 / 2;
      }
      case "yuyv" -> {
        if (w % 2 != 0) throw new BadInputException(name + ": yuyv needs an even width, got " + w);
        yield (long) w * h * 2;
      }
      default -> throw new BadInputException(name + ": unknown YUV format " + format);
    };
    if (data.length != expected) {
      throw new BadInputException(name + ": " + data.length + " bytes, but a " + w + "x" + h + " " + format + " frame has " + expected);
    }
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int luma, u, v;
        switch (format) {
          case "i420" -> {
            luma = data[y * w + x] & 0xff;
            int c = (y / 2) * (w / 2) + x / 2;
            u = data[w * h + c] & 0xff;
            v = data[w * h + w * h / 4 + c] & 0xff;
          }
          case "nv12" -> {
            luma = data[y * w + x] & 0xff;
            int c = w * h + (y / 2) * w + (x / 2) * 2;
            u = data[c] & 0xff;
            v = data[c + 1] & 0xff;
          }
          default -> {
            int p = (y * w + (x & ~1)) * 2;
            luma = data[p + ((x & 1) == 0 ? 0 : 2)] & 0xff;
            u = data[p + 1] & 0xff;
            v = data[p + 3] & 0xff;
          }
        }
        double yy = 1.164383 * (luma - 16), cb = u - 128, cr = v - 128;
        int o = (y * w + x) * 3;
        out[o] = clip(yy + 1.596027 * cr);
        out[o + 1] = clip(yy - 0.391762 * cb - 0.812968 * cr);
        out[o + 2] = clip(yy + 2.017232 * cb);
      }
    }
    return new Preprocess.Rgb(w, h, out);
  }

  private static byte clip(double v) {
    return (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
  }
}
