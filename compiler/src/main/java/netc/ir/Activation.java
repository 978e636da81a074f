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
  HARDSWISH;

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
      case RELU -> x > 0 ? x : 0;
      case SIGMOID -> 1 / (1 + Math.exp(-x));
      case TANH -> Math.tanh(x);
      case LEAKY_RELU -> x >= 0 ? x : slope * x;
      case CLIP -> throw new IllegalStateException("clip needs its bounds: use apply(x, attrs)");
      case SILU -> x / (1 + Math.exp(-x));
      case HARDSIGMOID -> hardsigmoid(x);
      case HARDSWISH -> x * hardsigmoid(x);
    };
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
