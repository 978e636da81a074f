package netc.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A network as an immutable list of nodes in topological order (every input precedes its user),
 * with one input node and one output. The batch size is left open: shapes are per image.
 */
public final class Graph {
  private final String name;
  private final List<Node> nodes;
  private final int output;
  private final Map<Integer, Node> byId = new HashMap<>();

  public Graph(String name, List<Node> nodes, int output) {
    this.name = name;
    this.nodes = List.copyOf(nodes);
    this.output = output;
    for (Node n : this.nodes) byId.put(n.id(), n);
  }

  public String name() {
    return name;
  }

  public List<Node> nodes() {
    return nodes;
  }

  public Node output() {
    return byId.get(output);
  }

  public int outputId() {
    return output;
  }

  public Node input() {
    return nodes.get(0);
  }

  public Node node(int id) {
    Node n = byId.get(id);
    if (n == null) throw new IllegalArgumentException("no node %" + id);
    return n;
  }

  public List<Node> consumers(int id) {
    List<Node> out = new ArrayList<>();
    for (Node n : nodes) if (n.inputs().contains(id)) out.add(n);
    return out;
  }

  /** Uses of {@code id}, counting the graph output as a use. */
  public int useCount(int id) {
    int uses = id == output ? 1 : 0;
    for (Node n : nodes) for (int i : n.inputs()) if (i == id) uses++;
    return uses;
  }

  public int nextId() {
    int max = -1;
    for (Node n : nodes) max = Math.max(max, n.id());
    return max + 1;
  }

  public Graph withNodes(List<Node> newNodes, int newOutput) {
    return new Graph(name, newNodes, newOutput);
  }

  public long parameterCount() {
    long n = 0;
    for (Node node : nodes) n += node.parameterCount();
    return n;
  }

  public long macs() {
    long n = 0;
    for (Node node : nodes) n += Cost.macs(node, this);
    return n;
  }

  /** The stable text form: one line per node, ids, op, inputs, attributes, params, shape, origin. */
  public String toText() {
    StringBuilder b = new StringBuilder();
    b.append("graph ").append(name).append(" {\n");
    for (Node n : nodes) b.append("  ").append(nodeText(n)).append('\n');
    return b.append("  return %").append(output).append("\n}\n").toString();
  }

  /** One node's line of {@link #toText}, without the indent: {@code %5 = conv(%4) {...} weight=... : 64x56x56  # name}. */
  public static String nodeText(Node n) {
    StringBuilder b = new StringBuilder();
    b.append('%').append(n.id()).append(" = ").append(n.op().spelling());
    b.append('(');
    for (int i = 0; i < n.inputs().size(); i++) b.append(i == 0 ? "" : ", ").append('%').append(n.input(i));
    b.append(')');
    if (!n.attrs().asMap().isEmpty()) b.append(' ').append(n.attrs());
    n.params().forEach((role, p) -> b.append(' ').append(role).append('=').append(p.describe()));
    return b.append(" : ").append(n.shape()).append("  # ").append(n.name()).toString();
  }

  @Override
  public String toString() {
    return toText();
  }
}
