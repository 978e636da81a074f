package netc.ir;

/** The elementwise functions that can stand alone or be fused into a conv or fc epilogue. */
public enum Activation {
  NONE,
  RELU,
  SIGMOID,
  TANH,
  LEAKY_RELU;

  public static Activation of(Op op) {
    return switch (op) {
      case RELU -> RELU;
      case SIGMOID -> SIGMOID;
      case TANH -> TANH;
      case LEAKY_RELU -> LEAKY_RELU;
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
    };
  }
}
