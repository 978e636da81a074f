package netc.ast;

/**
 * A problem with the user's input: a spec, a weights file, an image. Carries the place when there is
 * one, and formats as one message in the {@code file:line:column: problem} style; the command line
 * prints it and exits non-zero, never a stack trace.
 */
public class NetcException extends RuntimeException {
  private final Span span;

  public NetcException(Span span, String message) {
    super(message);
    this.span = span;
  }

  public NetcException(String message) {
    this(null, message);
  }

  public NetcException(String message, Throwable cause) {
    super(message, cause);
    this.span = null;
  }

  public Span span() {
    return span;
  }

  /** The message with its location, and the source line underlined when the place is known. */
  public String format() {
    if (span == null) return getMessage();
    String excerpt = span.excerpt();
    return span.location() + ": " + getMessage() + (excerpt.isEmpty() ? "" : "\n" + excerpt);
  }
}
