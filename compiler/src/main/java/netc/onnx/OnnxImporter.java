package netc.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import netc.ast.NetcException;
import netc.ast.SpecLimit;
import netc.ir.GraphBuilder;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;

/**
 * Translates an ONNX graph into a netc spec and its weights. The graph is walked from its input as
 * the language reads: a sequence of layers, where a tensor that forks into two paths joined again by
 * an {@code Add} becomes {@code residual { main } shortcut NAME { shortcut }}, and one that forks into
 * paths joined by a {@code Concat} along channels becomes {@code concat { a } and { b } ...} (a path
 * with no layers, as DenseNet's, is an empty branch). Each layer is named
 * from its ONNX node and carries a {@code // onnx: NODE (OP)} comment (the op left out where the node's name ends with it); weights are stored under the
 * names the spec gives them, in torchvision's layout (X.weight, X.bias, X.running_mean,
 * X.running_var). Shapes are followed per image (without the batch) to check that what is written
 * means what the ONNX graph computes. Anything the language cannot express is one message naming
 * the node.
 */
public final class OnnxImporter {
  /**
   * The operators the importer maps, for the message about any other: their names, with a word on
   * where they count (the README's "Commands" section has each pattern in full). Kept short, so the
   * message, the model's path and the node stay whole within a message's 2,000 characters (with every
   * pattern spelled out, the list alone took 1,900 and a longer path cut it in the middle).
   */
  public static final List<String> SUPPORTED = List.of("Conv", "BatchNormalization", "Relu", "Sigmoid", "Tanh", "LeakyRelu",
      "HardSigmoid", "HardSwish", "Gelu (or torch's Erf form)", "Clip", "Add, Sub, Mul, Div (by constants; Add and Mul of paths: residual, sum, gate)",
      "Concat, Slice, Split (along channels)", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
      "ReduceMean (over height and width)",
      "LayerNormalization (or torch's ReduceMean, Sub, Pow, Sqrt, Div form)", "Transpose (around a layer norm; a channel shuffle)",
      "Flatten", "Squeeze", "Reshape (with its Shape, Gather, Unsqueeze, Concat chain)", "Expand (of a gate's vector)", "Gemm",
      "MatMul (+ Add)", "Softmax", "Dropout", "Identity", "Pad (zeros)", "Cast (to float32 or float16)",
      "Gather, Unsqueeze, Mul, Add, Concat of the input's channels (torchvision's transform_input)");

  /** The spec text and the weights under the names it uses, in spec order. */
  public record Result(String spec, Map<String, Tensor> weights) {}

  private final OnnxModel model;
  private final InputPreparation preparation;
  private final Map<String, List<OnnxNode>> consumers = new HashMap<>();
  private final Map<String, OnnxNode> producers = new HashMap<>();
  private final Map<String, int[]> shapes = new HashMap<>();
  /** The inputs of Concats whose runs became concats of their own ({@link #concatPart}). */
  private final Map<OnnxNode, ConcatInputs> concatInputs = new java.util.IdentityHashMap<>();
  private final LayerNames names = new LayerNames();
  /** Nodes already written: a node reached twice means the file's graph has a cycle (ONNX graphs are acyclic). */
  private final Set<OnnxNode> emitted = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  private final ShapeValues shapeValues;
  private final String output;
  /**
   * Tensors ONNX holds in another shape than the spec keeps them ({@link #heldLayer}): a gate's
   * vector section, flat in ONNX ([batch, C], or [batch, C, 1] on the way back) and [C, 1, 1] in the
   * spec ({@link #returnsToMap}); and ConvNeXt's channels-last sections, [batch, H, W, C] in ONNX
   * and [C, H, W] in the spec. Over both, a layer on the last ONNX axis is a layer over the channels:
   * a Gemm or MatMul a 1x1 conv, an activation itself.
   */
  private final Map<String, Held> held = new HashMap<>();

  /** How ONNX holds a tensor of {@link #held}: channels last, or a gate's vector, and its ONNX rank. */
  private record Held(boolean channelsLast, int onnxRank) {
    static final Held VECTOR = new Held(false, 2), CHANNELS_LAST = new Held(true, 4);
  }

  private OnnxImporter(OnnxModel model, InputPreparation preparation) {
    this.model = model;
    this.preparation = preparation;
    Set<String> graphInputs = new HashSet<>();
    for (OnnxModel.ValueInfo v : model.inputs()) graphInputs.add(v.name());
    List<OnnxNode> nodes = splitParts(denseConcats(model.nodes()));
    for (OnnxNode n : nodes) {
      if (n.outputs().isEmpty() || n.outputs().get(0).isEmpty()) throw fail(node(n) + " has no output");
      checkInputs(n);
      for (String out : n.outputs()) {
        if (out.isEmpty()) continue;
        boolean initializer = model.initializers().containsKey(out), input = graphInputs.contains(out);
        if (initializer || input || producers.put(out, n) != null) {
          throw fail("tensor " + OnnxReader.quote(out) + " is computed by " + node(n) + " and is also " + (initializer ? "an initializer"
              : input ? "an input of the graph" : "the output of another node") + "; in ONNX every tensor has one source");
        }
      }
    }
    if (model.outputs().size() != 1) throw fail("the graph has " + model.outputs().size() + " outputs; netc compiles networks with one");
    this.output = model.outputs().get(0).name();
    if (!producers.containsKey(output) && !graphInputs.contains(output)) {
      throw fail("the graph's output " + OnnxReader.quote(output) + " is computed by no node"
          + (model.initializers().containsKey(output) ? ": it is an initializer, a constant" : ""));
    }
    Set<OnnxNode> live = upstream(true);
    Set<String> read = new HashSet<>(List.of(output));
    for (OnnxNode n : nodes) {
      if (!live.contains(n)) continue;
      for (String in : n.inputs()) {
        if (in.isEmpty()) continue; // an omitted optional input: no tensor, read by nobody
        // a tensor with no source: it was "the graph's output does not depend on the values of its input"
        if (!producers.containsKey(in) && !model.initializers().containsKey(in) && !graphInputs.contains(in)) {
          throw fail(node(n) + " reads " + OnnxReader.quote(in) + ", which no node, initializer or graph input gives");
        }
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        read.add(in);
      }
    }
    // named as the file has them: a Split none of whose parts is read is one node, one with a part read is not left out
    for (OnnxNode n : model.nodes()) if (n.outputs().stream().noneMatch(o -> !o.isEmpty() && read.contains(o))) unused.add(n);
    this.shapeValues = new ShapeValues(model, producers, shapes, held::containsKey, this::fail);
  }

