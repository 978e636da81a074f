package netc.runtime;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order, shape including the batch dimension ([N, C, H, W] or
 * [N, F]). The data array is shared, not copied: a tensor is a view its owner agrees not to mutate
 * once handed out.
 */
public final class Tensor {
  private final int[] shape;
  private final float[] data;

  public Tensor(int[] shape, float[] data) {
    Arguments.notNull(shape, "shape");
    Arguments.notNull(data, "data");
    this.shape = shape.clone();
    long size = size(this.shape);
    if (size != data.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + size + " values, got " + data.length);
    }
    this.data = data;
  }

  public static Tensor zeros(int... shape) {
    long size = size(shape);
    if (size > LargeArrays.MAX_ARRAY) throw new IllegalArgumentException("tensor too large: " + Arrays.toString(shape));
    return new Tensor(shape, new float[(int) size]);
  }

  /** A tensor of seeded uniform values in [0, 1), like an image's pixels: for tests and benchmarks. */
  public static Tensor uniform(long seed, int... shape) {
    Tensor t = zeros(shape);
    java.util.Random rng = new java.util.Random(seed);
    for (int i = 0; i < t.data.length; i++) t.data[i] = rng.nextFloat();
    return t;
  }

  public static long size(int[] shape) {
    Arguments.notNull(shape, "shape");
    long n = 1;
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("tensor too large: " + Arrays.toString(shape));
      }
    }
    return n;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int dim(int i) {
    return shape[i];
  }

  public float[] data() {
    return data;
  }

  public int size() {
    return data.length;
  }

  public Tensor reshape(int... newShape) {
    return new Tensor(newShape, data);
  }

  /** The largest absolute difference to {@code other}, which must have the same shape. */
  public double maxAbsDiff(Tensor other) {
    Arguments.notNull(other, "other");
    if (!Arrays.equals(shape, other.shape)) {
      throw new IllegalArgumentException("shapes differ: " + Arrays.toString(shape) + " vs " + Arrays.toString(other.shape));
    }
    double max = 0;
    for (int i = 0; i < data.length; i++) max = Math.max(max, Math.abs((double) data[i] - other.data[i]));
    return max;
  }

  public double maxAbs() {
    double max = 0;
    for (float v : data) max = Math.max(max, Math.abs(v));
    return max;
  }

  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape);
  }
}
