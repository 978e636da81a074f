package netc.ast;

import java.nio.file.Path;
import java.util.List;

/** The text of one spec file, with the name diagnostics use for it. */
public record SourceFile(Path path, String displayName, String text) {
  public SourceFile {
    text = text.replace("\r\n", "\n");
  }

  /** The 1-based line {@code line} without its newline, or "" past the end. */
  public String line(int line) {
    List<String> lines = text.lines().toList();
    return line >= 1 && line <= lines.size() ? lines.get(line - 1) : "";
  }
}
