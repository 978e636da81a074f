package netc.runtime;

import java.util.ArrayList;
import java.util.List;

/** One class of a top-k answer: its index, label and probability. */
public record Prediction(int index, String label, float probability) {
  /** Softmax of {@code n} logits at {@code offset}, max-subtracted for stability. */
  public static float[] softmax(float[] logits, int offset, int n) {
    float[] out = new float[n];
    netc.runtime.kernels.Softmax.run(logits, offset, out, 0, n, 1);
    return out;
  }

  /** The {@code k} most probable classes of one image's logits, most probable first. */
  public static List<Prediction> topK(float[] logits, int offset, int n, int k, List<String> labels) {
    float[] p = softmax(logits, offset, n);
    List<Prediction> out = new ArrayList<>();
    boolean[] taken = new boolean[n];
    for (int r = 0; r < Math.min(k, n); r++) {
      int best = -1;
      for (int i = 0; i < n; i++) if (!taken[i] && (best < 0 || p[i] > p[best])) best = i;
      taken[best] = true;
      out.add(new Prediction(best, labels.get(best), p[best]));
    }
    return out;
  }
}
