package netc.runtime.kernels;

/** Softmax over {@code n} values, max-subtracted so large logits do not overflow. */
public final class Softmax {
  private Softmax() {}

  /**
   * Softmax over {@code n} values {@code stride} floats apart, written as far apart (a softmax over a
   * flat vector calls it with stride 1).
   */
  public static void run(float[] x, int xBase, float[] out, int outBase, int n, int stride) {
    run(x, xBase, stride, out, outBase, stride, n);
  }

  /**
   * Softmax over {@code n} values read {@code xStride} floats apart, written {@code outStride} apart:
   * a softmax over channels reads its input's channel planes, which the border a padded conv reads the
   * same value with widens, and writes its own output's.
   */
  public static void run(float[] x, int xBase, int xStride, float[] out, int outBase, int outStride, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) max = Math.max(max, x[xBase + i * xStride]);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += Math.exp(x[xBase + i * xStride] - max);
    for (int i = 0; i < n; i++) out[outBase + i * outStride] = (float) (Math.exp(x[xBase + i * xStride] - max) / sum);
  }
}
