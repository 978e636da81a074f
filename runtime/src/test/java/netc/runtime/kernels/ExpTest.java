package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The exp under sigmoid, silu and gelu: accurate, and the vector activations equal to the scalar ones to the bit. */
class ExpTest {
  /** Inputs over the clamped range and past it, with the ends and zero. */
  private static float[] inputs() {
    SplittableRandom r = new SplittableRandom(5);
    float[] x = new float[4096];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 200 - 100);
    float[] edges = {-100f, -87.5f, -87f, -86.9f, -1e-30f, 0f, 1e-30f, 0.3465736f, -0.3465736f, 1f, 87.9f, 88f, 88.5f, 100f};
    System.arraycopy(edges, 0, x, 0, edges.length);
    return x;
  }

  /** Within 2 ulp (relative 2.4e-7) of e^x where e^x is a normal float, as Cephes' expf. */
  @Test
  void scalarExpIsWithinTwoUlpOverItsRange() {
    for (float x : inputs()) {
      float clamped = Math.min(Math.max(x, ScalarKernels.EXP_LO), ScalarKernels.EXP_HI);
      double exact = Math.exp(clamped);
      float got = ScalarKernels.exp(x);
      assertTrue(Math.abs(got - exact) <= 2 * Math.ulp((float) exact), "exp(" + x + ") = " + got + ", exact " + exact);
    }
  }

  /** {@link #inputs()} and the far ends of the floats, infinities and NaN, where the exp clamps and erfc stops. */
  private static float[] extremes() {
    float[] x = inputs();
    float[] far = {-1e17f, 1e17f, -1e30f, -3e38f, -Float.MAX_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN,
        -8.5f, -8.49f, -8.4853f, -88.01f, -88f};
    System.arraycopy(far, 0, x, 16, far.length);
    return x;
  }

  @Test
  void vectorSigmoidAndSiluEqualTheScalarOnesToTheBit() {
    Kernels.INSTANCE.vectorBits(); // VectorKernels' species follow the kernels chosen for this JVM
    float[] x = extremes();
    for (boolean silu : new boolean[] {false, true}) {
      float[] out = x.clone();
      for (int i = 0; i < out.length; i += 16) VectorKernels.sigmoidInPlace(out, i, silu);
      for (int i = 0; i < x.length; i++) {
        float want = ScalarKernels.apply(x[i], silu ? Kernels.SILU : Kernels.SIGMOID, 0f);
        assertSameBits(want, out[i], (silu ? "silu(" : "sigmoid(") + x[i] + ")");
      }
    }
  }

  @Test
  void vectorGeluEqualsTheScalarOneToTheBit() {
    Kernels.INSTANCE.vectorBits();
    float[] x = extremes(), out = x.clone();
    for (int i = 0; i < out.length; i += 16) VectorKernels.geluInPlace(out, i);
    for (int i = 0; i < x.length; i++) {
      assertSameBits(ScalarKernels.apply(x[i], Kernels.GELU, 0f), out[i], "gelu(" + x[i] + ")");
    }
  }

  /** The same float to the bit, or both NaN (a NaN's sign and payload mean nothing). */
  private static void assertSameBits(float want, float got, String what) {
    if (Float.isNaN(want)) assertTrue(Float.isNaN(got), what + " = " + got);
    else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what);
  }

  /**
   * gelu against x Phi(x) to double precision (Phi the normal distribution function; Python's
   * x * 0.5 * math.erfc(-x / math.sqrt(2))):
   * within 2e-7 x max(1, |x|), the bound of the erfc approximation (1.5e-7) plus float rounding.
   */
  @Test
  void geluIsAccurate() {
    double[][] exact = {{0, 0}, {1, 0.8413447460685429}, {-1, -0.15865525393145707}, {3, 2.99595030590511},
        {-3, -0.004049694094890287}, {-5, -1.4332578593959731e-06}, {0.5, 0.34573123063700656}, {-0.5, -0.15426876936299344},
        {2, 1.9544997361036416}, {-2, -0.04550026389635844}, {10, 10}, {-10, -7.619853024160593e-23}};
    for (double[] e : exact) {
      float got = ScalarKernels.apply((float) e[0], Kernels.GELU, 0f);
      assertEquals(e[1], got, 2e-7 * Math.max(1, Math.abs(e[0])), "gelu(" + e[0] + ")");
    }
  }

  /**
   * Far out, gelu and silu are v times a factor that is 0 in float: -0 for a finite v (the factor once stopped at
   * erfc(6) or the exp's clamp, times v: gelu(-1e17) was -1.1, silu(-1e38) -0.6), NaN for -inf, as torch and the
   * reference interpreter give; +inf stays +inf.
   */
  @Test
  void geluAndSiluFarOutAreTorchs() {
    for (int act : new int[] {Kernels.GELU, Kernels.SILU}) {
      String name = act == Kernels.GELU ? "gelu(" : "silu(";
      for (float v : new float[] {-1e17f, -1e30f, -3e38f, -Float.MAX_VALUE}) {
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ScalarKernels.apply(v, act, 0f)), name + v + ")");
      }
      assertTrue(Float.isNaN(ScalarKernels.apply(Float.NEGATIVE_INFINITY, act, 0f)), name + "-inf)");
      assertEquals(Float.POSITIVE_INFINITY, ScalarKernels.apply(Float.POSITIVE_INFINITY, act, 0f), name + "inf)");
      assertEquals(1e30f, ScalarKernels.apply(1e30f, act, 0f), name + "1e30)");
    }
  }

  /** sigmoid and silu through the kernels' apply: their exact values within 1e-6 relative (or 1e-30 absolute in the tails). */
  @Test
  void sigmoidAndSiluAreAccurate() {
    for (float x : inputs()) {
      double s = 1 / (1 + Math.exp(-(double) x));
      assertEquals(s, ScalarKernels.apply(x, Kernels.SIGMOID, 0f), 1e-6 * s + 1e-30, "sigmoid(" + x + ")");
      assertEquals(x * s, ScalarKernels.apply(x, Kernels.SILU, 0f), 1e-6 * Math.abs(x * s) + 1e-30, "silu(" + x + ")");
    }
  }
}
