package netc.passes;

import java.util.ArrayList;
import java.util.List;
import netc.ir.Graph;
import netc.ir.Node;

/** A mutable working copy of a graph for one pass: replace, remove, insert, and rewire uses. */
final class GraphEditor {
  private final Graph original;
  private final List<Node> nodes;
  private int output;
  private int nextId;

  GraphEditor(Graph graph) {
    this.original = graph;
    this.nodes = new ArrayList<>(graph.nodes());
    this.output = graph.outputId();
    this.nextId = graph.nextId();
  }

  List<Node> nodes() {
    return nodes;
  }

  Node node(int id) {
    for (Node n : nodes) if (n.id() == id) return n;
    throw new IllegalArgumentException("no node %" + id);
  }

  /** Whether {@code id} is still in the graph (an earlier rewrite of the pass may have removed it). */
  boolean has(int id) {
    return indexOf(id) >= 0;
  }

  /**
   * The ids of the nodes now, in order: a pass walks these and looks each node up again as it comes
   * to it, because an earlier rewrite may have rewired its inputs (a Node is an immutable snapshot)
   * or removed it. Walking a copy of the nodes instead reads stale inputs: two activations in a row
   * fused the first and then looked for it again as the second one's input ("no node %N").
   */
  List<Integer> ids() {
    List<Integer> out = new ArrayList<>(nodes.size());
    for (Node n : nodes) out.add(n.id());
    return out;
  }

  int indexOf(int id) {
    for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).id() == id) return i;
    return -1;
  }

  /** Uses of a value, counting the graph output as one. */
  int uses(int id) {
    int uses = id == output ? 1 : 0;
    for (Node n : nodes) for (int i : n.inputs()) if (i == id) uses++;
    return uses;
  }

  List<Node> consumers(int id) {
    List<Node> out = new ArrayList<>();
    for (Node n : nodes) if (n.inputs().contains(id)) out.add(n);
    return out;
  }

  void replace(Node n) {
    nodes.set(indexOf(n.id()), n);
  }

  void remove(int id) {
    nodes.remove(indexOf(id));
  }

  void insertAfter(int id, Node n) {
    nodes.add(indexOf(id) + 1, n);
  }

  int freshId() {
    return nextId++;
  }

  /**
   * {@code base}, or {@code base_2}, {@code base_3}... if a node already has that name: a name a pass
   * makes up (input.to_padded) may be one the spec chose for a layer of its own, and names are unique.
   */
  String freshName(String base) {
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (Node n : nodes) taken.add(n.name());
    String name = base;
    for (int i = 2; taken.contains(name); i++) name = base + "_" + i;
    return name;
  }

  /**
   * Every use of {@code from} (and the output, if it is {@code from}) now reads {@code to}; {@code to}
   * itself keeps reading {@code from}, so a node inserted after {@code from} can take over its uses.
   */
  void replaceUses(int from, int to) {
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n.id() == to || !n.inputs().contains(from)) continue;
      List<Integer> in = new ArrayList<>(n.inputs());
      in.replaceAll(x -> x == from ? to : x);
      nodes.set(i, n.withInputs(in));
    }
    if (output == from) output = to;
  }

  /** Like {@link #replaceUses} but leaves {@code to} itself reading {@code from}. */
  void replaceUsesExcept(int from, int to) {
    replaceUses(from, to);
  }

  int output() {
    return output;
  }

  Graph build() {
    return original.withNodes(nodes, output);
  }
}
