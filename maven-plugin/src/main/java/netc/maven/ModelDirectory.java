package netc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The layout of compiled models in a classes directory, as netc-runtime's loader reads it. */
final class ModelDirectory {
  /** Declares the models of a classes directory or jar, one name a line (CompiledModel.load(loader, threads) reads it). */
  static final String MARKER = "META-INF/netc/model";

  private ModelDirectory() {}

  /** Classes and resources of model {@code name}: package netc.models.NAME is also its resource folder. */
  static Path folder(Path out, String name) {
    return out.resolve("netc/models/" + name);
  }

  /** Removes what an earlier compile of the model left (a class or resource the new one may not write). */
  static void clear(Path out, String name) throws IOException {
    Path dir = folder(out, name);
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  /**
   * Rewrites the marker from the models present in {@code out} (every folder netc/models/NAME with a
   * model.properties), whichever execution compiled them, in name order; deletes it when there is none.
   */
  static void declarePresent(Path out) throws IOException {
    Path marker = out.resolve(MARKER);
    List<String> names = present(out);
    if (names.isEmpty()) {
      Files.deleteIfExists(marker);
      return;
    }
    Files.createDirectories(marker.getParent());
    Files.writeString(marker, String.join("\n", names) + "\n");
  }

  /** The names of the models in {@code out}, sorted. */
  static List<String> present(Path out) throws IOException {
    Path models = out.resolve("netc/models");
    if (!Files.isDirectory(models)) return List.of();
    try (Stream<Path> dirs = Files.list(models)) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("model.properties")))
          .map(d -> d.getFileName().toString()).sorted().toList();
    }
  }
}
