package netc.examples;

import java.util.concurrent.CountDownLatch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's FP32 FMA peak from Java, so benchmark figures can be given as a fraction
 * of it: independent FMA chains (enough to cover the FMA latency) on 16-wide vectors held in
 * registers, on as many threads as the benchmark uses, for about half a second.
 */
final class PeakProbe {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

  private PeakProbe() {}

  /** GFLOP/s of all {@code threads} together: the best of three attempts, as noise only lowers it. */
  static double measure(int threads) throws InterruptedException {
    double best = 0;
    for (int i = 0; i < 3; i++) best = Math.max(best, once(threads));
    return best;
  }

  private static double once(int threads) throws InterruptedException {
    for (int i = 0; i < 3; i++) chains(2_000_000); // compile with C2 first
    double[] rate = new double[threads];
    CountDownLatch start = new CountDownLatch(1);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts[t] = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        long iters = 20_000_000;
        long t0 = System.nanoTime();
        float sink = chains(iters);
        double s = (System.nanoTime() - t0) / 1e9;
        rate[id] = iters * 12.0 * 16 * 2 / s / 1e9 + (sink == 42 ? 1e-9 : 0);
      });
      ts[t].start();
    }
    start.countDown();
    double total = 0;
    for (int t = 0; t < threads; t++) {
      ts[t].join();
      total += rate[t];
    }
    return total;
  }

  /** Twelve independent FMA chains: 12 x 16 x 2 FLOP per iteration. */
  private static float chains(long iters) {
    FloatVector a = FloatVector.broadcast(S, 0.999f), b = FloatVector.broadcast(S, 1e-4f);
    FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (long i = 0; i < iters; i++) {
      c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
      c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
      c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }
}
