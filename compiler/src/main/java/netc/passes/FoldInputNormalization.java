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
 * Folds the input's declared normalization x' = (x - mean[c]) / std[c] into the first conv, so the
 * model reads raw pixels and no pass over the image is spent on it.
 *
 * <p>conv(x') = sum W[o,c,k] (x[c,k] - mean[c]) / std[c] + b[o] = sum (W[o,c,k] / std[c]) x[c,k]
 * + (b[o] - sum W[o,c,k] mean[c] / std[c]). That holds inside the image. At the border the conv
 * pads x' with 0, which is x = mean in raw terms, so the folded conv pads channel c with mean[c]
 * (attribute pad_value): then every window sees exactly the values it saw before.
 *
 * <p>Legal when the conv is the input's only user (others need normalized values) and not grouped
 * across a different channel split (groups == 1, so weight column c is input channel c).
 */
final class FoldInputNormalization implements Pass {
  @Override
  public String name() {
    return "fold-input-normalization";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "fold the input's mean/std normalization into the first conv (padding with the mean)";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    Node input = graph.input();
    List<Double> mean = input.attrs().getDoubles("mean"), std = input.attrs().getDoubles("std");
    if (mean == null || input.attrs().has("normalization_folded")) return graph;
    List<Node> users = graph.consumers(input.id());
    if (users.size() != 1 || graph.useCount(input.id()) != 1) return graph;
    Node conv = users.get(0);
    if (conv.op() != Op.CONV || conv.attrs().getInt("groups") != 1 || conv.inputs().size() != 1) return graph;
    GraphEditor e = new GraphEditor(graph);
    Map<String, ParamExpr> params = new LinkedHashMap<>();
    ParamExpr w = conv.param("weight");
    params.put("weight", new ParamExpr.InputScaledWeight(w, std));
    params.put("bias", new ParamExpr.InputShiftedBias(w, conv.param("bias"), mean, std));
    List<Origin> origins = new ArrayList<>(conv.origins());
    origins.addAll(input.origins());
    e.replace(conv.withParams(params).withAttrs(conv.attrs().with("bias", true).with("pad_value", mean)).withOrigins(origins));
    e.replace(input.withAttrs(input.attrs().with("normalization_folded", true)));
    return e.build();
  }
}
