package netc.passes;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;

/**
 * Dead node and identity elimination.
 *
 * <p>A node is dead when the output does not depend on it; it is removed. A node is an identity when
 * it provably returns its input: a pool with a 1x1 window, stride 1 and no padding; a flatten of an
 * already flat value; a reorder to the layout its input already has. Its uses are rewired to its
 * input and it is removed. Always legal: neither changes any value the output depends on. The input
 * node is never removed, even when unused, so the compiled model keeps its declared signature.
 */
final class EliminateDeadNodes implements Pass {
  @Override
  public String name() {
    return "eliminate-dead-nodes";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "remove nodes the output does not use, and identities (1x1 stride-1 pools, no-op flattens)";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (int id : e.ids()) {
      Node n = e.node(id); // its input may be an identity removed just before: look it up again
      if (isIdentity(n, graph)) {
        e.replaceUses(n.id(), n.input(0));
        e.remove(n.id());
      }
    }
    Set<Integer> live = live(e);
    for (Node n : List.copyOf(e.nodes())) {
      if (!live.contains(n.id()) && n.op() != Op.INPUT) e.remove(n.id());
    }
    return e.build();
  }

  /** The nodes the output depends on (itself included). */
  static Set<Integer> live(GraphEditor e) {
    Set<Integer> live = new HashSet<>();
    live.add(e.output());
    List<Node> order = e.nodes();
    for (int i = order.size() - 1; i >= 0; i--) {
      Node n = order.get(i);
      if (live.contains(n.id())) live.addAll(n.inputs());
    }
    return live;
  }

  static boolean isIdentity(Node n, Graph g) {
    return switch (n.op()) {
      case MAXPOOL, AVGPOOL -> n.attrs().getInts("kernel").equals(List.of(1, 1))
          && n.attrs().getInts("stride").equals(List.of(1, 1))
          && n.attrs().getInts("padding").equals(List.of(0, 0));
      case FLATTEN -> g.node(n.input(0)).shape().rank() == 1;
      case REORDER -> g.node(n.input(0)).attrs().getString("layout", "nchw").equals(n.attrs().getString("layout", "nchw"))
          && !n.attrs().has("halo") && !n.attrs().has("normalize"); // a normalizing reorder computes (x - mean) / std
      default -> false;
    };
  }
}