  /**
   * The nodes the graph's output depends on, through any of their inputs, or with {@code throughShapes}
   * false through their values only (a Shape's input is not followed: it reads the dims, as
   * {@link #dataConsumers} has it). The others compute what nothing reads (an exporter's leftovers, a
   * head cut off by editing the graph): they are left out, as ONNX Runtime leaves them out, and named
   * in the spec's header ({@link #unused}); read, the one reading the running tensor looked like the
   * path of a fork that never joins.
   */
  private Set<OnnxNode> upstream(boolean throughShapes) {
    Set<OnnxNode> found = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(output));
    while (!todo.isEmpty()) {
      OnnxNode n = producers.get(todo.pop());
      if (n == null || !found.add(n) || !throughShapes && n.opType().equals("Shape")) continue;
      for (String in : n.inputs()) if (!in.isEmpty()) todo.push(in);
    }
    return found;
  }

  /** Whether the values of {@code x} reach the output ({@link #upstream} without Shapes' inputs). */
  private boolean valuesReach(String x) {
    for (OnnxNode n : upstream(false)) if (!n.opType().equals("Shape") && n.inputs().contains(x)) return true;
    return false;
  }

  /** Nodes nothing on the way to the output reads ({@link #upstream}), in the file's order. */
  private final List<OnnxNode> unused = new ArrayList<>();

  /**
   * Inputs of the operators the importer reads, from the ONNX operator specification (the fewest of any
   * opset, the most; -1: any number): [required, most]. A required input may not be left empty.
   */
  private static final Map<String, int[]> INPUTS = Map.ofEntries(Map.entry("Conv", new int[] {2, 3}),
      Map.entry("BatchNormalization", new int[] {5, 5}), Map.entry("Clip", new int[] {1, 3}), Map.entry("Add", new int[] {2, 2}),
      Map.entry("Sub", new int[] {2, 2}), Map.entry("Mul", new int[] {2, 2}), Map.entry("Div", new int[] {2, 2}), Map.entry("Pow", new int[] {2, 2}),
      Map.entry("Gemm", new int[] {2, 3}), Map.entry("MatMul", new int[] {2, 2}), Map.entry("Reshape", new int[] {2, 2}),
      Map.entry("Expand", new int[] {2, 2}), Map.entry("Gather", new int[] {2, 2}), Map.entry("Pad", new int[] {1, 4}),
      Map.entry("Slice", new int[] {1, 5}), Map.entry("Split", new int[] {1, 2}), Map.entry("Unsqueeze", new int[] {1, 2}),
      Map.entry("Squeeze", new int[] {1, 2}), Map.entry("ReduceMean", new int[] {1, 2}), Map.entry("Dropout", new int[] {1, 3}),
      Map.entry("LayerNormalization", new int[] {2, 3}), Map.entry("Concat", new int[] {1, -1}), Map.entry("Relu", new int[] {1, 1}),
      Map.entry("Sigmoid", new int[] {1, 1}), Map.entry("Tanh", new int[] {1, 1}), Map.entry("LeakyRelu", new int[] {1, 1}),
      Map.entry("HardSigmoid", new int[] {1, 1}), Map.entry("HardSwish", new int[] {1, 1}), Map.entry("Gelu", new int[] {1, 1}),
      Map.entry("Erf", new int[] {1, 1}), Map.entry("Sqrt", new int[] {1, 1}), Map.entry("MaxPool", new int[] {1, 1}),
      Map.entry("AveragePool", new int[] {1, 1}), Map.entry("GlobalAveragePool", new int[] {1, 1}), Map.entry("GlobalMaxPool", new int[] {1, 1}),
      Map.entry("Flatten", new int[] {1, 1}),
      Map.entry("Softmax", new int[] {1, 1}), Map.entry("Identity", new int[] {1, 1}), Map.entry("Transpose", new int[] {1, 1}),
      Map.entry("Shape", new int[] {1, 1}), Map.entry("Cast", new int[] {1, 1}), Map.entry("ConstantOfShape", new int[] {1, 1}));

  /** A node of a known operator with too few or too many inputs, or a required one left empty, is refused by name. */
  private void checkInputs(OnnxNode n) {
    int[] arity = n.domain().isEmpty() ? INPUTS.get(n.opType()) : null;
    if (arity == null) return; // an operator the importer does not read is refused where it is met, with the list of those it does
    int given = n.inputs().size();
    if (given < arity[0] || arity[1] >= 0 && given > arity[1]) {
      throw fail(node(n) + " has " + given + " input" + (given == 1 ? "" : "s") + "; " + n.opType() + " takes " + (arity[1] < 0
          ? "at least " + arity[0] : arity[0] == arity[1] ? Integer.toString(arity[0]) : arity[0] + " to " + arity[1]));
    }
    for (int i = 0; i < arity[0]; i++) {
      if (n.inputs().get(i).isEmpty()) throw fail(node(n) + " leaves its required input " + (i + 1) + " empty");
    }
  }

  /** The spec for {@code model} and its weights. */
  public static Result translate(OnnxModel model) {
    return translate(model, InputPreparation.NONE);
  }

  /** The spec for {@code model}, its input prepared as {@code preparation} says (the command line's --mean, --std, --resize). */
  public static Result translate(OnnxModel model, InputPreparation preparation) {
    return new OnnxImporter(constantIdentities(model), preparation).translate();
  }

  /**
   * torch.onnx.export keeps one copy of equal initializers and gives the others as Identity nodes of
   * it (SqueezeNet's zero conv biases: {@code features.3.expand1x1.bias = Identity(features.0.bias)}).
   * Such an Identity is a constant under another name: it becomes an initializer of that name.
   */
  static OnnxModel constantIdentities(OnnxModel model) {
    Map<String, OnnxTensor> initializers = new HashMap<>(model.initializers());
    List<OnnxNode> nodes = new ArrayList<>();
    for (OnnxNode n : model.nodes()) {
      boolean oneToOne = n.inputs().size() == 1 && n.outputs().size() == 1 && initializers.containsKey(n.inputs().get(0))
          && !n.outputs().get(0).isEmpty() && !initializers.containsKey(n.outputs().get(0));
      OnnxTensor cast = oneToOne && n.is("Cast") ? floatCast(n, initializers.get(n.inputs().get(0))) : null;
      if (oneToOne && n.is("Identity")) initializers.put(n.outputs().get(0), initializers.get(n.inputs().get(0)));
      else if (cast != null) initializers.put(n.outputs().get(0), cast);
      else nodes.add(n);
    }
    if (nodes.size() == model.nodes().size()) return model;
    return new OnnxModel(model.path(), model.opset(), nodes, initializers, model.inputs(), model.outputs(), model.files());
  }

  /**
   * A Cast of a float constant to float32 or float16 (onnxconverter_common's float16 conversion
   * writes them where it keeps an operator in float32): that constant, its values rounded to float16
   * when cast to it, as ONNX's Cast does; null for any other Cast (a shape computation's casts of
   * integers are {@link ShapeValues}'; others are refused where they are met).
   */
  private static OnnxTensor floatCast(OnnxNode n, OnnxTensor t) {
    OnnxAttribute to = n.attribute("to");
    if (!t.isFloat() || !n.domain().isEmpty() || to == null || to.type() != OnnxAttribute.INT) return null;
    if (to.i() != OnnxReader.FLOAT && to.i() != OnnxReader.FLOAT16) return null;
    float[] v = t.floats().clone();
    if (to.i() == OnnxReader.FLOAT16) for (int i = 0; i < v.length; i++) v[i] = roundToHalf(v[i]);
    return new OnnxTensor(n.outputs().get(0), t.dims(), (int) to.i(), v, null);
  }

  /**
   * {@code v} rounded to the nearest float16 (ties to even), as a float: a multiple of the spacing of
   * float16s at its exponent (2^(e - 10), subnormals 2^-24), and infinite from 65520 (where float16's
   * largest, 65504, is no longer the nearest). Java 17 has no Float.floatToFloat16.
   */
  static float roundToHalf(float v) {
    float a = Math.abs(v);
    if (!Float.isFinite(v) || a == 0) return v;
    if (a >= 65520f) return Math.copySign(Float.POSITIVE_INFINITY, v);
    double quantum = Math.scalb(1.0, Math.max(Math.getExponent(a), -14) - 10);
    return Math.copySign((float) (Math.rint(a / quantum) * quantum), v); // a / quantum is exact: a power of two apart
  }

  /**
   * DenseNet concatenates the block input with every layer output so far, each layer anew:
   * Concat(x0, n1, n2) beside Concat(x0, n1). As Concat(Concat(x0, n1), n2) it is the language's
   * nesting (each dense layer a {@code concat { } and { layer }}), and the same value. Rewrites each
   * channel Concat whose inputs but the last are exactly those of another channel Concat that way.
   */
  private static List<OnnxNode> denseConcats(List<OnnxNode> nodes) {
    Map<List<String>, String> byInputs = new HashMap<>();
    for (OnnxNode n : nodes) if (isChannelConcat(n)) byInputs.putIfAbsent(n.inputs(), n.outputs().get(0));
    List<OnnxNode> out = new ArrayList<>();
    for (OnnxNode n : nodes) {
      List<String> in = n.inputs();
      String prefix = isChannelConcat(n) && in.size() >= 2 ? byInputs.get(in.subList(0, in.size() - 1)) : null;
      if (prefix != null && !prefix.equals(n.outputs().get(0))) {
        n = new OnnxNode(n.name(), n.opType(), n.domain(), List.of(prefix, in.get(in.size() - 1)), n.outputs(), n.attributes());
      }
      out.add(n);
    }
    return out;
  }

  /**
   * A Split into several outputs becomes one node per output (the same name and op, each with one
   * output, recorded in {@link #splitParts}), so the outputs are paths of a fork like any other, each
   * starting at its range of channels: {@code torch.split(x, [a, b], dim=1)}, or chunk as newer
   * exporters write it.
   */
  private List<OnnxNode> splitParts(List<OnnxNode> nodes) {
    List<OnnxNode> out = new ArrayList<>();
    for (OnnxNode n : nodes) {
      if (!n.is("Split") || n.outputs().size() < 2 || n.inputs().isEmpty()) {
        out.add(n);
        continue;
      }
      for (int i = 0; i < n.outputs().size(); i++) {
        if (n.outputs().get(i).isEmpty()) continue;
        OnnxNode part = new OnnxNode(n.name(), n.opType(), n.domain(), n.inputs(), List.of(n.outputs().get(i)), n.attributes());
        splitParts.put(part, new int[] {i, n.outputs().size()});
        out.add(part);
      }
    }
    return out;
  }

  /** The part of a Split each of {@link #splitParts}'s nodes stands for: {output index, outputs}. */
  private final Map<OnnxNode, int[]> splitParts = new java.util.IdentityHashMap<>();

  /** A Concat along axis 1 (channels) of a 4-d tensor; -3 counts from the end. */
  private static boolean isChannelConcat(OnnxNode n) {
    if (!n.is("Concat") || n.outputs().isEmpty()) return false;
    OnnxAttribute axis = n.attribute("axis");
    return axis != null && (axis.type() == OnnxAttribute.INT || axis.type() == 0) && (axis.i() == 1 || axis.i() == -3);
  }

  // ---- the walk ----------------------------------------------------------------------------------

  /** Lines of a body being written, and the weights its layers use (named relative to the body). */
  private static final class Body {
    final List<String> lines = new ArrayList<>();
    final Map<String, Tensor> weights = new LinkedHashMap<>();
    int layers;
  }

  /** Where a walk stopped: the tensor reached, and the join it reached it at (null at the output). */
  private record End(String tensor, OnnxNode join) {}

  private Result translate() {
    OnnxModel.ValueInfo in = graphInput();
    fixedBatch = in.dims()[0] > 0 ? in.dims()[0] : 0;
    String x = in.name();
    if (!x.equals(output) && !valuesReach(x)) {
      // a branching node whose subgraphs read the running tensor from this graph lists no such input: it is the reason
      for (OnnxNode n : upstream(true)) if (n.domain().isEmpty() && List.of("If", "Loop", "Scan").contains(n.opType())) throw unsupported(n);
      // read by nothing the output needs, or by Shapes alone: the graph computes its output from constants
      throw fail("the graph's output " + OnnxReader.quote(output) + " does not depend on the values of its input " + OnnxReader.quote(x));
    }
    shapes.put(x, new int[] {(int) in.dims()[1], (int) in.dims()[2], (int) in.dims()[3]});
    Body body = new Body();
    // torchvision's transform_input is the model's own scale and shift, after the input's preparation (pretrained
    // Inception v3 expects ImageNet's normalization before it): a layer, not the input's mean and std
    ScaleShift[] apart = new ScaleShift[(int) in.dims()[1]];
    Arrays.fill(apart, ScaleShift.IDENTITY);
    List<OnnxNode> apartNodes = new ArrayList<>();
    String joined = channelsApart(x, apart, apartNodes);
    Normalization norm = joined != null ? null : normalization(x);
    String inputLine = String.format(Locale.ROOT, "input(%d, %d, %d", in.dims()[1], in.dims()[2], in.dims()[3]);
    // -1: torchvision's ratio, Resize(256) before CenterCrop(224), rounded as its Inception v3 preset has it
    // (342 for 299); of the longer side: the jar prepares images for square inputs only, so for others
    // the value is recorded, not used
    long h = in.dims()[2], w = in.dims()[3];
    int resize = preparation.resize() < 0 ? (int) Math.round(Math.max(h, w) * 8 / 7.0) : preparation.resize();
    if (resize > 0 && (resize < h || resize < w || resize > GraphBuilder.MAX_SIZE)) {
      throw fail(preparation.resizeOrigin() + " " + resize + ": images are resized so, then center-cropped to the input's " + h + "x" + w
          + ", so it must be at least " + Math.max(h, w) + (resize > GraphBuilder.MAX_SIZE ? " and reasonable" : ""));
    }
    if (resize > 0) inputLine += ", resize = " + resize;
    if (preparation.bicubic()) inputLine += ", bicubic = true";
    if (norm != null && preparation.normalizes()) {
      throw fail("the model normalizes its input already (" + node(norm.nodes.get(0)) + "): "
          + preparation.normalizationOrigin() + " would normalize it a second time");
    }
    if (preparation.normalizes() && preparation.mean().size() != in.dims()[1]) {
      throw fail(preparation.normalizationOrigin() + ": " + preparation.mean().size() + " values, for an input of " + in.dims()[1] + " channels");
    }
    if (norm != null) {
      inputLine += ", mean = " + list(norm.mean) + ", std = " + list(norm.std) + ")" + comment(norm.nodes);
      x = norm.out;
      shapes.put(x, shapes.get(in.name()));
    } else if (preparation.normalizes()) {
      inputLine += ", mean = " + list(doubles(preparation.mean())) + ", std = " + list(doubles(preparation.std())) + ")";
    } else {
      inputLine += ")";
    }
    if (!preparation.isNone()) inputLine += (norm != null ? ";" : "  //") + " " + preparation.origin() + " " + preparation.where();
    if (joined != null) x = scaleShiftLayer(apartNodes, producers.get(joined), apart, shapes.get(x), body);
    End end = chain(x, body);
    if (held.containsKey(end.tensor())) throw stillHeld(producers.get(end.tensor()));
    if (end.join() != null) throw fail(node(end.join()) + " joins a path that did not fork here; netc expresses an Add, a Concat or a gating Mul of paths from one tensor");
    // refused here, naming the file, not by the spec's builder at a line of the spec the user never wrote
    if (body.lines.stream().allMatch(l -> l.isBlank() || l.strip().startsWith("//"))) {
      throw fail("the graph computes nothing: its output is its input" + (norm != null ? " normalized" : "")
          + " (no layer but Identity or Dropout between); netc compiles a network of at least one layer");
    }
    StringBuilder spec = new StringBuilder();
    spec.append("// Imported by netc import from ").append(BadInputException.oneLine(model.path().getFileName().toString()))
        .append(" (ONNX opset ").append(model.opset()).append("); each layer names the ONNX node it comes from.\n");
    if (!unused.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (OnnxNode n : unused.subList(0, Math.min(unused.size(), 10))) names.add(BadInputException.oneLine(n.describe()));
      spec.append("// Left out: ").append(unused.size()).append(unused.size() == 1 ? " node" : " nodes").append(" whose output the graph's output does not read: ")
          .append(String.join(", ", names)).append(unused.size() > 10 ? ", ..." : "").append(".\n");
    }
    spec.append(inputLine).append("\n\n");
    for (String line : body.lines) spec.append(line).append('\n');
    return new Result(spec.toString(), body.weights);
  }

  private OnnxModel.ValueInfo graphInput() {
    List<OnnxModel.ValueInfo> inputs = new ArrayList<>();
    for (OnnxModel.ValueInfo v : model.inputs()) if (!model.initializers().containsKey(v.name())) inputs.add(v);
    if (inputs.size() != 1) {
      // an input with an initializer of its name is a constant with a default a caller may override (ONNX, IR 4 on): where
      // every input has one, the image's default was stored too, and "the graph has 0 inputs" did not say which
      int given = model.inputs().size();
      String defaults = inputs.isEmpty() && given > 0 ? " (" + model.inputs().stream().map(v -> OnnxReader.quote(v.name()))
          .collect(java.util.stream.Collectors.joining(", ")) + (given == 1 ? " has" : " each have") + " an initializer of the same name,"
          + " which makes an input a constant with a default: remove the image input's initializer)" : "";
      throw fail("the graph has " + inputs.size() + " inputs" + defaults + "; netc compiles networks with one image input");
    }
    OnnxModel.ValueInfo in = inputs.get(0);
    long[] d = in.dims();
    if (d.length != 4 || d[1] <= 0 || d[2] <= 0 || d[3] <= 0 || d[1] > Integer.MAX_VALUE || d[2] > Integer.MAX_VALUE || d[3] > Integer.MAX_VALUE) {
      throw fail("input " + OnnxReader.quote(in.name()) + " has shape " + dims(d) + "; netc expects [batch, channels, height, width] with fixed channels, height and width");
    }
    // the spec language's own bound on a size (GraphBuilder), checked before anything is sized by them
    if (d[1] > GraphBuilder.MAX_SIZE || d[2] > GraphBuilder.MAX_SIZE || d[3] > GraphBuilder.MAX_SIZE) {
      throw fail("input " + OnnxReader.quote(in.name()) + " has shape " + dims(d) + ": a channel count, height or width over 1,000,000");
    }
    if (in.elemType() != OnnxReader.FLOAT) {
      throw fail("input " + OnnxReader.quote(in.name()) + " is " + OnnxReader.typeName(in.elemType()) + "; netc takes float32 images"
          + (in.elemType() == OnnxReader.FLOAT16 ? " (convert a float16 model keeping float32 inputs and outputs: onnxconverter_common's keep_io_types=True)" : ""));
    }
    return in;
  }

  /**
   * Writes the layers from tensor {@code t} on, until the graph's output or an Add that joins two
   * paths (left for the fork that owns it).
   */
  private End chain(String t, Body body) {
    while (true) {
      List<OnnxNode> next = dataConsumers(t);
      if (t.equals(output)) {
        if (!next.isEmpty()) throw fail("the output " + OnnxReader.quote(t) + " is also used inside the graph; netc compiles a single-output sequence");
        return new End(t, null);
      }
      if (next.isEmpty()) throw fail("tensor " + OnnxReader.quote(t) + " is computed but never used, and is not the output");
      if (next.size() == 1 && isJoin(next.get(0))) return new End(t, next.get(0));
      t = next.size() == 1 ? emit(next.get(0), body) : fork(t, next, body);
    }
  }

  /**
   * A fork of {@code x} into paths that one node joins: an Add of two (a residual) or a Concat along
   * channels of any number (parallel branches). A path that is the join itself has no layers.
   */
  private String fork(String x, List<OnnxNode> forks, Body body) {
    // a path of a fork holding a fork holding a fork...: each level is a block nested in the spec, and a
    // stack frame or two here; refused past the spec language's own nesting limit, not by a StackOverflowError
    if (forkDepth >= SpecLimit.NESTING.get()) {
      throw fail("tensor " + OnnxReader.quote(x) + " forks inside " + forkDepth + " nested forks, more than the spec language nests ("
          + SpecLimit.NESTING.shown() + "); " + SpecLimit.NESTING.raise());
    }
    forkDepth++;
    try {
      return forkPaths(x, forks, body);
    } finally {
      forkDepth--;
    }
  }

  /** Forks now open around the one being written ({@link #fork}). */
  private int forkDepth;

  private String forkPaths(String x, List<OnnxNode> forks, Body body) {
    String pattern = selfGate(x, forks, body);
    if (pattern == null) pattern = gelu(x, forks, body);
    if (pattern == null) pattern = layerNorm(x, forks, body);
    if (pattern != null) {
      if (held.containsKey(x)) held.put(pattern, held.get(x)); // an activation or norm over the channels keeps the form
      return pattern;
    }
    Body[] paths = new Body[forks.size()];
    End[] ends = new End[forks.size()];
    for (int i = 0; i < forks.size(); i++) {
      paths[i] = new Body();
      OnnxNode first = forks.get(i);
      if (isJoin(first)) {
        ends[i] = new End(x, first);
      } else {
        ends[i] = chain(emit(first, paths[i]), paths[i]);
        if (ends[i].join() == null) {
          throw fail("tensor " + OnnxReader.quote(x) + " forks into " + forks.size() + " paths, and one reaches the output without joining the "
              + (forks.size() == 2 ? "other" : "others") + "; netc's language joins the paths of a fork by one Add, Concat or gating Mul");
        }
      }
    }
    OnnxNode join = ends[0].join();
    for (End e : ends) if (held.containsKey(e.tensor())) throw stillHeld(producers.get(e.tensor()));
    for (End e : ends) {
      if (e.join() != join) {
        Set<OnnxNode> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<OnnxNode> joins = new ArrayList<>();
        for (End f : ends) if (distinct.add(f.join())) joins.add(f.join());
        List<OnnxNode> chain = addChain(joins, ends);
        if (chain != null) return sum(x, chain, paths, ends, body);
        throw fail("tensor " + OnnxReader.quote(x) + " forks into paths that end at different nodes (" + describe(joins)
            + "); netc's language joins the paths of a fork by one Add, Concat or gating Mul");
      }
    }
    if (join.opType().equals("Concat")) {
      OnnxNode part = concatPart(join, ends);
      if (part != null) return concat(x, part, join, paths, ends, body);
    }
    if (!emitted.add(join)) throw fail(node(join) + " is reached again from its own output: the graph has a cycle");
    if (join.opType().equals("Concat")) return concat(x, join, join, paths, ends, body);
    if (join.opType().equals("Mul")) return gate(x, join, paths, ends, body);
    if (forks.size() != 2) {
      throw fail("tensor " + OnnxReader.quote(x) + " feeds " + forks.size() + " nodes (" + describe(forks)
          + ") joined by one Add; netc's residual adds two paths");
    }
    return residual(x, join, paths, ends, body);
  }

  /**
   * The Adds that sum a fork's paths one after another, as torch exports {@code a + b + c} (RepVGG's
   * block): the first adds two paths' ends, each next the one before's output and one more path's end,
   * which nothing else reads. Null when the joins are not such a chain.
   */
  private List<OnnxNode> addChain(List<OnnxNode> joins, End[] ends) {
    if (joins.size() != ends.length - 1) return null;
    for (OnnxNode j : joins) {
      if (!j.is("Add") || j.inputs().size() != 2 || j.outputs().isEmpty() || !isJoin(j)) return null;
    }
    // each join's path ends and the chain's members as maps: a sum of thousands of terms asked them of every join
    Map<OnnxNode, List<String>> endsAt = new java.util.IdentityHashMap<>();
    for (End e : ends) endsAt.computeIfAbsent(e.join(), j -> new ArrayList<>()).add(e.tensor());
    Set<OnnxNode> inChain = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<OnnxNode> chain = new ArrayList<>();
    for (OnnxNode j : joins) if (endsAt.getOrDefault(j, List.of()).size() == 2) chain.add(j);
    if (chain.size() != 1) return null;
    inChain.add(chain.get(0));
    List<String> firstTwo = endsAt.get(chain.get(0));
    if (!sameInputs(chain.get(0), firstTwo.get(0), firstTwo.get(1))) return null;
    while (chain.size() < joins.size()) {
      String sum = chain.get(chain.size() - 1).outputs().get(0);
      List<OnnxNode> readers = dataConsumers(sum);
      if (readers.size() != 1 || !endsAt.containsKey(readers.get(0)) || !inChain.add(readers.get(0))) return null;
      OnnxNode next = readers.get(0);
      List<String> one = endsAt.get(next);
      if (one.size() != 1 || !sameInputs(next, sum, one.get(0))) return null;
      chain.add(next);
    }
    return chain;
  }

  /**
   * A fork's paths summed by a chain of Adds ({@link #addChain}): one {@code sum}, its branches in the fork's
   * order. They must agree in shape, and one at most may be the fork's input itself.
   */
  private String sum(String x, List<OnnxNode> chain, Body[] paths, End[] ends, Body body) {
    OnnxNode last = chain.get(chain.size() - 1);
    for (OnnxNode j : chain) if (!emitted.add(j)) throw fail(node(j) + " is reached again from its own output: the graph has a cycle");
    int[] shape = shapes.get(ends[0].tensor());
    int empty = 0;
    for (int i = 0; i < ends.length; i++) {
      int[] s = shapes.get(ends[i].tensor());
      if (!Arrays.equals(s, shape)) throw fail(node(last) + " sums tensors of shapes " + dims(shape) + " and " + dims(s) + "; netc adds tensors of one shape");
      if (paths[i].layers == 0) empty++;
    }
    if (empty > 1) throw fail(node(last) + " adds " + OnnxReader.quote(x) + " to itself, which netc's sum does not express");
    branches("sum {" + comment(chain), paths, body);
    body.layers += chain.size();
    String out = last.outputs().get(0);
    shapes.put(out, shape);
    return out;
  }

  /**
   * x times Sigmoid(x), how torch exports SiLU (EfficientNet), or times HardSigmoid(x), how it
   * exports hardswish before opset 14 (MobileNetV3): one activation layer, silu() or hardswish().
   * Null when the fork is not that pattern.
   */
  private String selfGate(String x, List<OnnxNode> forks, Body body) {
    if (forks.size() != 2) return null;
    for (int i = 0; i < 2; i++) {
      OnnxNode gate = forks.get(i), mul = forks.get(1 - i);
      boolean sigmoid = gate.is("Sigmoid"), hard = gate.is("HardSigmoid");
      if (!(sigmoid || hard) || gate.outputs().isEmpty()) continue;
      if (!mul.is("Mul") || mul.inputs().size() != 2 || mul.outputs().isEmpty()) continue;
      String g = gate.outputs().get(0);
      if (g.equals(output) || !dataConsumers(g).equals(List.of(mul)) || !sameInputs(mul, x, g)) continue;
      if (hard && !torchHardSigmoid(gate)) continue;
      if (!emitted.add(gate) || !emitted.add(mul)) throw fail(node(mul) + " is reached again from its own output: the graph has a cycle");
      return layer(List.of(gate, mul), body, sigmoid ? "silu()" : "hardswish()", shapes.get(x), null, null);
    }
    return null;
  }

  /**
   * torch's gelu as it exports before opset 20: x / sqrt(2), Erf, + 1, times x, times 0.5 (in either
   * operand order): one layer, gelu(). Null when the fork is not that pattern.
   */
  private String gelu(String x, List<OnnxNode> forks, Body body) {
    if (forks.size() != 2) return null;
    for (int i = 0; i < 2; i++) {
      OnnxNode div = forks.get(i), mul = forks.get(1 - i);
      if (!isOp(div, "Div") || !div.inputs().get(0).equals(x) || !isScalar(div.inputs().get(1), Math.sqrt(2))) continue;
      OnnxNode erf = soleConsumer(div.outputs().get(0)), add = erf != null && isOp(erf, "Erf") ? soleConsumer(erf.outputs().get(0)) : null;
      if (add == null || !isOp(add, "Add") || !isScalar(otherInput(add, erf.outputs().get(0)), 1)) continue;
      if (soleConsumer(add.outputs().get(0)) != mul || !isOp(mul, "Mul") || !sameInputs(mul, x, add.outputs().get(0))) continue;
      OnnxNode half = soleConsumer(mul.outputs().get(0));
      if (half == null || !isOp(half, "Mul") || !isScalar(otherInput(half, mul.outputs().get(0)), 0.5)) continue;
      List<OnnxNode> nodes = List.of(div, erf, add, mul, half);
      for (OnnxNode n : nodes) if (!emitted.add(n)) throw fail(node(n) + " is reached again from its own output: the graph has a cycle");
      return layer(nodes, body, "gelu()", shapes.get(x), null, null);
    }
    return null;
  }

  private static boolean isOp(OnnxNode n, String op) {
    return n.is(op) && n.inputs().size() == (op.equals("Erf") ? 1 : 2) && !n.outputs().isEmpty();
  }

  /** The one node that reads {@code t}, whichever input, or null (also when t is the graph's output). */
  private OnnxNode soleConsumer(String t) {
    List<OnnxNode> all = consumers.getOrDefault(t, List.of());
    return t.equals(output) || all.size() != 1 ? null : all.get(0);
  }

  /** The input of a two-input node that is not {@code t}. */
  private static String otherInput(OnnxNode n, String t) {
    return n.inputs().get(0).equals(t) ? n.inputs().get(1) : n.inputs().get(0);
  }

  /** Whether {@code name} is a float constant of one value within float rounding of {@code v}. */
  private boolean isScalar(String name, double v) {
    OnnxTensor t = model.initializers().get(name);
    return t != null && t.isFloat() && t.size() == 1 && Math.abs(t.floats()[0] - v) <= 1e-6 * Math.abs(v);
  }

  /** A HardSigmoid with torch's parameters: alpha (float) 1/6, beta 1/2 (ONNX's defaults are 0.2 and 0.5). */
  private boolean torchHardSigmoid(OnnxNode n) {
    return floatAttr(n, "alpha", 0.2f) == 1f / 6 && floatAttr(n, "beta", 0.5f) == 0.5f;
  }

  /**
   * Two paths from {@code x} that one Mul joins: x itself, and a path that ends at one value a
   * channel ([C, 1, 1]): a squeeze-and-excitation, {@code gate { path }}.
   */
  private String gate(String x, OnnxNode join, Body[] paths, End[] ends, Body body) {
    if (paths.length != 2 || !sameInputs(join, ends[0].tensor(), ends[1].tensor())) {
      throw fail(node(join) + " does not multiply the two paths from " + OnnxReader.quote(x)
          + "; netc's gate multiplies a feature map by one value a channel computed from it");
    }
    int main = paths[0].layers == 0 ? 0 : 1;
    Body gatePath = paths[1 - main];
    int[] in = shapes.get(x), g = shapes.get(ends[1 - main].tensor());
    if (paths[main].layers != 0 || gatePath.layers == 0 || in.length != 3 || !Arrays.equals(g, new int[] {in[0], 1, 1})) {
      throw fail(node(join) + " multiplies tensors of shapes " + dims(shapes.get(ends[0].tensor())) + " and " + dims(shapes.get(ends[1].tensor()))
          + "; netc's gate multiplies a feature map by one value a channel computed from it, as a squeeze-and-excitation");
    }
    body.lines.add("gate {" + comment(List.of(join)));
    indent(gatePath.lines, body.lines);
    body.weights.putAll(gatePath.weights);
    body.lines.add("}");
    body.layers += gatePath.layers + 1;
    String out = join.outputs().get(0);
    shapes.put(out, in);
    return out;
  }

  /**
   * Two paths from {@code x} that one Add joins: a residual, the longer path as its main path, or a sum where
   * both have layers and keep the shape.
   */
  private String residual(String x, OnnxNode join, Body[] paths, End[] ends, Body body) {
    if (!sameInputs(join, ends[0].tensor(), ends[1].tensor())) {
      throw fail(node(join) + " does not add the two paths from " + OnnxReader.quote(x) + "; netc's residual joins two paths by one Add");
    }
    int main = paths[1].layers > paths[0].layers ? 1 : 0;
    Body mainPath = paths[main], shortcut = paths[1 - main];
    int[] in = shapes.get(x), out = shapes.get(ends[main].tensor()), other = shapes.get(ends[1 - main].tensor());
    if (!Arrays.equals(out, other)) {
      throw fail(node(join) + " adds tensors of shapes " + dims(out) + " and " + dims(other) + "; netc adds tensors of one shape");
    }
    if (mainPath.layers == 0) throw fail(node(join) + " adds a tensor to itself, which netc's residual does not express");
    boolean hasShortcut = shortcut.layers > 0;
    // a shortcut with layers that keeps the shape (RepVGG's 1x1 beside its 3x3) is no residual, whose shortcut runs only
    // where the main path changes the shape: a sum of the two paths
    boolean sumOfPaths = hasShortcut && Arrays.equals(in, out);
    body.lines.add((sumOfPaths ? "sum {" : "residual {") + comment(List.of(join)));
    indent(mainPath.lines, body.lines);
    body.weights.putAll(mainPath.weights);
    if (hasShortcut) {
      Scoped scoped = scoped(shortcut);
      String name = scoped != null ? scoped.name() : names.fresh(LayerNames.fromPath(join.name(), join.opType()) + "_shortcut");
      Body inside = scoped != null ? scoped.body() : shortcut;
      body.lines.add(sumOfPaths ? "} and " + name + ": {" : "} shortcut " + name + " {");
      indent(inside.lines, body.lines);
      inside.weights.forEach((k, v) -> body.weights.put(name + "." + k, v));
    }
    body.lines.add("}");
    body.layers += mainPath.layers + shortcut.layers + 1;
    String sum = join.outputs().get(0);
    shapes.put(sum, out);
    return sum;
  }

  /** A scope's name and the body inside it, its layers named relative to it. */
  private record Scoped(String name, Body body) {}

  /** A layer's line as a body writes it: its name, a colon, the rest. */
  private static final java.util.regex.Pattern LAYER_LINE = java.util.regex.Pattern.compile("([A-Za-z_][A-Za-z0-9_]*): (.*)");

  /**
   * A shortcut's layers in a scope of their own name: where every line of {@code path} is a layer (no nested
   * structure) and their names share a prefix ending in '_' ({@code model_layer2_0_downsample_0}, {@code _1}), the
   * prefix without its '_' names the scope and the rest each layer ({@code 0}, {@code 1}), so the weights read
   * {@code model_layer2_0_downsample.0.weight}, torch's {@code downsample.0} under the scope's path, where they read
   * {@code model_layer2_0_shortcut.model_layer2_0_downsample_0.weight}. Null where that does not apply.
   */
  private Scoped scoped(Body path) {
    List<String> layerNames = new ArrayList<>();
    for (String line : path.lines) {
      java.util.regex.Matcher m = LAYER_LINE.matcher(line);
      if (!m.matches()) return null;
      layerNames.add(m.group(1));
    }
    String prefix = layerNames.get(0);
    for (String n : layerNames) {
      int k = 0;
      while (k < prefix.length() && k < n.length() && prefix.charAt(k) == n.charAt(k)) k++;
      prefix = prefix.substring(0, k);
    }
    prefix = prefix.substring(0, prefix.lastIndexOf('_') + 1);
    if (prefix.length() < 2) return null;
    Map<String, String> inner = new LinkedHashMap<>();
    for (String n : layerNames) {
      String rest = n.substring(prefix.length());
      // the rest is a name of the language as it is (0, conv), else quoted ("0_conv"); one GraphBuilder could give, or a
      // keyword, leaves the shortcut as it was
      if (rest.isEmpty() || LayerNames.KEYWORDS.contains(rest) || LayerNames.GENERATED.matcher(rest).matches()) return null;
      inner.put(n, rest.matches("[0-9]+|[A-Za-z_][A-Za-z0-9_]*") ? rest : "\"" + rest + "\"");
    }
    Body scoped = new Body();
    for (String line : path.lines) {
      java.util.regex.Matcher m = LAYER_LINE.matcher(line);
      m.matches();
      scoped.lines.add(inner.get(m.group(1)) + ": " + m.group(2));
    }
    for (Map.Entry<String, Tensor> w : path.weights.entrySet()) {
      String key = w.getKey(), layer = key.substring(0, Math.max(0, key.indexOf('.')));
      if (!inner.containsKey(layer)) return null; // every weight is a layer's of these lines: else leave the shortcut as it was
      scoped.weights.put(inner.get(layer).replace("\"", "") + key.substring(layer.length()), w.getValue());
    }
    scoped.layers = path.layers;
    return new Scoped(names.fresh(prefix.substring(0, prefix.length() - 1)), scoped);
  }

  /** The branches of a concat or a sum: {@code head} (its keyword and comment), each path's lines, "} and {" between, "}". */
  private static void branches(String head, Body[] paths, Body body) {
    for (int i = 0; i < paths.length; i++) {
      body.lines.add(i == 0 ? head : "} and {");
      indent(paths[i].lines, body.lines);
      body.weights.putAll(paths[i].weights);
      body.layers += paths[i].layers;
    }
    body.lines.add("}");
  }

  private static void indent(List<String> from, List<String> into) {
    for (String line : from) into.add("    " + line);
  }

  private static boolean sameInputs(OnnxNode join, String a, String b) {
    List<String> in = join.inputs();
    return (in.get(0).equals(a) && in.get(1).equals(b)) || (in.get(0).equals(b) && in.get(1).equals(a));
  }

  /**
   * Where paths join: an Add or a Mul of two computed tensors (not of a constant), or a Concat of several. Known
   * once per node: every path of a fork asks it of the Concat that ends it, whose inputs are as many as the paths.
   */
  private boolean isJoin(OnnxNode n) {
    return joinNodes.computeIfAbsent(n, this::joins);
  }

  private final Map<OnnxNode, Boolean> joinNodes = new java.util.IdentityHashMap<>();

  private boolean joins(OnnxNode n) {
    if (!n.domain().isEmpty()) return false; // another domain's Add or Concat is refused by name where it is emitted
    if (n.opType().equals("Concat")) return n.inputs().size() >= 2 && n.inputs().stream().noneMatch(this::isConstant);
    return (n.opType().equals("Add") || n.opType().equals("Mul")) && n.inputs().size() == 2 && !isConstant(n.inputs().get(0)) && !isConstant(n.inputs().get(1));
  }

  /** Each input's position among {@code inputs}, -1 for one that is there more than once: a map, for a Concat of thousands. */
  private static Map<String, Integer> positions(List<String> inputs) {
    Map<String, Integer> at = new HashMap<>();
    for (int i = 0; i < inputs.size(); i++) if (at.putIfAbsent(inputs.get(i), i) != null) at.put(inputs.get(i), -1);
    return at;
  }

  /**
   * torch.onnx.export flattens a concat of concats into one Concat: Inception's {@code cat([b1,
   * cat([b2a, b2b]), b3])} becomes Concat(b1, b2a, b2b, b3), though b2a and b2b fork from a tensor
   * of their own. When the paths of a fork end at a consecutive run of a channel Concat's inputs, and
   * not at all of them, that run is their own concat (the same values in the same order): this
   * returns a Concat node of the run, whose output (a new tensor) replaces the run among the
   * original's inputs, so the outer fork then joins it as one path. Else null.
   */
  private OnnxNode concatPart(OnnxNode join, End[] ends) {
    if (!isChannelConcat(join)) return null;
    ConcatInputs inputs = concatInputs.computeIfAbsent(join, j -> new ConcatInputs(j.inputs()));
    if (ends.length >= inputs.size()) return null;
    int[] slots = new int[ends.length];
    for (int i = 0; i < ends.length; i++) {
      slots[i] = inputs.slot(ends[i].tensor()); // -1 too for an input there twice
      if (slots[i] < 0) return null;
    }
    Arrays.sort(slots);
    for (int i = 1; i < slots.length; i++) if (slots[i] == slots[i - 1]) return null;
    if (inputs.rank(slots[slots.length - 1]) - inputs.rank(slots[0]) != slots.length - 1) return null; // not one run
    // OUT/part, OUT/part2, ...: each name tried once (from each run's own, tens of thousands of runs went quadratic)
    String out;
    do {
      inputs.parts++;
      out = join.outputs().get(0) + "/part" + (inputs.parts == 1 ? "" : inputs.parts);
    } while (producers.containsKey(out) || model.initializers().containsKey(out) || shapes.containsKey(out));
    List<String> run = new ArrayList<>(slots.length);
    for (int slot : slots) run.add(inputs.name(slot));
    OnnxNode part = new OnnxNode(join.name(), join.opType(), join.domain(), run, List.of(out), join.attributes());
    inputs.replace(slots, out);
    producers.put(out, part);
    consumers.put(out, new ArrayList<>(List.of(join)));
    return part;
  }

  /**
   * A Concat's inputs as runs of them become concats of their own ({@link #concatPart}): each run
   * replaced by the run's output in its first slot, the other slots left empty. Finding a tensor's slot,
   * its place among the inputs left (a Fenwick tree of the slots still filled) and replacing a run take
   * time in the run's length and the log of the inputs', not in all of them: a copy of the list for each
   * run made Inception's flattened concat of concats quadratic (minutes for 65,000 inputs).
   */
  private static final class ConcatInputs {
    private final String[] names;
    private final int[] filled; // Fenwick tree over the slots: 1 where a name is left
    private final Map<String, Integer> slotOf;
    private int size;
    /** Runs named so far ({@code OUT/part}, {@code OUT/part2}, ...). */
    int parts;

    ConcatInputs(List<String> inputs) {
      names = inputs.toArray(String[]::new);
      filled = new int[names.length + 1];
      slotOf = positions(inputs);
      for (int i = 0; i < names.length; i++) add(i, 1);
      size = names.length;
    }

    int size() {
      return size;
    }

    /** The slot of {@code tensor}, or -1 where it is none of the inputs left or is there more than once. */
    int slot(String tensor) {
      return slotOf.getOrDefault(tensor, -1);
    }

    String name(int slot) {
      return names[slot];
    }

    /** How many inputs left come before {@code slot}. */
    int rank(int slot) {
      int n = 0;
      for (int i = slot; i > 0; i -= i & -i) n += filled[i];
      return n;
    }

    /** The inputs in {@code slots} (ascending, one run) become one, {@code out}, in the first of them. */
    void replace(int[] slots, String out) {
      for (int slot : slots) slotOf.remove(names[slot]);
      for (int i = 1; i < slots.length; i++) {
        names[slots[i]] = null;
        add(slots[i], -1);
      }
      names[slots[0]] = out;
      slotOf.put(out, slots[0]);
      size -= slots.length - 1;
    }

    /** The inputs left, in order. */
    List<String> list() {
      List<String> list = new ArrayList<>(size);
      for (String name : names) if (name != null) list.add(name);
      return list;
    }

    private void add(int slot, int delta) {
      for (int i = slot + 1; i < filled.length; i += i & -i) filled[i] += delta;
    }
  }

  /**
   * Paths from {@code x} that one Concat joins: {@code concat { a } and { b } ...} with the branches
   * in the Concat's input order, each path the branch of the input it ends at (x itself: empty).
   * {@code join} is the Concat, or a run of its inputs ({@link #concatPart}); {@code source} the
   * node of the file the comment names.
   */
  private String concat(String x, OnnxNode join, OnnxNode source, Body[] paths, End[] ends, Body body) {
    if (!isChannelConcat(join)) throw unsupportedAttributes(join, "netc concatenates feature maps along channels (axis 1)");
    List<String> inputs = concatInputs.containsKey(join) ? concatInputs.get(join).list() : join.inputs();
    Body[] branches = new Body[inputs.size()];
    Map<String, Integer> position = positions(inputs);
    for (int i = 0; i < ends.length; i++) {
      int at = position.getOrDefault(ends[i].tensor(), -1); // -1 too for an input there twice
      if (at < 0 || branches[at] != null) {
        throw fail(node(join) + " does not concatenate the " + ends.length + " paths from " + OnnxReader.quote(x) + " once each ("
            + String.join(", ", inputs.stream().map(OnnxReader::quote).toList()) + "); netc's concat joins each branch once");
      }
      branches[at] = paths[i];
    }
    for (int i = 0; i < inputs.size(); i++) {
      if (branches[i] == null) {
        throw fail(node(join) + " concatenates " + OnnxReader.quote(inputs.get(i)) + ", which is not on a path from " + OnnxReader.quote(x)
            + "; netc's concat joins branches from one tensor");
      }
    }
    int[] first = shapes.get(inputs.get(0));
    long channels = 0; // in a long: 4,295 branches of a million channels wrapped an int to a plausible count
    for (String in : inputs) {
      int[] s = shapes.get(in);
      if (s.length != 3 || first.length != 3 || s[1] != first[1] || s[2] != first[2]) {
        throw fail(node(join) + " concatenates tensors of shapes " + dims(first) + " and " + dims(s) + "; netc concatenates maps of one height and width");
      }
      channels += s[0];
    }
    if (channels > GraphBuilder.MAX_SIZE) { // the spec language's bound on a size, as the input's
      throw fail(node(join) + " concatenates " + channels + " channels; netc's channel counts stop at 1,000,000");
    }
    String note = join == source ? "" : ", inputs " + String.join(", ", join.inputs().stream().map(OnnxReader::quote).toList());
    branches("concat {" + BadInputException.oneLine(comment(List.of(source)) + note), branches, body);
    body.layers++;
    String out = join.outputs().get(0);
    shapes.put(out, new int[] {(int) channels, first[1], first[2]});
    return out;
  }

  /** The nodes that compute with {@code t}'s values; Shape only reads its dims. */
  private List<OnnxNode> dataConsumers(String t) {
    List<OnnxNode> out = new ArrayList<>();
    Set<OnnxNode> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (OnnxNode n : consumers.getOrDefault(t, List.of())) {
      if (!n.opType().equals("Shape") && seen.add(n)) out.add(n); // a node reading t twice (x * x) counts once
    }
    return out;
  }

  // ---- one node ----------------------------------------------------------------------------------

  /** Writes the layer for {@code n} (or nothing, for a node that computes nothing) and returns its output. */
  private String emit(OnnxNode n, Body body) {
    if (!emitted.add(n)) throw fail(node(n) + " is reached again from its own output: the graph has a cycle");
    if (!n.domain().isEmpty()) throw unsupported(n);
    String x = dataInput(n);
    int[] in = shapes.get(x);
    if (held.containsKey(x)) return heldLayer(n, x, in, held.get(x), body);
    return emitKnown(n, x, in, body);
  }

  /** The layer of a node whose input {@code x} of shape {@code in} the spec holds as ONNX does. */
  private String emitKnown(OnnxNode n, String x, int[] in, Body body) {
    return switch (n.opType()) {
      case "Conv" -> conv(n, null, null, in, body);
      case "BatchNormalization" -> batchnorm(n, in, body);
      case "Relu", "Sigmoid", "Tanh" -> layer(n, body, n.opType().toLowerCase(Locale.ROOT) + "()", in, null);
      case "HardSigmoid" -> {
        if (!torchHardSigmoid(n)) {
          throw unsupportedAttributes(n, "netc's hardsigmoid is torch's, min(max(x / 6 + 1/2, 0), 1)");
        }
        yield layer(n, body, "hardsigmoid()", in, null);
      }
      case "HardSwish" -> layer(n, body, "hardswish()", in, null);
      case "Gelu" -> {
        if (!stringAttr(n, "approximate", "none").equals("none")) throw unsupportedAttributes(n, "netc's gelu is the exact one, with erf");
        yield layer(n, body, "gelu()", in, null);
      }
      case "LeakyRelu" -> layer(n, body, "leaky_relu(slope = " + number(finite(n, "alpha", floatAttr(n, "alpha", 0.01f))) + ")", in, null);
      case "Clip" -> clip(n, x, in, body);
      case "MaxPool", "AveragePool" -> pool(n, null, null, in, body);
      case "GlobalAveragePool" -> {
        requireRank(n, in, 3);
        yield layer(n, body, "global_avgpool()", new int[] {in[0], 1, 1}, null);
      }
      case "GlobalMaxPool" -> { // a max pool whose one window is the whole map (Keras' GlobalMaxPooling2D, tf2onnx's)
        requireRank(n, in, 3);
        yield layer(n, body, "maxpool(" + (in[1] == in[2] ? String.valueOf(in[1]) : "[" + in[1] + ", " + in[2] + "]") + ")",
            new int[] {in[0], 1, 1}, null);
      }
      case "ReduceMean" -> reduceMean(n, in, body);
      case "Flatten" -> {
        long axis = intAttr(n, "axis", 1); // of the ONNX tensor, the batch and the per-image dims: a negative one counts from its end
        if ((axis < 0 ? axis + in.length + 1 : axis) != 1) throw unsupportedAttributes(n, "netc flattens from axis 1 (all but the batch)");
        if (isPooled(in) && returnsToMap(n.outputs().get(0))) yield keptPooled(n, x, body);
        yield layer(n, body, "flatten()", new int[] {(int) size(in)}, null);
      }
      case "Reshape" -> reshape(n, x, in, body);
      case "Squeeze" -> squeeze(n, x, in, body);
      case "Gemm" -> gemm(n, in, body);
      case "MatMul" -> matmul(n, in, 2, body);
      case "Softmax" -> {
        requireRank(n, in, 1);
        long axis = intAttr(n, "axis", model.opset() >= 13 ? -1 : 1);
        if (axis != 1 && axis != -1) throw unsupportedAttributes(n, "netc's softmax is over the features of a flat input");
        yield layer(n, body, "softmax()", in, null);
      }
      case "Dropout" -> {
        requireInference(n);
        yield removed(n, x, body);
      }
      case "Identity" -> removed(n, x, body);
      case "Cast" -> {
        // onnxconverter_common's float16 models (keep_io_types) cast the float32 input to float16 and the
        // result back: netc computes in float32 throughout, so either Cast of the running tensor is none
        OnnxAttribute to = typed(n, "to", OnnxAttribute.INT);
        if (to == null || to.i() != OnnxReader.FLOAT && to.i() != OnnxReader.FLOAT16) {
          throw unsupportedAttributes(n, "netc computes in float32; it reads a Cast of the running tensor to float32 or float16 (as float32)");
        }
        yield removedAs(n, x, body, "removed: netc computes in float32");
      }
      case "Concat" -> {
        // a Concat of one tensor is that tensor (DenseNet's first layer concatenates a list of one)
        if (n.inputs().size() == 1 && isChannelConcat(n)) yield removed(n, x, body);
        throw unsupportedAttributes(n, "netc concatenates along channels the paths of a fork, not constants");
      }
      case "Pad" -> pad(n, x, in, body);
      case "Expand" -> expand(n, x, in, body);
      case "Slice" -> slice(n, in, body);
      case "Transpose" -> {
        if (in.length != 3 || !Arrays.equals(longsAttr(n, "perm", null), new long[] {0, 2, 3, 1})) {
          throw unsupportedAttributes(n, "netc transposes a map only to channels last (perm [0, 2, 3, 1]), and back, around layers over its channels");
        }
        String out = removedAs(n, x, body, "to channels last: the spec keeps " + dims(in) + ", its layers over the last axis go over the channels");
        held.put(out, Held.CHANNELS_LAST);
        yield out;
      }
      case "Add", "Sub", "Mul", "Div" -> affine(n, x, in, body);
      case "Split" -> split(n, in, body);
      default -> throw unsupported(n);
    };
  }

  /**
   * ReduceMean over the height and width: a global average pool, then a flatten where the reduced
   * axes are dropped (keepdims 0), as {@code x.mean([2, 3])} exports (MnasNet, EfficientNet). The
   * axes are an attribute before opset 18 and a constant input from it.
   */
  private String reduceMean(OnnxNode n, int[] in, Body body) {
    requireRank(n, in, 3);
    long[] axes = reduceAxes(n);
    long[] spatial = axes == null ? null : Arrays.stream(axes).map(a -> a < 0 ? a + 4 : a).sorted().toArray();
    if (spatial == null || !Arrays.equals(spatial, new long[] {2, 3})) {
      throw unsupportedAttributes(n, "netc averages over the height and width (axes [2, 3]), not axes "
          + (axes == null ? "all" : Arrays.toString(axes)));
    }
    int[] pooled = {in[0], 1, 1};
    if (intAttr(n, "keepdims", 1) != 0) return layer(n, body, "global_avgpool()", pooled, null);
    String mean = layer(n, body, "global_avgpool()", pooled, null);
    if (returnsToMap(mean)) {
      held.put(mean, Held.VECTOR); // a gate's vector: its Linear layers compute as 1x1 convs
      return mean;
    }
    return layer(n, body, "flatten()", new int[] {in[0]}, null);
  }

  /**
   * ReduceMean's axes, or null for none (every axis): an attribute before opset 18, a constant input
   * from it. The other opset's form is refused by name, as Clip's bounds and Split's sizes are, not
   * read as no axes nor read anyway.
   */
  private long[] reduceAxes(OnnxNode n) {
    boolean input = n.inputs().size() > 1 && !n.inputs().get(1).isEmpty();
    if (model.opset() >= 18 && typed(n, "axes", OnnxAttribute.INTS) != null) {
      throw unsupportedAttributes(n, "ReduceMean's axes are an input from opset 18, not an attribute (the model's opset is " + model.opset() + ")");
    }
    if (model.opset() < 18 && input) {
      throw unsupportedAttributes(n, "ReduceMean's axes are an attribute before opset 18, not an input (the model's opset is " + model.opset() + ")");
    }
    return input ? shapeValues.value(n.inputs().get(1)) : longsAttr(n, "axes", null);
  }

  /** The one input {@code n} computes on: its first, which must not be a constant. */
  private String dataInput(OnnxNode n) {
    // an Add, Sub or Mul by a constant may name the constant first (torch writes layer_scale * x so);
    // a Div so is read to be refused by name (c / x)
    if (Set.of("Add", "Sub", "Mul", "Div").contains(n.opType()) && n.inputs().size() == 2 && isConstant(n.inputs().get(0)) && shapes.containsKey(n.inputs().get(1))) {
      return n.inputs().get(1);
    }
    if (n.inputs().isEmpty() || isConstant(n.inputs().get(0)) || !shapes.containsKey(n.inputs().get(0))) {
      throw fail(node(n) + " does not take the network's running tensor as its first input");
    }
    if (n.outputs().isEmpty()) throw fail(node(n) + " has no output");
    return n.inputs().get(0);
  }

  /** Writes {@code name: call // onnx: ...}, records the output's shape and the layer's weights. */
  private String layer(OnnxNode n, Body body, String call, int[] outShape, Map<String, Tensor> weights) {
    return layer(List.of(n), body, call, outShape, weights, null);
  }

  private String layer(List<OnnxNode> nodes, Body body, String call, int[] outShape, Map<String, Tensor> weights, String weightName) {
    OnnxNode first = nodes.get(0), last = nodes.get(nodes.size() - 1);
    for (int d : outShape) if (d <= 0) throw fail(node(first) + " gives an empty output " + dims(outShape));
    String name = names.forNode(first, weightName);
    body.lines.add(name + ": " + call + comment(nodes));
    if (weights != null) weights.forEach((role, t) -> body.weights.put(name + "." + role, t));
    body.layers++;
    String out = last.outputs().get(0);
    shapes.put(out, outShape);
    return out;
  }

  /**
   * A Dropout must be in inference mode, where it is the identity: in training mode it drops values at
   * random, which an inference network does not compute. From opset 12 its training_mode (input 3) must
   * be absent or a constant false. (Dropout-1 and -6, which chose by is_test, are of opsets the reader
   * refuses.)
   */
  private void requireInference(OnnxNode n) {
    if (n.inputs().size() < 3 || n.inputs().get(2).isEmpty()) return;
    String mode = n.inputs().get(2);
    OnnxTensor t = model.initializers().get(mode);
    if (t == null) {
      throw unsupportedAttributes(n, "its training_mode " + OnnxReader.quote(mode) + " is computed; netc runs inference only, with training_mode a constant false");
    }
    long[] v = t.longs();
    if (v == null || v.length != 1) throw unsupportedAttributes(n, "its training_mode " + OnnxReader.quote(mode) + " is not one bool");
    if (v[0] != 0) throw unsupportedAttributes(n, "its training_mode " + OnnxReader.quote(mode) + " is true; netc runs inference only");
  }

  private String removed(OnnxNode n, String x, Body body) {
    return removed(n, x, body, "removed: the identity at inference");
  }

  /** A Dropout or Identity removed, the comment saying {@code why}; refused where its mask output is used. */
  private String removed(OnnxNode n, String x, Body body, String why) {
    if (usesExtraOutputs(n)) throw unsupportedAttributes(n, "its mask output is used; netc runs inference only");
    return removedAs(n, x, body, why);
  }

  /**
   * Whether an output of {@code n} past its first (a Dropout's mask, a MaxPool's indices, a
   * BatchNormalization's running statistics) is read, by a node or as the graph's output. One left
   * empty, or named and read by nothing (as exporters write them), needs no value: the layer netc
   * writes computes the first output only.
   */
  private boolean usesExtraOutputs(OnnxNode n) {
    for (int i = 1; i < n.outputs().size(); i++) {
      String o = n.outputs().get(i);
      if (!o.isEmpty() && (consumers.containsKey(o) || o.equals(output))) return true;
    }
    return false;
  }

  /** A node that writes no layer: a comment line saying {@code why}; its output is {@code x} under another name. */
  private String removedAs(OnnxNode n, String x, Body body, String why) {
    body.lines.add("// onnx: " + BadInputException.oneLine(traced(n)) + " " + why);
    String out = n.outputs().get(0);
    shapes.put(out, shapes.get(x));
    return out;
  }

  /**
   * An Expand of one value a channel ([C, 1, 1]) to a map's shape, used only by a Mul: the Mul
   * broadcasts it the same, so it is no layer ({@code x * y.expand_as(x)}, a squeeze-and-excitation).
   */
  private String expand(OnnxNode n, String x, int[] in, Body body) {
    String out = n.outputs().get(0);
    List<OnnxNode> next = out.equals(output) ? List.of() : consumers.getOrDefault(out, List.of());
    OnnxNode mul = next.size() == 1 ? next.get(0) : null;
    boolean byMul = mul != null && mul.is("Mul") && mul.inputs().size() == 2 && isPooled(in);
    String other = byMul ? mul.inputs().get(mul.inputs().get(0).equals(out) ? 1 : 0) : null;
    int[] map = other == null ? null : shapes.get(other);
    long[] target = byMul && n.inputs().size() > 1 && map != null && map.length == 3 ? shapeValues.value(n.inputs().get(1)) : null;
    boolean same = target != null && target.length == 4 && (target[0] == ShapeValues.BATCH || target[0] == 1) && target[1] == in[0];
    for (int i = 2; same && i < 4; i++) same = target[i] == map[i - 1] || target[i] == 1;
    if (!same) {
      throw unsupportedAttributes(n, "netc expresses an Expand of one value a channel to the shape of the map a Mul multiplies it by, and nothing else");
    }
    return removedAs(n, x, body, "removed: the Mul after it broadcasts the same");
  }

  /**
   * Pad with zeros around the height and width. Folded into the padding of the Conv after it, or of
   * an unpadded AveragePool (how torch exports AvgPool2d with count_include_pad=True: netc's avgpool
   * counts padded zeros, and the fold is taken only when it gives the same output size), when the
   * Pad's output goes there only; otherwise a pad layer. An empty Pad is dropped.
   */
  private String pad(OnnxNode n, String x, int[] in, Body body) {
    String mode = stringAttr(n, "mode", "constant");
    // from opset 11 an input, which torch computes from its own order (see ShapeValues); before, an attribute.
    // The other opset's form is refused, as onnx.checker and onnxruntime refuse it, not read
    if (model.opset() >= 11 && (n.attribute("pads") != null || n.attribute("value") != null)) {
      throw unsupportedAttributes(n, "Pad's pads and value are inputs from opset 11, not attributes (the model's opset is " + model.opset() + ")");
    }
    if (model.opset() < 11 && n.inputs().stream().skip(1).anyMatch(i -> !i.isEmpty())) {
      throw unsupportedAttributes(n, "Pad's pads and value are attributes before opset 11, not inputs (the model's opset is " + model.opset() + ")");
    }
    long[] pads = n.inputs().size() > 1 && !n.inputs().get(1).isEmpty() ? shapeValues.value(n.inputs().get(1)) : longsAttr(n, "pads", new long[0]);
    if (n.inputs().size() > 3 && !n.inputs().get(3).isEmpty()) throw unsupportedAttributes(n, "netc pads all axes, without an axes input");
    // what ONNX Runtime refuses is refused before an all-zero Pad is dropped as an identity
    if (!List.of("constant", "reflect", "edge", "wrap").contains(mode)) throw unsupportedAttributes(n, "Pad's mode " + mode + " is not an ONNX mode");
    if (pads.length != 2 * (in.length + 1)) {
      throw unsupportedAttributes(n, "Pad's pads has " + pads.length + " values where its input of " + (in.length + 1) + " axes needs "
          + 2 * (in.length + 1));
    }
    if (Arrays.stream(pads).allMatch(p -> p == 0)) return removed(n, x, body);
    // the fill value: an input from opset 11, the value attribute before
    boolean zeros = mode.equals("constant") && (n.inputs().size() < 3 || n.inputs().get(2).isEmpty() || isZero(n.inputs().get(2)))
        && floatAttr(n, "value", 0f) == 0f;
    boolean spatial = in.length == 3 && pads.length == 8 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0
        && Arrays.stream(pads).allMatch(p -> p >= 0 && p <= MAX_PAD);
    if (!zeros || !spatial) {
      String value = !mode.equals("constant") || zeros ? "" : ", value " + (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()
          ? padValue(n.inputs().get(2)) : floatAttr(n, "value", 0f));
      throw unsupportedAttributes(n, "netc pads with zeros around the height and width only (mode " + mode + value + ", pads "
          + Arrays.toString(pads) + ")");
    }
    long[] hw = {pads[2], pads[3], pads[6], pads[7]};
    List<OnnxNode> next = n.outputs().get(0).equals(output) ? List.of() : dataConsumers(n.outputs().get(0));
    if (next.size() == 1 && consumers.get(n.outputs().get(0)).size() == 1 && foldsPad(next.get(0), in, hw)) {
      if (!emitted.add(next.get(0))) throw fail(node(next.get(0)) + " is reached again from its own output: the graph has a cycle");
      return next.get(0).opType().equals("Conv") ? conv(next.get(0), n, hw, in, body) : pool(next.get(0), n, hw, in, body);
    }
    int[] out = {in[0], (int) (in[1] + hw[0] + hw[2]), (int) (in[2] + hw[1] + hw[3])};
    return layer(n, body, "pad([" + hw[0] + ", " + hw[1] + ", " + hw[2] + ", " + hw[3] + "])", out, null);
  }

  /** The most padding of one side: far past any image, small enough that sums of a few stay in an int. */
  private static final long MAX_PAD = 1 << 20;

  /**
   * Whether {@code next} can take the zeros of a Pad as its own padding: a Conv always (it reads
   * padding as zeros); an AveragePool without pads of its own when the output size stays (ceil mode
   * counts the last window against the unpadded input); never a MaxPool, whose padding is -infinity.
   */
  private boolean foldsPad(OnnxNode next, int[] in, long[] hw) {
    if (!next.domain().isEmpty()) return false;
    if (next.opType().equals("Conv")) return autoPad(next).equals("NOTSET");
    if (!next.opType().equals("AveragePool") || !autoPad(next).equals("NOTSET")) return false;
    long[] own = longsAttr(next, "pads", new long[4]), kernel = longsAttr(next, "kernel_shape", null);
    long[] strides = longsAttr(next, "strides", new long[] {1, 1});
    if (kernel == null || kernel.length != 2 || strides.length != 2 || Arrays.stream(own).anyMatch(p -> p != 0)) return false;
    if (kernel[0] < 2 * Math.max(hw[0], hw[2]) || kernel[1] < 2 * Math.max(hw[1], hw[3])) return false; // past the pool's padding limit
    boolean ceil = intAttr(next, "ceil_mode", 0) != 0;
    for (int i = 0; i < 2; i++) {
      long padded = in[i + 1] + hw[i] + hw[i + 2];
      if (kernel[i] <= 0 || strides[i] <= 0 || padded < kernel[i]) return false;
      if (outSize(in[i + 1], kernel[i], strides[i], hw[i], hw[i + 2], 1, ceil) != outSize((int) padded, kernel[i], strides[i], 0, 0, 1, ceil)) return false;
    }
    return true;
  }

  /**
   * Clip: its bounds are attributes before opset 11, constant inputs from it; a bound left out (or
   * infinite) is unbounded. The other opset's form is refused, not read as no bounds.
   */
  private String clip(OnnxNode n, String x, int[] in, Body body) {
    Float min, max;
    boolean attributes = n.attribute("min") != null || n.attribute("max") != null;
    boolean inputs = n.inputs().stream().skip(1).anyMatch(i -> !i.isEmpty());
    if (model.opset() >= 11 && attributes) {
      throw unsupportedAttributes(n, "Clip's bounds are inputs from opset 11, not attributes (the model's opset is " + model.opset() + ")");
    }
    if (model.opset() < 11 && inputs) {
      throw unsupportedAttributes(n, "Clip's bounds are attributes before opset 11, not inputs (the model's opset is " + model.opset() + ")");
    }
    if (model.opset() < 11) {
      min = bound(n, typed(n, "min", OnnxAttribute.FLOAT) == null ? null : n.attribute("min").f(), true);
      max = bound(n, typed(n, "max", OnnxAttribute.FLOAT) == null ? null : n.attribute("max").f(), false);
    } else {
      min = bound(n, clipInput(n, 1, "min"), true);
      max = bound(n, clipInput(n, 2, "max"), false);
    }
    if (min != null && Float.isNaN(min) || max != null && Float.isNaN(max)) throw unsupportedAttributes(n, "a bound is NaN");
    if (min == null && max == null) return removed(n, x, body);
    // min above max: every output is max, as ONNX defines it (min(max(x, min), max)) and ONNX Runtime computes it; netc's clip
    // refuses such bounds, so both become max
    if (min != null && max != null && min > max) min = max;
    String call = "clip(" + (min == null ? "" : "min = " + number(min)) + (min != null && max != null ? ", " : "")
        + (max == null ? "" : "max = " + number(max)) + ")";
    return layer(n, body, call, in, null);
  }

  private Float clipInput(OnnxNode n, int index, String role) {
    if (n.inputs().size() <= index || n.inputs().get(index).isEmpty()) return null;
    OnnxTensor t = constant(n, n.inputs().get(index), role);
    if (t.size() != 1) throw fail(node(n) + ": its " + role + " has " + t.size() + " values; Clip takes one");
    return t.floats()[0];
  }

  /**
   * A clip bound as netc writes it: null for none, a lower one at -FLT_MAX or -inf or an upper one at
   * FLT_MAX or inf (exporters write -FLT_MAX for "none"). One at the other end of float's range (a min of
   * FLT_MAX, a max of -inf) would make every output that value, and is refused: it was dropped as "none".
   */
  private Float bound(OnnxNode n, Float v, boolean lower) {
    if (v == null || (lower ? v <= -Float.MAX_VALUE : v >= Float.MAX_VALUE)) return null;
    if (Float.isInfinite(v) || Math.abs(v) == Float.MAX_VALUE) {
      throw unsupportedAttributes(n, (lower ? "its min " : "its max ") + v + " makes every output " + v + "; netc clips to bounds within float's range");
    }
    return v;
  }

  /** A Pad's value input as a message gives it: its value where it is one constant, else its name. */
  private String padValue(String name) {
    OnnxTensor t = model.initializers().get(name);
    if (t != null && t.floats() != null && t.floats().length == 1) return String.valueOf(t.floats()[0]);
    return OnnxReader.quote(name);
  }

  private boolean isZero(String name) {
    OnnxTensor t = model.initializers().get(name);
    if (t == null) return false;
    if (t.floats() != null) for (float v : t.floats()) if (v != 0) return false;
    if (t.longs() != null) for (long v : t.longs()) if (v != 0) return false;
    return true;
  }

  /** Conv; {@code padNode} (or null) is a Pad in front whose zeros {@code prePad} [top, left, bottom, right] add to its padding. */
  private String conv(OnnxNode n, OnnxNode padNode, long[] prePad, int[] in, Body body) {
    requireRank(n, in, 3);
    OnnxTensor w = weight(n, 1, "weight", 4);
    OnnxTensor b = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? weight(n, 2, "bias", 1) : null;
    int out = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
    long groups = intAttr(n, "group", 1);
    long[] strides = longsAttr(n, "strides", new long[] {1, 1}), dilations = longsAttr(n, "dilations", new long[] {1, 1});
    long[] kernel = longsAttr(n, "kernel_shape", new long[] {kh, kw});
    if (strides.length != 2 || dilations.length != 2 || kernel.length != 2 || kernel[0] != kh || kernel[1] != kw) {
      throw unsupportedAttributes(n, "netc's conv is 2-d, with kernel_shape equal to the weight's " + kh + "x" + kw);
    }
    if (groups <= 0 || groups > in[0] || in[0] % groups != 0 || out % groups != 0 || (long) w.shape()[1] * groups != in[0]) {
      throw fail(node(n) + ": weight " + dims(w.dims()) + " with group=" + groups + " does not fit " + in[0] + " input channels");
    }
    if (b != null && b.size() != out) throw fail(node(n) + ": bias has " + b.size() + " values for " + out + " output channels");
    positive(n, strides, "strides");
    positive(n, dilations, "dilations");
    long[] pads = pads(n, in, kernel, strides, dilations);
    if (prePad != null) for (int i = 0; i < 4; i++) pads[i] += prePad[i];
    int oh = outSize(in[1], kh, strides[0], pads[0], pads[2], dilations[0], false);
    int ow = outSize(in[2], kw, strides[1], pads[1], pads[3], dilations[1], false);
    StringBuilder call = new StringBuilder("conv(").append(out).append(", ").append(pair(kh, kw));
    if (strides[0] != 1 || strides[1] != 1) call.append(", stride = ").append(pair(strides[0], strides[1]));
    if (Arrays.stream(pads).anyMatch(p -> p != 0)) call.append(", padding = ").append(padding(pads));
    if (groups != 1) call.append(", groups = ").append(groups);
    if (dilations[0] != 1 || dilations[1] != 1) call.append(", dilation = ").append(pair(dilations[0], dilations[1]));
    if (b == null) call.append(", bias = false");
    Map<String, Tensor> weights = new LinkedHashMap<>();
    weights.put("weight", new Tensor(w.shape(), w.floats()));
    if (b != null) weights.put("bias", new Tensor(new int[] {out}, b.floats()));
    return layer(padNode == null ? List.of(n) : List.of(padNode, n), body, call.append(")").toString(), new int[] {out, oh, ow}, weights,
        n.inputs().get(1));
  }

  private String batchnorm(OnnxNode n, int[] in, Body body) {
    if (in.length != 1) requireRank(n, in, 3); // a map's channels, or flat features (nn.BatchNorm1d after a Linear)
    if (intAttr(n, "training_mode", 0) != 0) throw unsupportedAttributes(n, "netc runs batch norm in inference mode");
    // before opset 9, spatial = 0 gave each value of a channel its own statistics ([C, H, W] parameters): read as one a
    // channel, [C] parameters were a different normalization than the model's, without a word
    if (intAttr(n, "spatial", 1) != 1) throw unsupportedAttributes(n, "netc normalizes each channel as a whole (spatial = 1)");
    // before opset 14 the outputs past the first are what make a batch norm train: it then normalizes
    // with the batch's own statistics, and torch.onnx.export writes all five for a model left in train
    // mode; read as inference, its answers would differ without a word. Empty names are absent outputs,
    // as ONNX reads them (onnxruntime counts them too, so it would call ["y", "", ""] training)
    if (model.opset() < 14 && n.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
      throw unsupportedAttributes(n, "it has outputs past the first, which before opset 14 make it train (normalizing with the batch's own"
          + " statistics: a model exported in train mode); netc runs batch norm in inference mode: export the model in eval mode");
    }
    if (usesExtraOutputs(n)) throw unsupportedAttributes(n, "its running mean and variance outputs are used; netc runs batch norm in inference mode");
    Map<String, Tensor> weights = new LinkedHashMap<>();
    String[] roles = {"weight", "bias", "running_mean", "running_var"};
    for (int i = 0; i < roles.length; i++) {
      OnnxTensor t = weight(n, i + 1, roles[i], -1);
      if (t.size() != in[0]) throw fail(node(n) + ": " + roles[i] + " has " + t.size() + " values for " + in[0] + " channels");
      weights.put(roles[i], new Tensor(new int[] {in[0]}, t.floats()));
    }
    float eps = floatAttr(n, "epsilon", 1e-5f);
    // 0 is legal in ONNX (onnxruntime and torch divide by the bare variance): kept, and a zero variance refused with the weights
    if (!(eps >= 0) || !Float.isFinite(eps)) throw unsupportedAttributes(n, "epsilon must be a positive number or 0");
    // the language's default (1e-5, ONNX's and torch's too) left out: DenseNet's 120 batch norms each said it
    return layer(List.of(n), body, eps == 1e-5f ? "batchnorm()" : "batchnorm(eps = " + number(eps) + ")", in, weights, n.inputs().get(1));
  }

  /** MaxPool or AveragePool; {@code padNode} (or null) is a Pad in front that gave {@code prePad} [top, left, bottom, right] zeros. */
  private String pool(OnnxNode n, OnnxNode padNode, long[] prePad, int[] in, Body body) {
    requireRank(n, in, 3);
    long[] kernel = longsAttr(n, "kernel_shape", null);
    if (kernel == null || kernel.length != 2) throw unsupportedAttributes(n, "netc's pooling is 2-d with a kernel_shape");
    long[] strides = longsAttr(n, "strides", new long[] {1, 1});
    long[] dilations = longsAttr(n, "dilations", new long[] {1, 1});
    boolean ceil = intAttr(n, "ceil_mode", 0) != 0;
    if (strides.length != 2) throw unsupportedAttributes(n, "strides must have 2 values");
    if (dilations.length != 2 || dilations[0] != 1 || dilations[1] != 1) throw unsupportedAttributes(n, "netc's pooling has no dilation");
    // storage_order says how the Indices output counts (row or column major): refused with that output where it is used
    if (usesExtraOutputs(n)) throw unsupportedAttributes(n, "its indices output is used; netc's max pooling returns no indices");
    boolean avg = n.opType().equals("AveragePool");
    positive(n, strides, "strides");
    positive(n, kernel, "kernel_shape");
    long[] pads = pads(n, in, kernel, strides, dilations);
    if (prePad != null) pads = prePad; // foldsPad checked the pool has none of its own
    for (int i = 0; i < 4; i++) {
      if (2 * pads[i] > kernel[i % 2]) throw unsupportedAttributes(n, "netc's pooling pads at most half the kernel on each side (pads " + Arrays.toString(pads) + ")");
    }
    boolean padded = Arrays.stream(pads).anyMatch(p -> p != 0);
    // ONNX's default is count_include_pad=0; it changes the divisor only where a window meets padding or overhangs in ceil mode
    boolean excludePad = avg && prePad == null && intAttr(n, "count_include_pad", 0) == 0 && (padded || ceil);
    int oh = outSize(in[1], kernel[0], strides[0], pads[0], pads[2], 1, ceil), ow = outSize(in[2], kernel[1], strides[1], pads[1], pads[3], 1, ceil);
    String call = (avg ? "avgpool(" : "maxpool(") + pair(kernel[0], kernel[1]) + ", stride = " + pair(strides[0], strides[1])
        + (padded ? ", padding = " + padding(pads) : "") + (ceil ? ", ceil_mode = true" : "")
        + (excludePad ? ", count_include_pad = false" : "") + ")";
    return layer(padNode == null ? List.of(n) : List.of(padNode, n), body, call, new int[] {in[0], oh, ow}, null, null);
  }

  /** A Reshape to [batch, features] is a flatten; the target shape may be computed from Shape(x). */
  private String reshape(OnnxNode n, String x, int[] in, Body body) {
    if (n.inputs().size() < 2) throw fail(node(n) + " has no shape input");
    long[] target = shapeValues.value(n.inputs().get(1));
    ShapeValues.refuseZeroSizeReshape(n, target, typed(n, "allowzero", OnnxAttribute.INT), this::fail);
    if (target.length == 5 && in.length == 3) return channelShuffle(n, in, target, body);
    long features = size(in);
    if (!flatTarget(target, features, fixedBatch)) {
      throw unsupportedAttributes(n, "netc expresses a Reshape to [batch, " + features + "] (a flatten), not to " + ShapeValues.shown(target));
    }
    if (isPooled(in) && returnsToMap(n.outputs().get(0))) return keptPooled(n, x, body);
    if (in.length == 1) return removedAs(n, x, body, "removed: its input is [batch, " + features + "] already");
    return layer(n, body, "flatten()", new int[] {(int) features}, null);
  }

  /**
   * Squeeze of a pooled map's height and width ([batch, C, 1, 1] to [batch, C]), the flatten it is: of both in one node
   * ({@code torch.squeeze(x, (2, 3))}), or of one axis and then, by the only node reading it, of the other ({@code
   * x.squeeze(-1).squeeze(-1)}: the rank-3 tensor between is no layer). Any other Squeeze of the running tensor, and one
   * without axes (at batch 1 it takes the batch too), is refused.
   */
  private String squeeze(OnnxNode n, String x, int[] in, Body body) {
    long[] axes = shapeValues.axes(n);
    long[] spatial = axes == null ? null : Arrays.stream(axes).map(a -> a < 0 ? a + in.length + 1 : a).sorted().toArray();
    OnnxNode second = null;
    if (isPooled(in) && spatial != null && spatial.length == 1 && (spatial[0] == 2 || spatial[0] == 3)) {
      OnnxNode next = only(n.outputs().get(0));
      long[] then = next != null && next.opType().equals("Squeeze") ? shapeValues.axes(next) : null;
      if (then != null && then.length == 1 && (then[0] == 2 || then[0] == -1)) second = next; // the axis left, of a rank-3 tensor
    }
    if (second != null) {
      if (!emitted.add(second)) throw fail(node(second) + " is reached again from its own output: the graph has a cycle");
      String between = removedAs(n, x, body, "squeezes axis " + spatial[0] + ", and " + OnnxReader.quote(second.name()) + " the other: a flatten");
      if (returnsToMap(second.outputs().get(0))) return keptPooled(second, between, body);
      return layer(second, body, "flatten()", new int[] {in[0]}, null);
    }
    if (!isPooled(in) || spatial == null || !Arrays.equals(spatial, new long[] {2, 3})) {
      throw unsupportedAttributes(n, "netc squeezes a pooled map's height and width together (axes [2, 3] of [batch, C, 1, 1]), not axes "
          + (axes == null ? "all" : Arrays.toString(axes)) + " of [batch, " + Arrays.stream(in).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(", ")) + "]");
    }
    if (returnsToMap(n.outputs().get(0))) return keptPooled(n, x, body);
    return layer(n, body, "flatten()", new int[] {in[0]}, null);
  }

  /**
   * The graph input's batch size where the model fixes it (torch.onnx.export without dynamic axes: [1, 3, 224, 224]),
   * else 0. Such a model's flatten may be a Reshape to the constant [1, -1] (x.view(1, -1), or x.view(x.size(0), -1)
   * with the shape folded), which is the same flatten at that batch.
   */
  private long fixedBatch;

  /**
   * Whether a Reshape to {@code target} keeps the batch first and the {@code features} of each image
   * flat: [batch, 0 or the model's fixed batch, -1 or features], or [-1, features].
   */
  /**
   * Whether a Reshape target's first value keeps the batch: the batch size itself (a dynamic one, as shape values carry
   * it), 0 (copy the dim), or the model's fixed batch (an export with input [1, 3, 224, 224] and its shapes folded writes
   * [1, C, 1, 1] for a gate and [1, 2, 58, 28, 28] for a shuffle, refused before, where the dynamic forms imported).
   */
  private boolean batchFirst(long v) {
    return v == ShapeValues.BATCH || v == 0 || fixedBatch > 0 && v == fixedBatch;
  }

  private static boolean flatTarget(long[] target, long features, long fixedBatch) {
    boolean batchFirst = target.length == 2 && (target[0] == ShapeValues.BATCH || target[0] == 0 || fixedBatch > 0 && target[0] == fixedBatch);
    return target.length == 2 && ((batchFirst && (target[1] == -1 || target[1] == features)) || (target[0] == -1 && target[1] == features));
  }

  // ---- channels last: ConvNeXt's blocks ----------------------------------------------------------

  /**
   * A node on a tensor of {@link #held}: a Gemm or MatMul (+ Add) as a 1x1 conv, an activation as
   * itself (the output held alike); over a channels-last tensor also ONNX's LayerNormalization over
   * the last axis as layernorm, and the Transpose back (perm [0, 3, 1, 2]) as nothing; over a gate's
   * vector the Reshape or Unsqueezes back to [batch, C, 1, 1] as nothing.
   */
  private String heldLayer(OnnxNode n, String x, int[] in, Held h, Body body) {
    String out = switch (n.opType()) {
      case "Gemm" -> {
        // ONNX's Gemm takes a matrix: on a channels-last map or a vector unsqueezed past [batch, C] the model is
        // invalid (onnx.checker and onnxruntime refuse it), not a Linear layer
        if (h.channelsLast() || h.onnxRank() != 2) {
          throw unsupportedAttributes(n, "Gemm takes a matrix ([batch, features]), and its input here is at ONNX rank " + h.onnxRank()
              + (h.channelsLast() ? "; a Linear layer over the last axis of a larger tensor is a MatMul" : "; a Linear layer of a gate runs before its Unsqueeze"));
        }
        yield gemm(n, new int[] {in[0]}, body);
      }
      case "MatMul" -> matmul(n, new int[] {in[0]}, h.onnxRank(), body);
      case "Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Clip", "Gelu", "Dropout", "Identity", "Cast" -> emitKnown(n, x, in, body);
      case "LayerNormalization" -> {
        long axis = intAttr(n, "axis", -1);
        if (!h.channelsLast() || axis != -1 && axis != 3) {
          throw unsupportedAttributes(n, "netc normalizes a map over its channels (the last axis channels last)");
        }
        Map<String, Tensor> weights = new LinkedHashMap<>();
        weights.put("weight", new Tensor(new int[] {in[0]}, perChannel(n, 1, in[0], 1f)));
        weights.put("bias", new Tensor(new int[] {in[0]}, perChannel(n, 2, in[0], 0f)));
        yield layer(List.of(n), body, "layernorm(eps = " + number(finite(n, "epsilon", floatAttr(n, "epsilon", 1e-5f))) + ")", in, weights, null);
      }
      case "Transpose" -> {
        if (!h.channelsLast() || !Arrays.equals(longsAttr(n, "perm", null), new long[] {0, 3, 1, 2})) {
          throw unsupportedAttributes(n, "netc transposes a channels-last tensor only back to channels first (perm [0, 3, 1, 2])");
        }
        yield back(n, x, body, "back to channels first", null);
      }
      case "Reshape", "Unsqueeze" -> {
        if (h.channelsLast()) throw heldMisuse(n, x, in, h);
        yield vectorBack(n, x, in, h.onnxRank(), body);
      }
      default -> throw heldMisuse(n, x, in, h);
    };
    if (!n.opType().equals("Transpose") && !n.opType().equals("Reshape") && !n.opType().equals("Unsqueeze")) held.put(out, h);
    return out;
  }

  /** One message for a node {@link #heldLayer} does not run on a held tensor. */
  private NetcException heldMisuse(OnnxNode n, String x, int[] in, Held h) {
    return h.channelsLast()
        ? fail(node(n) + " computes on a channels-last tensor " + OnnxReader.quote(x)
            + "; netc runs Linear layers (MatMul), activations and layer norms over its channels, then a Transpose back")
        : fail(node(n) + " computes on a gate's vector (" + OnnxReader.quote(x) + ", " + in[0]
            + " values an image); netc's gate path runs Linear layers and activations on it, then a Reshape or Unsqueeze back to [batch, "
            + in[0] + ", 1, 1]");
  }

  /** A node that ends (or, at ONNX rank {@code rank} below 4, still continues) a held section: no layer. */
  private String back(OnnxNode n, String x, Body body, String why, Held still) {
    String out = removedAs(n, x, body, why);
    if (still != null) held.put(out, still);
    return out;
  }

  /** Input {@code i} of {@code n}: a constant of {@code c} values, or {@code absent} for each when the input is left out. */
  private float[] perChannel(OnnxNode n, int i, int c, float absent) {
    if (n.inputs().size() <= i || n.inputs().get(i).isEmpty()) {
      float[] v = new float[c];
      Arrays.fill(v, absent);
      return v;
    }
    constant(n, n.inputs().get(i), i == 1 ? "scale" : "bias"); // a float initializer, or refused by name
    // the same rule as the exported pattern's weight: one value a channel along the last axis ([C, 1, 1] would run along the height)
    return lastAxisConstant(n, n.inputs().get(i), c, i == 1 ? "scale" : "bias");
  }

  /**
   * torch's layer_norm over the last axis as it exports before opset 17, on a channels-last tensor:
   * ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, and Mul by the weight, Add the bias
   * (either order; both left out without an affine): one layernorm. Null when the fork is not that.
   */
  private String layerNorm(String x, List<OnnxNode> forks, Body body) {
    if (forks.size() != 2 || !held.containsKey(x) || !held.get(x).channelsLast()) return null;
    int[] in = shapes.get(x);
    for (int i = 0; i < 2; i++) {
      OnnxNode mean = forks.get(i), sub = forks.get(1 - i);
      if (!isLastAxisMean(mean, x) || !isOp(sub, "Sub") || !sub.inputs().get(0).equals(x)) continue;
      if (!sub.inputs().get(1).equals(mean.outputs().get(0))) continue;
      String centered = sub.outputs().get(0);
      List<OnnxNode> uses = consumers.getOrDefault(centered, List.of());
      if (uses.size() != 2 || centered.equals(output)) continue;
      OnnxNode pow = uses.get(isOp(uses.get(0), "Pow") ? 0 : 1), div = uses.get(pow == uses.get(0) ? 1 : 0);
      if (!isOp(pow, "Pow") || !pow.inputs().get(0).equals(centered) || !isScalar(pow.inputs().get(1), 2)) continue;
      OnnxNode var = soleConsumer(pow.outputs().get(0));
      if (var == null || !isLastAxisMean(var, pow.outputs().get(0))) continue;
      OnnxNode addEps = soleConsumer(var.outputs().get(0));
      String epsName = addEps != null && isOp(addEps, "Add") ? otherInput(addEps, var.outputs().get(0)) : null;
      OnnxTensor eps = epsName == null ? null : model.initializers().get(epsName);
      if (eps == null || !eps.isFloat() || eps.size() != 1 || !(eps.floats()[0] > 0) || !Float.isFinite(eps.floats()[0])) continue;
      OnnxNode sqrt = soleConsumer(addEps.outputs().get(0));
      if (sqrt == null || !sqrt.is("Sqrt") || soleConsumer(sqrt.outputs().get(0)) != div) continue;
      if (!isOp(div, "Div") || !div.inputs().get(0).equals(centered) || !div.inputs().get(1).equals(sqrt.outputs().get(0))) continue;
      List<OnnxNode> nodes = new ArrayList<>(List.of(mean, sub, pow, var, addEps, sqrt, div));
      float[] weight = new float[in[0]], bias = new float[in[0]];
      Arrays.fill(weight, 1f);
      OnnxNode scale = soleConsumer(div.outputs().get(0));
      String w = scale != null && isOp(scale, "Mul") ? otherInput(scale, div.outputs().get(0)) : null;
      if (w != null && isConstant(w)) {
        weight = lastAxisConstant(scale, w, in[0], "weight");
        nodes.add(scale);
        OnnxNode shift = soleConsumer(scale.outputs().get(0));
        String b = shift != null && isOp(shift, "Add") ? otherInput(shift, scale.outputs().get(0)) : null;
        if (b != null && isConstant(b)) {
          bias = lastAxisConstant(shift, b, in[0], "bias");
          nodes.add(shift);
        }
      }
      for (OnnxNode n : nodes) if (!emitted.add(n)) throw fail(node(n) + " is reached again from its own output: the graph has a cycle");
      Map<String, Tensor> weights = new LinkedHashMap<>();
      weights.put("weight", new Tensor(new int[] {in[0]}, weight));
      weights.put("bias", new Tensor(new int[] {in[0]}, bias));
      return layer(nodes, body, "layernorm(eps = " + number(eps.floats()[0]) + ")", in, weights, w);
    }
    return null;
  }

  /**
   * The values of the constant {@code name} that node {@code n} multiplies or adds to a layer norm's
   * channels-last output: one a channel, of dims [C] or [1, ..., 1, C] (rank 4 at most), which ONNX
   * broadcasts along the last axis. Its size alone is not enough: a [C, 1, 1] broadcasts along the
   * height, the same count of values where H is C, another network; refused by name, as any other.
   */
  private float[] lastAxisConstant(OnnxNode n, String name, int c, String role) {
    OnnxTensor t = model.initializers().get(name);
    long[] d = t.dims();
    if (!t.isFloat() || d.length < 1 || d.length > 4 || d[d.length - 1] != c || t.size() != c) {
      throw fail(node(n) + ": the layer norm's " + role + " " + OnnxReader.quote(name) + " is " + t.typeName() + " of shape " + dims(d)
          + "; netc takes a float constant of one value a channel, [" + c + "] or [1, ..., 1, " + c + "] (ONNX broadcasts it along the"
          + " last axis, the channels)");
    }
    return t.floats().clone();
  }

  /** A ReduceMean of {@code t} over its last axis only, keeping it (the mean of each pixel's channels when t is channels last). */
  private boolean isLastAxisMean(OnnxNode n, String t) {
    if (!n.is("ReduceMean") || n.inputs().isEmpty() || n.outputs().isEmpty()) return false;
    if (!n.inputs().get(0).equals(t)) return false;
    long[] axes = reduceAxes(n);
    return axes != null && axes.length == 1 && (axes[0] == -1 || axes[0] == 3) && intAttr(n, "keepdims", 1) == 1;
  }

  /**
   * An Add, Sub, Mul or Div of the running tensor by a constant of one value, or of one value a
   * channel: y = x * scale + shift per channel (ConvNeXt's layer scale, a Mul; a shift or scale
   * inside a network). It is written as a batchnorm of weight scale, bias shift, mean 0 and variance
   * 1, so that FoldBatchNorm folds it into a conv before it as it folds any batch norm. Its eps is
   * 1e-30: 1 + 1e-30 is 1 in double, so the batchnorm's scale is exactly the constant's value (the
   * interpreter and the weight packing both take sqrt(var + eps) in double). The constant may come
   * first for Add and Mul, which commute, and for Sub: c - x is (-1) * x + c; c / x is no scale and
   * shift, refused by name.
   */
  private String affine(OnnxNode n, String x, int[] in, Body body) {
    String other = otherInput(n, x);
    boolean constantFirst = !n.inputs().get(0).equals(x);
    OnnxTensor g = n.inputs().size() == 2 && isConstant(other) ? model.initializers().get(other) : null;
    String op = n.opType();
    if (g == null) {
      throw fail(node(n) + " " + verb(op) + " a computed tensor; netc " + verb(op) + " a constant of one value or one a channel, "
          + (op.equals("Mul") ? "or by a gate computed from it, " : "") + "or joins two paths from one tensor" + (op.equals("Add") ? " (a residual)" : ""));
    }
    if (op.equals("Div") && constantFirst) {
      throw fail(node(n) + " divides the constant " + OnnxReader.quote(other) + " by the running tensor (c / x), which is no scale and shift of it; "
          + "netc divides a tensor by a constant (x / c)");
    }
    if (!g.isFloat()) throw fail(node(n) + ": its constant " + OnnxReader.quote(other) + " is " + g.typeName() + ", not a float type");
    int c = in[0];
    float[] k = affineConstant(n, g, in);
    float[] scale = new float[c], shift = new float[c];
    for (int ch = 0; ch < c; ch++) {
      float v = k[k.length == 1 ? 0 : ch];
      if (!Float.isFinite(v)) {
        throw fail(node(n) + ": its constant " + OnnxReader.quote(other) + " is " + v + (k.length == 1 ? "" : " in channel " + ch) + "; netc "
            + verb(op) + " finite values");
      }
      if (op.equals("Div") && v == 0) {
        throw fail(node(n) + " divides by its constant " + OnnxReader.quote(other) + ", which is 0" + (k.length == 1 ? "" : " in channel " + ch));
      }
      // x / c as x * (1 / c): 1 / c rounded once to float32, a relative error of at most 2^-24 beside
      // the division's own rounding, far inside the 1e-4 x max|logit| the compiled networks are held to
      ScaleShift a = ScaleShift.of(op, constantFirst, v);
      scale[ch] = (float) a.scale();
      shift[ch] = (float) a.shift();
      if (!Float.isFinite(scale[ch])) {
        throw fail(node(n) + " divides by its constant " + OnnxReader.quote(other) + ", " + v + (k.length == 1 ? "" : " in channel " + ch)
            + ", so small that 1 / it is beyond float32's range");
      }
    }
    return layer(List.of(n), body, "batchnorm(eps = 1.0E-30)", in, scaleShiftWeights(scale, shift), other);
  }

  /** A scale and shift a channel as a batchnorm's weights: weight scale, bias shift, mean 0, variance 1 (see {@link #affine}). */
  private static Map<String, Tensor> scaleShiftWeights(float[] scale, float[] shift) {
    int c = scale.length;
    float[] zeros = new float[c], ones = new float[c];
    Arrays.fill(ones, 1);
    Map<String, Tensor> weights = new LinkedHashMap<>();
    weights.put("weight", new Tensor(new int[] {c}, scale));
    weights.put("bias", new Tensor(new int[] {c}, shift));
    weights.put("running_mean", new Tensor(new int[] {c}, zeros));
    weights.put("running_var", new Tensor(new int[] {c}, ones));
    return weights;
  }

  /**
   * The layer of {@link #channelsApart}'s nodes: their scale and shift a channel as a batchnorm (as {@link #affine} writes
   * one), named after the Concat that joins the channels again; refused by name where a composed value is no finite float.
   */
  private String scaleShiftLayer(List<OnnxNode> nodes, OnnxNode concat, ScaleShift[] a, int[] shape, Body body) {
    float[] scale = new float[a.length], shift = new float[a.length];
    for (int ch = 0; ch < a.length; ch++) {
      scale[ch] = (float) a[ch].scale();
      shift[ch] = (float) a[ch].shift();
      if (!Float.isFinite(scale[ch]) || !Float.isFinite(shift[ch])) {
        throw fail(node(concat) + ": the scale and shift of channel " + ch + " before it (" + describe(nodes) + ") is " + a[ch].scale() + " and "
            + a[ch].shift() + "; netc scales and shifts by finite float32 values");
      }
    }
    String name = names.forNode(concat, null);
    body.lines.add(name + ": batchnorm(eps = 1.0E-30)" + comment(nodes));
    scaleShiftWeights(scale, shift).forEach((role, t) -> body.weights.put(name + "." + role, t));
    body.layers++;
    String out = concat.outputs().get(0);
    shapes.put(out, shape);
    return out;
  }

  /**
   * The values of an Add/Sub/Mul/Div's constant {@code g} on a tensor of per-image shape {@code in}:
   * one value, or one a channel: [C, 1, 1] or [1, C, 1, 1] on a map, [F] or [1, F] on a flat tensor
   * (its last axis is its features). ONNX aligns a constant's last axis with the tensor's, so on a map
   * a [C] broadcasts along the width, not the channels: refused, as any other shape.
   */
  private float[] affineConstant(OnnxNode n, OnnxTensor g, int[] in) {
    float[] v = channelValues(g, in);
    if (v == null) {
      throw fail(node(n) + " " + verb(n.opType()) + " a constant of shape " + dims(g.dims()) + " on a tensor of shape " + dims(in)
          + " (without the batch); netc takes one value, or one value a " + (in.length == 1 ? "feature ([F] or [1, F])"
              : in.length == 3 ? "channel ([C, 1, 1] or [1, C, 1, 1]; a [C] broadcasts along the width)" : "channel, on a map or a flat tensor"));
    }
    return v;
  }

  /**
   * The values of constant {@code g} broadcast on a tensor of per-image shape {@code in}, if they are one
   * value or one a channel (feature) as ONNX aligns them (its last axis with the tensor's): their floats,
   * one or C of them; else null. The one rule for the scale and shift and for the input's normalization.
   */
  private static float[] channelValues(OnnxTensor g, int[] in) {
    long[] d = g.dims();
    int rank = in.length + 1; // with the batch
    int featureAxis = in.length == 3 ? d.length - 3 : d.length - 1; // the constant's axis aligned with the channels (features)
    boolean fits = d.length <= rank && (in.length == 3 || in.length == 1);
    boolean one = g.size() == 1, perChannel = featureAxis >= 0 && d[featureAxis] == in[0] && g.size() == in[0];
    return fits && (one || perChannel) ? g.floats() : null;
  }

  /**
   * y = x * scale + shift: what an Add, Sub, Mul or Div of x by a constant value does to x, the one
   * arithmetic of {@link #affine} (a node) and {@link #normalization} (a run of them in front).
   */
  private record ScaleShift(double scale, double shift) {
    static final ScaleShift IDENTITY = new ScaleShift(1, 0);

    /** x op v, or v op x when {@code constantFirst} (c + x, c - x = -x + c, c * x); null for c / x, no scale and shift of x. */
    static ScaleShift of(String op, boolean constantFirst, double v) {
      return switch (op) {
        case "Add" -> new ScaleShift(1, v);
        case "Sub" -> constantFirst ? new ScaleShift(-1, v) : new ScaleShift(1, -v);
        case "Mul" -> new ScaleShift(v, 0);
        default -> constantFirst ? null : new ScaleShift(1 / v, 0);
      };
    }

    /** This, then {@code next}. */
    ScaleShift then(ScaleShift next) {
      return new ScaleShift(scale * next.scale, shift * next.scale + next.shift);
    }
  }

  /** What an Add, Sub, Mul or Div does, for messages. */
  private static String verb(String op) {
    return switch (op) {
      case "Add" -> "adds";
      case "Sub" -> "subtracts";
      case "Mul" -> "multiplies by";
      default -> "divides by";
    };
  }

  // ---- channels: ShuffleNet's split and shuffle ----------------------------------------------------

  /**
   * A Slice of a map along the channels (axis 1), steps 1: {@code channels(start, end)}; torch exports
   * {@code x.chunk(2, dim=1)} so, with the split points computed from the shape. Starts and ends are
   * inputs from opset 10, attributes before; ONNX clamps them to the axis.
   */
  private String slice(OnnxNode n, int[] in, Body body) {
    requireRank(n, in, 3);
    boolean inputs = model.opset() >= 10;
    long[] starts = inputs ? sliceInput(n, 1) : longsAttr(n, "starts", null), ends = inputs ? sliceInput(n, 2) : longsAttr(n, "ends", null);
    boolean axesGiven = n.inputs().size() > 3 && !n.inputs().get(3).isEmpty();
    long[] axes = inputs ? (axesGiven ? shapeValues.value(n.inputs().get(3)) : null) : longsAttr(n, "axes", null);
    long[] steps = inputs && n.inputs().size() > 4 && !n.inputs().get(4).isEmpty() ? shapeValues.value(n.inputs().get(4)) : null;
    boolean channels = starts != null && ends != null && starts.length == 1 && ends.length == 1
        && axes != null && axes.length == 1 && (axes[0] == 1 || axes[0] == -3) && (steps == null || steps.length == 1 && steps[0] == 1);
    if (!channels) {
      throw unsupportedAttributes(n, "netc slices a range of channels (axis 1, step 1), not starts " + Arrays.toString(starts) + ", ends "
          + Arrays.toString(ends) + ", axes " + Arrays.toString(axes) + (steps == null ? "" : ", steps " + Arrays.toString(steps)));
    }
    // clamped as a negative index, the batch size would read as 0; before opset 10 the bounds are attributes, INT64_MIN one of them
    if (inputs && (starts[0] == ShapeValues.BATCH || ends[0] == ShapeValues.BATCH)) {
      throw fail(node(n) + " slices channels " + (starts[0] == ShapeValues.BATCH ? "from" : "to") + " the batch size, which netc leaves open");
    }
    long c = in[0], from = Math.max(0, Math.min(c, starts[0] < 0 ? starts[0] + c : starts[0]));
    long to = Math.max(0, Math.min(c, ends[0] < 0 ? ends[0] + c : ends[0]));
    if (to <= from) throw fail(node(n) + " slices channels [" + from + ", " + to + ") of " + c + ": no channels");
    return layer(n, body, "channels(" + from + ", " + to + ")", new int[] {(int) (to - from), in[1], in[2]}, null);
  }

  /**
   * One output of a Split along the channels ({@link #splitParts}): {@code channels(start, end)}. The
   * sizes are an input from opset 13, an attribute before (the other opset's form is refused, not
   * read as an equal split); without them the channels split in equal parts (the last smaller when
   * they do not divide, as opset 18 says).
   */
  private String split(OnnxNode n, int[] in, Body body) {
    requireRank(n, in, 3);
    int[] part = splitParts.get(n);
    long axis = intAttr(n, "axis", 0);
    if (part == null || (axis != 1 && axis != -3)) throw unsupportedAttributes(n, "netc splits a map along its channels (axis 1) into several outputs");
    boolean fromInput = n.inputs().size() > 1 && !n.inputs().get(1).isEmpty();
    if (model.opset() >= 13 && n.attribute("split") != null) {
      throw unsupportedAttributes(n, "Split's sizes are an input from opset 13, not an attribute (the model's opset is " + model.opset() + ")");
    }
    if (model.opset() < 13 && fromInput) {
      throw unsupportedAttributes(n, "Split's sizes are an attribute before opset 13, not an input (the model's opset is " + model.opset() + ")");
    }
    long[] sizes = fromInput ? shapeValues.value(n.inputs().get(1)) : longsAttr(n, "split", null);
    if (sizes == null && model.opset() < 18 && in[0] % part[1] != 0) {
      throw unsupportedAttributes(n, "before opset 18 a Split without sizes splits evenly, and " + in[0] + " channels do not split into "
          + part[1] + " equal parts (the model's opset is " + model.opset() + ")");
    }
    if (sizes == null) {
      long each = (in[0] + part[1] - 1) / part[1];
      sizes = new long[part[1]];
      for (int i = 0; i < part[1]; i++) sizes[i] = Math.max(0, Math.min(each, in[0] - i * each));
    }
    long sum = 0, start = 0;
    boolean positive = sizes.length == part[1];
    for (int i = 0; i < sizes.length && positive; i++) {
      positive = sizes[i] > 0 && sizes[i] <= in[0];
      sum += sizes[i];
      if (i < part[0]) start += sizes[i];
    }
    if (!positive || sum != in[0]) {
      throw unsupportedAttributes(n, "its sizes " + Arrays.toString(sizes) + " do not split " + in[0] + " channels into " + part[1] + " non-empty parts");
    }
    return layer(n, body, "channels(" + start + ", " + (start + sizes[part[0]]) + ")", new int[] {(int) sizes[part[0]], in[1], in[2]}, null);
  }

  private long[] sliceInput(OnnxNode n, int i) {
    if (n.inputs().size() <= i || n.inputs().get(i).isEmpty()) throw fail(node(n) + " has no " + (i == 1 ? "starts" : "ends") + " input");
    return shapeValues.value(n.inputs().get(i));
  }

  /**
   * torch's channel_shuffle as it exports: a Reshape of [batch, C, H, W] to [batch, g, C / g, H, W],
   * a Transpose swapping those two axes, a Reshape back to [batch, C, H, W]: {@code channel_shuffle(g)}.
   * {@code n} is the first Reshape; the three nodes must follow one another alone.
   */
  private String channelShuffle(OnnxNode n, int[] in, long[] target, Body body) {
    String message = "netc expresses a Reshape to 5 axes only as the first of a channel shuffle (Reshape to [batch, groups, C / groups, H, W], "
        + "Transpose with perm [0, 2, 1, 3, 4], Reshape to [batch, C, H, W])";
    // one -1 among the two channel axes is the other's quotient (x.view(b, groups, -1, h, w))
    long groups = target[1], each = target[2];
    if (groups == -1 && each > 0 && in[0] % each == 0) groups = in[0] / each;
    else if (each == -1 && groups > 0 && in[0] % groups == 0) each = in[0] / groups;
    boolean split = batchFirst(target[0]) && groups > 0 && each > 0 && groups * each == in[0]
        && target[3] == in[1] && target[4] == in[2];
    OnnxNode transpose = split ? only(n.outputs().get(0)) : null;
    long[] perm = transpose == null || !transpose.opType().equals("Transpose") ? null : longsAttr(transpose, "perm", null);
    OnnxNode back = perm != null && Arrays.equals(perm, new long[] {0, 2, 1, 3, 4}) ? only(transpose.outputs().get(0)) : null;
    long[] to = back != null && back.opType().equals("Reshape") && back.inputs().size() > 1 ? shapeValues.value(back.inputs().get(1)) : null;
    if (to != null) ShapeValues.refuseZeroSizeReshape(back, to, typed(back, "allowzero", OnnxAttribute.INT), this::fail);
    boolean whole = to != null && to.length == 4 && (batchFirst(to[0]) || to[0] == -1 && to[1] == in[0])
        && (to[1] == in[0] || to[1] == -1) && to[2] == in[1] && to[3] == in[2];
    if (!whole) throw unsupportedAttributes(n, message);
    if (!emitted.add(transpose) || !emitted.add(back)) throw fail(node(back) + " is reached again from its own output: the graph has a cycle");
    return layer(List.of(n, transpose, back), body, "channel_shuffle(" + groups + ")", in, null, null);
  }

  /** The one node that reads {@code t} (a Shape of it aside), or null: a channel shuffle's nodes follow one another alone. */
  private OnnxNode only(String t) {
    List<OnnxNode> next = t.equals(output) ? List.of() : dataConsumers(t);
    return next.size() == 1 && next.get(0).domain().isEmpty() && !next.get(0).inputs().isEmpty() && next.get(0).inputs().get(0).equals(t)
        ? next.get(0) : null;
  }

  // ---- a gate's vector section ---------------------------------------------------------------------

  /** One value a channel, [C, 1, 1]. */
  private static boolean isPooled(int[] shape) {
    return shape.length == 3 && shape[1] == 1 && shape[2] == 1;
  }

  /**
   * Whether the flat tensor {@code t} ([batch, C], from a pooled map) goes, one node after another
   * and through layers that compute on a vector (and Reshapes that keep it [batch, K]), to a Reshape
   * or Unsqueeze back to a map: the
   * squeeze-and-excitation senet.pytorch and many hand-written models use ({@code
   * fc(avgpool(x).view(b, c)).view(b, c, 1, 1)}). Those layers then compute the same on [C, 1, 1],
   * a Linear as a 1x1 conv, and the gate's path stays in the language's gate.
   */
  private boolean returnsToMap(String t) {
    for (int steps = 0; steps < consumers.size() + 1 && !t.equals(output); steps++) {
      List<OnnxNode> next = consumers.getOrDefault(t, List.of());
      if (next.size() != 1 || !next.get(0).domain().isEmpty() || next.get(0).outputs().isEmpty()) return false;
      OnnxNode n = next.get(0);
      if (!n.inputs().get(0).equals(t) && !n.opType().equals("Add")) return false;
      switch (n.opType()) {
        case "Reshape" -> {
          // one to two axes, the batch first, keeps [batch, K] (a classifier's logits reshaped at the end): no way back;
          // whether its K fits, the Reshape checks where it is written
          long[] target = n.inputs().size() < 2 ? null : shapeValues.valueIfKnown(n.inputs().get(1));
          boolean flat = target != null && target.length == 2 && (batchFirst(target[0]) || target[0] == -1 && target[1] > 0);
          if (!flat) return true; // whether to [batch, C, 1, 1]: vectorBack checks, with a message when not
          t = n.outputs().get(0);
        }
        case "Unsqueeze" -> {
          return true;
        }
        case "Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Clip", "Dropout", "Identity" -> {
          if (n.opType().equals("Add") && !(n.inputs().size() == 2 && (isConstant(n.inputs().get(0)) || isConstant(n.inputs().get(1))))) return false;
          t = n.outputs().get(0);
        }
        default -> {
          return false;
        }
      }
    }
    return false;
  }

  /** A Flatten or Reshape of a pooled map into the vector section of a gate: no layer, the tensor stays [C, 1, 1]. */
  private String keptPooled(OnnxNode n, String x, Body body) {
    return back(n, x, body, "kept as " + dims(shapes.get(x)) + ": its Linear layers compute as 1x1 convs", Held.VECTOR);
  }

  /** The Reshape or Unsqueeze of a gate's vector (at ONNX rank {@code rank}) back to [batch, C, 1, 1]: no layer. */
  private String vectorBack(OnnxNode n, String x, int[] in, int rank, Body body) {
    int to;
    if (n.opType().equals("Reshape")) {
      long[] target = n.inputs().size() < 2 ? null : shapeValues.value(n.inputs().get(1));
      if (target != null) ShapeValues.refuseZeroSizeReshape(n, target, typed(n, "allowzero", OnnxAttribute.INT), this::fail);
      if (rank == 2 && target != null && flatTarget(target, in[0], fixedBatch)) return back(n, x, body, "keeps [batch, " + in[0] + "]", Held.VECTOR);
      boolean back = target != null && (target.length == 3 || target.length == 4)
          && (batchFirst(target[0]) && (target[1] == in[0] || target[1] == -1) || target[0] == -1 && target[1] == in[0])
          && Arrays.stream(target, 2, target.length).allMatch(d -> d == 1);
      if (!back) {
        throw unsupportedAttributes(n, "netc expresses a Reshape of a gate's vector of " + in[0] + " back to [batch, " + in[0] + ", 1, 1], not to "
            + (target == null ? "an unknown shape" : ShapeValues.shown(target)));
      }
      to = target.length;
    } else {
      long[] axes = shapeValues.axes(n); // the other opset's form refused by name, as in shape computations
      int outRank = rank + (axes == null ? 0 : axes.length);
      boolean trailing = axes != null && axes.length > 0 && outRank <= 4
          && Arrays.stream(axes).map(a -> a < 0 ? a + outRank : a).allMatch(a -> a >= 2 && a < outRank)
          && Arrays.stream(axes).map(a -> a < 0 ? a + outRank : a).distinct().count() == axes.length; // repeated axes: an invalid Unsqueeze
      if (!trailing) {
        throw unsupportedAttributes(n, "netc expresses an Unsqueeze of a gate's vector that adds trailing axes (to [batch, C, 1, 1]), not axes "
            + (axes == null ? "none" : Arrays.toString(axes)));
      }
      to = outRank;
    }
    return to == 4 ? back(n, x, body, "back to [batch, " + in[0] + ", 1, 1]", null)
        : back(n, x, body, "on the way back to [batch, C, 1, 1]", new Held(false, to));
  }

  /** A held tensor ({@link #held}) that reaches a join or the output, at node {@code n}: its ONNX shape is not the spec's there. */
  private NetcException stillHeld(OnnxNode n) {
    Held h = held.get(n.outputs().get(0));
    return h.channelsLast()
        ? fail(node(n) + " leaves a tensor channels last; netc joins and outputs maps channels first, after a Transpose back (perm [0, 3, 1, 2])")
        : fail(node(n) + " leaves a gate's vector at ONNX rank " + h.onnxRank()
            + "; netc's gate multiplies a map by a vector brought back to [batch, C, 1, 1]");
  }

  private String gemm(OnnxNode n, int[] in, Body body) {
    requireRank(n, in, 1);
    if (intAttr(n, "transA", 0) != 0) throw unsupportedAttributes(n, "transA=1 is not supported");
    OnnxTensor b = weight(n, 1, "weight", 2);
    boolean transB = intAttr(n, "transB", 0) != 0;
    int out = transB ? b.shape()[0] : b.shape()[1], k = transB ? b.shape()[1] : b.shape()[0];
    if (k != in[0]) throw fail(node(n) + ": weight " + dims(b.dims()) + (transB ? " (transB=1)" : "") + " does not fit " + in[0] + " input features");
    float alpha = floatAttr(n, "alpha", 1f), beta = floatAttr(n, "beta", 1f);
    float[] w = transB ? b.floats().clone() : transpose(b.floats(), k, out);
    if (alpha != 1f) for (int i = 0; i < w.length; i++) w[i] *= alpha;
    float[] bias = null;
    if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
      bias = biasVector(n, n.inputs().get(2), out, 2);
      if (beta != 1f) for (int i = 0; i < bias.length; i++) bias[i] *= beta;
    }
    return fc(List.of(n), body, w, bias, out, k, n.inputs().get(1));
  }

  /**
   * MatMul by a [features, out] constant, with a following Add of a constant as its bias, on features at
   * ONNX rank {@code rank}: [batch, F] (2), or a held tensor's (channels last: 4).
   */
  private String matmul(OnnxNode n, int[] in, int rank, Body body) {
    requireRank(n, in, 1);
    OnnxTensor b = weight(n, 1, "weight", 2);
    int k = b.shape()[0], out = b.shape()[1];
    if (k != in[0]) throw fail(node(n) + ": weight " + dims(b.dims()) + " does not fit " + in[0] + " input features");
    List<OnnxNode> next = dataConsumers(n.outputs().get(0));
    if (next.size() == 1 && next.get(0).is("Add") && next.get(0).inputs().size() == 2
        && !n.outputs().get(0).equals(output)) {
      OnnxNode add = next.get(0);
      String other = add.inputs().get(0).equals(n.outputs().get(0)) ? add.inputs().get(1) : add.inputs().get(0);
      if (isConstant(other)) {
        emitted.add(add);
        return fc(List.of(n, add), body, transpose(b.floats(), k, out), biasVector(add, other, out, rank), out, k, n.inputs().get(1));
      }
    }
    return fc(List.of(n), body, transpose(b.floats(), k, out), null, out, k, n.inputs().get(1));
  }

  /**
   * A Gemm or MatMul (+ Add) layer, {@code w} [out][k]: fc, or a 1x1 conv over a map the spec keeps
   * as one (a gate's vector section, {@link #returnsToMap}, or a channels-last tensor).
   */
  private String fc(List<OnnxNode> nodes, Body body, float[] w, float[] bias, int out, int k, String weightName) {
    String input = nodes.get(0).inputs().get(0);
    boolean map = held.containsKey(input);
    int[] in = shapes.get(input);
    Map<String, Tensor> weights = new LinkedHashMap<>();
    weights.put("weight", new Tensor(map ? new int[] {out, k, 1, 1} : new int[] {out, k}, w));
    if (bias != null) weights.put("bias", new Tensor(new int[] {out}, bias));
    String call = (map ? "conv(" + out + ", 1" : "fc(" + out) + (bias == null ? ", bias = false" : "") + ")";
    return layer(nodes, body, call, map ? new int[] {out, in[1], in[2]} : new int[] {out}, weights, weightName);
  }

  /**
   * A Linear layer's bias on an output at ONNX rank {@code rank} ([batch, out]: 2; channels last: 4): one
   * value, or one an output along the last axis ([out], [1, out], ... [1, 1, 1, out]), of at most that
   * rank: a bias of more axes, even of one value, would broadcast the output to more.
   */
  private float[] biasVector(OnnxNode n, String name, int out, int rank) {
    OnnxTensor c = constant(n, name, "bias");
    long[] d = c.dims();
    float[] v = new float[out];
    boolean leadingOnes = Arrays.stream(d, 0, Math.max(0, d.length - 1)).allMatch(x -> x == 1);
    if (c.size() == 1 && d.length <= rank) Arrays.fill(v, c.floats()[0]);
    else if (c.size() == out && d.length >= 1 && d.length <= rank && d[d.length - 1] == out && leadingOnes) v = c.floats().clone();
    else throw fail(node(n) + ": bias " + dims(d) + " does not fit " + out + " outputs (netc takes one value, or one an output along the last axis,"
        + " of at most " + rank + " axes: the output's)");
    return v;
  }

  // ---- input normalization -----------------------------------------------------------------------

  /** y = (x - mean) / std per channel, from the nodes that computed it, and the tensor after them. */
  private record Normalization(double[] mean, double[] std, List<OnnxNode> nodes, String out) {}

  /**
   * Leading Sub/Div/Mul/Add by per-channel constants (x op c, and c + x, c - x, c * x) compose to y = scale * x + shift, which is the
   * input's (x - mean) / std with std = 1 / scale and mean = -shift / scale, when every scale is positive:
   * the longest such run of them, the nodes after it importing as any arithmetic by a constant does (a
   * scale and shift, whose refusals of zero divisors and values that are no number name the node); null
   * if no run is one, and all of them import so.
   */
  private Normalization normalization(String x) {
    int[] in = shapes.get(x);
    int c = in[0];
    ScaleShift[] a = new ScaleShift[c];
    Arrays.fill(a, ScaleShift.IDENTITY);
    List<OnnxNode> nodes = new ArrayList<>();
    Normalization best = null; // the longest run so far that is one
    String t = x;
    while (!t.equals(output)) {
      List<OnnxNode> next = dataConsumers(t);
      ScaleShift[] step = next.size() == 1 ? constantStep(next.get(0), t, in) : null;
      if (step == null) break;
      for (int ch = 0; ch < c; ch++) a[ch] = a[ch].then(step[ch]);
      nodes.add(next.get(0));
      t = next.get(0).outputs().get(0);
      Normalization norm = asNormalization(a, nodes, t);
      if (norm != null) best = norm;
    }
    return best;
  }

  /**
   * {@code n}'s scale and shift of each channel of {@code t} (per-image shape {@code in}): where it is a Sub, Div, Mul or
   * Add of t by a constant of one value or one a channel (x op c, or c + x, c - x, c * x), else null. The leading runs of
   * {@link #normalization} and {@link #channelsApart} are made of such steps.
   */
  private ScaleShift[] constantStep(OnnxNode n, String t, int[] in) {
    if (!Set.of("Sub", "Div", "Mul", "Add").contains(n.opType()) || !n.domain().isEmpty() || n.inputs().size() != 2 || n.outputs().isEmpty()) {
      return null;
    }
    boolean first = n.inputs().get(0).equals(t);
    String other = n.inputs().get(first ? 1 : 0);
    if (!isConstant(other) || (!first && n.opType().equals("Div"))) return null; // c / x is no scale and shift
    double[] k = perChannel(other, in);
    if (k == null) return null;
    ScaleShift[] step = new ScaleShift[k.length];
    for (int ch = 0; ch < k.length; ch++) step[ch] = ScaleShift.of(n.opType(), !first, k[ch]);
    return step;
  }

  /**
   * torchvision's {@code transform_input} (Inception v3 and GoogLeNet with their pretrained weights): each channel taken
   * apart (Gather of index c along axis 1, then Unsqueeze of axis 1; or a Gather of [c], which keeps the axis), scaled and
   * shifted by one value at a time (Mul, Add, Sub, Div), and the channels joined again in their order by one Concat along
   * axis 1. That is a scale and shift a channel, composed into {@code a}, its nodes added to {@code nodes}; returns the
   * Concat's output, or null (nothing added) where the input is not read so: a channel missing, taken twice or out of order
   * (a reordering of the channels is no normalization).
   */
  private String channelsApart(String x, ScaleShift[] a, List<OnnxNode> nodes) {
    int c = a.length;
    List<OnnxNode> gathers = dataConsumers(x);
    if (c < 2 || gathers.size() != c) return null;
    ScaleShift[] found = new ScaleShift[c];
    List<OnnxNode> seen = new ArrayList<>();
    OnnxNode concat = null;
    int[] one = {1, shapes.get(x)[1], shapes.get(x)[2]}; // one channel of the input
    for (OnnxNode g : gathers) {
      if (!g.opType().equals("Gather") || !g.domain().isEmpty() || g.inputs().size() != 2 || !g.inputs().get(0).equals(x)
          || (intAttr(g, "axis", 0) != 1 && intAttr(g, "axis", 0) != -3) || g.outputs().isEmpty()) {
        return null;
      }
      OnnxTensor index = model.initializers().get(g.inputs().get(1));
      // Gather's indices are int32 or int64 (ONNX Runtime refuses others, which the reader would give as longs too)
      if (index == null || (index.dataType() != OnnxReader.INT32 && index.dataType() != OnnxReader.INT64) || index.longs() == null
          || index.size() != 1 || index.dims().length > 1) {
        return null;
      }
      long ch = index.longs()[0] < 0 ? index.longs()[0] + c : index.longs()[0];
      if (ch < 0 || ch >= c || found[(int) ch] != null) return null;
      seen.add(g);
      String t = g.outputs().get(0);
      if (index.dims().length == 0) { // a scalar index drops the axis: an Unsqueeze of axis 1 puts it back
        List<OnnxNode> next = dataConsumers(t);
        if (next.size() != 1 || !next.get(0).opType().equals("Unsqueeze") || !next.get(0).domain().isEmpty()) return null;
        OnnxNode u = next.get(0);
        long[] axes = shapeValues.axes(u);
        if (axes == null || axes.length != 1 || (axes[0] != 1 && axes[0] != -3) || u.outputs().isEmpty()) return null;
        seen.add(u);
        t = u.outputs().get(0);
      }
      ScaleShift s = ScaleShift.IDENTITY;
      while (true) {
        List<OnnxNode> next = dataConsumers(t);
        if (next.size() != 1) return null;
        OnnxNode n = next.get(0);
        if (n.opType().equals("Concat") && n.domain().isEmpty()) {
          long axis = intAttr(n, "axis", 0);
          if ((axis != 1 && axis != -3) || n.inputs().size() != c || !n.inputs().get((int) ch).equals(t) || (concat != null && concat != n)) return null;
          concat = n;
          break;
        }
        ScaleShift[] step = constantStep(n, t, one);
        if (step == null) return null;
        s = s.then(step[0]);
        seen.add(n);
        t = n.outputs().get(0);
      }
      found[(int) ch] = s;
    }
    seen.add(concat);
    for (int ch = 0; ch < c; ch++) a[ch] = a[ch].then(found[ch]);
    nodes.addAll(seen);
    return concat.outputs().get(0);
  }

  /**
   * The run's composed scale and shift as a mean and std, or null if it is none: a sign flip or a zero is
   * no (x - mean) / std; nor are values that are no number (which the scale and shift refuses by name) or
   * a mean, std or 1 / std past float's range (as scales and shifts each node keeps its own constant).
   */
  private static Normalization asNormalization(ScaleShift[] a, List<OnnxNode> nodes, String out) {
    double[] mean = new double[a.length], std = new double[a.length];
    for (int ch = 0; ch < a.length; ch++) {
      double scale = a[ch].scale(), shift = a[ch].shift();
      if (!(scale > 0) || !Double.isFinite(scale) || !Double.isFinite(shift)) return null;
      std[ch] = 1 / scale;
      mean[ch] = -shift / scale;
      // a std input(...) takes (GraphBuilder.stdProblem: one it refuses made a spec the builder then refused); such a
      // scale imports as a scale and shift, refused by name
      if (!Float.isFinite((float) std[ch]) || !Float.isFinite((float) mean[ch]) || GraphBuilder.stdProblem(std[ch]) != null) {
        return null;
      }
    }
    return new Normalization(mean, std, List.copyOf(nodes), out);
  }

  /**
   * A float constant's values per channel of an image tensor of per-image shape {@code in} (one value,
   * [C, 1, 1] or [1, C, 1, 1]: {@link #channelValues}), one for each of its C channels, or null if it is not such.
   */
  private double[] perChannel(String name, int[] in) {
    OnnxTensor t = model.initializers().get(name);
    float[] k = t == null || !t.isFloat() ? null : channelValues(t, in);
    if (k == null) return null;
    double[] v = new double[in[0]];
    for (int ch = 0; ch < v.length; ch++) v[ch] = k[k.length == 1 ? 0 : ch];
    return v;
  }

  // ---- attributes and constants ------------------------------------------------------------------

  private boolean isConstant(String name) {
    return model.initializers().containsKey(name);
  }

  private OnnxTensor constant(OnnxNode n, String name, String role) {
    OnnxTensor t = model.initializers().get(name);
    if (t == null) throw fail(node(n) + ": its " + role + " " + OnnxReader.quote(name) + " is computed; netc needs a constant (an initializer)");
    if (!t.isFloat()) throw fail(node(n) + ": its " + role + " " + OnnxReader.quote(name) + " is " + t.typeName() + ", not a float type");
    return t;
  }

  /** Input {@code index} of {@code n}, a float constant of the given rank (-1: any, 1 value per channel). */
  private OnnxTensor weight(OnnxNode n, int index, String role, int rank) {
    if (n.inputs().size() <= index || n.inputs().get(index).isEmpty()) throw fail(node(n) + " has no " + role + " input");
    OnnxTensor t = constant(n, n.inputs().get(index), role);
    if (rank >= 0 && t.dims().length != rank) throw fail(node(n) + ": its " + role + " has shape " + dims(t.dims()) + ", expected rank " + rank);
    return t;
  }

  private long[] ints(OnnxNode n, String name, String role) {
    OnnxTensor t = model.initializers().get(name);
    if (t == null || t.longs() == null) throw fail(node(n) + ": its " + role + " must be an integer constant");
    return t.longs();
  }

  /**
   * The padding of a conv or pool, [top, left, bottom, right]: explicit pads, or those auto_pad
   * implies (SAME_*: the output is ceil(in / stride), the odd pixel at the end or the beginning).
   */
  private long[] pads(OnnxNode n, int[] in, long[] kernel, long[] strides, long[] dilations) {
    String autoPad = autoPad(n);
    // ONNX allows one or the other, and onnxruntime refuses both: which one the exporter meant is not known
    if (!autoPad.equals("NOTSET") && n.attribute("pads") != null) {
      throw unsupportedAttributes(n, "auto_pad " + autoPad + " and explicit pads together; ONNX takes one or the other");
    }
    long[] pads = longsAttr(n, "pads", new long[4]);
    switch (autoPad) {
      case "NOTSET" -> {}
      case "VALID" -> pads = new long[4];
      case "SAME_UPPER", "SAME_LOWER" -> {
        pads = new long[4];
        for (int i = 0; i < 2; i++) {
          long out = (in[i + 1] + strides[i] - 1) / strides[i];
          long need = (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in[i + 1];
          // a negative need (a stride past the kernel + 1): onnxruntime pads the front by need / 2 (SAME_UPPER) or
          // (need + 1) / 2 (SAME_LOWER), rounded towards 0; below 0, its windows start past the map's first pixel, where 0
          // starts them on it: the same output size, every value from shifted pixels
          long head = autoPad.equals("SAME_UPPER") ? need / 2 : (need + 1) / 2;
          if (head < 0) {
            throw unsupportedAttributes(n, autoPad + " with kernel " + kernel[i] + " and stride " + strides[i] + " on " + in[i + 1]
                + " pixels asks for negative padding (" + need + "), which shifts the windows in onnxruntime; give explicit pads");
          }
          long total = Math.max(0, need);
          long small = total / 2; // the odd pixel goes at the end for SAME_UPPER, at the beginning for SAME_LOWER
          pads[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
          pads[i + 2] = total - pads[i];
        }
      }
      default -> throw unsupportedAttributes(n, "unknown auto_pad " + OnnxReader.quote(autoPad) + " (ONNX's are NOTSET, VALID, SAME_UPPER and SAME_LOWER)");
    }
    if (pads.length != 4) throw unsupportedAttributes(n, "pads must have 4 values");
    for (int i = 0; i < 2; i++) {
      if (pads[i] < 0 || pads[i + 2] < 0) throw unsupportedAttributes(n, "negative padding");
      if (pads[i] > MAX_PAD || pads[i + 2] > MAX_PAD) throw unsupportedAttributes(n, "padding larger than any image");
    }
    return pads.clone();
  }

  /** A conv's or pool's auto_pad: NOTSET where left out or empty (some writers leave it so; onnxruntime reads "" as NOTSET). */
  private String autoPad(OnnxNode n) {
    String autoPad = stringAttr(n, "auto_pad", "NOTSET");
    return autoPad.isEmpty() ? "NOTSET" : autoPad;
  }

  private long intAttr(OnnxNode n, String key, long absent) {
    OnnxAttribute a = typed(n, key, OnnxAttribute.INT);
    return a == null ? absent : a.i();
  }

  private float floatAttr(OnnxNode n, String key, float absent) {
    OnnxAttribute a = typed(n, key, OnnxAttribute.FLOAT);
    return a == null ? absent : a.f();
  }

  private String stringAttr(OnnxNode n, String key, String absent) {
    OnnxAttribute a = typed(n, key, OnnxAttribute.STRING);
    return a == null || a.s() == null ? absent : a.s();
  }

  private long[] longsAttr(OnnxNode n, String key, long[] absent) {
    OnnxAttribute a = typed(n, key, OnnxAttribute.INTS);
    return a == null || a.ints() == null ? absent : a.ints();
  }

  /**
   * Attribute {@code key} of {@code n}, or null; refused when its declared type is another (a stride
   * written as INT reads as no strides, an alpha written as INT as 0: a different network, silently).
   * An attribute without a type (as some old writers left it) has the type of the one field it fills (OnnxReader).
   */
  private OnnxAttribute typed(OnnxNode n, String key, int type) {
    return typed(n, key, type, this::fail);
  }

  /** {@link #typed(OnnxNode, String, int)} with {@code fail} making the message (ShapeValues' too). */
  static OnnxAttribute typed(OnnxNode n, String key, int type, java.util.function.Function<String, NetcException> fail) {
    OnnxAttribute a = n.attribute(key);
    if (a != null && a.type() != type) {
      throw fail.apply(node(n) + " has attribute " + key + " of type " + OnnxAttribute.typeName(a.type()) + "; " + n.opType() + "'s " + key
          + " is " + OnnxAttribute.typeName(type));
    }
    return a;
  }

  // ---- small helpers -----------------------------------------------------------------------------

  private void requireRank(OnnxNode n, int[] in, int rank) {
    if (in.length != rank) {
      throw fail(node(n) + " takes a tensor of shape " + dims(in) + " per image; netc's " + n.opType() + " expects "
          + (rank == 3 ? "channels x height x width" : "a flat vector (flatten first)"));
    }
  }

  private void positive(OnnxNode n, long[] values, String what) {
    for (long v : values) if (v <= 0 || v > Integer.MAX_VALUE) throw unsupportedAttributes(n, what + " must be positive");
  }

  /**
   * torch's output size (as netc's ShapeInference: the quotient rounded down even when negative, so a
   * ceil-mode window less than a stride past the padded input gives one output), 0 when no window
   * fits: the caller reports an empty output.
   */
  private static int outSize(int in, long kernel, long stride, long pad0, long pad1, long dilation, boolean ceil) {
    long span = dilation * (kernel - 1) + 1;
    long out = Math.floorDiv(in + pad0 + pad1 - span + (ceil ? stride - 1 : 0), stride) + 1;
    if (ceil && (out - 1) * stride >= in + pad0) out--;
    return (int) Math.max(0, Math.min(out, Integer.MAX_VALUE));
  }

  /** Padding as the spec writes it: p, [h, w], or [top, left, bottom, right] when asymmetric. */
  private static String padding(long[] p) {
    if (p[0] == p[2] && p[1] == p[3]) return pair(p[0], p[1]);
    return "[" + p[0] + ", " + p[1] + ", " + p[2] + ", " + p[3] + "]";
  }

  private static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
    return t;
  }

  private static long size(int[] shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  private static String pair(long h, long w) {
    return h == w ? Long.toString(h) : "[" + h + ", " + w + "]";
  }

  /**
   * A finite number as the language reads it (digits '.' digits, an exponent; a minus sign in
   * front): Java's shortest round-trip form of the float. Callers have checked it is finite.
   */
  private static String number(float v) {
    return (v < 0 ? "-" : "") + Float.toString(Math.abs(v));
  }

  private float finite(OnnxNode n, String what, float v) {
    if (!Float.isFinite(v)) throw unsupportedAttributes(n, what + " is not a finite number");
    return v;
  }

  private static double[] doubles(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static String list(double[] v) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) b.append(i == 0 ? "" : ", ").append(number((float) v[i]));
    return b.append(']').toString();
  }

  /**
   * A node as a spec's comment traces it: its name and op, "/features/conv (Conv)"; the op left out where the name
   * ends with it, as torch names a node by its module path and op ("/layer1/layer1.0/conv1/Conv"); one without a name by
   * the tensor it writes.
   */
  private static String traced(OnnxNode n) {
    String name = n.name().isEmpty() ? n.label() : n.name();
    return n.name().endsWith("/" + n.opType()) || n.name().equals(n.opType()) ? name : name + " (" + n.opType() + ")";
  }

  private static String comment(List<OnnxNode> nodes) {
    StringBuilder b = new StringBuilder("  // onnx: ");
    for (int i = 0; i < nodes.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(traced(nodes.get(i)));
    }
    return BadInputException.oneLine(b.toString()); // a name with a line break must not end the comment
  }

  private static String dims(long[] d) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < d.length; i++) b.append(i == 0 ? "" : ", ").append(d[i] < 0 ? "?" : Long.toString(d[i]));
    return b.append(']').toString();
  }

  private static String dims(int[] d) {
    return Arrays.toString(d);
  }

  private static String describe(List<OnnxNode> nodes) {
    List<String> s = new ArrayList<>();
    for (OnnxNode n : nodes) s.add(n == null ? "the output" : n.describe());
    return String.join(", ", s);
  }

  private static String node(OnnxNode n) {
    return "node " + n.describe();
  }

  private NetcException unsupported(OnnxNode n) {
    // escaped here, as the message will be (escaping is idempotent), so the lengths below are the printed ones
    String what = BadInputException.oneLine(node(n) + (n.domain().isEmpty() ? "" : " of domain " + OnnxReader.quote(n.domain())) + attributes(n));
    String tail = ": netc does not support this operator; it imports " + String.join(", ", SUPPORTED) + " (README.md's \"Commands\" gives each pattern)";
    // the message is cut past 2,000 characters: a long name or many attributes shorten, so the list stays whole
    int room = Math.max(100, 1990 - BadInputException.oneLine(model.fileName()).length() - 2 - tail.length());
    if (what.length() > room) {
      int end = room - 40, escape = what.lastIndexOf('\\', end - 1);
      if (escape >= 0 && end - escape < 6) end = escape; // not inside an escape such as \u202e
      if (Character.isHighSurrogate(what.charAt(end - 1))) end--; // nor between a surrogate pair
      what = what.substring(0, end) + "... (" + (what.length() - end) + " more characters)";
    }
    return fail(what + tail);
  }

  private NetcException unsupportedAttributes(OnnxNode n, String why) {
    return fail(node(n) + attributes(n) + ": " + why);
  }

  private static String attributes(OnnxNode n) {
    if (n.attributes().isEmpty()) return "";
    List<String> s = new ArrayList<>();
    for (OnnxAttribute a : n.attributes().values()) s.add(a.toString());
    java.util.Collections.sort(s);
    return " with " + String.join(", ", s);
  }

  private NetcException fail(String problem) {
    return new NetcException(model.fileName() + ": " + problem); // made one line, once, by NetcException
  }
}
