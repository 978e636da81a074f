package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.passes.PassContext;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The compiled model of every example network equals the reference interpreter on the unoptimized
 * graph, at batch 1 and 3. The interpreter accumulates in double and the kernels in float32 with
 * FMAs in a different order, so they differ by float rounding: at most a few 1e-6 of the largest
 * logit here. The bar is 1e-4 of the largest logit.
 */
class GeneratedModelTest {
  static Tensor random(Graph g, int batch, long seed) {
    int[] d = g.input().shape().dims();
    return Tensor.uniform(seed, batch, d[0], d[1], d[2]);
  }

  static void assertClose(Tensor expected, Tensor actual, double relative, String what) {
    assertArrayEquals(expected.shape(), actual.shape());
    double err = actual.maxAbsDiff(expected), scale = expected.maxAbs();
    assertTrue(err <= relative * scale, what + ": max error " + err + " vs max|logit| " + scale);
  }

  @ParameterizedTest
  @ValueSource(strings = {"smallnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"})
  void compiledEqualsInterpreter(String net) throws Exception {
    Map<String, String> small = net.equals("smallnet") ? Map.of() : Map.of("width", "8", "size", "56", "classes", "10");
    Graph g = Specs.example(net, small);
    ParamSource params = SyntheticWeights.source(g, 5);
    CompiledModel model = CompiledModels.compile(g, params, 2);
    for (int batch : new int[] {1, 3}) {
      Tensor x = random(g, batch, batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, net + " batch " + batch);
    }
  }

  /**
   * At -O0 nothing is folded or fused: batch norms, activations and residual adds run as their own
   * kernels and the input reorder applies the normalization. The same bar holds.
   */
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "smallnet"})
  void compiledAtO0EqualsInterpreter(String net) throws Exception {
    Map<String, String> small = net.equals("smallnet") ? Map.of() : Map.of("width", "8", "size", "56", "classes", "10");
    Graph g = Specs.example(net, small);
    ParamSource params = SyntheticWeights.source(g, 7);
    PassContext o0 = new PassContext(0, java.util.Set.of(), 16, java.util.List.of());
    CompiledModel model = CompiledModels.compile(g, params, 2, o0);
    Tensor x = random(g, 2, 13);
    assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, net + " at -O0");
  }

  /** With Winograd switched off every conv is direct; the same bar holds. */
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "resnet50"})
  void compiledWithoutWinogradEqualsInterpreter(String net) throws Exception {
    Graph g = Specs.example(net, Map.of("width", "8", "size", "56", "classes", "10"));
    ParamSource params = SyntheticWeights.source(g, 6);
    PassContext direct = new PassContext(2, java.util.Set.of("winograd"), 16, java.util.List.of());
    CompiledModel model = CompiledModels.compile(g, params, 2, direct);
    Tensor x = random(g, 2, 12);
    assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, net + " direct");
  }
}
