package netc.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import netc.ast.NetcException;

/**
 * Evaluates the small integer tensors exporters compute a Reshape's target with, such as
 * {@code Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])} for {@code x.view(x.size(0), -1)}, and a
 * Pad's pads, which torch computes from its own order with ConstantOfShape, Concat, Reshape, a
 * reversing Slice and Transpose: from constants and the per-image shapes the importer follows, with
 * the batch size as a symbol. Values carry their dims, since Reshape, Slice and Transpose need them.
 */
final class ShapeValues {
  /** A symbolic dim: the batch size, which a model exported with a dynamic batch does not fix. */
  static final long BATCH = Long.MIN_VALUE;
  /** Shape tensors longer than this are no tensor's shape; a chain of Concats could otherwise double one per node. */
  static final int MAX_LENGTH = 64;
  /** Exporters' chains are a handful of nodes deep; the limit keeps a hostile chain off the stack. */
  static final int MAX_DEPTH = 32;
  /** The ops evaluated; they are never emitted as layers. */
  static final Set<String> OPS = Set.of("Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Cast", "ConstantOfShape", "Reshape",
      "Slice", "Transpose", "Add", "Sub", "Mul", "Div");

  /** A small integer tensor: its dims and its values in row-major order. */
  private record Shaped(long[] dims, long[] values) {
    static Shaped flat(long[] values) {
      return new Shaped(new long[] {values.length}, values);
    }
  }

  private final OnnxModel model;
  private final Map<String, OnnxNode> producers;
  private final Map<String, int[]> shapes;
  private final Function<String, NetcException> fail;
  private final Map<String, Shaped> known = new HashMap<>();

  /**
   * {@code shapes} holds the per-image shape of each tensor the importer has reached (read when
   * evaluated, so it may grow), in the spec's layout; {@code otherLayout} tells the tensors ONNX holds
   * in another (channels last, or a gate's flat vector), whose ONNX shape that is not; {@code fail}
   * makes the importer's messages.
   */
  ShapeValues(OnnxModel model, Map<String, OnnxNode> producers, Map<String, int[]> shapes, java.util.function.Predicate<String> otherLayout,
      Function<String, NetcException> fail) {
    this.model = model;
    this.producers = producers;
    this.shapes = shapes;
    this.otherLayout = otherLayout;
    this.fail = fail;
  }

  private final java.util.function.Predicate<String> otherLayout;

  /** The values of the tensor {@code name}; {@link #BATCH} where it is the batch size. */
  long[] value(String name) {
    return shaped(name, 0).values();
  }

  /**
   * The values of {@code name}, or null where they cannot be evaluated (yet): for a look ahead, which
   * leaves the message to where the value is needed. Nothing failed is kept.
   */
  long[] valueIfKnown(String name) {
    try {
      return value(name);
    } catch (NetcException e) {
      return null;
    }
  }

  private long[] value(String name, int depth) {
    return shaped(name, depth).values();
  }

  private Shaped shaped(String name, int depth) {
    Shaped v = known.get(name); // each tensor once: a shared input is not evaluated once per path to it
    if (v != null) return v;
    if (depth > MAX_DEPTH) throw fail.apply("the shape computation for " + OnnxReader.quote(name) + " is nested too deep");
    v = evaluate(name, depth);
    if (v.values().length > MAX_LENGTH) {
      throw fail.apply("the shape tensor " + OnnxReader.quote(name) + " has " + v.values().length + " values; no tensor has that many dims");
    }
    known.put(name, v);
    return v;
  }

