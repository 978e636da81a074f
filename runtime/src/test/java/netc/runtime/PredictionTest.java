package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PredictionTest {
  private static final List<String> LABELS = List.of("a", "b", "c", "d");

  @Test
  void topKRanksByProbability() {
    float[] logits = {9, 0.5f, 3, 1, 2, -1}; // the image's four logits at offset 1
    List<Prediction> top = Prediction.topK(logits, 1, 4, 2, LABELS);
    assertEquals(List.of(1, 3), top.stream().map(Prediction::index).toList());
    assertEquals(List.of("b", "d"), top.stream().map(Prediction::label).toList());
    double sum = Math.exp(0.5) + Math.exp(3) + Math.exp(1) + Math.exp(2);
    assertEquals(Math.exp(3) / sum, top.get(0).probability(), 1e-6);
  }

  /** A model that ends in softmax gives probabilities: ranked and reported as they are, not softmaxed again. */
  @Test
  void probabilitiesAreRankedAsTheyAre() {
    float[] p = {0.5f, 0.1f, 0.6f, 0.2f, 0.1f, 0.5f}; // the image's four at offset 1
    List<Prediction> top = Prediction.topK(p, 1, 4, 3, LABELS, true);
    assertEquals(List.of(1, 2, 0), top.stream().map(Prediction::index).toList());
    assertEquals(List.of(0.6f, 0.2f, 0.1f), top.stream().map(Prediction::probability).toList());
  }

  /** A NaN or infinite logit has no rank: an error saying why, not classes 0..k-1 as the answer. */
  @Test
  void aNonFiniteLogitIsAnErrorNotARanking() {
    float[] logits = {1, Float.NaN, 3, 2};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prediction.topK(logits, 0, 4, 2, LABELS));
    assertEquals("logit 1 is NaN, so the classes have no ranking: the input held NaN or infinite values, or values so large the network"
        + " overflowed", e.getMessage());
    float[] inf = {1, 2, Float.POSITIVE_INFINITY, 2};
    assertThrows(IllegalArgumentException.class, () -> Prediction.topK(inf, 0, 4, 1, LABELS));
  }

  @Test
  void aRangeOutsideTheLogitsOrTooFewLabelsIsNamed() {
    float[] logits = {1, 2, 3, 4};
    assertEquals("logits [2, 2 + 4) are not inside an array of 4",
        assertThrows(IllegalArgumentException.class, () -> Prediction.topK(logits, 2, 4, 1, LABELS)).getMessage());
    assertEquals("4 logits and 2 labels: expected one label per logit",
        assertThrows(IllegalArgumentException.class, () -> Prediction.topK(logits, 0, 4, 1, List.of("a", "b"))).getMessage());
    // one label too many (TensorFlow's ImageNet list begins with "background"): every class was named by its neighbour
    assertEquals("4 logits and 5 labels: expected one label per logit",
        assertThrows(IllegalArgumentException.class, () -> Prediction.topK(logits, 0, 4, 1, List.of("background", "a", "b", "c", "d"))).getMessage());
  }

  /**
   * Classes far below the best are ranked by their logits: their float probabilities are all 0 (a logit about 104
   * below the largest underflows), and the tie went to the lowest index, [0, 1, 2] here.
   */
  @Test
  void classesWhoseProbabilitiesUnderflowAreStillRankedByLogit() {
    float[] logits = {0, -150, -120, -200, -110};
    List<Prediction> top = Prediction.topK(logits, 0, 5, 3, List.of("a", "b", "c", "d", "e"));
    assertEquals(List.of(0, 4, 2), top.stream().map(Prediction::index).toList());
    assertEquals(List.of(1f, 0f, 0f), top.stream().map(Prediction::probability).toList());
  }

  /** A k of none is refused, not answered with an empty list that reads as "the model found nothing"; a k past n gives all n. */
  @Test
  void kBelowOneIsRefused() {
    float[] logits = {1, 2, 3, 4};
    assertEquals("k: must be at least 1, got 0", assertThrows(IllegalArgumentException.class, () -> Prediction.topK(logits, 0, 4, 0, LABELS)).getMessage());
    assertEquals("k: must be at least 1, got -3", assertThrows(IllegalArgumentException.class, () -> Prediction.topK(logits, 0, 4, -3, LABELS)).getMessage());
    assertEquals(List.of(3, 2, 1, 0), Prediction.topK(logits, 0, 4, 9, LABELS).stream().map(Prediction::index).toList());
  }

  /** softmax gets topK's checks: the same message, not a NegativeArraySizeException or an index out of bounds from its loop. */
  @Test
  void softmaxRefusesARangeOutsideTheLogits() {
    float[] logits = {1, 2, 3, 4};
    assertEquals("logits [0, 0 + -1) are not inside an array of 4",
        assertThrows(IllegalArgumentException.class, () -> Prediction.softmax(logits, 0, -1)).getMessage());
    assertEquals("logits [0, 0 + 0) are not inside an array of 4",
        assertThrows(IllegalArgumentException.class, () -> Prediction.softmax(logits, 0, 0)).getMessage());
    assertEquals("logits [-1, -1 + 2) are not inside an array of 4",
        assertThrows(IllegalArgumentException.class, () -> Prediction.softmax(logits, -1, 2)).getMessage());
    assertEquals("logits [3, 3 + 2) are not inside an array of 4",
        assertThrows(IllegalArgumentException.class, () -> Prediction.softmax(logits, 3, 2)).getMessage());
    float[] p = Prediction.softmax(logits, 2, 2);
    assertEquals(1 / (1 + Math.exp(1)), p[0], 1e-6);
    assertEquals(Math.exp(1) / (1 + Math.exp(1)), p[1], 1e-6);
  }
}
