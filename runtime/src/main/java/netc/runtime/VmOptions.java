package netc.runtime;

import java.lang.management.ManagementFactory;

/** The running JVM's HotSpot flags, where it exposes them (the kernels' width and the arrays' padding depend on a few). */
public final class VmOptions {
  private VmOptions() {}

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
