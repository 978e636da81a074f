package netc.passes;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Attrs;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;

/**
 * Chooses the physical layout of every value and where the zero border ("halo") of padded convs lives.
 *
 * <p>Feature maps are channel-blocked, NCHW{B}c ([C/B][H][W][B], channels padded to a multiple of B
 * with zeros), so a conv kernel loads B output channels as one vector and broadcasts one input value
 * per step. Convs produce the blocked layout and read either it or, for the network's first conv,
 * the caller's plain NCHW tensor directly (with 3 input channels, blocking the input would do 5x the
 * work). Pools, batch norms, activations and adds keep their input's layout; global average pooling
 * of a blocked map is already flat in channel order, so flatten after it is free. Reorders are
 * inserted only where an op cannot read what it is given: a flatten of a map larger than 1x1, a
 * softmax over channels, an add of two layouts, a non-conv op on the caller's input, the output.
 *
 * <p>A conv with padding p reads its input through a border of p pixels that the tensor's buffer
 * carries (attribute halo=[ph,pw] on the producer, the largest any reader needs), so kernels never
 * test bounds. The caller's input has no border: a reorder copies it into a bordered buffer, filled
 * with pad_value where the input normalization was folded into that conv. A reorder after an input
 * whose normalization was not folded applies it (normalize=true).
 *
 * <p>Always legal: a layout changes where values live, never what they are; reorders are the
 * identity on values. Weights are packed to match by code generation.
 */
final class AssignLayout implements Pass {
  @Override
  public String name() {
    return "assign-layout";
  }

  @Override
  public int optLevel() {
    return 0;
  }

  @Override
  public String description() {
    return "channel-blocked NCHW{B}c activations, conv borders as buffer halos, minimal reorders";
  }

  static String blocked(int block) {
    return "nchw" + block + "c";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    // laid out already (the pipeline run again on its own output): its reorders are in the graph, and a
    // second pass would add more after them (a normalized input normalized twice, a padded input's copy
    // copied again with a zero border instead of the mean)
    if (PassManager.laidOut(graph)) return graph;
    String blocked = blocked(context.block());
    GraphEditor e = new GraphEditor(graph);
    Map<Integer, String> layout = new HashMap<>();
    Node input = graph.input();
    boolean normalize = input.attrs().has("mean") && !input.attrs().has("normalization_folded");
    for (int id : e.ids()) {
      Node n = e.node(id); // the input reorder may have rewired its inputs: look it up again
      String out;
      switch (n.op()) {
        case INPUT -> {
          out = "nchw";
          if (normalize) {
            Node r = reorder(e, n, "nchw", "normalized", layout);
            r = r.withAttrs(r.attrs().with("normalize", true).with("mean", input.attrs().getDoubles("mean")).with("std", input.attrs().getDoubles("std")));
            e.replace(r);
            e.replaceUses(n.id(), r.id());
          }
        }
        case CONV -> {
          if (layout.get(n.input(0)).equals("nchw") && (n.attrs().getInt("groups") > 1 || !isInput(e, n.input(0)))) {
            require(e, n, 0, blocked, layout);
          }
          if (n.inputs().size() > 1) require(e, n, 1, blocked, layout);
          out = blocked;
        }
        case FC -> out = "flat";
        case FLATTEN -> {
          Node src = e.node(n.input(0));
          if (src.shape().rank() == 3 && !layout.get(src.id()).equals("nchw") && src.shape().height() * src.shape().width() > 1) {
            require(e, n, 0, "nchw", layout);
          }
          out = "flat";
        }
        case SOFTMAX, BATCHNORM, RELU, SIGMOID, TANH, LEAKY_RELU, CLIP, SILU, HARDSIGMOID, HARDSWISH, GELU, PAD, MAXPOOL, AVGPOOL, GLOBAL_AVGPOOL, ADD, GATE, CONCAT,
            CHANNELS, CHANNEL_SHUFFLE, GATHER, LAYERNORM -> {
          if (n.shape().rank() == 1) {
            out = "flat";
          } else if (n.op() == Op.SOFTMAX) {
            require(e, n, 0, "nchw", layout);
            out = "nchw";
          } else {
            for (int k = 0; k < n.inputs().size(); k++) require(e, n, k, blocked, layout);
            out = blocked;
          }
        }
        case REORDER -> out = n.attrs().getString("layout", "nchw");
        default -> throw new IllegalStateException("no layout rule for " + n.op());
      }
      layout.put(n.id(), out);
      e.replace(e.node(n.id()).withAttrs(e.node(n.id()).attrs().with("layout", out)));
    }
    assignHalos(e, layout);
    flattenPlainValues(e, layout);
    Node last = e.node(e.output());
    if (!plainInArena(last, layout)) {
      // the caller reads the output as a plain tensor from the arena: not the caller's own input
      // (a network of identities), not blocked, not inside a border that a padded conv reads it with
      Node r = reorder(e, last, "nchw", "output", layout);
      e.replaceUses(last.id(), r.id());
    }
    return e.build();
  }

  /** Whether a value lies in the arena in the plain order of its logical shape: NCHW or flat, no border. */
  private static boolean plainInArena(Node n, Map<Integer, String> layout) {
    boolean plainOrder = n.shape().rank() == 1 || layout.get(n.id()).equals("nchw");
    return n.op() != Op.INPUT && plainOrder && Layouts.halo(n).equals(List.of(0, 0));
  }