  private Shaped evaluate(String name, int depth) {
    OnnxTensor c = model.initializers().get(name);
    if (c != null) {
      if (c.longs() == null) throw fail.apply("shape tensor " + OnnxReader.quote(name) + " is " + c.typeName() + ", not integers");
      return new Shaped(c.dims(), c.longs());
    }
    OnnxNode n = producers.get(name);
    if (n == null || !n.domain().isEmpty() || !OPS.contains(n.opType())) {
      throw fail.apply("the shape " + OnnxReader.quote(name) + " is computed by " + (n == null ? "nothing netc knows" : "node " + n.describe()
          + (n.domain().isEmpty() ? "" : " of domain " + OnnxReader.quote(n.domain()))) + "; netc evaluates shapes from constants and "
          + String.join("/", new java.util.TreeSet<>(OPS)));
    }
    // the inputs of every node of the default domain were counted against the importer's table when it
    // read the graph; a Slice's starts and ends are inputs from opset 10 only
    if (n.opType().equals("Slice")) {
      if (model.opset() < 10) {
        throw fail.apply("node " + n.describe() + " slices a shape with starts and ends as attributes (opset " + model.opset()
            + "); netc evaluates shape slices of opset 10 and later");
      }
      for (int i = 1; i <= 2; i++) {
        if (n.inputs().size() <= i || n.inputs().get(i).isEmpty()) {
          throw fail.apply("node " + n.describe() + " has no " + (i == 1 ? "starts" : "ends") + " input");
        }
      }
    }
    return switch (n.opType()) {
      case "Shape" -> Shaped.flat(shape(n));
      case "Gather" -> {
        Shaped data = shaped(n.inputs().get(0), depth + 1), indices = shaped(n.inputs().get(1), depth + 1);
        if (data.dims().length != 1) {
          throw fail.apply("node " + n.describe() + " gathers from a tensor of rank " + data.dims().length + "; shape computations gather from"
              + " a shape (rank 1)");
        }
        yield new Shaped(indices.dims(), gather(n, data.values(), indices.values()));
      }
      case "Concat" -> {
        List<Long> all = new ArrayList<>();
        for (String in : n.inputs()) for (long v : value(in, depth + 1)) all.add(v);
        yield Shaped.flat(all.stream().mapToLong(Long::longValue).toArray());
      }
      case "ConstantOfShape" -> constantOfShape(n, value(n.inputs().get(0), depth + 1));
      case "Reshape" -> reshape(n, shaped(n.inputs().get(0), depth + 1), value(n.inputs().get(1), depth + 1));
      case "Slice" -> slice(n, shaped(n.inputs().get(0), depth + 1), depth);
      case "Transpose" -> transpose(n, shaped(n.inputs().get(0), depth + 1));
      case "Add", "Sub", "Mul", "Div" -> arithmetic(n, shaped(n.inputs().get(0), depth + 1), shaped(n.inputs().get(1), depth + 1));
      default -> Shaped.flat(value(n.inputs().get(0), depth + 1)); // Unsqueeze, Squeeze, Cast: the same values
    };
  }

  /**
   * Integer Add, Sub, Mul, Div (truncating, as ONNX's integer Div) of two shape values, one of them
   * possibly a single value (torch's {@code chunk} computes its split points so: (C + 1) / 2 * i).
   * A value that depends on the batch size, an overflow or a division by zero is refused.
   */
  private Shaped arithmetic(OnnxNode n, Shaped a, Shaped b) {
    long[] x = a.values(), y = b.values();
    if (x.length == 0 || y.length == 0 || x.length != y.length && x.length != 1 && y.length != 1) {
      throw fail.apply("node " + n.describe() + " combines shape values of lengths " + x.length + " and " + y.length);
    }
    long[] v = new long[Math.max(x.length, y.length)];
    for (int i = 0; i < v.length; i++) {
      long p = x[x.length == 1 ? 0 : i], q = y[y.length == 1 ? 0 : i];
      if (p == BATCH || q == BATCH) throw fail.apply("node " + n.describe() + " computes with the batch size, which netc leaves open");
      try {
        v[i] = switch (n.opType()) {
          case "Add" -> Math.addExact(p, q);
          case "Sub" -> Math.subtractExact(p, q);
          case "Mul" -> Math.multiplyExact(p, q);
          default -> {
            if (q == 0) throw fail.apply("node " + n.describe() + " divides a shape value by zero");
            yield p / q;
          }
        };
      } catch (ArithmeticException e) {
        throw fail.apply("node " + n.describe() + " overflows a shape value");
      }
    }
    return new Shaped(x.length >= y.length ? a.dims() : b.dims(), v);
  }

