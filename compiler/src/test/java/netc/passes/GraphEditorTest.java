package netc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import netc.ir.Attrs;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.testing.Specs;
import org.junit.jupiter.api.Test;

/**
 * The editor's order under every kind of change, as a list would have it: it keeps the order in
 * slots with insertions listed per slot (so no change walks or shifts it), which must read off as the
 * same sequence a list edited in place gives.
 */
class GraphEditorTest {
  @Test
  void insertionsRemovalsAndReplacementsKeepTheOrderAListWould() {
    Graph g = Specs.fromText("input(4, 2, 2)\na: relu()\nb: relu()\nc: relu()\n");
    GraphEditor e = new GraphEditor(g);
    int a = id(g, "a"), b = id(g, "b"), c = id(g, "c");
    Node r1 = copy(e, a, "r1"), r2 = copy(e, a, "r2"), r3 = copy(e, a, "r3");
    e.insertAfter(a, r1);
    e.insertAfter(a, r2); // right after a: before r1
    e.insertAfter(r2.id(), r3); // after an inserted node: between it and r1
    assertEquals(List.of("input", "a", "r2", "r3", "r1", "b", "c"), names(e));
    assertTrue(e.position(a) < e.position(r2.id()) && e.position(r2.id()) < e.position(r3.id())
        && e.position(r3.id()) < e.position(r1.id()) && e.position(r1.id()) < e.position(b), "positions order as the list does");
    e.remove(a); // what was inserted after a stays where it is
    e.remove(r3.id());
    assertEquals(List.of("input", "r2", "r1", "b", "c"), names(e));
    e.insertAfter(r1.id(), copy(e, r1.id(), "r4"));
    e.replace(e.node(r2.id()).withAttrs(Attrs.EMPTY.with("layout", "nchw")));
    assertEquals("nchw", e.nodes().get(1).attrs().getString("layout", ""));
    // fuse-residual's move: c carries b's id to r1's place once b is gone
    e.remove(b);
    Node moved = new Node(b, Op.RELU, "moved", List.of(r2.id()), Attrs.EMPTY, e.node(c).shape(), Map.of(), e.node(c).origins());
    e.replaceAt(r1.id(), moved);
    e.remove(c);
    assertEquals(List.of("input", "r2", "moved", "r4"), names(e));
    assertTrue(e.position(r2.id()) < e.position(b) && e.position(b) < e.position(e.nodes().get(3).id()));
    assertEquals(List.of("input", "r2", "moved", "r4"), e.build().nodes().stream().map(Node::name).toList());
    assertEquals(e.ids(), e.build().nodes().stream().map(Node::id).toList());
  }

  private static int id(Graph g, String name) {
    return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow().id();
  }

  /** A reorder of node {@code of} with a fresh id. */
  private static Node copy(GraphEditor e, int of, String name) {
    Node src = e.node(of);
    return new Node(e.freshId(), Op.REORDER, name, List.of(of), Attrs.EMPTY, src.shape(), Map.of(), src.origins());
  }

  private static List<String> names(GraphEditor e) {
    return e.nodes().stream().map(Node::name).toList();
  }
}
