package netc.runtime;

import java.lang.management.ManagementFactory;

/** The running JVM's HotSpot flags, where it exposes them (the kernels' width and the arrays' padding depend on a few). */
public final class VmOptions {
  private VmOptions() {}

  /**
   * Whether fused multiply-adds are machine instructions here (HotSpot's UseFMA: off on x86 without FMA3,
   * or at -XX:UseAVX=0; there Math.fma and the Vector API's fma compute through BigDecimal). A JVM that
   * does not say is taken to have them. What the kernels' width and the scalar kernels' arithmetic read.
   */
  public static boolean fusedMultiplyAdd() {
    return !"false".equals(get("UseFMA"));
  }

  /** The value of HotSpot flag {@code name}, or null where the JVM has no such flag or does not expose its flags. */
  public static String get(String name) {
    try {
      var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return hotspot == null ? null : hotspot.getVMOption(name).getValue();
    } catch (RuntimeException | LinkageError e) {
      return null;
    }
  }

  /**
   * What to say after an OutOfMemoryError about the heap: a larger -Xmx that fits this machine, twice this JVM's
   * heap but at most three quarters of its memory ("-Xmx4g (this JVM's heap: 2,048 MB of 7,900 MB of memory)", "-Xmx512m"
   * for a heap of 256 MB); or, where no larger one fits, that. A fixed -Xmx8g suggested more than a small machine has.
   */
  public static String largerHeap() {
    return largerHeap(0);
  }

  /**
   * {@link #largerHeap()} for a task known to need about {@code needed} bytes of heap: a heap of at least
   * that and a quarter (twice this one's if that is more), so the retry it suggests is not refused again.
   */
  public static String largerHeap(long needed) {
    return largerHeap(Runtime.getRuntime().maxMemory(), physicalMemory(), needed);
  }

  /** {@link #largerHeap()} for a JVM of {@code heap} bytes on a machine of {@code memory} (0: unknown). */
  static String largerHeap(long heap, long memory) {
    return largerHeap(heap, memory, 0);
  }

  static String largerHeap(long heap, long memory, long needed) {
    String of = memory > 0 ? String.format(java.util.Locale.ROOT, " of %,d MB of memory", memory >> 20) : "";
    long want = Math.max(2 * heap, needed + needed / 4);
    long target = memory > 0 ? Math.min(want, memory / 4 * 3) : want;
    // a need, not capped by the machine, is rounded up (down, the retry could fall short of it)
    boolean up = needed > 0 && target == want;
    // whole GiB from 2 GiB up, else MiB in steps of 64 (a 256 MB heap's double is 512m, not 0g)
    String size;
    if (target >= 2L << 30) {
      long g = (target >> 30) + (up && (target & ((1L << 30) - 1)) != 0 ? 1 : 0);
      size = g + "g";
      target = g << 30;
    } else {
      long m = (target >> 20) / 64 * 64 + (up && target % (64L << 20) != 0 ? 64 : 0);
      size = m + "m";
      target = m << 20;
    }
    if (target <= heap) {
      return String.format(java.util.Locale.ROOT, "this JVM's heap of %,d MB%s leaves no larger one to ask for: free memory, or use a"
          + " larger machine", heap >> 20, of);
    }
    return String.format(java.util.Locale.ROOT, "NETC_JAVA_OPTS=-Xmx%s (this JVM's heap: %,d MB%s)", size, heap >> 20, of);
  }

  /** The machine's memory in bytes, or 0 where the JVM does not say. */
  static long physicalMemory() {
    try {
      if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) return os.getTotalMemorySize();
    } catch (RuntimeException | LinkageError e) {
      // a runtime without jdk.management: no figure
    }
    return 0;
  }
}
