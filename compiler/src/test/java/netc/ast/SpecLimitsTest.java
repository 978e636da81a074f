package netc.ast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import netc.cli.Main;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The front end's limits, with specs too large to keep as files: the campaign's deep and long specs
 * get their located message (not a StackOverflowError) on a 512 KiB stack, the smallest a user's JVM
 * usually has, while specs right at the limits still build on it; large specs build in linear time.
 */
class SpecLimitsTest {
  /** The smallest usual thread stack: the tests' own JVM runs with -Xss8m, which would hide an overflow. */
  private static final long SMALL_STACK = 512 * 1024;

  private static Graph build(String text) {
    return GraphBuilder.build(SpecLoader.fromText("deep.net", text), Map.of());
  }

  /** Runs {@code work} on a thread with a 512 KiB stack and rethrows what it threw. */
  private static <T> T onSmallStack(Callable<T> work) throws Throwable {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t = new Thread(null, () -> {
      try {
        result.set(work.call());
      } catch (Throwable e) {
        thrown.set(e);
      }
    }, "small-stack", SMALL_STACK);
    t.start();
    t.join();
    if (thrown.get() != null) throw thrown.get();
    return result.get();
  }

  private static NetcException refusedOnSmallStack(String text) {
    return assertThrows(NetcException.class, () -> onSmallStack(() -> build(text)));
  }

  private static String repeat(String s, int n) {
    return s.repeat(n);
  }

