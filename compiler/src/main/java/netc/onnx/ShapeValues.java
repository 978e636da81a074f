package netc.onnx;

import java.util.ArrayList;
import java.util.Arrays;
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
 * the batch size as a symbol. Values carry their dims, since Reshape, Slice, Transpose and Concat
 * along an axis need them, and their element type: a Cast to a narrower integer wraps as ONNX's
 * does, a float type's Div does not truncate. What netc cannot evaluate exactly is refused by name,
 * never guessed.
 */
final class ShapeValues {
  /** A symbolic dim: the batch size, which a model exported with a dynamic batch does not fix. */
  static final long BATCH = Long.MIN_VALUE;
  /**
   * What a literal INT64_MIN (the value {@link #BATCH} stands for) reads as: a Slice bound meaning "past the first
   * element", as ONNX recommends for stepping back, which clamps exactly as INT64_MIN + 1 does. No other use is
   * exact: arithmetic on it and casts of it to a narrower type are refused.
   */
  static final long INT64_MIN_BOUND = Long.MIN_VALUE + 1;
  /** Shape tensors longer than this are no tensor's shape; a chain of Concats could otherwise double one per node. */
  static final int MAX_LENGTH = 64;
  /** Exporters' chains are a handful of nodes deep; the limit keeps a hostile chain off the stack. */
  static final int MAX_DEPTH = 32;
  /** The ops evaluated; they are never emitted as layers. */
  static final Set<String> OPS = Set.of("Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Cast", "ConstantOfShape", "Reshape",
      "Slice", "Transpose", "Add", "Sub", "Mul", "Div");

  /**
   * A small tensor of integer values: its dims, its values in row-major order, and its ONNX element
   * type (OnnxReader's constants; a float type only where a Cast made one, its values whole numbers).
   */
  private record Shaped(long[] dims, long[] values, int type) {
    static Shaped flat(long[] values) {
      return new Shaped(new long[] {values.length}, values, OnnxReader.INT64);
    }

    int rank() {
      return dims.length;
    }
  }

  /** The integer element types, as ONNX's Cast writes them (a bool is 0 or 1). */
  private static final Set<Integer> INTEGERS = Set.of(OnnxReader.INT64, OnnxReader.UINT64, OnnxReader.INT32, OnnxReader.UINT32,
      OnnxReader.INT16, OnnxReader.UINT16, OnnxReader.INT8, OnnxReader.UINT8, OnnxReader.BOOL);

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

  /**
   * The values of the tensor {@code name}; {@link #BATCH} where it is the batch size. Such a tensor
   * (a shape, pads, axes, sizes, starts or ends) is a list of integers: another rank or a float type is
   * refused, not read as its values in a row.
   */
  long[] value(String name) {
    return list(name, shaped(name, 0));
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
    return list(name, shaped(name, depth));
  }

