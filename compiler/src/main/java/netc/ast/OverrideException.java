package netc.ast;

/**
 * A {@code -D name=value} the spec cannot take: a param it does not define, a value of another kind than
 * the param's, one no layer reads. Known only once the spec is read, and still a wrong call: exit 2, as a
 * -D without its = is, where these were exit 1.
 */
public class OverrideException extends NetcException {
  public OverrideException(String message) {
    super(message);
  }
}
