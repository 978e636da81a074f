package netc.runtime.kernels;

/**
 * The kernels' activations written out in double with java.lang.Math, the unit tests' reference: not the
 * kernels' own float code (ScalarKernels.apply, with its polynomial exp), which a reference must not share.
 */
final class PlainActivations {
  private PlainActivations() {}

  /** Activation {@code act} of Kernels' codes of {@code v}; {@code slope} is leaky_relu's slope or clip's upper bound. */
  static float apply(double v, int act, double slope) {
    double r = switch (act) {
      case Kernels.NONE -> v;
      case Kernels.RELU -> Math.max(v, 0);
      case Kernels.SIGMOID -> 1 / (1 + Math.exp(-v));
      case Kernels.TANH -> Math.tanh(v);
      case Kernels.LEAKY_RELU -> v >= 0 ? v : v * slope;
      case Kernels.CLIP -> Math.min(Math.max(v, 0), slope);
      case Kernels.SILU -> v / (1 + Math.exp(-v));
      case Kernels.HARDSIGMOID -> Math.min(Math.max(v + 3, 0), 6) / 6;
      case Kernels.HARDSWISH -> v * Math.min(Math.max(v + 3, 0), 6) / 6;
      default -> throw new IllegalArgumentException("no plain reference for activation " + act);
    };
    return (float) r;
  }
}
