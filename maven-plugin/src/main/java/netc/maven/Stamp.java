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
      else if (Files.isDirectory(in)) b.append(folder(in)); // a build's classes folder: netc's own, in its reactor
      else b.append("absent");
      b.append('\n');
    }
    this.contents = b.toString();
  }

  /** A folder's files, their total size and the newest modification time among them: any rebuild of a classes folder changes one. */
  private static String folder(Path dir) throws IOException {
    long files = 0, bytes = 0;
    java.time.Instant newest = java.time.Instant.EPOCH;
    try (var walk = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        files++;
        bytes += Files.size(f);
        java.time.Instant t = Files.getLastModifiedTime(f).toInstant();
        if (t.isAfter(newest)) newest = t;
      }
    }
    return "a folder of " + files + " files, " + bytes + " bytes, the newest modified " + newest;
  }

  /** The configuration a stamp file records: its text before the first input line. */
  static String recordedConfiguration(Path stampFile) throws IOException {
    String text = Files.readString(stampFile);
    if (text.startsWith("input ")) return "";
    int inputs = text.indexOf("\ninput ");
    return inputs < 0 ? text : text.substring(0, inputs + 1);
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
