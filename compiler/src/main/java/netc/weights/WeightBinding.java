package netc.weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.ParamExpr;
import netc.ir.ParamSource;
import netc.ir.Shape;
import netc.runtime.BadInputException;
import netc.runtime.io.Safetensors;

/**
 * Binds a weights file to a graph: every raw tensor the graph's parameters read is looked up by its
 * hierarchical name and checked for presence, float dtype and shape before anything runs. Problems
 * are reported together, each naming the tensor, what was expected and what was found.
 */
public final class WeightBinding implements ParamSource {
  private final Safetensors file;
  private final Map<String, float[]> cache = new LinkedHashMap<>();
  private final List<String> unused;

  private WeightBinding(Safetensors file, List<String> unused) {
    this.file = file;
    this.unused = List.copyOf(unused);
  }

  public static WeightBinding bind(Graph graph, Path weights) {
    return bind(graph, Safetensors.read(weights));
  }

  public static WeightBinding bind(Graph graph, Safetensors file) {
    Map<String, Shape> needed = requiredTensors(graph);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Shape> need : needed.entrySet()) {
      Safetensors.Entry e = file.entries().get(need.getKey());
      Shape expected = need.getValue();
      if (e == null) {
        problems.add("missing tensor '" + need.getKey() + "' (expected shape " + expected + ")");
      } else if (!e.dtype().isFloat()) {
        problems.add("tensor '" + need.getKey() + "' has dtype " + e.dtype() + ", expected a float type (F32, F16, BF16)");
      } else if (!Arrays.equals(e.shape(), expected.dims())) {
        problems.add("tensor '" + need.getKey() + "' has shape " + dims(e.shape()) + ", expected " + expected);
      }
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 8);
      throw new BadInputException(file.path() + " does not fit " + graph.name() + ": " + String.join("; ", problems.subList(0, shown))
          + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : ""));
    }
    List<String> unused = new ArrayList<>();
    for (Safetensors.Entry e : file.entries().values()) {
      // Integer buffers (num_batches_tracked) carry no inference state and are ignored.
      if (!needed.containsKey(e.name()) && e.dtype().isFloat()) unused.add(e.name());
    }
    return new WeightBinding(file, unused);
  }

  /** Every raw tensor the graph reads, with its shape, in graph order. */
  public static Map<String, Shape> requiredTensors(Graph graph) {
    Map<String, Shape> out = new LinkedHashMap<>();
    for (Node n : graph.nodes()) {
      for (ParamExpr p : n.params().values()) for (ParamExpr.Ref r : p.refs()) out.put(r.name(), r.shape());
    }
    return out;
  }

  /** Float tensors in the file that the graph does not use; integer buffers are not listed. */
  public List<String> unused() {
    return unused;
  }

  public Safetensors file() {
    return file;
  }

  @Override
  public synchronized float[] tensor(String name, Shape expected) {
    return cache.computeIfAbsent(name, file::floats);
  }

  private static String dims(int[] shape) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : "x").append(shape[i]);
    return shape.length == 0 ? "scalar" : b.toString();
  }

}
