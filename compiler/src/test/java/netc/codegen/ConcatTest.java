package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamSource;
import netc.passes.MemoryPlan;
import netc.passes.MemoryPlanner;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;

/**
 * Concat compiles both ways, and both equal the reference interpreter (on the unoptimized graph,
 * within 1e-4 of the largest output, the bar of GeneratedModelTest): in place, where every branch
 * fills whole channel blocks with the concat's border and its producer writes into the concat's
 * buffer (no concat step at all), and by a copy step per branch that cannot (channels not a multiple
 * of 16, a border the concat has and the branch not, the network's input).
 */
class ConcatTest {
  static final PassContext O0 = new PassContext(0, Set.of(), 16, List.of());
  static final PassContext DIRECT = new PassContext(2, Set.of("winograd"), 16, List.of());

  /** A fire module whose expands give 16 and 32 channels: every branch is a whole number of blocks. */
  static final String FIRE = """
      input(3, 12, 12)
      conv(16, 3, padding = 1)
      relu()
      squeeze: conv(8, 1)
      relu()
      concat {
          expand1x1: conv(16, 1)
          relu()
      } and {
          expand3x3: conv(32, 3, padding = 1)
          relu()
      }
      conv(10, 1)
      global_avgpool()
      flatten()
      """;

  /** Dense layers of 8 channels: the second branch starts inside a block, and the concat of a concat is copied. */
  static final String DENSE = """
      input(3, 10, 10)
      conv(16, 3, padding = 1)
      concat { } and {
          batchnorm()
          relu()
          conv(8, 3, padding = 1)
      }
      concat { } and {
          batchnorm()
          relu()
          conv(8, 3, padding = 1)
      }
      batchnorm()
      relu()
      conv(4, 3, padding = 1)
      """;

  @Test
  void wholeBlocksAreWrittenInPlace() throws Exception {
    Graph g = Specs.fromText(FIRE);
    Graph optimized = PassManager.run(g, PassContext.defaults());
    MemoryPlan plan = MemoryPlanner.plan(optimized, 16);
    Node concat = only(optimized, Op.CONCAT);
    for (int in : concat.inputs()) assertTrue(plan.isSliceOf(in, concat.id()), optimized.node(in).name() + " is written into the concat");
    assertEquals(plan.offsetOf(concat.id()) + 16L * 12 * 12, plan.offsetOf(concat.input(1)), "the second branch starts one block in");
    CompiledModel model = checkAll(g, 3);
    assertFalse(model.stepNames().stream().anyMatch(s -> s.contains("concat")), "no copy step: " + model.stepNames());
  }

  @Test
  void partialBlocksAreCopied() throws Exception {
    Graph g = Specs.fromText(DENSE);
    Graph optimized = PassManager.run(g, PassContext.defaults());
    MemoryPlan plan = MemoryPlanner.plan(optimized, 16);
    List<Node> concats = optimized.nodes().stream().filter(n -> n.op() == Op.CONCAT).toList();
    // the first: 16 input channels in place, the 8-channel branch last, in place too (its padding is the concat's)
    assertTrue(plan.isSliceOf(concats.get(0).input(0), concats.get(0).id()));
    assertTrue(plan.isSliceOf(concats.get(0).input(1), concats.get(0).id()));
    // the second: the 24-channel first concat leaves the branch starting at channel 24, inside a block
    assertFalse(plan.isSliceOf(concats.get(1).input(0), concats.get(1).id()));
    assertFalse(plan.isSliceOf(concats.get(1).input(1), concats.get(1).id()));
    CompiledModel model = checkAll(g, 4);
    assertEquals(2, model.stepNames().stream().filter(s -> s.startsWith("concat_1_copy")).count(), model.stepNames().toString());
  }

  /** Growth 16: each dense layer's concat is a slice of the next one's, three deep, and nothing is copied. */
  @Test
  void concatsOfConcatsNestInPlace() throws Exception {
    String layer = "concat { } and { batchnorm() relu() conv(16, 3, padding = 1) }\n";
    Graph g = Specs.fromText("input(3, 7, 9)\nconv(16, 3, padding = 1)\n" + layer.repeat(3) + "relu()\nconv(5, 1)\n");
    Graph optimized = PassManager.run(g, PassContext.defaults());
    MemoryPlan plan = MemoryPlanner.plan(optimized, 16);
    List<Node> concats = optimized.nodes().stream().filter(n -> n.op() == Op.CONCAT).toList();
    for (Node c : concats) for (int in : c.inputs()) assertTrue(plan.isSliceOf(in, c.id()), c.name() + " copies " + optimized.node(in).name());
    int innermost = plan.bufferOf().get(concats.get(0).id()), outermost = plan.bufferOf().get(concats.get(2).id());
    assertTrue(plan.within(innermost, outermost));
    assertEquals(plan.offsetOf(concats.get(2).id()), plan.offsetOf(optimized.node(concats.get(0).input(0)).id()), "the stem's output is channels 0..15 of the last");
    CompiledModel model = checkAll(g, 8);
    assertFalse(model.stepNames().stream().anyMatch(s -> s.contains("concat")), "no copy step: " + model.stepNames());
  }

