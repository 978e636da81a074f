package netc.onnx;

import java.util.Arrays;
import java.util.List;

/** One attribute of an ONNX node; only the field its {@code type} names is meaningful. */
public record OnnxAttribute(String name, int type, float f, long i, String s, OnnxTensor t, float[] floats, long[] ints) {
  // AttributeProto.AttributeType values (onnx.proto)
  public static final int FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7, STRINGS = 8;

  /** The value as written in a message: {@code pads=[1, 1, 1, 1]}. */
  @Override
  public String toString() {
    String v = switch (type) {
      case FLOAT -> Float.toString(f);
      case INT -> Long.toString(i);
      case STRING -> "\"" + s + "\"";
      case TENSOR -> t == null ? "tensor" : "tensor" + Arrays.toString(t.dims());
      case FLOATS -> Arrays.toString(floats);
      case INTS -> Arrays.toString(ints);
      default -> "<" + typeName(type) + ">";
    };
    return name + "=" + v;
  }

  static String typeName(int type) {
    List<String> names = List.of("UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS",
        "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS");
    return type >= 0 && type < names.size() ? names.get(type) : "type " + type;
  }
}
