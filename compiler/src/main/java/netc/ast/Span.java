package netc.ast;

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
   * emoji before it, and could cut an emoji in half.
   */
  public String excerpt() {
    String text = file.line(line);
    if (text.isEmpty()) return "";
    int points = text.codePointCount(0, text.length());
    int start = Math.min(Math.max(0, column - 1), points);
    int width = Math.max(1, Math.min(Math.min(length, MAX_UNDERLINE), Math.max(1, points - start)));
    int from = Math.max(0, start - CONTEXT);
    int to = Math.min(points, start + width + CONTEXT);
    String before = from > 0 ? "..." : "";
    String window = text.substring(text.offsetByCodePoints(0, from), text.offsetByCodePoints(0, to));
    String shown = before + window.replace('\t', ' ') + (to < points ? "..." : "");
    return "  " + shown + "\n  " + " ".repeat(before.length() + start - from) + "^".repeat(width);
  }

  @Override
  public String toString() {
    return location();
  }
}
