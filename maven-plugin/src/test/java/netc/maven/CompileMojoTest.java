package netc.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import netc.ast.SpecLoader;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.runtime.io.Safetensors;
import netc.weights.SyntheticWeights;
import org.apache.maven.model.Plugin;
import org.apache.maven.model.PluginExecution;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The goal on a project's spec folder: which files become models, their numbers, staleness and errors. */
class CompileMojoTest {
  /** A block for import: no input, so not a spec of its own. */
  static final String BLOCKS = "block unit(c) {\n  conv(c, 3, padding = 1)\n  relu()\n}\n";
  static final String TINY = "import \"blocks.net\"\nparam width = 8\ninput(3, 16, 16)\nu: unit(width)\nglobal_avgpool()\nflatten()\nfc: fc(4)\n";
  static final String OTHER = "input(1, 8, 8)\nc: conv(4, 3)\nrelu()\nglobal_avgpool()\nflatten()\nfc: fc(3)\n";

  /**
   * The compiled model against the reference interpreter on the same synthetic weights: 1e-4 of the
   * largest |output|. Generated code reorders the float sums (blocked layouts, FMAs), which moves
   * outputs by rounding only; a wrong weight moves them by the size of a weight.
   */
  static final double TOLERANCE = 1e-4;

  @TempDir Path project;
  Path src, classes;
  final List<String> warnings = new ArrayList<>();

  @BeforeEach
  void layout() throws Exception {
    src = Files.createDirectories(project.resolve("src/main/netc"));
    classes = project.resolve("target/classes");
    Files.writeString(src.resolve("blocks.net"), BLOCKS);
    Files.writeString(src.resolve("tiny.net"), TINY);
    Files.writeString(src.resolve("other-net.net"), OTHER);
  }

  /**
   * A {@code <stateDirectory>} pointed at a folder the plugin does not own (target itself) keeps what is in it: every
   * folder there was taken for a retired execution's stamps and deleted, target/classes with the project's classes.
   */
  @Test
  void aSharedStateDirectoryKeepsTheFoldersItHolds() throws Exception {
    Path own = Files.writeString(Files.createDirectories(classes.resolve("com/example")).resolve("App.class"), "the project's class");
    Path other = Files.writeString(Files.createDirectories(project.resolve("target/generated-sources")).resolve("Gen.java"), "class Gen {}");
    for (int build = 0; build < 2; build++) {
      CompileMojo m = declared(declaring("default"), "default"); // the pom declares its executions: others' folders retire
      m.stateDirectory = project.resolve("target").toFile();
      m.execute();
      assertTrue(Files.isRegularFile(own), "build " + build + ": the project's own class is still there");
      assertTrue(Files.isRegularFile(other), "build " + build + ": another plugin's folder is still there");
      assertTrue(Files.isRegularFile(classes.resolve("netc/models/tiny/model.properties")), "build " + build + ": the model is there");
    }
  }

  CompileMojo mojo() {
    CompileMojo m = new CompileMojo();
    m.basedir = project.toFile();
    m.sourceDirectory = src.toFile();
    m.outputDirectory = classes.toFile();
    m.stateDirectory = project.resolve("target/netc-maven-plugin").toFile();
    m.setLog(new SystemStreamLog() {
      @Override
      public void warn(CharSequence content) {
        warnings.add(content.toString());
      }
    });
    return m;
  }

