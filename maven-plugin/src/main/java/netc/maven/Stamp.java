package netc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

/**
 * What a model was last compiled from: a file holding its configuration, written after a successful
 * compile. The model is up to date while the file says the same and is newer than every input.
 */
final class Stamp {
  private final Path file;
  private final String configuration;
  private final List<Path> inputs;

  Stamp(Path file, String configuration, List<Path> inputs) {
    this.file = file;
    this.configuration = configuration;
    this.inputs = List.copyOf(inputs);
  }

  /** True when {@code output} exists and nothing changed since the stamp was written. */
  boolean upToDate(Path output) throws IOException {
    if (!Files.isRegularFile(file) || !Files.isRegularFile(output)) return false;
    if (!Files.readString(file).equals(configuration)) return false;
    FileTime written = Files.getLastModifiedTime(file);
    for (Path in : inputs) {
      if (Files.getLastModifiedTime(in).compareTo(written) >= 0) return false;
    }
    return true;
  }

  void write() throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, configuration);
  }
}
