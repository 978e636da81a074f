package netc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Finds a compiled model on a class loader and instantiates it. Every model owns a package and a
 * resource folder named after it ({@code netc.models.resnet50}, {@code netc/models/resnet50/}),
 * and each jar or directory declares its model in {@link #MARKER}; so any number of models share a
 * class path, and a lookup that could mean two models is refused, never answered with one of them.
 */
final class ModelLoader {
  /** One per compiled jar or directory, holding the model's name: how models on a class path are enumerated. */
  static final String MARKER = "META-INF/netc/model";

  /** What is read of a marker: model names, one a line, of at most 64 characters each. */
  private static final int MAX_MARKER_BYTES = 1 << 16;

  /** What is read of a model.properties: netc writes about a kilobyte. */
  static final int MAX_PROPERTIES_BYTES = 1 << 20;

  /** Where models of netc before per-model packages kept their properties: recognized to say "recompile". */
  private static final String LEGACY_PROPERTIES = "netc/model.properties";

  private ModelLoader() {}

  /** What netc compile --name takes: lower-case letters, digits and _, a letter first. */
  static boolean validName(String name) {
    return name.matches("[a-z][a-z0-9_]*");
  }

  /**
   * A model of an older netc (one model per class path, {@code netc/model.properties}) at {@code at}, when not null, is
   * refused as what it is: loaded by path or by name it was called "not a compiled netc model".
   */
  private static void refuseLegacy(URL at, Path jar) {
    if (at != null) {
      throw new BadInputException((jar != null ? jar + ": a compiled model" : "the compiled model at " + at) + " made by an older netc (one"
          + " model per class path): recompile it with this netc");
    }
  }

  /** The resource folder of a model (no leading slash). */
  static String folder(String name) {
    return MODELS + name + "/";
  }

  /** The folder of every model's classes and resources, a model's own below it. */
  private static final String MODELS = "netc/models/";

  /** The only model visible to {@code loader}. */
  static CompiledModel load(ClassLoader loader, int threads) {
    checkThreads(threads);
    Map<String, List<URL>> models = declared(loader);
    if (models.isEmpty()) {
      refuseLegacy(resource(loader, LEGACY_PROPERTIES), null);
      throw new BadInputException("no compiled netc model on the class path (no " + MARKER + " resource)");
    }
    if (models.size() > 1) {
      throw new BadInputException(models.size() + " compiled models on the class path (" + describe(models)
          + "): name the one to load, CompiledModel.load(loader, NAME, threads)");
    }
    return load(loader, models.keySet().iterator().next(), threads);
  }

  /** The model called {@code name} on {@code loader}. */
  static CompiledModel load(ClassLoader loader, String name, int threads) {
    checkThreads(threads);
    if (name == null || !validName(name)) {
      throw new IllegalArgumentException("name: a model's name is lower-case letters, digits and _ (as netc compile --name takes), got "
          + (name == null ? "null" : "\"" + name + "\""));
    }
    String properties = folder(name) + "model.properties";
    List<URL> found = resources(loader, properties);
    if (found.isEmpty()) {
      Map<String, List<URL>> models = declared(loader);
      if (models.isEmpty()) refuseLegacy(resource(loader, LEGACY_PROPERTIES), null);
      throw new BadInputException("no compiled model named " + name + " on the class path"
          + (models.isEmpty() ? "" : " (there is " + describe(models) + ")"));
    }
    if (found.size() > 1) {
      throw new BadInputException("the compiled model " + name + " is on the class path " + found.size() + " times (" + join(found)
          + "): remove one, or compile one of them under another name (netc compile --name)");
    }
    checkEntries(found.get(0), name);
    Properties p = new Properties();
    try (InputStream in = open(found.get(0))) {
      // counted as read (a jar entry's recorded size may lie): a huge one ran the load out of heap ("Java heap space")
      byte[] bytes = in.readNBytes(MAX_PROPERTIES_BYTES + 1);
      if (bytes.length > MAX_PROPERTIES_BYTES) {
        throw new BadInputException(found.get(0) + ": damaged model: more than " + MAX_PROPERTIES_BYTES + " bytes of properties (netc writes"
            + " about a kilobyte)");
      }
      try {
        p.load(new InputStreamReader(new java.io.ByteArrayInputStream(bytes), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) { // a malformed backslash-u escape: Properties' only complaint about its text
        throw new BadInputException(found.get(0) + ": damaged model: its properties do not parse (" + e.getMessage() + ")");
      }
    } catch (IOException e) {
      throw new BadInputException("cannot read " + found.get(0) + ": " + e.getMessage(), e);
    }
    checkAbi(p, found.get(0));
    return instantiate(loader, name, p, threads, container(found.get(0)));
  }

  /**
   * The model in {@code jar}, in a class loader of its own whose parent is the runtime's: its classes
   * and resources come from the jar even if a model of the same name is on the caller's class path.
   */
  static CompiledModel load(Path jar, String name, int threads) {
    checkThreads(threads);
    // a jar inside a zip, an in-memory file system: the class loader reads files of the default one only (it was
    // an UnsupportedOperationException from Path.toFile, which the documentation does not name)
    if (jar.getFileSystem() != java.nio.file.FileSystems.getDefault()) {
      throw new BadInputException(jar + ": not a file of the default file system (" + jar.getFileSystem().provider().getScheme()
          + "); copy the jar to one (Files.copy) and load that");
    }
    netc.runtime.io.RegularFile.require(jar, ""); // as an image is refused: "not a regular file (a directory)"
    // the class loader reads the jar's entries through jar: URLs, which end the jar's name at the first "!/": under a
    // folder whose name ends in '!', every entry was "cannot read jar:file:/x/bang!/m.jar!/META-INF/...: /x/bang"
    java.net.URI uri = jar.toAbsolutePath().normalize().toUri();
    if (uri.toString().contains("!/")) {
      throw new BadInputException(jar + ": a folder of its path ends in '!', which Java's jar: URLs take for the end of a jar's"
          + " name (\"!/\"), so its entries cannot be read: move the jar, or rename the folder");
    }
    List<String> inJar = checkOpens(jar);
    ModelClassLoader loader;
    try {
      loader = new ModelClassLoader(uri.toURL(), CompiledModel.class.getClassLoader());
    } catch (IOException e) {
      throw new BadInputException(jar + ": " + e.getMessage(), e);
    }
    try {
      String chosen = name;
      if (chosen == null) {
        List<String> names = new ArrayList<>(declared(loader).keySet());
        if (names.isEmpty()) {
          refuseLegacy(resource(loader, LEGACY_PROPERTIES), jar); // the jar's own, not the class path's
          throw new BadInputException(jar + ": not a compiled netc model (no " + MARKER + " in it)");
        }
        if (names.size() > 1) throw new BadInputException(jar + " holds " + names.size() + " models " + names + ": name the one to load");
        // two jars unzipped into one keep the last one's marker: the model it names is not the only one there
        if (inJar.size() > 1) {
          throw new BadInputException(jar + " holds " + inJar.size() + " models " + inJar + " (its " + MARKER + " names " + names.get(0)
              + " alone): name the one to load");
        }
        chosen = names.get(0);
      }
      CompiledModel model = load(loader, chosen, threads);
      model.ownLoader(loader);
      return model;
    } catch (BadInputException e) {
      closeQuietly(loader);
      // the model's own checks name the model ("the compiled model r50 is damaged: ..."), not the file: a service that
      // loads several jars must be told which one
      throw BadInputException.naming(jar, e);
    } catch (RuntimeException | Error e) {
      closeQuietly(loader);
      throw e;
    }
  }

  /**
   * Refuses a jar the JDK cannot open as a zip (cut short by an interrupted copy, damaged, not a jar):
   * the class loader skips such a jar without a word, and it would be reported as one holding no model.
   * Reads its directory only, and closes it; returns the names of the models whose properties it holds.
   */
  private static List<String> checkOpens(Path jar) {
    try (java.util.jar.JarFile f = new java.util.jar.JarFile(jar.toFile(), false)) {
      // opened: its directory was found and read; the models whose properties are in it, by name
      String properties = "/model.properties";
      return f.stream().map(e -> e.getName()).filter(n -> n.startsWith(MODELS) && n.endsWith(properties))
          .map(n -> n.substring(MODELS.length(), n.length() - properties.length())).filter(n -> !n.contains("/"))
          .distinct().sorted().toList();
    } catch (IllegalArgumentException e) {
      // an entry's name that is not UTF-8: the JDK's own decoder gives up ("malformed input off : 65")
      throw new BadInputException(jar + ": damaged jar (an entry's name is not UTF-8: " + e.getMessage() + ")", e);
    } catch (java.util.zip.ZipException e) {
      // a file that does not begin as a zip does is no jar at all (a spec or an ONNX model given where the compiled jar goes)
      throw new BadInputException(netc.runtime.io.Zips.notOpened(jar, e), e);
    } catch (IOException e) {
      throw new BadInputException("cannot read " + jar + ": " + netc.runtime.io.FileOutput.reason(e), e); // the message alone repeats the path
    }
  }

  /**
   * Refuses a model in a jar (its properties at {@code properties}, a jar: URL of a local file) one of whose entries does
   * not match the CRC the jar records for it: the JDK's zip reader does not compare them, so a class file changed by a
   * damaged copy loaded and failed later, at its first call, with an AbstractMethodError, a NoSuchFieldError or an index
   * out of bounds (what ModelJarFuzzTest found), and changed labels named the classes wrongly. A model jar loaded by path,
   * run as {@code java -jar}, or on a caller's class path alike; a model in a folder of classes has no checksums to
   * compare. The weights are checked as they are read, once (a model's largest entry, not read twice here).
   */
  private static void checkEntries(URL properties, String name) {
    String s = properties.toString();
    int bang = s.indexOf("!/");
    // a jar of the local file system holding the model's folder at its root; not a jar inside a jar (Spring Boot's
    // BOOT-INF/lib/m.jar!/...), whose entries this cannot read, nor a folder of classes, which has no checksums
    if (!s.startsWith("jar:file:") || bang < 0 || !s.substring(bang + 2).equals(folder(name) + "model.properties")) return;
    Path jar;
    try {
      jar = Path.of(new java.net.URI(s.substring(4, bang))).normalize();
    } catch (java.net.URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      return; // not a file this loader can name: the class loader reads it as it is
    }
    try (java.util.jar.JarFile f = new java.util.jar.JarFile(jar.toFile(), false)) {
      List<String> names;
      try {
        names = f.stream().map(java.util.jar.JarEntry::getName).filter(n -> n.startsWith(folder(name))).distinct().toList();
      } catch (IllegalArgumentException e) {
        // an entry's name, anywhere in the jar, that is not UTF-8 (the JDK's own decoder gives up): a jar loaded by path is
        // refused for it (checkOpens); one on a caller's class path (an uber jar of other things) loaded before this check
        return;
      }
      // by name, as the class loader reads them: of two entries of one name, the one it reads
      for (String n : names) checkCrc(jar, f, f.getJarEntry(n));
    } catch (java.util.zip.ZipException e) {
      throw new BadInputException(netc.runtime.io.Zips.notOpened(jar, e), e);
    } catch (IOException e) {
      throw new BadInputException("cannot read " + jar + ": " + netc.runtime.io.FileOutput.reason(e), e);
    }
  }

  /**
   * The largest entry of a model's folder, weights.bin aside, read for its checksum (labels are at most 16 MiB, properties
   * 1 MiB, a class file 64 KiB a method): a few MB of deflated zeros inflate to gigabytes, which would take the load minutes.
   */
  static final long MAX_CHECKED_ENTRY = 64L << 20;

  /** {@link #checkEntries}' check of one entry (not weights.bin): its bytes against the CRC the jar records. */
  private static void checkCrc(Path jar, java.util.jar.JarFile f, java.util.jar.JarEntry e) throws IOException {
    if (e == null || e.isDirectory() || e.getCrc() == -1 || e.getName().endsWith("/weights.bin")) return;
    String name = e.getName();
    if (e.getSize() > MAX_CHECKED_ENTRY) {
      throw new BadInputException(jar + ": damaged jar: the entry " + name + " is " + e.getSize() + " bytes, more than a compiled model's"
          + " entries other than its weights hold (" + MAX_CHECKED_ENTRY + ")");
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    long read = 0;
    try (InputStream in = f.getInputStream(e)) {
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        read += n;
        // the recorded size may lie (it is from the jar's directory): bytes past it are damage, not read to their end
        if (e.getSize() >= 0 && read > e.getSize() || read > MAX_CHECKED_ENTRY) {
          throw new BadInputException(jar + ": damaged jar: the entry " + name + " holds more bytes than the jar records for it ("
              + e.getSize() + ")");
        }
        crc.update(buffer, 0, n);
      }
    } catch (IOException z) { // a ZipException ("invalid block type"), an EOFException (data cut short)
      throw new BadInputException(jar + ": damaged jar: the entry " + name + " does not inflate (" + z.getMessage() + ")", z);
    }
    if (crc.getValue() != e.getCrc()) {
      throw new BadInputException(jar + ": damaged jar: the entry " + name + " does not match the checksum the jar records for it"
          + " (a copy cut short or changed?)");
    }
  }

  /**
   * Opens a resource without the JDK's cache of open jar files: through the cache, a jar replaced at
   * the same path would answer with the old file's properties, and a jar whose load failed would
   * stay open (locked, on Windows) until the JVM ends.
   */
  private static InputStream open(URL u) throws IOException {
    return connect(u).getInputStream();
  }

  /** A connection to {@code u} that opens it as {@link #open(URL)} does, for a caller that also asks its length. */
  static java.net.URLConnection connect(URL u) throws IOException {
    java.net.URLConnection c = u.openConnection();
    c.setUseCaches(false);
    return c;
  }

  private static void checkThreads(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads: must be at least 1, got " + threads);
    // as the command lines bound them: Integer.MAX_VALUE failed as an out-of-memory blamed on the weights, 5,000 made
    // 4,999 threads, which live as long as a model of that count
    if (threads > CommandLineArgs.MAX_THREADS) {
      throw new IllegalArgumentException("threads: at most " + CommandLineArgs.MAX_THREADS + ", got " + threads);
    }
  }

  private static void checkAbi(Properties p, URL where) {
    String abi = p.getProperty("runtime.abi");
    if (!Integer.toString(CompiledModel.ABI).equals(abi)) {
      throw new BadInputException("the compiled model at " + where + " (netc " + p.getProperty("netc.version", "?") + ") was generated for "
          + (abi == null ? "an older netc runtime" : "netc runtime ABI " + abi) + ", and this runtime is ABI " + CompiledModel.ABI
          + ": recompile it with this netc, or run its own jar (java -jar MODEL.jar)");
    }
  }

  /** Runs the generated constructor, which reads the weights; its failures keep their cause. */
  private static CompiledModel instantiate(ClassLoader loader, String name, Properties p, int threads, String where) {
    String className = p.getProperty("class");
    if (className == null) throw new BadInputException("the compiled model " + name + " is damaged: its model.properties names no class");
    try {
      // not initialized until it is known to be a model: a damaged jar naming another class must not run its static code
      Class<?> c = Class.forName(className, false, loader);
      if (!CompiledModel.class.isAssignableFrom(c)) {
        throw new BadInputException("the compiled model " + name + " is damaged: its model.properties names the class " + className
            + ", which is not a compiled netc model");
      }
      return (CompiledModel) c.getConstructor(Properties.class, int.class).newInstance(p, threads);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof OutOfMemoryError oom) throw outOfMemory(name, p, oom);
      if (cause instanceof BadInputException b) throw b;
      if (cause instanceof NumberFormatException || cause instanceof NullPointerException) {
        throw new BadInputException("the compiled model " + name + " is damaged: its model.properties lacks a value or has a malformed one ("
            + cause.getMessage() + ")", cause);
      }
      // the constructor only reads the properties and the weights: anything else it throws is a jar it cannot make sense of
      if (cause instanceof RuntimeException r) {
        throw new BadInputException("the compiled model " + name + " is damaged or was made by another netc: its properties or weights do not"
            + " fit its class (" + r + ")", r);
      }
      if (cause instanceof Error err) throw err;
      throw new IllegalStateException("cannot load the compiled model " + name + ": " + cause, cause);
    } catch (OutOfMemoryError oom) {
      throw outOfMemory(name, p, oom);
    } catch (ClassNotFoundException e) { // not in its jar (a shading tool's minimizeJar drops a class loaded by name)
      throw new BadInputException(where + ": damaged model: the class " + className + " its model.properties names is not in it", e);
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new BadInputException("cannot load the compiled model " + name + " (class " + className + "): " + e, e);
    }
  }

  private static OutOfMemoryError outOfMemory(String name, Properties p, OutOfMemoryError cause) {
    String m = cause.getMessage();
    if (m != null && (m.contains("unable to create native thread") || m.contains("unable to create new native thread"))) {
      // the intra-op pool's workers could not start: a larger heap would only leave less memory for thread stacks
      OutOfMemoryError e = new OutOfMemoryError("loading the compiled model " + name + ": cannot start its worker threads (" + m + "): the"
          + " process has reached its thread limit (ulimit -u, a container's pids limit) or has no memory left for thread stacks;"
          + " load it with fewer threads");
      e.initCause(cause);
      return e;
    }
    long weights = 4L * Long.parseLong(p.getProperty("weights.floats", "0"));
    long arena = 4L * Long.parseLong(p.getProperty("arena.floats", "0"));
    OutOfMemoryError e = new OutOfMemoryError(String.format(java.util.Locale.ROOT,
        "loading the compiled model %s needs %.1f MiB of heap for its weights (and %.1f MiB per concurrent call); this JVM's maximum heap"
            + " is %.1f MiB: raise it with -Xmx",
        name, weights / 1048576.0, arena / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0));
    e.initCause(cause);
    return e;
  }

  /** Model name -> where it is declared, for every marker {@code loader} sees. */
  private static Map<String, List<URL>> declared(ClassLoader loader) {
    Map<String, List<URL>> out = new LinkedHashMap<>();
    for (URL u : resources(loader, MARKER)) {
      String names;
      try (InputStream in = open(u)) {
        byte[] bytes = in.readNBytes(MAX_MARKER_BYTES + 1);
        // not cut at the bound: a name cut in two would declare a model that is not there
        if (bytes.length > MAX_MARKER_BYTES) throw new BadInputException(u + ": damaged: more than " + MAX_MARKER_BYTES + " bytes of model names");
        names = new String(bytes, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new BadInputException("cannot read " + u + ": " + e.getMessage(), e);
      }
      // a jar holds one model; a project built with netc-maven-plugin declares each of its models on a line
      for (String name : names.lines().map(n -> n.replace("\uFEFF", "").strip()).filter(n -> !n.isEmpty()).toList()) {
        if (!validName(name)) {
          throw new BadInputException(u + ": damaged: declares a model named \"" + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
              + "\", and a model's name is lower-case letters, digits and _");
        }
        out.computeIfAbsent(name, k -> new ArrayList<>()).add(u);
      }
    }
    return out;
  }

  /** {@link #resources}'s one: a model's own loader answers from its jar alone, any other loader from its whole path. */
  private static URL resource(ClassLoader loader, String name) {
    return loader instanceof ModelClassLoader own ? own.findResource(name) : loader.getResource(name);
  }

  /** A model's own loader answers from its jar alone; any other loader from its whole path. */
  private static List<URL> resources(ClassLoader loader, String name) {
    try {
      var urls = loader instanceof ModelClassLoader own ? own.findResources(name) : loader.getResources(name);
      return new ArrayList<>(new java.util.LinkedHashSet<>(Collections.list(urls)));
    } catch (IOException e) {
      throw new BadInputException("cannot list " + name + " on the class path: " + e.getMessage(), e);
    }
  }

  private static String describe(Map<String, List<URL>> models) {
    List<String> parts = new ArrayList<>();
    models.forEach((name, where) -> parts.add(name + " in " + join(where.stream().map(ModelLoader::container).toList())));
    return String.join(", ", parts);
  }

  /** jar:file:/x/r50.jar!/META-INF/netc/model -> file:/x/r50.jar */
  private static String container(URL u) {
    String s = u.toString();
    int bang = s.indexOf("!/");
    if (s.startsWith("jar:") && bang > 0) return s.substring(4, bang);
    return s.endsWith(MARKER) ? s.substring(0, s.length() - MARKER.length()) : s;
  }

  private static String join(List<?> items) {
    return String.join(" and ", items.stream().map(String::valueOf).toList());
  }

  static void closeQuietly(URLClassLoader loader) {
    try {
      loader.close();
    } catch (IOException ignored) {
      // nothing left to release that a caller could act on
    }
  }

  /**
   * A compiled jar's own loader: the runtime and the JDK come from the parent (one runtime for all
   * models), a model's classes and resources from the jar alone, so a same-named model elsewhere on
   * the caller's class path cannot stand in for it, nor for a part the jar lacks.
   */
  static final class ModelClassLoader extends URLClassLoader {
    static {
      registerAsParallelCapable();
    }

    ModelClassLoader(URL jar, ClassLoader parent) {
      super(new URL[] {jar}, parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith("netc.models.")) return super.loadClass(name, resolve);
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        // the jar's own alone, as its resources: a jar whose model class was stripped (a shading tool's minimizeJar;
        // the class is loaded by name) took the class path's model of the same name, and with it that model's weights
        if (c == null) c = findClass(name);
        if (resolve) resolveClass(c);
        return c;
      }
    }

    /**
     * A model's resources come from its own jar alone: one the jar lacks (its weights.bin dropped by a shading tool)
     * was taken from the class path, another model of the same name's, whose CRC that jar records: the model ran on
     * another model's weights, or labels, with no error.
     */
    @Override
    public URL getResource(String name) {
      if (name.startsWith("netc/models/") || name.startsWith("META-INF/netc/")) return findResource(name);
      return super.getResource(name);
    }
  }
}
