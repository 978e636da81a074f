package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BenchTest {
  /** A process as {@link Bench#waitForIdle} sees it: busy (one core spinning) until {@code busyMs}, idle after. */
  private static Bench.Clock spinningUntil(long busyMs, long tickMs) {
    return new Bench.Clock() {
      long now;

      @Override
      public long nanos() {
        return now;
      }

      @Override
      public long cpuNanos() {
        long ms = Math.min(now, busyMs * 1_000_000) / 1_000_000;
        return ms / tickMs * tickMs * 1_000_000; // counted in ticks, as /proc counts it (10 ms here)
      }

      @Override
      public void sleepMs(long ms) {
        now += ms * 1_000_000;
      }
    };
  }

  @Test
  void eachCallWaitsForTheSpinningToStopThenTheSameIdle() throws InterruptedException {
    // netc's workers spin 200 ms after a call, ONNX Runtime's about 40: both calls then follow 100 ms of idle
    for (long spin : new long[] {200, 40, 0}) {
      long[] gap = Bench.waitForIdle(spinningUntil(spin, 10), 100, 2000);
      assertEquals(spin * 1_000_000, gap[0], "CPU used while waiting, after a " + spin + " ms spin");
      assertTrue(gap[2] >= 100_000_000 && gap[2] < 110_000_000, "idle before the call: " + gap[2]);
      assertTrue(gap[1] >= (spin + 100) * 1_000_000 && gap[1] < (spin + 115) * 1_000_000, "waited " + gap[1] + " after a " + spin + " ms spin");
    }
  }

  @Test
  void aProcessThatNeverGoesIdleIsWaitedForAtMostTheLimit() throws InterruptedException {
    long[] gap = Bench.waitForIdle(spinningUntil(Long.MAX_VALUE / 2_000_000, 10), 100, 2000);
    assertTrue(gap[1] >= 2_000_000_000L && gap[1] < 2_010_000_000L, "waited " + gap[1]);
    assertTrue(gap[2] < 100_000_000, "never idle for 100 ms: " + gap[2]);
  }

  /** The engines' outputs must agree to 1e-3 of the largest; another size, a larger difference or a NaN stops the bench. */
  @Test
  void outputsThatDisagreeStopTheBench() {
    double[] e = Bench.agree(new float[] {1f, -2f, 0.5f}, new float[] {1f, -2.001f, 0.5f}, "x");
    assertEquals(0.001, e[0], 1e-6);
    assertEquals(2.001, e[1], 1e-6);
    IllegalStateException size = assertThrows(IllegalStateException.class, () -> Bench.agree(new float[2], new float[3], "the first calls"));
    assertEquals("netc gives 2 output values, onnxruntime 3; not the same network", size.getMessage());
    IllegalStateException far = assertThrows(IllegalStateException.class,
        () -> Bench.agree(new float[] {1f, 2f}, new float[] {1f, 2.01f}, "the timed calls"));
    assertTrue(far.getMessage().startsWith("netc and onnxruntime disagree in the timed calls (max |difference| 0.0100"), far.getMessage());
    assertThrows(IllegalStateException.class, () -> Bench.agree(new float[] {Float.NaN, 2f}, new float[] {1f, 2f}, "the sustained calls"));
  }

  @Test
  void pairedRatiosGiveTheMedianTheMiddleHalfAndTheWins() {
    // ratios 0.5, 1, 1.5, 2: median 1.25; quartiles at positions 0.75 and 2.25 of the sorted four
    String line = Bench.paired(new double[] {3, 1, 4, 2}, new double[] {2, 2, 2, 2});
    assertEquals("paired ratios (each netc call over its onnxruntime call, the two in turn first): median 1.250, middle half 0.875-1.625, "
        + "netc faster in 1 of 4", line);
  }

  @Test
  void quantilesInterpolateAndReachTheEnds() {
    double[] s = {10, 20, 40};
    assertEquals(10, Bench.quantile(s, 0), 1e-12);
    assertEquals(15, Bench.quantile(s, 0.25), 1e-12);
    assertEquals(40, Bench.quantile(s, 1), 1e-12);
  }

  /** The benchmarks' command lines refuse an option given twice, as netc's commands do, rather than keep one silently. */
  @Test
  void anOptionGivenTwiceIsRefused() {
    Cli.UsageException e = assertThrows(Cli.UsageException.class, () -> Cli.parse("netc compare A.jar B.jar...", "",
        new org.apache.commons.cli.Options().addOption(Cli.opt("runs", "N", "timed calls")), "", new String[] {"--runs", "5", "--runs", "50"},
        System.out));
    assertEquals("--runs is given twice (5, then 50): give it once (usage: netc compare A.jar B.jar...)", e.getMessage());
  }
}
