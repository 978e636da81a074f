package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import netc.testing.Specs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compiled jar as a user runs it: `java -jar`, in a separate JVM. */
class JarTest {
  @TempDir static Path dir;
  static Path jar;
  static Graph graph;

  @BeforeAll
  static void compile() throws Exception {
    graph = Specs.example("resnet18", Map.of("width", "8", "size", "64"));
    Path classes = Files.createDirectories(dir.resolve("classes"));
    ModelCompiler.compileTo(PassManager.run(graph, PassContext.defaults()), CompiledModelTest.synthetic(graph, 1), "resnet18.net", true, classes, s -> {});
    jar = dir.resolve("model.jar");
    ModelCompiler.writeJar(classes, jar);
  }

  record Run(int status, String out, String err) {}

  static Run java(boolean vector, String... args) throws Exception {
    return java(List.of(), vector, args);
  }

  static Run java(List<String> jvmFlags, boolean vector, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (vector) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-jar", jar.toString()));
    cmd.addAll(List.of(args));
    // stderr to a file: read after stdout from its own pipe, more than a pipe's 64 KiB of it would block the JVM
    // writing it while this read waited for stdout's end
    Path errFile = Files.createTempFile("jar-test", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectError(errFile.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = p.waitFor();
      return new Run(status, out, Files.readString(errFile, StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n"));
    } finally {
      Files.deleteIfExists(errFile);
    }
  }

  @Test
  void tensorsInAndOutAnyBatch() throws Exception {
    Tensor x = GeneratedModelTest.random(graph, 3, 5);
    Npy.write(dir.resolve("x.npy"), x);
    Run r = java(true, "--input", dir.resolve("x.npy").toString(), "--output", dir.resolve("y.npy").toString());
    assertEquals(0, r.status(), r.err());
    Tensor y = Npy.read(dir.resolve("y.npy"));
    assertArrayEquals(new int[] {3, 1000}, y.shape());
    Tensor expected = CompiledModels.compile(graph, CompiledModelTest.synthetic(graph, 1), 2).predict(x);
    assertArrayEquals(expected.data(), y.data());
    assertTrue(r.err().contains("compiled with synthetic weights"), "the jar says its weights are synthetic");
  }

  @Test
  void imagesGiveTopFiveAndBadOnesOneLineEach() throws Exception {
    Path images = Path.of("../weights/fixtures/images").toAbsolutePath();
    Run r = java(true, "--resize", "72", images.resolve("rgb_wide.png").toString(), images.resolve("broken.png").toString(),
        images.resolve("cmyk_jpeg.jpg").toString(), images.resolve("nothing.png").toString());
    assertEquals(1, r.status(), "a failed input makes the exit status 1");
    assertEquals(2, r.out().lines().filter(l -> l.endsWith(":")).count(), r.out());
    assertEquals(12, r.out().lines().count(), "two images, a header and five classes each:\n" + r.out());
    assertTrue(r.out().lines().skip(1).limit(5).allMatch(l -> l.matches("\\s+\\d+\\.\\d\\d%  \\S.*")), r.out());
    List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(List.of("error: " + images.resolve("broken.png") + ": cannot decode image", "error: " + images.resolve("nothing.png") + ": no such file"),
        errors.stream().map(l -> l.replaceFirst(" \\(.*", "")).toList());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void badTensorsAndFramesAreOneLine() throws Exception {
    Npy.write(dir.resolve("bad.npy"), Tensor.zeros(1, 3, 32, 32));
    Run r = java(true, "--input", dir.resolve("bad.npy").toString(), "--output", dir.resolve("o.npy").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("error: " + dir.resolve("bad.npy") + ": tensor has shape [1, 3, 32, 32], the model expects [N, 3, 64, 64]"), r.err());
    Files.write(dir.resolve("frame.yuv"), new byte[1000]);
    r = java(true, "--yuv", "nv12", "--size", "64x48", "--resize", "64", dir.resolve("frame.yuv").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("frame.yuv: 1000 bytes, but a 64x48 nv12 frame has 4608"), r.err());
    Files.write(dir.resolve("frame.yuv"), new byte[64 * 48 * 3 / 2]);
    r = java(true, "--yuv", "nv12", "--size", "64x48", "--resize", "64", dir.resolve("frame.yuv").toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.out().lines().filter(l -> l.endsWith("frame.yuv:")).count(), "a well-sized frame is classified:\n" + r.out());
  }

  /**
   * Without --threads the jar takes the processors the JVM reports, up to the thread bound: a host (or
   * container) reporting more ran into the bound's refusal, uncaught, as a stack trace.
   */
  @Test
  void aHostWithMoreProcessorsThanTheBoundRunsAtTheBound() throws Exception {
    Run r = java(List.of("-XX:ActiveProcessorCount=2000"), true, "--info");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("cpu: ") && r.out().contains(", 2000 processors"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("threads: " + netc.runtime.CommandLineArgs.MAX_THREADS + " (the default")), r.out());
  }

  /** The jar says which kernels it runs on which CPU; -Dnetc.vectorBits picks another width, and a bad value is one warning. */
  @Test
  void infoNamesTheKernelVariantAndTheCpu() throws Exception {
    Run r = java(true, "--info");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.matches("kernels: (vector-(512|256|128) \\(.*registers(, 15 to a sub-tile)?\\)|scalar \\(no vectors\\))")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cpu: ") && l.length() > 6), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("threads: " + Runtime.getRuntime().availableProcessors() + " (the default")), r.out());
    assertTrue(java(true, "--info", "--threads", "3").out().contains("\nthreads: 3 (--threads)\n"), "--info names the threads given");
    for (String line : List.of("model: resnet18 (network resnet18, from resnet18.net)", "input: input [N, 3, 64, 64] float32 NCHW",
        "output: [N, 1000], labelled", "weights: synthetic (meaningless classes)", "compiled by: netc " + ModelCompiler.VERSION,
        "preprocessing: resize 73 (bilinear), center crop 64, scale to [0, 1], then the model normalizes (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225])")) {
      assertTrue(r.out().lines().anyMatch(line::equals), "--info says \"" + line + "\":\n" + r.out());
    }
    // 128 bits has two register files (16 on x86 without AVX-512, else 32): each named, on any host
    r = java(List.of("-Dnetc.vectorBits=128", "-Dnetc.vectorRegisters=32"), true, "--info");
    assertTrue(r.out().contains("kernels: vector-128 (NEON class: 4 floats a vector, tiles for 32 registers)"), r.out());
    r = java(List.of("-Dnetc.vectorBits=128", "-Dnetc.vectorRegisters=16", "-Dnetc.tightTiles=false"), true, "--info");
    assertTrue(r.out().contains("kernels: vector-128 (SSE class: 4 floats a vector, tiles for 16 registers)"), r.out());
    // the 16-register files' tighter cut (JDK 17's C2), named, on any host
    r = java(List.of("-Dnetc.vectorBits=128", "-Dnetc.vectorRegisters=16", "-Dnetc.tightTiles=true"), true, "--info");
    assertTrue(r.out().contains("kernels: vector-128 (SSE class: 4 floats a vector, tiles for 16 registers, 15 to a sub-tile)"), r.out());
    r = java(List.of("-Dnetc.vectorBits=256", "-Dnetc.tightTiles=true"), true, "--info");
    assertTrue(r.out().contains("kernels: vector-256 (AVX2 class: 8 floats a vector, tiles for 16 registers, 15 to a sub-tile)"), r.out());
    r = java(List.of("-Dnetc.vectorBits=0"), true, "--info");
    assertTrue(r.out().contains("kernels: scalar (no vectors)"), r.out());
    // 00 is 0 as the width's parser reads it: the scalar kernels, asked for, without a warning of a JVM that cannot vectorize
    r = java(List.of("-Dnetc.vectorBits=00"), true, "--info");
    assertTrue(r.out().contains("kernels: scalar (no vectors)") && r.err().isEmpty(), r.out() + r.err());
    // a width wider than the JVM compiles natively still runs (the Vector API's Java fallback), with one warning
    r = java(List.of("-XX:MaxVectorSize=16", "-Dnetc.vectorBits=256"), true, "--info");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("kernels: vector-256 "), r.out());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("netc: warning: -Dnetc.vectorBits=256 is wider than the 128-bit vectors")).count(), r.err());
    // without C2 (here C1 alone) the Vector API would run its Java fallback: the scalar kernels, with one warning
    r = java(List.of("-XX:TieredStopAtLevel=1"), true, "--info");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("kernels: scalar (no vectors)"), r.out());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("warning: this JVM does not compile vectors (no C2")).count(), r.err());
    r = java(List.of("-Dnetc.vectorBits=100"), true, "--info");
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("netc: warning: -Dnetc.vectorBits=100 is not 512, 256, 128 or 0")).count(), r.err());
    r = java(List.of("-Dnetc.relaunch=false"), false, "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("this machine runs: scalar (no vectors)"), "without the vector module the jar runs scalar kernels:\n" + r.out());
    r = java(List.of("-Dnetc.vectorBits=128"), false, "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("this machine runs: vector-128 "), "java -jar without --add-modules restarts with the module, keeping JVM options:\n" + r.out());
  }

  /**
   * --output /dev/stdout (the jar's own, a pipe here) gets the .npy's bytes alone: the "wrote" line went
   * into them, after the data. It goes to standard error now.
   */
  @Test
  void theOutputOnStandardOutputIsTheDataAlone() throws Exception {
    Npy.write(dir.resolve("x1.npy"), GeneratedModelTest.random(graph, 2, 11));
    Path y = dir.resolve("y1.npy");
    Run toFile = java(true, "--threads", "1", "--input", dir.resolve("x1.npy").toString(), "--output", y.toString());
    assertEquals(0, toFile.status(), toFile.err());
    assertTrue(toFile.out().startsWith("wrote " + y + " [2, 1000] "), toFile.out());
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
        "jdk.incubator.vector", "-jar", jar.toString(), "--threads", "1", "--input", dir.resolve("x1.npy").toString(), "--output", "/dev/stdout"));
    Path err = dir.resolve("stdout-err.txt");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), Files.readString(err));
    assertArrayEquals(Files.readAllBytes(y), out, "standard output holds the .npy alone");
    assertTrue(Files.readString(err).lines().anyMatch(l -> l.startsWith("wrote /dev/stdout [2, 1000] ")), Files.readString(err));
  }

  /**
   * {@code java -jar} without --add-modules restarts the JVM with the module (same answers, the exit
   * status passed on); with -Dnetc.relaunch=false it runs the scalar kernels and says so once.
   */
  @Test
  void withoutTheVectorModuleItRestartsWithIt() throws Exception {
    Tensor x = GeneratedModelTest.random(graph, 1, 8);
    Npy.write(dir.resolve("xs.npy"), x);
    Tensor expected = CompiledModels.compile(graph, CompiledModelTest.synthetic(graph, 1), 1).predict(x);
    Run r = java(false, "--input", dir.resolve("xs.npy").toString(), "--output", dir.resolve("ys.npy").toString());
    assertEquals(0, r.status(), r.err());
    assertFalse(r.err().contains("jdk.incubator.vector is not available"), r.err());
    assertArrayEquals(expected.data(), Npy.read(dir.resolve("ys.npy")).data());
    r = java(false, "--input", dir.resolve("missing.npy").toString(), "--output", dir.resolve("ys.npy").toString());
    assertEquals(1, r.status(), "the restarted JVM's exit status is the jar's:\n" + r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("error: ")).count(), r.err());
    r = java(List.of("-Dnetc.relaunch=false"), false, "--input", dir.resolve("xs.npy").toString(), "--output", dir.resolve("ys.npy").toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("warning: jdk.incubator.vector is not available")).count(), r.err());
    assertArrayEquals(expected.data(), Npy.read(dir.resolve("ys.npy")).data(), "scalar kernels compute what vector kernels compute");
  }

  /**
   * One jar answers the same to the last bit at every width and register file (the tiles keep one order
   * of fused multiply-adds per output, and the scalar kernels the same): each variant run through the
   * override in its own JVM against the host's own. 512 bits is the host's own on an AVX-512 host.
   */
  @Test
  void everyKernelVariantGivesTheSameBits() throws Exception {
    Tensor x = GeneratedModelTest.random(graph, 2, 11);
    Npy.write(dir.resolve("xv.npy"), x);
    Run r = java(true, "--input", dir.resolve("xv.npy").toString(), "--output", dir.resolve("yv.npy").toString());
    assertEquals(0, r.status(), r.err());
    float[] own = Npy.read(dir.resolve("yv.npy")).data();
    for (List<String> variant : List.of(List.of("-Dnetc.vectorBits=0"), List.of("-Dnetc.vectorBits=128", "-Dnetc.vectorRegisters=16"),
        List.of("-Dnetc.vectorBits=128", "-Dnetc.vectorRegisters=32"), List.of("-Dnetc.vectorBits=256", "-Dnetc.tightTiles=false"),
        List.of("-Dnetc.vectorBits=256", "-Dnetc.tightTiles=true"))) {
      Path y = dir.resolve("yv" + String.join("", variant).replaceAll("[^0-9a-z]", "") + ".npy");
      r = java(variant, true, "--threads", "1", "--input", dir.resolve("xv.npy").toString(), "--output", y.toString());
      assertEquals(0, r.status(), variant + ": " + r.err());
      assertArrayEquals(own, Npy.read(y).data(), variant + " against the host's own kernels");
    }
  }

  /**
   * Without FMA instructions (-XX:-UseFMA, as HotSpot sets on a CPU or emulator without FMA3) the Vector
   * API's fused multiply-add and Math.fma both compute through BigDecimal, hundreds of times slower: the jar
   * runs the scalar kernels, multiplying and adding, says so once, and answers as the fused kernels do but
   * for the last bits (1e-5 x max|logit|: two roundings a multiply-add instead of one, over a few hundred terms).
   */
  @Test
  void withoutFmaInstructionsTheScalarKernelsMultiplyAndAdd() throws Exception {
    Tensor x = GeneratedModelTest.random(graph, 2, 9);
    Npy.write(dir.resolve("xf.npy"), x);
    Tensor expected = CompiledModels.compile(graph, CompiledModelTest.synthetic(graph, 1), 1).predict(x);
    Run r = java(List.of("-XX:-UseFMA"), true, "--info");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("kernels: scalar (no vectors)"), r.out());
    // vectors asked for all the same: the warning says why they are slow (it said "wider than the 0-bit vectors")
    r = java(List.of("-XX:-UseFMA", "-Dnetc.vectorBits=128"), true, "--info");
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("netc: warning: -Dnetc.vectorBits=128 on a JVM without fused multiply-add"
        + " instructions")).count(), r.err());
    r = java(List.of("-XX:-UseFMA"), true, "--input", dir.resolve("xf.npy").toString(), "--output", dir.resolve("yf.npy").toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("warning: this JVM has no fused multiply-add instructions")).count(), r.err());
    float[] y = Npy.read(dir.resolve("yf.npy")).data(), e = expected.data();
    float scale = 0, err = 0;
    for (int i = 0; i < e.length; i++) {
      scale = Math.max(scale, Math.abs(e[i]));
      err = Math.max(err, Math.abs(y[i] - e[i]));
    }
    assertTrue(scale > 0, "an all-zero reference checks nothing");
    assertTrue(err <= 1e-5f * scale, "max |error| " + err + " against max |logit| " + scale);
  }

  /**
   * An option that must not run in two JVMs at once (here -XX:+AlwaysPreTouch: the idle first JVM would keep
   * its whole heap committed beside the second's) keeps the jar in its own JVM, on the scalar kernels, with
   * the hint to add the module; it was repeated in a restarted JVM.
   */
  @Test
  void optionsThatMustNotRunTwiceRunInPlace() throws Exception {
    Run r = java(List.of("-Xms16m", "-Xmx64m", "-XX:+AlwaysPreTouch"), false, "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("this machine runs: scalar (no vectors)"), "no restart with the vector module:\n" + r.out());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("warning: jdk.incubator.vector is not available")
        && l.endsWith("(run java with --add-modules jdk.incubator.vector)")).count(), r.err());
  }
}
