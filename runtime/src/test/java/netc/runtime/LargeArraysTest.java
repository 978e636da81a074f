package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Large arrays are padded to half a G1 region (so G1 starts them at a region boundary); small ones are left as asked. */
class LargeArraysTest {
  @Test
  void largeArraysReachHalfARegionAndSmallOnesStayAsAsked() {
    var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
    boolean g1 = Boolean.parseBoolean(hotspot.getVMOption("UseG1GC").getValue());
    long region = Long.parseLong(hotspot.getVMOption("G1HeapRegionSize").getValue());
    assertEquals(g1 ? (int) (region / 8) : 0, LargeArrays.HALF_REGION_FLOATS, "half a region, in floats, read from the JVM");
    assertEquals(1000, LargeArrays.floats(1000).length, "a small array is not padded");
    int min = LargeArrays.MIN_FLOATS;
    if (g1 && LargeArrays.HALF_REGION_FLOATS > min) {
      assertEquals(LargeArrays.HALF_REGION_FLOATS, LargeArrays.paddedLength(min), "a large one reaches half a region");
      assertEquals(LargeArrays.HALF_REGION_FLOATS, LargeArrays.paddedLength(LargeArrays.HALF_REGION_FLOATS - 1));
    }
    int beyond = Math.max(min, LargeArrays.HALF_REGION_FLOATS) + 17;
    assertEquals(beyond, LargeArrays.paddedLength(beyond), "one already humongous is as asked");
    float[] a = LargeArrays.floats(min);
    assertTrue(a.length >= min && a[0] == 0f && a[a.length - 1] == 0f, "zeroed, at least as long as asked");
  }
}
