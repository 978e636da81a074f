package netc.examples;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.runtime.ThreadPool;
import netc.runtime.Workspace;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * Where a step's time goes inside the network: runs one step of a compiled model on its own, on one
 * thread, repeatedly, warm, then with a cache sweep before each call: a small one (empties L2,
 * leaves L3) and a large one (empties L3 too). Set beside {@code netc profile}, it says whether a
 * step is slower inside the network because its data comes from L3 or from memory. A diagnostic:
 * it reaches the generated {@code runStep} by reflection.
 * <pre>./netc step-probe MODEL.jar STEP[,STEP...] [--small-mb 6] [--large-mb MB] [--before K]</pre>
 * With {@code --before K}, also the step's time when the K steps before it in the network run
 * before each call: which predecessors make it slow (a step with fewer before it shows how many ran).
 * <pre>./netc step-probe MODEL.jar [STEP,...] --pool T [--runs 40]</pre>
 * With {@code --pool T}, every step in the network's order instead, each run on the caller alone and
 * through the pool of T threads, the two alternated run by run: each step's median and mean, and
 * their sums. A step whose mean lies far above its median stalls now and then (a worker the system
 * descheduled); one whose pooled median is near its median alone does not share well.
 */
final class StepProbe {
  private StepProbe() {}

  private static float sink;

  static final String USAGE = "netc step-probe MODEL.jar STEP[,STEP...] [--small-mb 6] [--large-mb MB] [--before K] | "
      + "MODEL.jar [STEP,...] --pool T [--runs 40]";

  public static void main(String[] args) {
    Cli.main("step-probe", args, StepProbe::run);
  }

  /**
   * The largest sweep, one float array: 2 GiB, well past any L3, within a default heap on a machine of
   * 8 GiB or more; from 8 GiB on, its length (MB << 18) would overflow an int.
   */
  static final int MAX_SWEEP_MB = 2048;

  /** The large sweep's floor: the L3 of the hosts seen so far were up to 32 MiB a CCD, and 260 MiB on one Xeon. */
  static final int MIN_LARGE_MB = 256;

  /**
   * The large sweep by default: twice this CPU's L3 as Linux reports it (cpu0's index3), at least
   * {@link #MIN_LARGE_MB}, so "empties L3 too" holds on a host with a large one (an Emerald Rapids Xeon
   * reported 260 MiB, which a fixed 256 MB did not empty).
   */
  static int defaultLargeMb() {
    try {
      return defaultLargeMb(java.nio.file.Files.readString(Path.of("/sys/devices/system/cpu/cpu0/cache/index3/size")));
    } catch (java.io.IOException | RuntimeException e) {
      return MIN_LARGE_MB; // no such file (another OS, no L3): the floor
    }
  }

  /** {@link #defaultLargeMb()} of the L3 size as sysfs writes it; text that is not a cache size gives the floor. */
  static int defaultLargeMb(String l3Size) {
    try {
      return (int) Math.min(MAX_SWEEP_MB, Math.max(MIN_LARGE_MB, 2L * megabytes(l3Size))); // long: twice a size past 1 GiB is past an int
    } catch (RuntimeException e) {
      return MIN_LARGE_MB;
    }
  }

  /** A cache size as sysfs writes it ("32768K", "260M"), in whole MB rounded up, at most Integer.MAX_VALUE. */
  static int megabytes(String size) {
    String s = size.strip();
    long v = Long.parseLong(s.substring(0, s.length() - 1));
    if (v < 0) throw new IllegalArgumentException("not a cache size: " + size);
    long mb = switch (Character.toUpperCase(s.charAt(s.length() - 1))) {
      case 'K' -> v / 1024 + (v % 1024 == 0 ? 0 : 1); // not (v + 1023) / 1024, which wraps near Long.MAX_VALUE
      case 'M' -> v;
      case 'G' -> v > Long.MAX_VALUE / 1024 ? Long.MAX_VALUE : v * 1024;
      default -> throw new IllegalArgumentException("not a cache size: " + size);
    };
    return (int) Math.min(Integer.MAX_VALUE, mb);
  }

