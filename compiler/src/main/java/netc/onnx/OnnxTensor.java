package netc.onnx;

import java.util.Arrays;

/**
 * A tensor of an ONNX model (an initializer, or a Constant node's value), decoded: float types
 * (float32, float16, double) as {@code floats}, integer types as {@code longs}; other element types
 * keep neither and are refused where their values are needed.
 */
public record OnnxTensor(String name, long[] dims, int dataType, float[] floats, long[] longs) {
  public OnnxTensor {
    dims = dims.clone();
  }

  /** The number of elements (the reader has checked that the product fits an int). */
  public int size() {
    long n = 1;
    for (long d : dims) n *= d;
    return (int) n;
  }

  public boolean isFloat() {
    return floats != null;
  }

  /** Dims as ints (the reader has checked each fits). */
  public int[] shape() {
    int[] s = new int[dims.length];
    for (int i = 0; i < dims.length; i++) s[i] = (int) dims[i];
    return s;
  }

  /** The element type's name in onnx.proto, for messages. */
  public String typeName() {
    return OnnxReader.typeName(dataType);
  }

  @Override
  public String toString() {
    return name + " " + typeName() + Arrays.toString(dims);
  }
}
