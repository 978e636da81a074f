package netc.passes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;
import netc.ir.ParamExpr;
import netc.ir.Shape;

/**
 * Merges an add of parallel convs over one input into one conv: RepVGG's structural re-parameterization,
 * done by the compiler. Convolution is linear in its kernel, so conv(x, Wa) + conv(x, Wb) = conv(x, Wa + Wb)
 * when both convs read the same x at the same stride and their windows share a center: odd kernels, each
 * padded by half its size, a smaller kernel (one within the other's height and width: merged, a 1x7 and a 7x1
 * would cost a 7x7) zero-padded around its center into the larger ({@link ParamExpr.Sum}). The input itself added to a conv is a conv of the identity kernel
 * ({@link ParamExpr.IdentityKernel}; stride 1, as many outputs as inputs), and a batch norm of the input, an
 * identity kernel scaled and a bias. A sum of a 3x3, a 1x1 and the input's batch norm (RepVGG's block, once its
 * batch norms are folded into the convs) becomes one 3x3 conv, which Winograd then takes: a conv and two adds
 * fewer, each a sweep over the map.
 *
 * <p>Legal when every operand but the input is used by the add alone, the convs' epilogues are plain (an
 * activation or residual fused into one would apply to its part alone), dilation is 1, and the merged conv
 * computes the same windows: same input, stride, groups and outputs. Runs after batch norms are folded (a
 * branch's conv + batch norm is then one conv), before the input's normalization is folded (which needs the
 * input's one reader, as a merged stem is) and before residual fusion (which would turn the add into a conv's
 * epilogue). A sum of three or more, a chain of adds, is regrouped where operands on different adds merge. A
 * batch norm after the sum, which fold-batchnorm left (it followed an add then), is folded into the merged conv;
 * with fold-batchnorm disabled no batch norm is folded, the input's either. Results agree with the unmerged
 * graph to float rounding: each term's kernel as float (a folded batch norm's evaluated in double, then
 * rounded), their sum in double, once, when weights are bound.
 */
final class MergeParallelConvs implements Pass {
  @Override
  public String name() {
    return "merge-parallel-convs";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "merge convs of one input that are added, and the input or its batch norm added to one, into one conv (RepVGG)";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    boolean foldNorms = context.enabled(new FoldBatchNorm()); // --disable-pass fold-batchnorm keeps every batch norm
    // until nothing merges: a regrouped sum may have two mergeable operands on one add now
    for (boolean changed = true; changed; ) {
      changed = false;
      for (int id : e.ids()) {
        if (!e.has(id)) continue;
        Node add = e.node(id); // an add merged just before may have been its operand: look it up again
        if (!plainAdd(add)) continue;
        if (mergeOperands(e, add, foldNorms) || regroup(e, add, foldNorms)) changed = true;
      }
    }
    return e.build();
  }

  /** An add with no activation of two different values: its operands may merge. */
  private static boolean plainAdd(Node n) {
    return n.op() == Op.ADD && !n.attrs().has("act") && n.input(0) != n.input(1);
  }

  /** Merges {@code add}'s two operands into one conv in its place, if they merge; whether they did. */
  private static boolean mergeOperands(GraphEditor e, Node add, boolean foldNorms) {
    for (int k = 0; k < 2; k++) {
      Node conv = e.node(add.input(k)), other = e.node(add.input(1 - k));
      Node merged = merge(e, conv, other, foldNorms);
      if (merged == null) continue;
      e.remove(conv.id());
      if (other.id() != conv.input(0)) e.remove(other.id());
      e.replaceAt(add.id(), merged.withOrigins(origins(conv, other, add)));
      e.replaceUses(add.id(), merged.id());
      // a batch norm after the sum (fold-batchnorm ran before, when it followed an add) now follows a conv
      List<Node> readers = e.consumers(merged.id());
      if (foldNorms && e.uses(merged.id()) == 1 && readers.size() == 1) FoldBatchNorm.fold(e, readers.get(0));
      return true;
    }
    return false;
  }

  /**
   * A sum of three or more is a chain of adds, (a + b) + c, built in the order of its branches, so two operands
   * that merge may sit on different adds: a 1x3 and a 3x1 (which do not merge with each other) before a 3x3 (which
   * takes both), ACNet's block. Where {@code outer}'s operand c merges with a conv a of the inner add, used by
   * {@code outer} alone, the sum is regrouped as (a + c) + b: a and c one conv in a's place, {@code outer} gone.
   * Whether it did.
   */
  private static boolean regroup(GraphEditor e, Node outer, boolean foldNorms) {
    for (int k = 0; k < 2; k++) {
      Node inner = e.node(outer.input(k)), c = e.node(outer.input(1 - k));
      if (!plainAdd(inner) || e.uses(inner.id()) != 1) continue;
      for (int j = 0; j < 2; j++) {
        Node a = e.node(inner.input(j));
        if (a.op() != Op.CONV || a.id() == c.id()) continue;
        Node merged = merge(e, a, c, foldNorms);
        if (merged == null) continue;
        e.replace(merged.withOrigins(origins(a, c, outer))); // a's id, in a's place: it reads only the sum's input
        e.replaceUses(outer.id(), inner.id());
        e.remove(outer.id());
        if (c.id() != a.input(0)) e.remove(c.id());
        return true;
      }
    }
    return false;
  }

