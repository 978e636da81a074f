package netc.passes;

import java.util.ArrayList;
import java.util.List;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;

/**
 * Makes a residual add the epilogue of the conv that produces one of its operands: add(conv(x), r)
 * becomes conv(x; residual r), which adds r[pixel] as each output pixel leaves the registers, so the
 * add is never a separate sweep over memory. The memory planner may then let the conv write its
 * output over r (the add reads each element of r once, just before writing the same element).
 *
 * <p>Legal when the conv's only use is the add and its epilogue is plain (a fused activation would
 * have to run before the add, which the epilogue order bias, residual, activation cannot express).
 * When both operands qualify (a projection shortcut), the conv later in the order is chosen, so
 * the other operand is ready when it runs. The fused conv takes the add's place in the order, which
 * keeps the order topological: both operands precede the add.
 */
final class FuseResidual implements Pass {
  @Override
  public String name() {
    return "fuse-residual";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "make each residual add the epilogue of the conv producing one operand";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (int id : e.ids()) {
      Node add = e.node(id); // an add fused just before may have been its operand: look it up again
      // an add that applies an activation already (fused into it by an earlier run) keeps it: the fused conv would drop it
      if (add.op() != Op.ADD || add.attrs().has("act")) continue;
      Node conv = null;
      int other = -1;
      for (int k = 0; k < 2; k++) {
        Node cand = e.node(add.input(k));
        boolean ok = cand.op() == Op.CONV && e.uses(cand.id()) == 1 && Rules.plainEpilogue(cand) && add.input(0) != add.input(1);
        if (ok && (conv == null || e.position(cand.id()) > e.position(conv.id()))) {
          conv = cand;
          other = add.input(1 - k);
        }
      }
      if (conv == null) continue;
      List<Origin> origins = new ArrayList<>(conv.origins());
      origins.addAll(add.origins());
      // a sum's add stays marked (inspect's picture draws no residual there)
      var attrs = add.attrs().has("sum") ? conv.attrs().with("residual", true).with("sum", true) : conv.attrs().with("residual", true);
      Node fused = conv.withInputs(List.of(conv.input(0), other)).withAttrs(attrs).withOrigins(origins);
      e.remove(conv.id());
      e.replaceAt(add.id(), fused);
      e.replaceUses(add.id(), fused.id());
    }
    return e.build();
  }
}
