package netc.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a model was last compiled from, and into: a file holding its configuration, for every input file
 * its size, modification time, identity and (see {@link #hashedBytes}) a digest of its contents as they were when the compile began, the model the compile wrote and
 * the warnings it gave. The model is up to date while all of that is the same: an input changed in any way (a newer file, an
 * older one copied over it with its time kept, an edit during the compile) or gone recompiles it, and so
 * does a model that is not the one written (another execution's over it, or one left in another output
 * folder before the inputs changed).
 */
final class Stamp {
  private final Path file;
  private final String contents;

  /**
   * Reads the inputs' sizes and times now: call before compiling, write after. {@code digests} holds the
   * contents' digests of one execution's models, by file and its size, time and identity: every model's stamp
   * reads netc's jars, and an ONNX model's every small file of its folder, which are read once, not once a model.
   */
  Stamp(Path file, String configuration, List<Path> inputs, List<Path> whole, java.util.Map<String, String> digests) throws IOException {
    this.file = file;
    java.util.Set<Path> digested = new java.util.HashSet<>();
    for (Path p : whole) digested.add(p.toAbsolutePath().normalize());
    StringBuilder b = new StringBuilder(configuration);
    for (Path in : inputs.stream().map(p -> p.toAbsolutePath().normalize()).distinct().sorted().toList()) {
      b.append("input ").append(in).append(' ');
      if (Files.isRegularFile(in)) {
        BasicFileAttributes a = Files.readAttributes(in, BasicFileAttributes.class);
        b.append(a.size()).append(" bytes, modified ").append(a.lastModifiedTime().toInstant());
        // the file itself (its inode on Linux): another file put in its place with the same size and time (an unpacked
        // archive's fixed times, a store path behind a link) is a change; and what a small one holds, whatever its
        // time says (an edit of the same length within a file system's 1 or 2 s time resolution)
        if (a.fileKey() != null) b.append(", file ").append(a.fileKey());
        if (a.size() <= hashedBytes || digested.contains(in)) {
          String key = in + " " + a.size() + " " + a.lastModifiedTime() + " " + a.fileKey();
          String digest = digests.get(key);
          if (digest == null) digests.put(key, digest = a.size() <= hashedBytes ? "sha-256 " + sha256(in) : "crc32c " + crc32c(in));
          b.append(", ").append(digest);
        }
      }
      else if (Files.isDirectory(in)) b.append(folder(in)); // a build's classes folder: netc's own, in its reactor
      else b.append("absent");
      b.append('\n');
    }
    this.contents = b.toString();
  }

  /**
   * Inputs up to this size (specs and imports, at most 4 MiB each, labels, netc's jars) are stamped by their contents'
   * SHA-256; of larger ones, the {@code whole} ones (the weights, of 10 MB to gigabytes, and an ONNX model) by their
   * CRC-32C, which the JVM computes at 4-8 GB/s where SHA-256 runs at 0.6-1.2 (AMD EPYC, 100 MB, in the page cache):
   * an up-to-date check of a 500 MB model takes a tenth of a second, not half a second. Either tells a change from
   * none; the size, time and identity stamped beside them alone missed weights rewritten in place with their time kept
   * (cp -p, rsync -a, an archive's fixed times; on Windows files have no identity at all). Other large inputs, the
   * files of an ONNX model's folder that may be its external data, keep those alone: a model at a project's root has
   * every file of the project there. Not final: a test lowers it to stamp its small weights as large ones.
   */
  static long hashedBytes = 4L << 20;

  private static String crc32c(Path file) throws IOException {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) crc.update(buffer, 0, n);
    }
    return String.format("%08x", crc.getValue());
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[65536];
      for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(sha.digest());
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

  /** The warnings the stamp file records, read by {@link #upToDate}. */
  private List<String> warnings = List.of();

  /**
   * True when {@code model} (a model's folder) holds the model a compile from these very configuration and
   * inputs wrote: the one this stamp recorded, or one that another execution's stamp ({@code others})
   * records it wrote from the same configuration and inputs (so the same model: {@code mvn netc:compile} run
   * with the lifecycle's configuration does not make the next build compile it again, whichever of the two
   * has a stamp of its own). Then {@link #warnings} are the warnings of that compile, and {@link #adopted}
   * says whether the stamp was another execution's (this one's is then to be written).
   */
  boolean upToDate(Path model, List<Path> others) throws IOException {
    if (!Files.isRegularFile(model.resolve(PROPERTIES))) return false;
    String now = written(model);
    List<Path> stamps = new ArrayList<>(List.of(file));
    stamps.addAll(others);
    for (Path stamp : stamps) {
      if (!Files.isRegularFile(stamp)) continue;
      String text = Files.readString(stamp);
      if (!text.startsWith(contents + now)) continue;
      List<String> said = new ArrayList<>();
      boolean ours = true;
      for (String line : text.substring(contents.length() + now.length()).split("\n", -1)) {
        if (line.startsWith(WARNING)) said.add(line.substring(WARNING.length()));
        else if (!line.isEmpty()) ours = false; // not a stamp this class wrote
      }
      if (!ours) continue;
      warnings = List.copyOf(said);
      adopted = !stamp.equals(file);
      return true;
    }
    return false;
  }

  /** Whether {@link #upToDate} found the model in another execution's stamp, not this one's. */
  private boolean adopted;

  boolean adopted() {
    return adopted;
  }

  /** The warnings of the compile that wrote the model, when {@link #upToDate} found it so: a build that packages it says them again. */
  List<String> warnings() {
    return warnings;
  }

  /**
   * Records the inputs as they were when the stamp was made, the model now in {@code model} and the
   * {@code warnings} (one line each) its compile gave: call once it is compiled there.
   */
  void write(Path model, List<String> warnings) throws IOException {
    StringBuilder b = new StringBuilder(contents).append(written(model));
    for (String w : warnings) b.append(WARNING).append(w.replace('\n', ' ').replace('\r', ' ')).append('\n');
    Files.createDirectories(file.getParent());
    Files.writeString(file, b);
  }

  private static final String WARNING = "warning ";

  private static final String PROPERTIES = "model.properties";

  /**
   * What tells the model a compile wrote from any other: its folder, a hash of its model.properties (a few
   * hundred bytes; it says whether its weights are synthetic), and every other file of the folder by name, size
   * and time (weights.bin may be gigabytes: not read). A compile writes them all anew, so one that wrote over the
   * model since (the same model name in another execution, {@code mvn netc:compile} among them) changes this;
   * so does a class or labels file deleted (an IDE that clears class files), which left a model whose class
   * could not be loaded reported up to date.
   */
  private static String written(Path model) throws IOException {
    Path folder = model.toAbsolutePath().normalize();
    String hash;
    try {
      hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(folder.resolve(PROPERTIES))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e); // every Java platform must have it
    }
    StringBuilder files = new StringBuilder();
    try (var list = Files.list(folder)) {
      // model.properties by its hash above (what a test of recompiles watches is its time)
      for (Path f : list.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().equals(PROPERTIES)).sorted().toList()) {
        files.append(", ").append(f.getFileName()).append(' ').append(Files.size(f)).append(" bytes ")
            .append(Files.getLastModifiedTime(f).toInstant());
      }
    }
    return "model " + folder + ", " + PROPERTIES + " SHA-256 " + hash + files + "\n";
  }
}
