package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the command line refuses before any work: each a single line naming the option and the problem, and its exit status. */
class CommandLineChecksTest {
  @TempDir Path dir;

  static final String SMALL = "../examples/smallnet.net";

  /** -o old.jar -o new.jar wrote old.jar and said nothing: an option given twice is refused, the repeatable ones excepted. */
  @Test
  void anOptionGivenTwiceIsRefused() {
    Path a = dir.resolve("old.jar"), b = dir.resolve("new.jar");
    Object[] r = netc("compile", SMALL, "-o", a.toString(), "-o", b.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: -o/--output is given twice (" + a + ", then " + b + "): give it once (usage: " + CompileCommand.USAGE + ")\n", r[2]);
    assertFalse(Files.exists(a) || Files.exists(b));
    r = netc("compile", SMALL, "-o", a.toString(), "--output", b.toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc compile: -o/--output is given twice (" + a + ", then " + b + "): give it once (usage: "), (String) r[2]);
    r = netc("compile", SMALL, "-o", a.toString(), "--thin", "--thin");
    assertEquals(2, r[0]);
    assertEquals("netc compile: --thin is given twice: give it once (usage: " + CompileCommand.USAGE + ")\n", r[2]);
    r = netc("summary", SMALL, "--depth", "1", "--depth", "2");
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc summary: --depth is given twice (1, then 2): give it once (usage: "), (String) r[2]);
    assertFalse(Files.exists(a) || Files.exists(b));
    // -D, --import-path and --disable-pass add a value each time
    r = netc("summary", SMALL, "-D", "size=64", "-D", "classes=7", "--import-path", dir.toString(), "--import-path", "../examples");
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).contains("[N, 7]"), (String) r[1]);
    r = netc("inspect", SMALL, "--disable-pass", "winograd", "--disable-pass", "fuse-activation");
    assertEquals(0, r[0], (String) r[2]);
  }

  /** An empty path is the current folder to Java: -o "" said "cannot write : it is a directory", summary "" "not a regular file". */
  @Test
  void anEmptyValueOrArgumentIsRefused() {
    Object[] r = netc("compile", SMALL, "-o", "");
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: -o/--output is given an empty value (usage: " + CompileCommand.USAGE + ")\n", r[2]);
    r = netc("summary", "");
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc summary: an argument is empty (\"\") (usage: "), (String) r[2]);
    r = netc("summary", SMALL, "--import-path", "");
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc summary: --import-path is given an empty value (usage: "), (String) r[2]);
    r = netc("summary", SMALL, "-D", "size=64", "-D", "classes=");
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc summary: -D classes= is given an empty value (usage: "), (String) r[2]);
  }

  /** A negative number where an argument goes is no "Unrecognized option" (commons-cli takes it for one). */
  @Test
  void aNegativeNumberIsNotCalledAnOption() {
    Object[] r = netc("summary", SMALL, "-1");
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc summary: -1: a negative number, read as an option (no argument of netc's is negative) (usage: "), (String) r[2]);
    r = netc("summary", SMALL, "-2.5e3");
    assertTrue(((String) r[2]).startsWith("netc summary: -2.5e3: a negative number, read as an option"), (String) r[2]);
    r = netc("summary", SMALL, "-x");
    assertTrue(((String) r[2]).startsWith("netc summary: Unrecognized option: -x (usage: "), (String) r[2]);
  }

  /** A -D the spec cannot take (no such param, a value of another kind) is a wrong call, exit 2, as a -D without its = is: it was 1. */
  @Test
  void aDefineTheSpecCannotTakeIsAWrongCall() {
    Object[] r = netc("summary", "../examples/resnet18.net", "-D", "nosuch=3");
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc summary: unknown parameter 'nosuch' in -D nosuch=3; the spec defines: "), (String) r[2]);
    r = netc("summary", "../examples/resnet18.net", "-D", "width=abc");
    assertEquals(2, r[0], (String) r[2]);
    r = netc("summary", "../examples/resnet18.net", "-D", "width");
    assertEquals(2, r[0], (String) r[2]);
  }

  /** -D width=8 -D width=16 kept the last value without a word: the same -D name twice is refused, as any option given twice. */
  @Test
  void theSameDefineTwiceIsRefused() {
    Object[] r = netc("summary", SMALL, "-D", "size=64", "-D", "classes=7", "-D", "size=32");
    assertEquals(2, r[0], (String) r[1]);
    assertEquals("netc summary: -D size is given twice (64, then 32): give it once\n", r[2]);
    assertEquals("", r[1]);
    r = netc("compile", SMALL, "-o", dir.resolve("m.jar").toString(), "-D", "classes=7", "-D", " classes=7");
    assertEquals(2, r[0], (String) r[1]);
    assertEquals("netc compile: -D classes is given twice (7, then 7): give it once\n", r[2]);
    assertFalse(Files.exists(dir.resolve("m.jar")));
  }

  /** -O 7 ran as -O 2 and -O -1 skipped even the required passes (a confusing failure later): -O takes 0, 1 or 2, else one line naming the value. */
  @Test
  void anOptimizationLevelOutOfRangeIsRefused() {
    for (String level : List.of("7", "-1", "3", "x", "1.5")) {
      Object[] r = netc("inspect", SMALL, "-O", level);
      assertEquals(2, r[0], level + ": " + r[2]);
      assertEquals("netc inspect: -O " + level + ": expected a whole number from 0 to 2\n", r[2]);
      assertEquals("", r[1], "refused before the passes run");
    }
    Object[] r = netc("compile", SMALL, "-o", dir.resolve("m.jar").toString(), "-O", "9");
    assertEquals(2, r[0]);
    assertEquals("netc compile: -O 9: expected a whole number from 0 to 2\n", r[2]);
    assertFalse(Files.exists(dir.resolve("m.jar")));
    // refused before --emit-source's folder is made: nothing left behind
    r = netc("compile", SMALL, "-o", dir.resolve("m.jar").toString(), "--emit-source", dir.resolve("src").toString(), "-O", "9");
    assertEquals(2, r[0]);
    assertFalse(Files.exists(dir.resolve("src")), "the --emit-source folder of a refused compile");
    // nor by a spec that cannot be read (the folder was made before the spec was read)
    r = netc("compile", dir.resolve("nosuch.net").toString(), "-o", dir.resolve("m.jar").toString(), "--emit-source", dir.resolve("src").toString());
    assertEquals(1, r[0], (String) r[2]);
    assertFalse(Files.exists(dir.resolve("src")), "the --emit-source folder of a spec that cannot be read");
    // the jar's own path as the sources' folder: the folder was made, and the jar refused after the whole compile
    r = netc("compile", SMALL, "-o", dir.resolve("gen").toString(), "--emit-source", dir.resolve("gen").toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: --emit-source " + dir.resolve("gen") + " is the jar's own path (-o): give the sources a folder of their own\n", r[2]);
    assertFalse(Files.exists(dir.resolve("gen")));
    // inspect: its options checked before the model is read and --dump-dir made
    for (List<String> bad : List.of(List.of("-O", "9"), List.of("--disable-pass", "nosuch"), List.of("--print-after", "nosuch"),
        List.of("--disable-pass", "winograd", "--print-after", "winograd"), List.of("-O", "0", "--print-after", "fuse-activation"))) {
      List<String> args = new java.util.ArrayList<>(List.of("inspect", SMALL, "--dump-dir", dir.resolve("dump").toString()));
      args.addAll(bad);
      r = netc(args.toArray(String[]::new));
      assertEquals(2, r[0], bad + ": " + r[2]);
      assertFalse(Files.exists(dir.resolve("dump")), bad + ": the --dump-dir of a refused inspect");
    }
    r = netc("weights", "init", "/no/such/spec.net", "-o", dir.resolve("w.safetensors").toString(), "--seed", "x");
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc weights: --seed x: expected a whole number from -9223372036854775808 to 9223372036854775807 (usage: netc weights init SPEC"
        + " -o FILE.safetensors [--seed N] [-D name=value]... [--import-path DIR]...)\n", r[2], "the seed checked before the spec is read");
    for (String level : List.of("0", "1", "2")) assertEquals(0, netc("inspect", SMALL, "-O", level)[0], level);
    // a pass that does not run printed nothing after it, and said nothing: now the reason and the passes that run
    r = netc("inspect", SMALL, "--disable-pass", "winograd", "--print-after", "winograd");
    assertEquals("netc inspect: --print-after winograd: the pass does not run here (--disable-pass); passes that run: eliminate-dead-nodes,"
        + " fold-batchnorm, merge-parallel-convs, fold-input-normalization, fuse-residual, fuse-activation, compose-gathers, assign-layout\n", r[2]);
    r = netc("inspect", SMALL, "-O", "0", "--print-after", "fuse-activation");
    assertEquals("netc inspect: --print-after fuse-activation: the pass does not run here (-O 0); passes that run: assign-layout\n", r[2]);
  }

  /** The command the demo prints to run its jar again reads back in a shell: a path with a space or a quote is quoted. */
  @Test
  void theDemosPrintedCommandQuotesItsPaths() {
    assertEquals("build/demo/resnet50.jar", DemoCommand.shellWord("build/demo/resnet50.jar"));
    assertEquals("'/tmp/my demo/resnet50.jar'", DemoCommand.shellWord("/tmp/my demo/resnet50.jar"));
    assertEquals("'/tmp/it'\\''s'", DemoCommand.shellWord("/tmp/it's"));
  }

  /** A demo folder that cannot be made or written (a read-only checkout's build/demo) is refused with the way out, --out. */
  @Test
  void aDemoFolderThatCannotBeWrittenSaysUseOut() {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux's /proc, where no folder can be made, even by root");
    Object[] r = netc("demo", "--only", "digits", "--out", "/proc/netc-demo");
    assertEquals(1, r[0], (String) r[2]);
    String e = (String) r[2];
    assertTrue(e.startsWith("netc demo: cannot write the demo's folder /proc/netc-demo (") && e.endsWith("): give one this user may write with --out DIR\n"), e);
  }

  /** An output named with a trailing slash names a folder: Path.of dropped the slash, and "-o build/" wrote a jar called build. */
  @Test
  void anOutputEndingInASlashIsRefused() {
    String build = dir.resolve("build") + "/";
    Object[] r = netc("compile", SMALL, "-o", build);
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: -o " + build + ": names a folder (it ends in /); give the file to write\n", r[2]);
    assertFalse(Files.exists(dir.resolve("build")));
    r = netc("weights", "init", SMALL, "-o", build);
    assertEquals(2, r[0], (String) r[2]);
    assertFalse(Files.exists(dir.resolve("build")));
    // import's --weights-out and inspect's --dot too: they wrote a file named build, exit 0
    r = netc("import", "../weights/fixtures/onnx/misc.onnx", "-o", dir.resolve("m.net").toString(), "--weights-out", build);
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc import: --weights-out " + build + ": names a folder (it ends in /); give the file to write\n", r[2]);
    r = netc("inspect", SMALL, "--dot", build);
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc inspect: --dot " + build + ": names a folder (it ends in /); give the file to write\n", r[2]);
    assertFalse(Files.exists(dir.resolve("build")));
    assertFalse(Files.exists(dir.resolve("m.net")));
    // "-" wrote a file of that name where standard output was meant
    r = netc("run", SMALL, "-i", "x.npy", "-o", "-", "--reference");
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc run: -o -: give a file, or /dev/stdout for standard output\n", r[2]);
  }

  /** --strict-weights without --weights would check nothing: refused rather than silently ignored. */
  @Test
  void strictWeightsWithoutWeightsIsRefused() {
    Object[] r = netc("compile", SMALL, "-o", dir.resolve("m.jar").toString(), "--strict-weights");
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: --strict-weights checks the --weights file against the spec, and none is given (the weights are synthetic)\n", r[2]);
    assertFalse(Files.exists(dir.resolve("m.jar")));
  }

  /**
   * A compile whose work folder (java.io.tmpdir) fills up says so and where, not "internal error: No space left on
   * device"; with room left, the failure is left as it was.
   */
  @Test
  void aFullWorkFolderIsNamed() {
    Path work = dir.resolve("netc-compile1");
    String m = CompileCommand.outOfSpace(work, 4096, "No space left on device");
    assertTrue(m.startsWith("the compile's work folder " + work + " ran out of space (4,096 bytes left in java.io.tmpdir, "), m);
    assertTrue(m.contains("; the write said: No space left on device): "), "the failure's own words too: " + m);
    assertTrue(m.endsWith("NETC_JAVA_OPTS=-Djava.io.tmpdir=DIR puts it on a disk with room for the weights"), m);
    assertEquals(null, CompileCommand.outOfSpace(work, 1L << 30, "x"));
    assertEquals(null, CompileCommand.outOfSpace(work, -1, "x"), "space unknown: the failure as it was");
  }

  /**
   * netc demo resnet50 ran both parts, ignoring the word, and --only digits -w W ignored the weights: both
   * refused, exit 2. (--out names a file: the old code stopped there, exit 1, instead of running the demo.)
   */
  @Test
  void demoRefusesWhatItWouldIgnore() throws Exception {
    String file = Files.writeString(dir.resolve("a-file"), "not a folder").toString();
    Object[] r = netc("demo", "resnet50", "--out", file);
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc demo: takes no arguments, got resnet50 (to run one part: --only resnet50) (usage: netc demo "), (String) r[2]);
    r = netc("demo", "--out", file, "extra", "words");
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc demo: takes no arguments, got extra words (usage: netc demo "), (String) r[2]);
    r = netc("demo", "--only", "digits", "-w", "W.safetensors", "--out", file);
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc demo: --weights applies to the resnet50 part; --only digits runs its own committed network\n", r[2]);
    assertEquals("", r[1], "nothing run");
  }

  /**
   * --import-path was accepted and ignored where nothing is imported: a compiled jar (which, like -D and
   * --weights, it does not apply to) and an ONNX model. Each is refused, naming the option, as the
   * usage error it is (exit 2; it was 1 for a model).
   */
  @Test
  void importPathIsRefusedWhereNothingIsImported() throws Exception {
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy"), jar = dir.resolve("m.jar");
    Object[] r = netc("run", jar.toString(), "--input", x.toString(), "--output", y.toString(), "--import-path", dir.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc run: a compiled jar carries its weights and parameters; --weights, --reference, -D and --import-path apply to specs\n", r[2]);
    String model = OnnxCommandsTest.FIXTURES.resolve("misc.onnx").toString();
    for (String command : List.of("summary", "inspect")) {
      r = netc(command, model, "--import-path", dir.toString());
      assertEquals(2, r[0], command + ": " + r[2]);
      assertEquals("netc " + command + ": " + model + ": --import-path is for a spec's imports; an ONNX model imports nothing\n", r[2]);
      assertEquals("", r[1]);
    }
    r = netc("compile", model, "-o", jar.toString(), "--import-path", dir.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: " + model + ": --import-path is for a spec's imports; an ONNX model imports nothing\n", r[2]);
    assertFalse(Files.exists(jar));
  }

  /** profile's numbers: --threads x was an internal error (exit 3), --runs 0 printed NaN, --threads 100000 started 100,000 threads. */
  @Test
  void profileRefusesNumbersOutOfRange() {
    String jar = dir.resolve("m.jar").toString();
    List<String[]> calls = List.of(new String[] {"--threads", "x"}, new String[] {"--threads", "0"}, new String[] {"--threads", "100000"},
        new String[] {"--runs", "0"}, new String[] {"--runs", "1000000"}, new String[] {"--batch", "-1"}, new String[] {"--batch", "y"},
        new String[] {"--batch", "1025"});
    List<String> errors = List.of("--threads x: expected a whole number from 1 to 1024", "--threads 0: expected a whole number from 1 to 1024",
        "--threads 100000: expected a whole number from 1 to 1024", "--runs 0: expected a whole number from 1 to 100000",
        "--runs 1000000: expected a whole number from 1 to 100000", "--batch -1: expected a whole number from 1 to 1024",
        "--batch y: expected a whole number from 1 to 1024", "--batch 1025: expected a whole number from 1 to 1024");
    for (int i = 0; i < calls.size(); i++) {
      Object[] r = netc("profile", jar, calls.get(i)[0], calls.get(i)[1]);
      assertEquals(2, r[0], String.join(" ", calls.get(i)));
      assertEquals("netc profile: " + errors.get(i) + "\n", r[2]);
    }
    Object[] r = netc("demo", "--threads", "2000000000");
    assertEquals(2, r[0]);
    assertEquals("netc demo: --threads 2000000000: expected a whole number from 1 to 1024\n", r[2]);
  }

  /** An --emit-source folder that cannot be made was an internal error (exit 3) after the whole compile: now one line first. */
  @Test
  void anEmitSourceFolderThatCannotBeMadeIsRefusedBeforeCompiling() throws Exception {
    Path file = Files.writeString(dir.resolve("f.txt"), "a file"), jar = dir.resolve("m.jar");
    Object[] r = netc("compile", SMALL, "-o", jar.toString(), "--emit-source", file.resolve("src").toString());
    assertEquals(1, r[0]);
    assertEquals("netc compile: cannot create --emit-source folder " + file.resolve("src") + ": Not a directory\n", r[2]);
    assertEquals("", r[1], "refused before compiling");
    assertFalse(Files.exists(jar));
  }

  /** A write that fails is "cannot write FILE: reason", exit 1, not an internal error; nothing half-written is left. */
  @Test
  void aFailedWriteIsOneLineAndLeavesNothingHalfWritten() throws Exception {
    // compile, after the compile: the generated source's package folder is taken by a file
    Path src = Files.createDirectories(dir.resolve("src")), jar = dir.resolve("m.jar");
    Files.writeString(src.resolve("netc"), "not a folder");
    Object[] r = netc("compile", SMALL, "-o", jar.toString(), "--emit-source", src.toString());
    assertEquals(1, r[0]);
    assertEquals("netc compile: cannot create --emit-source folder " + src.resolve("netc/models/smallnet") + ": Not a directory\n", r[2]);
    assertFalse(Files.exists(jar));
    Files.delete(src.resolve("netc"));
    Files.delete(src);
    // /dev/full fails every write (ENOSPC); it is written directly, never replaced
    Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "Linux's /dev/full");
    Path x = Files.createDirectories(dir.resolve("in")).resolve("x.npy");
    netc.runtime.io.Npy.write(x, netc.runtime.Tensor.zeros(1, 3, 32, 32));
    r = netc("run", SMALL, "--reference", "--input", x.toString(), "--output", "/dev/full");
    assertEquals(1, r[0]);
    assertEquals("netc run: cannot write /dev/full: No space left on device\n", r[2]);
    // import: the weights fail, so the spec is not written either (it was, before them)
    Path spec = dir.resolve("m.net"), weights = dir.resolve("m.safetensors");
    r = netc("import", OnnxCommandsTest.FIXTURES.resolve("misc.onnx").toString(), "-o", spec.toString(), "--weights-out", "/dev/full");
    assertEquals(1, r[0]);
    assertEquals("netc import: cannot write /dev/full: No space left on device\n", r[2]);
    r = netc("import", OnnxCommandsTest.FIXTURES.resolve("misc.onnx").toString(), "-o", "/dev/full", "--weights-out", weights.toString());
    assertEquals(1, r[0]);
    assertEquals("netc import: cannot write /dev/full: No space left on device\n", r[2]);
    try (var files = Files.list(dir)) {
      assertEquals(List.of("in"), files.map(p -> p.getFileName().toString()).toList(), "neither the spec nor the weights, nor a temporary file");
    }
  }

  /** Other writes: inspect's --dump-dir, demo's folders: one line naming the file, exit 1 (they were internal errors, exit 3). */
  @Test
  void otherWriteFailuresNameTheFile() throws Exception {
    Path dumps = Files.createDirectories(dir.resolve("dumps"));
    Files.createDirectories(dumps.resolve("00-input.ir"));
    Object[] r = netc("inspect", SMALL, "--dump-dir", dumps.toString());
    assertEquals(1, r[0]);
    assertEquals("netc inspect: cannot write " + dumps.resolve("00-input.ir") + ": it is a directory\n", r[2]);
    Path file = Files.writeString(dir.resolve("notes.txt"), "a file");
    r = netc("inspect", SMALL, "--dump-dir", file.toString());
    assertEquals(1, r[0]);
    assertEquals("netc inspect: cannot create --dump-dir " + file + ": it is a file, not a folder\n", r[2]); // was ": " + the path again
    r = netc("inspect", SMALL, "--dump-dir", file.resolve("sub").toString());
    assertEquals(1, r[0]);
    assertEquals("netc inspect: cannot create --dump-dir " + file.resolve("sub") + ": Not a directory\n", r[2]);
    Path out = Files.createDirectories(dir.resolve("demo"));
    Files.writeString(out.resolve("images"), "a file");
    r = netc("demo", "--only", "resnet50", "--out", out.toString());
    assertEquals(1, r[0]);
    assertEquals("netc demo: " + out.resolve("images") + ": already exists\n", r[2]);
  }

  /** A jar whose packing fails midway leaves the old jar as it was and no OUT.jar.tmp beside it. */
  @Test
  void aFailedJarLeavesTheOldOneAndNoTemporaryFile() throws Exception {
    Path unreadable = Path.of("/proc/self/mem"); // a regular file whose first bytes cannot be read, even by root
    Assumptions.assumeTrue(Files.isRegularFile(unreadable), "Linux's /proc");
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Files.createDirectories(classes.resolve("META-INF/netc"));
    Files.writeString(classes.resolve("META-INF/netc/model"), "m\n");
    Files.createSymbolicLink(classes.resolve("a.bin"), unreadable);
    Path out = Files.createDirectories(dir.resolve("out")), jar = Files.writeString(out.resolve("m.jar"), "the old jar");
    netc.runtime.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(netc.runtime.BadInputException.class,
        () -> netc.codegen.ModelCompiler.writeJar(classes, jar, false));
    assertEquals("cannot write " + jar + ": Input/output error", e.getMessage());
    assertEquals("the old jar", Files.readString(jar));
    try (var files = Files.list(out)) {
      assertEquals(List.of("m.jar"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  /**
   * An output over a file the spec imports was written, as only the spec itself was checked: compile
   * -o resnet.net replaced the import digits.net reads with a jar. Refused once the imports are known.
   */
  @Test
  void noCommandWritesOverASpecsImport() throws Exception {
    Path spec = Files.copy(Path.of("../examples/digits.net"), dir.resolve("digits.net"));
    Path imported = Files.copy(Path.of("../examples/resnet.net"), dir.resolve("resnet.net"));
    byte[] bytes = Files.readAllBytes(imported);
    String refusal = "writing " + imported + " would overwrite the input being read (" + imported.toRealPath() + ")\n";
    Object[] r = netc("compile", spec.toString(), "-o", imported.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: " + refusal, r[2]);
    r = netc("weights", "init", spec.toString(), "-o", imported.toString());
    assertEquals(2, r[0]);
    assertEquals("netc weights: " + refusal, r[2]);
    r = netc("inspect", spec.toString(), "--dot", imported.toString());
    assertEquals(2, r[0]);
    assertEquals("netc inspect: " + refusal, r[2]);
    org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, Files.readAllBytes(imported));
  }

  /** compile -o its own spec, model or weights replaced the input with a jar: refused as import refuses it. */
  @Test
  void compileNeverOverwritesItsInputs() throws Exception {
    Path spec = Files.copy(Path.of(SMALL), dir.resolve("s.net")), w = dir.resolve("w.safetensors"), model = dir.resolve("m.onnx");
    Files.copy(OnnxCommandsTest.FIXTURES.resolve("misc.onnx"), model);
    assertEquals(0, netc("weights", "init", spec.toString(), "-o", w.toString())[0]);
    byte[] specBytes = Files.readAllBytes(spec), weightBytes = Files.readAllBytes(w), modelBytes = Files.readAllBytes(model);
    Object[] r = netc("compile", spec.toString(), "-o", spec.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: writing " + spec + " would overwrite the spec being compiled\n", r[2]);
    r = netc("compile", spec.toString(), "--weights", w.toString(), "-o", w.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: writing " + w + " would overwrite the weights being compiled\n", r[2]);
    r = netc("compile", model.toString(), "-o", model.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: writing " + model + " would overwrite the model being compiled\n", r[2]);
    Path link = Files.createSymbolicLink(dir.resolve("link.jar"), spec); // the same file under another name
    r = netc("compile", spec.toString(), "-o", link.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: writing " + link + " would overwrite the spec being compiled\n", r[2]);
    r = netc("compile", dir.resolve(".").resolve("s.net").toString(), "-o", spec.toString());
    assertEquals(2, r[0], "the same path spelled differently");
    org.junit.jupiter.api.Assertions.assertArrayEquals(specBytes, Files.readAllBytes(spec));
    org.junit.jupiter.api.Assertions.assertArrayEquals(weightBytes, Files.readAllBytes(w));
    org.junit.jupiter.api.Assertions.assertArrayEquals(modelBytes, Files.readAllBytes(model));
  }

  /** weights, run and inspect wrote over their own inputs (weights init s.net -o s.net replaced the spec): refused as compile refuses it. */
  @Test
  void otherCommandsNeverOverwriteTheirInputs() throws Exception {
    Path spec = Files.copy(Path.of(SMALL), dir.resolve("s.net")), w = dir.resolve("w.safetensors"), x = dir.resolve("x.npy");
    Path jar = Files.writeString(dir.resolve("m.jar"), "the jar"), dotSpec = Files.copy(Path.of(SMALL), dir.resolve("g.dot"));
    assertEquals(0, netc("weights", "init", spec.toString(), "-o", w.toString())[0]);
    netc.runtime.io.Npy.write(x, netc.runtime.Tensor.zeros(1, 3, 32, 32));
    List<Path> inputs = List.of(spec, w, x, jar, dotSpec);
    List<byte[]> before = new java.util.ArrayList<>();
    for (Path p : inputs) before.add(Files.readAllBytes(p));
    Object[] r = netc("weights", "init", spec.toString(), "-o", spec.toString());
    assertEquals(2, r[0]);
    assertEquals("netc weights: writing " + spec + " would overwrite the spec being read\n", r[2]);
    r = netc("run", jar.toString(), "-i", x.toString(), "-o", jar.toString());
    assertEquals(2, r[0]);
    assertEquals("netc run: writing " + jar + " would overwrite the jar being run\n", r[2]);
    r = netc("run", spec.toString(), "--reference", "-i", x.toString(), "-o", spec.toString());
    assertEquals(2, r[0]);
    assertEquals("netc run: writing " + spec + " would overwrite the spec being run\n", r[2]);
    r = netc("run", spec.toString(), "--reference", "-i", x.toString(), "-o", x.toString());
    assertEquals(2, r[0]);
    assertEquals("netc run: writing " + x + " would overwrite the input being read\n", r[2]);
    r = netc("run", spec.toString(), "--reference", "-w", w.toString(), "-i", x.toString(), "-o", w.toString());
    assertEquals(2, r[0]);
    assertEquals("netc run: writing " + w + " would overwrite the weights being read\n", r[2]);
    r = netc("inspect", spec.toString(), "--dot", spec.toString());
    assertEquals(2, r[0]);
    assertEquals("netc inspect: writing " + spec + " would overwrite the spec being inspected\n", r[2]);
    r = netc("inspect", dotSpec.toString(), "--svg", dir.resolve("g.svg").toString()); // its DOT source goes beside it, g.dot
    assertEquals(2, r[0]);
    assertEquals("netc inspect: writing " + dotSpec + " would overwrite the spec being inspected\n", r[2]);
    for (int i = 0; i < inputs.size(); i++) org.junit.jupiter.api.Assertions.assertArrayEquals(before.get(i), Files.readAllBytes(inputs.get(i)), inputs.get(i).toString());
    assertFalse(Files.exists(dir.resolve("g.svg")));
  }

  /** weights init and run checked their output only after loading the spec (weights init: and making the weights): now first. */
  @Test
  void theOutputIsCheckedBeforeTheSpecIsLoaded() {
    Path missing = dir.resolve("no-such.net"), folder = dir.resolve("no-dir");
    Object[] r = netc("weights", "init", missing.toString(), "-o", folder.resolve("w.safetensors").toString());
    assertEquals(1, r[0]);
    assertEquals("netc weights: cannot write " + folder.resolve("w.safetensors") + ": no such directory " + folder + "\n", r[2]);
    r = netc("run", missing.toString(), "--reference", "-i", dir.resolve("x.npy").toString(), "-o", folder.resolve("y.npy").toString());
    assertEquals(1, r[0]);
    assertEquals("netc run: cannot write " + folder.resolve("y.npy") + ": no such directory " + folder + "\n", r[2]);
  }

  /** An invalid --name was refused only after the model was loaded and optimized: now first, as a usage error. */
  @Test
  void anInvalidNameIsRefusedBeforeAnyWork() {
    Path jar = dir.resolve("m.jar");
    Object[] r = netc("compile", SMALL, "-o", jar.toString(), "--name", "Small-Net");
    assertEquals(2, r[0]);
    assertEquals("netc compile: --name Small-Net: a model's name is lower-case letters, digits and _, starting with a letter\n", r[2]);
    assertEquals("", r[1], "refused before the model is loaded");
    r = netc("compile", dir.resolve("no-such.net").toString(), "-o", jar.toString(), "--name", "class");
    assertEquals(2, r[0]);
    assertEquals("netc compile: --name class: \"class\" is a Java keyword\n", r[2]);
    assertFalse(Files.exists(jar));
  }

  /**
   * Makes {@code folder} one this user may not write, root too (for whom chmod is no bar: chattr +i,
   * where the file system has it); the test is skipped where neither works. Closing undoes it.
   */
  static AutoCloseable readOnly(Path folder) throws Exception {
    Assumptions.assumeTrue(folder.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
    boolean immutable = false;
    if (Files.isWritable(folder)) { // root
      try {
        immutable = new ProcessBuilder("chattr", "+i", folder.toString()).redirectErrorStream(true).start().waitFor() == 0;
      } catch (java.io.IOException noChattr) {
        // skipped below
      }
    }
    boolean undoImmutable = immutable;
    AutoCloseable undo = () -> {
      if (undoImmutable) new ProcessBuilder("chattr", "-i", folder.toString()).redirectErrorStream(true).start().waitFor();
      Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    };
    if (Files.isWritable(folder)) {
      undo.close();
      Assumptions.abort("cannot make a folder read-only for this user");
    }
    return undo;
  }

  /**
   * An output file in a folder this user may not write was written over in place (half-written by a
   * failure): it cannot be replaced whole, and is refused before any work.
   */
  @Test
  void anOutputThatCannotBeReplacedWholeIsRefusedBeforeAnyWork() throws Exception {
    Path x = Files.createDirectories(dir.resolve("in")).resolve("x.npy"), folder = Files.createDirectories(dir.resolve("ro"));
    netc.runtime.io.Npy.write(x, netc.runtime.Tensor.zeros(1, 3, 32, 32));
    Path y = Files.writeString(folder.resolve("y.npy"), "old");
    try (AutoCloseable undo = readOnly(folder)) {
      Object[] r = netc("run", SMALL, "--reference", "-i", x.toString(), "-o", y.toString());
      assertEquals(1, r[0]);
      assertEquals("netc run: cannot write " + y + ": its folder " + folder
          + " is not writable, so it cannot be replaced whole (write it elsewhere, or make the folder writable)\n", r[2]);
      assertEquals("", r[1], "refused before the model is loaded");
    }
    assertEquals("old", Files.readString(y));
  }

  /**
   * A usage error quotes what was typed made one line, as a bad input's message does: a path with a newline printed
   * two lines, and an escape sequence in a typed word reached the terminal.
   */
  @Test
  void usageErrorsAreOneLineWhateverWasTyped() {
    Object[] r = netc("weights", "init", "a\nb.net", "-o", "a\nb.net");
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc weights: writing a\\nb.net would overwrite the spec being read\n", r[2]);
    r = netc("bogus\u001b[2J");
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc: unknown command 'bogus\\x1b[2J'\n"), (String) r[2]);
    // the command's usage, netc's own text, stays as it is laid out: run's is three lines
    r = netc("run", "../examples/smallnet.net");
    assertEquals(2, r[0]);
    String err = (String) r[2];
    assertTrue(err.startsWith("netc run: Missing required options: i, o (usage: netc run ") && err.contains("\n       netc run MODEL.jar")
        && !err.contains("\\n"), err);
  }
}
