package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import netc.ast.NetcException;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.testing.Specs;
import org.junit.jupiter.api.Test;

/**
 * Networks with more steps or tables than one class and its methods can hold: past
 * {@link ModelGenerator#STEPS_PER_CLASS} steps the steps move into nested classes (one runStep
 * switch of them would be too large for the JIT), past {@link ModelGenerator#PER_METHOD} the per-step
 * tables are decoded from text (5,001 relus failed with "code too large"); past
 * {@link ModelGenerator#TABLES_PER_CLASS} tables they move into holder classes. Each still equals
 * the interpreter. Past {@link Limits#maxLayers()} layers a network is refused by name.
 */
class BigNetworksTest {
  /**
   * The compiled model of a deep chain against the interpreter, on weights that make each conv of the chain
   * (as many channels out as in) a rotation of its channels through one tap of its window, bias zero, with
   * relu between: the chain carries its input to its output unchanged but for the order of its channels, so
   * every step counts. Convs of synthetic weights (sigmoid between them) shrank a change by about 0.3 a layer:
   * the output of 700 of them did not depend on the first 650, and a step of the first step class done wrong
   * would have passed. Checked here: a change of one input value moves the output by ten times the bar or more.
   * What these chains check is the code's structure at scale (nested step classes, tables, dispatch): one tap
   * of each window carries the data, so the other taps, borders and weight orders are GeneratedModelTest's
   * and RandomNetworkTest's to check, on networks of every kind of layer.
   */
  static void assertChainEqualsTheInterpreter(String spec, long seed) throws java.io.IOException {
    Graph g = Specs.fromText(spec);
    ParamSource synthetic = netc.weights.SyntheticWeights.source(g, seed);
    ParamSource params = (name, shape) -> {
      int[] d = shape.dims();
      boolean chain = d.length == 4 && d[0] == d[1] || name.endsWith(".bias") && chainBias(g, name);
      if (!chain) return synthetic.tensor(name, shape);
      float[] t = new float[(int) shape.size()];
      if (d.length == 4) for (int o = 0; o < d[0]; o++) t[((o * d[1] + (o + 1) % d[1]) * d[2] + d[2] / 2) * d[3] + d[3] / 2] = 1;
      return t;
    };
    netc.runtime.CompiledModel model = CompiledModels.compile(g, params, 2, RandomNetworkTest.context(seed));
    netc.runtime.Tensor x = GeneratedModelTest.random(g, 1, seed), moved = new netc.runtime.Tensor(x.shape(), x.data().clone());
    int last = x.data().length - 1; // the last pixel: a chain of narrowing windows reads its input's right end
    moved.data()[last] = Math.abs(x.data()[last]) + 1; // positive: past any relu before the chain
    netc.runtime.Tensor expected = netc.interp.Interpreter.run(g, params, x);
    GeneratedModelTest.assertClose(expected, model.predict(x).reshape(RandomNetworkTest.shape(g, 1)), 1e-4, "the chain");
    double change = netc.interp.Interpreter.run(g, params, moved).maxAbsDiff(expected);
    assertTrue(change > 10 * 1e-4 * expected.maxAbs(), "one input value moved the output by " + change + " of " + expected.maxAbs());
  }

  /** Whether {@code name} is the bias of a conv whose weights are [c, c, kh, kw]: a conv of the chain. */
  private static boolean chainBias(Graph g, String name) {
    String layer = name.substring(0, name.length() - ".bias".length());
    return g.nodes().stream().anyMatch(n -> n.name().equals(layer) && n.op() == netc.ir.Op.CONV && n.shape().channels() == g.node(n.input(0)).shape().channels());
  }

  /** 400 Winograd convs, three steps each: 1,203 steps in three step classes. */
  @Test
  void thousandsOfStepsCompileIntoNestedClasses() throws Exception {
    String spec = "input(16, 6, 6)\nconv(32, 1)\nfor i in 0 .. 400 {\n  {i}: conv(32, 3, padding = 1)\n  relu()\n}\n"
        + "global_avgpool()\nflatten()\nfc(10)\n";
    assertChainEqualsTheInterpreter(spec, 0);
    String source = source(spec);
    assertTrue(source.contains("static final class S$2 {") && source.contains("decodeInts(new String[]"), "nested step classes");
    // the per-step multiply-adds decode from text too: each Winograd F(2x2,3x3) conv 16 positions x 9
    // tiles x 32 x 32 channels in its product step, the 1x1 conv and the fc their direct counts
    Graph g = Specs.fromText(spec);
    netc.runtime.CompiledModel model = CompiledModels.compile(g, netc.weights.SyntheticWeights.source(g, 0), 1);
    long[] macs = model.stepMultiplyAdds();
    assertEquals(model.stepNames().size(), macs.length);
    assertEquals(400L * 16 * 9 * 32 * 32 + 36 * 32 * 16 + 32 * 10, java.util.stream.LongStream.of(macs).sum());
  }