  /** A concat read by a padded conv has a border its branches (read by 1x1 convs) lack: copied, border zeroed. */
  @Test
  void differentBordersAreCopied() throws Exception {
    Graph g = Specs.fromText("""
        input(16, 9, 7)
        concat {
            conv(16, 1)
        } and {
            conv(16, 3, padding = 1)
        }
        conv(5, 3, padding = 1)
        """);
    Graph optimized = PassManager.run(g, PassContext.defaults());
    MemoryPlan plan = MemoryPlanner.plan(optimized, 16);
    Node concat = only(optimized, Op.CONCAT);
    assertFalse(plan.isSliceOf(concat.input(0), concat.id()));
    checkAll(g, 5);
  }

  /** Nested concats, named branches, an identity branch of the network's input (not in the arena: copied). */
  @Test
  void languageExampleMatches() throws Exception {
    checkAll(Specs.fromText(Files.readString(Path.of("src/test/resources/lang/valid/concat_branches.net"))), 6);
    checkAll(Specs.fromText("""
        input(16, 6, 6)
        concat { } and {
            conv(16, 1)
        } and {
            relu()
        }
        """), 7);
  }

  /**
   * The imported fixtures: SqueezeNet's fire modules (16 to 64 channels a branch) concatenate with no
   * copy at all; DenseNet's 8-channel growth copies where a branch starts inside a block.
   */
  @Test
  void importedSqueezeNetIsCopyFreeAndDenseNetCopiesPartialBlocks() {
    Graph squeeze = PassManager.run(imported("squeezenet"), PassContext.defaults());
    MemoryPlan plan = MemoryPlanner.plan(squeeze, 16);
    List<Node> concats = squeeze.nodes().stream().filter(n -> n.op() == Op.CONCAT).toList();
    assertEquals(8, concats.size());
    for (Node c : concats) for (int in : c.inputs()) assertTrue(plan.isSliceOf(in, c.id()), c.name() + " copies " + squeeze.node(in).name());
    Graph dense = PassManager.run(imported("densenet"), PassContext.defaults());
    MemoryPlan densePlan = MemoryPlanner.plan(dense, 16);
    long inPlace = 0, copied = 0;
    for (Node c : dense.nodes()) {
      if (c.op() != Op.CONCAT) continue;
      for (int in : c.inputs()) {
        if (densePlan.isSliceOf(in, c.id())) inPlace++;
        else copied++;
      }
    }
    // per block: the first concat (16 + 8 channels) in place, the second (24 + 8) copied
    assertEquals(4, inPlace);
    assertEquals(4, copied);
  }

  /** The DOT drawing has an edge from every branch into the concat, and the IR text lists every input. */
  @Test
  void toolsShowEveryInput() {
    Graph g = Specs.fromText("""
        input(4, 5, 5)
        concat { } and { a: conv(3, 1) } and { b: relu() }
        """);
    Node concat = only(g, Op.CONCAT);
    assertTrue(g.toText().contains("concat(%0, %1, %2) : 11x5x5  # concat"), g.toText());
    String dot = netc.passes.Dot.render(g);
    for (int in : concat.inputs()) assertTrue(dot.contains("n" + in + " -> n" + concat.id()), dot);
  }

  private static Graph imported(String model) {
    var r = netc.onnx.OnnxImporter.translate(netc.onnx.OnnxReader.read(Path.of("../weights/fixtures/onnx/" + model + ".onnx")));
    return netc.ir.GraphBuilder.build(netc.ast.SpecLoader.fromText(model, r.spec()), java.util.Map.of());
  }

  private static Node only(Graph g, Op op) {
    List<Node> found = g.nodes().stream().filter(n -> n.op() == op).toList();
    assertEquals(1, found.size());
    return found.get(0);
  }

  /** Compiled at -O2, -O0 and without Winograd, each at batch 1 and 2, against the interpreter; returns the -O2 model. */
  private static CompiledModel checkAll(Graph g, long seed) throws Exception {
    ParamSource params = SyntheticWeights.source(g, seed);
    CompiledModel first = null;
    for (PassContext ctx : List.of(PassContext.defaults(), O0, DIRECT)) {
      CompiledModel model = CompiledModels.compile(g, params, 2, ctx);
      if (first == null) first = model;
      for (int batch : new int[] {1, 2}) {
        Tensor x = GeneratedModelTest.random(g, batch, seed + batch);
        GeneratedModelTest.assertClose(Interpreter.run(g, params, x), model.predict(x).reshape(RandomNetworkTest.shape(g, batch)), 1e-4, "opt " + ctx.optLevel() + " batch " + batch);
      }
    }
    return first;
  }
}
