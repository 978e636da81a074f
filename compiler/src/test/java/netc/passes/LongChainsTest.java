package netc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import netc.ir.Graph;
import netc.ir.Node;
import netc.testing.Specs;
import org.junit.jupiter.api.Test;

/**
 * Chains as long as the front end allows (200,000 layers) through the whole pipeline, as inspect and
 * summary run it before anything refuses them: every pass rewrites each layer, so the editor's
 * operations must not walk the order. Finding a node's place by walking the list made assign-layout
 * (one replace per node) and every rewrite of fold-batchnorm, fuse-residual, fuse-activation and
 * eliminate-dead-nodes quadratic: some 2e10 comparisons per chain, minutes each; now each chain takes
 * seconds. The bound is generous for a loaded machine; the op counts say every rewrite happened.
 */
class LongChainsTest {
  private static final Duration BOUND = Duration.ofSeconds(60);

  /** One replace per relu in assign-layout: the relus stay, with a reorder in front (to blocked) and one at the end. */
  @Test
  void aChainOfRelus() {
    assertEquals(Map.of("input", 1, "relu", 199_990, "reorder", 2), opsAfterPasses("  {i}: relu()\n", 199_990));
  }

  /** 99,995 batch norms folded (a replace, a rewiring and a removal each): the convs are left, and the output's reorder. */
  @Test
  void convsWithBatchNormsFold() {
    assertEquals(Map.of("input", 1, "conv", 99_995, "reorder", 1), opsAfterPasses("  {i}: conv(16, 1)\n  batchnorm()\n", 99_995));
  }

  /** 99,995 identity pools removed by eliminate-dead-nodes, each from the middle of the order. */
  @Test
  void identityPoolsBetweenRelusGo() {
    assertEquals(Map.of("input", 1, "relu", 99_995, "reorder", 2), opsAfterPasses("  {i}: relu()\n  maxpool(1)\n", 99_995));
  }

  /**
   * Softmax reads plain NCHW, relu the blocked layout: assign-layout inserts a reorder after every
   * layer but the last relu, and one after that for the output (the first softmax reads the input).
   */
  @Test
  void alternatingLayoutsInsertAReorderPerLayer() {
    assertEquals(Map.of("input", 1, "softmax", 99_995, "relu", 99_995, "reorder", 199_990),
        opsAfterPasses("  {i}: softmax()\n  relu()\n", 99_995));
  }

  /**
   * ResNet blocks whose width changes every block, so each takes its projection shortcut: every batch
   * norm folds, every add becomes the epilogue of the later of its two convs (an order comparison per
   * add), every relu fuses into it. Nine layers a block, three convs each left. (A main path of one conv
   * of the block's input would merge with the shortcut's: merge-parallel-convs.)
   */
  @Test
  void projectedResidualBlocksFuse() {
    String block = "  residual {\n    conv(%1$d, 1)\n    batchnorm()\n    relu()\n    conv(%1$d, 1)\n    batchnorm()\n"
        + "  } shortcut {2 * i + %2$d} {\n    conv(%1$d, 1)\n    batchnorm()\n  }\n  relu()\n";
    String body = String.format(block, 32, 0) + String.format(block, 16, 1);
    assertEquals(Map.of("input", 1, "conv", 2 * 3 * 11_110, "reorder", 1), opsAfterPasses(body, 11_110));
  }

  /** The ops of the graph after the default pipeline, counted, for {@code count} repetitions of {@code body} after a 16x4x4 input. */
  private static Map<String, Integer> opsAfterPasses(String body, int count) {
    Graph g = Specs.fromText("input(16, 4, 4)\nfor i in 0 .. " + count + " {\n" + body + "}\n");
    Graph after = assertTimeoutPreemptively(BOUND, () -> PassManager.run(g, PassContext.defaults()));
    Map<String, Integer> ops = new TreeMap<>();
    for (Node n : after.nodes()) ops.merge(n.op().spelling(), 1, Integer::sum);
    return ops;
  }
}
