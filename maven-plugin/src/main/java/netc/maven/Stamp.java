package netc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a model was last compiled from: a file holding its configuration and, for every input file, its
 * size and modification time as they were when the compile began. The model is up to date while all of
 * that is the same: an input changed in any way (a newer file, an older one copied over it with its time
 * kept, an edit during the compile) or gone recompiles it.
 */
final class Stamp {
  private final Path file;
  private final String contents;

  /** Reads the inputs' sizes and times now: call before compiling, write after. */
  Stamp(Path file, String configuration, List<Path> inputs) throws IOException {
    this.file = file;
    StringBuilder b = new StringBuilder(configuration);
    for (Path in : inputs.stream().map(p -> p.toAbsolutePath().normalize()).distinct().sorted().toList()) {
      b.append("input ").append(in).append(' ');
      if (Files.isRegularFile(in)) b.append(Files.size(in)).append(" bytes, modified ").append(Files.getLastModifiedTime(in).toInstant());
      else b.append(Files.isDirectory(in) ? "a folder" : "absent"); // a build's classes folder (netc's own, in its tests)
      b.append('\n');
    }
    this.contents = b.toString();
  }

  /** True when {@code output} exists and nothing changed since the stamp was written. */
  boolean upToDate(Path output) throws IOException {
    return Files.isRegularFile(file) && Files.isRegularFile(output) && Files.readString(file).equals(contents);
  }

  void write() throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, contents);
  }
}
