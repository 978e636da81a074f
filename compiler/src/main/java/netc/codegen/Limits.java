package netc.codegen;

import netc.ast.NetcException;
import netc.ir.Graph;
import netc.ir.Node;
import netc.passes.Layouts;
import netc.passes.MemoryPlan;

/**
 * What a compiled model can hold, checked before any weight is evaluated or any code written: the
 * packed weights are one float array and each image's workspace (activations, conv scratch) is
 * another, indexed by int in the generated code and the kernels, so both stay within
 * {@link PackedWeights#MAX_ARRAY}. A graph past either is refused with the layer responsible, its
 * size and the limit, at the layer's place in the spec; below them every offset the generator
 * writes fits an int.
 */
final class Limits {
  private Limits() {}

  /** Both checks; {@code plan} is the graph's memory plan. */
  static void check(Graph g, MemoryPlan plan) {
    PackedWeights.checkFits(g);
    checkWorkspace(g, plan);
  }

  /**
   * Every value (the caller's input too, which is one image of the caller's array) and the whole
   * workspace: the planned arena, then the scratch past it, then the linear kernel's read slack.
   */
  static void checkWorkspace(Graph g, MemoryPlan plan) {
    Node largest = null;
    for (Node n : g.nodes()) {
      long floats = Layouts.floats(n, 16);
      if (floats > PackedWeights.MAX_ARRAY) {
        throw refuse(n, String.format("its output, %s per image, takes %,d floats%s, more than the %,d one Java array holds", n.shape(),
            floats, n.shape().rank() == 3 && Layouts.isBlocked(n) ? " with channels padded to blocks of 16 and its border" : "",
            PackedWeights.MAX_ARRAY));
      }
      if (n.op() != netc.ir.Op.INPUT && (largest == null || floats > Layouts.floats(largest, 16))) largest = n;
    }
    long scratch = ModelGenerator.scratchFloats(g);
    long workspace = plan.arenaFloats() + scratch + ModelGenerator.SLACK_FLOATS;
    if (workspace > PackedWeights.MAX_ARRAY) {
      Node culprit = largest;
      for (Node n : g.nodes()) {
        if (n.op() == netc.ir.Op.CONV && ModelGenerator.scratchFloats(g, n) == scratch && scratch > Layouts.floats(largest, 16)) culprit = n;
      }
      throw refuse(culprit, String.format("one image's workspace would take %,d floats (%,d of activations, %,d of conv scratch; this "
          + "layer's %s is %,d), more than the %,d one Java array holds", workspace, plan.arenaFloats(), scratch,
          culprit == largest ? "output" : "scratch", culprit == largest ? Layouts.floats(largest, 16) : scratch, PackedWeights.MAX_ARRAY));
    }
  }

  /** A located refusal naming the layer, or the network when there is no layer to name. */
  static NetcException refuse(Node n, String problem) {
    if (n == null) return new NetcException("cannot compile: " + problem);
    String name = n.name().length() > 200 ? n.name().substring(0, 200) + "..." : n.name();
    return new NetcException(n.origins().get(0).span(), "cannot compile layer " + name + ": " + problem);
  }
}
