package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import netc.ir.Graph;
import netc.ir.Node;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Valid networks that the passes or code generation once refused or broke, minimized from the
 * bad-input campaign and from {@link RandomNetworkTest}: each compiles at -O2, -O1, -O0 and without
 * Winograd, and equals the reference interpreter within 1e-4 of the largest output.
 */
class ValidNetworksTest {
  @ParameterizedTest
  @ValueSource(strings = {
      // two activations in a row: the second looked for the first after it was fused ("no node %N")
      "input(3, 17, 17)\nconv(1, 2, bias = false)\ntanh()\nrelu()\nglobal_avgpool()\nflatten()\nfc(10)",
      // two batch norms in a row: the same with the fold
      "input(3, 9, 9)\nconv(4, 3)\nbatchnorm()\nbatchnorm(eps = 0.001)\nrelu()",
      // two residuals back to back: the second add's operand was the first, fused just before
      "input(4, 6, 6)\nc: conv(4, 1)\nresidual { conv(4, 3, padding = 1) }\nresidual { conv(4, 3, padding = 1) }",
      // two identities in a row: the second was rewired to the first after it was removed
      "input(3, 6, 6)\nconv(5, 1)\nmaxpool(1)\navgpool(1)\nrelu()",
      // a residual conv right after the input: its residual operand was dropped with the border copy
      "input(3, 16, 16)\nresidual { conv(3, 3, padding = 1) }",
      // two padded convs read the input: one bordered copy, not two nodes of the same name
      "input(3, 8, 8)\nresidual { conv(4, 3, padding = 1) } shortcut ds { conv(4, 3, padding = 1) }",
      // flatten of the caller's input ("flatten of a bordered tensor")
      "input(3, 16, 16)\nflatten()\nfc(4)",
      // flatten of a value that a padded conv reads too, so it has a border (a 1x1 map needs no reorder)
      "input(5, 4, 3)\nglobal_avgpool()\nresidual { flatten() } shortcut s { conv(5, 3, padding = 1)\nflatten() }\nfc(7)",
      "input(5, 4, 3)\nresidual { flatten() } shortcut s { conv(5, 3, padding = 1)\nflatten() }",
      // a residual 1x1 conv on a value of 3 channel blocks that is also its window: it wrote over its input
      "input(5, 6, 6)\nconv(40, 1)\nresidual { conv(40, 1) }",
      // a network of identities: the output is the caller's input
      "input(2, 5, 7)\nmaxpool(1)",
      // a softmax over the channels of the caller's input
      "input(3, 4, 5)\nsoftmax()",
  })
  void compilesAndEqualsTheInterpreter(String spec) {
    int inputDependent = 0;
    for (long seed = 0; seed < 4; seed++) {
      String problem = RandomNetworkTest.check(seed, spec);
      // with some seeds' weights a small network's output is the same for any input (a relu over a conv whose
      // outputs are all negative): its comparison is of the first input only, and another seed must do more
      if (RandomNetworkTest.CONSTANT.equals(problem)) continue;
      assertNull(problem, "with " + RandomNetworkTest.context(seed) + ":\n" + spec);
      inputDependent++;
    }
    assertTrue(inputDependent > 0, "every seed's weights make the output independent of the input:\n" + spec);
  }

  /**
   * Attributes without a float literal (NaN, infinities, a double past float's range) wrote "NaNf",
   * which does not compile. The front end refuses them in a spec; a graph made otherwise compiles.
   */
  @org.junit.jupiter.api.Test
  void attributesWithoutAFloatLiteralCompile() throws Exception {
    Graph g = Specs.fromText("input(3, 4, 4, mean = [0.5, 0.5, 0.5], std = [0.2, 0.2, 0.2])\nleaky_relu()\nleaky_relu()\nleaky_relu()\n"
        + "conv(4, 3, padding = 1)");
    List<Node> nodes = new ArrayList<>(g.nodes());
    // finite doubles past float's range (NaN and infinities are refused at the spec, and by Attrs)
    double[] slopes = {-1e300, 1e300, 1e-300};
    for (int i = 0; i < 3; i++) nodes.set(i + 1, nodes.get(i + 1).withAttrs(nodes.get(i + 1).attrs().with("slope", slopes[i])));
    nodes.set(0, nodes.get(0).withAttrs(nodes.get(0).attrs().with("mean", List.of(-1e300, 1e300, 0.5))));
    Graph odd = g.withNodes(nodes, g.outputId());
    Path dir = Files.createTempDirectory("netc-literals");
    try {
      PassContext o0 = new PassContext(0, Set.of(), 16, List.of());
      String source = ModelCompiler.compileTo(PassManager.run(odd, o0), SyntheticWeights.source(odd, 1), "test.net", true, dir, s -> {}).source();
      assertTrue(source.contains("Float.NEGATIVE_INFINITY") && source.contains("Float.POSITIVE_INFINITY"), "the literals are named");
    } finally {
      ModelCompiler.deleteTree(dir);
    }
  }
}
