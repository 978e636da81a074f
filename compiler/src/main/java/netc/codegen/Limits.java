package netc.codegen;

import netc.ast.NetcException;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
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

  /**
   * Layers after the passes a model may have, unless -Dnetc.codegen.maxLayers says otherwise. Each is
   * one or a few generated methods, and javac needs about a second and 100 MB for every thousand
   * (20,000 relus: 15 s and 2 GB), so a spec that loops to the front end's limit (200,000 layers)
   * would run for minutes and then out of memory. ResNet-152 has about 500.
   */
  static final int DEFAULT_MAX_LAYERS = 20_000;

  static int maxLayers() {
    String text = System.getProperty("netc.codegen.maxLayers");
    if (text == null) return DEFAULT_MAX_LAYERS;
    try {
      int v = Integer.parseInt(text.trim().replace("_", ""));
      if (v > 0) return v;
    } catch (NumberFormatException e) {
      // reported below, as a value that is not positive is
    }
    throw new netc.ast.NetcException("-Dnetc.codegen.maxLayers=" + text + ": the layer limit must be a positive integer");
  }

  /** The layer count first (planning memory is not free either), then weights, then the workspace. */
  static void check(Graph g, MemoryPlan plan) {
    checkLaidOut(g);
    checkLayers(g);
    PackedWeights.checkFits(g);
    checkWorkspace(g, plan);
  }

  /**
   * Code generation reads every value's layout and border from assign-layout, which always runs but
   * can be switched off for inspect; compiling without it failed deep in the generator.
   */
  static void checkLaidOut(Graph g) {
    for (Node n : g.nodes()) {
      if (!n.attrs().has("layout")) {
        throw new NetcException("cannot compile " + g.name() + " without the assign-layout pass: code generation needs the memory "
            + "layouts it chooses (--disable-pass assign-layout is for inspect only)");
      }
    }
  }

  /** Refuses more than {@link #maxLayers()} layers after the passes, at the first layer past the limit. */
  static void checkLayers(Graph g) {
    int max = maxLayers(), layers = g.nodes().size() - 1; // the input is not a layer
    if (layers <= max) return;
    throw refuse(g.nodes().get(max + 1), String.format(java.util.Locale.ROOT, "the network has %,d layers after the passes, and netc compiles at most %,d "
        + "(javac needs about a second and 100 MB for every thousand); this is layer %,d. Raise the limit with "
        + "-Dnetc.codegen.maxLayers=N (./netc: NETC_JAVA_OPTS)", layers, max, max + 1));
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
        throw refuse(n, String.format(java.util.Locale.ROOT, "its output, %s per image, takes %,d floats%s, more than the %,d one Java array holds", n.shape(),
            floats, n.shape().rank() == 3 && Layouts.isBlocked(n) ? " with channels padded to blocks of 16 and its border" : "",
            PackedWeights.MAX_ARRAY));
      }
      if (n.op() != Op.INPUT && (largest == null || floats > Layouts.floats(largest, 16))) largest = n;
    }
    long scratch = ModelGenerator.scratchFloats(g);
    long workspace = plan.arenaFloats() + scratch + ModelGenerator.SLACK_FLOATS;
    if (workspace > PackedWeights.MAX_ARRAY) {
      // the layer to blame: the conv with the largest scratch when that outweighs the largest output (the
      // same conv may have both), else the largest output
      Node culprit = largest;
      boolean byScratch = false;
      for (Node n : g.nodes()) {
        if (n.op() == Op.CONV && ModelGenerator.scratchFloats(g, n) == scratch && scratch > Layouts.floats(largest, 16)) {
          culprit = n;
          byScratch = true;
        }
      }
      // the winograd pass keeps a conv direct where its tiles could not fit beside the conv's own input
      // and output; other values live at its step can still push them over
      boolean winograd = byScratch && culprit.attrs().getString("algo", "").equals("winograd")
          && plan.arenaFloats() + ModelGenerator.SLACK_FLOATS <= PackedWeights.MAX_ARRAY;
      throw refuse(culprit, String.format(java.util.Locale.ROOT, "one image's workspace would take %,d floats (%,d of activations, %,d of conv scratch; this "
          + "layer's %s is %,d), more than the %,d one Java array holds%s", workspace, plan.arenaFloats(), scratch,
          byScratch ? "scratch" : "output", byScratch ? scratch : Layouts.floats(largest, 16), PackedWeights.MAX_ARRAY,
          winograd ? "; the scratch is its Winograd tiles: --disable-pass winograd computes it as a direct conv, without them" : ""));
    }
  }

  /** A located refusal naming the layer, or the network when there is no layer to name. */
  static NetcException refuse(Node n, String problem) {
    if (n == null) return new NetcException("cannot compile: " + problem);
    String name = n.name().length() > 200 ? n.name().substring(0, 200) + "..." : n.name();
    return new NetcException(n.origins().get(0).span(), "cannot compile layer " + name + ": " + problem);
  }
}
