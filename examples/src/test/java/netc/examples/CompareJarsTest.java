package netc.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareJarsTest {
  @TempDir static Path dir;
  static Path a, b, thin, other, reseeded;

  private static void compile(String spec, Path jar, String... more) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = new String[] {"compile", spec, "-o", jar.toString(), "-D", "width=8", "-D", "size=32"};
    String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    int status = netc.cli.Main.run(all, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
  }

  @BeforeAll
  static void jars() {
    Path spec = Path.of("../examples/resnet18.net");
    a = dir.resolve("a.jar");
    b = dir.resolve("b.jar");
    thin = dir.resolve("thin.jar");
    other = dir.resolve("other.jar");
    compile(spec.toString(), a);
    compile(spec.toString(), b);
    compile(spec.toString(), thin, "--thin");
    compile(spec.toString(), other, "-D", "classes=10");
    // the same network with other weights: the same shapes, other outputs
    Path w = dir.resolve("seed5.safetensors");
    assertEquals(0, netc.cli.Main.run(new String[] {"weights", "init", spec.toString(), "-o", w.toString(), "--seed", "5", "-D", "width=8",
        "-D", "size=32"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
    reseeded = dir.resolve("reseeded.jar");
    compile(spec.toString(), reseeded, "--weights", w.toString());
  }

  /** Jars that compute different things are refused before they are timed, unless --allow-differ says that is the point. */
  @Test
  void jarsWhoseOutputsDifferAreRefused() throws Exception {
    BadInputException e = assertThrows(BadInputException.class, () -> CompareJars.run(new String[] {a.toString(), reseeded.toString(),
        "--runs", "1", "--threads", "1"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals(reseeded + " and " + a + " give outputs further apart than 1e-4 of the largest: they compute different things"
        + " (--allow-differ times them anyway)", e.getMessage());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertEquals(0, CompareJars.run(new String[] {a.toString(), reseeded.toString(), "--runs", "1", "--threads", "1", "--allow-differ"},
        new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("reseeded.jar / a.jar, call by call: median "), bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void ownRuntimeRunsEachJarOnTheRuntimeItCarries() {
    CompareJars.Model own = CompareJars.OwnRuntime.load(a, 1), shared = new CompareJars.SharedRuntime(CompiledModel.load(b, 1));
    // the jar's own copy of the runtime: a CompiledModel class that is not this JVM's
    Class<?> ownType = ((CompareJars.OwnRuntime) own).modelClass();
    assertEquals(CompiledModel.class.getName(), ownType.getSuperclass().getName());
    assertNotSame(CompiledModel.class, ownType.getSuperclass());
    assertSame(CompiledModel.class.getClassLoader(), ((CompareJars.SharedRuntime) shared).m().getClass().getSuperclass().getClassLoader());
    // and the same network computes the same values on either
    int[] s = own.inputShape();
    float[] x = new float[s[0] * s[1] * s[2]];
    for (int i = 0; i < x.length; i++) x[i] = (i % 13) / 13f;
    float[] y1 = new float[own.outputSize()], y2 = new float[shared.outputSize()];
    own.predict(x, 1, y1);
    shared.predict(x, 1, y2);
    assertArrayEquals(y2, y1); // the same bits
    assertTrue(own.stepNames().size() > 5, "step names: " + own.stepNames());
  }

  @Test
  void theCommandPairsTheJarsAndSaysHowFarTheirOutputsAre() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status = CompareJars.run(new String[] {a.toString(), b.toString(), "--own-runtime", "--runs", "3", "--threads", "2"},
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, out);
    assertTrue(out.contains("b.jar: max |output - a.jar's| = 0.00 (0.0 of max |output| "), out);
    assertTrue(out.contains(", input 1 of 2\n") && out.contains(", input 2 of 2\n"), "each input's agreement, named: " + out);
    assertTrue(out.contains("b.jar / a.jar, call by call: median "), out);
    // two pools, each spinning after its calls: every call waits until the process is idle
    assertTrue(out.startsWith("--own-runtime, 2 threads: each call waits until this process has used no CPU for 100 ms"), out);
    assertTrue(out.contains("(3 runs, batch 1, 2 threads, idle before each call)"), out);
  }

  /**
   * --runs, --gap-ms and --batch are bounded before anything is timed: two billion runs ran out of memory
   * for the arrays of times, a gap of two billion ms slept 23 days a call, and a batch past one array's
   * floats was "tensor too large", naming no option.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120) // unbounded, --gap-ms slept 23 days a call
  void optionsPastTheirBoundsAreRefusedNamingTheOption() {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    // jars that are not there: refused before any jar is read, or (without the bounds) failing fast on the missing jar
    Cli.UsageException e = assertThrows(Cli.UsageException.class, () -> CompareJars.run(new String[] {"no/such.jar", "--runs", "100001"}, quiet));
    assertEquals("--runs 100001: expected a whole number from 1 to 100000", e.getMessage());
    e = assertThrows(Cli.UsageException.class, () -> CompareJars.run(new String[] {"no/such.jar", "--gap-ms", "2000000000"}, quiet));
    assertEquals("--gap-ms 2000000000: expected a whole number from 0 to 60000", e.getMessage());
    // a batch past one array's floats (699,051 of [3, 32, 32]); since bench's bound, past 1024
    e = assertThrows(Cli.UsageException.class, () -> CompareJars.run(new String[] {a.toString(), b.toString(), "--batch", "699051"}, quiet));
    assertEquals("--batch 699051: expected a whole number from 1 to 1024", e.getMessage());
    // each option named on its own: "--runs, --threads and --batch must be positive, --gap-ms not negative" said which in none
    e = assertThrows(Cli.UsageException.class, () -> CompareJars.run(new String[] {"no/such.jar", "--runs", "0"}, quiet));
    assertEquals("--runs 0: expected a whole number from 1 to 100000", e.getMessage());
    e = assertThrows(Cli.UsageException.class, () -> CompareJars.run(new String[] {"no/such.jar", "--gap-ms", "-1"}, quiet));
    assertEquals("--gap-ms -1: expected a whole number from 0 to 60000", e.getMessage());
  }

  /** Each jar goes first with each of the two inputs in turn, for two jars and three (the first jar and input of round r). */
  @Test
  void eachJarGoesFirstWithEachInput() {
    for (int jars : new int[] {2, 3}) {
      java.util.Set<String> firstWith = new java.util.HashSet<>();
      for (int r = 0; r < 2 * jars; r++) firstWith.add(r % jars + "/" + CompareJars.inputOf(r, jars));
      assertEquals(2 * jars, firstWith.size(), jars + " jars: " + firstWith);
    }
  }

  /** --steps whose REGEX matches no step of a jar timed nothing ("median 0.000 ms", a NaN ratio): refused, naming the jar and its steps. */
  @Test
  void stepsThatMatchNoStepAreRefused() {
    String was = System.getProperty("netc.profile");
    System.setProperty("netc.profile", "true");
    try {
      BadInputException e = assertThrows(BadInputException.class, () -> CompareJars.run(new String[] {a.toString(), b.toString(), "--runs", "1",
          "--threads", "1", "--steps", "^layer4\\.0"}, new PrintStream(new ByteArrayOutputStream())));
      assertTrue(e.getMessage().startsWith("--steps ^layer4\\.0: no step of " + a + " matches (its steps: "), e.getMessage());
    } finally {
      if (was == null) System.clearProperty("netc.profile");
      else System.setProperty("netc.profile", was);
    }
  }

  @Test
  void aThinJarOrAnotherNetworkIsRefusedWithItsName() throws Exception {
    BadInputException e = assertThrows(BadInputException.class,
        () -> CompareJars.run(new String[] {a.toString(), thin.toString(), "--own-runtime"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals(thin + ": carries no netc runtime (compiled with --thin?): --own-runtime needs self-contained jars", e.getMessage());
    Path garbage = dir.resolve("garbage.jar");
    Files.writeString(garbage, "not a zip");
    e = assertThrows(BadInputException.class,
        () -> CompareJars.run(new String[] {a.toString(), garbage.toString(), "--own-runtime"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals(garbage + ": not a jar (it does not begin as a zip file does): give a model jar that netc compile wrote", e.getMessage());
    // on the shared runtime the loader's message names the file already: once, not "garbage.jar: garbage.jar: ..."
    e = assertThrows(BadInputException.class,
        () -> CompareJars.run(new String[] {a.toString(), garbage.toString()}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals(garbage + ": not a jar (it does not begin as a zip file does): give a model jar that netc compile wrote", e.getMessage());
    e = assertThrows(BadInputException.class,
        () -> CompareJars.run(new String[] {a.toString(), other.toString()}, new PrintStream(new ByteArrayOutputStream())));
    assertTrue(e.getMessage().startsWith(other + ": takes [3, 32, 32] and gives 10 values, where " + a + " takes [3, 32, 32] and gives "), e.getMessage());
    assertTrue(e.getMessage().endsWith(": not the same network"), e.getMessage());
  }

  /**
   * The step finder's measure: a step that allocates in every pass is named with what it allocates, most
   * first; one that allocates in a single pass (a one-off) is not blamed, nor are those under the threshold.
   */
  @Test
  void allocatingStepsNamesTheStepsThatAllocateEveryPass() throws Exception {
    int[] calls = new int[4];
    java.util.List<Object> keep = new java.util.ArrayList<>();
    java.util.List<String> found = StepProbe.allocatingSteps(java.util.List.of("quiet", "boxing", "once", "little"), s -> {
      int call = calls[s]++;
      if (s == 1) keep.add(new byte[64 * 1024]);
      if (s == 2 && call == 2) keep.add(new byte[256 * 1024]); // the third pass only
      if (s == 3) keep.add(new byte[100]);
    }, 1024);
    assertEquals(java.util.List.of("boxing 64.0 KB"), found); // 64 KB and the array's header
    assertTrue(keep.size() > 4);
  }

  /**
   * The bench's step finder on a real model: on one warm enough that a forward pass allocates nothing,
   * no step is named (its reflective calls stay under the threshold).
   */
  @Test
  void allocatingStepsNamesNoneOnAWarmModel() throws Exception {
    try (CompiledModel m = CompiledModel.load(a, 1)) {
      int[] s = m.inputShape();
      float[] x = new float[s[0] * s[1] * s[2]], y = new float[m.outputSize()];
      for (int i = 0; i < x.length; i++) x[i] = (i % 11) / 11f;
      var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
      long self = Thread.currentThread().getId(), allocated = Long.MAX_VALUE, deadline = System.nanoTime() + 60_000_000_000L;
      while (allocated > 0 && System.nanoTime() < deadline) { // until C2 has compiled the kernels
        long before = mx.getThreadAllocatedBytes(self);
        m.predict(x, 1, y);
        allocated = mx.getThreadAllocatedBytes(self) - before;
      }
      assertEquals(0, allocated, "the forward pass never stopped allocating");
      assertEquals(java.util.List.of(), StepProbe.allocatingSteps(m, x, 1024));
    }
  }

  /**
   * The timed calls take two inputs in turn: a jar that answers every call with its first call's outputs (as a step
   * skipped over a workspace left from the call before would) is refused against one that reads its input, where
   * with one input both gave the same numbers.
   */
  @Test
  void aJarThatKeepsAnsweringItsFirstCallIsRefused() throws Exception {
    BadInputException e = assertThrows(BadInputException.class, () -> time(false, echoing(false), echoing(true)));
    assertEquals("m1.jar and m0.jar give outputs further apart than 1e-4 of the largest: they compute different things (--allow-differ times"
        + " them anyway)", e.getMessage());
    assertEquals(0, time(false, echoing(false), echoing(false)));
  }

  /** A stand-in for a compiled jar: [1, 2, 2] in, 3 out, no steps; the tests give predict. */
  private abstract static class ThreeOutputs implements CompareJars.Model {
    @Override
    public int[] inputShape() {
      return new int[] {1, 2, 2};
    }

    @Override
    public int outputSize() {
      return 3;
    }

    @Override
    public long[] profile() {
      return new long[0];
    }

    @Override
    public java.util.List<String> stepNames() {
      return java.util.List.of();
    }
  }

  /** A model whose 3 outputs are its first 3 inputs; {@code stale}: those of its first call, whatever the input since. */
  private static CompareJars.Model echoing(boolean stale) {
    return new ThreeOutputs() {
      float[] first;

      @Override
      public void predict(float[] input, int batch, float[] output) {
        if (first == null || !stale) first = java.util.Arrays.copyOf(input, 3);
        System.arraycopy(first, 0, output, 0, 3);
      }
    };
  }

  /** A model of 3 outputs (1, 2, 3) that writes them in its first {@code writes} calls only, then nothing. */
  private static CompareJars.Model writing(int writes) {
    return new ThreeOutputs() {
      int calls;

      @Override
      public void predict(float[] input, int batch, float[] output) {
        if (calls++ < writes) for (int i = 0; i < 3; i++) output[i] = i + 1;
      }
    };
  }

  private static int time(boolean allowDiffer, CompareJars.Model... models) throws InterruptedException {
    java.util.List<Path> names = new java.util.ArrayList<>();
    for (int k = 0; k < models.length; k++) names.add(Path.of("m" + k + ".jar"));
    // five warm-up rounds (no warm-up time), three timed
    return CompareJars.time(names, java.util.List.of(models), new CompareJars.Timing(1, 3, 1, 0, false, null, allowDiffer, 0),
        new PrintStream(new ByteArrayOutputStream()));
  }

  /**
   * A model that stops writing its output is refused, not timed on an earlier call's values: each call's
   * output is filled with NaN first, and the warm-up's last round and every timed call are checked.
   */
  @Test
  void aModelThatLeavesItsOutputUnwrittenIsRefused() throws Exception {
    assertEquals(0, time(false, writing(Integer.MAX_VALUE), writing(Integer.MAX_VALUE)));
    // writes in its first call only: the warm-up's last round finds it unwritten
    BadInputException e = assertThrows(BadInputException.class, () -> time(false, writing(Integer.MAX_VALUE), writing(1)));
    assertEquals("m1.jar and m0.jar give outputs further apart than 1e-4 of the largest: they compute different things (--allow-differ times"
        + " them anyway)", e.getMessage());
    // writes through the five warm-up rounds and the two that take each input's outputs, then nothing: the first timed call is refused
    e = assertThrows(BadInputException.class, () -> time(false, writing(Integer.MAX_VALUE), writing(7)));
    assertEquals("m1.jar: timed call 1 gave outputs further than 1e-4 of the largest from its warm-up's (a value left unwritten, or a"
        + " result that changes from call to call): not timing it", e.getMessage());
    // alone, or with --allow-differ, a jar must still agree with itself
    e = assertThrows(BadInputException.class, () -> time(true, writing(7)));
    assertTrue(e.getMessage().startsWith("m0.jar: timed call 1 gave outputs further than 1e-4"), e.getMessage());
    // and every timed call is checked, not only the first
    e = assertThrows(BadInputException.class, () -> time(true, writing(Integer.MAX_VALUE), writing(8)));
    assertTrue(e.getMessage().startsWith("m1.jar: timed call 2 gave outputs further than 1e-4"), e.getMessage());
  }

  /** --own-runtime with a gap shorter than the pools' spin: the gap does not keep the calls apart, and the command says so. */
  @Test
  void aGapShorterThanThePoolsSpinIsWarnedOf() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertEquals(0, CompareJars.run(new String[] {a.toString(), b.toString(), "--own-runtime", "--runs", "1", "--threads", "2", "--gap-ms", "50"},
        new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("warning: --gap-ms 50 is shorter than the 200 ms each runtime's pool spins after a call: a call may start beside"
        + " another jar's spinning workers (without --gap-ms, each call waits until the process is idle)\n"), out);
  }
}
