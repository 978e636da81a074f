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
}
