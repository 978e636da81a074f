package netc.ir;

/** The elementwise functions that can stand alone or be fused into a conv or fc epilogue. */
public enum Activation {
  NONE,
  RELU,
  SIGMOID,
  TANH,
  LEAKY_RELU,
  /** Clamps to [min, max], each bound an optional attribute ("min", "max"); absent is unbounded. */
  CLIP,
  SILU,
  HARDSIGMOID,
  HARDSWISH,
  GELU;

  public static Activation of(Op op) {
    return switch (op) {
      case RELU -> RELU;
      case SIGMOID -> SIGMOID;
      case TANH -> TANH;
      case LEAKY_RELU -> LEAKY_RELU;
      case CLIP -> CLIP;
      case SILU -> SILU;
      case HARDSIGMOID -> HARDSIGMOID;
      case HARDSWISH -> HARDSWISH;
      case GELU -> GELU;
      default -> throw new IllegalArgumentException(op + " is not an activation");
    };
  }

  public static Activation parse(String name) {
    return valueOf(name.toUpperCase(java.util.Locale.ROOT));
  }

  public String spelling() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public double apply(double x, double slope) {
    return switch (this) {
      case NONE -> x;
      case RELU -> Math.max(x, 0); // NaN stays NaN, as in torch
      case SIGMOID -> 1 / (1 + Math.exp(-x));
      case TANH -> Math.tanh(x);
      case LEAKY_RELU -> x >= 0 ? x : slope * x;
      case CLIP -> throw new IllegalStateException("clip needs its bounds: use apply(x, attrs)");
      case SILU -> x / (1 + Math.exp(-x));
      case HARDSIGMOID -> hardsigmoid(x);
      case HARDSWISH -> x * hardsigmoid(x);
      case GELU -> x / 2 * (x < 0 ? erfc(-x / Math.sqrt(2)) : 2 - erfc(x / Math.sqrt(2)));
    };
  }

  /**
   * erfc(x) = 1 - erf(x) to about 1e-15 relative for x >= 0 (Java has no erf): the Taylor series of erf
   * below 2, the continued fraction of erfc (evaluated by Lentz's method) from 2 on. GELU reads
   * 1 + erf(x) as erfc(-x) where x < 0, so it loses nothing to cancellation.
   */
  static double erfc(double x) {
    if (x == Double.POSITIVE_INFINITY) return 0; // the continued fraction would start at infinity times 0: NaN, where torch's gelu(inf) is inf
    if (x < 2) {
      double term = x, sum = x, x2 = x * x;
      for (int n = 1; Math.abs(term) > 1e-17 * Math.abs(sum) && n < 100; n++) {
        term *= -x2 / n;
        sum += term / (2 * n + 1);
      }
      return 1 - 2 / Math.sqrt(Math.PI) * sum;
    }
    // erfc(x) = e^-x^2 / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))))
    double tiny = 1e-300, f = x, c = x, d = 0;
    for (int k = 1; k < 200; k++) {
      double a = k / 2.0;
      d = x + a * d;
      d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
      c = x + a / c;
      if (Math.abs(c) < tiny) c = tiny;
      double delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
  }

  /** torch's hardsigmoid, relu6(x + 3) / 6. */
  private static double hardsigmoid(double x) {
    return Math.min(Math.max(x + 3, 0), 6) / 6;
  }

  /** This function of {@code x} with its parameters (slope, clip bounds) read from the attributes that carry it. */
  public double apply(double x, Attrs a) {
    if (this == CLIP) return Math.min(Math.max(x, clipMin(a)), clipMax(a));
    return apply(x, a.has("slope") ? a.getDouble("slope") : 0);
  }

  /** The lower bound of a clip; -infinity when absent (attributes hold finite numbers only). */
  public static double clipMin(Attrs a) {
    return a.has("min") ? a.getDouble("min") : Double.NEGATIVE_INFINITY;
  }

  /** The upper bound of a clip; +infinity when absent. */
  public static double clipMax(Attrs a) {
    return a.has("max") ? a.getDouble("max") : Double.POSITIVE_INFINITY;
  }
}