  /**
   * A flatten is free: it shares its input's buffer as a new shape, so that buffer must hold the
   * values in plain order with nothing between them. The main loop made blocked maps larger than
   * 1x1 plain; halos, assigned after it, may have given the flatten's input a border (a padded conv
   * on the shortcut reads the same value), and the caller's input is not in the arena at all. Such a
   * flatten reads a plain, border-free copy instead.
   */
  private static void flattenPlainValues(GraphEditor e, Map<Integer, String> layout) {
    for (int id : e.ids()) {
      Node n = e.node(id);
      if (n.op() != Op.FLATTEN) continue;
      Node src = e.node(n.input(0));
      boolean border = !Layouts.halo(src).equals(List.of(0, 0));
      if (src.op() != Op.INPUT && !border) continue;
      Node r = reorder(e, src, "nchw", "plain", layout);
      e.replace(e.node(id).withInputs(List.of(r.id())));
    }
  }

  private static boolean isInput(GraphEditor e, int id) {
    return e.node(id).op() == Op.INPUT || e.node(id).attrs().has("normalize");
  }

  /** Makes input k of n arrive in {@code want}, inserting (or reusing) a reorder after the producer. */
  private static void require(GraphEditor e, Node n, int k, String want, Map<Integer, String> layout) {
    int src = e.node(n.id()).input(k);
    if (layout.get(src).equals(want)) return;
    Node r = null;
    for (Node c : e.consumers(src)) {
      if (c.op() == Op.REORDER && c.attrs().getString("layout", "").equals(want)) r = c;
    }
    if (r == null) r = reorder(e, e.node(src), want, want, layout);
    List<Integer> in = new java.util.ArrayList<>(e.node(n.id()).inputs());
    in.set(k, r.id());
    e.replace(e.node(n.id()).withInputs(in));
  }

  private static Node reorder(GraphEditor e, Node src, String want, String suffix, Map<Integer, String> layout) {
    String name = e.freshName(src.name() + ".to_" + suffix);
    Node r = new Node(e.freshId(), Op.REORDER, name, List.of(src.id()), Attrs.EMPTY.with("layout", want), src.shape(),
        Map.of(), List.of(new Origin(name, Op.REORDER, src.origins().get(0).span())));
    e.insertAfter(src.id(), r);
    layout.put(r.id(), want);
    return r;
  }

  /** The bordered copy of the caller's input filled with {@code padValue} (zeros when null), made once. */
  private static Node paddedInput(GraphEditor e, Node input, List<Double> padValue, Map<Integer, String> layout) {
    for (Node c : e.consumers(input.id())) {
      // the input's only other plain copy is the normalizing one, which is never a conv's padded input
      boolean padded = c.op() == Op.REORDER && c.attrs().getString("layout", "").equals("nchw") && !c.attrs().has("normalize");
      if (padded && java.util.Objects.equals(c.attrs().getDoubles("pad_value"), padValue)) return c;
    }
    Node r = reorder(e, input, "nchw", "padded", layout);
    Attrs a = r.attrs();
    if (padValue != null) a = a.with("pad_value", padValue);
    r = r.withAttrs(a);
    e.replace(r);
    return r;
  }

  /** Gives every tensor a padded conv reads a border as wide as the widest padding that reads it. */
  private static void assignHalos(GraphEditor e, Map<Integer, String> layout) {
    for (int id : e.ids()) {
      Node conv = e.node(id);
      if (conv.op() != Op.CONV) continue;
      // the border is as wide on both sides: the wider of each pair of an asymmetric padding
      List<Integer> begin = conv.attrs().getInts("padding"), end = conv.attrs().paddingEnd();
      List<Integer> pad = List.of(Math.max(begin.get(0), end.get(0)), Math.max(begin.get(1), end.get(1)));
      List<Integer> need = pad;
      if (conv.attrs().getString("algo", "").equals("winograd")) {
        // m x m output tiles read (m + 2)^2 patches: an output size that is not a multiple of m reads
        // rows and columns past the padding, so the border must be that much wider there (with no
        // padding too: a 30x30 output of 4x4 tiles reads two rows and columns past a 32x32 input)
        int m = conv.attrs().getInt("tile");
        need = List.of(pad.get(0) + (m - conv.shape().height() % m) % m, pad.get(1) + (m - conv.shape().width() % m) % m);
      }
      if (need.get(0) == 0 && need.get(1) == 0) continue;
      Node src = e.node(conv.input(0));
      if (src.op() == Op.INPUT) {
        // the caller's tensor has no border: copy it into one, filled with the folded mean if any
        // (one copy for every padded conv that reads the input with the same fill)
        Node r = paddedInput(e, src, conv.attrs().getDoubles("pad_value"), layout);
        List<Integer> in = new java.util.ArrayList<>(conv.inputs());
        in.set(0, r.id()); // only the conv's window reads the border; a residual operand stays where it is
        e.replace(conv.withInputs(in));
        src = e.node(r.id());
      }
      List<Integer> halo = src.attrs().has("halo") ? src.attrs().getInts("halo") : List.of(0, 0);
      List<Integer> wider = List.of(Math.max(halo.get(0), need.get(0)), Math.max(halo.get(1), need.get(1)));
      e.replace(src.withAttrs(src.attrs().with("halo", wider)));
    }
  }
}
