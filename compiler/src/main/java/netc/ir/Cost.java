package netc.ir;

/** Multiply-accumulate counts per image, for conv and fc layers (the work that dominates a CNN). */
public final class Cost {
  private Cost() {}

  public static long macs(Node n, Graph g) {
    return switch (n.op()) {
      case CONV -> {
        Shape w = n.param("weight").shape(); // [out, in/groups, kh, kw]
        yield (long) n.shape().size() * w.dim(1) * w.dim(2) * w.dim(3);
      }
      case FC -> n.param("weight").shape().size();
      default -> 0;
    };
  }
}
