package netc.examples;

import java.util.concurrent.CountDownLatch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import netc.runtime.kernels.Kernels;

/**
 * Measures this machine's FP32 FMA peak from Java at the vector width netc's kernels run here
 * ({@link Kernels#vectorBits}: 512, 256 or 128 bits, or scalar FMAs for the scalar kernels), so
 * benchmark figures are a fraction of what those kernels could reach: independent FMA chains (enough
 * to cover the FMA latency) held in registers, on as many threads as the benchmark uses, a few tens of
 * milliseconds an attempt. Never wider than the vectors this JVM compiles natively (its preferred ones where
 * C2 runs with FMA, none otherwise): kernels forced wider ({@code -Dnetc.vectorBits=512} on a 256-bit JVM)
 * run the Vector API's Java fallback, and so would a probe at their width; the probe then measures the
 * native width (scalar FMAs where there is none) and {@link #KERNELS_NATIVE} is false.
 */
final class PeakProbe {
  /** The kernels' width in bits, 0 for the scalar kernels. */
  static final int KERNEL_BITS = Kernels.INSTANCE.vectorBits();

  /**
   * The widest vector this JVM compiles to machine vectors: its preferred species, where C2 runs and has FMA (under -Xint
   * a probe of forced 256-bit kernels' width measured the Vector API's Java fallback as the peak), else 0.
   */
  static final int NATIVE_BITS = Kernels.nativeVectorBits();

  /** Whether the kernels run at most the native width, so a fraction of this probe's peak means something. */
  static final boolean KERNELS_NATIVE = KERNEL_BITS <= NATIVE_BITS;

  /** The probe's width: the kernels', capped at the native one; a static final so C2 compiles the chains to machine vectors of it. */
  static final int BITS = Math.min(KERNEL_BITS, NATIVE_BITS);

  private static final VectorSpecies<Float> S = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS == 0 ? 128 : BITS));

  /** Floats per FMA: the vector's lanes, or 1 for the scalar kernels. */
  static final int LANES = BITS == 0 ? 1 : S.length();

  /**
   * Independent FMA chains: enough to cover FMA latency x pipes, held in registers with the two
   * operands. 12 fit a 16-register file (AVX2); a 32-register file gets 16, which four 4-cycle FMA pipes
   * need (Apple M-series, Neoverse V1/V2: 12 measured three quarters of their peak).
   */
  static final int CHAINS = KERNELS_NATIVE && Kernels.INSTANCE.vectorRegisters() >= 32 ? 16 : 12; // kernels forced wider: the probe's narrower vectors, the register file unknown

  /** Whether the scalar chains fuse: without FMA instructions Math.fma goes through BigDecimal, and they multiply and add as the scalar kernels then do. */
  static final boolean FMA = netc.runtime.VmOptions.fusedMultiplyAdd();

  private PeakProbe() {}

  /** GFLOP/s of all {@code threads} together: the best of three attempts, as noise only lowers it. */
  static double measure(int threads) throws InterruptedException {
    double best = 0;
    for (int i = 0; i < 3; i++) best = Math.max(best, once(threads));
    return best;
  }

  /**
   * One attempt: every thread's FLOPs over the span from the first thread's start to the last one's
   * end, so threads the system did not run side by side (more threads than cores) do not add up to
   * more than they reached together.
   */
  private static double once(int threads) throws InterruptedException {
    for (int i = 0; i < 3; i++) run(2_000_000); // compile with C2 first
    long[] began = new long[threads], ended = new long[threads];
    long iters = 20_000_000;
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
        began[id] = System.nanoTime();
        float sink = run(iters);
        ended[id] = System.nanoTime() + (sink == 42 ? 1 : 0);
      });
      ts[t].start();
    }
    start.countDown();
    long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
    for (int t = 0; t < threads; t++) {
      ts[t].join();
      first = Math.min(first, began[t]);
      last = Math.max(last, ended[t]);
    }
    return threads * iters * (double) (BITS == 0 ? 12 : CHAINS) * LANES * 2 / ((last - first) / 1e9) / 1e9;
  }

  private static float run(long iters) {
    return BITS == 0 ? (FMA ? scalarChains(iters) : scalarMultiplyAdds(iters)) : CHAINS == 16 ? chains16(iters) : chains(iters);
  }

  /** Twelve independent scalar FMA chains: 12 x 2 FLOP per iteration. */
  private static float scalarChains(long iters) {
    float a = 0.999f, b = 1e-4f, c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0, c9 = 0, c10 = 0, c11 = 0;
    for (long i = 0; i < iters; i++) {
      c0 = Math.fma(c0, a, b); c1 = Math.fma(c1, a, b); c2 = Math.fma(c2, a, b); c3 = Math.fma(c3, a, b);
      c4 = Math.fma(c4, a, b); c5 = Math.fma(c5, a, b); c6 = Math.fma(c6, a, b); c7 = Math.fma(c7, a, b);
      c8 = Math.fma(c8, a, b); c9 = Math.fma(c9, a, b); c10 = Math.fma(c10, a, b); c11 = Math.fma(c11, a, b);
    }
    return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
  }

  /** Twelve independent multiply-add chains, unfused (no FMA instructions): 12 x 2 FLOP per iteration. */
  private static float scalarMultiplyAdds(long iters) {
    float a = 0.999f, b = 1e-4f, c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0, c9 = 0, c10 = 0, c11 = 0;
    for (long i = 0; i < iters; i++) {
      c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b; c4 = c4 * a + b; c5 = c5 * a + b;
      c6 = c6 * a + b; c7 = c7 * a + b; c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
    }
    return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
  }

  /** Sixteen independent FMA chains, for 32 registers: 16 x LANES x 2 FLOP per iteration. */
  private static float chains16(long iters) {
    FloatVector a = FloatVector.broadcast(S, 0.999f), b = FloatVector.broadcast(S, 1e-4f);
    FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    FloatVector c12 = c0, c13 = c0, c14 = c0, c15 = c0;
    for (long i = 0; i < iters; i++) {
      c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
      c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
      c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
      c12 = c12.fma(a, b); c13 = c13.fma(a, b); c14 = c14.fma(a, b); c15 = c15.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).add(c12).add(c13).add(c14).add(c15)
        .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }

  /** Twelve independent FMA chains: 12 x LANES x 2 FLOP per iteration. */
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
