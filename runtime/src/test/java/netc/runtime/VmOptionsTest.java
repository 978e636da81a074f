package netc.runtime;

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
    Matcher m = Pattern.compile("NETC_JAVA_OPTS=-Xmx(\\d+)g \\(this JVM's heap: [\\d,]+ MB( of [\\d,]+ MB of memory)?\\)").matcher(advice);
    if (m.matches()) {
      long suggested = Long.parseLong(m.group(1)) << 30;
      assertTrue(suggested > heap, advice);
      assertTrue(memory == 0 || suggested <= memory / 4 * 3, advice + " on " + memory + " bytes of memory");
    } else {
      assertTrue(advice.contains("leaves no larger one to ask for"), advice);
      assertTrue(memory > 0 && Math.min(2 * heap, memory / 4 * 3) >> 30 << 30 <= heap, advice);
    }
  }
}
