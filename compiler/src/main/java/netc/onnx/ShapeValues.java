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
 * {@code Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])} for {@code x.view(x.size(0), -1)}: from
 * constants and the per-image shapes the importer follows, with the batch size as a symbol.
 */
final class ShapeValues {
  /** A symbolic dim: the batch size, which a model exported with a dynamic batch does not fix. */
  static final long BATCH = Long.MIN_VALUE;
  /** Shape tensors longer than this are no tensor's shape; a chain of Concats could otherwise double one per node. */
  static final int MAX_LENGTH = 64;
  /** Exporters' chains are a handful of nodes deep; the limit keeps a hostile chain off the stack. */
  static final int MAX_DEPTH = 32;
  /** The ops evaluated; they are never emitted as layers. */
  static final Set<String> OPS = Set.of("Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Cast");

  private final OnnxModel model;
  private final Map<String, OnnxNode> producers;
  private final Map<String, int[]> shapes;
  private final Function<String, NetcException> fail;
  private final Map<String, long[]> known = new HashMap<>();

  /**
   * {@code shapes} holds the per-image shape of each tensor the importer has reached (read when
   * evaluated, so it may grow); {@code fail} makes the importer's messages.
   */
  ShapeValues(OnnxModel model, Map<String, OnnxNode> producers, Map<String, int[]> shapes, Function<String, NetcException> fail) {
    this.model = model;
    this.producers = producers;
    this.shapes = shapes;
    this.fail = fail;
  }

  /** The values of the tensor {@code name}; {@link #BATCH} where it is the batch size. */
  long[] value(String name) {
    return value(name, 0);
  }

  private long[] value(String name, int depth) {
    long[] v = known.get(name); // each tensor once: a shared input is not evaluated once per path to it
    if (v != null) return v;
    if (depth > MAX_DEPTH) throw fail.apply("the shape computation for " + OnnxReader.quote(name) + " is nested too deep");
    v = evaluate(name, depth);
    if (v.length > MAX_LENGTH) throw fail.apply("the shape tensor " + OnnxReader.quote(name) + " has " + v.length + " values; no tensor has that many dims");
    known.put(name, v);
    return v;
  }

  private long[] evaluate(String name, int depth) {
    OnnxTensor c = model.initializers().get(name);
    if (c != null) {
      if (c.longs() == null) throw fail.apply("shape tensor " + OnnxReader.quote(name) + " is " + c.typeName() + ", not integers");
      return c.longs();
    }
    OnnxNode n = producers.get(name);
    if (n == null || !OPS.contains(n.opType())) {
      throw fail.apply("the shape " + OnnxReader.quote(name) + " is computed by " + (n == null ? "nothing netc knows" : "node " + n.describe())
          + "; netc evaluates shapes from constants and Shape/Gather/Unsqueeze/Squeeze/Concat/Cast");
    }
    int arity = n.opType().equals("Gather") ? 2 : 1;
    if (n.inputs().size() < arity) throw fail.apply("node " + n.describe() + " has " + n.inputs().size() + " inputs, expected " + arity);
    return switch (n.opType()) {
      case "Shape" -> shape(n);
      case "Gather" -> gather(n, value(n.inputs().get(0), depth + 1), value(n.inputs().get(1), depth + 1));
      case "Concat" -> {
        List<Long> all = new ArrayList<>();
        for (String in : n.inputs()) for (long v : value(in, depth + 1)) all.add(v);
        yield all.stream().mapToLong(Long::longValue).toArray();
      }
      default -> value(n.inputs().get(0), depth + 1); // Unsqueeze, Squeeze, Cast: the same values
    };
  }

  /** Shape(x): the batch, then x's per-image dims. */
  private long[] shape(OnnxNode n) {
    int[] s = shapes.get(n.inputs().get(0));
    if (s == null) throw fail.apply("node " + n.describe() + " takes the shape of a tensor netc has not computed yet");
    long[] v = new long[s.length + 1];
    v[0] = BATCH;
    for (int i = 0; i < s.length; i++) v[i + 1] = s[i];
    return v;
  }

  private long[] gather(OnnxNode n, long[] data, long[] indices) {
    OnnxAttribute axis = n.attribute("axis");
    if (axis != null && axis.i() != 0) throw fail.apply("node " + n.describe() + " with " + axis + ": shape computations gather along axis 0");
    long[] v = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      long k = indices[i] < 0 ? indices[i] + data.length : indices[i];
      if (k < 0 || k >= data.length) throw fail.apply("node " + n.describe() + ": index " + indices[i] + " outside a shape of " + data.length);
      v[i] = data[(int) k];
    }
    return v;
  }

  /** A shape for a message: {@code [batch, -1]}. */
  static String shown(long[] values) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) b.append(i == 0 ? "" : ", ").append(values[i] == BATCH ? "batch" : Long.toString(values[i]));
    return b.append(']').toString();
  }
}
