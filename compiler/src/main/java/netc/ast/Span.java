package netc.ast;

import java.util.Locale;

/**
 * A place in a spec: file, 1-based line and column, and how many characters it covers. Columns and
 * lengths count code points, as ANTLR does, so an emoji (two Java chars) is one character.
 */
public record Span(SourceFile file, int line, int column, int length) {
  /**
   * Characters of context shown either side of the place in an excerpt: a generated spec may put
   * thousands of brackets on one line, and a message must stay readable.
   */
  static final int CONTEXT = 60;

  /** The longest underline; a span over a long expression is marked by its start. */
  static final int MAX_UNDERLINE = 80;

  public String location() {
    return file.displayName() + ":" + line + ":" + column;
  }

  /**
   * The source line with the span underlined, two lines, or "" when the line is unknown. Positions
   * are code points here too, converted to indexes into the line's chars only to cut it: indexing
   * chars with a code point column moved the window, and the underline with it, left by one for each
   * emoji before it, and could cut an emoji in half. A control or format character (an escape
   * sequence, a bell, a right-to-left override) is shown escaped, as {@link
   * netc.runtime.BadInputException#oneLine} escapes it, and the underline counts its escape's width.
   */
  public String excerpt() {
    String text = file.line(line);
    if (text.endsWith("\r")) text = text.substring(0, text.length() - 1); // a CRLF line's end, not a character on it
    if (text.isEmpty()) return "";
    int points = text.codePointCount(0, text.length());
    int start = Math.min(Math.max(0, column - 1), points);
    int width = Math.max(1, Math.min(Math.min(length, MAX_UNDERLINE), Math.max(1, points - start)));
    int from = Math.max(0, start - CONTEXT);
    int to = Math.min(points, start + width + CONTEXT);
    String before = from > 0 ? "..." : "";
    StringBuilder shown = new StringBuilder(before);
    // in characters shown (code points): where the underline starts, and how long it is
    int shownPoints = before.length(), caret = -1, carets = 0;
    for (int p = from, i = text.offsetByCodePoints(0, from); p < to; p++) {
      if (p == start) caret = shownPoints;
      int cp = text.codePointAt(i);
      String s = shown(cp);
      shown.append(s);
      int n = s.codePointCount(0, s.length());
      shownPoints += n;
      if (p >= start && p < start + width) carets += n;
      i += Character.charCount(cp);
    }
    if (caret < 0) caret = shownPoints; // a place just past the line's end
    if (to < points) shown.append("...");
    return "  " + shown + "\n  " + " ".repeat(caret) + "^".repeat(Math.max(1, carets));
  }

  /**
   * A character of the line as shown: itself, a tab as a space (its width is the terminal's), and a
   * control or format character escaped as {@code \x1b} or {@code \u202e}, as the message is.
   */
  private static String shown(int cp) {
    if (cp == '\t') return " ";
    int type = Character.getType(cp);
    boolean unprintable = type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.FORMAT;
    if (!unprintable) return Character.toString(cp);
    if (cp == '\r') return "\\r";
    if (cp < 0x100) return String.format(Locale.ROOT, "\\x%02x", cp);
    StringBuilder b = new StringBuilder();
    for (char c : Character.toChars(cp)) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
    return b.toString();
  }

  @Override
  public String toString() {
    return location();
  }
}
