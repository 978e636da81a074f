package netc.ast;

import java.nio.file.Path;
import java.util.Objects;

/** The text of one spec file, with the name diagnostics use for it. */
public final class SourceFile {
  private final Path path;
  private final String displayName;
  private final String text;
  /**
   * Where each line starts, built on first use: spans ask for lines while a file is parsed, and
   * splitting the whole text per question made a spec of many multi-line statements quadratic.
   */
  private int[] lineStarts;

  public SourceFile(Path path, String displayName, String text) {
    this.path = path;
    this.displayName = displayName;
    this.text = text.replace("\r\n", "\n");
  }

  public Path path() {
    return path;
  }

  public String displayName() {
    return displayName;
  }

  public String text() {
    return text;
  }

  /**
   * The 1-based line {@code line} without its newline, or "" past the end. Lines end at '\n' only,
   * as the lexer counts them, so a location and its excerpt always agree.
   */
  public String line(int line) {
    int[] starts = lineStarts();
    if (line < 1 || line > starts.length) return "";
    int start = starts[line - 1];
    int end = line < starts.length ? starts[line] - 1 : text.length();
    return start >= end ? "" : text.substring(start, end);
  }

  private int[] lineStarts() {
    if (lineStarts == null) {
      int count = 1;
      for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') count++;
      int[] starts = new int[count];
      for (int i = 0, n = 1; i < text.length(); i++) if (text.charAt(i) == '\n') starts[n++] = i + 1;
      lineStarts = starts;
    }
    return lineStarts;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SourceFile f && Objects.equals(path, f.path) && displayName.equals(f.displayName) && text.equals(f.text);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, displayName, text);
  }

  @Override
  public String toString() {
    return displayName;
  }
}
