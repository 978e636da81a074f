package netc.runtime.kernels;

/** Softmax over {@code n} values at stride {@code stride}, max-subtracted so large logits do not overflow. */
public final class Softmax {
  private Softmax() {}

  public static void run(float[] x, int xBase, float[] out, int outBase, int n, int stride) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) max = Math.max(max, x[xBase + i * stride]);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += Math.exp(x[xBase + i * stride] - max);
    for (int i = 0; i < n; i++) out[outBase + i * stride] = (float) (Math.exp(x[xBase + i * stride] - max) / sum);
  }
}