  static Options options() {
    return new Options()
        .addOption(Cli.opt("small-mb", "MB", "the small cache sweep before each call, empties L2 (default 6)"))
        .addOption(Cli.opt("large-mb", "MB", "the large cache sweep before each call, empties L3 too (default twice this CPU's L3, at least "
            + MIN_LARGE_MB + ": " + defaultLargeMb() + " here)"))
        .addOption(Cli.opt("before", "K", "also time the step after the K steps before it in the network (default 0: not)"))
        .addOption(Cli.opt("pool", "T", "instead: every step in order, alone and through the pool of T threads, alternated"))
        .addOption(Cli.opt("runs", "N", "with --pool: runs of the network each way (default 40)"));
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "single steps of a compiled model on one thread: warm, and after cache sweeps (step names: netc profile); "
        + "with --pool, every step alone and through the thread pool.",
        options(), null, args, out);
    if (cl == null) return 0;
    List<String> rest = cl.getArgList();
    // --runs bounded as bench's: a billion ran out of memory for its arrays of times, 100001 ran for minutes
    int pool = cl.hasOption("pool") ? Cli.threads("--pool", cl.getOptionValue("pool"), 2) : 0, runs = Cli.intValue(cl, "runs", 40, 1, Bench.MAX_RUNS);
    if (rest.size() > 2) {
      throw new Cli.UsageException("takes a compiled jar and one list of step names, comma-separated; got " + rest.size() + " arguments (usage: "
          + USAGE + ")");
    }
    if (rest.size() != 2 && !(pool > 0 && rest.size() == 1)) {
      throw new Cli.UsageException("expects a compiled jar and step names (usage: " + USAGE + ")");
    }
    Path jar = Path.of(rest.get(0));
    // a list with an empty name (",", "conv1,") timed nothing, or fewer steps than asked, without a word
    if (rest.size() == 2 && java.util.Arrays.asList(rest.get(1).split(",", -1)).contains("")) {
      throw new Cli.UsageException("an empty step name in '" + rest.get(1) + "': give names separated by single commas (netc profile lists them)");
    }
    int smallMb = Cli.intValue(cl, "small-mb", 6, 1, MAX_SWEEP_MB), before = Cli.intValue(cl, "before", 0, 0, Integer.MAX_VALUE);
    int largeMb = Cli.intValue(cl, "large-mb", Math.max(smallMb, defaultLargeMb()), 1, MAX_SWEEP_MB);
    if (smallMb > largeMb) {
      throw new Cli.UsageException("--small-mb " + smallMb + (cl.hasOption("small-mb") ? "" : " (the default)") + " is larger than --large-mb "
          + largeMb + ": the small sweep empties L2, the large one L3");
    }
    if (!cl.hasOption("pool") && cl.hasOption("runs")) throw new Cli.UsageException("--runs goes with --pool");
    if (cl.hasOption("pool") && cl.hasOption("before")) throw new Cli.UsageException("--before goes without --pool");
    if (cl.hasOption("pool") && (cl.hasOption("small-mb") || cl.hasOption("large-mb"))) {
      throw new Cli.UsageException("--small-mb and --large-mb size the cache sweeps, which --pool does not run: they go without --pool");
    }
    CompiledModel m = CompiledModel.load(jar, Math.max(1, pool)); // its refusals name the jar
    List<String> names = m.stepNames();
    List<Integer> steps = new ArrayList<>();
    if (rest.size() == 2) {
      for (String name : rest.get(1).split(",")) {
        int s = names.indexOf(name);
        if (s < 0) throw new BadInputException("no step " + name + " in " + jar + " (see netc profile for the names)");
        steps.add(s);
      }
    }
    // a step has at most all the others before it: "after 999 steps" headed a column of 12 steps' times
    if (before > names.size() - 1) {
      throw new Cli.UsageException("--before " + before + ": " + jar + " has " + names.size() + " steps, so at most " + (names.size() - 1)
          + " run before one");
    }
    int[] shape = m.inputShape();
    float[] x = Tensor.uniform(1, 1, shape[0], shape[1], shape[2]).data(), y = new float[m.outputSize()];
    for (int i = 0; i < 30; i++) m.predict(x, 1, y); // compiles the kernels and fills the activations

