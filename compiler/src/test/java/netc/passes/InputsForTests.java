package netc.passes;

import netc.ir.Graph;
import netc.runtime.Tensor;

/** Seeded inputs in [0, 1) of a graph's declared shape. */
final class InputsForTests {
  private InputsForTests() {}

  static Tensor random(Graph g, int batch) {
    int[] dims = g.input().shape().dims();
    int[] shape = new int[dims.length + 1];
    shape[0] = batch;
    System.arraycopy(dims, 0, shape, 1, dims.length);
    return Tensor.uniform(batch * 31L + dims[0], shape);
  }
}
