package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import netc.models.jartest.JarModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-made model jars loaded by path, as {@code CompiledModel.load(jar, threads)} loads a compiled
 * one: the model's class ({@link JarModel}) and its resources in the jar. A jar whose weights are not
 * the size its model.properties gives, or whose labels are unreadable or not one a class, is refused
 * in one line naming the jar's entry, before any weight array is allocated; so are weights whose bytes
 * do not match the CRC the jar records, or (where none is recorded) are not finite; a jar without labels
 * loads with "class i" names.
 */
class ModelJarTest {
  static final String FOLDER = "netc/models/jartest/";

  @TempDir Path dir;

  /** The properties of a JarModel whose weights.bin holds {@code floats} floats. */
  static String properties(long floats, boolean labels) {
    return String.join("\n", "class=" + JarModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "name=jartest", "network=jartest",
        "input.shape=1,1,2", "output.size=2", "arena.floats=2", "weights.resource=/" + FOLDER + "weights.bin", "weights.floats=" + floats)
        + (labels ? "\nlabels.resource=/" + FOLDER + "labels.txt" : "") + "\n";
  }

  static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return b.array();
  }

  /** A jar declaring the model jartest, with JarModel's class and {@code resources} (names under its folder) as entries. */
  Path jar(String name, Map<String, byte[]> resources) throws IOException {
    Path jar = dir.resolve(name);
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
        InputStream cls = JarModel.class.getResourceAsStream("JarModel.class")) {
      out.putNextEntry(new JarEntry("META-INF/netc/model"));
      out.write("jartest\n".getBytes(StandardCharsets.UTF_8));
      out.putNextEntry(new JarEntry(FOLDER + "JarModel.class"));
      out.write(cls.readAllBytes());
      for (Map.Entry<String, byte[]> r : resources.entrySet()) {
        JarEntry e = new JarEntry(FOLDER + r.getKey());
        if (r.getKey().endsWith(".bin")) {
          // stored with its CRC, as netc compile writes weights.bin
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          crc.update(r.getValue());
          e.setMethod(JarEntry.STORED);
          e.setSize(r.getValue().length);
          e.setCompressedSize(r.getValue().length);
          e.setCrc(crc.getValue());
        }
        out.putNextEntry(e);
        out.write(r.getValue());
      }
    }
    return jar;
  }

  Path jar(String name, String properties, byte[] weights, String labels) throws IOException {
    Map<String, byte[]> resources = new LinkedHashMap<>();
    resources.put("model.properties", properties.getBytes(StandardCharsets.UTF_8));
    if (weights != null) resources.put("weights.bin", weights);
    if (labels != null) resources.put("labels.txt", labels.getBytes(StandardCharsets.UTF_8));
    return jar(name, resources);
  }

  /** What the JDK names an entry of {@code jar}: jar:file:/.../m.jar!/netc/models/jartest/NAME. */
  static String entry(Path jar, String name) throws IOException {
    return "jar:" + jar.toUri().toURL() + "!/" + FOLDER + name;
  }

  @Test
  void aWholeJarLoadsItsWeightsAndItsLabelsOrClassNumbersWithout() throws IOException {
    Path labelled = jar("labelled.jar", properties(2, true), floats(2f, -0.5f), "cat\ndog\n");
    try (CompiledModel m = CompiledModel.load(labelled, 1)) {
      float[] out = new float[2];
      m.predict(new float[] {1, 2}, 1, out);
      assertArrayEquals(new float[] {6f, -1.5f}, out, 0f, "the jar's weights times the input's sum");
      assertEquals(List.of("cat", "dog"), m.labels());
      assertTrue(m.info().toString().contains(", labels=[cat, dog], "), m.info().toString());
      assertEquals(JarModel.class.getName(), m.getClass().getName());
      assertTrue(m.getClass() != JarModel.class, "the class from the jar, not the test's class path");
    }
    // compiled without labels (netc writes them only for 1000 classes): numbers stand in for them
    try (CompiledModel m = CompiledModel.load(jar("plain.jar", properties(2, false), floats(2f, -0.5f), null), 1)) {
      assertEquals(List.of("class 0", "class 1"), m.labels());
    }
  }

  /**
   * Two models' jars unzipped into one keep the second's marker, which names it alone: load(jar, threads) took that
   * model without a word. The jar's own entries count, so both are named, as for two declared models; by name each
   * loads. A folder given as the jar was "no such file": it is named as an image's is.
   */
  @Test
  void aJarHoldingTwoModelsUnderOneMarkerIsRefusedUnlessNamed() throws IOException {
    Path one = jar("one.jar", properties(2, false), floats(2f, -0.5f), null), merged = dir.resolve("merged.jar");
    try (java.util.jar.JarFile in = new java.util.jar.JarFile(one.toFile());
        JarOutputStream out = new JarOutputStream(Files.newOutputStream(merged))) {
      for (JarEntry e : java.util.Collections.list(in.entries())) {
        out.putNextEntry(new JarEntry(e.getName()));
        out.write(in.getInputStream(e).readAllBytes());
      }
      out.putNextEntry(new JarEntry("netc/models/other/model.properties"));
      out.write("network=other\n".getBytes(StandardCharsets.UTF_8));
    }
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(merged, 1));
    assertEquals(merged + " holds 2 models [jartest, other] (its META-INF/netc/model names jartest alone): name the one to load", e.getMessage());
    try (CompiledModel m = CompiledModel.load(merged, "jartest", 1)) {
      assertEquals(2, m.outputSize());
    }
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(dir, 1));
    assertEquals(dir + ": not a regular file (a directory)", e.getMessage());
  }

  /**
   * Weights of another size than model.properties gives are refused by the entry's size, before the
   * array is allocated, and the message names the jar. A claim of 2e9 floats, more than the class was
   * generated for, is refused before the weights are opened: not an 8 GB allocation (nor an out-of-memory
   * asking for that heap).
   */
  @Test
  void weightsOfAnotherSizeAreRefusedNamingTheJarBeforeTheArrayIsAllocated() throws IOException {
    Path huge = jar("huge.jar", properties(2_000_000_000, false), floats(2f, -0.5f), null);
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(huge, 1));
    assertEquals(huge + ": the compiled model jartest is damaged: its model.properties gives weights.floats=2000000000, and it must be 2, what its"
        + " class was generated for", e.getMessage());

    Path longOne = jar("long.jar", properties(2, false), floats(2f, -0.5f, 1f), null);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(longOne, 1));
    assertEquals(entry(longOne, "weights.bin") + ": damaged model: 12 bytes of weights, and its model.properties gives 2 floats (8 bytes)",
        e.getMessage());

    Path shortOne = jar("short.jar", properties(2, false), floats(2f), null);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(shortOne, 1));
    assertEquals(entry(shortOne, "weights.bin") + ": damaged model: 4 bytes of weights, and its model.properties gives 2 floats (8 bytes)",
        e.getMessage());

    Path none = jar("none.jar", properties(2, false), null, null);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(none, 1));
    assertEquals(none.toUri().toURL() + ": damaged model: it has no weights resource /" + FOLDER + "weights.bin", e.getMessage());
    // nor from the class path, where another model of the name has them: a model's resources come from its own jar
    Path other = jar("other.jar", properties(2, true), floats(2f, -0.5f), "a\nb\n");
    try (java.net.URLClassLoader parent = new java.net.URLClassLoader(new java.net.URL[] {other.toUri().toURL()}, null);
        ModelLoader.ModelClassLoader own = new ModelLoader.ModelClassLoader(none.toUri().toURL(), parent)) {
      assertNotNull(parent.getResource(FOLDER + "weights.bin"));
      assertNull(own.getResource(FOLDER + "weights.bin"), "another jar's weights");
      assertNull(own.getResource(FOLDER + "labels.txt"), "another jar's labels");
      assertNotNull(own.getResource(FOLDER + "model.properties"), "its own");
    }
    // nor its class: a jar without it (stripped by a shading tool) took the class path's JarModel, here the tests'
    Path classless = dir.resolve("classless.jar");
    try (java.util.zip.ZipFile from = new java.util.zip.ZipFile(other.toFile());
        java.util.zip.ZipOutputStream to = new java.util.zip.ZipOutputStream(Files.newOutputStream(classless))) {
      for (java.util.zip.ZipEntry entry : java.util.Collections.list(from.entries())) {
        if (entry.getName().endsWith(".class")) continue;
        to.putNextEntry(new java.util.zip.ZipEntry(entry.getName()));
        to.write(from.getInputStream(entry).readAllBytes());
      }
    }
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(classless, 1));
    assertEquals(classless.toUri().toURL() + ": damaged model: the class " + JarModel.class.getName() + " its model.properties names is not in it",
        e.getMessage());
  }

  /**
   * Sizes in model.properties other than those the class was generated for (its steps use fixed offsets)
   * are refused at load, naming the property and both values: an edited arena.floats loaded and failed the
   * first call with an ArrayIndexOutOfBoundsException; an input shape of as many values, with a wrong answer.
   */
  @Test
  void propertiesOtherThanTheClassWasGeneratedForAreRefusedAtLoad() throws IOException {
    String[][] cases = {
        {"input.shape=1,1,2", "input.shape=1,2,1", "input.shape=1,2,1, and it must be 1,1,2"},
        {"output.size=2", "output.size=1", "output.size=1, and it must be 2"},
        {"arena.floats=2", "arena.floats=3", "arena.floats=3, and it must be 2"},
        {"weights.floats=2", "weights.floats=3", "weights.floats=3, and it must be 2"},
    };
    for (String[] c : cases) {
      Path edited = jar("edited.jar", properties(2, false).replace(c[0], c[1]), floats(2f, -0.5f), null);
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(edited, 1), c[1]);
      assertEquals(edited + ": the compiled model jartest is damaged: its model.properties gives " + c[2] + ", what its class was generated for",
          e.getMessage());
    }
  }

  /**
   * Bytes of weights.bin changed in the jar, its length kept, are refused: the JDK reads a stored entry
   * without checking the CRC the jar records for it, so the load checks it. The message names the entry
   * and both CRCs.
   */
  @Test
  void weightsWhoseBytesDoNotMatchTheJarsCrcAreRefused() throws IOException {
    byte[] weights = floats(2f, -0.5f);
    Path changed = jar("changed.jar", properties(2, false), weights, null);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(weights);
    long recorded = crc.getValue();
    byte[] after = floats(2f, -0.25f); // finite: only the CRC tells
    crc.reset();
    crc.update(after);
    overwriteEntry(changed, FOLDER + "weights.bin", after);
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(changed, 1));
    assertEquals(entry(changed, "weights.bin") + ": damaged model: its bytes have CRC-32 " + String.format("%08x", crc.getValue()) + ", and the"
        + " jar records " + String.format("%08x", recorded) + " for them: the jar was changed or damaged after netc wrote it (copy it again, or"
        + " recompile)", e.getMessage());
  }

  /**
   * A non-finite weight is refused at load, whatever the weights came from (a classes directory records no CRC):
   * netc packs finite weights only, so a NaN there is damage, which would otherwise reach every output.
   */
  @Test
  void aNonFiniteWeightIsRefusedAtLoad() throws IOException {
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes.resolve(FOLDER));
    Files.createDirectories(classes.resolve("META-INF/netc"));
    Files.writeString(classes.resolve("META-INF/netc/model"), "jartest\n");
    Files.writeString(classes.resolve(FOLDER + "model.properties"), properties(2, false));
    Files.write(classes.resolve(FOLDER + "weights.bin"), floats(2f, Float.NaN));
    try (InputStream cls = JarModel.class.getResourceAsStream("JarModel.class")) {
      Files.write(classes.resolve(FOLDER + "JarModel.class"), cls.readAllBytes());
    }
    try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, null) {
      @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        // the model's class from the directory, the runtime from the test's class path
        if (name.startsWith("netc.models.")) {
          synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            return c != null ? c : findClass(name);
          }
        }
        return ModelJarTest.class.getClassLoader().loadClass(name);
      }
    }) {
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(loader, 1));
      assertEquals(classes.resolve(FOLDER + "weights.bin").toUri().toURL() + ": damaged model: weight 1 is NaN, and netc packs finite weights"
          + " only", e.getMessage());
    }
  }

  /** Replaces the data of the stored entry {@code name} of {@code jar} with {@code bytes}, as long: its recorded CRC kept. */
  static void overwriteEntry(Path jar, String name, byte[] bytes) throws IOException {
    byte[] all = Files.readAllBytes(jar);
    int at = localHeader(jar, all, name);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0, b.getShort(at + 8), "stored");
    assertEquals(bytes.length, b.getInt(at + 22), "the entry's length");
    System.arraycopy(bytes, 0, all, dataStart(all, at), bytes.length);
    Files.write(jar, all);
  }

  /** Where the local file header of entry {@code name} starts in the bytes {@code all} of {@code jar}. */
  private static int localHeader(Path jar, byte[] all, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = 0; at + 30 + n.length <= all.length; at++) {
      if (b.getInt(at) == 0x04034b50 && b.getShort(at + 26) == n.length
          && java.util.Arrays.equals(all, at + 30, at + 30 + n.length, n, 0, n.length)) {
        return at;
      }
    }
    throw new AssertionError(name + " not found in " + jar);
  }

  /** Where the data of the entry whose local header starts at {@code at} begins: past the header's name and extra field. */
  private static int dataStart(byte[] all, int at) {
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    return at + 30 + b.getShort(at + 26) + b.getShort(at + 28);
  }

  /**
   * A jar cut short (a copy interrupted) or otherwise unreadable as a zip is named as such: the class loader
   * skips a jar it cannot open, so it read as a jar holding no model, or no model of the name asked for.
   */
  @Test
  void aDamagedJarIsNamedAsSuchNotAsOneWithoutAModel() throws IOException {
    byte[] whole = Files.readAllBytes(jar("whole.jar", properties(2, false), floats(2f, -0.5f), null));
    Path cut = Files.write(dir.resolve("cut.jar"), java.util.Arrays.copyOf(whole, whole.length / 2));
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(cut, 1));
    assertEquals(cut + ": damaged jar (zip END header not found)", e.getMessage());
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(cut, "jartest", 1));
    assertEquals(cut + ": damaged jar (zip END header not found)", e.getMessage());
    // a file that is no zip at all (a spec given where the jar goes) is not called damaged
    Path text = Files.writeString(dir.resolve("notes.jar"), "input(3, 8, 8)\n");
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(text, 1));
    assertEquals(text + ": not a jar (it does not begin as a zip file does): give a model jar that netc compile wrote", e.getMessage());
  }

  /**
   * A jar on another file system than the default (inside a zip here) is refused by name: the class loader reads
   * the default file system's files only, and Path.toFile threw an UnsupportedOperationException the API does not name.
   */
  @Test
  void aJarOnAnotherFileSystemIsRefusedByName() throws IOException {
    Path whole = jar("whole.jar", properties(2, false), floats(2f, -0.5f), null);
    Path bundle = dir.resolve("bundle.zip");
    try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(bundle, Map.of("create", "true"))) {
      Path inside = Files.copy(whole, zip.getPath("/whole.jar"));
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(inside, 1));
      assertEquals("/whole.jar: not a file of the default file system (jar); copy the jar to one (Files.copy) and load that", e.getMessage());
    }
  }

  /**
   * A jar under a folder whose name ends in '!' cannot be read through jar: URLs, which end a jar's name at "!/": refused by
   * name, where every entry was "cannot read jar:file:/.../bang!/m.jar!/...: /.../bang"; a '!' elsewhere in a name is read.
   */
  @Test
  void aJarUnderAFolderEndingInBangIsRefusedByName() throws IOException {
    Path whole = jar("whole.jar", properties(2, false), floats(2f, -0.5f), null);
    Path bang = Files.copy(whole, Files.createDirectories(dir.resolve("bang!/inner")).resolve("m.jar"));
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(bang, 1));
    assertEquals(bang + ": a folder of its path ends in '!', which Java's jar: URLs take for the end of a jar's name (\"!/\"), so its entries"
        + " cannot be read: move the jar, or rename the folder", e.getMessage());
    Path fine = Files.copy(whole, Files.createDirectories(dir.resolve("a!b")).resolve("m!.jar"));
    try (CompiledModel m = CompiledModel.load(fine, 1)) {
      assertEquals("jartest", m.name());
    }
  }

  /** A labels file present but not one line a class, or unreadable, is a damaged jar, not "class i" names. */
  @Test
  void labelsNotOneAClassOrUnreadableAreRefusedNamingTheJar() throws IOException {
    Path three = jar("three.jar", properties(2, true), floats(2f, -0.5f), "cat\ndog\nbird\n");
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(three, 1));
    assertEquals(entry(three, "labels.txt") + ": damaged model: 3 labels (lines) for 2 classes", e.getMessage());

    // an empty label, or Latin-1 text, named no class or named it with replacement characters
    Path empty = jar("empty.jar", properties(2, true), floats(2f, -0.5f), "cat\n\n");
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(empty, 1));
    assertEquals(entry(empty, "labels.txt") + ": damaged model: label 2 (line 2) is empty", e.getMessage());
    Map<String, byte[]> latin = new LinkedHashMap<>();
    latin.put("model.properties", properties(2, true).getBytes(StandardCharsets.UTF_8));
    latin.put("weights.bin", floats(2f, -0.5f));
    latin.put("labels.txt", "caf\u00e9\ndog\n".getBytes(StandardCharsets.ISO_8859_1));
    Path latin1 = jar("latin1.jar", latin);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(latin1, 1));
    assertEquals(entry(latin1, "labels.txt") + ": damaged model: not UTF-8 text", e.getMessage());

    Path corrupt = jar("corrupt.jar", properties(2, true), floats(2f, -0.5f), "cat\ndog\n".repeat(100).substring(0, 799));
    corruptEntry(corrupt, FOLDER + "labels.txt");
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(corrupt, 1));
    assertEquals(corrupt + ": damaged jar: the entry " + FOLDER + "labels.txt does not inflate (invalid block type)", e.getMessage());
  }

  /**
   * An entry whose bytes no longer match the CRC the jar records is refused at load, naming it: the JDK's zip reader does
   * not compare them, so a class file changed by a damaged copy loaded and failed at its first call (an AbstractMethodError,
   * a NoSuchFieldError, an index out of bounds: what ModelJarFuzzTest found), and changed labels named the classes wrongly.
   */
  @Test
  void entriesThatDoNotMatchTheirChecksumAreRefusedNamingTheEntry() throws IOException {
    Map<String, byte[]> resources = new LinkedHashMap<>();
    resources.put("model.properties", properties(2, false).getBytes(StandardCharsets.UTF_8));
    resources.put("weights.bin", floats(2f, -0.5f));
    resources.put("extra.bin", "stored as written".getBytes(StandardCharsets.UTF_8)); // stored: its bytes are in the file as they are
    Path changed = jar("changed.jar", resources);
    try (CompiledModel m = CompiledModel.load(changed, 1)) {
      assertEquals("jartest", m.name(), "loads as written");
    }
    byte[] bytes = Files.readAllBytes(changed);
    bytes[dataStart(bytes, localHeader(changed, bytes, FOLDER + "extra.bin"))] ^= 1;
    Files.write(changed, bytes);
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(changed, 1));
    assertEquals(changed + ": damaged jar: the entry " + FOLDER + "extra.bin does not match the checksum the jar records for it (a copy"
        + " cut short or changed?)", e.getMessage());
    // the model's class, deflated: a byte changed in its data either does not inflate or inflates to other bytes
    Path cls = jar("class.jar", properties(2, false), floats(2f, -0.5f), null);
    bytes = Files.readAllBytes(cls);
    int data = dataStart(bytes, localHeader(cls, bytes, FOLDER + "JarModel.class"));
    bytes[data + 200] ^= 0x10;
    Files.write(cls, bytes);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(cls, 1));
    assertTrue(e.getMessage().startsWith(cls + ": damaged jar: the entry " + FOLDER + "JarModel.class does not "), e.getMessage());
    // an entry that inflates past any a model writes (64 MiB of zeros, 64 KB deflated) is refused by its recorded size,
    // not inflated to its end
    Map<String, byte[]> bomb = new LinkedHashMap<>(resources);
    bomb.remove("extra.bin");
    bomb.put("extra.txt", new byte[(int) ModelLoader.MAX_CHECKED_ENTRY + 1]);
    Path inflated = jar("inflated.jar", bomb);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(inflated, 1));
    assertEquals(inflated + ": damaged jar: the entry " + FOLDER + "extra.txt is 67108865 bytes, more than a compiled model's entries"
        + " other than its weights hold (67108864)", e.getMessage());
    // the same damaged jar on a caller's class path (as java -jar runs one), in a folder whose name needs escaping in a URL:
    // checked alike, named by its path, once
    Path odd = Files.createDirectories(dir.resolve("a b#%\u00e9"));
    Path onPath = Files.copy(changed, odd.resolve("changed.jar"));
    try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {onPath.toUri().toURL()}, null)) {
      e = assertThrows(BadInputException.class, () -> CompiledModel.load(loader, "jartest", 1));
      assertEquals(onPath + ": damaged jar: the entry " + FOLDER + "extra.bin does not match the checksum the jar records for it (a copy"
          + " cut short or changed?)", e.getMessage());
    }
    Path relative = Path.of("").toAbsolutePath().relativize(onPath);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(relative, 1));
    assertTrue(e.getMessage().startsWith(onPath + ": damaged jar: the entry "), "by a relative path: named once, absolute: " + e.getMessage());
    // an entry's name that is not UTF-8 (ModelJarFuzzTest's finding): the JDK's IllegalArgumentException was an internal error
    Path name = dir.resolve("name.jar");
    try (InputStream in = getClass().getResourceAsStream("ModelJarFuzzTestInputs/load/finding_entry_name_not_utf8")) {
      Files.write(name, in.readAllBytes());
    }
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(name, 1));
    // JDK 17 opens the jar and fails listing it ("an entry's name is not UTF-8: malformed input off : 65, length : 1"),
    // JDK 25 refuses to open it ("invalid CEN header (bad entry name or comment)"): either way a damaged jar, named
    assertTrue(e.getMessage().startsWith(name + ": damaged jar ("), e.getMessage());
  }

  /**
   * A labels entry past 4 KiB a class, or a model.properties past 1 MiB, is refused naming the jar's entry
   * before more is read: a labels.txt of 3 GB of one letter (a few MB deflated) ran the load out of memory,
   * blamed on the weights, and a huge model.properties ended in "Java heap space". Up to the bounds they load.
   */
  @Test
  void labelsOrPropertiesPastTheirBoundAreRefusedNamingTheEntry() throws IOException {
    int max = netc.runtime.io.Labels.maxBytes(2);
    assertEquals(8192, max, "4 KiB a class");
    Path atBound = jar("at-bound.jar", properties(2, true), floats(2f, -0.5f), "cat\n" + "a".repeat(max - 4));
    try (CompiledModel m = CompiledModel.load(atBound, 1)) {
      assertEquals(List.of("cat", "a".repeat(max - 4)), m.labels());
    }
    Path long1 = jar("long-labels.jar", properties(2, true), floats(2f, -0.5f), "cat\n" + "a".repeat(max - 3));
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(long1, 1));
    assertEquals(entry(long1, "labels.txt") + ": damaged model: more than 8192 bytes of labels for 2 classes (at most 4096 bytes a label)",
        e.getMessage());
    assertEquals(16 << 20, netc.runtime.io.Labels.maxBytes(1_000_000), "16 MiB in all, whatever the classes");

    String props = properties(2, false) + "#";
    int bound = ModelLoader.MAX_PROPERTIES_BYTES;
    try (CompiledModel m = CompiledModel.load(jar("props-at-bound.jar", props + "a".repeat(bound - props.length()), floats(2f, -0.5f), null), 1)) {
      assertEquals("jartest", m.name());
    }
    Path huge = jar("huge-props.jar", props + "a".repeat(bound - props.length() + 1), floats(2f, -0.5f), null);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(huge, 1));
    assertEquals(entry(huge, "model.properties") + ": damaged model: more than 1048576 bytes of properties (netc writes about a kilobyte)",
        e.getMessage());    // a malformed unicode escape: Properties' IllegalArgumentException was a stack trace
    Path escape = jar("bad-escape.jar", props + "\nname=\\uZZ\n", floats(2f, -0.5f), null);
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(escape, 1));
    assertEquals(entry(escape, "model.properties") + ": damaged model: its properties do not parse (Malformed \\uxxxx encoding.)", e.getMessage());
  }

  /**
   * Makes the deflated data of {@code name} in {@code jar} start with a block of the reserved type 3
   * (its first byte 0b111: last block, type 3), so that reading the entry fails with a ZipException.
   */
  static void corruptEntry(Path jar, String name) throws IOException {
    byte[] bytes = Files.readAllBytes(jar);
    int at = localHeader(jar, bytes, name);
    assertEquals(8, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getShort(at + 8), "deflated");
    bytes[dataStart(bytes, at)] = 0b111;
    Files.write(jar, bytes);
  }
}
