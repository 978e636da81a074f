package netc.passes;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import netc.ir.Attrs;
import netc.ir.Graph;
import netc.ir.Node;

/**
 * --print-changed, after LLVM's -print-changed: per pass a header, then only the nodes it removed
 * ({@code -} and the node), added ({@code +} and the node) or changed (a {@code -} line with the
 * old values of the fields that changed and a {@code +} line with the new ones; a field that only
 * appeared, like {@code act=relu}, gives a {@code +} line alone). Parameters show their outer
 * expression only ({@code weight=bn_scale(..)}); --print-after NAME has them whole. Inputs that were
 * only rewired from a removed node to its replacement are left out (users with no other change are
 * counted in the header). A pass
 * that changed nothing is the one line {@code pass X: no change}.
 */
final class PrintChanged implements Instrument {
  static final int WIDTH = 120;
  private final PrintStream out;

  PrintChanged(PrintStream out) {
    this.out = out;
  }

  @Override
  public void start(Graph input) {
    out.println("*** input: " + input.name() + ", " + input.nodes().size() + " nodes");
  }

  @Override
  public void after(Pass pass, Graph before, Graph after) {
    Map<Integer, Node> old = new LinkedHashMap<>();
    for (Node n : before.nodes()) old.put(n.id(), n);
    Map<Integer, Node> now = new LinkedHashMap<>();
    for (Node n : after.nodes()) now.put(n.id(), n);
    List<String> lines = new ArrayList<>();
    int removed = 0, added = 0, changed = 0, rewired = 0;
    // removed nodes and changed ones, in the order of the graph before; added ones where they now stand
    for (Node b : before.nodes()) {
      Node a = now.get(b.id());
      if (a == null) {
        removed++;
        lines.add("- " + shortText(b));
        continue;
      }
      List<String> minus = new ArrayList<>(), plus = new ArrayList<>();
      if (b.op() != a.op()) {
        minus.add("op=" + b.op().spelling());
        plus.add("op=" + a.op().spelling());
      }
      boolean inputsDiffer = !b.inputs().equals(a.inputs());
      boolean rewiredOnly = inputsDiffer && onlyRewiredFromRemoved(b, a, now);
      if (inputsDiffer && !rewiredOnly) {
        minus.add(inputs(b));
        plus.add(inputs(a));
      }
      var keys = new java.util.TreeSet<String>(b.attrs().asMap().keySet());
      keys.addAll(a.attrs().asMap().keySet());
      for (String k : keys) {
        Object x = b.attrs().asMap().get(k), y = a.attrs().asMap().get(k);
        if (Objects.equals(x, y)) continue;
        if (x != null) minus.add(k + "=" + Attrs.format(x));
        if (y != null) plus.add(k + "=" + Attrs.format(y));
      }
      var roles = new java.util.LinkedHashSet<String>(b.params().keySet());
      roles.addAll(a.params().keySet());
      for (String r : roles) {
        String x = b.param(r) == null ? null : b.param(r).describe(), y = a.param(r) == null ? null : a.param(r).describe();
        if (Objects.equals(x, y)) continue;
        if (x != null) minus.add(r + "=" + outer(x));
        if (y != null) plus.add(r + "=" + outer(y));
      }
      if (!b.shape().equals(a.shape())) {
        minus.add(": " + b.shape());
        plus.add(": " + a.shape());
      }
      if (minus.isEmpty() && plus.isEmpty()) {
        if (rewiredOnly) rewired++;
        continue;
      }
      changed++;
      String who = "%" + a.id() + " " + a.name() + ":";
      if (!minus.isEmpty()) lines.add("- " + who + " " + String.join(" ", minus));
      lines.add("+ " + who + " " + String.join(" ", plus));
    }
    for (Node a : after.nodes()) {
      if (old.containsKey(a.id())) continue;
      added++;
      lines.add("+ " + Graph.nodeText(a));
    }
    if (lines.isEmpty()) {
      out.println("pass " + pass.name() + ": no change");
      return;
    }
    StringBuilder h = new StringBuilder("*** ").append(pass.name()).append(": ")
        .append(before.nodes().size()).append(" -> ").append(after.nodes().size()).append(" nodes");
    if (removed > 0) h.append(", ").append(removed).append(" removed");
    if (added > 0) h.append(", ").append(added).append(" added");
    if (changed > 0) h.append(", ").append(changed).append(" changed");
    if (rewired > 0) h.append(", ").append(rewired).append(rewired == 1 ? " user" : " users").append(" rewired");
    out.println(h);
    for (String l : lines) out.print(wrap(l, WIDTH, "      "));
  }

  private static boolean onlyRewiredFromRemoved(Node b, Node a, Map<Integer, Node> now) {
    if (b.inputs().size() != a.inputs().size()) return false;
    for (int i = 0; i < b.inputs().size(); i++) {
      if (b.input(i) != a.input(i) && now.containsKey(b.input(i))) return false;
    }
    return true;
  }

  private static String inputs(Node n) {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < n.inputs().size(); i++) b.append(i == 0 ? "" : ", ").append('%').append(n.input(i));
    return b.append(')').toString();
  }

  /** {@code bn_scale(conv1.weight[..], ...)} as {@code bn_scale(..)}; a plain tensor name stays whole. */
  private static String outer(String describe) {
    int p = describe.indexOf('(');
    return p < 0 ? describe : describe.substring(0, p) + "(..)";
  }

  /** A removed node: op, inputs, attributes, shape and name, without its parameters. */
  private static String shortText(Node n) {
    StringBuilder b = new StringBuilder();
    b.append('%').append(n.id()).append(" = ").append(n.op().spelling()).append(inputs(n));
    if (!n.attrs().asMap().isEmpty()) b.append(' ').append(n.attrs());
    return b.append(" : ").append(n.shape()).append("  # ").append(n.name()).toString();
  }

  /**
   * Breaks a line longer than {@code width} at attribute boundaries (after ", " inside the
   * attribute braces, or at a space between fields, outside brackets of depth above one), each
   * continuation indented. Returns the text with its newline(s).
   */
  static String wrap(String line, int width, String indent) {
    if (line.length() <= width) return line + "\n";
    StringBuilder out = new StringBuilder();
    int start = 0, lastBreak = -1, depth = 0, limit = width;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '{' || c == '(' || c == '[') depth++;
      else if (c == '}' || c == ')' || c == ']') depth--;
      else if (c == ' ' && depth <= 1 && i > start) lastBreak = i;
      if (i - start >= limit && lastBreak > start) {
        out.append(line, start, lastBreak).append('\n').append(indent);
        start = lastBreak + 1;
        limit = width - indent.length();
        lastBreak = -1;
      }
    }
    return out.append(line.substring(start)).append('\n').toString();
  }
}