  /** 700 convs over ever narrower maps: every conv its own pixel tables, more than 512 of them. */
  @Test
  void manyDistinctTablesCompileIntoHolderClasses() throws Exception {
    String spec = "input(16, 1, 720)\nrelu()\nfor i in 0 .. 700 {\n  {i}: conv(16, [1, 2])\n  relu()\n}\n";
    String source = source(spec);
    assertTrue(source.contains("import static netc.models.test.Test.T$1.*;"), "holder classes");
    assertChainEqualsTheInterpreter(spec, 1);
  }

  /**
   * The holder classes' tables are built when the model loads: the class literals that loaded the holders
   * with the model do not run their static initializers, so the tables were built in the first inference,
   * and an out-of-memory there left the holder erroneous, every later call failing with NoClassDefFoundError
   * "Could not initialize class ...$T$1" (reported as a netc bug). A holder whose initializer fails (made to,
   * in its source) fails the load, with its error and the heap it needs.
   */
  @Test
  void aHolderWhoseTablesCannotBeBuiltFailsTheLoad() throws Exception {
    String spec = "input(16, 1, 720)\nrelu()\nfor i in 0 .. 700 {\n  {i}: conv(16, [1, 2])\n  sigmoid()\n}\n";
    compiled(spec, (o, dir) -> {
      String holder = "static final class T$1 {";
      assertTrue(o.source().contains(holder), "a second holder class");
      String failing = o.source().replace(holder, holder + "\nstatic { if (true) throw new OutOfMemoryError(\"the tables of T$1\"); }\n");
      JavaSourceCompiler.compile(o.className(), failing, ModelCompiler.runtimeLocation(), dir);
      try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> netc.runtime.CompiledModel.load(loader, 1));
        assertTrue(e.getMessage().startsWith("loading the compiled model test needs "), e.getMessage());
        assertEquals("the tables of T$1", e.getCause().getMessage());
      }
      return null;
    });
  }

  /**
   * Tables move into holder classes by the bytes of static initializer they take, not only by their count:
   * 61 channel shuffles of 84 channels, each after a pad so no two share a table, are 61 literal tables of
   * 252 ints (some 2 KB each), which the model class held under the 512-table count ("code too large").
   */
  @Test
  void manyLiteralTablesMoveIntoHolderClassesByTheirSize() throws Exception {
    String spec = "input(84, 1, 1)\nfor i in 0 .. 60 {\n  pad([0, 1])\n  channel_shuffle(2)\n}\nglobal_avgpool()\nflatten()\nfc(5)\n";
    String source = source(spec);
    assertTrue(source.contains("static final class T$1 {"), "two holder classes or more");
    assertNull(RandomNetworkTest.check(2, spec), "against the interpreter");
  }

  /**
   * An input's per-channel tables (mean, std, and the padding value folding them into a first conv leaves) past 256
   * channels are decoded from their floats' bits, as long int tables are: as literals, 9,000 channels took more than
   * the static initializer's 64 KB ("code too large", reported as a netc bug). Both forms equal the interpreter.
   */
  @Test
  void manyChannelsOfNormalizationAreDecodedFromText() throws Exception {
    StringBuilder mean = new StringBuilder(), std = new StringBuilder();
    for (int c = 0; c < 300; c++) {
      mean.append(c == 0 ? "" : ", ").append(0.001 * c);
      std.append(c == 0 ? "" : ", ").append(0.5 + 0.002 * c);
    }
    String input = "input(300, 2, 2, mean = [" + mean + "], std = [" + std + "])\n";
    for (String body : List.of("relu()\nglobal_avgpool()\nflatten()\nfc(5)\n", "c: conv(8, 3, padding = 1)\nglobal_avgpool()\nflatten()\nfc(5)\n")) {
      String spec = input + body;
      assertTrue(source(spec).contains("decodeFloats(new String[] {"), body);
      assertNull(RandomNetworkTest.check(3, spec), "against the interpreter: " + body);
    }
  }

  /**
   * A stride past the input's height leaves one output row, and no tile moves a row on: its jump (stride x
   * row stride, 2,272,000,000 floats here) was written as an int literal too large for javac, in the linear
   * kernel's rows and in the depthwise and grouped row kernels'.
   */
  @Test
  void aStridePastTheHeightCompiles() {
    for (String groups : List.of("", ", groups = 16", ", groups = 4")) {
      String spec = "input(16, 3, 140)\nrelu()\ntall: conv(32, 3, stride = [1000000, 1], padding = 1" + groups + ")\n";
      assertNull(RandomNetworkTest.check(2, spec), groups + ": against the interpreter");
    }
  }

  /**
   * One table too large for a literal: a channel shuffle of 4,096 channels gathers in 2,048 runs of 6 ints,
   * some 86 KB of static initializer as an array literal ("code too large"); decoded from text it
   * compiles, and computes what the interpreter does.
   */
  @Test
  void aTableTooLargeForALiteralIsDecodedFromText() throws Exception {
    String spec = "input(3, 2, 2)\nc: conv(4096, 1)\nchannel_shuffle(2)\nglobal_avgpool()\nflatten()\nfc(5)\n";
    assertTrue(source(spec).contains("decodeInts(new String[]"), "the runs decoded from text");
    assertNull(RandomNetworkTest.check(2, spec), "against the interpreter");
  }

  /**
   * A gather of many sources: a concat of 3,000 one-conv branches, shuffled, is one gather of 3,000
   * maps, whose per-source places (3 ints each) took some 69 KB of static initializer as an array
   * literal ("code too large"); decoded from text like its runs, it compiles and equals the interpreter.
   */
  @Test
  void aGatherOfThousandsOfSourcesIsDecodedFromText() throws Exception {
    StringBuilder spec = new StringBuilder("input(2, 1, 1)\nconcat {\n");
    for (int i = 0; i < 3000; i++) spec.append(i == 0 ? "" : "} and {\n").append("  b").append(i).append(": conv(1, 1)\n");
    spec.append("}\nchannel_shuffle(2)\nglobal_avgpool()\nflatten()\nfc(5)\n");
    String source = source(spec.toString()).replaceAll("\\n\\s*\\* ", " "); // a step's Javadoc, its lines joined
    assertTrue(source.contains("gather of 3000 channels") && source.contains("and 2996 more maps"), "one gather of 3,000 sources");
    assertNull(RandomNetworkTest.check(3, spec.toString()), "against the interpreter");
  }

  /**
   * 700 convs, 701 steps: one runStep switch of them took some 9 KB of bytecode, past HotSpot's
   * 8,000-byte limit on what it compiles (HugeMethodLimit), so every step's dispatch ran interpreted.
   * Past {@link ModelGenerator#STEPS_PER_CLASS} steps they go into nested classes, and every method of
   * every class the model has stays under the limit; it still equals the interpreter.
   */
  @Test
  void everyMethodOfSomeHundredStepsStaysUnderTheJitLimit() throws Exception {
    String spec = "input(16, 2, 2)\nfor i in 0 .. 700 {\n  {i}: conv(16, 1)\n  relu()\n}\n";
    compiled(spec, (o, dir) -> {
      assertTrue(o.steps() > ModelGenerator.STEPS_PER_CLASS && o.steps() <= ModelGenerator.PER_METHOD, o.steps() + " steps");
      Map<String, Integer> sizes = bytecodeSizes(dir);
      assertTrue(sizes.get("Test.runStep") > 20 && sizes.get("Test$S$0.n350") > 20, "javap's output was read");
      sizes.forEach((method, size) -> {
        // the class initializer runs once, whatever its size: only a method called again and again needs the JIT
        if (!method.endsWith(".static")) {
          assertTrue(size < 8000, method + " takes " + size + " bytes of bytecode (HugeMethodLimit is 8000)");
        }
      });
      assertTrue(sizes.get("Test$S$1.run") > 20 && !sizes.containsKey("Test$S$2.run"), "two step classes");
      return null;
    });
    assertChainEqualsTheInterpreter(spec, 0);
  }

  /**
   * The bytecode size of every method of every class under {@code dir}, as Class.method (from javap:
   * one past the offset of its last instruction, a return, throw or jump of at most three bytes).
   */
  static Map<String, Integer> bytecodeSizes(Path dir) throws Exception {
    List<String> classes = new ArrayList<>();
    try (var files = Files.walk(dir)) {
      files.filter(f -> f.toString().endsWith(".class")).forEach(f -> classes.add(f.toString()));
    }
    return bytecodeSizes(classes);
  }

  /** {@link #bytecodeSizes(Path)} of the classes javap is given: class files, or -cp PATH and class names. */
  static Map<String, Integer> bytecodeSizes(List<String> classes) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javap").toString(), "-c", "-p"));
    command.addAll(classes);
    Process javap = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new String(javap.getInputStream().readAllBytes()).lines().toList();
    assertEquals(0, javap.waitFor(), String.join("\n", lines));
    Map<String, Integer> sizes = new TreeMap<>();
    Pattern type = Pattern.compile("^\\S.*\\b(?:class|interface) (?:\\S+\\.)?([^.\\s]+)\\b.*\\{$");
    Pattern method = Pattern.compile("^  (?:\\S.*?(\\w+)\\(.*\\)(?: throws .*)?|(static) \\{\\});$");
    Pattern instruction = Pattern.compile("^ {4,8}(\\d+): [a-z]");
    String cls = null, current = null;
    for (String l : lines) {
      Matcher m;
      if ((m = type.matcher(l)).find()) cls = m.group(1);
      else if ((m = method.matcher(l)).find()) current = cls + "." + (m.group(1) != null ? m.group(1) : m.group(2));
      else if (current != null && (m = instruction.matcher(l)).find()) sizes.merge(current, Integer.parseInt(m.group(1)) + 1, Math::max);
    }
    return sizes;
  }

  /**
   * The runtime's own methods (the kernels, the pool, the model's call) stay under the JIT's limit too: a tile
   * method once reached 3,150 bytes of bytecode, and one past 8,000 would run interpreted on every call, silently
   * many times slower. Read from the runtime the compiler links against (its classes folder or its jar).
   */
  @Test
  void theRuntimesMethodsStayUnderTheJitLimit() throws Exception {
    Path runtime = ModelCompiler.runtimeLocation();
    List<String> names = new ArrayList<>(List.of("-cp", runtime.toString()));
    if (Files.isDirectory(runtime)) {
      try (var files = Files.walk(runtime.resolve("netc/runtime"))) {
        files.filter(f -> f.toString().endsWith(".class"))
            .forEach(f -> names.add(runtime.relativize(f).toString().replace(java.io.File.separatorChar, '.').replaceFirst("\\.class$", "")));
      }
    } else {
      try (java.util.jar.JarFile jar = new java.util.jar.JarFile(runtime.toFile())) {
        jar.stream().map(java.util.jar.JarEntry::getName).filter(n -> n.startsWith("netc/runtime/") && n.endsWith(".class"))
            .forEach(n -> names.add(n.replace('/', '.').replaceFirst("\\.class$", "")));
      }
    }
    Map<String, Integer> sizes = bytecodeSizes(names);
    assertTrue(sizes.getOrDefault("Tiles256.linear14x2", 0) > 20 && sizes.size() > 300, "javap's output was read: " + sizes.size() + " methods");
    sizes.forEach((method, size) -> {
      if (!method.endsWith(".static")) assertTrue(size < 8000, method + " takes " + size + " bytes of bytecode (HugeMethodLimit is 8000)");
    });
  }

  @Test
  void moreLayersThanTheLimitAreRefused() {
    Graph optimized = PassManager.run(Specs.fromText("input(3, 4, 4)\nconv(4, 1)\nfor i in 0 .. 25000 {\n  {i}: relu()\n}\n"),
        PassContext.defaults());
    NetcException e = assertThrows(NetcException.class, () -> ModelCompiler.checkLimits(optimized));
    assertEquals(4, e.span().line());
    assertEquals("cannot compile layer 20000: the network has 25,001 layers after the passes, and netc compiles at most 20,000 "
        + "(javac needs about a second and 100 MB for every thousand); this is layer 20,001. Raise the limit with "
        + "-Dnetc.codegen.maxLayers=N (./netc: NETC_JAVA_OPTS)", e.getMessage());
  }

  private static String source(String spec) throws Exception {
    return compiled(spec, (o, dir) -> o.source());
  }

  /** What a test reads of a spec compiled into a temporary folder: the compiler's output and the folder. */
  private interface WithCompiled<T> {
    T apply(ModelCompiler.Output output, Path dir) throws Exception;
  }

  /**
   * Compiles a spec (optimized, synthetic weights) into a temporary folder and applies {@code body} to
   * the output and the folder, which is deleted afterwards whatever the body does.
   */
  private static <T> T compiled(String spec, WithCompiled<T> body) throws Exception {
    Graph g = Specs.fromText(spec);
    Path dir = Files.createTempDirectory("netc-big");
    try {
      return body.apply(ModelCompiler.compileTo(PassManager.run(g, PassContext.defaults()), netc.weights.SyntheticWeights.source(g, 0),
          "test.net", true, dir, s -> {}), dir);
    } finally {
      ModelCompiler.deleteTree(dir);
    }
  }
}
