package netc.runtime;

import java.util.ArrayList;
import java.util.List;

/** One class of a top-k answer: its index, label and probability. */
public record Prediction(int index, String label, float probability) {
  /**
   * Softmax of {@code n} logits at {@code offset}, max-subtracted for stability.
   *
   * @throws IllegalArgumentException when the range is not inside {@code logits} (or {@code n} is below 1)
   */
  public static float[] softmax(float[] logits, int offset, int n) {
    checkRange(logits, offset, n);
    float[] out = new float[n];
    netc.runtime.kernels.Softmax.run(logits, offset, out, 0, n, 1);
    return out;
  }

  /** The same mistake gets the same message from softmax and topK, not an exception from inside the loop. */
  private static void checkRange(float[] logits, int offset, int n) {
    Arguments.notNull(logits, "logits");
    if (offset < 0 || n < 1 || offset > logits.length - n) {
      throw new IllegalArgumentException("logits [" + offset + ", " + offset + " + " + n + ") are not inside an array of " + logits.length);
    }
  }

  /**
   * The {@code k} most probable classes of one image's logits, most probable first (all {@code n} of
   * them when {@code k} is larger).
   *
   * <p>{@code logits} are a network's raw scores: for a network that ends in softmax, whose outputs are
   * probabilities already, use {@link CompiledModel#topK} or the form with {@code probabilities} (a second softmax
   * keeps the order but flattens the probabilities towards 1 / n).
   *
   * @throws IllegalArgumentException when {@code k} is below 1 (an empty answer would look like a model that
   *     found nothing), the range is not inside {@code logits}, the labels are not one per logit, or a
   *     logit is NaN or infinite (there is no ranking then: the input held such values)
   */
  public static List<Prediction> topK(float[] logits, int offset, int n, int k, List<String> labels) {
    return topK(logits, offset, n, k, labels, false);
  }

  /**
   * As {@link #topK(float[], int, int, int, List)} for a model's outputs: logits, or with {@code
   * probabilities} values a softmax made already ({@link ModelInfo#probabilities()}), ranked and reported
   * as they are.
   */
  public static List<Prediction> topK(float[] logits, int offset, int n, int k, List<String> labels, boolean probabilities) {
    Arguments.notNull(labels, "labels");
    if (k < 1) throw new IllegalArgumentException("k: must be at least 1, got " + k);
    checkRange(logits, offset, n);
    // more labels than logits named every class by the label before or after it (TensorFlow's 1001 ImageNet labels
    // begin with "background"): one per logit, or none of them is trusted
    if (labels.size() != n) throw new IllegalArgumentException(n + " logits and " + labels.size() + " labels: expected one label per logit");
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(logits[offset + i])) {
        throw new IllegalArgumentException("logit " + i + " is " + logits[offset + i] + ", so the classes have no ranking: the input held NaN"
            + " or infinite values, or values so large the network overflowed");
      }
    }
    float[] p = probabilities ? java.util.Arrays.copyOfRange(logits, offset, offset + n) : softmax(logits, offset, n);
    List<Prediction> out = new ArrayList<>();
    boolean[] taken = new boolean[n];
    for (int r = 0; r < Math.min(k, n); r++) {
      int best = -1;
      // ranked by the values given, which softmax keeps in order: its float probabilities tie at 0 for every logit
      // about 104 below the largest, and a tie went to the lowest index, not the larger logit
      for (int i = 0; i < n; i++) if (!taken[i] && (best < 0 || logits[offset + i] > logits[offset + best])) best = i;
      taken[best] = true;
      out.add(new Prediction(best, labels.get(best), p[best]));
    }
    return out;
  }
}
