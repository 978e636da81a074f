package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTest {
  /** A process as {@link Bench#waitForIdle} sees it: busy (one core spinning) until {@code busyMs}, idle after. */
  private static Bench.Clock spinningUntil(long busyMs, long tickMs) {
    return new Bench.Clock() {
      long now;

      @Override
      public long nanos() {
        return now;
      }

      @Override
      public long cpuNanos() {
        long ms = Math.min(now, busyMs * 1_000_000) / 1_000_000;
        return ms / tickMs * tickMs * 1_000_000; // counted in ticks, as /proc counts it (10 ms here)
      }

      @Override
      public void sleepMs(long ms) {
        now += ms * 1_000_000;
      }
    };
  }

  @Test
  void eachCallWaitsForTheSpinningToStopThenTheSameIdle() throws InterruptedException {
    // netc's workers spin 200 ms after a call, ONNX Runtime's about 40: both calls then follow 100 ms of idle
    for (long spin : new long[] {200, 40, 0}) {
      long[] gap = Bench.waitForIdle(spinningUntil(spin, 10), 100, 2000);
      assertEquals(spin * 1_000_000, gap[0], "CPU used while waiting, after a " + spin + " ms spin");
      assertTrue(gap[2] >= 100_000_000 && gap[2] < 110_000_000, "idle before the call: " + gap[2]);
      assertTrue(gap[1] >= (spin + 100) * 1_000_000 && gap[1] < (spin + 115) * 1_000_000, "waited " + gap[1] + " after a " + spin + " ms spin");
    }
  }

  @Test
  void aProcessThatNeverGoesIdleIsWaitedForAtMostTheLimit() throws InterruptedException {
    long[] gap = Bench.waitForIdle(spinningUntil(Long.MAX_VALUE / 2_000_000, 10), 100, 2000);
    assertTrue(gap[1] >= 2_000_000_000L && gap[1] < 2_010_000_000L, "waited " + gap[1]);
    assertTrue(gap[2] < 100_000_000, "never idle for 100 ms: " + gap[2]);
  }

  /** The engines' outputs must agree to 1e-4 of the largest; another size, a larger difference or a NaN stops the bench. */
  @Test
  void outputsThatDisagreeStopTheBench() {
    double[] e = Bench.agree(new float[] {1f, -2f, 0.5f}, new float[] {1f, -2.0001f, 0.5f}, "x");
    assertEquals(0.0001, e[0], 1e-6);
    assertEquals(2.0001, e[1], 1e-6);
    IllegalStateException near = assertThrows(IllegalStateException.class, () -> Bench.agree(new float[] {1f, 2f}, new float[] {1f, 2.001f}, "x"));
    assertTrue(near.getMessage().startsWith("netc and onnxruntime disagree in x (max |difference| 0.00100"), near.getMessage());
    IllegalStateException size = assertThrows(IllegalStateException.class, () -> Bench.agree(new float[2], new float[3], "the first calls"));
    assertEquals("netc gives 2 output values, onnxruntime 3; not the same network", size.getMessage());
    IllegalStateException far = assertThrows(IllegalStateException.class,
        () -> Bench.agree(new float[] {1f, 2f}, new float[] {1f, 2.01f}, "the timed calls"));
    assertTrue(far.getMessage().startsWith("netc and onnxruntime disagree in the timed calls (max |difference| 0.0100"), far.getMessage());
    assertThrows(IllegalStateException.class, () -> Bench.agree(new float[] {Float.NaN, 2f}, new float[] {1f, 2f}, "the sustained calls"));
  }

  @Test
  void pairedRatiosGiveTheMedianTheMiddleHalfAndTheWins() {
    // ratios 0.5, 1, 1.5, 2: median 1.25; quartiles at positions 0.75 and 2.25 of the sorted four
    String line = Bench.paired(new double[] {3, 1, 4, 2}, new double[] {2, 2, 2, 2});
    assertEquals("paired ratios (each netc call over its onnxruntime call, the two in turn first): median 1.250, middle half 0.875-1.625, "
        + "netc faster in 1 of 4", line);
  }

  @Test
  void quantilesInterpolateAndReachTheEnds() {
    double[] s = {10, 20, 40};
    assertEquals(10, Bench.quantile(s, 0), 1e-12);
    assertEquals(15, Bench.quantile(s, 0.25), 1e-12);
    assertEquals(40, Bench.quantile(s, 1), 1e-12);
  }

  /** The benchmarks' command lines refuse an option given twice, as netc's commands do, rather than keep one silently. */
  @Test
  void anOptionGivenTwiceIsRefused() {
    Cli.UsageException e = assertThrows(Cli.UsageException.class, () -> Cli.parse("netc compare A.jar B.jar...", "",
        new org.apache.commons.cli.Options().addOption(Cli.opt("runs", "N", "timed calls")), "", new String[] {"--runs", "5", "--runs", "50"},
        System.out));
    assertEquals("--runs is given twice (5, then 50): give it once (usage: netc compare A.jar B.jar...)", e.getMessage());
  }

  /**
   * netc alone is checked against the reference interpreter: within 1e-4 of the largest output passes; a
   * larger difference in a checked image (the first and the last of a batch) stops the bench, and so
   * does a value left unwritten (the NaN the bench fills its output with before each call) in any image.
   */
  @Test
  void netcAloneMustMatchTheReferenceInterpreter() {
    float[][] ref = {{1f, -2.0001f, 0.5f}};
    double[] e = Bench.matchesReference(new float[] {1f, -2f, 0.5f}, ref, new int[] {0}, "the first call");
    assertEquals(1e-4, e[0], 1e-6); // in float: -2.0001f is -2.00009989...
    assertEquals(2.0001, e[1], 1e-6);
    IllegalStateException far = assertThrows(IllegalStateException.class,
        () -> Bench.matchesReference(new float[] {1f, -2.001f, 0.5f}, new float[][] {{1f, -2f, 0.5f}}, new int[] {0}, "timed call 3"));
    assertTrue(far.getMessage().startsWith("netc and the reference interpreter disagree in timed call 3 (max |difference| 0.00100, max |output| 2.00,"
        + " tolerance 1e-4 of it)"), far.getMessage());
    // a batch of three: images 1 and 3 compared, image 2 only for being written
    float[][] ends = {{1f, -2f, 0.5f}, {3f, 4f, 5f}};
    int[] firstAndLast = {0, 2};
    Bench.matchesReference(new float[] {1f, -2f, 0.5f, 9f, 9f, 9f, 3f, 4f, 5f}, ends, firstAndLast, "the first call");
    IllegalStateException last = assertThrows(IllegalStateException.class,
        () -> Bench.matchesReference(new float[] {1f, -2f, 0.5f, 9f, 9f, 9f, 3f, 4f, 5.1f}, ends, firstAndLast, "timed call 2"));
    assertTrue(last.getMessage().startsWith("netc and the reference interpreter disagree in timed call 2 (max |difference| 0.100"), last.getMessage());
    IllegalStateException unwritten = assertThrows(IllegalStateException.class,
        () -> Bench.matchesReference(new float[] {1f, -2f, 0.5f, 9f, Float.NaN, 9f, 3f, 4f, 5f}, ends, firstAndLast, "timed call 1"));
    assertEquals("netc's output 1 of image 2 in timed call 1 is NaN (unwritten, or an overflow); not timing a wrong answer", unwritten.getMessage());
    IllegalStateException size = assertThrows(IllegalStateException.class,
        () -> Bench.matchesReference(new float[2], new float[][] {new float[3]}, new int[] {0}, "the first call"));
    assertEquals("netc gives 2 output values, the reference interpreter 3 an image; not the same network", size.getMessage());
  }

  /** --warmup-seconds: a number from 0 to an hour; a negative, infinite or unparsable value is refused in one line. */
  @Test
  void warmUpSecondsAreBounded() {
    org.apache.commons.cli.Options o = new org.apache.commons.cli.Options().addOption(Cli.opt("warmup-seconds", "S", "warm-up"));
    for (String bad : List.of("-1", "Infinity", "NaN", "1e9", "x")) {
      Cli.UsageException e = assertThrows(Cli.UsageException.class, () -> Cli.doubleValue(
          new org.apache.commons.cli.DefaultParser().parse(o, new String[] {"--warmup-seconds", bad}), "warmup-seconds", 10, 0, 3600));
      assertEquals("--warmup-seconds " + bad + ": expected a number from 0 to 3600", e.getMessage());
    }
  }

  /**
   * netc alone (no --onnx) on a small spec: its first call and its timed calls are checked against the
   * reference interpreter, and the bench says how far they were.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"1, image 1", "3, images 1 and 3"})
  void benchWithoutOnnxChecksNetcAgainstTheReference(String batch, String images) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int status;
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)); // the bench prints on System.out
      status = Bench.run(new String[] {"../examples/smallnet.net", "--runs", "3", "--warmup", "1", "--warmup-seconds", "0", "--threads", "1",
          "--batch", batch}, System.out);
    } finally {
      System.setOut(old);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, out);
    Matcher first = Pattern.compile("netc against the reference interpreter \\(" + images + ", first call\\): max \\|difference\\| = (\\S+) \\(\\S+ of max"
        + " \\|output\\| (\\S+); refused over 1e-4 of it; interpreter \\d+ ms\\)").matcher(out);
    assertTrue(first.find(), out);
    double scale = Double.parseDouble(first.group(2));
    assertTrue(scale > 0 && scale <= 1, out); // softmax outputs
    assertTrue(Double.parseDouble(first.group(1)) <= 1e-4 * scale, out);
    Matcher timed = Pattern.compile("netc's 3 timed calls against the reference interpreter \\(" + images + "\\): max \\|difference\\| = (\\S+) ").matcher(out);
    assertTrue(timed.find(), out);
    assertTrue(Double.parseDouble(timed.group(1)) <= 1e-4 * scale, out);
    assertTrue(out.contains("netc         median "), out);
    // the header names the kernels, the CPU and the peak at the kernels' width, which the figures are a share of
    String kernels = netc.runtime.kernels.Kernels.INSTANCE.variant(), cpu = netc.runtime.kernels.Kernels.cpuModel();
    assertTrue(out.contains("netc kernels: " + kernels + "; cpu: " + cpu + "; java " + System.getProperty("java.version") + "\n"), out);
    int bits = netc.runtime.kernels.Kernels.INSTANCE.vectorBits();
    assertTrue(Pattern.compile("measured FP32 peak on 1 thread at the kernels' width \\(" + (bits == 0 ? "scalar FMA" : bits + "-bit FMA") // this JVM has FMA (the build runs no -XX:-UseFMA)
        + "\\): \\d+(\\.\\d)? GFLOP/s").matcher(out).find(), out);
  }

  /**
   * --weights is bound as compile and run bind it: a file whose metadata calls its weights random (an
   * export's seeded ones) gets the note, tensors of no layer in the spec a warning naming them; both
   * were silent in the bench.
   */
  @Test
  void benchedWeightsGetTheCompilersNoteAndWarning(@TempDir Path dir) throws Exception {
    netc.ir.Graph graph = netc.onnx.ModelSource.load("../examples/smallnet.net", java.util.Map.of(), List.of()).graph();
    java.util.Map<String, netc.runtime.Tensor> tensors = new java.util.LinkedHashMap<>(netc.weights.SyntheticWeights.generate(graph, 3));
    tensors.put("extra.weight", new netc.runtime.Tensor(new int[] {2}, new float[] {1, 2}));
    Path weights = dir.resolve("random.safetensors");
    netc.runtime.io.Safetensors.write(weights, tensors, java.util.Map.of(netc.weights.WeightBinding.ORIGIN_KEY, netc.weights.WeightBinding.RANDOM));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int status;
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)); // the bench prints on System.out
      status = Bench.run(new String[] {"../examples/smallnet.net", "--weights", weights.toString(), "--runs", "2", "--warmup", "1",
          "--warmup-seconds", "0", "--threads", "1", "--sustained", "1"}, System.out);
    } finally {
      System.setOut(old);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, out);
    assertTrue(out.contains("note: " + weights + " holds random weights (its metadata says so: not trained, not ImageNet's): the model's"
        + " answers mean nothing\n"), out);
    assertTrue(out.contains("warning: " + weights + " has 1 tensor the spec does not use: extra.weight\n"), out);
    assertFalse(out.contains("the two inputs' outputs differ by"), out);
  }

  /**
   * A network whose answer does not depend on its input (every weight 0, the biases left): the bench warns that its check,
   * which two inputs were taken to give teeth, would pass a call answering the other input.
   */
  @Test
  void aNetworkWhoseAnswerIgnoresItsInputIsWarnedOf(@TempDir Path dir) throws Exception {
    netc.ir.Graph graph = netc.onnx.ModelSource.load("../examples/smallnet.net", java.util.Map.of(), List.of()).graph();
    java.util.Map<String, netc.runtime.Tensor> tensors = new java.util.LinkedHashMap<>(netc.weights.SyntheticWeights.generate(graph, 3));
    tensors.replaceAll((name, t) -> name.endsWith(".weight") ? netc.runtime.Tensor.zeros(t.shape()) : t);
    Path weights = dir.resolve("flat.safetensors");
    netc.runtime.io.Safetensors.write(weights, tensors, java.util.Map.of());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int status;
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
      status = Bench.run(new String[] {"../examples/smallnet.net", "--weights", weights.toString(), "--runs", "2", "--warmup", "1",
          "--warmup-seconds", "0", "--threads", "1"}, System.out);
    } finally {
      System.setOut(old);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, out);
    assertTrue(out.contains("warning: the two inputs' outputs differ by 0.0 of max |output| 0.110, within the check's 1e-4"), out);
  }

  /** --sustained times both engines' calls in a row: without --onnx it would be taken and ignored, so it is refused (1, off, is not). */
  @Test
  void sustainedBlocksGoWithOnnx() {
    Cli.UsageException e = assertThrows(Cli.UsageException.class,
        () -> Bench.run(new String[] {"../examples/smallnet.net", "--sustained", "10"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals("--sustained times both engines' calls in a row: it goes with --onnx", e.getMessage());
  }

  /**
   * An ONNX model benched against itself in ONNX Runtime (the smallest committed fixture, misc.onnx): the
   * engines' first outputs agree, and the latency ratio line is printed. The timings are not checked.
   */
  @Test
  void anOnnxModelBenchedAgainstOnnxRuntimeAgreesAndGivesARatio() throws Exception {
    String model = "../weights/fixtures/onnx/misc.onnx";
    assertTrue(Files.isRegularFile(Path.of(model)), "the fixture " + model);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int status;
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)); // the bench prints on System.out
      status = Bench.run(new String[] {model, "--onnx", model, "--threads", "1", "--runs", "2", "--warmup", "1", "--warmup-seconds", "0",
          "--sustained", "1"}, System.out);
    } finally {
      System.setOut(old);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, out);
    Matcher agree = Pattern.compile("outputs agree: max \\|netc - onnxruntime\\| = (\\S+) \\((\\S+) of max \\|output\\| (\\S+)\\)").matcher(out);
    assertTrue(agree.find(), out);
    assertTrue(Double.parseDouble(agree.group(3)) > 0, out); // not the "every output is 0" line
    assertTrue(Double.parseDouble(agree.group(1)) <= 1e-4 * Double.parseDouble(agree.group(3)), out);
    assertTrue(Pattern.compile("netc/onnxruntime latency ratio: \\d+\\.\\d{3} \\(netc \\S+ ms, onnxruntime \\S+ ms, batch 1, threads 1\\)")
        .matcher(out).find(), out);
  }

  /**
   * The share of the peak names Winograd only where it explains a figure over 100%: over on the direct
   * count, within on the work done; over on the work done blames the probe or the count.
   */
  @Test
  void peakShareNamesWinogradOnlyWhereTheWorkDoneIsWithinThePeak() {
    assertEquals(", 80% of peak", Bench.peakShare(true, 80, 80.2));
    assertEquals(", 90% of peak on the direct count, 60% on the multiply-adds done", Bench.peakShare(true, 90, 60));
    assertEquals(", 130% of peak on the direct count (Winograd and merged convs compute fewer), 70% on the multiply-adds done", Bench.peakShare(true, 130, 70));
    assertEquals(", 180% of peak on the direct count, 110% on the multiply-adds done: over 100%, so the peak probe or the count is wrong",
        Bench.peakShare(true, 180, 110));
    assertEquals(", 120% of peak (the peak at netc's kernels' width: onnxruntime may run wider vectors)", Bench.peakShare(false, 120, Double.NaN));
    assertEquals("", Bench.peakShare(true, Double.NaN, Double.NaN)); // kernels wider than the JVM's vectors: no peak to share
  }

  /** The bench says ONNX Runtime's memory is on huge pages only where GLIBC_TUNABLES asks glibc for them, the last setting winning. */
  @Test
  void mallocHugePagesReadsTheLastHugetlbSetting() {
    assertTrue(Bench.mallocHugePages("glibc.malloc.hugetlb=1"));
    assertTrue(Bench.mallocHugePages("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"));
    assertTrue(!Bench.mallocHugePages(null));
    assertTrue(!Bench.mallocHugePages("glibc.malloc.hugetlb=0"));
    assertTrue(!Bench.mallocHugePages("glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=2")); // 2 is hugetlbfs pages, not THP
    assertTrue(!Bench.mallocHugePages("glibc.malloc.hugetlb=10"));
  }

  /**
   * The header says ONNX Runtime's memory was asked for huge pages, not that it is on them: glibc before
   * 2.35 and musl ignore GLIBC_TUNABLES' hugetlb, and the setting is all the bench sees.
   */
  @Test
  void theHeaderSaysOnnxRuntimesHugePagesWereAskedFor() {
    assertTrue(Bench.hugePages("glibc.malloc.hugetlb=1").matches("transparent huge pages: kernel .*, netc's heap .*, onnxruntime's memory"
        + " \\(glibc malloc\\) asked for \\(GLIBC_TUNABLES glibc\\.malloc\\.hugetlb=1\\)"), Bench.hugePages("glibc.malloc.hugetlb=1"));
    assertTrue(Bench.hugePages("glibc.malloc.hugetlb=0").endsWith(", onnxruntime's memory (glibc malloc) not asked for"));
    assertTrue(Bench.hugePages(null).endsWith(", onnxruntime's memory (glibc malloc) not asked for"));
    // the heap's part is the flag in force in this JVM (the tests' runs do not turn it on)
    boolean on = "true".equals(netc.runtime.VmOptions.get("UseTransparentHugePages"));
    assertTrue(Bench.hugePages(null).contains(on ? ", netc's heap on them (" : ", netc's heap not asked for,"), Bench.hugePages(null));
  }

  /** {exit status, stderr} of netc bench (whose report goes to System.out). */
  private static String[] bench(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Cli.run("bench", args, Bench::run, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), err.toString(StandardCharsets.UTF_8)};
  }

  /**
   * --onnx is opened before netc compiles anything: a file ONNX Runtime cannot load, or a model whose
   * input is not the network's at the batch, is one line naming the file (exit 1), where it was an
   * internal error's exception (exit 3) after the whole compile.
   */
  @Test
  void anOnnxModelThatIsNotTheNetworksIsRefusedInOneLine(@TempDir Path dir) throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.onnx"), "not a model");
    String[] r = bench("../examples/smallnet.net", "--onnx", garbage.toString(), "--threads", "1");
    assertEquals("1", r[0], r[1]);
    // a file netc's reader refuses too is said as it says it, placed in the file (onnxruntime's messages name its C++ source)
    assertEquals("netc bench: " + garbage + ": not an ONNX model, or truncated: in the model at byte 1: Protocol message tag had invalid wire type."
        + " (onnxruntime cannot load it either)\n", r[1]);
    Path other = TinyOnnx.relu(dir.resolve("other.onnx"), 1, 3, 8, 8);
    r = bench("../examples/smallnet.net", "--onnx", other.toString(), "--threads", "1");
    assertEquals("1", r[0], r[1]);
    assertEquals("netc bench: " + other + ": input x has shape [1, 3, 8, 8], and network smallnet at --batch 1 takes [1, 3, 32, 32]\n", r[1]);
    r = bench("../examples/smallnet.net", "-D", "size=8", "--onnx", other.toString(), "--threads", "1", "--batch", "2");
    assertEquals("1", r[0], r[1]);
    assertEquals("netc bench: " + other + ": input x has shape [1, 3, 8, 8], and network smallnet at --batch 2 takes [2, 3, 8, 8]\n", r[1]);
  }

  /** bench compares the engines' outputs as floats: a model whose first output is another type is refused in one line before the compile. */
  @Test
  void anOnnxModelWhoseOutputIsNotFloatIsRefused(@TempDir Path dir) throws Exception {
    Path cast = TinyOnnx.castToInt64(dir.resolve("cast.onnx"), 1, 3, 32, 32);
    String[] r = bench("../examples/smallnet.net", "--onnx", cast.toString(), "--threads", "1");
    assertEquals("1", r[0], r[1]);
    assertTrue(r[1].startsWith("netc bench: " + cast + ": output y is TensorInfo(") && r[1].endsWith(", not a float tensor\n"), r[1]);
  }

  /**
   * ONNX Runtime's session is closed however the bench ends once it is open: a weights file that cannot
   * be bound (before the compile) and outputs that disagree (after it; a relu of the input is not
   * smallnet) left it open in the process.
   */
  @Test
  void theOnnxSessionIsClosedWhenTheBenchFails(@TempDir Path dir) throws Exception {
    Path relu = TinyOnnx.relu(dir.resolve("relu.onnx"), 1, 3, 32, 32);
    int open = Bench.Ort.OPEN.get();
    String[] r = bench("../examples/smallnet.net", "--onnx", relu.toString(), "--weights", dir.resolve("none.safetensors").toString(), "--threads", "1");
    assertEquals("1", r[0], r[1]);
    assertTrue(r[1].contains("none.safetensors"), r[1]);
    assertEquals(open, Bench.Ort.OPEN.get(), "sessions open after a refused weights file");
    r = bench("../examples/smallnet.net", "--onnx", relu.toString(), "--threads", "1");
    assertEquals("1", r[0], r[1]);
    assertEquals("netc bench: netc gives 10 output values, onnxruntime 3072; not the same network\n", r[1]);
    assertEquals(open, Bench.Ort.OPEN.get(), "sessions open after outputs that disagree");
  }

  /** The input check: a symbolic dimension (a torchvision export's batch) takes any size; a fixed one must match. */
  @Test
  void anOnnxInputMatchesWhereItsDimensionsAreFixed() {
    String[] names = {"N", "", "", ""};
    assertEquals(null, Bench.Ort.shapeProblem(new long[] {-1, 3, 32, 32}, names, new long[] {8, 3, 32, 32}));
    assertEquals(null, Bench.Ort.shapeProblem(new long[] {8, 3, 32, 32}, new String[4], new long[] {8, 3, 32, 32}));
    assertEquals("[N, 3, 224, 224]", Bench.Ort.shapeProblem(new long[] {-1, 3, 224, 224}, names, new long[] {1, 3, 32, 32}));
    assertEquals("[2, 3, 32, 32]", Bench.Ort.shapeProblem(new long[] {2, 3, 32, 32}, names, new long[] {1, 3, 32, 32}));
    assertEquals("[?, 3, 32]", Bench.Ort.shapeProblem(new long[] {-1, 3, 32}, new String[3], new long[] {1, 3, 32, 32}));
  }

  /**
   * A batch whose inputs pass one Java array is refused by the model's own check, before anything is
   * allocated: 699051 x 3x32x32 wrapped past an int (a NegativeArraySizeException, exit 3). Within --batch's
   * bound of 1024 since, so here of inputs of 3x1024x1024.
   */
  @Test
  void aBatchPastOneArrayIsRefusedInOneLine(@TempDir Path dir) throws Exception {
    Path spec = Files.writeString(dir.resolve("large.net"), "input(3, 1024, 1024)\nglobal_avgpool()\n");
    String[] r = bench(spec.toString(), "--threads", "1", "--batch", "683");
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].matches("netc bench: --batch 683: a batch of 683 inputs of 3x1024x1024 takes 2,148,532,224 floats, more than the"
        + " 2,147,483,639 one Java array holds; the model \\w+ takes batches of 682 at most\n"), r[1]);
  }

  /**
   * -D and --threads follow the compiler's commands: the same -D name twice (the last silently won), a
   * -D without a value (read as "true") and a thread count past the runtime's bound (thousands of threads
   * started before an out-of-memory) are usage errors, before the spec is read.
   */
  @Test
  void definesAndThreadsAreRefusedAsTheCompilersCommandsRefuseThem() {
    String[] r = bench("no/such.net", "-D", "width=8", "-D", "width=16");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc bench: -D width is given twice (8, then 16): give it once\n", r[1]);
    r = bench("no/such.net", "-D", "size");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc bench: -D size: give NAME=VALUE, e.g. -D width=32\n", r[1]);
    r = bench("no/such.net", "--threads", "100000");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc bench: --threads 100000: expected a whole number from 1 to 1024\n", r[1]);
  }

  /** A folder where a file is expected is "not a regular file", not "no such file". */
  @Test
  void aFolderGivenAsTheOnnxModelIsNamedAsAFolder(@TempDir Path dir) {
    String[] r = bench("../examples/smallnet.net", "--onnx", dir.toString(), "--threads", "1");
    assertEquals("1", r[0], r[1]);
    assertEquals("netc bench: cannot read " + dir + ": not a regular file (a directory)\n", r[1]);
  }

  /** --runs and --sustained are bounded: blocks x (K - 1) overflowed an int (a negative array size) for a large K. */
  @Test
  void runsWarmupAndSustainedAreBounded() {
    assertWrongCall("netc bench: --sustained 2147483647: expected a whole number from 1 to 1000\n", "--sustained", "2147483647");
    assertWrongCall("netc bench: --sustained 0: expected a whole number from 1 to 1000\n", "--sustained", "0");
    assertWrongCall("netc bench: --runs 100001: expected a whole number from 1 to 100000\n", "--runs", "100001");
    // two billion untimed calls: a hang
    assertWrongCall("netc bench: --warmup 2000000000: expected a whole number from 0 to 100000\n", "--warmup", "2000000000");
    assertWrongCall("netc bench: --warmup -3: expected a whole number from 0 to 100000\n", "--warmup", "-3");
    // each named on its own ("--batch, --threads and --runs must be positive" said which in none); a batch of 100000 took minutes a call
    assertWrongCall("netc bench: --runs 0: expected a whole number from 1 to 100000\n", "--runs", "0");
    assertWrongCall("netc bench: --batch 100000: expected a whole number from 1 to 1024\n", "--batch", "100000");
  }

  /** A bench of no/such.net with {@code option} and {@code value}: refused as a wrong call (exit 2) with {@code message} alone. */
  private static void assertWrongCall(String message, String option, String value) {
    String[] r = bench("no/such.net", option, value);
    assertEquals("2", r[0], r[1]);
    assertEquals(message, r[1]);
  }

  /**
   * A bench stopped by SIGTERM (or Ctrl-C) while it compiles leaves no work folder: it was removed only when
   * the compile ended, so a stopped bench of resnet50 left 100 MB in the temporary folder. resnet18 at its full
   * width on small images, as compile's own InterruptTest: stopped once its work folder appears.
   */
  @Test
  void aBenchStoppedBySigtermLeavesNoWorkFolder(@TempDir Path dir) throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp")), log = dir.resolve("log.txt");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp,
        "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "netc.examples.Bench", "../examples/resnet18.net",
        "-D", "size=64", "--threads", "1").redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
      // its work folder lives from before the weights are packed to after javac and the load: seconds, a wide window
      while (!compiling(tmp) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
      assertTrue(p.isAlive() && compiling(tmp), "the bench was not stopped mid-compile: " + Files.readString(log));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the JVM exits");
      assertEquals(143, p.exitValue(), "stopped by SIGTERM, not ended; output: " + Files.readString(log));
    } finally {
      p.destroyForcibly();
    }
    try (java.util.stream.Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.map(Path::toString).toList(), "no work folder left");
    }
  }

  /** Whether the bench's work folder is in {@code tmp}. */
  private static boolean compiling(Path tmp) throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = Files.list(tmp)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith("netc-bench"));
    }
  }

  /** The compile's temporary folder (a whole weights.bin) is removed when the compile fails, not left in the temporary directory. */
  @Test
  void theCompileFolderIsRemovedWhenTheCompileFails() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    java.util.Set<Path> before = benchFolders(tmp);
    String[] r;
    System.setProperty("netc.codegen.maxLayers", "1"); // refused by the compile, once the folder is made
    try {
      r = bench("../examples/smallnet.net", "--threads", "1");
    } finally {
      System.clearProperty("netc.codegen.maxLayers");
    }
    assertEquals("1", r[0], r[1]);
    assertTrue(r[1].contains("layers after the passes, and netc compiles at most 1"), r[1]);
    java.util.Set<Path> left = benchFolders(tmp);
    left.removeAll(before);
    assertEquals(java.util.Set.of(), left);
  }

  private static java.util.Set<Path> benchFolders(Path tmp) throws java.io.IOException {
    try (var s = Files.newDirectoryStream(tmp, "netc-bench*")) {
      java.util.Set<Path> all = new java.util.HashSet<>();
      s.forEach(all::add);
      return all;
    }
  }
}
