package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Classify, on the model the plugin compiled into this project, gives PyTorch's answers on the held-out digits. */
class ClassifyTest {
  /** Held-out digits and PyTorch's logits for them, committed by weights/train_digits.py. */
  static final Path FIXTURES = Path.of("../../weights/digits");

  /**
   * Logits against torch's committed ones: at most 1e-4 of the largest |logit|. netc reorders the
   * float math (batch norm folded into the convs, blocked layouts, fused multiply-adds), which moves
   * logits by rounding only, a few 1e-7 of the largest here; a wrong weight or kernel moves them by
   * far more than the bound (the bound of the compiler's DigitsTest on the same data).
   */
  static final double TOLERANCE = 1e-4;

  @Test
  void logitsAreTorchs() {
    Tensor ours = Classify.logits(FIXTURES.resolve("heldout_images.npy"));
    Tensor torch = Npy.read(FIXTURES.resolve("heldout_logits.npy"));
    assertEquals(List.of(360, 10), List.of(ours.shape()[0], ours.shape()[1]));
    double err = 0, scale = 0;
    for (int i = 0; i < torch.data().length; i++) {
      err = Math.max(err, Math.abs(ours.data()[i] - torch.data()[i]));
      scale = Math.max(scale, Math.abs(torch.data()[i]));
    }
    assertTrue(scale > 1, "torch's logits are not trivial: " + scale);
    assertTrue(err <= TOLERANCE * scale, "max |logit - torch| " + err + " vs max |logit| " + scale);
  }

  @Test
  void printsTheTopKOfEveryDigitAsTorchRanksThem() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status = Classify.run(new String[] {FIXTURES.resolve("heldout_images.npy").toString(), "2"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertEquals(0, status);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    float[] torch = Npy.read(FIXTURES.resolve("heldout_logits.npy")).data();
    float[] labels = Npy.read(FIXTURES.resolve("heldout_labels.npy")).data();
    assertEquals(360, lines.size());
    int correct = 0;
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      assertEquals(6, f.length, lines.get(i)); // "digit I:" then two "class probability" pairs
      assertEquals(Integer.toString(argmax(torch, i * 10)), f[2], "top-1 of digit " + i + ": " + lines.get(i));
      if (Integer.parseInt(f[2]) == (int) labels[i]) correct++;
    }
    assertEquals(358, correct, "right answers: torch's logits get 358 of the 360 held-out digits right");
  }

  /**
   * The project's specs are copies of examples/ (a project holds its own): apart from comment lines
   * they must not drift from the spec the weights were trained for.
   */
  @Test
  void theSpecsAreExamplesOwn() throws Exception {
    for (String spec : List.of("digits.net", "resnet.net")) {
      assertEquals(code(Path.of("../" + spec)), code(Path.of("src/main/netc/" + spec)), "src/main/netc/" + spec + " differs from examples/" + spec);
    }
  }

  private static List<String> code(Path spec) throws java.io.IOException {
    return java.nio.file.Files.readAllLines(spec).stream().filter(l -> !l.strip().startsWith("//")).toList();
  }

  @Test
  void aFileOfTheWrongShapeIsNamed(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.npy");
    Npy.write(bad, Tensor.zeros(2, 1, 32, 32));
    BadInputException e = assertThrows(BadInputException.class, () -> Classify.logits(bad));
    assertEquals(bad + ": shape [2, 1, 32, 32], expected [N, 1, 8, 8]", e.getMessage());
  }

  private static int argmax(float[] v, int offset) {
    int best = 0;
    for (int j = 1; j < 10; j++) if (v[offset + j] > v[offset + best]) best = j;
    return best;
  }
}
