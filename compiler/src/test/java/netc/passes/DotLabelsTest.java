package netc.passes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import netc.ast.SpecLoader;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.ir.Node;
import org.junit.jupiter.api.Test;

/** What a fused activation's label says: a clip's bounds (ReLU6 told from another clip) and a leaky relu's slope. */
class DotLabelsTest {
  @Test
  void fusedActivationsShowTheirParameters() {
    Graph g = GraphBuilder.build(SpecLoader.fromText("acts.net", """
        input(3, 8, 8)
        a: conv(16, 1)
        clip(0, 6)
        b: conv(16, 1)
        leaky_relu(slope = 0.2)
        global_avgpool()
        flatten()
        fc(4)
        """), Map.of());
    Graph optimized = PassManager.run(g, PassContext.defaults());
    String a = label(optimized, "a"), b = label(optimized, "b");
    assertTrue(a.contains("conv + clip(0.0, 6.0)"), a);
    assertTrue(b.contains("conv + leaky_relu(slope 0.2)"), b);
  }

  private static String label(Graph g, String name) {
    Node n = g.nodes().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    List<String> lines = Dot.lines(n, g);
    return String.join("\n", lines);
  }
}
