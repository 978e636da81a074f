package netc.passes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;

/**
 * Static memory planning for one image: the liveness of every intermediate in execution order, then
 * offsets in one arena so that values alive at the same time never overlap.
 *
 * <p>Sharing first: a value reuses an input's buffer when the input dies at this node, has the same
 * size and layout, and the op reads each element only to write the same element: the residual
 * operand of a conv epilogue, the input of an add, batch norm or activation. A flatten shares its
 * input's buffer (same bytes, a new shape). The caller's input is not in the arena.
 *
 * <p>Then offsets, greedy by size (as TensorFlow Lite plans its arena): buffers from largest to
 * smallest each take the lowest offset that overlaps no already placed buffer whose lifetime
 * intersects its own. The lower bound for the order is the largest total of buffers live at one step;
 * greedy placement usually meets it.
 *
 * <p>Concat without a copy: an input of a concat that dies there and lies as the concat's channels do
 * (both blocked, the same border, starting at a whole block of the concat's channels) becomes a
 * slice of the concat's buffer: its producer writes straight into the concat's place. Only the
 * outermost buffers are placed; a slice's offset is its parent's plus its channel blocks, and its
 * parent is live from the first step any of its slices is. The other inputs are copied by the
 * concat's own step (see ModelGenerator).
 */
public final class MemoryPlanner {
  /**
   * Buffer sizes are multiples of this many floats (64 bytes: one vector, one cache line), and arena
   * offsets {@link Layouts#ALIGNED_BASE} plus such multiples.
   */
  static final int ALIGN = 16;

  private MemoryPlanner() {}

