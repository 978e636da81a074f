package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Small rules of the buffers and settings a model keeps between calls. */
class KeptBuffersTest {
  /** A model of 3x64x64 inputs whose one step waits for a second caller's: two calls are sure to run at once. */
  private static final class Paired extends OneStepModel {
    final java.util.concurrent.CyclicBarrier both = new java.util.concurrent.CyclicBarrier(2);

    Paired() {
      super(properties(), 1, "pair", new Sizes(3, 64, 64, 1, 1, 1));
    }

    static java.util.Properties properties() {
      java.util.Properties p = ThreadPoolTest.Counting.properties();
      p.setProperty("input.shape", "3,64,64");
      return p;
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      try {
        both.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      ws.arena[0] = ws.input[ws.inputBase + 3 * 64 + 2]; // NCHW's [0, 3, 2]: NHWC's (3, 2) first channel
    }
  }

  /**
   * predictNhwc's transpose buffer goes with each caller's workspaces: two callers at once allocate nothing once
   * warm (with one buffer for the model, the second caller made a 48 KiB copy on every call, and threw it away),
   * and each reads its own input.
   */
  @Test
  void concurrentNhwcCallersAllocateNothingOnceWarm() throws Exception {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    try (Paired m = new Paired()) {
      int calls = 50;
      long[] allocated = new long[2];
      Throwable[] failed = new Throwable[2];
      Thread[] callers = new Thread[2];
      for (int c = 0; c < 2; c++) {
        final int caller = c;
        callers[c] = new Thread(() -> {
          float[] in = new float[3 * 64 * 64], out = new float[1];
          in[(3 * 64 + 2) * 3] = caller + 1; // NHWC (3, 2), channel 0
          try {
            for (int i = 0; i < calls; i++) {
              long before = threads.getCurrentThreadAllocatedBytes();
              m.predictNhwc(in, 1, out);
              if (i >= 5) allocated[caller] += threads.getCurrentThreadAllocatedBytes() - before;
              assertEquals(caller + 1, out[0], "caller " + caller + ", call " + i);
            }
          } catch (Throwable e) {
            failed[caller] = e;
          }
        });
        callers[c].start();
      }
      for (Thread t : callers) t.join(60_000);
      for (Thread t : callers) assertTrue(!t.isAlive(), "a caller still running after a minute");
      for (int c = 0; c < 2; c++) {
        assertEquals(null, failed[c], "caller " + c);
        // a copy is 48 KiB; the barrier's generations and the JIT's first calls allocate a little
        assertTrue(allocated[c] < 16 * 1024, "caller " + c + " allocated " + allocated[c] + " bytes in " + (calls - 5) + " warm calls");
      }
    }
  }

  /** -Dnetc.spinMicros past a long's nanoseconds spins the longest, not a negative time (which parked at once). */
  @Test
  void aHugeSpinIsTheLongestNotNegative() {
    assertEquals(200_000_000L, ThreadPool.nanosOfMicros(200_000));
    assertEquals(0, ThreadPool.nanosOfMicros(0));
    assertEquals(Long.MAX_VALUE, ThreadPool.nanosOfMicros(Long.MAX_VALUE / 1000 + 1));
    assertEquals(Long.MAX_VALUE, ThreadPool.nanosOfMicros(Long.MAX_VALUE));
    assertEquals(Long.MAX_VALUE / 1000 * 1000, ThreadPool.nanosOfMicros(Long.MAX_VALUE / 1000));
    assertEquals(0, ThreadPool.nanosOfMicros(-1), "below 0: no spin");
    assertEquals(0, ThreadPool.nanosOfMicros(Long.MIN_VALUE), "not a wrap to a huge spin");
  }
}
