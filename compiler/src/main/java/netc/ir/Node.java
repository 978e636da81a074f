package netc.ir;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation of the graph: immutable, identified by {@code id}, named after the spec layer it
 * came from ({@code layer3.5.conv2}). {@code params} maps a role (weight, bias, ...) to its tensor;
 * {@code origins} lists every spec layer folded into this node, so fusion stays traceable.
 */
public record Node(
    int id,
    Op op,
    String name,
    List<Integer> inputs,
    Attrs attrs,
    Shape shape,
    Map<String, ParamExpr> params,
    List<Origin> origins) {
  public Node {
    inputs = List.copyOf(inputs);
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    origins = List.copyOf(origins);
  }

  public int input(int i) {
    return inputs.get(i);
  }

  public ParamExpr param(String role) {
    return params.get(role);
  }

  public Node withInputs(List<Integer> newInputs) {
    return new Node(id, op, name, newInputs, attrs, shape, params, origins);
  }

  public Node withAttrs(Attrs newAttrs) {
    return new Node(id, op, name, inputs, newAttrs, shape, params, origins);
  }

  public Node withParams(Map<String, ParamExpr> newParams) {
    return new Node(id, op, name, inputs, attrs, shape, newParams, origins);
  }

  public Node withOrigins(List<Origin> newOrigins) {
    return new Node(id, op, name, inputs, attrs, shape, params, newOrigins);
  }

  /** Number of trainable parameters as torchvision counts them (batch-norm running stats excluded). */
  public long parameterCount() {
    long n = 0;
    for (Map.Entry<String, ParamExpr> e : params.entrySet()) {
      if (!e.getKey().startsWith("running_")) n += e.getValue().shape().size();
    }
    return n;
  }
}
