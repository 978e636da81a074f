package netc.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Structural checks that every pass must preserve: topological order, known ids, consistent shapes. */
public final class Verifier {
  private Verifier() {}

  /** Returns the problems found; empty when the graph is well formed. */
  public static List<String> check(Graph g) {
    List<String> problems = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    Set<String> names = new HashSet<>();
    if (g.nodes().isEmpty() || g.input().op() != Op.INPUT) problems.add("the first node must be the input");
    for (Node n : g.nodes()) {
      if (!seen.add(n.id())) problems.add("%" + n.id() + " is defined twice");
      if (!names.add(n.name())) problems.add("%" + n.id() + " reuses the name " + n.name());
      List<Shape> in = new ArrayList<>();
      for (int i : n.inputs()) {
        if (!seen.contains(i) || i == n.id()) problems.add("%" + n.id() + " uses %" + i + " before it is defined");
        else in.add(g.node(i).shape());
      }
      if (n.op() == Op.INPUT || in.size() != n.inputs().size()) continue;
      int arity = switch (n.op()) {
        case ADD, GATE -> 2;
        case CONCAT -> Math.max(2, in.size()); // any number from two; ShapeInference refuses fewer
        case GATHER -> Math.max(1, in.size());
        case CONV -> n.attrs().has("residual") ? 2 : 1;
        default -> 1;
      };
      if (in.size() != arity) {
        problems.add("%" + n.id() + " " + n.op().spelling() + " takes " + arity + " inputs, has " + in.size());
        continue;
      }
      try {
        Shape expected = ShapeInference.infer(n.op(), n.attrs(), in);
        if (!expected.equals(n.shape())) problems.add("%" + n.id() + " has shape " + n.shape() + ", its inputs give " + expected);
      } catch (ShapeError e) {
        problems.add("%" + n.id() + " " + n.name() + ": " + e.getMessage());
      } catch (RuntimeException e) {
        // an attribute no spec gives (a pass's bug): a zero stride divides by zero, a zero size fails
        // Shape's constructor, a missing one Attrs.require; located like a shape error, with its kind
        problems.add("%" + n.id() + " " + n.name() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
    if (!seen.contains(g.outputId())) problems.add("the output %" + g.outputId() + " is not a node");
    return problems;
  }

  public static void verify(Graph g, String after) {
    List<String> problems = check(g);
    if (!problems.isEmpty()) {
      throw new IllegalStateException("IR verification failed after " + after + ":\n  " + String.join("\n  ", problems));
    }
  }
}
