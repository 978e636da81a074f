package netc.passes;

import java.util.ArrayList;
import java.util.List;
import netc.ir.Activation;
import netc.ir.Attrs;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;

/**
 * Fuses an activation (relu, sigmoid, tanh, leaky_relu, and clip with min = 0 such as ReLU6) into the conv
 * or fc that produces its input, so it is applied in that kernel's epilogue as values leave the
 * registers: act(W * x + b [+ r]). The epilogues carry one parameter, so a clip with another lower
 * bound stays a layer of its own.
 *
 * <p>Legal when the producer's only use is the activation (another user needs the value before the
 * activation) and the producer has no activation yet. A residual already in the epilogue is fine:
 * the activation applies after the add, which is exactly relu(conv + shortcut) in a ResNet.
 */
final class FuseActivation implements Pass {
  @Override
  public String name() {
    return "fuse-activation";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "apply relu/sigmoid/tanh/leaky_relu/clip(0, max) in the epilogue of the conv or fc before it";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (int id : e.ids()) {
      Node act = e.node(id); // an activation fused just before may have been its input: look it up again
      if (!act.op().isActivation()) continue;
      Node producer = e.node(act.input(0));
      if ((producer.op() != Op.CONV && producer.op() != Op.FC) || e.uses(producer.id()) != 1 || producer.attrs().has("act")) continue;
      if (act.op() == Op.CLIP && !fusableClip(act.attrs())) continue;
      Attrs attrs = producer.attrs().with("act", Activation.of(act.op()).spelling());
      if (act.op() == Op.LEAKY_RELU) attrs = attrs.with("slope", act.attrs().getDouble("slope"));
      if (act.op() == Op.CLIP) attrs = attrs.with("min", 0.0).with("max", act.attrs().getDouble("max"));
      List<Origin> origins = new ArrayList<>(producer.origins());
      origins.addAll(act.origins());
      e.replace(producer.withAttrs(attrs).withOrigins(origins));
      e.replaceUses(act.id(), producer.id());
      e.remove(act.id());
    }
    return e.build();
  }

  /** A clip the epilogues compute: min(max(x, 0), max), the kernels' CLIP with the bound as its parameter. */
  static boolean fusableClip(Attrs a) {
    return a.has("min") && a.getDouble("min") == 0 && a.has("max");
  }
}
