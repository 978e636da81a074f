package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BenchTest {
  @Test
  void pairedRatiosGiveTheMedianTheMiddleHalfAndTheWins() {
    // ratios 0.5, 1, 1.5, 2: median 1.25; quartiles at positions 0.75 and 2.25 of the sorted four
    String line = Bench.paired(new double[] {3, 1, 4, 2}, new double[] {2, 2, 2, 2});
    assertEquals("paired ratios (each netc call over the onnxruntime call after it): median 1.250, middle half 0.875-1.625, "
        + "netc faster in 1 of 4", line);
  }

  @Test
  void quantilesInterpolateAndReachTheEnds() {
    double[] s = {10, 20, 40};
    assertEquals(10, Bench.quantile(s, 0), 1e-12);
    assertEquals(15, Bench.quantile(s, 0.25), 1e-12);
    assertEquals(40, Bench.quantile(s, 1), 1e-12);
  }
}
