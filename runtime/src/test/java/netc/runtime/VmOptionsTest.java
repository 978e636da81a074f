package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class VmOptionsTest {
  /**
   * The heap suggested after an OutOfMemoryError is larger than this JVM's and fits the machine (at most three
   * quarters of its memory), or the advice says no larger one fits: a fixed -Xmx8g asked a 4 GB machine for more
   * than it has.
   */
  @Test
  void theLargerHeapSuggestedFitsTheMachine() {
    String advice = VmOptions.largerHeap();
    long heap = Runtime.getRuntime().maxMemory(), memory = VmOptions.physicalMemory();
    Matcher m = Pattern.compile("NETC_JAVA_OPTS=-Xmx(\\d+)([gm]) \\(this JVM's heap: [\\d,]+ MB( of [\\d,]+ MB of memory)?\\)").matcher(advice);
    if (m.matches()) {
      long suggested = Long.parseLong(m.group(1)) << (m.group(2).equals("g") ? 30 : 20);
      assertTrue(suggested > heap, advice);
      assertTrue(memory == 0 || suggested <= memory / 4 * 3, advice + " on " + memory + " bytes of memory");
    } else {
      assertTrue(advice.contains("leaves no larger one to ask for"), advice);
      assertTrue(memory > 0 && Math.min(2 * heap, memory / 4 * 3) <= heap + (64 << 20), advice);
    }
  }

  /** The advice's sizes: MiB in steps of 64 below 2 GiB (a 256 MB heap's was "0g", then "no larger one"), GiB above. */
  @Test
  void theAdviceNamesSizesAJvmTakes() {
    long mb = 1 << 20, gb = 1L << 30;
    assertEquals("NETC_JAVA_OPTS=-Xmx512m (this JVM's heap: 256 MB of 24,105 MB of memory)", VmOptions.largerHeap(256 * mb, 24_105 * mb));
    assertEquals("NETC_JAVA_OPTS=-Xmx4g (this JVM's heap: 2,048 MB of 8,192 MB of memory)", VmOptions.largerHeap(2 * gb, 8 * gb));
    assertEquals("NETC_JAVA_OPTS=-Xmx12g (this JVM's heap: 6,144 MB of 24,576 MB of memory)", VmOptions.largerHeap(6 * gb, 24 * gb));
    assertEquals("this JVM's heap of 6,144 MB of 8,192 MB of memory leaves no larger one to ask for: free memory, or use a larger machine",
        VmOptions.largerHeap(6 * gb, 8 * gb));
    assertEquals("NETC_JAVA_OPTS=-Xmx1984m (this JVM's heap: 1,000 MB)", VmOptions.largerHeap(1000 * mb, 0));
    // a task known to need 3 GiB in a 1 GiB heap: enough for it and a quarter (3.75 GiB, rounded up), not merely twice the heap
    assertEquals("NETC_JAVA_OPTS=-Xmx4g (this JVM's heap: 1,024 MB of 24,576 MB of memory)", VmOptions.largerHeap(gb, 24 * gb, 3 * gb));
    assertEquals("NETC_JAVA_OPTS=-Xmx2g (this JVM's heap: 1,024 MB of 24,576 MB of memory)", VmOptions.largerHeap(gb, 24 * gb, gb));
  }
}
