package netc.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Writes small ONNX messages by hand (field numbers of onnx.proto), for the reader's and importer's tests. */
public final class OnnxBytes {
  private OnnxBytes() {}

  /** One message's fields. */
  interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  static byte[] message(Fields fields) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      fields.write(out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** ModelProto: ir_version 8, the default opset 13, and the graph. */
  static byte[] model(byte[] graph) {
    return model(graph, 13);
  }

  /** ModelProto: ir_version 8, the default opset {@code opset}, and the graph. */
  static byte[] model(byte[] graph, long opset) {
    return message(out -> {
      out.writeInt64(1, 8);
      out.writeByteArray(8, message(o -> o.writeInt64(2, opset)));
      out.writeByteArray(7, graph);
    });
  }

  /** GraphProto with one float input [batch, c, h, w] named "x" and one output "y". */
  static byte[] graph(List<byte[]> nodes, List<byte[]> initializers, int c, int h, int w) {
    return message(out -> {
      for (byte[] n : nodes) out.writeByteArray(1, n);
      for (byte[] t : initializers) out.writeByteArray(5, t);
      out.writeByteArray(11, valueInfo("x", new long[] {-1, c, h, w}));
      out.writeByteArray(12, valueInfo("y", new long[0]));
    });
  }

  static byte[] valueInfo(String name, long[] dims) {
    byte[] shape = message(out -> {
      for (long d : dims) out.writeByteArray(1, message(o -> {
        if (d >= 0) o.writeInt64(1, d);
        else o.writeString(2, "batch");
      }));
    });
    byte[] tensorType = message(out -> {
      out.writeInt32(1, OnnxReader.FLOAT);
      out.writeByteArray(2, shape);
    });
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(2, message(o -> o.writeByteArray(1, tensorType)));
    });
  }

  static byte[] node(String name, String op, List<String> inputs, List<String> outputs, byte[]... attributes) {
    return message(out -> {
      for (String i : inputs) out.writeString(1, i);
      for (String o : outputs) out.writeString(2, o);
      out.writeString(3, name);
      out.writeString(4, op);
      for (byte[] a : attributes) out.writeByteArray(5, a);
    });
  }

  static byte[] ints(String name, long... values) {
    return message(out -> {
      out.writeString(1, name);
      out.writeInt32(20, OnnxAttribute.INTS);
      for (long v : values) out.writeInt64(8, v);
    });
  }

  static byte[] real(String name, float value) {
    return message(out -> {
      out.writeString(1, name);
      out.writeInt32(20, OnnxAttribute.FLOAT);
      out.writeFloat(2, value);
    });
  }

  static byte[] string(String name, String value) {
    return message(out -> {
      out.writeString(1, name);
      out.writeInt32(20, OnnxAttribute.STRING);
      out.writeString(4, value);
    });
  }

  static byte[] integer(String name, long value) {
    return message(out -> {
      out.writeString(1, name);
      out.writeInt32(20, OnnxAttribute.INT);
      out.writeInt64(3, value);
    });
  }

  /** A float32 tensor in raw_data. */
  static byte[] floats(String name, long[] dims, float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return tensor(name, OnnxReader.FLOAT, dims, out -> out.writeBytes(9, ByteString.copyFrom(b.array())));
  }

  /** A tensor with the given data fields. */
  static byte[] tensor(String name, int type, long[] dims, Fields data) {
    return message(out -> {
      for (long d : dims) out.writeInt64(1, d);
      out.writeInt32(2, type);
      out.writeString(8, name);
      data.write(out);
    });
  }

  /** A tensor stored as external data: location, and offset and length when not null. */
  static byte[] external(String name, long[] dims, String location, String offset, String length) {
    return tensor(name, OnnxReader.FLOAT, dims, out -> {
      out.writeByteArray(13, entry("location", location));
      if (offset != null) out.writeByteArray(13, entry("offset", offset));
      if (length != null) out.writeByteArray(13, entry("length", length));
      out.writeEnum(14, 1);
    });
  }

  private static byte[] entry(String key, String value) {
    return message(out -> {
      out.writeString(1, key);
      out.writeString(2, value);
    });
  }

  /**
   * A model of one 1x1 convolution of a [N, 1, 4, 4] input, its weight (one float) stored as external
   * data in {@code location}, beside the model: for the commands' tests.
   */
  public static byte[] convWithExternalWeight(String location) {
    byte[] conv = node("conv", "Conv", List.of("x", "w"), List.of("y"), ints("kernel_shape", 1, 1));
    return model(graph(List.of(conv), List.of(external("w", new long[] {1, 1, 1, 1}, location, null, null)), 1, 4, 4));
  }

  /** A model whose graph holds just these initializers (and no nodes), for the reader. */
  static byte[] withInitializers(byte[]... tensors) {
    return model(graph(List.of(), List.of(tensors), 1, 1, 1));
  }
}
