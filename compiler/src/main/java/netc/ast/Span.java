package netc.ast;

/** A place in a spec: file, 1-based line and column, and how many characters it covers. */
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

  /** The source line with the span underlined, two lines, or "" when the line is unknown. */
  public String excerpt() {
    String text = file.line(line);
    if (text.isEmpty()) return "";
    int start = Math.min(Math.max(0, column - 1), text.length());
    int width = Math.max(1, Math.min(Math.min(length, MAX_UNDERLINE), Math.max(1, text.length() - start)));
    int from = Math.max(0, start - CONTEXT);
    int to = Math.min(text.length(), start + width + CONTEXT);
    String before = from > 0 ? "..." : "";
    String shown = before + text.substring(from, to).replace('\t', ' ') + (to < text.length() ? "..." : "");
    return "  " + shown + "\n  " + " ".repeat(before.length() + start - from) + "^".repeat(width);
  }

  @Override
  public String toString() {
    return location();
  }
}
