package netc.passes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import netc.ir.Graph;
import netc.ir.Node;

/**
 * A mutable working copy of a graph for one pass: replace, remove, insert, and rewire uses.
 *
 * <p>Nodes by id and the readers of every value are indexed, so looking a node up, counting its
 * uses and rewiring them cost the node's own degree, not a walk over the graph: a pass over a
 * graph of 10,000 layers was quadratic in the lookups alone. Only the order (an array) is walked,
 * to find a node's place when the order changes.
 */
final class GraphEditor {
  private final Graph original;
  private final List<Node> nodes;
  private final Map<Integer, Node> byId = new HashMap<>();
  /** For every value, the ids of the nodes that read it (each once, however many of its inputs it is). */
  private final Map<Integer, Set<Integer>> readers = new HashMap<>();
  private int output;
  private int nextId;
  private Set<String> names; // every name given out, made on first use by freshName

  GraphEditor(Graph graph) {
    this.original = graph;
    this.nodes = new ArrayList<>(graph.nodes());
    this.output = graph.outputId();
    this.nextId = graph.nextId();
    for (Node n : nodes) index(n);
  }

  /** The nodes in order; read only: change them through this editor so the indexes follow. */
  List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  Node node(int id) {
    Node n = byId.get(id);
    if (n == null) throw new IllegalArgumentException("no node %" + id);
    return n;
  }

  /** Whether {@code id} is still in the graph (an earlier rewrite of the pass may have removed it). */
  boolean has(int id) {
    return byId.containsKey(id);
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
    if (!byId.containsKey(id)) return -1;
    for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).id() == id) return i;
    return -1;
  }

  /** Uses of a value, counting the graph output as one and a node that reads it twice (add(x, x)) twice. */
  int uses(int id) {
    int uses = id == output ? 1 : 0;
    for (int r : readers.getOrDefault(id, Set.of())) for (int i : byId.get(r).inputs()) if (i == id) uses++;
    return uses;
  }

  /** The nodes that read {@code id}, in the order they first did (deterministic, not necessarily the graph's order). */
  List<Node> consumers(int id) {
    List<Node> out = new ArrayList<>();
    for (int r : readers.getOrDefault(id, Set.of())) out.add(byId.get(r));
    return out;
  }

  /** Replaces the node with {@code n}'s id by {@code n}, in place. */
  void replace(Node n) {
    nodes.set(indexOf(n.id()), n);
    unindex(byId.get(n.id()));
    index(n);
  }

  /** Puts {@code n} where node {@code oldId} is in the order, removing that node ({@code n} may carry another node's id, removed before). */
  void replaceAt(int oldId, Node n) {
    nodes.set(indexOf(oldId), n);
    unindex(byId.get(oldId));
    index(n);
  }

  void remove(int id) {
    nodes.remove(indexOf(id));
    unindex(byId.get(id));
  }

  void insertAfter(int id, Node n) {
    nodes.add(indexOf(id) + 1, n);
    index(n);
  }

  int freshId() {
    return nextId++;
  }

  /**
   * {@code base}, or {@code base_2}, {@code base_3}... if a node already has that name: a name a pass
   * makes up (input.to_padded) may be one the spec chose for a layer of its own, and names are unique.
   */
  String freshName(String base) {
    if (names == null) {
      names = new HashSet<>();
      for (Node n : nodes) names.add(n.name());
    }
    String name = base;
    for (int i = 2; names.contains(name); i++) name = base + "_" + i;
    names.add(name);
    return name;
  }

  /**
   * Every use of {@code from} (and the output, if it is {@code from}) now reads {@code to}; {@code to}
   * itself keeps reading {@code from}, so a node inserted after {@code from} can take over its uses.
   */
  void replaceUses(int from, int to) {
    for (int r : List.copyOf(readers.getOrDefault(from, Set.of()))) {
      if (r == to) continue;
      Node n = byId.get(r);
      List<Integer> in = new ArrayList<>(n.inputs());
      in.replaceAll(x -> x == from ? to : x);
      replace(n.withInputs(in));
    }
    if (output == from) output = to;
  }

  int output() {
    return output;
  }

  Graph build() {
    return original.withNodes(nodes, output);
  }

  private void index(Node n) {
    byId.put(n.id(), n);
    for (int i : n.inputs()) readers.computeIfAbsent(i, k -> new LinkedHashSet<>()).add(n.id());
    if (names != null) names.add(n.name());
  }

  private void unindex(Node n) {
    if (n == null) return;
    byId.remove(n.id());
    for (int i : n.inputs()) {
      Set<Integer> r = readers.get(i);
      if (r != null) r.remove(n.id());
    }
  }
}
