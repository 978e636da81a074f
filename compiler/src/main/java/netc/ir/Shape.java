package netc.ir;

import java.util.Arrays;

/** The shape of one image's tensor, batch excluded: [C, H, W] for feature maps, [F] when flat. */
public final class Shape {
  private final int[] dims;

  public Shape(int... dims) {
    this.dims = dims.clone();
    for (int d : dims) if (d <= 0) throw new IllegalArgumentException("non-positive dimension in " + this);
  }

  public int rank() {
    return dims.length;
  }

  public int dim(int i) {
    return dims[i];
  }

  public int[] dims() {
    return dims.clone();
  }

  /** The number of elements, or Long.MAX_VALUE when that is past what a long holds (four dims near 2^31). */
  public long size() {
    long n = 1;
    for (int d : dims) {
      if (n > Long.MAX_VALUE / d) return Long.MAX_VALUE;
      n *= d;
    }
    return n;
  }

  public int channels() {
    return dims[0];
  }

  public int height() {
    return dims[1];
  }

  public int width() {
    return dims[2];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < dims.length; i++) b.append(i == 0 ? "" : "x").append(dims[i]);
    return b.toString();
  }
}
