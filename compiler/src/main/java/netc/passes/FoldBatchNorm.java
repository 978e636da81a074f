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

/**
 * Folds a batch norm into the conv before it.
 *
 * <p>In inference a batch norm is the per-channel affine map y = (x - mean) * g / sqrt(var + eps) + beta.
 * After conv(x) = W * x + b it composes into one conv with W'[o] = W[o] * g[o] / sqrt(var[o] + eps)
 * and b'[o] = beta[o] + (b[o] - mean[o]) * g[o] / sqrt(var[o] + eps). The new parameters are
 * symbolic ({@link ParamExpr.BnScaledWeight}, {@link ParamExpr.BnShiftedBias}) and evaluated in
 * double when weights are bound.
 *
 * <p>Legal when the batch norm's input is a conv whose only use is the batch norm (otherwise the other
 * users would see the scaled output) and whose epilogue is still plain (no activation or residual
 * fused yet, since the affine map must apply before them). A batch norm with no such conv stays.
 */
final class FoldBatchNorm implements Pass {
  @Override
  public String name() {
    return "fold-batchnorm";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "fold batch norms into the preceding conv's weights and bias";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (int id : e.ids()) fold(e, e.node(id)); // a batch norm folded just before may have been its input: looked up again
    return e.build();
  }

  /**
   * Folds {@code bn} into the conv before it where that is legal (see the class comment); whether it did.
   * Also what merge-parallel-convs calls for a batch norm after a sum it made one conv.
   */
  static boolean fold(GraphEditor e, Node bn) {
    // a batch norm that applies an activation (fused into it where it stood alone) keeps it: the folded conv would drop it
    if (bn.op() != Op.BATCHNORM || bn.attrs().has("act")) return false;
    Node conv = e.node(bn.input(0));
    if (conv.op() != Op.CONV || e.uses(conv.id()) != 1 || !Rules.plainEpilogue(conv)) return false;
    double eps = bn.attrs().getDouble("eps");
    Map<String, ParamExpr> params = new LinkedHashMap<>();
    params.put("weight", new ParamExpr.BnScaledWeight(conv.param("weight"), bn.param("weight"), bn.param("running_var"), eps));
    params.put("bias", new ParamExpr.BnShiftedBias(conv.param("bias"), bn.param("weight"), bn.param("bias"),
        bn.param("running_mean"), bn.param("running_var"), eps));
    List<Origin> origins = new ArrayList<>(conv.origins());
    origins.addAll(bn.origins());
    e.replace(conv.withParams(params).withAttrs(conv.attrs().with("bias", true)).withOrigins(origins));
    e.replaceUses(bn.id(), conv.id());
    e.remove(bn.id());
    return true;
  }
}