  @Test
  void everySpecWithAnInputBecomesAModelThatComputesWhatTheInterpreterDoes() throws Exception {
    mojo().execute();
    assertFalse(Files.exists(classes.resolve("netc/models/blocks")), "blocks.net declares no input: not a model");
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    assertEquals(2, warnings.stream().filter(w -> w.contains("synthetic weights")).count(), warnings.toString());
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      BadInputException two = assertThrows(BadInputException.class, () -> CompiledModel.load(loader, 1));
      assertTrue(two.getMessage().contains("other_net") && two.getMessage().contains("tiny"), two.getMessage());
      assertMatchesInterpreter(loader, "tiny", src.resolve("tiny.net"), SYNTHETIC_SEED, new int[] {2, 3, 16, 16});
      assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), SYNTHETIC_SEED, new int[] {2, 1, 8, 8});
      try (CompiledModel tiny = CompiledModel.load(loader, "tiny", 1)) {
        assertEquals("src/main/netc/tiny.net", tiny.info().spec(), "the spec is recorded relative to the project: the jar is the same on any machine");
      }
    }
  }

  /**
   * NAME.labels.txt beside a spec names its model's classes, as netc compile --labels: read into the jar, an input
   * of the up-to-date check (edited, the model recompiles), and refused by file name when not one label per output.
   */
  @Test
  void aLabelsFileBesideTheSpecNamesTheClasses() throws Exception {
    Path labels = Files.writeString(src.resolve("tiny.labels.txt"), "cat\ndog\nbird\nfish\n");
    mojo().execute();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader());
        CompiledModel tiny = CompiledModel.load(loader, "tiny", 1); CompiledModel other = CompiledModel.load(loader, "other_net", 1)) {
      assertEquals(List.of("cat", "dog", "bird", "fish"), tiny.labels());
      assertEquals("class 0", other.labels().get(0), "no labels file: the default");
    }
    Files.writeString(labels, "cat\ndog\nbird\n");
    org.apache.maven.plugin.MojoFailureException e = assertThrows(org.apache.maven.plugin.MojoFailureException.class, () -> mojo().execute());
    assertTrue(e.getMessage().contains(labels + ": 3 labels (lines) for 4 classes"), e.getMessage());
    Files.writeString(labels, "cat\ndog\nbird\nowl\n");
    mojo().execute();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader());
        CompiledModel tiny = CompiledModel.load(loader, "tiny", 1)) {
      assertEquals("owl", tiny.labels().get(3), "an edited labels file recompiles the model");
    }
  }

  /** A subfolder holds files to import: a spec there is compiled only when listed, by its path under the spec folder. */
  @Test
  void aSpecInASubfolderIsCompiledWhenListed() throws Exception {
    Files.writeString(Files.createDirectories(src.resolve("vision")).resolve("nested.net"), OTHER);
    mojo().execute();
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")), "not by default");
    CompileMojo listed = mojo();
    listed.includes = List.of("vision/nested.net", "tiny.net");
    listed.execute();
    assertEquals("nested\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    CompileMojo windows = mojo(); // a pom written on Windows: a backslash is a separator in a plain path too, as in a pattern
    windows.includes = List.of("vision\\nested.net");
    windows.execute();
    assertEquals("nested\n", Files.readString(classes.resolve("META-INF/netc/model")));
    listed.execute();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "nested", src.resolve("vision/nested.net"), SYNTHETIC_SEED, new int[] {2, 1, 8, 8});
    }
  }

  /** The compiler's flags are named as the pom knows them: a labels file by its path, not "--labels", import folders as {@code <importPaths>}. */
  @Test
  void messagesNameThePomsThingsNotTheCommandLinesFlags() throws Exception {
    Files.writeString(src.resolve("map.net"), "input(1, 8, 8)\nc: conv(4, 3)\n");
    Path labels = Files.writeString(src.resolve("map.labels.txt"), "a\nb\n");
    CompileMojo map = mojo();
    map.includes = List.of("map.net");
    String m = assertThrows(MojoFailureException.class, map::execute).getMessage();
    assertTrue(m.contains(labels + ": the model map gives [4, 6, 6] an image, not one score per class") && !m.contains("--labels"), m);
    Files.writeString(project.resolve("outside.net"), BLOCKS);
    Files.writeString(src.resolve("escape.net"), "import \"../../../outside.net\"\ninput(3, 16, 16)\nu: unit(4)\n");
    CompileMojo escape = mojo();
    escape.includes = List.of("escape.net");
    m = assertThrows(MojoFailureException.class, escape::execute).getMessage();
    assertTrue(m.contains("imports must stay inside the spec's folder (or a folder of <importPaths>)") && !m.contains("--import-path"), m);
  }

  /** Maven's include patterns: {@code **}{@code /} at any depth, top level included; files of blocks, labels and the like are not specs. */
  @Test
  void includesMayBePatterns() throws Exception {
    Path vision = Files.createDirectories(src.resolve("vision"));
    Files.writeString(vision.resolve("nested.net"), OTHER);
    Files.writeString(vision.resolve("more-blocks.net"), BLOCKS);
    Files.writeString(src.resolve("tiny.labels.txt"), "a\nb\nc\nd\n");
    CompileMojo all = mojo();
    all.includes = List.of("**/*.net", "*");
    all.execute();
    assertEquals("nested\nother_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    CompileMojo some = mojo();
    some.includes = List.of("vision\\*.net", "t?ny.net"); // a backslash is a separator, as in Maven's includes
    some.execute();
    assertEquals("nested\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    Files.writeString(src.resolve("res[v2].net"), OTHER); // a file named like a pattern is that file
    CompileMojo named = mojo();
    named.includes = List.of("res[v2].net");
    named.execute();
    assertEquals("res_v2\n", Files.readString(classes.resolve("META-INF/netc/model")));
    Files.delete(src.resolve("res[v2].net"));

    CompileMojo none = mojo();
    none.includes = List.of("vision/*.onnx");
    MojoFailureException e = assertThrows(MojoFailureException.class, none::execute);
    assertEquals("<includes><include>vision/*.onnx</include>: no spec in " + src + " matches it", e.getMessage());
    CompileMojo broken = mojo();
    broken.includes = List.of("[a-.net");
    e = assertThrows(MojoFailureException.class, broken::execute);
    assertTrue(e.getMessage().startsWith("<includes><include>[a-.net</include>: not a pattern ("), e.getMessage());
  }

  /** The seed of the plugin's synthetic weights. */
  static final long SYNTHETIC_SEED = 0;

  /** The model against the interpreter with the synthetic weights of {@code seed}. */
  private static void assertMatchesInterpreter(ClassLoader loader, String name, Path spec, long seed, int[] shape) {
    assertMatchesInterpreter(loader, name, spec, Map.of(), seed, shape);
  }

  /** As above, of the spec built with {@code defines} (a pom's {@code <defines>}). */
  private static void assertMatchesInterpreter(ClassLoader loader, String name, Path spec, Map<String, String> defines, long seed, int[] shape) {
    Graph g = GraphBuilder.build(SpecLoader.load(spec), defines);
    Tensor x = Tensor.uniform(7, shape);
    Tensor want = Interpreter.run(g, SyntheticWeights.source(g, seed), x);
    try (CompiledModel m = CompiledModel.load(loader, name, 1)) {
      Tensor got = m.predict(x);
      double err = 0, scale = 0;
      for (int i = 0; i < want.data().length; i++) {
        err = Math.max(err, Math.abs(got.data()[i] - want.data()[i]));
        scale = Math.max(scale, Math.abs(want.data()[i]));
      }
      assertTrue(scale > 0, name + ": the reference output is all zeros, the comparison would prove nothing");
      assertTrue(err <= TOLERANCE * scale, name + ": max |netc - interpreter| " + err + " vs max |y| " + scale);
    }
  }

  @Test
  void anUnchangedModelIsNotCompiledAgainAndAChangedImportRecompilesIt() throws Exception {
    mojo().execute();
    Path props = classes.resolve("netc/models/tiny/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    mojo().execute();
    assertEquals(first, Files.getLastModifiedTime(props), "nothing changed: not compiled again");
    Files.writeString(src.resolve("blocks.net"), BLOCKS.replace("relu()", "sigmoid()"));
    Files.setLastModifiedTime(src.resolve("blocks.net"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    mojo().execute();
    assertNotEquals(first, Files.getLastModifiedTime(props), "the imported blocks changed: compiled again");
    CompileMojo defined = mojo();
    defined.defines = Map.of("width", "16");
    defined.includes = List.of("tiny.net"); // defines apply to every spec, and other-net.net has no width
    Files.setLastModifiedTime(props, first);
    defined.execute();
    assertNotEquals(first, Files.getLastModifiedTime(props), "a define changed: compiled again");
    // a model left by a netc of another runtime ABI: its stamp says so, and it is compiled again
    mojo().execute();
    Path stamp = project.resolve("target/netc-maven-plugin/default/tiny.stamp");
    String current = Files.readString(stamp);
    assertTrue(current.contains("runtime ABI " + CompiledModel.ABI + "\n"), current);
    Files.writeString(stamp, current.replace("runtime ABI " + CompiledModel.ABI, "runtime ABI " + (CompiledModel.ABI - 1)));
    Files.setLastModifiedTime(props, first);
    mojo().execute();
    assertNotEquals(first, Files.getLastModifiedTime(props), "compiled for another runtime ABI: compiled again");
    // netc's own grammar, compiler, runtime and this plugin are inputs (what a rebuilt one changes: aRebuiltClassesFolderChangesTheStamp)
    current = Files.readString(stamp);
    assertEquals(4, CompileMojo.NETC_PARTS.size());
    for (Class<?> part : CompileMojo.NETC_PARTS) {
      Path from = CompileMojo.codeSource(part);
      assertTrue(from != null && current.contains("input " + from.toAbsolutePath().normalize() + " "), part + " in " + current);
    }
  }

  /** {@code link} made a symbolic link to {@code target}; the test is skipped where the file system has none. */
  static void link(Path link, Path target) throws java.io.IOException {
    try {
      Files.createSymbolicLink(link, target);
    } catch (UnsupportedOperationException e) { // a file system without links; any other failure is the test's own
      Assumptions.assumeTrue(false, "no symbolic links here: " + e);
    }
  }

  /** Compiles with {@code m}, then again after {@code edit}: whether the second run compiled the model (its properties rewritten). */
  boolean recompiledAfter(CompileMojo m, String model, Path edited, String text) throws Exception {
    m.execute();
    Path props = classes.resolve("netc/models/" + model + "/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    m.execute();
    assertEquals(first, Files.getLastModifiedTime(props), "nothing changed yet: up to date");
    Files.writeString(edited, text);
    m.execute();
    return !first.equals(Files.getLastModifiedTime(props));
  }

  /**
   * An import folder given as a link, and a spec folder that is one, are walked where they lead: an edit of a
   * file imported from there recompiles the model (walking the link itself found no file, so it said "up to date").
   */
  @Test
  void anEditBehindALinkedFolderRecompiles() throws Exception {
    Path lib = Files.createDirectories(project.resolve("shared/lib"));
    Files.move(src.resolve("blocks.net"), lib.resolve("blocks.net"));
    link(project.resolve("lib"), lib);
    CompileMojo m = execution("default", "tiny.net");
    m.importPaths = List.of(project.resolve("lib").toFile());
    assertTrue(recompiledAfter(m, "tiny", lib.resolve("blocks.net"), BLOCKS.replace("relu()", "sigmoid()")), "an import behind a linked import folder");
    Files.move(lib.resolve("blocks.net"), src.resolve("blocks.net"));
    link(project.resolve("specs"), src);
    CompileMojo linked = execution("default", "tiny.net");
    linked.sourceDirectory = project.resolve("specs").toFile();
    assertTrue(recompiledAfter(linked, "tiny", src.resolve("blocks.net"), BLOCKS), "an import beside the spec, in a linked spec folder");
  }

  /** An ONNX model's folder given as a link is walked where it leads: its external data are inputs. */
  @Test
  void anOnnxModelsFilesAreFoundBehindALinkedFolder() throws Exception {
    Path models = Files.createDirectories(project.resolve("shared/models"));
    Files.write(models.resolve("conv.onnx"), convWithExternalWeights("conv.onnx.data"));
    Files.write(models.resolve("conv.onnx.data"), convWeights(1f));
    link(project.resolve("onnx"), models);
    Path real = models.toRealPath();
    assertEquals(List.of(real.resolve("conv.onnx"), real.resolve("conv.onnx.data")),
        SpecFiles.onnxInputs(project.resolve("onnx/conv.onnx"), List.of()).stream().sorted().toList());
    // external data that is a link to a file (pointed at new weights, a new input), and a model whose own folder
    // is one of the build's: its files are inputs all the same; a build folder below it is not walked
    Path kept = Files.createDirectories(project.resolve("kept"));
    Files.write(kept.resolve("conv.onnx"), convWithExternalWeights("conv.onnx.data"));
    Files.write(kept.resolve("weights-v1.bin"), convWeights(1f));
    Files.createSymbolicLink(kept.resolve("conv.onnx.data"), kept.resolve("weights-v1.bin"));
    Files.write(Files.createDirectories(kept.resolve("target")).resolve("last-build"), new byte[] {1});
    Path k = kept.toRealPath();
    assertEquals(List.of(k.resolve("conv.onnx"), k.resolve("conv.onnx.data"), k.resolve("weights-v1.bin")),
        SpecFiles.onnxInputs(kept.resolve("conv.onnx"), List.of(kept, kept.resolve("target"))).stream().sorted().toList());
    // a model at a project's root: its hidden folders (.git, whose index git status rewrites) and any module's target are not
    // its inputs, or it would compile again after most commands
    Files.write(Files.createDirectories(kept.resolve(".git")).resolve("index"), new byte[] {2});
    Files.write(Files.createDirectories(kept.resolve("module/target")).resolve("app.jar"), new byte[] {3});
    Files.writeString(kept.resolve("module/pom.xml"), "<project/>");
    // a hidden folder that is not a tool's may hold the model's external data: walked
    Files.write(Files.createDirectories(kept.resolve(".data")).resolve("w.bin"), new byte[] {4});
    assertEquals(List.of(k.resolve(".data/w.bin"), k.resolve("conv.onnx"), k.resolve("conv.onnx.data"), k.resolve("weights-v1.bin")),
        SpecFiles.onnxInputs(kept.resolve("conv.onnx"), List.of(kept.resolve("target"))).stream().sorted().toList()); // its build folder left out
  }

  /** An import any number of folders down is an input: the loader reads it, so an edit of it recompiles the model. */
  @Test
  void anEditDeepInsideTheSpecFolderRecompiles() throws Exception {
    Path deep = src;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      deep = deep.resolve("d" + i);
      path.append("d").append(i).append('/');
    }
    Files.createDirectories(deep);
    Files.move(src.resolve("blocks.net"), deep.resolve("blocks.net"));
    Files.writeString(src.resolve("tiny.net"), TINY.replace("\"blocks.net\"", "\"" + path + "blocks.net\""));
    assertTrue(recompiledAfter(execution("default", "tiny.net"), "tiny", deep.resolve("blocks.net"), BLOCKS.replace("relu()", "sigmoid()")));
  }

  /**
   * An import may name a file of any name, not only *.net: the files the spec reads are inputs, so an edit
   * of an imported blocks.inc recompiles the model (the walk for *.net files missed it: "up to date", stale).
   */
  @Test
  void anEditOfAnImportNotNamedNetRecompiles() throws Exception {
    Files.move(src.resolve("blocks.net"), src.resolve("blocks.inc"));
    Files.writeString(src.resolve("tiny.net"), TINY.replace("\"blocks.net\"", "\"blocks.inc\""));
    assertTrue(recompiledAfter(mojo(), "tiny", src.resolve("blocks.inc"), BLOCKS.replace("relu()", "sigmoid()")), "an edited blocks.inc");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "tiny", src.resolve("tiny.net"), SYNTHETIC_SEED, new int[] {2, 3, 16, 16}); // sigmoid's model, not relu's
    }
    // deleted: the spec no longer loads, so it is not up to date, and its compile reports why, not the stamp step
    // (tiny.net is listed, so no spec is loaded to find the specs before the stamp is made)
    Files.delete(src.resolve("blocks.inc"));
    CompileMojo listed = mojo();
    listed.includes = List.of("tiny.net");
    MojoFailureException e = assertThrows(MojoFailureException.class, listed::execute);
    assertEquals(src.resolve("tiny.net") + ":1:8: cannot read import blocks.inc: no such file", e.getMessage());
  }

  /**
   * An import found in an <importPaths> folder is looked for beside the spec first: a blocks.inc put there later
   * (copied to be changed) is what the spec then reads, and the model is compiled again: each build stamps the
   * files the spec reads now, so the new file is among them (a review had thought it missed).
   */
  @Test
  void anImportPutWhereItIsLookedForFirstRecompiles() throws Exception {
    Path lib = Files.createDirectories(project.resolve("lib"));
    Files.move(src.resolve("blocks.net"), lib.resolve("blocks.inc"));
    Files.writeString(src.resolve("tiny.net"), TINY.replace("\"blocks.net\"", "\"blocks.inc\""));
    CompileMojo m = mojo();
    m.importPaths = List.of(lib.toFile());
    assertTrue(recompiledAfter(m, "tiny", src.resolve("blocks.inc"), BLOCKS.replace("relu()", "sigmoid()")), "blocks.inc beside the spec");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "tiny", src.resolve("tiny.net"), SYNTHETIC_SEED, new int[] {2, 3, 16, 16}); // the copy's sigmoid
    }
  }

  /** A classes folder (netc's own jars, in its reactor) is stamped by its files: one rebuilt class changes the stamp. */
  @Test
  void aRebuiltClassesFolderChangesTheStamp() throws Exception {
    Path folder = Files.createDirectories(project.resolve("netc-classes/netc/codegen")), file = project.resolve("stamp");
    Path output = Files.createDirectories(project.resolve("model"));
    Files.writeString(output.resolve("model.properties"), "x");
    Files.writeString(folder.resolve("A.class"), "one");
    Files.setLastModifiedTime(folder.resolve("A.class"), FileTime.fromMillis(1_000_000));
    new Stamp(file, "c\n", List.of(project.resolve("netc-classes")), List.of(), new java.util.HashMap<>()).write(output, List.of());
    assertTrue(new Stamp(file, "c\n", List.of(project.resolve("netc-classes")), List.of(), new java.util.HashMap<>()).upToDate(output, List.of()));
    Files.writeString(folder.resolve("A.class"), "two"); // same size, a new time
    assertFalse(new Stamp(file, "c\n", List.of(project.resolve("netc-classes")), List.of(), new java.util.HashMap<>()).upToDate(output, List.of()));
  }

  /** strictWeights refuses a weights file with tensors the spec does not use, naming them; by default they are a warning. */
  @Test
  void strictWeightsRefusesTensorsTheSpecDoesNotUse() throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    Map<String, netc.runtime.Tensor> tensors = new java.util.LinkedHashMap<>(SyntheticWeights.generate(g, 3));
    tensors.put("extra.weight", netc.runtime.Tensor.zeros(2));
    Safetensors.write(src.resolve("other-net.safetensors"), tensors, Map.of());
    CompileMojo m = mojo();
    m.includes = List.of("other-net.net");
    m.strictWeights = true;
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertTrue(e.getMessage().endsWith("has 1 tensor the spec does not use: extra.weight (refused: strict weights)"), e.getMessage());
    assertFalse(Files.exists(classes.resolve("netc/models/other_net/model.properties")));
    m = mojo();
    m.includes = List.of("other-net.net");
    m.execute();
    assertTrue(warnings.stream().anyMatch(w -> w.contains("has 1 tensor the spec does not use: extra.weight")), warnings.toString());
  }

  /** Where a class came from: a jar file for a library, the classes folder for this build's own. */
  @Test
  void codeSourceIsTheJarOrFolderAClassCameFrom() {
    Path jar = CompileMojo.codeSource(org.junit.jupiter.api.Test.class);
    assertTrue(Files.isRegularFile(jar) && jar.toString().endsWith(".jar"), String.valueOf(jar));
    assertTrue(Files.isDirectory(CompileMojo.codeSource(CompileMojo.class)));
    assertEquals(null, CompileMojo.codeSource(String.class)); // the JDK's own classes say nothing
  }

  @Test
  void aModelWhoseSpecIsGoneIsRemoved() throws Exception {
    mojo().execute();
    Files.move(src.resolve("other-net.net"), src.resolve("renamed.net"));
    mojo().execute();
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "other-net.net is gone: so is its model");
    assertTrue(Files.exists(classes.resolve("netc/models/renamed/model.properties")));
    assertTrue(Files.exists(classes.resolve("netc/models/tiny/model.properties")));
    assertEquals("renamed\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
  }

  /** An execution with its id and includes, as a pom's {@code <execution><id>} would configure it. */
  CompileMojo execution(String id, String... includes) {
    CompileMojo m = mojo();
    m.executionId = id;
    m.includes = List.of(includes);
    return m;
  }

  @Test
  void twoExecutionsKeepEachOthersModelsAndTheMarkerNamesBoth() throws Exception {
    execution("tiny-model", "tiny.net").execute();
    execution("other-model", "other-net.net").execute();
    execution("tiny-model", "tiny.net").execute(); // again, up to date: must not remove other_net either
    assertTrue(Files.exists(classes.resolve("netc/models/tiny/model.properties")), "the first execution's model survives the second");
    assertTrue(Files.exists(classes.resolve("netc/models/other_net/model.properties")), "the second's survives the first run again");
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "tiny", src.resolve("tiny.net"), SYNTHETIC_SEED, new int[] {1, 3, 16, 16});
      assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), SYNTHETIC_SEED, new int[] {1, 1, 8, 8});
    }
  }

  @Test
  void aSpecNoLongerIncludedIsRemovedFromItsOwnExecutionOnly() throws Exception {
    execution("a", "tiny.net", "other-net.net").execute();
    execution("b", "other-net.net").execute(); // b claims other_net too; a's tiny is not b's to remove
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    execution("a", "other-net.net").execute(); // a's later <includes> subset drops tiny
    assertFalse(Files.exists(classes.resolve("netc/models/tiny")), "a no longer includes tiny.net: its model goes");
    assertEquals("other_net\n", Files.readString(classes.resolve("META-INF/netc/model")));
    execution("a", "tiny.net").execute(); // a drops other_net, which b still compiles: it stays
    assertTrue(Files.exists(classes.resolve("netc/models/other_net/model.properties")), "b's model survives a dropping it");
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
  }

  /**
   * Another execution compiling a model into another folder does not keep it in this one: an execution writing
   * target/classes drops other-net.net while one writing target/test-classes still compiles it. The main jar's copy
   * went stale there, never updated again; now it goes, and the test folder's stays.
   */
  @Test
  void aModelDroppedFromOneFolderGoesThoughAnotherExecutionWritesItElsewhere() throws Exception {
    Path testClasses = project.resolve("target/test-classes");
    execution("main", "tiny.net", "other-net.net").execute();
    CompileMojo tests = execution("tests", "other-net.net");
    tests.outputDirectory = testClasses.toFile();
    tests.execute();
    execution("main", "tiny.net").execute();
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "main no longer compiles it into target/classes");
    assertEquals("tiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    assertTrue(Files.exists(testClasses.resolve("netc/models/other_net/model.properties")), "the test folder's model stays");
    assertEquals("other_net\n", Files.readString(testClasses.resolve("META-INF/netc/model")));
    // one writing the same folder still keeps it there: main compiles it again, also-main too, main drops it
    execution("main", "tiny.net", "other-net.net").execute();
    execution("also-main", "other-net.net").execute();
    execution("main", "tiny.net").execute();
    assertTrue(Files.exists(classes.resolve("netc/models/other_net/model.properties")), "also-main compiles it into target/classes");
  }

  /**
   * Two executions of one build making one model differently into two folders (a main and a test jar's) are refused
   * too, for another reason than into one: no model replaces the other's, but the tests' class path holds both
   * folders, and loading refuses a name found twice there when the tests run; the build says so first. A later build
   * running the second alone compiles its own.
   */
  @Test
  void oneModelMadeDifferentlyIntoTwoFoldersIsRefusedForTheTestsClassPath() throws Exception {
    Path testClasses = project.resolve("target/test-classes");
    CompileMojo main = execution("main", "tiny.net"), tests = execution("tests", "tiny.net");
    main.buildStarted = tests.buildStarted = new Date(1_000_000);
    tests.outputDirectory = testClasses.toFile();
    tests.defines = Map.of("width", "16");
    main.execute();
    MojoFailureException e = assertThrows(MojoFailureException.class, tests::execute);
    assertEquals("netc: executions main and tests both make the model tiny, from different configurations (main: defines {}; tests: defines"
        + " {width=16}): a class path holding both their folders (the tests' holds target/classes and target/test-classes) would have it"
        + " twice; give one another name in <names>", e.getMessage());
    tests.buildStarted = new Date(2_000_000);
    tests.execute();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {testClasses.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "tiny", src.resolve("tiny.net"), Map.of("width", "16"), SYNTHETIC_SEED, new int[] {1, 3, 16, 16});
    }
  }

  /**
   * mvn package (execution default), mvn netc:compile (default-cli), other-net.net deleted, mvn package: default
   * drops other_net, and default-cli's stamp of it no longer claims it, since its spec is gone.
   */
  @Test
  void aClaimWhoseSpecIsGoneKeepsNoModel() throws Exception {
    execution("default").execute();
    execution("default-cli").execute();
    Files.delete(src.resolve("other-net.net"));
    execution("default").execute();
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "its spec is gone: no execution compiles it");
    assertEquals("tiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    Path cli = project.resolve("target/netc-maven-plugin/default-cli");
    assertFalse(Files.exists(cli.resolve("other_net.stamp")), "the stale claim is deleted");
    assertTrue(Files.exists(cli.resolve("tiny.stamp")), "a live claim stays");
  }

  /** The pom as Maven gives it: this plugin with executions {@code ids}. */
  static List<Plugin> declaring(String... ids) {
    Plugin p = new Plugin();
    p.setGroupId("dev.netc");
    p.setArtifactId("netc-maven-plugin");
    for (String id : ids) {
      PluginExecution e = new PluginExecution();
      e.setId(id);
      p.addExecution(e);
    }
    return List.of(p);
  }

  CompileMojo declared(List<Plugin> pom, String id, String... includes) {
    CompileMojo m = execution(id, includes);
    m.buildPlugins = pom;
    m.pluginKey = "dev.netc:netc-maven-plugin";
    return m;
  }

  /** An execution taken out of the pom claims nothing: its stamps are deleted, and a model only it compiled goes. */
  @Test
  void anExecutionNoLongerDeclaredClaimsNothing() throws Exception {
    execution("a", "tiny.net", "other-net.net").execute();
    execution("b", "other-net.net").execute();
    declared(declaring("a", "b"), "a", "tiny.net").execute();
    assertTrue(Files.exists(classes.resolve("netc/models/other_net/model.properties")), "b is declared: its model stays");
    declared(declaring("a", "b"), "a", "tiny.net", "other-net.net").execute();
    declared(declaring("a"), "a", "tiny.net").execute();
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "b is gone from the pom: nothing compiles other_net");
    assertFalse(Files.exists(project.resolve("target/netc-maven-plugin/b")), "b's stamps are deleted");
    assertEquals("tiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
  }

  /**
   * mvn netc:compile (default-cli: every spec), then mvn package, whose one execution includes tiny.net only:
   * other_net, which only the undeclared default-cli compiled, goes, and so does default-cli's folder; a
   * model a declared execution still compiles stays.
   */
  @Test
  void aModelOnlyAnUndeclaredExecutionCompiledGoes() throws Exception {
    execution("default-cli").execute();
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    declared(declaring("lib"), "lib", "tiny.net").execute();
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "only default-cli compiled it");
    assertTrue(Files.exists(classes.resolve("netc/models/tiny/model.properties")));
    assertEquals("tiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    assertFalse(Files.exists(project.resolve("target/netc-maven-plugin/default-cli")), "its stamps are deleted");

    execution("old-id", "other-net.net").execute(); // an execution since renamed to new-id, and one still declared
    execution("keeper", "other-net.net").execute();
    declared(declaring("lib", "keeper", "new-id"), "lib", "tiny.net").execute();
    assertTrue(Files.exists(classes.resolve("netc/models/other_net/model.properties")), "keeper, declared, still compiles it");
    assertFalse(Files.exists(project.resolve("target/netc-maven-plugin/old-id")));
  }

  /**
   * mvn package (execution default, with real weights), mvn netc:compile (default-cli, without them: synthetic
   * weights over the same folder), mvn package: default's inputs did not change, but its model did, so it is
   * compiled again rather than "up to date" with the other execution's synthetic weights.
   */
  @Test
  void aModelAnotherExecutionWroteOverIsCompiledAgain() throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    Path weights = Files.createDirectories(project.resolve("weights"));
    Safetensors.write(weights.resolve("other-net.safetensors"), SyntheticWeights.generate(g, 3), Map.of());
    CompileMojo real = execution("default", "other-net.net");
    real.weightsDirectory = weights.toFile();
    real.execute();
    execution("default-cli", "other-net.net").execute();
    Path props = classes.resolve("netc/models/other_net/model.properties");
    assertTrue(Files.readString(props).contains("weights.synthetic=true\n"), "default-cli wrote its synthetic model over it");
    real.execute();
    assertTrue(Files.readString(props).contains("weights.synthetic=false\n"), "default's model was replaced: compiled again");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), 3, new int[] {2, 1, 8, 8});
    }
  }

  /**
   * Another execution that wrote the model from the same configuration and inputs wrote the same model: it is
   * up to date for this one too, not compiled again by every build that follows an mvn netc:compile.
   */
  @Test
  void aModelAnotherExecutionWroteFromTheSameConfigurationIsUpToDate() throws Exception {
    execution("default", "other-net.net").execute();
    Path props = classes.resolve("netc/models/other_net/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    execution("default-cli", "other-net.net").execute();
    assertEquals(first, Files.getLastModifiedTime(props), "default wrote what default-cli would: up to date, though it has no stamp yet");
    execution("default", "other-net.net").execute();
    assertEquals(first, Files.getLastModifiedTime(props), "up to date");
    assertEquals(3, warnings.stream().filter(w -> w.contains("synthetic weights")).count(), "said by the compile, and again each time: " + warnings);
  }

  /**
   * A compile that fails takes its model out (no stale model behind a failed build), and the list of models
   * names those there: the compiler had rewritten it with the model it compiled before the failure alone,
   * leaving out the models found up to date.
   */
  @Test
  void aFailedCompileLeavesTheListOfModelsWhole() throws Exception {
    Files.writeString(src.resolve("zeta.net"), OTHER.replace("fc(3)", "fc(2)"));
    mojo().execute();
    assertEquals("other_net\ntiny\nzeta\n", Files.readString(classes.resolve("META-INF/netc/model")));
    Files.writeString(src.resolve("other-net.net"), OTHER.replace("fc(3)", "fc(6)")); // compiled again, first
    Files.writeString(src.resolve("tiny.net"), TINY.replace("global_avgpool()", "conv(4, 3, groups = 3)\nglobal_avgpool()")); // then fails
    String failure = assertThrows(MojoFailureException.class, () -> mojo().execute()).getMessage();
    assertTrue(failure.contains("tiny.net:5:12: groups=3 does not divide"), failure);
    assertFalse(Files.exists(classes.resolve("netc/models/tiny")), "the failed spec's model is out");
    assertEquals("other_net\nzeta\n", Files.readString(classes.resolve("META-INF/netc/model")));
  }

  /** A model whose class files are gone (an IDE that cleared them) is not up to date: its folder's files are part of the stamp. */
  @Test
  void aModelMissingItsClassIsCompiledAgain() throws Exception {
    mojo().execute();
    Path folder = classes.resolve("netc/models/other_net");
    List<Path> classFiles;
    try (var list = Files.list(folder)) {
      classFiles = list.filter(f -> f.toString().endsWith(".class")).toList();
    }
    assertFalse(classFiles.isEmpty());
    for (Path f : classFiles) Files.delete(f);
    mojo().execute();
    for (Path f : classFiles) assertTrue(Files.exists(f), f + " written again");
  }

  /**
   * mvn package (execution default, the one the pom declares), mvn netc:compile (default-cli), mvn package again,
   * nothing edited: nothing is compiled again. Each used to compile it: default-cli had no stamp of its own, and
   * the next package deleted default-cli's stamps (an undeclared execution's) before looking for a stamp of the
   * model it found there.
   */
  @Test
  void alternatingTheGoalAndTheLifecycleCompilesNothingAgain() throws Exception {
    List<Plugin> pom = declaring("default");
    Path props = classes.resolve("netc/models/other_net/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    declared(pom, "default", "other-net.net").execute();
    Files.setLastModifiedTime(props, first);
    for (String id : List.of("default-cli", "default", "default-cli", "default")) {
      declared(pom, id, "other-net.net").execute();
      assertEquals(first, Files.getLastModifiedTime(props), id + ": up to date");
    }
    assertFalse(Files.exists(project.resolve("target/netc-maven-plugin/default-cli")), "the undeclared execution's stamps retired");
    Files.writeString(src.resolve("other-net.net"), OTHER.replace("fc(3)", "fc(5)"));
    declared(pom, "default-cli", "other-net.net").execute();
    assertTrue(Files.readString(props).contains("output.size=5\n"), "an edit still compiles");
  }

  /**
   * <outputDirectory> A, then B, the spec edited, then A again: A's model is from before the edit, so it is
   * compiled again; the stamp records the folder it was compiled into, not only what from.
   */
  @Test
  void aModelLeftInAnEarlierOutputFolderIsCompiledAgainThere() throws Exception {
    CompileMojo a = execution("default", "other-net.net");
    a.execute();
    CompileMojo b = execution("default", "other-net.net");
    b.outputDirectory = project.resolve("target/models").toFile();
    b.execute();
    Files.writeString(src.resolve("other-net.net"), OTHER.replace("fc(3)", "fc(12)"));
    b.execute();
    a.execute();
    assertTrue(Files.readString(classes.resolve("netc/models/other_net/model.properties")).contains("output.size=12\n"),
        "A's model of the old spec is not up to date");
  }

  /**
   * An execution whose <outputDirectory> moves from A to B takes its models out of A (they went into the jar
   * stale, and with both folders on a class path a model was there twice); a model of another execution
   * stays.
   */
  @Test
  void aModelIsTakenOutOfTheOutputFolderItMovedFrom() throws Exception {
    CompileMojo a = execution("default", "other-net.net"), other = execution("other", "tiny.net");
    a.execute();
    other.execute();
    assertEquals("other_net\ntiny\n", Files.readString(classes.resolve("META-INF/netc/model")));
    CompileMojo moved = execution("default", "other-net.net");
    moved.outputDirectory = project.resolve("target/models").toFile();
    moved.execute();
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "left in the folder it moved from");
    assertEquals("tiny\n", Files.readString(classes.resolve("META-INF/netc/model")), "the other execution's model stays");
    assertEquals("other_net\n", Files.readString(project.resolve("target/models/META-INF/netc/model")));
    assertEquals("target/models\n", Files.readString(project.resolve("target/netc-maven-plugin/default/" + CompileMojo.LAST_OUTPUT)),
        "recorded relative to the project");
    // a record of a folder outside the project (a project copied with its target folder names the original's): not touched
    Path elsewhere = Files.createDirectories(project.getParent().resolve(project.getFileName() + "-original/classes/netc/models/other_net"));
    Files.writeString(project.resolve("target/netc-maven-plugin/default/" + CompileMojo.LAST_OUTPUT), elsewhere.getParent().getParent().getParent() + "\n");
    moved.execute();
    assertTrue(Files.isDirectory(elsewhere), "another project's folder is not this build's to clear");
  }

  /** Two executions of one build that make one model from different configurations: refused, naming both. */
  @Test
  void twoExecutionsOfOneBuildMakingOneModelDifferentlyAreRefused() throws Exception {
    Date build = new Date(1_000_000);
    CompileMojo a = execution("a", "tiny.net"), same = execution("same", "tiny.net"), b = execution("b", "tiny.net");
    a.buildStarted = same.buildStarted = b.buildStarted = build;
    b.defines = Map.of("width", "16");
    a.execute();
    same.execute(); // the same configuration: the same model, nothing lost
    MojoFailureException e = assertThrows(MojoFailureException.class, b::execute);
    assertEquals("netc: executions a and b both make the model tiny, from different configurations (a: defines {}; b: defines {width=16}):"
        + " the later would replace the earlier's; give one another name in <names>", e.getMessage());
    // a later build that runs b alone: a's stamp is from an earlier build, so no rival
    b.buildStarted = new Date(2_000_000);
    b.execute();
    assertTrue(Files.readString(project.resolve("target/netc-maven-plugin/b/tiny.stamp")).contains("defines {width=16}\n"), "b compiled it");
  }

  @Test
  void aRemovedSpecFolderRemovesTheModelsAndTheMarker() throws Exception {
    mojo().execute();
    CompileMojo gone = mojo();
    gone.sourceDirectory = project.resolve("src/main/none").toFile();
    gone.execute();
    assertFalse(Files.exists(classes.resolve("netc/models/tiny")), "no spec folder: the models compiled from it go");
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")));
    assertFalse(Files.exists(classes.resolve("META-INF/netc/model")), "no model left: no marker naming removed ones");
  }

  /**
   * A mistyped spec folder: a file was "no spec folder, nothing to compile" and the build passed; one not there is said
   * as a warning where it is not the default (a project without specs keeps its quiet line).
   */
  @Test
  void aSpecFolderThatIsAFileFailsAndAMistypedOneIsAWarning() throws Exception {
    CompileMojo file = mojo();
    file.sourceDirectory = project.resolve("pom.xml").toFile();
    Files.writeString(project.resolve("pom.xml"), "<project/>");
    MojoFailureException e = assertThrows(MojoFailureException.class, file::execute);
    assertEquals("<sourceDirectory> " + project.resolve("pom.xml") + ": a file, not a folder (the folder of the specs to compile)", e.getMessage());
    CompileMojo typo = mojo();
    typo.sourceDirectory = project.resolve("src/main/nett").toFile();
    typo.execute();
    assertEquals(List.of("netc: no spec folder " + project.resolve("src/main/nett") + ", nothing to compile (<sourceDirectory> is not the default "
        + project.resolve("src/main/netc") + ")"), warnings);
    warnings.clear();
    Files.walk(src).sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    mojo().execute(); // the default folder absent: a project without specs, no warning
    assertEquals(List.of(), warnings);
  }

  /** A link to a spec that is not there was skipped without a word (the model then missing when the program loaded it). */
  @Test
  void aLinkToASpecThatIsGoneFailsTheBuild() throws Exception {
    Path link = Files.createSymbolicLink(src.resolve("dangle.net"), project.resolve("nope.net"));
    MojoFailureException e = assertThrows(MojoFailureException.class, mojo()::execute);
    assertEquals(link + ": a link to " + project.resolve("nope.net") + ", which is not there", e.getMessage());
  }

  /**
   * A file name that is no model name as it is compiles under the name made of it, with a warning naming both: "class.net"
   * became the model class_ and "_.net" another without a word, and loading by the file's name failed at run time.
   */
  @Test
  void aFileNameThatIsNoModelNameIsSaid() throws Exception {
    Files.copy(src.resolve("tiny.net"), src.resolve("class.net"));
    Files.move(src.resolve("tiny.net"), src.resolve("Tiny.net")); // upper case is only case: no warning
    mojo().execute();
    assertEquals(List.of("netc: class.net compiles as the model class_ (its name as a Java package); load it by that name, or give it one in"
        + " <names>, or rename the file"), warnings.stream().filter(w -> w.contains("compiles as the model")).toList());
    assertTrue(Files.exists(classes.resolve("netc/models/class_/model.properties")));
  }

  @Test
  void aFolderWithNoSpecLeavesNoMarkerNamingRemovedModels() throws Exception {
    mojo().execute();
    Files.delete(src.resolve("tiny.net"));
    Files.delete(src.resolve("other-net.net"));
    mojo().execute();
    assertFalse(Files.exists(classes.resolve("META-INF/netc/model")), "zero specs: the marker goes with the models");
    assertTrue(warnings.stream().anyMatch(w -> w.contains("no spec in")), warnings.toString());
  }

  @Test
  void weightsBesideTheSpecAreTheModels() throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    long seed = 3; // not the synthetic seed: a model that ignored the file would differ from the interpreter
    Safetensors.write(src.resolve("other-net.safetensors"), SyntheticWeights.generate(g, seed), Map.of());
    CompileMojo m = mojo();
    m.includes = List.of("other-net.net");
    m.execute();
    assertEquals(List.of(), warnings);
    assertTrue(Files.readString(classes.resolve("netc/models/other_net/model.properties")).contains("weights.synthetic=false"));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), seed, new int[] {2, 1, 8, 8});
    }
  }

  /**
   * Weights replaced by a file with an older time (cp -p, rsync -a, unzip keep the source's) recompile the
   * model: a stamp compares each input's size and time for equality, not for being newer.
   */
  @Test
  void weightsReplacedByAnOlderFileRecompileTheModel() throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    Path weights = src.resolve("other-net.safetensors");
    Safetensors.write(weights, SyntheticWeights.generate(g, 3), Map.of());
    CompileMojo m = mojo();
    m.includes = List.of("other-net.net");
    m.execute();
    Path props = classes.resolve("netc/models/other_net/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    Safetensors.write(weights, SyntheticWeights.generate(g, 4), Map.of());
    Files.setLastModifiedTime(weights, FileTime.fromMillis(2_000_000)); // older than the stamp, as a copy keeping its time
    mojo().execute();
    assertNotEquals(first, Files.getLastModifiedTime(props), "the weights changed: compiled again");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), 4, new int[] {2, 1, 8, 8});
    }
    // an imported file deleted: compiled again, and so refused as a clean build would be, not left "up to date";
    // tiny.net is listed, so no spec is loaded to find the specs and the stamp is what notices the change
    Path tiny = classes.resolve("netc/models/tiny/model.properties");
    Files.setLastModifiedTime(tiny, first);
    CompileMojo listed = mojo();
    listed.includes = List.of("tiny.net");
    listed.execute();
    assertEquals(first, Files.getLastModifiedTime(tiny), "nothing changed yet: up to date, not compiled (so not loaded)");
    Files.delete(src.resolve("blocks.net"));
    MojoFailureException e = assertThrows(MojoFailureException.class, listed::execute);
    assertEquals(src.resolve("tiny.net") + ":1:8: cannot read import blocks.net: no such file", e.getMessage());
  }

  /** other-net.net's weights beside it: synthetic ones of {@code g} (seed {@code seed}), their modification time {@code time}. */
  private Path otherNetWeights(Graph g, long seed, FileTime time) throws java.io.IOException {
    Path weights = src.resolve("other-net.safetensors");
    Safetensors.write(weights, SyntheticWeights.generate(g, seed), Map.of());
    Files.setLastModifiedTime(weights, time);
    return weights;
  }

  /**
   * Weights past the size stamped by SHA-256, rewritten in place (the same file, so the same identity) with the same
   * size and their time kept, as cp -p or rsync -a over the old file leave them: compiled again, by their CRC-32C.
   */
  @Test
  void largeWeightsRewrittenInPlaceWithTheirTimeKeptRecompile() throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    FileTime then = FileTime.fromMillis(5_000_000);
    Path weights = otherNetWeights(g, 3, then);
    long hashed = Stamp.hashedBytes;
    Stamp.hashedBytes = -1; // every input a large one
    try {
      CompileMojo m = execution("default", "other-net.net");
      m.execute();
      Path props = classes.resolve("netc/models/other_net/model.properties");
      FileTime first = FileTime.fromMillis(1_000_000);
      Files.setLastModifiedTime(props, first);
      Object identity = Files.readAttributes(weights, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      long size = Files.size(weights);
      Path other = project.resolve("other.safetensors");
      Safetensors.write(other, SyntheticWeights.generate(g, 4), Map.of());
      Files.write(weights, Files.readAllBytes(other)); // in place: truncated and written, the same file
      Files.setLastModifiedTime(weights, then);
      assertEquals(size, Files.size(weights));
      assertEquals(identity, Files.readAttributes(weights, java.nio.file.attribute.BasicFileAttributes.class).fileKey(), "the same file");
      m.execute();
      assertNotEquals(first, Files.getLastModifiedTime(props), "the weights' contents changed: compiled again");
      try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
        assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), 4, new int[] {1, 1, 8, 8});
      }
      Files.setLastModifiedTime(props, first);
      m.execute();
      assertEquals(first, Files.getLastModifiedTime(props), "nothing changed since: up to date");
    } finally {
      Stamp.hashedBytes = hashed;
    }
  }

  /**
   * A change its size and time do not show recompiles: a spec edited to the same length, its time put back (a file
   * system of 1 or 2 s times, an archive's fixed times), and weights swapped for another file of the same size and
   * time (a store path behind a link): by the spec's contents, and by the weights' identity.
   */
  @Test
  void aChangeOfTheSameSizeAndTimeRecompiles() throws Exception {
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    FileTime then = FileTime.fromMillis(5_000_000);
    Path weights = otherNetWeights(g, 3, then);
    mojo().execute();
    Path tiny = classes.resolve("netc/models/tiny/model.properties"), other = classes.resolve("netc/models/other_net/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(tiny, first);
    Files.setLastModifiedTime(other, first);
    Path spec = src.resolve("tiny.net");
    FileTime specTime = Files.getLastModifiedTime(spec);
    Files.writeString(spec, TINY.replace("width = 8", "width = 6"));
    Files.setLastModifiedTime(spec, specTime);
    mojo().execute();
    assertNotEquals(first, Files.getLastModifiedTime(tiny), "the spec's contents changed: compiled again");
    Files.setLastModifiedTime(other, first); // (every *.net file of the folder is its input too: an added one may shadow an import)

    Path swap = src.resolve("swap.tmp");
    Safetensors.write(swap, SyntheticWeights.generate(g, 4), Map.of());
    assertEquals(Files.size(weights), Files.size(swap));
    Files.setLastModifiedTime(swap, then);
    Files.move(swap, weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Assumptions.assumeTrue(Files.readAttributes(weights, java.nio.file.attribute.BasicFileAttributes.class).fileKey() != null,
        "a file system that gives files an identity");
    long hashed = Stamp.hashedBytes;
    Stamp.hashedBytes = -1; // no contents read: weights past the limit, known by their identity alone
    try {
      mojo().execute();
    } finally {
      Stamp.hashedBytes = hashed;
    }
    assertNotEquals(first, Files.getLastModifiedTime(other), "another file in the weights' place: compiled again");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader())) {
      assertMatchesInterpreter(loader, "other_net", src.resolve("other-net.net"), 4, new int[] {1, 1, 8, 8});
    }
  }

  /** Protobuf bytes of one message (field numbers of onnx.proto). */
  interface Fields {
    void write(CodedOutputStream out) throws java.io.IOException;
  }

  static byte[] message(Fields fields) throws java.io.IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    fields.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  /** A float tensor's ValueInfoProto, dims < 0 symbolic. */
  static byte[] valueInfo(String name, long... dims) throws java.io.IOException {
    byte[] shape = message(out -> {
      for (long d : dims) out.writeByteArray(1, d >= 0 ? message(o -> o.writeInt64(1, d)) : message(o -> o.writeString(2, "batch")));
    });
    byte[] tensorType = message(out -> {
      out.writeInt32(1, 1); // FLOAT
      out.writeByteArray(2, shape);
    });
    return message(out -> {
      out.writeString(1, name);
      out.writeByteArray(2, message(o -> o.writeByteArray(1, tensorType)));
    });
  }

  /**
   * An ONNX model of one 3x3 conv (1 to 2 channels, no bias) on [batch, 1, 6, 6], its weights stored as
   * external data in {@code location} beside it, as exporters write models over 2 GiB.
   */
  static byte[] convWithExternalWeights(String location) throws java.io.IOException {
    byte[] weight = message(out -> {
      for (long d : new long[] {2, 1, 3, 3}) out.writeInt64(1, d);
      out.writeInt32(2, 1); // FLOAT
      out.writeString(8, "w");
      out.writeByteArray(13, message(o -> {
        o.writeString(1, "location");
        o.writeString(2, location);
      }));
      out.writeEnum(14, 1); // data_location EXTERNAL
    });
    byte[] node = message(out -> {
      out.writeString(1, "x");
      out.writeString(1, "w");
      out.writeString(2, "y");
      out.writeString(3, "c");
      out.writeString(4, "Conv");
    });
    byte[] graph = message(out -> {
      out.writeByteArray(1, node);
      out.writeByteArray(5, weight);
      out.writeByteArray(11, valueInfo("x", -1, 1, 6, 6));
      out.writeByteArray(12, valueInfo("y"));
    });
    return message(out -> {
      out.writeInt64(1, 8); // ir_version
      out.writeByteArray(8, message(o -> o.writeInt64(2, 13))); // opset 13
      out.writeByteArray(7, graph);
    });
  }

  /** 18 little-endian floats: the conv's weights, {@code scale} times 0, 1, 2, ... */
  static byte[] convWeights(float scale) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(18 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 18; i++) b.putFloat(scale * i);
    return b.array();
  }

  /**
   * An ONNX model's input preparation from the pom (<mean>, <std>, <resize>, or <imagenet>), as netc compile's
   * options give it: the model normalizes its input itself (input.mean and input.std in its properties), a change of
   * them compiles it again, and a bad value fails the build in the pom's words.
   */
  @Test
  void anOnnxModelsInputPreparationComesFromThePom() throws Exception {
    Files.write(src.resolve("conv.onnx"), convWithExternalWeights("conv.onnx.data"));
    Files.write(src.resolve("conv.onnx.data"), convWeights(0.5f));
    CompileMojo m = mojo();
    m.includes = List.of("conv.onnx", "tiny.net");
    m.mean = "0.5";
    m.std = "0.25";
    m.resize = "8";
    m.execute();
    String props = Files.readString(classes.resolve("netc/models/conv/model.properties"));
    assertTrue(props.contains("input.mean=0.5\n") && props.contains("input.std=0.25\n"), props);
    assertFalse(Files.readString(classes.resolve("netc/models/tiny/model.properties")).contains("input.mean"), "a spec says its own");
    m.std = "0.5";
    m.execute();
    assertTrue(Files.readString(classes.resolve("netc/models/conv/model.properties")).contains("input.std=0.5\n"), "compiled again");
    m.resize = "4";
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertTrue(e.getMessage().contains("<resize> 4: images are resized so, then center-cropped to the input's 6x6, so it must be at least 6"),
        e.getMessage());
    m.resize = "8";
    m.std = "0";
    e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("netc: <std>: 0.0 is not positive (as float32)", e.getMessage());
    m.std = null;
    e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("netc: <mean> and <std> go together", e.getMessage());
    m.mean = null;
    m.resize = null;
    m.imagenet = true;
    e = assertThrows(MojoFailureException.class, m::execute);
    assertTrue(e.getMessage().contains("<imagenet>: 3 values, for an input of 1 channels"), e.getMessage());
    // an execution of specs alone: the preparation would be ignored (it was, silently)
    m.includes = List.of("tiny.net");
    e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("<imagenet>: an ONNX model's input preparation, and this execution compiles specs only, which say their own"
        + " (input(3, 224, 224, mean = [...], std = [...], resize = 256))", e.getMessage());
  }

  /**
   * An ONNX model put in the spec folder is not compiled without <includes> (an import's M.net may stand beside its
   * M.onnx, and <defines> are for specs), but named in a warning: it was skipped without a word, and the program then
   * found no model of its name. Listed, it compiles.
   */
  @Test
  void anOnnxModelLeftInTheSpecFolderIsNamed() throws Exception {
    Files.write(src.resolve("conv.onnx"), convWithExternalWeights("conv.onnx.data"));
    Files.write(src.resolve("conv.onnx.data"), convWeights(0.5f));
    assertEquals(List.of(src.resolve("conv.onnx")), SpecFiles.onnxLeftOut(src, SpecFiles.find(src, null, Map.of(), List.of())));
    assertEquals(List.of(), SpecFiles.onnxLeftOut(src, SpecFiles.find(src, List.of("conv.onnx", "tiny.net"), Map.of(), List.of())));
    CompileMojo m = mojo();
    m.execute();
    assertFalse(Files.exists(classes.resolve("netc/models/conv")), "not listed: not compiled");
    assertTrue(warnings.contains("netc: " + src.resolve("conv.onnx") + " is not compiled: an ONNX model is, when <includes> lists it"
        + " (<include>conv.onnx</include>, beside the specs to compile)"), warnings.toString());
    m.imagenet = true;
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertTrue(e.getMessage().endsWith("; conv.onnx in the folder is compiled when <includes> lists it"), e.getMessage());
  }

  /**
   * An ONNX model listed in <includes>: named in <names> by its base name, as a spec is; its external data
   * is an input (new weights recompile it), and the folder's *.net files are not (an edited spec does not).
   */
  @Test
  void anOnnxModelIsRenamedAndItsExternalDataIsAnInputButSpecsAreNot() throws Exception {
    Files.write(src.resolve("conv.onnx"), convWithExternalWeights("conv.onnx.data"));
    Path data = Files.write(src.resolve("conv.onnx.data"), convWeights(0.5f));
    // a leftover conv.safetensors (an earlier netc import's, say) is not read: the model carries its weights
    Files.writeString(src.resolve("conv.safetensors"), "not the model's weights");
    CompileMojo m = mojo();
    m.includes = List.of("conv.onnx");
    m.names = Map.of("conv", "edge");
    m.importPaths = List.of(src.toFile()); // the project's, for its specs: not passed to a model, for which netc refuses them
    m.execute();
    Path props = classes.resolve("netc/models/edge/model.properties");
    assertEquals("edge\n", Files.readString(classes.resolve("META-INF/netc/model")));
    String stamp = Files.readString(project.resolve("target/netc-maven-plugin/default/edge.stamp"));
    assertTrue(stamp.contains("input " + data.toRealPath() + " 72 bytes"), stamp);
    assertFalse(stamp.contains(".net "), "no spec is an input of an ONNX model: " + stamp);
    assertTrue(stamp.contains("\nweights null\n"), "no weights file beside an ONNX model is read: " + stamp);
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    Files.writeString(src.resolve("tiny.net"), TINY + "\n");
    m.execute();
    assertEquals(first, Files.getLastModifiedTime(props), "a spec changed, not the model: not compiled again");
    Files.write(data, convWeights(2f)); // the same size, an older time: only the contents differ
    Files.setLastModifiedTime(data, FileTime.fromMillis(500_000));
    m.execute();
    assertNotEquals(first, Files.getLastModifiedTime(props), "its weights changed: compiled again");
  }

  /**
   * An ONNX model in the project folder itself (a spec folder of ".", or an include reaching up): target/ is below
   * it, where each build writes its state and the compiled model; those are no inputs, so the next build finds
   * the model up to date (it recompiled every time).
   */
  @Test
  void anOnnxModelInTheProjectFolderIsUpToDateOnTheNextBuild() throws Exception {
    Files.write(project.resolve("conv.onnx"), convWithExternalWeights("conv.onnx.data"));
    Path data = Files.write(project.resolve("conv.onnx.data"), convWeights(0.5f));
    CompileMojo m = mojo();
    m.sourceDirectory = project.toFile();
    m.buildDirectory = project.resolve("target").toFile();
    m.buildStarted = new java.util.Date();
    m.includes = List.of("conv.onnx");
    m.execute();
    Path props = classes.resolve("netc/models/conv/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    m.buildStarted = new java.util.Date(m.buildStarted.getTime() + 1000); // the next build: the state written again
    m.execute();
    assertEquals(first, Files.getLastModifiedTime(props), "nothing changed: not compiled again");
    String stamp = Files.readString(project.resolve("target/netc-maven-plugin/default/conv.stamp"));
    assertFalse(stamp.contains("input " + project.toRealPath().resolve("target") + "/"), "nothing the build writes is an input: " + stamp);
    assertTrue(stamp.contains("input " + data.toRealPath() + " 72 bytes"), stamp);
    Files.write(data, convWeights(2f));
    m.execute();
    assertNotEquals(first, Files.getLastModifiedTime(props), "its weights changed: compiled again");
  }

  /** A spec folder that is not there while <includes> lists specs in it is a mistyped folder: an error, not an empty build. */
  @Test
  void aMissingSpecFolderWithIncludesIsAnError() {
    CompileMojo m = mojo();
    m.sourceDirectory = project.resolve("src/main/nect").toFile();
    m.includes = List.of("tiny.net");
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("<sourceDirectory> " + project.resolve("src/main/nect") + ": no such directory (it holds the <includes>)", e.getMessage());
  }

  /**
   * A spec whose weights are not in the <weightsDirectory> the pom names (a spec renamed, a file not copied) fails the
   * build, naming both: it compiled with synthetic weights and a warning, a model whose answers mean nothing in the
   * jar. Without <weightsDirectory>, a spec without weights beside it still gets synthetic ones with a warning.
   */
  @Test
  void weightsMissingFromTheWeightsFolderFailTheBuild() throws Exception {
    // without <weightsDirectory>: synthetic weights, with a warning (execution default-cli, as mvn netc:compile)
    execution("default-cli", "other-net.net").execute();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("no weights for other-net.net (looked for " + src.resolve("other-net.safetensors") + ")"), warnings.get(0));
    assertTrue(Files.readString(classes.resolve("netc/models/other_net/model.properties")).contains("weights.synthetic=true"));
    // with it: the build fails, though the model there was compiled from the same configuration otherwise (default-cli's
    // stamp is not taken for it), and that model goes
    CompileMojo m = execution("default", "other-net.net");
    m.weightsDirectory = Files.createDirectories(project.resolve("weights")).toFile();
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("netc: src/main/netc/other-net.net: no weights " + project.resolve("weights/other-net.safetensors") + " in <weightsDirectory> "
        + project.resolve("weights") + " (named after the spec; without <weightsDirectory>, a spec without weights gets synthetic ones)", e.getMessage());
    assertFalse(Files.exists(classes.resolve("netc/models/other_net")), "the synthetic model is out");
    assertFalse(Files.exists(classes.resolve("META-INF/netc/model")), "and out of the list, empty now");
  }

  /**
   * A build that finds the model up to date says its compile's warnings again (synthetic weights, tensors the
   * spec does not use): it packages that model, and the build that said them may be long gone.
   */
  @Test
  void anUpToDateModelRepeatsItsWarnings() throws Exception {
    CompileMojo m = mojo();
    m.includes = List.of("other-net.net");
    m.execute();
    List<String> said = List.copyOf(warnings);
    assertEquals(1, said.size(), said.toString());
    assertTrue(said.get(0).contains("model other_net gets synthetic weights"), said.get(0));
    warnings.clear();
    Path props = classes.resolve("netc/models/other_net/model.properties");
    FileTime first = FileTime.fromMillis(1_000_000);
    Files.setLastModifiedTime(props, first);
    m.execute();
    assertEquals(first, Files.getLastModifiedTime(props), "up to date: not compiled");
    assertEquals(said, warnings, "the same warning, again");
    // weights with a tensor the spec does not use: the compiler's warning, said again when up to date
    Graph g = GraphBuilder.build(SpecLoader.load(src.resolve("other-net.net")), Map.of());
    Map<String, Tensor> tensors = new java.util.LinkedHashMap<>(SyntheticWeights.generate(g, 3));
    tensors.put("extra.weight", Tensor.zeros(2));
    Safetensors.write(src.resolve("other-net.safetensors"), tensors, Map.of());
    warnings.clear();
    m.execute();
    said = List.copyOf(warnings);
    assertEquals(1, said.size(), said.toString());
    assertTrue(said.get(0).endsWith("has 1 tensor the spec does not use: extra.weight"), said.get(0));
    warnings.clear();
    Files.setLastModifiedTime(props, first);
    m.execute();
    assertEquals(first, Files.getLastModifiedTime(props), "up to date: not compiled");
    assertEquals(said, warnings);
  }

  /** A missing import folder is named as the pom's entry, not as the command line's --import-path. */
  @Test
  void aMissingImportPathIsNamedAsThePomsEntry() throws Exception {
    Files.createDirectories(project.resolve("lib"));
    CompileMojo m = mojo();
    m.importPaths = List.of(project.resolve("lib").toFile(), project.resolve("libz").toFile());
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("<importPaths> " + project.resolve("libz") + ": no such directory", e.getMessage());
    m.importPaths = List.of(project.resolve("lib").toFile());
    m.execute(); // an import folder that is there
    assertTrue(Files.exists(classes.resolve("netc/models/tiny/model.properties")));
  }

  @Test
  void aMistypedWeightsFolderOrNameIsAnErrorNotSyntheticWeights() {
    CompileMojo m = mojo();
    m.weightsDirectory = project.resolve("wieghts").toFile();
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("<weightsDirectory> " + project.resolve("wieghts") + ": no such directory", e.getMessage());
    CompileMojo file = mojo(); // a file there was "no such directory" too
    file.weightsDirectory = src.resolve("tiny.net").toFile();
    e = assertThrows(MojoFailureException.class, file::execute);
    assertEquals("<weightsDirectory> " + src.resolve("tiny.net") + ": a file, not a folder", e.getMessage());
    CompileMojo named = mojo();
    named.names = Map.of("tiny_net", "t");
    e = assertThrows(MojoFailureException.class, named::execute);
    assertEquals("<names><tiny_net>: no spec tiny_net.net (or ONNX model tiny_net.onnx) is compiled from " + src, e.getMessage());
  }

  @Test
  void aBadSpecFailsTheBuildWithTheCompilersOneLineLocatedMessage() throws Exception {
    Files.writeString(src.resolve("tiny.net"), TINY.replace("fc(4)", "fc(4"));
    MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo().execute());
    assertEquals(src.resolve("tiny.net") + ":7:7: '(' is never closed", e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  /** An error with no place in the spec text (a define) names the spec, and <defines> as the pom spells it, not netc's -D. */
  @Test
  void aBadDefineNamesTheSpecAndTheDefinesElement() throws Exception {
    CompileMojo m = mojo();
    m.defines = Map.of("width", "16");
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("src/main/netc/other-net.net: unknown parameter 'width' in <defines><width>16</width>; the spec defines no params", e.getMessage());
    m.includes = List.of("tiny.net");
    m.defines = Map.of("width", "wide");
    e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("src/main/netc/tiny.net: <defines><width>wide</width>: the value must be an integer, a number or true/false", e.getMessage());
    // a value the spec takes and a layer then refuses: the layer's place, and the define it was built with
    m.defines = Map.of("width", "0");
    e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals(src.resolve("blocks.net") + ":2:8: out must be positive and reasonable, got 0 (in block unit, called at " + src.resolve("tiny.net")
        + ":4:4) (built with <defines><width>0</width>)", e.getMessage());
  }

  /** A file of blocks listed by name in {@code <includes>} is refused as such, before any warning of synthetic weights. */
  @Test
  void aFileOfBlocksListedInIncludesIsRefused() throws Exception {
    CompileMojo m = mojo();
    m.includes = List.of("tiny.net", "blocks.net");
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("<includes><include>blocks.net</include>: " + src.resolve("blocks.net")
        + " declares no input: it holds blocks and params for import, not a model", e.getMessage());
  }

  /**
   * A refusal at packing (finite weights that overflow float32 once the batch norm is folded into the conv) names the
   * spec and the conv's line, as the spec's other errors do (it named the spec alone).
   */
  @Test
  void aRefusalAtPackingNamesTheSpecAndTheLayersLine() throws Exception {
    Path spec = Files.writeString(src.resolve("bn.net"), "input(3, 8, 8)\nc: conv(4, 3, bias = false)\nbn: batchnorm()\nrelu()\nglobal_avgpool()\n"
        + "flatten()\nfc: fc(5)\n");
    Map<String, Tensor> t = new java.util.LinkedHashMap<>(SyntheticWeights.generate(GraphBuilder.build(SpecLoader.load(spec), Map.of()), 0));
    t.get("bn.weight").data()[1] = 3e38f; // divided by sqrt(0 + eps): past float32
    t.get("bn.running_var").data()[1] = 0;
    Safetensors.write(src.resolve("bn.safetensors"), t, Map.of());
    CompileMojo m = mojo();
    m.includes = List.of("bn.net");
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertTrue(e.getMessage().matches(".*src/main/netc/bn\\.net:2:1: c: [0-9]+ of its packed weight values are not finite \\(computed as .*"), e.getMessage());
    assertFalse(Files.exists(classes.resolve("netc/models/bn/model.properties")));
  }

  /**
   * A compile that runs out of memory, or fails otherwise than on its input (netc's own fault, or the
   * environment's), names the spec and its model in one line; the cause is kept for mvn -e.
   */
  @Test
  void aCompileThatFailsOtherwiseNamesTheSpecAndModel() {
    CompileMojo m = mojo();
    SpecFiles.Spec spec = new SpecFiles.Spec(src.resolve("tiny.net"), "tiny", "small");
    assertEquals("netc: src/main/netc/tiny.net: out of memory compiling model small (Java heap space); give Maven more heap: MAVEN_OPTS=-Xmx2g",
        m.outOfMemory(new OutOfMemoryError("Java heap space"), spec));
    IllegalArgumentException bug = new IllegalArgumentException("offset -1");
    MojoExecutionException e = m.failed(bug, spec);
    assertEquals("netc: src/main/netc/tiny.net: internal error compiling model small: java.lang.IllegalArgumentException: offset -1 (mvn -e"
        + " shows where)", e.getMessage());
    assertEquals(bug, e.getCause());
    assertEquals("netc: src/main/netc/tiny.net: internal error compiling model small: java.lang.NullPointerException (mvn -e shows where)",
        m.failed(new NullPointerException(), spec).getMessage());
    assertEquals("netc: src/main/netc/tiny.net: no Java compiler in this JVM: netc needs a JDK, not a JRE",
        m.failed(new IllegalStateException("no Java compiler in this JVM: netc needs a JDK, not a JRE"), spec).getMessage());
    Path p = classes.resolve("netc/models/small");
    assertEquals("netc: src/main/netc/tiny.net: " + p + ": access denied",
        m.failed(new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException(p.toString())), spec).getMessage());
  }

  /** A file the build cannot use is named with what is wrong with it, not as a bare path. */
  @Test
  void anOutputFolderThatIsAFileIsNamedWithTheProblem() throws Exception {
    Files.createDirectories(classes.getParent());
    Files.writeString(classes, "not a folder");
    MojoExecutionException e = assertThrows(MojoExecutionException.class, () -> mojo().execute());
    assertEquals("netc: " + classes + ": already exists", e.getMessage());
  }

  /**
   * Failures that are not the input's: I/O (thrown, or wrapped by a Files.walk stream) with its kind and
   * path; the compiler's IllegalStateException ("no Java compiler" on a JRE) with its message. Maven prints
   * a MojoExecutionException's message without a stack trace.
   */
  @Test
  void ioAndEnvironmentFailuresAreOneLine() {
    Path p = project.resolve("target/classes/netc");
    assertEquals("netc: " + p + ": access denied", CompileMojo.unexpected(new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException(p.toString()))).getMessage());
    assertEquals("netc: " + p + ": no such file or folder", CompileMojo.unexpected(new java.nio.file.NoSuchFileException(p.toString())).getMessage());
    assertEquals("netc: " + p + ": Read-only file system",
        CompileMojo.unexpected(new java.nio.file.FileSystemException(p.toString(), null, "Read-only file system")).getMessage());
    assertEquals("netc: disk on fire", CompileMojo.unexpected(new java.io.IOException("disk on fire")).getMessage());
    IllegalStateException jre = new IllegalStateException("no Java compiler in this JVM: netc needs a JDK, not a JRE");
    MojoExecutionException e = CompileMojo.unexpected(jre);
    assertEquals("netc: no Java compiler in this JVM: netc needs a JDK, not a JRE", e.getMessage());
    assertEquals(jre, e.getCause(), "kept for mvn -e");
  }

  /** Models written outside the project's classes folder are in neither its jar nor its class path: said, once. */
  @Test
  void anOutputFolderOutsideTheProjectsClassesIsWarnedOf() throws Exception {
    CompileMojo same = mojo();
    same.includes = List.of("other-net.net");
    same.projectOutputDirectory = project.resolve("target/../target/classes").toFile();
    same.execute();
    assertEquals(List.of("netc: no weights for other-net.net (looked for " + src.resolve("other-net.safetensors") + "): model other_net gets synthetic"
        + " weights (seed 0), its answers mean nothing"), warnings, "the project's own classes folder, spelled otherwise: no warning");
    warnings.clear();
    CompileMojo elsewhere = mojo();
    elsewhere.includes = List.of("other-net.net");
    elsewhere.outputDirectory = project.resolve("target/models").toFile();
    elsewhere.projectOutputDirectory = classes.toFile();
    elsewhere.execute();
    assertEquals("netc: <outputDirectory> " + project.resolve("target/models") + " is not the project's classes folder " + classes
        + ": the models written there are not in its jar or on its class path unless the build adds that folder", warnings.get(0));
    assertTrue(Files.exists(project.resolve("target/models/netc/models/other_net/model.properties")));
  }

  @Test
  void twoSpecsThatWouldMakeOneModelAreRefusedByName() throws Exception {
    Files.writeString(src.resolve("other_net.net"), OTHER);
    MojoFailureException e = assertThrows(MojoFailureException.class, () -> mojo().execute());
    assertEquals(src.resolve("other-net.net") + " and " + src.resolve("other_net.net")
        + " both make the model other_net: rename one, or give one another in <names>", e.getMessage());
  }

  /**
   * An empty entry (Maven gives {@code <defines><width/></defines>} as width with no value) is refused by
   * its element, not a NullPointerException.
   */
  @Test
  void anEmptyEntryIsRefusedByItsElement() {
    Map<String, String> empty = new java.util.HashMap<>();
    empty.put("width", null);
    CompileMojo m = mojo();
    m.defines = empty;
    assertEquals("<defines><width>: no value", assertThrows(MojoFailureException.class, m::execute).getMessage());
    Map<String, String> unnamed = new java.util.HashMap<>();
    unnamed.put("tiny", null);
    m = mojo();
    m.names = unnamed;
    assertEquals("<names><tiny>: no value", assertThrows(MojoFailureException.class, m::execute).getMessage());
    m = mojo();
    m.includes = java.util.Arrays.asList("tiny.net", null);
    assertEquals("<includes>: entry 2 is empty", assertThrows(MojoFailureException.class, m::execute).getMessage());
    m = mojo();
    m.importPaths = java.util.Arrays.asList((java.io.File) null);
    assertEquals("<importPaths>: entry 1 is empty", assertThrows(MojoFailureException.class, m::execute).getMessage());
    assertFalse(Files.exists(classes), "nothing compiled");
  }

  /**
   * Specs of one file name in two folders make one model, and <names>, keyed by the base name they share,
   * cannot tell them apart: the advice is to rename one. A spec listed twice in <includes> is one spec.
   */
  @Test
  void specsOfOneFileNameAreRefusedAndASpecListedTwiceIsOne() throws Exception {
    Files.writeString(Files.createDirectories(src.resolve("a")).resolve("net.net"), OTHER);
    Files.writeString(Files.createDirectories(src.resolve("b")).resolve("net.net"), OTHER);
    CompileMojo m = mojo();
    m.includes = List.of("a/net.net", "b/net.net");
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals(src.resolve("a/net.net") + " and " + src.resolve("b/net.net") + " both make the model net: rename one (<names> names a"
        + " model by its file's base name, which they share)", e.getMessage());
    m.includes = List.of("other-net.net", "./other-net.net", "a/../other-net.net");
    m.execute();
    assertEquals("other_net\n", Files.readString(classes.resolve("META-INF/netc/model")));
    assertEquals(1, warnings.stream().filter(w -> w.contains("synthetic weights")).count(), "compiled once: " + warnings);
  }

  @Test
  void aConfiguredNameMustBeAModelName() {
    CompileMojo m = mojo();
    m.names = Map.of("tiny", "Tiny-Net");
    MojoFailureException e = assertThrows(MojoFailureException.class, m::execute);
    assertEquals("<names><tiny>Tiny-Net</tiny>: a model's name is lower-case letters, digits and _, starting with a letter", e.getMessage());
  }
}
