package netc.passes;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import netc.ir.Activation;
import netc.ir.Attrs;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;

/**
 * Fuses an activation (every op that is one: relu, sigmoid, tanh, leaky_relu, silu, hardsigmoid,
 * hardswish, gelu, and clip with min = 0 such as ReLU6; {@link #description} lists them from the ops)
 * into the conv or fc that produces its input, so it is applied in that kernel's epilogue as values leave the
 * registers: act(W * x + b [+ r]); or into a batch norm or add that no conv absorbed (DenseNet's
 * norm-relu before each conv), saving a pass over the tensor. The epilogues carry one parameter, so a clip with another lower
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

  /**
   * What the pass fuses into what, read off the ops ({@link Op#isActivation}, {@link #CARRIERS}) so it
   * cannot drift from what {@link #run} does: "apply relu/.../clip(0, max)/.../gelu as the conv,
   * batchnorm, add or fc before it stores".
   */
  @Override
  public String description() {
    List<String> acts = new ArrayList<>();
    for (Op op : Op.values()) if (op.isActivation()) acts.add(op == Op.CLIP ? "clip(0, max)" : op.spelling());
    List<String> carriers = CARRIERS.stream().map(Op::spelling).toList();
    return "apply " + String.join("/", acts) + " as the " + String.join(", ", carriers.subList(0, carriers.size() - 1)) + " or "
        + carriers.get(carriers.size() - 1) + " before it stores";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (int id : e.ids()) {
      Node act = e.node(id); // an activation fused just before may have been its input: look it up again
      if (!act.op().isActivation()) continue;
      Node producer = e.node(act.input(0));
      if (!CARRIERS.contains(producer.op()) || e.uses(producer.id()) != 1 || producer.attrs().has("act")) continue;
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

  /** The ops whose kernels apply an activation as they store: convs and fcs in their epilogues, standalone batch norms and adds in their own loops. */
  static final Set<Op> CARRIERS = EnumSet.of(Op.CONV, Op.FC, Op.BATCHNORM, Op.ADD);

  /** A clip the epilogues compute: min(max(x, 0), max), the kernels' CLIP with the bound as its parameter. */
  static boolean fusableClip(Attrs a) {
    return a.has("min") && a.getDouble("min") == 0 && a.has("max");
  }
}
