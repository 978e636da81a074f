package netc.ast;

import netc.runtime.BadInputException;

/**
 * A problem with the user's input: a spec, a weights file, an image. Carries the place when there is
 * one, and formats as one message in the {@code file:line:column: problem} style; the command line
 * prints it and exits non-zero, never a stack trace.
 *
 * <p>Messages quote text from the input (names, tokens, file names), which may hold terminal control
 * characters or bidirectional overrides, or be megabytes long: the message is made one printable
 * line when it is read, as {@link BadInputException#oneLine} makes the runtime's, for every thrower.
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

  /**
   * The message as it was built, before it is made printable: what a subclass adds to, so that it is
   * escaped and cut once, as a whole.
   */
  public String problem() {
    return super.getMessage();
  }

  /** The message as one printable line: control and format characters escaped, cut past 2,000 characters. */
  @Override
  public String getMessage() {
    return BadInputException.oneLine(problem());
  }

  /** The message with its location, and the source line underlined when the place is known. */
  public String format() {
    if (span == null) return getMessage();
    String excerpt = span.excerpt();
    // the location too: an import's file name is text from the spec
    return BadInputException.oneLine(span.location() + ": " + problem()) + (excerpt.isEmpty() ? "" : "\n" + excerpt);
  }
}
