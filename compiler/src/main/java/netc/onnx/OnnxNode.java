package netc.onnx;

import java.util.List;
import java.util.Map;

/** One node of an ONNX graph: its op, tensor names in and out (an empty name is an omitted optional input), attributes. */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
    Map<String, OnnxAttribute> attributes) {
  public OnnxNode {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    attributes = Map.copyOf(attributes);
  }

  /**
   * Whether this is the standard ONNX operator {@code op}: that op type in the default domain. Another
   * domain's node of the same name (com.microsoft's, a custom one) may mean anything else.
   */
  public boolean is(String op) {
    return opType.equals(op) && domain.isEmpty();
  }

  public OnnxAttribute attribute(String key) {
    return attributes.get(key);
  }

  /** The node as a message names it: {@code '/layer1/Conv' (Conv)}, or for one without a name {@code unnamed -> 'r1' (Relu)}. */
  public String describe() {
    return label() + " (" + opType + ")";
  }

  /**
   * Its name quoted, or, for a node without one (a name is optional in ONNX, and some exporters leave it out), "unnamed"
   * and the tensor it writes, which is how a reader of the graph finds it: {@code unnamed -> 'r1'}.
   */
  public String label() {
    if (!name.isEmpty()) return "'" + name + "'";
    return outputs.isEmpty() || outputs.get(0).isEmpty() ? "unnamed" : "unnamed -> '" + outputs.get(0) + "'";
  }
}