  private long[] list(String name, Shaped v) {
    if (v.rank() > 1) {
      throw fail.apply("the shape tensor " + OnnxReader.quote(name) + " has shape " + shown(v.dims()) + "; shapes, pads, axes and sizes are"
          + " lists (rank 1)");
    }
    if (!INTEGERS.contains(v.type())) {
      throw fail.apply("the shape tensor " + OnnxReader.quote(name) + " is " + OnnxReader.typeName(v.type()) + "; shapes, pads, axes and"
          + " sizes are integers");
    }
    return v.values();
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
      long[] values = c.longs().clone();
      for (int i = 0; i < values.length; i++) if (values[i] == BATCH) values[i] = INT64_MIN_BOUND;
      return new Shaped(c.dims(), values, c.dataType());
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
        yield new Shaped(indices.dims(), gather(n, data.values(), indices.values()), data.type());
      }
      case "Concat" -> concat(n, depth);
      case "ConstantOfShape" -> constantOfShape(n, value(n.inputs().get(0), depth + 1));
      case "Reshape" -> reshape(n, shaped(n.inputs().get(0), depth + 1), value(n.inputs().get(1), depth + 1));
      case "Slice" -> slice(n, shaped(n.inputs().get(0), depth + 1), depth);
      case "Transpose" -> transpose(n, shaped(n.inputs().get(0), depth + 1));
      case "Add", "Sub", "Mul", "Div" -> arithmetic(n, shaped(n.inputs().get(0), depth + 1), shaped(n.inputs().get(1), depth + 1));
      case "Cast" -> cast(n, shaped(n.inputs().get(0), depth + 1));
      case "Unsqueeze" -> unsqueeze(n, shaped(n.inputs().get(0), depth + 1), depth);
      default -> squeeze(n, shaped(n.inputs().get(0), depth + 1), depth);
    };
  }

  /**
   * Concat along its axis (rank-1 values may leave it out: they have one). Inputs of another rank,
   * other dims off the axis or another element type are refused, as ONNX's type and shape checks do.
   */
  private Shaped concat(OnnxNode n, int depth) {
    List<Shaped> parts = new ArrayList<>();
    long total = 0;
    for (String in : n.inputs()) {
      Shaped p = shaped(in, depth + 1);
      parts.add(p);
      total += p.values().length;
    }
    // refused before the values are copied: a Concat of many inputs could otherwise fill the memory first
    if (total > MAX_LENGTH) {
      throw fail.apply("the shape tensor " + OnnxReader.quote(n.outputs().get(0)) + " has " + total + " values; no tensor has that many dims");
    }
    Shaped first = parts.get(0);
    int rank = first.rank();
    if (rank == 0) throw fail.apply("node " + n.describe() + " concatenates scalars; ONNX concatenates tensors of rank 1 or more");
    OnnxAttribute a = attribute(n, "axis", OnnxAttribute.INT);
    if (a == null && rank != 1) throw fail.apply("node " + n.describe() + " has no axis to concatenate tensors of rank " + rank + " along");
    long axis = a == null ? 0 : a.i() < 0 ? a.i() + rank : a.i();
    if (axis < 0 || axis >= rank) throw fail.apply("node " + n.describe() + " concatenates along axis " + a.i() + " tensors of rank " + rank);
    long[] dims = first.dims().clone();
    dims[(int) axis] = 0;
    for (Shaped p : parts) {
      boolean fits = p.rank() == rank;
      for (int i = 0; fits && i < rank; i++) fits = i == axis || p.dims()[i] == first.dims()[i];
      if (!fits) {
        throw fail.apply("node " + n.describe() + " concatenates shape values of shapes " + shown(first.dims()) + " and " + shown(p.dims())
            + " along axis " + axis);
      }
      if (p.type() != first.type()) {
        throw fail.apply("node " + n.describe() + " concatenates shape values of types " + OnnxReader.typeName(first.type()) + " and "
            + OnnxReader.typeName(p.type()));
      }
      dims[(int) axis] += p.dims()[(int) axis];
    }
    long outer = 1;
    for (int i = 0; i < axis; i++) outer *= dims[i];
    long[] v = new long[(int) total];
    int at = 0;
    for (long o = 0; total > 0 && o < outer; o++) {
      for (Shaped p : parts) { // each input's slab of this outer index, in input order
        int slab = (int) (p.values().length / outer);
        System.arraycopy(p.values(), (int) (o * slab), v, at, slab);
        at += slab;
      }
    }
    return new Shaped(dims, v, first.type());
  }

  /**
   * Cast: the same values in the type {@code to}, narrower integers wrapping as ONNX's Cast does; a
   * float type holds them while they are whole numbers it holds exactly. Other types are refused.
   */
  private Shaped cast(OnnxNode n, Shaped x) {
    OnnxAttribute to = attribute(n, "to", OnnxAttribute.INT);
    int type = to == null || to.i() < 0 || to.i() > Integer.MAX_VALUE ? -1 : (int) to.i();
    boolean integer = INTEGERS.contains(type);
    if (!integer && type != OnnxReader.FLOAT && type != OnnxReader.DOUBLE) {
      throw fail.apply("node " + n.describe() + " casts a shape value to " + (to == null ? "no type" : OnnxReader.typeName(type))
          + "; netc evaluates shape values as integers, float32 or float64");
    }
    boolean wide = type == OnnxReader.INT64 || type == OnnxReader.UINT64 || type == OnnxReader.INT32 || type == OnnxReader.UINT32 || !integer;
    long[] v = new long[x.values().length];
    for (int i = 0; i < v.length; i++) {
      long k = x.values()[i];
      if (k == INT64_MIN_BOUND && type != OnnxReader.INT64) {
        throw fail.apply("node " + n.describe() + " casts " + k + " or INT64_MIN, a Slice bound, to " + OnnxReader.typeName(type)
            + "; netc reads such a value only as a Slice's start or end");
      }
      if (k == BATCH) {
        if (!wide) throw fail.apply("node " + n.describe() + " casts the batch size to " + OnnxReader.typeName(type) + ", which need not hold it");
        v[i] = BATCH;
        continue;
      }
      if (type == OnnxReader.UINT64 && k < 0) {
        // 2^64 + k in ONNX, which a long cannot hold: Div then divided it as -1 (0 where ONNX gives 2^63 - 1)
        throw fail.apply("node " + n.describe() + " casts " + k + " to UINT64, " + Long.toUnsignedString(k) + ", past what netc reads (2^63 - 1)");
      }
      if (!integer && !holds(type, k)) {
        throw fail.apply("node " + n.describe() + " casts " + k + " to " + OnnxReader.typeName(type) + ", which does not hold it exactly");
      }
      v[i] = switch (type) {
        case OnnxReader.INT32 -> (int) k;
        case OnnxReader.UINT32 -> k & 0xffffffffL;
        case OnnxReader.INT16 -> (short) k;
        case OnnxReader.UINT16 -> k & 0xffff;
        case OnnxReader.INT8 -> (byte) k;
        case OnnxReader.UINT8 -> k & 0xff;
        case OnnxReader.BOOL -> k != 0 ? 1 : 0;
        default -> k;
      };
    }
    return new Shaped(x.dims(), v, type);
  }

  /** Whether {@code v} is a value of the element type {@code type}: an integer in its range, a whole number a float holds exactly. */
  private static boolean holds(int type, long v) {
    return switch (type) {
      case OnnxReader.INT32 -> v == (int) v;
      case OnnxReader.UINT32 -> v >= 0 && v <= 0xffffffffL;
      case OnnxReader.INT16 -> v == (short) v;
      case OnnxReader.UINT16 -> v >= 0 && v <= 0xffff;
      case OnnxReader.INT8 -> v == (byte) v;
      case OnnxReader.UINT8 -> v >= 0 && v <= 0xff;
      case OnnxReader.BOOL -> v == 0 || v == 1;
      case OnnxReader.FLOAT -> Math.abs(v) <= 1L << 24;
      case OnnxReader.DOUBLE -> Math.abs(v) <= 1L << 53;
      case OnnxReader.UINT64 -> v >= 0; // held as int64, to 2^63 - 1: a Sub below 0 wraps in ONNX
      default -> true; // int64: exact arithmetic refuses an overflow
    };
  }

  /** Unsqueeze: axes of 1 inserted where the axes say (counted in the output's rank), the values as they are. */
  private Shaped unsqueeze(OnnxNode n, Shaped x, int depth) {
    long[] axes = axes(n, depth);
    if (axes == null) throw fail.apply("node " + n.describe() + " has no axes");
    int rank = x.rank() + axes.length;
    boolean[] added = new boolean[rank];
    for (long a : axes) {
      long k = a < 0 ? a + rank : a;
      if (k < 0 || k >= rank || added[(int) k]) {
        throw fail.apply("node " + n.describe() + " inserts axes " + Arrays.toString(axes) + " into a tensor of shape " + shown(x.dims()));
      }
      added[(int) k] = true;
    }
    long[] dims = new long[rank];
    for (int i = 0, j = 0; i < rank; i++) dims[i] = added[i] ? 1 : x.dims()[j++];
    return new Shaped(dims, x.values(), x.type());
  }

  /** Squeeze: the axes named (or, without axes, every axis of 1) removed; an axis that is not 1 is refused. */
  private Shaped squeeze(OnnxNode n, Shaped x, int depth) {
    long[] axes = axes(n, depth);
    int rank = x.rank();
    boolean[] removed = new boolean[rank];
    for (int i = 0; axes == null && i < rank; i++) removed[i] = x.dims()[i] == 1;
    for (int i = 0; axes != null && i < axes.length; i++) {
      long k = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (k < 0 || k >= rank || x.dims()[(int) k] != 1) {
        throw fail.apply("node " + n.describe() + " squeezes axes " + Arrays.toString(axes) + " of a tensor of shape " + shown(x.dims())
            + "; each must be an axis of 1");
      }
      removed[(int) k] = true;
    }
    long[] dims = new long[rank];
    int kept = 0;
    for (int i = 0; i < rank; i++) if (!removed[i]) dims[kept++] = x.dims()[i];
    return new Shaped(Arrays.copyOf(dims, kept), x.values(), x.type());
  }

  /**
   * Unsqueeze's or Squeeze's axes, or null when there are none: an attribute before opset 13, an input
   * from it; the other opset's form is refused, not read as no axes. For the importer's Unsqueeze of a
   * gate's vector too.
   */
  long[] axes(OnnxNode n) {
    return axes(n, 0);
  }

  private long[] axes(OnnxNode n, int depth) {
    boolean input = n.inputs().size() > 1 && !n.inputs().get(1).isEmpty();
    OnnxAttribute attribute = attribute(n, "axes", OnnxAttribute.INTS);
    if (model.opset() >= 13 && attribute != null) {
      throw fail.apply("node " + n.describe() + ": " + n.opType() + "'s axes are an input from opset 13, not an attribute (the model's opset is "
          + model.opset() + ")");
    }
    if (model.opset() < 13 && input) {
      throw fail.apply("node " + n.describe() + ": " + n.opType() + "'s axes are an attribute before opset 13, not an input (the model's opset is "
          + model.opset() + ")");
    }
    return input ? value(n.inputs().get(1), depth + 1) : attribute == null ? null : attribute.ints();
  }

  /**
   * Add, Sub, Mul, Div (truncating, as ONNX's integer Div) of two shape values of one element type,
   * broadcast as ONNX does (torch's {@code chunk} computes its split points so: (C + 1) / 2 * i). A
   * value that depends on the batch size, one past the type's range, a float Div that leaves a
   * fraction, or a division by zero is refused.
   */
  private Shaped arithmetic(OnnxNode n, Shaped a, Shaped b) {
    long[] x = a.values(), y = b.values();
    if (x.length == 0 || y.length == 0) {
      throw fail.apply("node " + n.describe() + " combines shape values of lengths " + x.length + " and " + y.length);
    }
    if (a.type() != b.type()) {
      throw fail.apply("node " + n.describe() + " combines shape values of types " + OnnxReader.typeName(a.type()) + " and "
          + OnnxReader.typeName(b.type()));
    }
    int rank = Math.max(a.rank(), b.rank());
    long[] dims = new long[rank];
    for (int i = 0; i < rank; i++) { // aligned at the last axis; an axis of 1 (or none) repeats along the other's
      long p = i < rank - a.rank() ? 1 : a.dims()[i - (rank - a.rank())], q = i < rank - b.rank() ? 1 : b.dims()[i - (rank - b.rank())];
      if (p != q && p != 1 && q != 1) {
        throw fail.apply("node " + n.describe() + " combines shape values of shapes " + shown(a.dims()) + " and " + shown(b.dims())
            + ", which do not broadcast");
      }
      dims[i] = p == 1 ? q : p;
    }
    int[] from = broadcastOffsets(a.dims(), dims), with = broadcastOffsets(b.dims(), dims);
    boolean floating = !INTEGERS.contains(a.type());
    long[] v = new long[from.length];
    for (int i = 0; i < v.length; i++) {
      long p = x[from[i]], q = y[with[i]];
      if (p == BATCH || q == BATCH) throw fail.apply("node " + n.describe() + " computes with the batch size, which netc leaves open");
      if (p == INT64_MIN_BOUND || q == INT64_MIN_BOUND) {
        throw fail.apply("node " + n.describe() + " computes with " + INT64_MIN_BOUND + " or INT64_MIN, a Slice bound; netc reads such a value "
            + "only as a Slice's start or end");
      }
      try {
        v[i] = switch (n.opType()) {
          case "Add" -> Math.addExact(p, q);
          case "Sub" -> Math.subtractExact(p, q);
          case "Mul" -> Math.multiplyExact(p, q);
          default -> {
            if (q == 0) throw fail.apply("node " + n.describe() + " divides a shape value by zero");
            if (floating && p % q != 0) {
              throw fail.apply("node " + n.describe() + " divides " + p + " by " + q + " in " + OnnxReader.typeName(a.type())
                  + ", a fraction; netc evaluates whole shape values");
            }
            yield p / q;
          }
        };
      } catch (ArithmeticException e) {
        throw fail.apply("node " + n.describe() + " overflows a shape value");
      }
      if (v[i] == BATCH) throw fail.apply("node " + n.describe() + " computes INT64_MIN, which netc reads only as a Slice's start or end");
      if (!holds(a.type(), v[i])) throw fail.apply("node " + n.describe() + " overflows a shape value of " + OnnxReader.typeName(a.type()));
    }
    return new Shaped(dims, v, a.type());
  }

  /** For each element of a result of {@code dims}, the offset of the element it reads in a tensor of {@code from} broadcast to it. */
  private static int[] broadcastOffsets(long[] from, long[] dims) {
    int rank = dims.length, shift = rank - from.length;
    long[] stride = new long[rank]; // 0 along an axis of 1 and the axes in front of the tensor's own
    for (int i = rank - 1, s = 1; i >= shift; s *= (int) from[i - shift], i--) stride[i] = from[i - shift] == 1 ? 0 : s;
    long total = 1;
    for (long d : dims) total *= d;
    int[] out = new int[(int) total];
    long[] idx = new long[rank];
    for (int k = 0; k < out.length; k++) {
      long off = 0;
      for (int i = 0; i < rank; i++) off += idx[i] * stride[i];
      out[k] = (int) off;
      for (int i = rank - 1; i >= 0 && ++idx[i] == dims[i]; i--) idx[i] = 0;
    }
    return out;
  }

  private Shaped constantOfShape(OnnxNode n, long[] dims) {
    for (long d : dims) {
      if (d < 0 || d > MAX_LENGTH) throw fail.apply("node " + n.describe() + " makes a tensor of shape " + shown(dims) + "; netc evaluates small ones");
    }
    long count = elements(dims);
    if (count > MAX_LENGTH) {
      throw fail.apply("node " + n.describe() + " makes a tensor of shape " + shown(dims) + ", more than " + MAX_LENGTH + " values; netc evaluates small ones");
    }
    OnnxAttribute a = attribute(n, "value", OnnxAttribute.TENSOR);
    long fill = 0;
    int type = OnnxReader.FLOAT; // ONNX's default value: a float32 zero
    if (a != null) {
      if (a.t() == null || a.t().longs() == null || a.t().longs().length != 1) throw fail.apply("node " + n.describe() + ": value must be one integer");
      fill = a.t().longs()[0] == BATCH ? INT64_MIN_BOUND : a.t().longs()[0];
      type = a.t().dataType();
    }
    long[] v = new long[(int) count];
    java.util.Arrays.fill(v, fill);
    return new Shaped(dims.clone(), v, type);
  }

  /**
   * Reshape with ONNX's 0 (keep that dim) and -1 (what is left). The product of the dims given stops
   * just past the most values a shape tensor holds (x's are fewer): a dozen dims of 64 would wrap it
   * to 0, a division by zero below.
   */
  private Shaped reshape(OnnxNode n, Shaped x, long[] target) {
    refuseZeroSizeReshape(n, target, attribute(n, "allowzero", OnnxAttribute.INT), fail);
    long[] dims = new long[target.length];
    long known = 1;
    int infer = -1;
    for (int i = 0; i < target.length; i++) {
      dims[i] = target[i] == 0 && i < x.dims().length ? x.dims()[i] : target[i];
      if (dims[i] == -1 && infer < 0) infer = i;
      else if (dims[i] <= 0 || dims[i] > MAX_LENGTH) throw fail.apply("node " + n.describe() + " reshapes to " + shown(target));
      else known = Math.min(known * dims[i], MAX_LENGTH + 1); // at most 65 times 64: no wrapping
    }
    if (infer >= 0) dims[infer] = x.values().length / known;
    long total = infer >= 0 ? known * dims[infer] : known;
    if (total != x.values().length) throw fail.apply("node " + n.describe() + " reshapes " + x.values().length + " values to " + shown(target));
    return new Shaped(dims, x.values(), x.type());
  }

  /**
   * Reshape's {@code allowzero = 1} (opset 14): a 0 in the target is then a dimension of size 0, not a
   * copy of the input's; netc has no empty tensors, so such a target is refused rather than read the
   * older way (a Reshape with allowzero and no 0 is an ordinary one).
   */
  static void refuseZeroSizeReshape(OnnxNode n, long[] target, OnnxAttribute allowZero, Function<String, NetcException> fail) {
    if (allowZero == null || allowZero.i() == 0) return;
    for (long d : target) {
      if (d == 0) throw fail.apply("node " + n.describe() + " reshapes to " + shown(target) + " with allowzero = 1: a dimension of size 0 (netc has no empty tensors)");
    }
  }

  /** Slice: starts, ends, axes and steps (negative steps too), clamped as ONNX says. */
  private Shaped slice(OnnxNode n, Shaped x, int depth) {
    long[] starts = value(n.inputs().get(1), depth + 1), ends = value(n.inputs().get(2), depth + 1);
    int rank = x.dims().length;
    long[] axes = n.inputs().size() > 3 && !n.inputs().get(3).isEmpty() ? value(n.inputs().get(3), depth + 1) : null;
    long[] steps = n.inputs().size() > 4 && !n.inputs().get(4).isEmpty() ? value(n.inputs().get(4), depth + 1) : null;
    for (long[] bounds : new long[][] {starts, ends, axes == null ? new long[0] : axes, steps == null ? new long[0] : steps}) {
      for (long b : bounds) if (b == BATCH) throw fail.apply("node " + n.describe() + " slices a shape value by the batch size, which netc leaves open");
    }
    long[] from = new long[rank], step = new long[rank], count = x.dims().clone();
    java.util.Arrays.fill(step, 1);
    if (ends.length != starts.length || axes != null && axes.length != starts.length || steps != null && steps.length != starts.length) {
      // ONNX Runtime refuses them; the extra ends, axes or steps were ignored
      throw fail.apply("node " + n.describe() + " has " + starts.length + " starts, " + ends.length + " ends"
          + (axes == null ? "" : ", " + axes.length + " axes") + (steps == null ? "" : ", " + steps.length + " steps") + "; ONNX gives as many of each");
    }
    boolean[] sliced = new boolean[rank];
    for (int i = 0; i < starts.length; i++) {
      long axis = axes == null ? i : axes[i] < 0 ? axes[i] + rank : axes[i];
      long st = steps == null ? 1 : steps[i];
      if (axis < 0 || axis >= rank || st == 0) throw fail.apply("node " + n.describe() + " slices outside its input");
      // an axis named twice: the last pair won, where ONNX Runtime refuses the node
      if (sliced[(int) axis]) throw fail.apply("node " + n.describe() + " slices axis " + axis + " twice");
      sliced[(int) axis] = true;
      long dim = x.dims()[(int) axis];
      long lo = clampIndex(starts[i], dim, st, false), hi = clampIndex(ends[i], dim, st, true);
      from[(int) axis] = lo;
      step[(int) axis] = st;
      // the elements from lo towards hi, every |st|-th: both within [-1, dim], and a step past the span (up to
      // INT64_MIN, read as INT64_MIN + 1) takes one element, so nothing here wraps; an empty axis has none whichever way it is stepped
      long span = st > 0 ? hi - lo : lo - hi, stride = Math.abs(st);
      count[(int) axis] = dim == 0 || span <= 0 ? 0 : (span - 1) / stride + 1;
    }
    return gatherIndices(n, x, count, (out, i) -> from[i] + out * step[i]);
  }

  /**
   * A Slice's start or {@code end} on an axis of {@code dim}, a negative one counted from the end,
   * clamped as ONNX (Slice-10 to -13) says: stepping forward both to [0, dim]; stepping back a start
   * to [0, dim - 1] and an end to [-1, dim - 1] (-1: through the first element).
   */
  private static long clampIndex(long index, long dim, long step, boolean end) {
    long k = index < 0 ? index + dim : index;
    return step > 0 ? Math.max(0, Math.min(dim, k)) : Math.max(end ? -1 : 0, Math.min(dim - 1, k));
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
    return gatherIndices(n, x, count, null, perm);
  }

  /** Where output coordinate {@code out} along output axis {@code axis} reads along the same input axis. */
  private interface AxisMap {
    long at(long out, int axis);
  }

  private Shaped gatherIndices(OnnxNode n, Shaped x, long[] count, AxisMap map) {
    return gatherIndices(n, x, count, map, null);
  }

  /**
   * The number of elements of a tensor of {@code dims}: 0 when a dim is 0, else their product, or
   * {@link Long#MAX_VALUE} where it would pass a long's range (a product of dims in a file wraps,
   * 64^11 to 0, and must not be read as a small count).
   */
  private static long elements(long[] dims) {
    for (long d : dims) if (d == 0) return 0;
    long total = 1;
    try {
      for (long d : dims) total = Math.multiplyExact(total, d); // dims are never negative (the reader's, or made here from counts)
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
    return total;
  }

  /**
   * The output of shape {@code count}, each element read from x at the mapped (and permuted)
   * coordinates. {@code count} is at most x's dims axis by axis, so the output is no larger than x;
   * its size is still computed without wrapping, and refused past the limit, rather than trusted.
   */
  private Shaped gatherIndices(OnnxNode n, Shaped x, long[] count, AxisMap map, long[] perm) {
    int rank = count.length;
    long total = elements(count);
    if (total > MAX_LENGTH) throw fail.apply("node " + n.describe() + " makes a tensor of shape " + shown(count) + "; netc evaluates small ones");
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
    return new Shaped(count, v, x.type());
  }

  /** Shape(x): the batch, then x's per-image dims. */
  private long[] shape(OnnxNode n) {
    OnnxAttribute start = attribute(n, "start", OnnxAttribute.INT), end = attribute(n, "end", OnnxAttribute.INT);
    int rank = shapes.containsKey(n.inputs().get(0)) ? shapes.get(n.inputs().get(0)).length + 1 : 0;
    // a negative start or end counts from the rank (Shape-15), then both are clamped to [0, rank]: from 0 (or before) to the rank (or past) is the whole shape
    if (start != null && (start.i() < 0 ? start.i() + rank : start.i()) > 0 || end != null && (end.i() < 0 ? end.i() + rank : end.i()) < rank) {
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
    // the data is a list (rank 1): axis -1 is axis 0
    if (axis != null && axis.i() != 0 && axis.i() != -1) throw fail.apply("node " + n.describe() + " with " + axis + ": shape computations gather along axis 0");
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
