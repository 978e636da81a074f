package netc.codegen;

import static netc.codegen.GeneratedModelTest.assertClose;
import static netc.codegen.GeneratedModelTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * clip, ceil-mode and count_include_pad pooling, asymmetric padding and pad compile to kernels that
 * equal the reference interpreter (1e-4 of the largest output, as GeneratedModelTest: float32 against
 * double differs by rounding only), optimized, at -O0 and without Winograd, at batch 1 and 2.
 */
class ClipPoolPadTest {
  /**
   * Every construct, with sizes that make the ceil-mode windows overhang, the pads reach the
   * windows' edges and the clips bite (synthetic weights give outputs of a few units).
   */
  static final String SPEC = """
      input(3, 15, 15)
      stem: conv(16, 3, stride = 2, padding = [0, 0, 1, 1])
      relu6: clip(min = 0, max = 0.5)
      mp: maxpool(3, stride = 2, ceil_mode = true)
      pd: pad([1, 0, 2, 3])
      c2: conv(20, 3, padding = [1, 2, 0, 1])
      band: clip(-0.3, 0.3)
      ap: avgpool(3, stride = 2, padding = 1, ceil_mode = true, count_include_pad = false)
      ap2: avgpool(2, stride = 2, padding = [1, 1, 0, 0], ceil_mode = true)
      c3: conv(16, 3, padding = 1)
      cap: clip(max = 0.2)
      c4: conv(16, 1)
      grow: conv(16, 1, padding = [0, 0, 1, 1])
      r6: clip(0, 0.4)
      ap3: avgpool(3, stride = 1, padding = [0, 1, 1, 0])
      flatten()
      fc(10)
      """;

  @ParameterizedTest
  @ValueSource(strings = {"O2", "O0", "direct"})
  void compiledEqualsInterpreter(String mode) throws Exception {
    Graph g = Specs.fromText(SPEC);
    ParamSource params = SyntheticWeights.source(g, 3);
    PassContext context = switch (mode) {
      case "O0" -> new PassContext(0, Set.of(), 16, List.of());
      case "direct" -> new PassContext(2, Set.of("winograd"), 16, List.of());
      default -> new PassContext(2, Set.of(), 16, List.of());
    };
    CompiledModel model = CompiledModels.compile(g, params, 2, context);
    for (int batch : new int[] {1, 2}) {
      Tensor x = random(g, batch, 40 + batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, mode + " batch " + batch);
    }
  }

  /**
   * Ceil-mode windows longer than the padded input (by less than a stride, as torch allows): one
   * output over the whole 2x2 map, read only inside it. The compiled kernels clip each window to the
   * input as the interpreter does and divide by the same count.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "maxpool(3, stride = 2, ceil_mode = true)",
      "avgpool(3, stride = 2, ceil_mode = true)",
      "avgpool([3, 2], stride = 2, ceil_mode = true, count_include_pad = false)",
      "avgpool(5, stride = 3, padding = [1, 1, 0, 2], ceil_mode = true)",
      "maxpool(5, stride = 3, padding = [1, 2, 2, 0], ceil_mode = true)"})
  void ceilModeWindowsLongerThanTheInput(String pool) throws Exception {
    Graph g = Specs.fromText("input(3, 6, 6)\nc: conv(16, 3, stride = 2)\nc2: conv(20, 1)\np: " + pool + "\nflatten()\n");
    assertEquals(List.of(2, 2), List.of(g.nodes().get(2).shape().height(), g.nodes().get(2).shape().width()));
    assertEquals(20, g.output().shape().dim(0));
    ParamSource params = SyntheticWeights.source(g, 5);
    for (String mode : new String[] {"O2", "O0"}) {
      CompiledModel model = CompiledModels.compile(g, params, 2, new PassContext(mode.equals("O2") ? 2 : 0, Set.of(), 16, List.of()));
      for (int batch : new int[] {1, 3}) {
        Tensor x = random(g, batch, 7 + batch);
        assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-5, pool + " " + mode + " batch " + batch);
      }
    }
  }

  /**
   * Windows of more padded pixels than an int counts, padding half the kernel over a 1x1 map so each
   * window holds the one input pixel: 65536 x 65536 (2^32, which wrapped an int to 0: every output
   * infinite) and 46341 x 46341 (2,147,488,281, which wrapped negative: the sign flipped). torch
   * counts in int64 and divides each pixel by the whole padded window; the interpreter visits only the
   * window's pixels inside the input (it stepped through all 2^32 of them, for minutes).
   */
  @ParameterizedTest
  @ValueSource(ints = {65536, 46341})
  void windowsOfMorePixelsThanAnIntCounts(int k) throws Exception {
    Graph g = Specs.fromText("input(16, 1, 1)\np: avgpool(" + k + ", padding = " + k / 2 + ")\nflatten()\n");
    assertEquals(List.of(1, 1), List.of(g.nodes().get(1).shape().height(), g.nodes().get(1).shape().width()));
    ParamSource params = SyntheticWeights.source(g, 1);
    CompiledModel model = CompiledModels.compile(g, params, 2);
    double window = (double) k * k;
    for (int batch : new int[] {1, 2}) {
      Tensor x = random(g, batch, 60 + batch);
      float[] interpreted = Interpreter.run(g, params, x).data(), compiled = model.predict(x).data();
      for (int i = 0; i < x.data().length; i++) {
        double expected = x.data()[i] / window;
        String where = k + "x" + k + " batch " + batch + " value " + i + ": ";
        assertTrue(Math.abs(interpreted[i] - expected) <= 1e-6 * Math.abs(expected), where + "interpreted " + interpreted[i] + ", torch " + expected);
        assertTrue(Math.abs(compiled[i] - expected) <= 1e-6 * Math.abs(expected), where + "compiled " + compiled[i] + ", torch " + expected);
      }
    }
  }