  // ---- nesting and expression length: the campaign's cases ---------------------------------

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "parentheses | conv(%s4%s, 3) | ( | )",
    "lists       | conv(4, %s3%s) | [ | ]",
    "residuals   | %srelu()%s     | 'residual { ' | ' }'",
    "fors        | %srelu()%s     | 'for i in 0 .. 1 { ' | ' }'",
    "signs       | conv(4, %s3%s) | '- ' | ''",
  })
  void threeThousandLevelsAreRefusedWithTheirPlace(String what, String template, String open, String close) {
    String text = "input(3, 8, 8)\n" + String.format(template, repeat(open, 3000), repeat(close, 3000)) + "\n";
    NetcException e = refusedOnSmallStack(text);
    assertTrue(e.getMessage().startsWith("nesting deeper than 100 levels"), what + ": " + e.format());
    assertEquals(2, e.span().line(), e.format());
  }

  @Test
  void threeThousandNestedBlockBodiesAreRefused() {
    // a block whose body holds residual bodies 3,000 deep
    String text = "block b() {" + repeat("residual {", 3000) + "relu()" + repeat("}", 3000) + "}\ninput(3, 8, 8)\nb()\n";
    NetcException e = refusedOnSmallStack(text);
    assertTrue(e.getMessage().startsWith("nesting deeper than 100 levels"), e.format());
    assertEquals(1, e.span().line());
  }

  @Test
  void tenThousandTermsAreRefusedWithTheirPlace() {
    String text = "input(3, 8, 8)\nconv(" + String.join("+", java.util.Collections.nCopies(10_000, "1")) + ", 3)\n";
    NetcException e = refusedOnSmallStack(text);
    assertEquals("expression of more than 1,000 terms", e.getMessage().substring(0, e.getMessage().indexOf(';')));
    assertEquals("deep.net:2:6", e.span().location());
  }

  @Test
  void signsBeforeABracketCountInsideIt() {
    // 60 signs, then 50 brackets: the parser is inside all of them at once
    String text = "input(3, 8, 8)\nconv(4, " + repeat("- ", 60) + repeat("(", 50) + "3" + repeat(")", 50) + ")\n";
    assertTrue(refusedOnSmallStack(text).getMessage().startsWith("nesting deeper than 100"));
  }

  @Test
  void specsAtTheLimitsBuildOnASmallStack() throws Throwable {
    String terms = String.join("+", java.util.Collections.nCopies(999, "1")) + " - 995";   // 1,000 terms, = 4
    String parens = repeat("(", 99) + terms + repeat(")", 99);                            // with conv( : 100 levels
    String residuals = repeat("residual { ", 99) + "relu()" + repeat(" }", 99);            // 99 + none outside = 99
    String signs = "conv(4, 3, padding = " + repeat("- ", 98) + "1)";                      // conv( + 98 signs: 99
    String text = "input(3, 8, 8)\nconv(" + parens + ", 3, padding = 1)\n" + residuals + "\n" + signs + "\n";
    for (int i = 0; i < 20; i++) { // warm: compiled frames are larger
      Graph g = onSmallStack(() -> build(text));
      assertEquals(List.of(4, 8, 8), List.of(g.node(1).shape().dim(0), g.node(1).shape().dim(1), g.node(1).shape().dim(2)));
    }
  }

  @Test
  void raisingTheNestingLimitPastTheStackGivesAMessageNotAStackOverflow() {
    String text = "input(3, 8, 8)\nconv(" + repeat("(", 20_000) + "4" + repeat(")", 20_000) + ", 3)\n";
    withProperty("netc.spec.maxNesting", "1000000", () -> assertEquals(
        "the spec nests too deeply for the Java stack; give java a larger -Xss", refusedOnSmallStack(text).getMessage()));
  }

  @Test
  void bodiesNestedThroughBlockCallsAtTheLimitBuildOnASmallStack() throws Throwable {
    // 32 blocks of 3 residuals around a call each, a deep expression at the bottom: 128 bodies of 128.
    // Run it a few times: once compiled, the elaborator's frames are larger than interpreted ones.
    for (int i = 0; i < 20; i++) {
      Graph g = onSmallStack(() -> build(blockChain(32, 3)));
      assertEquals(32 * 3 + 2, g.nodes().size(), "the input, the conv and every residual's add");
    }
  }

  @Test
  void bodiesNestedThroughBlockCallsPastTheLimitAreRefused() {
    NetcException e = refusedOnSmallStack(blockChain(33, 3));
    assertEquals("bodies nested more than 128 deep, counting through block calls (in block b32, called at 32:48, in block b31, called at 31:48,"
        + " in block b30, called at 30:48, and 30 calls more)", e.getMessage());
  }

  /** Block i nests {@code depth} residuals around a call of block i+1; the last holds a long expression. */
  private static String blockChain(int blocks, int depth) {
    StringBuilder b = new StringBuilder();
    String bottom = "conv(" + repeat("(", 90) + String.join("+", java.util.Collections.nCopies(900, "1")) + repeat(")", 90) + " - 896, 1)";
    for (int i = 0; i < blocks; i++) {
      String inner = i + 1 < blocks ? "b" + (i + 1) + "()" : bottom;
      b.append("block b").append(i).append("() { ").append(repeat("residual { ", depth)).append(inner).append(repeat(" }", depth)).append(" }\n");
    }
    return b + "input(4, 4, 4)\nb0()\n";
  }

  // ---- imports ---------------------------------------------------------------------------------

  @Test
  void aChainOfImportsPastTheLimitIsRefusedWhereTheLastImportIs(@TempDir Path dir) throws Throwable {
    writeChain(dir, 1500);
    NetcException e = assertThrows(NetcException.class, () -> onSmallStack(() -> SpecLoader.load(dir.resolve("main.net"))));
    assertTrue(e.getMessage().startsWith("imports nested more than 64 deep"), e.format());
    assertEquals("c64.net:1:8", e.span().location().substring(e.span().location().lastIndexOf('/') + 1));
  }

  @Test
  void aChainOfImportsAtTheLimitLoads(@TempDir Path dir) throws Throwable {
    writeChain(dir, 64);
    SpecLoader.Program p = onSmallStack(() -> SpecLoader.load(dir.resolve("main.net")));
    assertEquals(64, p.params().size());
  }

  /** main.net imports c1.net, which imports c2.net, ... c{n}.net: n files below main. */
  private static void writeChain(Path dir, int n) throws Exception {
    Files.writeString(dir.resolve("main.net"), "import \"c1.net\"\ninput(1, 4, 4)\nrelu()\n");
    for (int i = 1; i <= n; i++) {
      Files.writeString(dir.resolve("c" + i + ".net"), (i < n ? "import \"c" + (i + 1) + ".net\"\n" : "") + "param p" + i + " = " + i + "\n");
    }
  }

  /** Each file is held to 4 MiB, but there may be any number of them: together they are held to 64 MiB. */
  @Test
  void importsPastSixtyFourMiBTogetherAreRefusedAtTheImportThatPassesIt(@TempDir Path dir) throws Exception {
    // one file of exactly 4 MiB, a comment, under 16 names (hard links: one file on disk, 16 to read)
    Path big = Files.writeString(dir.resolve("big.txt"), "/*" + " ".repeat((4 << 20) - 4) + "*/");
    StringBuilder main = new StringBuilder();
    for (int i = 1; i <= 16; i++) {
      Files.createLink(dir.resolve("c" + i + ".net"), big);
      main.append("import \"c").append(i).append(".net\"\n");
    }
    Files.writeString(dir.resolve("main.net"), main + "input(1, 4, 4)\nrelu()\n");
    Files.writeString(dir.resolve("fifteen.net"), main.substring(0, main.indexOf("import \"c16.net\"")) + "input(1, 4, 4)\nrelu()\n");

    assertEquals(2, GraphBuilder.build(SpecLoader.load(dir.resolve("fifteen.net")), Map.of()).nodes().size());
    NetcException e = assertThrows(NetcException.class, () -> SpecLoader.load(dir.resolve("main.net")));
    assertEquals("import c16.net: the spec and its imports come to more than 64 MiB", e.getMessage());
    assertEquals("main.net:16:8", e.span().location().substring(e.span().location().lastIndexOf('/') + 1));
  }

  @Test
  void importsOutsideTheFolderAreRefusedWithoutReadingThem(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(tmp.resolve("secret.net"), "SECRET-MARKER line one\n");
    Files.createSymbolicLink(dir.resolve("link.net"), tmp.resolve("secret.net"));
    for (String[] c : new String[][] {
        {"import \"../secret.net\"", "import \"../secret.net\" leaves the spec's folder"},
        {"import \"" + tmp.resolve("secret.net") + "\"", "is an absolute path"},
        {"import \"/etc/passwd\"", "import \"/etc/passwd\" is an absolute path"},
        {"import \"link.net\"", "import \"link.net\" leads out of the allowed folders through a link"},
    }) {
      Files.writeString(dir.resolve("main.net"), c[0] + "\ninput(1, 4, 4)\nrelu()\n");
      String[] r = netc("summary", dir.resolve("main.net").toString());
      assertEquals("1", r[0], r[2]);
      assertTrue(r[2].contains("main.net:1:8: "), r[2]);
      assertTrue(r[2].contains(c[1]), r[2]);
      assertFalse(r[2].contains("SECRET-MARKER") || r[2].contains("root:"), r[2]);
      assertEquals(3, r[2].lines().count(), "one message, the import line and its underline:\n" + r[2]);
    }
  }

  @Test
  void importPathDirectoriesAreSearchedAndAllowed(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("specs"));
    Path lib = Files.createDirectories(tmp.resolve("lib"));
    Files.writeString(lib.resolve("blocks.net"), "block twice() {\n  relu()\n  relu()\n}\n");
    Files.writeString(dir.resolve("main.net"), "import \"blocks.net\"\ninput(1, 4, 4)\ntwice()\n");
    String spec = dir.resolve("main.net").toString();

    String[] without = netc("summary", spec);
    assertEquals("1", without[0]);
    assertTrue(without[2].contains("main.net:1:8: cannot read import blocks.net: no such file"), without[2]);

    String[] with = netc("summary", spec, "--import-path", lib.toString());
    assertEquals("0", with[0], with[2]);
    assertTrue(with[1].contains("2 layers"), with[1]);

    // an import path does not open the folders around it
    Files.writeString(dir.resolve("main.net"), "import \"../secret.net\"\ninput(1, 4, 4)\nrelu()\n");
    String[] escape = netc("summary", spec, "--import-path", lib.toString());
    assertTrue(escape[2].contains("leaves the spec's folder; imports must stay inside the spec's folder or the --import-path directories"), escape[2]);

    String[] missing = netc("summary", spec, "--import-path", tmp.resolve("nowhere").toString());
    assertEquals("1", missing[0]);
    assertEquals("netc summary: --import-path " + tmp.resolve("nowhere") + ": no such directory", missing[2].strip());
    // a file given as the directory was taken, its imports then "not found" in it
    String[] file = netc("summary", spec, "--import-path", spec);
    assertEquals("1", file[0]);
    assertEquals("netc summary: --import-path " + spec + ": not a directory", file[2].strip());
  }

  @Test
  void importsMayClimbBackInsideTheSpecsFolder(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("a/b"));
    Files.writeString(dir.resolve("common.net"), "param width = 5\n");
    Files.writeString(dir.resolve("a/b/deep.net"), "import \"../../common.net\"\n");
    Files.writeString(dir.resolve("main.net"), "import \"a/b/deep.net\"\ninput(1, 4, 4)\nconv(width, 1)\n");
    assertEquals(5, GraphBuilder.build(SpecLoader.load(dir.resolve("main.net")), Map.of()).output().shape().dim(0));
  }

  // ---- linear time -------------------------------------------------------------------------

  @Test
  void fiftyThousandUnnamedLayersBuildInLinearTime() {
    // 17 s for 25,000 and 69 s for 50,000 when unnamed layers searched every suffix from _1;
    // linear, it is well under a second: 20 s leaves room for a loaded machine without flaking.
    // Every call spans two lines, as each multi-line span once split the whole file again.
    long start = System.nanoTime();
    Graph g = build("input(3, 8, 8)\n" + "relu(\n)\n".repeat(50_000));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(50_001, g.nodes().size());
    assertEquals("relu_49999", g.nodes().get(50_000).name());
    assertTrue(seconds < 20, "50,000 layers took " + seconds + " s");
  }

  /**
   * A block's defaulted parameters are bound in time linear in their number: each default was evaluated over a
   * copy of every parameter bound before it, so 2,000 calls of a block of 2,000 defaults (4 million steps, under
   * the limit) copied some 4 billion map entries. Now well under a second.
   */
  @Test
  void manyDefaultedParametersBindInLinearTime() {
    StringBuilder text = new StringBuilder("block b(");
    for (int i = 0; i < 2_000; i++) text.append(i == 0 ? "" : ", ").append("a").append(i).append(" = ").append(i == 0 ? "1" : "a" + (i - 1));
    text.append(") {\n  relu()\n}\ninput(3, 8, 8)\nfor i in 0 .. 2000 {\n  {i}: b()\n}\n");
    Graph g = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> build(text.toString()));
    assertEquals(2_001, g.nodes().size());
  }

  /**
   * The check that a block calling itself never ends compares the arguments of its calls; lists that nest lists a
   * thousand times over stand for 10^9 numbers in a few thousand terms, compared whole at every call. Each item
   * compared is a step now, so the spec meets the step limit in a second or two.
   */
  @Test
  void comparingHugeNestedArgumentsCountsAsSteps() {
    String zeros = "0, ".repeat(999) + "0";
    String text = "param a = [" + zeros + "]\nparam b = [" + zeros + "]\n"
        + "param a2 = [" + "a, ".repeat(999) + "a]\nparam b2 = [" + "b, ".repeat(999) + "b]\n"
        + "param a3 = [" + "a2, ".repeat(999) + "a2]\nparam b3 = [" + "b2, ".repeat(999) + "b2]\n"
        + "block f(x, n) {\n  for i in 0 .. n {\n    f(a3, 0)\n  }\n}\ninput(3, 8, 8)\nf(b3, 200000)\nrelu()\n";
    NetcException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(NetcException.class, () -> build(text)));
    assertTrue(e.getMessage().contains("steps to expand"), e.getMessage());
  }

  /**
   * Lists nested through params (99 brackets a param, a thousand params: 99,000 levels) are compared without recursion:
   * the check that a block's call never ends overflowed the Java stack on them, with the default limits.
   */
  @Test
  void listsNestedDeeplyThroughParamsCompareWithoutOverflowingTheStack() {
    StringBuilder text = new StringBuilder();
    for (String p : new String[] {"a", "b"}) {
      text.append("param ").append(p).append("0 = 0\n");
      for (int i = 1; i <= 1000; i++) {
        text.append("param ").append(p).append(i).append(" = ").append("[".repeat(99)).append(p).append(i - 1).append("]".repeat(99)).append('\n');
      }
    }
    text.append("block f(x, n) {\n  for i in 0 .. n {\n    f(a1000, 0)\n  }\n}\ninput(3, 8, 8)\nf(b1000, 1)\nrelu()\n");
    Graph g = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> build(text.toString()));
    assertEquals(2, g.nodes().size());
  }

  /**
   * A comment or string never closed is one token: the lexer tried again from every later '/*' to the
   * end of the file (or '"' to the end of the line), so 32,000 '/* ' took 5 s and 1,000,000 (3 MB,
   * under the 4 MiB limit) would take hours. Linear, each is well under a second.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "'/* ' | deep.net:2:1 | unterminated comment: no '*/' closes this '/*' before the end of the file",
    "'\"\\' | deep.net:2:1 | unterminated string: the line ends before its closing '\"'",
  })
  void aMillionUnclosedCommentsOrStringsAreRefusedInLinearTime(String unit, String location, String message) {
    String text = "input(3, 8, 8)\n" + unit.repeat(1_000_000) + "\nrelu()\n";
    NetcException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(NetcException.class, () -> build(text)));
    assertEquals(location, e.span().location());
    assertEquals(message, e.getMessage());
  }

  /**
   * Two million named scopes, ten deep inside each of 200,000 loop iterations, full names of 100 to
   * 990 characters, no layer in any: every full name was kept for the whole build, 1.4 GB (out of
   * memory in a 256 MB heap, 21 s with 6 GB); now a closed scope's names are dropped, 40 MB and 2 s.
   */
  @Test
  void twoMillionNamedScopesKeepOnlyTheOpenOnes() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 11; i++) {
      b.append("block b").append(i).append("() {\n");
      if (i < 10) b.append("  \"").append(String.valueOf((char) ('a' + i)).repeat(98)).append("\": b").append(i + 1).append("()\n");
      b.append("}\n");
    }
    String text = b + "input(3, 8, 8)\nfor i in 0 .. 200000 {\n  {i}: b0()\n}\nrelu()\n";
    Graph g = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> build(text));
    assertEquals(List.of("input", "relu"), g.nodes().stream().map(n -> n.name()).toList());
  }

  /** A spec written on one line parses in linear time: every node's span copied the whole line (hours for 4 MiB). */
  @Test
  void aSpecOnOneLineParsesInLinearTime() {
    Graph g = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> build("input(3, 8, 8) " + "relu() ".repeat(150_000)));
    assertEquals(150_001, g.nodes().size());
  }

  /**
   * The check of the calls a build did not run, in linear time and memory: it copied a block's formals for each
   * of its loops (20,000 loops in a block of 20,000 formals: 15 GB), and looked up each named argument in a
   * list of the callee's formals (a call of 100,000 named arguments: 5 billion comparisons).
   */
  @Test
  void callsNotRunAreCheckedInLinearTime() {
    StringBuilder loops = new StringBuilder("block b(");
    for (int i = 0; i < 20_000; i++) loops.append(i == 0 ? "" : ", ").append("a").append(i);
    loops.append(") {\n").append("  for i in 0 .. 0 { }\n".repeat(20_000)).append("}\ninput(3, 8, 8)\nrelu()\n");
    assertEquals(2, assertTimeoutPreemptively(Duration.ofSeconds(20), () -> build(loops.toString())).nodes().size());
    StringBuilder named = new StringBuilder("block b(");
    for (int i = 0; i < 100_000; i++) named.append(i == 0 ? "" : ", ").append("a").append(i).append(" = 0");
    named.append(") {\n  relu()\n}\nblock never() {\n  b(");
    for (int i = 0; i < 100_000; i++) named.append(i == 0 ? "" : ", ").append("a").append(i).append(" = 1");
    named.append(")\n}\ninput(3, 8, 8)\nrelu()\n");
    assertEquals(2, assertTimeoutPreemptively(Duration.ofSeconds(20), () -> build(named.toString())).nodes().size());
    // and a wrong name among them is still refused, at its argument
    NetcException e = assertThrows(NetcException.class, () -> build(named.toString().replace("a99999 = 1", "a100000 = 1")));
    assertTrue(e.getMessage().startsWith("b has no parameter 'a100000'"), e.getMessage());
  }

  /**
   * Which params a block's formals read (for -D's check that a param is read) in linear memory: each formal kept a
   * copy of what its default read, so 100,000 formals defaulting to one that reads 999 params held 100 million
   * names (gigabytes). The override still reaches the layer through the chain of defaults.
   */
  @Test
  void whatFormalsReadIsTrackedInLinearMemory() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 999; i++) b.append("param p").append(i).append(" = 0\n");
    b.append("block wide(x0 = ");
    for (int i = 0; i < 999; i++) b.append(i == 0 ? "" : " + ").append("p").append(i);
    for (int i = 1; i < 100_000; i++) b.append(", x").append(i).append(" = x").append(i - 1 == 0 ? 0 : i - 1);
    b.append(") {\n  conv(x99999 + 4, 1)\n}\ninput(3, 8, 8)\nwide()\n");
    String text = b.toString();
    Graph g = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> GraphBuilder.build(SpecLoader.fromText("deep.net", text), Map.of("p500", "3")));
    assertEquals(7, g.output().shape().dim(0), "p500 = 3 read through 100,000 defaults");
  }

  @Test
  void tenThousandParamsLoadInLinearTime() {
    long start = System.nanoTime();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 10_000; i++) b.append("param p").append(i).append(" = ").append(i).append('\n');
    Graph g = build(b + "input(3, 8, 8)\nconv(p9999 - 9995, 1)\n");
    assertEquals(4, g.output().shape().dim(0));
    assertTrue((System.nanoTime() - start) / 1e9 < 20);
    NetcException e = assertThrows(NetcException.class, () -> build(b + "param one_more = 1\ninput(3, 8, 8)\nrelu()\n"));
    assertEquals("deep.net:10001:7", e.span().location());
    assertTrue(e.getMessage().startsWith("more than 10,000 params; the JVM property -Dnetc.spec.maxParams=N raises the limit"), e.getMessage());
  }

  // ---- configurable limits -----------------------------------------------------------------

  @Test
  void aSystemPropertyRaisesOrLowersALimit() {
    String spec = "input(3, 8, 8)\nfor i in 0 .. 11 {\n  relu()\n}\n";
    withProperty("netc.spec.maxLayers", "10", () -> {
      NetcException e = assertThrows(NetcException.class, () -> build(spec));
      assertEquals("deep.net:3:3", e.span().location());
      assertTrue(e.getMessage().startsWith("the network expands to more than 10 layers; the JVM property -Dnetc.spec.maxLayers=N"), e.getMessage());
    });
    withProperty("netc.spec.maxLayers", "11", () -> assertEquals(12, build(spec).nodes().size()));
    withProperty("netc.spec.maxLayers", "many", () -> assertEquals(
        "-Dnetc.spec.maxLayers=many: the layers limit must be a positive integer",
        assertThrows(NetcException.class, () -> build(spec)).getMessage()));
  }

  @Test
  void theActivationLimitIsConfigurableButTheArrayLimitIsNot() {
    String spec = "input(3, 1000, 1000)\nwide: conv(300, 1)\n";
    withProperty("netc.spec.maxActivation", String.valueOf(400_000_000), () -> assertEquals(2, build(spec).nodes().size()));
    withProperty("netc.spec.maxActivation", String.valueOf(Long.MAX_VALUE), () -> assertTrue(
        assertThrows(NetcException.class, () -> build("input(3, 1000, 1000)\nwide: conv(3000, 1)\n")).getMessage()
            .contains("is over the JVM's array limit of 2,147,483,639")));
  }

  private static void withProperty(String key, String value, Runnable body) {
    String old = System.getProperty(key);
    System.setProperty(key, value);
    try {
      body.run();
    } finally {
      if (old == null) System.clearProperty(key);
      else System.setProperty(key, old);
    }
  }

  // ---- numbers -----------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({"NaN", "Infinity", "-Infinity"})
  void nonFiniteOverridesAreRefused(String value) {
    String[] r = netc("summary", "src/test/resources/lang/valid/everything.net", "-D", "slope=" + value);
    assertEquals("2", r[0], "a -D the spec cannot take is a wrong call, as a -D without = is");
    assertEquals("netc summary: -D slope=" + value + ": the value must be a finite number", r[2].strip());
  }

  /** Java gives MIN_VALUE / -1 as MIN_VALUE again, silently; MIN_VALUE % -1 is 0, which is right. */
  @Test
  void theSmallestIntegerOverMinusOneOverflowsButItsRemainderIsZero() {
    String smallest = "input(3, 8, 8)\nparam smallest = -9223372036854775807 - 1\n";
    NetcException e = assertThrows(NetcException.class, () -> build(smallest + "conv(4 + smallest / -1, 1)\n"));
    assertEquals("integer overflow", e.getMessage());
    assertEquals("deep.net:3:10", e.span().location());
    assertEquals(4, build(smallest + "conv(4 + smallest % -1, 1)\n").output().shape().dim(0));
  }

  /** "-D size" (no value) was read by commons-cli as size=true: a usage error now. */
  @Test
  void aDefineWithoutAValueIsRefused() {
    String[] r = netc("summary", "src/test/resources/lang/valid/everything.net", "-D", "slope");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("netc summary: -D slope: give NAME=VALUE, e.g. -D width=32"), r[2]);
  }

  // ---- the command line ----------------------------------------------------------------------

  @Test
  void theCommandLineGivesOneMessageAndExitOneForADeepSpec(@TempDir Path dir) throws Exception {
    Path spec = dir.resolve("deep.net");
    Files.writeString(spec, "input(3, 8, 8)\nconv(" + repeat("(", 3000) + "4" + repeat(")", 3000) + ", 3)\n");
    String[] r = netc("summary", spec.toString());
    assertEquals("1", r[0]);
    List<String> lines = r[2].lines().toList();
    assertEquals(3, lines.size(), r[2]);
    assertTrue(lines.get(0).endsWith("deep.net:2:105: nesting deeper than 100 levels (brackets, lists, block bodies and minus signs); "
        + "the JVM property -Dnetc.spec.maxNesting=N raises the limit (for ./netc, in NETC_JAVA_OPTS)"), lines.get(0));
    assertTrue(lines.get(1).length() < 140, "the excerpt shows a window of a long line: " + lines.get(1));
    assertFalse(r[2].contains("Exception") || r[2].contains("Error"), r[2]);
  }

  /** Runs the command line in-process: {exit status, stdout, stderr}. */
  private static String[] netc(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }
}
