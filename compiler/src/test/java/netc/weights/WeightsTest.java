package netc.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import netc.runtime.io.Safetensors;
import netc.testing.Specs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WeightsTest {
  @TempDir Path dir;

  static final Map<String, String> SMALL = Map.of("width", "8", "size", "64", "classes", "10");

  /**
   * torchvision parity: the committed fixtures hold a width-8 torchvision ResNet (written by
   * weights/make_fixtures.sh), a batch of two 64x64 inputs and torchvision's logits. The interpreter
   * accumulates in double, torchvision in float32, so they differ by float rounding only; 1e-4 of the
   * largest logit is the bar the issue sets, and we observe about 3e-7.
   */
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "resnet50"})
  void interpreterMatchesTorchvision(String arch) {
    Graph g = Specs.example(arch, SMALL);
    Path fixtures = Path.of("../weights/fixtures");
    WeightBinding w = WeightBinding.bind(g, fixtures.resolve(arch + "_w8_s64.safetensors"));
    assertEquals(List.of(), w.unused(), "torchvision's state_dict is used whole (num_batches_tracked ignored)");
    Tensor x = Npy.read(fixtures.resolve(arch + "_w8_s64_input.npy"));
    Tensor expected = Npy.read(fixtures.resolve(arch + "_w8_s64_logits.npy"));
    Tensor y = Interpreter.run(g, w, x);
    assertArrayEquals(expected.shape(), y.shape());
    double err = y.maxAbsDiff(expected), scale = expected.maxAbs();
    assertTrue(scale > 0.01, "logits are not degenerate");
    assertTrue(err <= 1e-4 * scale, "max error " + err + " vs max|logit| " + scale);
  }

  @Test
  void bindingNamesMissingWrongShapeAndWrongDtype() throws IOException {
    Graph g = Specs.fromText("input(3, 8, 8)\nc: conv(4, 3, bias = false)\nbn: batchnorm()");
    Map<String, Tensor> t = new LinkedHashMap<>(SyntheticWeights.generate(g, 0));
    t.put("c.weight", Tensor.zeros(4, 3, 1, 1));
    t.remove("bn.running_var");
    t.put("extra.weight", Tensor.zeros(2));
    Path p = dir.resolve("w.safetensors");
    Safetensors.write(p, t, Map.of());
    String msg = assertThrows(BadInputException.class, () -> WeightBinding.bind(g, p)).getMessage();
    assertEquals(p + " does not fit test: tensor 'c.weight' has shape 4x3x1x1, expected 4x3x3x3; "
        + "missing tensor 'bn.running_var' (expected shape 4)", msg);
    t.put("c.weight", Tensor.zeros(4, 3, 3, 3));
    t.put("bn.running_var", Tensor.zeros(4));
    Safetensors.write(p, t, Map.of());
    assertEquals(List.of("extra.weight"), WeightBinding.bind(g, p).unused());
  }

  @Test
  void syntheticWeightsAreDeterministicAndRealistic() {
    Graph g = Specs.example("resnet50", Map.of());
    Map<String, Tensor> a = SyntheticWeights.generate(g, 3), b = SyntheticWeights.generate(g, 3), c = SyntheticWeights.generate(g, 4);
    assertEquals(25_557_032 + 2 * 26_560, a.values().stream().mapToLong(Tensor::size).sum(), "parameters plus running stats");
    assertArrayEquals(a.get("layer3.5.conv2.weight").data(), b.get("layer3.5.conv2.weight").data());
    assertTrue(a.get("fc.weight").maxAbsDiff(c.get("fc.weight")) > 0, "the seed matters");
    // He init: std of a 3x3 conv over 256 channels is sqrt(2 / 2304) = 0.0295
    float[] w = a.get("layer3.5.conv2.weight").data();
    double sq = 0;
    for (float v : w) sq += v * v;
    assertEquals(Math.sqrt(2.0 / 2304), Math.sqrt(sq / w.length), 0.001);
    float[] gamma = a.get("bn1.weight").data(), var = a.get("bn1.running_var").data(), mean = a.get("bn1.running_mean").data();
    for (int i = 0; i < gamma.length; i++) {
      assertTrue(gamma[i] >= 0.6 && gamma[i] <= 1.2 && var[i] >= 0.5 && var[i] <= 1.5, "non-identity batch-norm statistics");
    }
    assertTrue(new Tensor(new int[] {64}, mean).maxAbs() > 0.05);
  }
}
