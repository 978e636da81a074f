package netc.ast;

/** A place in a spec: file, 1-based line and column, and how many characters it covers. */
public record Span(SourceFile file, int line, int column, int length) {
  public String location() {
    return file.displayName() + ":" + line + ":" + column;
  }

  /** The source line with the span underlined, two lines, or "" when the line is unknown. */
  public String excerpt() {
    String text = file.line(line);
    if (text.isEmpty()) return "";
    int start = Math.max(0, column - 1);
    int width = Math.max(1, Math.min(length, Math.max(1, text.length() - start)));
    return "  " + text.replace('\t', ' ') + "\n  " + " ".repeat(start) + "^".repeat(width);
  }

  @Override
  public String toString() {
    return location();
  }
}
