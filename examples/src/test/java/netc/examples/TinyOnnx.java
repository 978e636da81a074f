package netc.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one-node ONNX models by hand (field numbers of onnx.proto), so that the benchmarks' tests can
 * open real ONNX Runtime sessions without an exported network: y = Relu(x) or Cast(x), x float of a given shape.
 */
final class TinyOnnx {
  private TinyOnnx() {}

  /**
   * A model y = Relu(x) (node "r", opset 13) whose input x has {@code dims}; a negative dimension is
   * symbolic ("N"). Written to {@code file}, which is returned.
   */
  static Path relu(Path file, long... dims) throws IOException {
    return oneNode(file, concat(string(3, "r"), string(4, "Relu")), FLOAT, dims);
  }

  /** A model y = Cast(x, to = INT64) (node "c"): an int64 output, which bench cannot compare and ort-profile never reads. */
  static Path castToInt64(Path file, long... dims) throws IOException {
    byte[] to = concat(string(1, "to"), varint(3, INT64), varint(20, 2)); // AttributeProto: name, i, type INT
    return oneNode(file, concat(string(3, "c"), string(4, "Cast"), field(5, to)), INT64, dims);
  }

  private static final int FLOAT = 1, INT64 = 7; // TensorProto.DataType

  /** A model of one node (its name, op type and attributes in {@code nodeFields}) from x (float, {@code dims}) to y ({@code yElem}). */
  private static Path oneNode(Path file, byte[] nodeFields, int yElem, long... dims) throws IOException {
    byte[] shape = new byte[0];
    for (long d : dims) {
      shape = concat(shape, field(1, d >= 0 ? varint(1, d) : string(2, "N"))); // TensorShapeProto.dim: dim_value or dim_param
    }
    byte[] xType = field(1, concat(varint(1, FLOAT), field(2, shape))); // TypeProto.tensor_type: elem_type, shape
    byte[] yType = field(1, varint(1, yElem));
    byte[] node = concat(string(1, "x"), string(2, "y"), nodeFields);
    byte[] graph = concat(field(1, node), string(2, "tiny"), field(11, concat(string(1, "x"), field(2, xType))),
        field(12, concat(string(1, "y"), field(2, yType))));
    byte[] model = concat(varint(1, 8), field(8, varint(2, 13)), field(7, graph)); // ir_version 8, opset 13, the graph
    Files.write(file, model);
    return file;
  }

  private static byte[] varint(int field, long value) {
    return concat(rawVarint(field << 3), rawVarint(value));
  }

  private static byte[] string(int field, String value) {
    return field(field, value.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] field(int field, byte[] message) {
    return concat(rawVarint(field << 3 | 2), rawVarint(message.length), message);
  }

  private static byte[] rawVarint(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (; (v & ~0x7FL) != 0; v >>>= 7) out.write((int) (v & 0x7F) | 0x80);
    out.write((int) v);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }
}
