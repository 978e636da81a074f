package netc.ir;

/** Where raw parameter tensors come from when a {@link ParamExpr} is evaluated. */
@FunctionalInterface
public interface ParamSource {
  /** The tensor named {@code name}, checked to have {@code expected} shape, as float32 values. */
  float[] tensor(String name, Shape expected);
}
