package netc.ir;

/** An operation cannot be applied to its input shapes; the caller attaches the spec location. */
public final class ShapeError extends RuntimeException {
  public ShapeError(String message) {
    super(message);
  }
}
