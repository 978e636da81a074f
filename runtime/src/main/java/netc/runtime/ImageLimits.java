package netc.runtime;

/**
 * The sizes an image or camera frame may declare, checked before any pixel buffer is allocated,
 * and the size check of every buffer computed from them (in long arithmetic, so that no product
 * wraps around to a small or negative array size).
 */
final class ImageLimits {
  /**
   * Default pixel limit: 50 megapixels is beyond any camera photo a classifier is given (a 48 MP
   * phone sensor fits), and decoding one takes about 150 MB for the pixels plus as much for the
   * decoder's raster: well within a default JVM heap. -Dnetc.image.maxPixels=N allows more.
   */
  static final long DEFAULT_MAX_PIXELS = 50_000_000L;

  /**
   * Default limit of either side: 30,000 pixels is wider than panoramas from phones (about
   * 20,000) and keeps a 1-pixel-high strip from turning into a huge resampling job.
   * -Dnetc.image.maxSide=N allows more.
   */
  static final long DEFAULT_MAX_SIDE = 30_000L;

  /** The largest Java array the JVM allocates reliably (a few header words below 2^31 - 1). */
  static final long MAX_ARRAY = LargeArrays.MAX_ARRAY;

  static final String MAX_PIXELS_PROPERTY = "netc.image.maxPixels";
  static final String MAX_SIDE_PROPERTY = "netc.image.maxSide";

  private ImageLimits() {}

  /** Refuses a {@code what} ("image", "frame") of {@code w x h} beyond the limits, naming the property that raises them. */
  static void check(String name, String what, long w, long h) {
    if (w < 1 || h < 1) throw new BadInputException(name + ": " + what + " of " + w + "x" + h + " has no pixels");
    long maxSide = limit(MAX_SIDE_PROPERTY, DEFAULT_MAX_SIDE);
    if (w > maxSide || h > maxSide) {
      throw new BadInputException(name + ": " + what + " of " + w + "x" + h + " has a side over the limit of " + maxSide
          + " pixels (-D" + MAX_SIDE_PROPERTY + "=N allows more)");
    }
    long maxPixels = limit(MAX_PIXELS_PROPERTY, DEFAULT_MAX_PIXELS);
    if (w * h > maxPixels) { // both sides are at most maxSide <= 2^31, so the product fits in a long
      throw new BadInputException(name + ": " + what + " of " + w + "x" + h + " has " + w * h + " pixels, over the limit of "
          + maxPixels + " (-D" + MAX_PIXELS_PROPERTY + "=N allows more)");
    }
    array(name, 3 * w * h, what + " of " + w + "x" + h + " in RGB");
  }

  /** {@code n} as an array length, or a clear refusal when a Java array cannot hold it. */
  static int array(String name, long n, String what) {
    if (n < 0 || n > MAX_ARRAY) throw new BadInputException(name + ": " + what + " needs " + n + " values, more than a Java array holds");
    return (int) n;
  }

  /** A limit's value: the system property if set (a positive integer), else the default. */
  static long limit(String property, long fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) return fallback;
    try {
      long n = Long.parseLong(v.trim().replace("_", ""));
      if (n > 0 && n <= Integer.MAX_VALUE) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new BadInputException("-D" + property + "=" + v + ": not a positive integer up to " + Integer.MAX_VALUE);
  }
}