  /** The spec layers a merge of {@code conv} and {@code other} by {@code add} comes from: all three, the sum's input itself not. */
  private static List<Origin> origins(Node conv, Node other, Node add) {
    List<Origin> origins = new ArrayList<>(conv.origins());
    if (other.id() != conv.input(0)) origins.addAll(other.origins());
    origins.addAll(add.origins());
    return origins;
  }

  /** {@code conv} with {@code other} merged into it (a conv, the input itself, or its batch norm), or null if it cannot be. */
  private static Node merge(GraphEditor e, Node conv, Node other, boolean foldNorms) {
    if (!centered(e, conv)) return null;
    int x = conv.input(0);
    Shape w = conv.param("weight").shape();
    List<ParamExpr> weights = new ArrayList<>(), biases = new ArrayList<>();
    addTerms(conv.param("weight"), weights);
    addTerms(conv.param("bias"), biases);
    Shape kernel = w;
    if (other.id() != x && other.op() == Op.CONV) {
      if (!centered(e, other) || other.input(0) != x || other.id() == conv.id()) return null;
      for (String a : List.of("stride", "groups", "out")) if (!conv.attrs().asMap().get(a).equals(other.attrs().asMap().get(a))) return null;
      Shape v = other.param("weight").shape();
      // one kernel within the other: a 1x7 and a 7x1 would merge into a 7x7 of 3.5 times their multiply-adds
      boolean within = v.dim(2) <= w.dim(2) && v.dim(3) <= w.dim(3) || w.dim(2) <= v.dim(2) && w.dim(3) <= v.dim(3);
      if (!within) return null;
      kernel = new Shape(w.dim(0), w.dim(1), Math.max(w.dim(2), v.dim(2)), Math.max(w.dim(3), v.dim(3)));
      addTerms(other.param("weight"), weights);
      addTerms(other.param("bias"), biases);
    } else {
      // the input itself, or its batch norm: a conv of the identity kernel, which needs as many outputs as inputs at stride 1
      boolean identity = other.id() == x;
      boolean norm = foldNorms && other.op() == Op.BATCHNORM && other.input(0) == x && e.uses(other.id()) == 1 && !other.attrs().has("act");
      if (!identity && !norm) return null;
      if (!conv.attrs().getInts("stride").equals(List.of(1, 1)) || conv.shape().channels() != e.node(x).shape().channels()) return null;
      if (conv.shape().rank() != 3 || e.node(x).shape().rank() != 3) return null;
      ParamExpr id = new ParamExpr.IdentityKernel(new Shape(w.dim(0), w.dim(1), 1, 1));
      if (identity) {
        weights.add(id);
      } else {
        double eps = other.attrs().getDouble("eps");
        weights.add(new ParamExpr.BnScaledWeight(id, other.param("weight"), other.param("running_var"), eps));
        biases.add(new ParamExpr.BnShiftedBias(null, other.param("weight"), other.param("bias"), other.param("running_mean"),
            other.param("running_var"), eps));
      }
    }
    Map<String, ParamExpr> params = new LinkedHashMap<>();
    params.put("weight", new ParamExpr.Sum(weights, kernel));
    if (!biases.isEmpty()) params.put("bias", biases.size() == 1 ? biases.get(0) : new ParamExpr.Sum(biases, new Shape(w.dim(0))));
    var attrs = conv.attrs().with("kernel", List.of(kernel.dim(2), kernel.dim(3)))
        .with("padding", List.of(kernel.dim(2) / 2, kernel.dim(3) / 2)).without("padding_end").with("bias", !biases.isEmpty());
    return conv.withParams(params).withAttrs(attrs);
  }

  /** Adds {@code p}'s terms to {@code terms}: a merged conv's own (a sum of three is one sum), or {@code p} itself; none for null. */
  private static void addTerms(ParamExpr p, List<ParamExpr> terms) {
    if (p instanceof ParamExpr.Sum s) terms.addAll(s.terms());
    else if (p != null) terms.add(p);
  }

  /**
   * A conv used once, with a plain epilogue, dilation 1 and an odd kernel padded by half its size on every side:
   * its window is centered on its output pixel, so another such conv's window shares the center.
   */
  private static boolean centered(GraphEditor e, Node n) {
    if (n.op() != Op.CONV || e.uses(n.id()) != 1 || !Rules.plainEpilogue(n)) return false;
    if (!n.attrs().getInts("dilation").equals(List.of(1, 1))) return false;
    List<Integer> k = n.attrs().getInts("kernel"), pad = n.attrs().getInts("padding");
    return k.get(0) % 2 == 1 && k.get(1) % 2 == 1 && pad.equals(List.of(k.get(0) / 2, k.get(1) / 2)) && n.attrs().paddingEnd().equals(pad);
  }
}