    Access access = Access.of(m, x);
    Method run = access.run(), items = access.items();
    Workspace ws = access.ws();
    for (int i = 0; i < 3; i++) { // the workspace's activations, as a call leaves them
      for (int s = 0; s < names.size(); s++) run.invoke(m, s, ws, 0, (Integer) items.invoke(m, s));
    }
    if (pool > 0) {
      poolProbe(m, ws, run, items, pool, runs, steps, out);
      return 0;
    }
    float[] small = new float[smallMb << 18], large = new float[largeMb << 18];
    System.out.printf("%-32s %10s %16s %16s%s%n", "step (one thread, median ms)", "warm", "after " + smallMb + " MB", "after " + largeMb + " MB",
        before > 0 ? String.format(" %16s", "after " + before + " steps") : "");
    for (int s : steps) {
      int n = (Integer) items.invoke(m, s);
      double warm = time(run, m, s, ws, n, null, 200), afterSmall = time(run, m, s, ws, n, small, 40), afterLarge = time(run, m, s, ws, n, large, 40);
      // a step near the start has fewer before it: the count that ran is shown with its time
      String ran = s < before ? " (" + s + ")" : "";
      String after = before > 0 ? String.format(" %16s", String.format("%.3f", timeAfterSteps(run, items, m, s, ws, n, before, 40)) + ran) : "";
      System.out.printf("%-32s %10.3f %16.3f %16.3f%s%n", names.get(s), warm, afterSmall, afterLarge, after);
    }
    if (sink == 42) System.out.println();
    return 0;
  }

  /**
   * The steps of {@code m} that allocate when run one after another on this thread over {@code input}
   * (its first image), warm, most first: each step's name and the least it allocated over three passes
   * after a first, for those at or above {@code minBytes}. A step whose kernels run without C2's vector
   * intrinsics boxes its vectors in every pass; a one-off (the reflection machinery building an accessor,
   * a deoptimization) falls in one pass and is not blamed on the step it happened in. The bench asks this
   * when its timed calls allocated, so its warning names the steps.
   */
  static List<String> allocatingSteps(CompiledModel m, float[] input, long minBytes) throws Exception {
    Access access = Access.of(m, input);
    Method run = access.run(), items = access.items();
    Workspace ws = access.ws();
    List<String> names = m.stepNames();
    Object[][] args = new Object[names.size()][];
    for (int s = 0; s < names.size(); s++) args[s] = new Object[] {s, ws, 0, items.invoke(m, s)}; // boxed once, not per call
    try {
      return allocatingSteps(names, s -> run.invoke(m, args[s]), minBytes);
    } finally {
      ws.input = null;
    }
  }

  /**
   * What running steps one by one needs from a model's non-public API: {@code runStep(step, ws, from,
   * to)}, {@code items(step)}, and a workspace of its own, reading {@code input}.
   */
  private record Access(Method run, Method items, Workspace ws) {
    static Access of(CompiledModel m, float[] input) throws ReflectiveOperationException {
      Method run = CompiledModel.class.getDeclaredMethod("runStep", int.class, Workspace.class, int.class, int.class);
      Method items = CompiledModel.class.getDeclaredMethod("items", int.class);
      Field arena = CompiledModel.class.getDeclaredField("arenaFloats");
      Constructor<Workspace> workspace = Workspace.class.getDeclaredConstructor(int.class);
      for (var a : List.of(run, items, arena, workspace)) a.setAccessible(true);
      Workspace ws = workspace.newInstance((Integer) arena.get(m));
      ws.input = input;
      return new Access(run, items, ws);
    }
  }

  /** Runs one step (a test's stand-in for a model's). */
  interface StepRunner {
    void run(int step) throws Exception;
  }

  /** {@link #allocatingSteps(CompiledModel, float[], long)} over any steps: four passes, the least of the last three. */
  static List<String> allocatingSteps(List<String> names, StepRunner runner, long minBytes) throws Exception {
    var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    long[] least = new long[names.size()];
    java.util.Arrays.fill(least, Long.MAX_VALUE);
    for (int pass = 0; pass < 4; pass++) {
      for (int s = 0; s < names.size(); s++) {
        long before = mx.getThreadAllocatedBytes(self);
        runner.run(s);
        long bytes = mx.getThreadAllocatedBytes(self) - before;
        if (pass > 0) least[s] = Math.min(least[s], bytes);
      }
    }
    List<Integer> found = new ArrayList<>();
    for (int s = 0; s < names.size(); s++) if (least[s] >= minBytes) found.add(s);
    found.sort((a, b) -> Long.compare(least[b], least[a]));
    List<String> out = new ArrayList<>();
    for (int s : found) out.add(String.format("%s %.1f KB", names.get(s), least[s] / 1024.0));
    return out;
  }

  /**
   * Every step in order, {@code runs} times on the caller alone and {@code runs} times through the
   * shared pool of {@code threads} (as a call runs its parallel steps), the two alternated network by
   * network; prints each step's (or the chosen steps') medians and means, then the sums over all steps.
   */
  private static void poolProbe(CompiledModel m, Workspace ws, Method run, Method items, int threads, int runs, List<Integer> chosen,
      PrintStream out) throws Exception {
    Method parallel = CompiledModel.class.getDeclaredMethod("parallel", int.class);
    Method pooled = ThreadPool.class.getDeclaredMethod("runStep", CompiledModel.class, int.class, Workspace.class, int.class);
    Field modelsPool = CompiledModel.class.getDeclaredField("pool"); // the pool of `threads` the model was loaded with
    parallel.setAccessible(true);
    pooled.setAccessible(true);
    modelsPool.setAccessible(true);
    ThreadPool pool = (ThreadPool) modelsPool.get(m);
    int n = m.stepNames().size();
    int[] count = new int[n];
    boolean[] shared = new boolean[n];
    for (int s = 0; s < n; s++) {
      count[s] = (Integer) items.invoke(m, s);
      shared[s] = (Boolean) parallel.invoke(m, s);
    }
    double[][] alone = new double[n][runs], together = new double[n][runs];
    for (int r = -3; r < runs; r++) { // three rounds of warm-up
      for (int way = 0; way < 2; way++) {
        boolean viaPool = (way == 0) == (r % 2 == 0); // which way goes first alternates
        if (!viaPool) Bench.quiet(); // the pool's worker spins after a pass: the caller alone must not share a core with it
        for (int s = 0; s < n; s++) {
          long t0 = System.nanoTime();
          if (viaPool && shared[s]) pooled.invoke(pool, m, s, ws, count[s]);
          else run.invoke(m, s, ws, 0, count[s]);
          double us = (System.nanoTime() - t0) / 1e3;
          if (r >= 0) (viaPool ? together : alone)[s][r] = us;
        }
      }
    }
    out.printf("%-44s %6s %8s %8s %8s %8s%n", "step (us; P: shared with the pool)", "items", "alone", "mean", threads + " thr", "mean");
    double[] sums = new double[4];
    for (int s = 0; s < n; s++) {
      double[] row = {Bench.median(alone[s]), mean(alone[s]), Bench.median(together[s]), mean(together[s])};
      for (int i = 0; i < 4; i++) sums[i] += row[i];
      if (chosen.isEmpty() || chosen.contains(s)) {
        out.printf("%-44s %6d %8.1f %8.1f %8.1f %8.1f%n", m.stepNames().get(s) + (shared[s] ? " P" : ""), count[s], row[0], row[1], row[2], row[3]);
      }
    }
    out.printf("all %d steps, summed: alone median %.2f ms, mean %.2f; %d threads median %.2f ms, mean %.2f%n", n, sums[0] / 1e3,
        sums[1] / 1e3, threads, sums[2] / 1e3, sums[3] / 1e3);
  }

  private static double mean(double[] v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / v.length;
  }

  /** Median time of one step over {@code reps} calls, each after the {@code before} steps that precede it in the network. */
  private static double timeAfterSteps(Method run, Method items, CompiledModel m, int step, Workspace ws, int n, int before, int reps) throws Exception {
    double[] t = new double[reps];
    for (int r = 0; r < reps; r++) {
      for (int j = Math.max(0, step - before); j < step; j++) run.invoke(m, j, ws, 0, (Integer) items.invoke(m, j));
      long t0 = System.nanoTime();
      run.invoke(m, step, ws, 0, n);
      t[r] = (System.nanoTime() - t0) / 1e6;
    }
    return Bench.median(t);
  }

  /** Median time of one step over {@code reps} calls, each after reading and writing {@code sweep} (if any). */
  private static double time(Method run, CompiledModel m, int step, Workspace ws, int n, float[] sweep, int reps) throws Exception {
    double[] t = new double[reps];
    for (int i = 0; i < 10; i++) run.invoke(m, step, ws, 0, n);
    for (int r = 0; r < reps; r++) {
      if (sweep != null) {
        float sum = 0;
        for (int j = 0; j < sweep.length; j += 16) {
          sum += sweep[j];
          sweep[j] = sum * 1e-30f;
        }
        sink += sum;
      }
      long t0 = System.nanoTime();
      run.invoke(m, step, ws, 0, n);
      t[r] = (System.nanoTime() - t0) / 1e6;
    }
    return Bench.median(t);
  }
}