  private Shaped constantOfShape(OnnxNode n, long[] dims) {
    long count = 1;
    for (long d : dims) {
      if (d < 0 || d > MAX_LENGTH) throw fail.apply("node " + n.describe() + " makes a tensor of shape " + shown(dims) + "; netc evaluates small ones");
      count *= d;
    }
    if (count > MAX_LENGTH) throw fail.apply("node " + n.describe() + " makes " + count + " values; netc evaluates at most " + MAX_LENGTH);
    OnnxAttribute a = attribute(n, "value", OnnxAttribute.TENSOR);
    long fill = 0;
    if (a != null) {
      if (a.t() == null || a.t().longs() == null || a.t().longs().length != 1) throw fail.apply("node " + n.describe() + ": value must be one integer");
      fill = a.t().longs()[0];
    }
    long[] v = new long[(int) count];
    java.util.Arrays.fill(v, fill);
    return new Shaped(dims.clone(), v);
  }

  /** Reshape with ONNX's 0 (keep that dim) and -1 (what is left). */
  private Shaped reshape(OnnxNode n, Shaped x, long[] target) {
    long[] dims = new long[target.length];
    long known = 1;
    int infer = -1;
    for (int i = 0; i < target.length; i++) {
      dims[i] = target[i] == 0 && i < x.dims().length ? x.dims()[i] : target[i];
      if (dims[i] == -1 && infer < 0) infer = i;
      else if (dims[i] <= 0 || dims[i] > MAX_LENGTH) throw fail.apply("node " + n.describe() + " reshapes to " + shown(target));
      else known *= dims[i];
    }
    if (infer >= 0) dims[infer] = x.values().length / known;
    long total = infer >= 0 ? known * dims[infer] : known;
    if (total != x.values().length) throw fail.apply("node " + n.describe() + " reshapes " + x.values().length + " values to " + shown(target));
    return new Shaped(dims, x.values());
  }

  /** Slice: starts, ends, axes and steps (negative steps too), clamped as ONNX says. */
  private Shaped slice(OnnxNode n, Shaped x, int depth) {
    long[] starts = value(n.inputs().get(1), depth + 1), ends = value(n.inputs().get(2), depth + 1);
    int rank = x.dims().length;
    long[] axes = n.inputs().size() > 3 && !n.inputs().get(3).isEmpty() ? value(n.inputs().get(3), depth + 1) : null;
    long[] steps = n.inputs().size() > 4 && !n.inputs().get(4).isEmpty() ? value(n.inputs().get(4), depth + 1) : null;
    long[] from = new long[rank], step = new long[rank], count = x.dims().clone();
    java.util.Arrays.fill(step, 1);
    for (int i = 0; i < starts.length; i++) {
      if (i >= ends.length || axes != null && i >= axes.length || steps != null && i >= steps.length) {
        throw fail.apply("node " + n.describe() + " has " + starts.length + " starts and fewer ends, axes or steps");
      }
      long axis = axes == null ? i : axes[i] < 0 ? axes[i] + rank : axes[i];
      long st = steps == null ? 1 : steps[i];
      if (axis < 0 || axis >= rank || st == 0) throw fail.apply("node " + n.describe() + " slices outside its input");
      long dim = x.dims()[(int) axis];
      long lo = clampIndex(starts[i], dim, st), hi = clampIndex(ends[i], dim, st);
      from[(int) axis] = lo;
      step[(int) axis] = st;
      count[(int) axis] = st > 0 ? Math.max(0, (hi - lo + st - 1) / st) : Math.max(0, (lo - hi - st - 1) / -st);
    }
    return gatherIndices(x, count, (out, i) -> from[i] + out * step[i]);
  }

  private static long clampIndex(long index, long dim, long step) {
    long k = index < 0 ? index + dim : index;
    return step > 0 ? Math.max(0, Math.min(dim, k)) : Math.max(-1, Math.min(dim - 1, k));
  }

