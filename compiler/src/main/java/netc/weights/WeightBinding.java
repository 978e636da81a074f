package netc.weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamExpr;
import netc.ir.ParamSource;
import netc.ir.Shape;
import netc.runtime.BadInputException;
import netc.runtime.io.Safetensors;
import netc.runtime.io.TensorSource;

/**
 * Binds a weights file, or tensors made in memory (an imported ONNX model's), to a graph: every raw tensor the graph's parameters read is looked up by its
 * hierarchical name and checked for presence, float dtype and shape, then read and checked for
 * values no trained network has (NaN, infinities, negative batch-norm variances), before anything
 * runs. Every path that uses a weights file (compile, run --reference, bench) binds it here, so the
 * checks happen once for all. Problems are reported together, each naming the tensor.
 */
public final class WeightBinding implements ParamSource {
  private final TensorSource file;
  private final Map<String, float[]> cache = new LinkedHashMap<>();
  private final List<String> unused;

  private WeightBinding(TensorSource file, List<String> unused) {
    this.file = file;
    this.unused = List.copyOf(unused);
  }

  public static WeightBinding bind(Graph graph, Path weights) {
    return bind(graph, Safetensors.read(weights));
  }

  /**
   * Binds {@code file}'s tensors to {@code graph}: a safetensors file, or tensors in memory
   * ({@link TensorSource#of}), checked alike and refused with the same messages.
   */
  public static WeightBinding bind(Graph graph, TensorSource file) {
    Map<String, Shape> needed = requiredTensors(graph);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Shape> need : needed.entrySet()) {
      String problem = fitProblem(file, need.getKey(), need.getValue());
      if (problem != null) problems.add(problem);
    }
    if (!problems.isEmpty()) throw new BadInputException(file.name() + " does not fit " + graph.name() + ": " + summarize(problems));
    List<String> unused = new ArrayList<>();
    for (String name : file.tensors()) {
      // Integer buffers carry no inference state and are ignored; so is a batch norm's num_batches_tracked
      // whatever its dtype (a state_dict converted with {k: v.float()} has it as a float)
      if (!needed.containsKey(name) && file.dtype(name).isFloat() && !name.endsWith(".num_batches_tracked")) unused.add(name);
    }
    // a tensor of a layer the graph has but does not read it (fc.bias where the spec says fc(10, bias = false)): the
    // compiled model would leave it out and compute something else than the weights' model, so no warning will do
    Set<String> layers = new HashSet<>();
    for (String need : needed.keySet()) layers.add(layerOf(need));
    List<String> ofLayers = unused.stream().filter(t -> layers.contains(layerOf(t))).toList();
    if (!ofLayers.isEmpty()) {
      String t = ofLayers.get(0);
      throw new BadInputException(BadInputException.oneLine(file.name() + ": tensor '" + t + "' belongs to layer " + layerOf(t) + ", which the"
          + " spec does not give it (a bias = false where the weights' model has a bias?)" + (ofLayers.size() > 1 ? "; " + (ofLayers.size() - 1)
          + " more such tensor" + (ofLayers.size() == 2 ? "" : "s") : "")));
    }
    // weights made for a deeper network of the family hold every tensor of this one with its shape (resnet34's for
    // resnet18): bound with a warning of their unused tensors, the jar computed a cut-down resnet34. Refused where
    // three things say so: the file's metadata names another network (netc weights init's "network",
    // export_torchvision.py's "arch"), and tensors are left over inside a module whose other tensors the spec uses
    // (layer1.2.* beside layer1.0.*: blocks the spec lacks). A backbone spec without the classifier (fc.* left over,
    // no fc used) still binds, with the warning.
    String meant = file instanceof Safetensors s ? s.metadata().getOrDefault("network", s.metadata().get("arch")) : null;
    if (meant != null && !meant.equals(graph.name())) {
      Set<String> usedModules = new HashSet<>();
      for (String need : needed.keySet()) usedModules.add(module(need));
      List<String> inside = unused.stream().filter(t -> usedModules.contains(module(t))).toList();
      if (!inside.isEmpty()) {
        throw new BadInputException(BadInputException.oneLine(file.name() + " holds the weights of " + meant + " (its metadata says), not of "
            + graph.name() + ": " + inside.size() + " of its tensors lie in modules of this spec's but are not its (" + String.join(", ",
            inside.subList(0, Math.min(3, inside.size()))) + (inside.size() > 3 ? ", ..." : "") + "); compile " + meant + "'s spec with them,"
            + " or give " + graph.name() + "'s weights"));
      }
    }
    WeightBinding binding = new WeightBinding(file, unused);
    binding.readAndCheckValues(needed.keySet(), varianceTensors(graph), zeroEpsilonVariances(graph));
    return binding;
  }

  /**
   * Reads every needed tensor (each is used anyway, and is cached for it) and refuses values that
   * would silently poison the output: one NaN weight makes every logit NaN. All tensors are checked
   * before reporting, so one message lists every bad tensor.
   */
  private void readAndCheckValues(Collection<String> names, Set<String> variances, Set<String> zeroEpsilon) {
    List<String> problems = new ArrayList<>();
    for (String name : names) {
      float[] values = file.floats(name);
      cache.put(name, values);
      String problem = valueProblem(values, variances.contains(name), zeroEpsilon.contains(name));
      if (problem != null) problems.add(name + ": " + problem);
    }
    if (!problems.isEmpty()) throw new BadInputException(file.name() + ": " + summarize(problems));
  }

  /** Why the file's tensor {@code name} cannot be one of {@code expected} shape (missing, not floats, another shape), or null. */
  private static String fitProblem(TensorSource file, String name, Shape expected) {
    Safetensors.Dtype dtype = file.dtype(name);
    if (dtype == null) return "missing tensor '" + name + "' (expected shape " + expected + ")";
    if (!dtype.isFloat()) return "tensor '" + name + "' has dtype " + dtype + ", expected a float type (F32, F16, BF16, F64)";
    if (!Arrays.equals(file.shape(name), expected.dims())) return "tensor '" + name + "' has shape " + dims(file.shape(name)) + ", expected " + expected;
    return null;
  }

  /** What is wrong with a tensor's values, or null: NaN, infinite and (for a variance) negative counts. */
  static String valueProblem(float[] values, boolean variance) {
    return valueProblem(values, variance, false);
  }

  /**
   * {@link #valueProblem(float[], boolean)}, and for a variance a batch norm adds an epsilon of 0 to ({@code
   * zeroEpsilon}: an ONNX model's may be 0), the zeros: 1 / sqrt(0) would make the channel's outputs infinite.
   */
  static String valueProblem(float[] values, boolean variance, boolean zeroEpsilon) {
    long nan = 0, infinite = 0, negative = 0, zero = 0;
    for (float v : values) {
      if (Float.isNaN(v)) nan++;
      else if (Float.isInfinite(v)) infinite++;
      else if (variance && v < 0) negative++;
      else if (variance && zeroEpsilon && v == 0) zero++;
    }
    List<String> kinds = new ArrayList<>();
    if (nan > 0) kinds.add(nan + " NaN");
    if (infinite > 0) kinds.add(infinite + " infinite");
    if (negative > 0) kinds.add(negative + " negative (a variance cannot be)");
    if (zero > 0) kinds.add(zero + " zero (a batch norm of eps = 0 would divide by zero)");
    if (kinds.isEmpty()) return null;
    long bad = nan + infinite + negative + zero;
    String head = bad + " of " + values.length + " values " + (bad == 1 ? "is " : "are ");
    return kinds.size() == 1 ? head + kinds.get(0).substring(kinds.get(0).indexOf(' ') + 1)
        : head + "bad: " + String.join(", ", kinds);
  }

  /**
   * The tensors read as batch-norm variances: a batch norm's running_var, and the variance operand
   * of a folded batch norm (should a graph be bound after the passes).
   */
  static Set<String> varianceTensors(Graph graph) {
    Set<String> out = new HashSet<>();
    for (Node n : graph.nodes()) {
      if (n.op() == Op.BATCHNORM && n.param("running_var") != null) addRefs(n.param("running_var"), out);
      for (ParamExpr p : n.params().values()) addFoldedVariances(p, out);
    }
    return out;
  }

  /** The variance tensors of batch norms whose epsilon is 0, before or after folding. */
  static Set<String> zeroEpsilonVariances(Graph graph) {
    Set<String> out = new HashSet<>();
    for (Node n : graph.nodes()) {
      if (n.op() == Op.BATCHNORM && n.param("running_var") != null && n.attrs().getDouble("eps") == 0) addRefs(n.param("running_var"), out);
      for (ParamExpr p : n.params().values()) addZeroEpsilonVariances(p, out);
    }
    return out;
  }

  private static void addZeroEpsilonVariances(ParamExpr p, Set<String> out) {
    if (p instanceof ParamExpr.BnScaledWeight w && w.eps() == 0) addRefs(w.var(), out);
    if (p instanceof ParamExpr.BnShiftedBias b && b.eps() == 0) addRefs(b.var(), out);
    for (ParamExpr operand : p.operands()) if (operand != null) addZeroEpsilonVariances(operand, out);
  }

  private static void addFoldedVariances(ParamExpr p, Set<String> out) {
    if (p instanceof ParamExpr.BnScaledWeight w) addRefs(w.var(), out);
    if (p instanceof ParamExpr.BnShiftedBias b) addRefs(b.var(), out);
    for (ParamExpr operand : p.operands()) if (operand != null) addFoldedVariances(operand, out);
  }

  private static void addRefs(ParamExpr p, Set<String> out) {
    for (ParamExpr.Ref r : p.refs()) out.add(r.name());
  }

  private static String summarize(List<String> problems) {
    int shown = Math.min(problems.size(), 8);
    return String.join("; ", problems.subList(0, shown)) + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : "");
  }

  /** Every raw tensor the graph reads, with its shape, in graph order. */
  public static Map<String, Shape> requiredTensors(Graph graph) {
    Map<String, Shape> out = new LinkedHashMap<>();
    for (Node n : graph.nodes()) {
      for (ParamExpr p : n.params().values()) for (ParamExpr.Ref r : p.refs()) out.put(r.name(), r.shape());
    }
    return out;
  }

  /** The layer a tensor name belongs to: the name before its role ("layer1.0.conv1" of "layer1.0.conv1.weight"); "" for none. */
  private static String layerOf(String tensor) {
    return tensor.substring(0, Math.max(0, tensor.lastIndexOf('.')));
  }

  /** The metadata key and value that mark a weights file's tensors as random (seeded, not trained). */
  public static final String ORIGIN_KEY = "weights", RANDOM = "random";

  /**
   * Whether the file says its weights are random (seeded, not trained): `netc weights init` and
   * `weights/export_torchvision.py` without --pretrained or --state-dict write "weights": "random" in its metadata.
   * A model compiled from them answers nothing meaningful, which its user should be told.
   */
  public boolean random() {
    return file instanceof Safetensors s && RANDOM.equals(s.metadata().get(ORIGIN_KEY));
  }

  /** The first part of a tensor's name: its top module (layer1 of layer1.2.conv1.weight); the name itself if it has no dot. */
  private static String module(String tensor) {
    int dot = tensor.indexOf('.');
    return dot < 0 ? tensor : tensor.substring(0, dot);
  }

  /** Float tensors in the file that the graph does not use; integer buffers are not listed. */
  public List<String> unused() {
    return unused;
  }

  /** Where the tensors come from: a safetensors file, or tensors in memory. */
  public TensorSource file() {
    return file;
  }

  /** The tensor: read and checked when the binding was made, or now for a tensor the bound graph did not name. */
  @Override
  public synchronized float[] tensor(String name, Shape expected) {
    return cache.computeIfAbsent(name, n -> {
      String fit = fitProblem(file, n, expected); // as the binding checked the graph's tensors
      if (fit != null) throw new BadInputException(file.name() + ": " + fit);
      float[] values = file.floats(n);
      String problem = valueProblem(values, false);
      if (problem != null) throw new BadInputException(file.name() + ": " + n + ": " + problem);
      return values;
    });
  }

  private static String dims(int[] shape) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : "x").append(shape[i]);
    return shape.length == 0 ? "scalar" : b.toString();
  }

}
