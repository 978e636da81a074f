package netc.runtime.io;

/**
 * A position in a small text being parsed (a safetensors JSON header, an .npy header's Python dict
 * literal): the steps both parsers take, each failure an exception of the parser's own type, given
 * what is wrong and the character offset where it is.
 */
abstract class TextCursor<E extends Exception> {
  protected final String s;
  protected int pos;

  TextCursor(String s) {
    this.s = s;
  }

  /** The parser's exception for {@code what} is wrong at character {@code offset}. */
  protected abstract E exception(String what, int offset);

  final E error(String what) {
    return exception(what, pos);
  }

  final void ws() {
    while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) pos++;
  }

  final char peek() throws E {
    if (pos >= s.length()) throw error("unexpected end");
    return s.charAt(pos);
  }

  final void expect(char c) throws E {
    if (peek() != c) throw error("expected '" + c + "'");
    pos++;
  }
}