  private Shaped transpose(OnnxNode n, Shaped x) {
    int rank = x.dims().length;
    OnnxAttribute a = attribute(n, "perm", OnnxAttribute.INTS);
    long[] perm = new long[rank];
    for (int i = 0; i < rank; i++) perm[i] = a == null || a.ints() == null ? rank - 1 - i : i < a.ints().length ? a.ints()[i] : -1;
    long[] count = new long[rank];
    boolean[] seen = new boolean[rank];
    if (a != null && a.ints() != null && a.ints().length != rank) {
      throw fail.apply("node " + n.describe() + " has a perm of " + a.ints().length + " axes for an input of " + rank);
    }
    for (int i = 0; i < rank; i++) {
      if (perm[i] < 0 || perm[i] >= rank || seen[(int) perm[i]]) {
        throw fail.apply("node " + n.describe() + " has a perm that is not a permutation of its axes");
      }
      seen[(int) perm[i]] = true;
      count[i] = x.dims()[(int) perm[i]];
    }
    // output axis i runs over input axis perm[i]
    return gatherIndices(x, count, null, perm);
  }

  /** Where output coordinate {@code out} along output axis {@code axis} reads along the same input axis. */
  private interface AxisMap {
    long at(long out, int axis);
  }

  private Shaped gatherIndices(Shaped x, long[] count, AxisMap map) {
    return gatherIndices(x, count, map, null);
  }

  /** The output of shape {@code count}, each element read from x at the mapped (and permuted) coordinates. */
  private Shaped gatherIndices(Shaped x, long[] count, AxisMap map, long[] perm) {
    int rank = count.length;
    long total = 1;
    for (long c : count) total *= c;
    long[] stride = new long[rank];
    for (int i = rank - 1, s = 1; i >= 0; s *= (int) x.dims()[i], i--) stride[i] = s;
    long[] v = new long[(int) total];
    long[] idx = new long[rank];
    for (int k = 0; k < total; k++) {
      long off = 0;
      for (int i = 0; i < rank; i++) {
        int axis = perm == null ? i : (int) perm[i];
        off += (map == null ? idx[i] : map.at(idx[i], i)) * stride[axis];
      }
      v[k] = x.values()[(int) off];
      for (int i = rank - 1; i >= 0 && ++idx[i] == count[i]; i--) idx[i] = 0;
    }
    return new Shaped(count, v);
  }

  /** Shape(x): the batch, then x's per-image dims. */
  private long[] shape(OnnxNode n) {
    OnnxAttribute start = attribute(n, "start", OnnxAttribute.INT), end = attribute(n, "end", OnnxAttribute.INT);
    int rank = shapes.containsKey(n.inputs().get(0)) ? shapes.get(n.inputs().get(0)).length + 1 : 0;
    if (start != null && start.i() != 0 || end != null && end.i() < rank) { // start 0 and an end past the rank: the whole shape
      throw fail.apply("node " + n.describe() + " takes part of a shape (start, end: opset 15); netc evaluates whole shapes");
    }
    int[] s = shapes.get(n.inputs().get(0));
    if (s == null) throw fail.apply("node " + n.describe() + " takes the shape of a tensor netc has not computed yet");
    if (otherLayout.test(n.inputs().get(0))) {
      throw fail.apply("node " + n.describe() + " takes the shape of a tensor ONNX holds channels last or as a flat vector, which netc holds"
          + " as [C, H, W]; netc evaluates shapes of image tensors only");
    }
    long[] v = new long[s.length + 1];
    v[0] = BATCH;
    for (int i = 0; i < s.length; i++) v[i + 1] = s[i];
    return v;
  }

  private long[] gather(OnnxNode n, long[] data, long[] indices) {
    OnnxAttribute axis = attribute(n, "axis", OnnxAttribute.INT);
    if (axis != null && axis.i() != 0) throw fail.apply("node " + n.describe() + " with " + axis + ": shape computations gather along axis 0");
    long[] v = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      long k = indices[i] < 0 ? indices[i] + data.length : indices[i];
      if (k < 0 || k >= data.length) throw fail.apply("node " + n.describe() + ": index " + indices[i] + " outside a shape of " + data.length);
      v[i] = data[(int) k];
    }
    return v;
  }

  /** Attribute {@code key} of {@code n} or null, refused when of another type, as the importer's. */
  private OnnxAttribute attribute(OnnxNode n, String key, int type) {
    return OnnxImporter.typed(n, key, type, fail);
  }

  /** A shape for a message: {@code [batch, -1]}. */
  static String shown(long[] values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) b.append(i == 0 ? "" : ", ").append(values[i] == BATCH ? "batch" : Long.toString(values[i]));
    return b.append(']').toString();
  }
}