  public static MemoryPlan plan(Graph g, int vectorFloats) {
    List<Node> order = g.nodes();
    Map<Integer, Integer> step = new HashMap<>();
    for (int i = 0; i < order.size(); i++) step.put(order.get(i).id(), i);
    Map<Integer, Integer> lastUse = new HashMap<>();
    for (Node n : order) for (int in : n.inputs()) lastUse.merge(in, step.get(n.id()), Math::max);
    lastUse.put(g.outputId(), order.size()); // the output lives past the last step, until it is copied out

    List<long[]> sizes = new ArrayList<>(); // per buffer: floats
    List<List<Integer>> members = new ArrayList<>();
    List<long[]> latest = new ArrayList<>(); // per buffer: the two members needed longest, see otherValueLive
    Map<Integer, Integer> bufferOf = new HashMap<>();
    long withoutPlanning = 0;
    for (Node n : order) {
      if (n.op() == Op.INPUT) continue;
      long floats = Layouts.floats(n, vectorFloats);
      Integer shared = sharedWith(g, n, step, lastUse, bufferOf, latest, vectorFloats);
      if (n.op() != Op.FLATTEN) withoutPlanning += align(floats); // counted as the plan's buffers are: aligned, from the aligned base
      if (shared != null) {
        bufferOf.put(n.id(), shared);
        members.get(shared).add(n.id());
        sizes.get(shared)[0] = Math.max(sizes.get(shared)[0], floats);
      } else {
        bufferOf.put(n.id(), sizes.size());
        sizes.add(new long[] {floats});
        members.add(new ArrayList<>(List.of(n.id())));
        latest.add(new long[] {-1, -1, -1, -1});
      }
      remember(latest.get(bufferOf.get(n.id())), n.id(), lastUse.getOrDefault(n.id(), 0));
    }
    int count = sizes.size();
    int[] first = new int[count], last = new int[count];
    for (int b = 0; b < count; b++) {
      first[b] = Integer.MAX_VALUE;
      for (int v : members.get(b)) {
        first[b] = Math.min(first[b], step.get(v));
        last[b] = Math.max(last[b], lastUse.getOrDefault(v, step.get(v)));
      }
    }
    int[] parent = new int[count];
    long[] delta = new long[count];
    java.util.Arrays.fill(parent, -1);
    for (Node n : order) {
      if (n.op() == Op.CONCAT) slices(g, n, step, lastUse, bufferOf, sizes, last, parent, delta, vectorFloats);
    }
    // a parent is live while any slice of it is (its producers write into it), up the whole chain
    for (int b = 0; b < count; b++) {
      for (int p = parent[b]; p >= 0; p = parent[p]) first[p] = Math.min(first[p], first[b]);
    }
    List<Integer> bySize = new ArrayList<>();
    for (int b = 0; b < count; b++) if (parent[b] < 0) bySize.add(b);
    bySize.sort(Comparator.comparingLong((Integer b) -> -sizes.get(b)[0]).thenComparingInt(b -> first[b]));
    long[] offset = new long[count];
    // a buffer's overlapping ones: the short-lived placed buffers from the steps of its lifetime (each recorded at
    // its few steps: linear for a chain of 200,000 layers), the long-lived ones from a scan of their first/last
    // steps (a concat of thousands of branches, all live until it, recorded at every step would be quadratic in
    // memory, and walking them at every step cubic in time: 3,000 branches took 33 s)
    List<List<Integer>> liveAt = new ArrayList<>();
    for (int t = 0; t <= order.size(); t++) liveAt.add(new ArrayList<>());
    int[] longLived = new int[count], seen = new int[count];
    int longCount = 0;
    java.util.Arrays.fill(seen, -1);
    long arena = 0;
    List<Integer> overlapping = new ArrayList<>();
    for (int b : bySize) {
      long size = align(sizes.get(b)[0]);
      overlapping.clear();
      for (int t = first[b]; t <= last[b]; t++) {
        for (int p : liveAt.get(t)) {
          if (seen[p] != b) {
            seen[p] = b;
            overlapping.add(p);
          }
        }
      }
      for (int i = 0; i < longCount; i++) {
        int p = longLived[i];
        if (first[p] <= last[b] && last[p] >= first[b]) overlapping.add(p);
      }
      overlapping.sort(Comparator.comparingLong((Integer p) -> offset[p]).thenComparingInt(p -> p));
      long at = Layouts.ALIGNED_BASE; // every offset is this plus multiples of 16: 64-byte aligned in a large array
      for (int p : overlapping) {
        if (offset[p] - at >= size) break;
        at = Math.max(at, offset[p] + align(sizes.get(p)[0]));
      }
      offset[b] = at;
      if (last[b] - first[b] < SHORT_LIFETIME) {
        for (int t = first[b]; t <= last[b]; t++) liveAt.get(t).add(b);
      } else {
        longLived[longCount++] = b;
      }
      arena = Math.max(arena, at + size);
    }
    long lowerBound = 0, withoutReuse = 0;
    long[] change = new long[order.size() + 2]; // what goes live at each step, minus what died the step before: one sweep, not steps x buffers
    for (int b = 0; b < count; b++) {
      if (parent[b] >= 0) continue; // inside its parent's space
      change[first[b]] += align(sizes.get(b)[0]);
      change[last[b] + 1] -= align(sizes.get(b)[0]);
    }
    long live = 0;
    for (int t = 0; t <= order.size(); t++) {
      live += change[t];
      lowerBound = Math.max(lowerBound, live);
    }
    List<MemoryPlan.Buffer> buffers = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      long at = 0;
      int root = b;
      for (; parent[root] >= 0; root = parent[root]) at += delta[root];
      at += offset[root];
      buffers.add(new MemoryPlan.Buffer(b, sizes.get(b)[0], first[b], last[b], at, members.get(b), parent[b]));
      if (parent[b] < 0) withoutReuse += align(sizes.get(b)[0]);
    }
    // the comparisons count the arena's aligned start as the plan does: a plan as good as the bound prints equal to it
    long base = Layouts.ALIGNED_BASE;
    return new MemoryPlan(buffers, bufferOf, arena, base + lowerBound, base + withoutReuse, base + withoutPlanning);
  }

  /** Steps a buffer may live and still be recorded at each of them (see {@link #plan}'s placement). */
  static final int SHORT_LIFETIME = 64;

  /**
   * Makes the buffers of concat {@code n}'s inputs slices of its buffer where they can be: the input,
   * and every other value in its buffer (a flatten shares its input's), dies by the concat (so nothing
   * in the slice is needed once the concat's buffer is written over), is used there once, and has the concat's
   * layout and border; its channels start at a whole block, and fill whole blocks unless they are
   * the last (whose padding lanes are the concat's).
   */
  private static void slices(Graph g, Node n, Map<Integer, Integer> step, Map<Integer, Integer> lastUse, Map<Integer, Integer> bufferOf,
      List<long[]> sizes, int[] last, int[] parent, long[] delta, int vectorFloats) {
    int block = Layouts.block(n);
    if (block <= 1 || !bufferOf.containsKey(n.id())) return;
    List<Integer> halo = Layouts.halo(n);
    long plane = (long) block * (n.shape().height() + 2L * halo.get(0)) * (n.shape().width() + 2L * halo.get(1));
    int into = bufferOf.get(n.id()), channel = 0;
    for (int i = 0; i < n.inputs().size(); i++) {
      int id = n.input(i);
      Node v = g.node(id);
      Integer b = bufferOf.get(id);
      boolean lastInput = i == n.inputs().size() - 1;
      boolean fits = b != null && parent[b] < 0 && b != into && id != g.outputId()
          && lastUse.get(id).equals(step.get(n.id())) && last[b] <= step.get(n.id()) && java.util.Collections.frequency(n.inputs(), id) == 1
          && Layouts.block(v) == block && Layouts.halo(v).equals(halo) && channel % block == 0
          && (lastInput || v.shape().channels() % block == 0) && sizes.get(b)[0] == Layouts.floats(v, vectorFloats);
      if (fits) {
        parent[b] = into;
        delta[b] = channel / block * plane;
      }
      channel += v.shape().channels();
    }
  }

  private static long align(long floats) {
    return (floats + ALIGN - 1) / ALIGN * ALIGN;
  }

  /** The buffer n may write over, or null. */
  private static Integer sharedWith(Graph g, Node n, Map<Integer, Integer> step, Map<Integer, Integer> lastUse,
      Map<Integer, Integer> bufferOf, List<long[]> latest, int vectorFloats) {
    int candidate;
    switch (n.op()) {
      case FLATTEN -> {
        return bufferOf.get(n.input(0));
      }
      case CONV -> {
        if (n.inputs().size() < 2) return null;
        candidate = n.input(1);
      }
      case ADD, GATE, BATCHNORM, RELU, SIGMOID, TANH, LEAKY_RELU, CLIP, SILU, HARDSIGMOID, HARDSWISH, GELU -> candidate = n.input(0);
      default -> {
        return null;
      }
    }
    Node src = g.node(candidate);
    Integer buffer = bufferOf.get(candidate);
    boolean dies = lastUse.get(candidate) == (int) step.get(n.id()) && candidate != g.outputId();
    boolean sameGeometry = Layouts.floats(src, vectorFloats) == Layouts.floats(n, vectorFloats)
        && src.attrs().getString("layout", "").equals(n.attrs().getString("layout", ""))
        && Layouts.halo(src).equals(Layouts.halo(n));
    if (n.op() == Op.ADD && n.input(0) == n.input(1)) return null;
    // a conv reads its whole window input before any group's output is final: it may not write over
    // it, even when that value is also its residual (residual { conv(c, 1) } right after a conv)
    if (n.op() == Op.CONV && buffer != null && buffer.equals(bufferOf.get(n.input(0)))) return null;
    return buffer != null && dies && sameGeometry && !otherValueLive(latest.get(buffer), candidate, step.get(n.id())) ? buffer : null;
  }

  /**
   * Keeps, per buffer, the two members needed longest ({id, last use, id, last use}): whether a value
   * other than one is needed after a step is then a look at two entries, not at every member (a
   * chain of in-place activations puts thousands of values in one buffer).
   */
  private static void remember(long[] top, int id, int lastUse) {
    if (lastUse > top[1]) {
      top[2] = top[0];
      top[3] = top[1];
      top[0] = id;
      top[1] = lastUse;
    } else if (lastUse > top[3]) {
      top[2] = id;
      top[3] = lastUse;
    }
  }

  /** True when a value in the buffer other than {@code except} is still needed after {@code now}. */
  private static boolean otherValueLive(long[] top, int except, int now) {
    return (top[0] != except ? top[1] : top[3]) > now;
  }
}
