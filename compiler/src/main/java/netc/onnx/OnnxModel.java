package netc.onnx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model as read: the main graph's nodes in file order, its initializers (and Constant node
 * values) by name, its inputs and outputs with their shapes, the default domain's opset, and the
 * files read for it (the model and its external data files; none for a model held in memory), which a
 * command must not write over.
 */
public record OnnxModel(Path path, long opset, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers,
    List<ValueInfo> inputs, List<ValueInfo> outputs, List<Path> files) {
  public OnnxModel {
    files = List.copyOf(files);
    nodes = List.copyOf(nodes);
    initializers = Map.copyOf(initializers);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /**
   * A graph input or output: name, element type and dims; a dim is -1 where the file gives a
   * symbol (a dynamic batch, {@code dim_param}) or nothing.
   */
  public record ValueInfo(String name, int elemType, long[] dims) {}

  /** The file's name, as messages show it. */
  public String fileName() {
    return path.toString();
  }
}
