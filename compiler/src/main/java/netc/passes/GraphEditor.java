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
 * graph of 10,000 layers was quadratic in the lookups alone. The order is kept so that no change
 * walks or shifts it either: every node has a slot, the position in the given graph of itself or
 * of the node it was inserted after; a replacement takes its slot, a removal empties it, and
 * insertions after a node are listed at its slot. The order is read off the slots when asked for.
 * Finding a node's place in one list by walking it made assign-layout (one replace per node)
 * quadratic: 2e10 comparisons for a chain of 200,000 relus, minutes before the layer limit refused it.
 */
final class GraphEditor {
  private final Graph original;
  /** The given graph's nodes at their positions, each replaced in place by its rewrites, null once removed. */
  private final Node[] slots;
  /** Per slot, the nodes inserted after the one there (and after each other), in order; absent while none. */
  private final Map<Integer, List<Node>> inserted = new HashMap<>();
  /** Per node id, its slot: its own position, or the one of the node it was inserted after. */
  private final Map<Integer, Integer> slotOf = new HashMap<>();
  private final Map<Integer, Node> byId = new HashMap<>();
  /** For every value, the ids of the nodes that read it (each once, however many of its inputs it is). */
  private final Map<Integer, Set<Integer>> readers = new HashMap<>();
  private List<Node> order; // the nodes in order as last read off the slots; null after a change
  private int output;
  private int nextId;
  private Set<String> names; // every name given out, made on first use by freshName

  GraphEditor(Graph graph) {
    this.original = graph;
    this.slots = graph.nodes().toArray(new Node[0]);
    this.output = graph.outputId();
    this.nextId = graph.nextId();
    for (int p = 0; p < slots.length; p++) {
      slotOf.put(slots[p].id(), p);
      index(slots[p]);
    }
  }

  /**
   * The nodes in order; read only: change them through this editor so the indexes follow. A snapshot,
   * made once per change: walk the list it returns, not a new one per step, while changing the graph.
   */
  List<Node> nodes() {
    if (order == null) {
      List<Node> out = new ArrayList<>(byId.size());
      for (int p = 0; p < slots.length; p++) {
        if (slots[p] != null) out.add(slots[p]);
        List<Node> after = inserted.get(p);
        if (after != null) out.addAll(after);
      }
      order = Collections.unmodifiableList(out);
    }
    return order;
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
    List<Node> nodes = nodes();
    List<Integer> out = new ArrayList<>(nodes.size());
    for (Node n : nodes) out.add(n.id());
    return out;
  }

  /**
   * A number that orders the nodes as they are ordered now: node a precedes node b exactly when its
   * position is smaller. Not an index into {@link #nodes()}, which only a walk of the order would give.
   */
  long position(int id) {
    int p = slot(id);
    if (holds(p, id)) return (long) p << 32;
    return ((long) p << 32) + 1 + indexIn(inserted.get(p), id);
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
    put(slot(n.id()), n.id(), n);
    unindex(byId.get(n.id()));
    index(n);
  }

  /** Puts {@code n} where node {@code oldId} is in the order, removing that node ({@code n} may carry another node's id, removed before). */
  void replaceAt(int oldId, Node n) {
    int p = slot(oldId);
    put(p, oldId, n);
    slotOf.remove(oldId);
    slotOf.put(n.id(), p);
    unindex(byId.get(oldId));
    index(n);
  }

  void remove(int id) {
    int p = slot(id);
    if (holds(p, id)) {
      slots[p] = null;
    } else {
      List<Node> after = inserted.get(p);
      after.remove(indexIn(after, id));
    }
    slotOf.remove(id);
    unindex(byId.get(id));
    order = null;
  }

  /** Puts {@code n} right after node {@code id}, before whatever was inserted after it earlier. */
  void insertAfter(int id, Node n) {
    int p = slot(id);
    List<Node> after = inserted.computeIfAbsent(p, k -> new ArrayList<>());
    after.add(holds(p, id) ? 0 : indexIn(after, id) + 1, n);
    slotOf.put(n.id(), p);
    index(n);
    order = null;
  }

  /** The slot of node {@code id}, which must be in the graph. */
  private int slot(int id) {
    Integer p = slotOf.get(id);
    if (p == null) throw new IllegalArgumentException("no node %" + id);
    return p;
  }

  /** Whether node {@code id} is the one of slot {@code p} itself, not one inserted after it. */
  private boolean holds(int p, int id) {
    return slots[p] != null && slots[p].id() == id;
  }

  /** Puts {@code n} in the place of node {@code id} in slot {@code p}: the slot's own node or one inserted after it. */
  private void put(int p, int id, Node n) {
    if (holds(p, id)) {
      slots[p] = n;
    } else {
      List<Node> after = inserted.get(p);
      after.set(indexIn(after, id), n);
    }
    order = null;
  }

  /** Where node {@code id} is among those inserted after one node: a walk, but of a few reorders at most. */
  private static int indexIn(List<Node> after, int id) {
    for (int i = 0; i < after.size(); i++) if (after.get(i).id() == id) return i;
    throw new IllegalArgumentException("no node %" + id);
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
      for (Node n : nodes()) names.add(n.name());
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
    return original.withNodes(nodes(), output);
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
