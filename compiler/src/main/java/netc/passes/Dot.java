package netc.passes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import netc.ir.Cost;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Shape;

/**
 * Renders a graph as Graphviz DOT: one box per node with one line per fact (name, op with its fused activation and
 * residual, the algorithm and tile, the spec layers fused into it, the layout and halo, MACs, the output size); the
 * residual input of a conv that adds it, and the second input of an add, are drawn as dashed edges labelled "residual".
 */
public final class Dot {
  private Dot() {}

  public static String render(Graph g) {
    return render(g, null);
  }

  /** {@code title}, if not null, is written as the graph's caption (e.g. "as parsed" or "after the passes"). */
  public static String render(Graph g, String title) {
    StringBuilder b = new StringBuilder();
    b.append("digraph ").append(quote(g.name())).append(" {\n");
    b.append("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", fontname=\"Helvetica\", fontsize=10];\n");
    b.append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    if (title != null) b.append("  labelloc=t;\n  label=").append(quote(g.name() + ": " + title)).append(";\n");
    for (Node n : g.nodes()) {
      String color = n.origins().size() > 1 ? ", fillcolor=\"#dcebf7\"" : "";
      b.append("  n").append(n.id()).append(" [label=<").append(String.join("<BR ALIGN=\"LEFT\"/>", lines(n, g)))
          .append("<BR ALIGN=\"LEFT\"/>>").append(color).append("];\n");
    }
    for (Node n : g.nodes()) {
      for (int i = 0; i < n.inputs().size(); i++) {
        b.append("  n").append(n.input(i)).append(" -> n").append(n.id());
        if (isResidual(n, i)) {
          b.append(" [style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", label=\"residual\"]");
        }
        b.append(";\n");
      }
    }
    return b.append("}\n").toString();
  }

  /** The residual join: input 1 of a conv with residual=true (the fused add), or input 1 of an add; not where a sum's add was. */
  static boolean isResidual(Node n, int input) {
    return input == 1 && !n.attrs().has("sum") && (n.op() == Op.CONV && n.attrs().has("residual") || n.op() == Op.ADD);
  }

  /** The label lines of a node, HTML-escaped. */
  static List<String> lines(Node n, Graph g) {
    List<String> l = new ArrayList<>();
    l.add("<B>" + html(n.name()) + "</B>");
    StringBuilder op = new StringBuilder(n.op().spelling());
    if (n.attrs().has("residual")) op.append(" + residual add");
    if (n.attrs().has("act")) {
      op.append(" + ").append(n.attrs().getString("act", ""));
      // a fused clip's bounds and a leaky relu's slope: ReLU6 is told from another clip
      if (n.attrs().has("max")) op.append('(').append(n.attrs().getDouble("min")).append(", ").append(n.attrs().getDouble("max")).append(')');
      if (n.attrs().has("slope")) op.append("(slope ").append(n.attrs().getDouble("slope")).append(')');
    }
    l.add(html(op.toString()));
    if (n.attrs().has("algo")) {
      String algo = n.attrs().getString("algo", "");
      StringBuilder a = new StringBuilder("algo ").append(algo);
      if (n.attrs().has("tile")) {
        int m = n.attrs().getInt("tile");
        if (algo.equals("winograd") && n.params().containsKey("weight")) {
          Shape w = n.param("weight").shape();
          a.append(" F(").append(m).append('x').append(m).append(", ").append(w.dim(2)).append('x').append(w.dim(3)).append(')');
        }
        a.append(", tile ").append(m);
      }
      l.add(html(a.toString()));
    }
    if (n.origins().size() > 1) {
      l.add(html("fused: " + n.origins().stream().map(o -> o.layer() + " (" + o.op().spelling() + ")").collect(Collectors.joining(", "))));
    }
    if (n.attrs().has("layout")) {
      String lay = "layout " + n.attrs().getString("layout", "");
      if (n.attrs().has("halo")) lay += ", halo " + n.attrs().getInts("halo");
      l.add(html(lay));
    }
    long macs = macs(n, g);
    if (macs > 0) {
      String m = "MACs " + String.format(Locale.ROOT, "%,d", macs) + " (" + human(macs) + ")";
      if ("winograd".equals(n.attrs().getString("algo", "")) && n.attrs().has("tile")) {
        // the count is a direct conv's (as summary's and every model zoo's): Winograd F(m x m, 3x3) multiplies
        // (m + 2)^2 times per m x m outputs, not 9 m^2
        int t = n.attrs().getInt("tile");
        double fewer = 9.0 * t * t / ((t + 2) * (t + 2));
        m += String.format(Locale.ROOT, " as a direct conv; Winograd's products about %s (%.2fx fewer)", human(Math.round(macs / fewer)), fewer);
      }
      l.add(html(m));
    }
    long floats = n.shape().size();
    l.add(html("out " + n.shape() + " = " + String.format(Locale.ROOT, "%,d", floats) + " floats, " + bytes(floats * 4)));
    return l;
  }

  private static long macs(Node n, Graph g) {
    try {
      return Cost.macs(n, g);
    } catch (RuntimeException e) { // a parameter without a known shape: no figure rather than no picture
      return 0;
    }
  }

  static String human(long v) {
    if (v >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f G", v / 1e9);
    if (v >= 1_000_000L) return String.format(Locale.ROOT, "%.2f M", v / 1e6);
    if (v >= 1_000L) return String.format(Locale.ROOT, "%.1f K", v / 1e3);
    return Long.toString(v);
  }

  static String bytes(long b) {
    if (b >= 1L << 20) return String.format(Locale.ROOT, "%.2f MiB", b / 1048576.0);
    if (b >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    return b + " B";
  }

  /** Text for an HTML-like label: the characters with a meaning there escaped. */
  public static String html(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** A DOT string literal; the label escapes \n are kept, quotes and other backslashes escaped. */
  static String quote(String s) {
    return "\"" + s.replace("\\n", "\u0000").replace("\\", "\\\\").replace("\"", "\\\"").replace("\u0000", "\\n") + "\"";
  }
}
