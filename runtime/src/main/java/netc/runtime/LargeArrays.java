package netc.runtime;

/**
 * Allocation of the arrays the kernels stream through (a workspace's arena, a model's packed
 * weights) so that they start at a 64-byte boundary. The compiler places every tensor and weight
 * section at float 12 plus multiples of 16 (compiler's {@code Layouts.ALIGNED_BASE}): 64-byte
 * aligned when the array starts at one, as an array G1 calls humongous does (half a region or more,
 * placed at the start of its own regions). Regions grow with the heap (4 MB on a 6 GB heap, 16 MB
 * under -Xmx32g), so an array of a few MB is humongous under one heap and not another; this pads an
 * array of at least {@link #MIN_FLOATS} to half a region, so that it is humongous whatever the
 * heap (at most half a region more memory each: 8 MB under -Xmx32g). Under other collectors, or
 * where the region size cannot be read, arrays are as asked. Measured under -Xmx32g, 2 threads,
 * alternating jars compiled with and without the aligned offsets (both padded): squeezenet1_1 4.6 ->
 * 4.5 and 4.4 -> 4.3 ms, resnet50 47.4 -> 46.3 ms; on the default heap, where their arrays were
 * humongous anyway, the offsets alone gave 3.7 -> 3.5 and 47.1 -> 43.3.
 */
public final class LargeArrays {
  private LargeArrays() {}

  /**
   * The most elements (floats, bytes) one Java array holds, and so the most netc puts in one: some
   * JVMs keep a few words of an array's length for its header, and refuse Integer.MAX_VALUE itself.
   * Every check of a size against "one Java array" uses this.
   */
  public static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** Below this many floats (1 MB) an array is not padded: its traffic is small and the padding would dominate it. */
  static final int MIN_FLOATS = 256 * 1024;

  /** Half a G1 region in floats, or 0 where G1 does not run or its region size is not readable. */
  static final int HALF_REGION_FLOATS = halfRegionFloats();

  /** A new float array of {@code floats} elements (or more, see the class comment), zeroed. */
  public static float[] floats(int floats) {
    return new float[paddedLength(floats)];
  }

  static int paddedLength(int floats) {
    return floats >= MIN_FLOATS && floats < HALF_REGION_FLOATS ? HALF_REGION_FLOATS : floats;
  }

  private static int halfRegionFloats() {
    String region = VmOptions.get("G1HeapRegionSize");
    if (!"true".equals(VmOptions.get("UseG1GC")) || region == null) return 0;
    try {
      return (int) Math.min(Long.parseLong(region) / 2 / Float.BYTES, MAX_ARRAY);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