  /** clip(0, max) joins the conv's epilogue; a clip with another lower bound stays a layer (the epilogue has one parameter). */
  @Test
  void clipWithZeroMinimumFusesIntoTheConv() {
    Graph g = Specs.fromText(SPEC);
    Graph optimized = PassManager.run(g, new PassContext(2, Set.of(), 16, List.of()));
    List<String> clips = optimized.nodes().stream().filter(n -> n.op() == Op.CLIP).map(Node::name).toList();
    assertEquals(List.of("band", "cap"), clips);
    Node stem = optimized.nodes().stream().filter(n -> n.name().equals("stem")).findFirst().orElseThrow();
    assertEquals("clip", stem.attrs().getString("act", ""));
    assertEquals(0.5, stem.attrs().getDouble("max"));
  }

  /** The interpreter's pooling and clip on a hand-computed case: a 3x3 input, ceil mode and both divisors. */
  @Test
  void interpreterPoolsAsTorch() {
    Tensor x = new Tensor(new int[] {1, 1, 3, 3}, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    // torch.nn.AvgPool2d(2, 2, ceil_mode=True): windows [1,2,4,5], [3,6], [7,8], [9]; the overhang is not counted
    assertArrayClose(new float[] {3, 4.5f, 7.5f, 9}, run("avgpool(2, ceil_mode = true)", x));
    // AvgPool2d(2, 2, padding=1, count_include_pad=False): [1], [2,3], [4,7], [5,6,8,9]
    assertArrayClose(new float[] {1, 2.5f, 5.5f, 7}, run("avgpool(2, padding = 1, count_include_pad = false)", x));
    // with the padding counted: [1]/4, [2,3]/4, [4,7]/4, [5,6,8,9]/4
    assertArrayClose(new float[] {0.25f, 1.25f, 2.75f, 7}, run("avgpool(2, padding = 1)", x));
    assertArrayClose(new float[] {5, 6, 8, 9}, run("maxpool(2, stride = 1, padding = [0, 0, 0, 0])", x));
    // windows longer than the padded input (ceil mode): one output; torch divides by the window
    // clipped to the padded input, 3x3 here, 5x5 with padding 1 (45 / 25)
    assertArrayClose(new float[] {9}, run("maxpool(4, stride = 2, ceil_mode = true)", x));
    assertArrayClose(new float[] {5}, run("avgpool(4, stride = 2, ceil_mode = true)", x));
    assertArrayClose(new float[] {1.8f}, run("avgpool(6, stride = 2, padding = 1, ceil_mode = true)", x));
    assertArrayClose(new float[] {5}, run("avgpool(6, stride = 2, padding = 1, ceil_mode = true, count_include_pad = false)", x));

    assertArrayClose(new float[] {0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0}, run("pad([1, 0, 0, 1])", x));
    assertArrayClose(new float[] {2, 2, 3, 4, 5, 6, 6, 6, 6}, run("clip(2, 6)", x));
  }

  private static float[] run(String layer, Tensor x) {
    Graph g = Specs.fromText("input(1, 3, 3)\n" + layer + "\n");
    return Interpreter.run(g, SyntheticWeights.source(g, 1), x).data();
  }

  private static void assertArrayClose(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) assertTrue(Math.abs(expected[i] - actual[i]) < 1e-6, "at " + i + ": " + actual[i] + " vs " + expected[i]);
  }
}
