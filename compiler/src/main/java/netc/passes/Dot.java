package netc.passes;

import java.util.stream.Collectors;
import netc.ir.Graph;
import netc.ir.Node;

/** Renders a graph as Graphviz DOT: one box per node with its name, op, shape and fused spec layers. */
public final class Dot {
  private Dot() {}

  public static String render(Graph g) {
    StringBuilder b = new StringBuilder();
    b.append("digraph ").append(quote(g.name())).append(" {\n");
    b.append("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", fontname=\"Helvetica\", fontsize=10];\n");
    for (Node n : g.nodes()) {
      StringBuilder label = new StringBuilder();
      label.append(n.name()).append("\\n").append(n.op().spelling());
      if (n.attrs().has("act")) label.append(" + ").append(n.attrs().getString("act", ""));
      if (n.attrs().has("residual")) label.append(" + residual");
      label.append("  ").append(n.shape());
      if (n.attrs().has("layout")) label.append("  ").append(n.attrs().getString("layout", ""));
      if (n.origins().size() > 1) {
        label.append("\\nfrom ").append(n.origins().stream()
            .map(o -> o.layer() + " @" + (o.span() == null ? "?" : o.span().line() + ":" + o.span().column()))
            .collect(Collectors.joining(", ")));
      }
      String color = n.origins().size() > 1 ? ", fillcolor=\"#dcebf7\"" : "";
      b.append("  n").append(n.id()).append(" [label=").append(quote(label.toString())).append(color).append("];\n");
    }
    for (Node n : g.nodes()) {
      for (int i = 0; i < n.inputs().size(); i++) {
        b.append("  n").append(n.input(i)).append(" -> n").append(n.id()).append(i == 1 ? " [style=dashed]" : "").append(";\n");
      }
    }
    return b.append("}\n").toString();
  }

  /** A DOT string literal; the label escapes \n are kept, quotes and other backslashes escaped. */
  static String quote(String s) {
    return "\"" + s.replace("\\n", "\u0000").replace("\\", "\\\\").replace("\"", "\\\"").replace("\u0000", "\\n") + "\"";
  }
}
