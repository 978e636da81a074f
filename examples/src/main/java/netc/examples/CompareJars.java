package netc.examples;

import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B] [--steps REGEX]}:
 * compiled models alternated call by call in one JVM (each round starting with the next jar),
 * medians and minima, and each jar's calls paired with the first jar's. This machine's speed drifts,
 * so a compiler change is judged by alternating its jar with the old one, not by runs minutes apart.
 * With {@code --steps} (and -Dnetc.profile=true) the same for the summed time of the steps whose
 * names match: a change to a few layers, measured where whole calls drown it in noise.
 *
 * <p>By default every jar runs on this command's own runtime (its class loader asks the runtime's
 * first), which judges a change to the generated code. {@code --own-runtime} gives each jar a class
 * loader of its own above the JDK alone, so each runs the runtime it carries: the A/B of a change to
 * the kernels, with jars compiled before and after it.
 */
public final class CompareJars {
  private CompareJars() {}

  static final String USAGE = "netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B] [--steps REGEX] [--own-runtime] [--allow-differ]";

  public static void main(String[] args) {
    Cli.main("compare", args, CompareJars::run);
  }

  static Options options() {
    return new Options()
        .addOption(Cli.opt("gap-ms", "N", "sleep N ms before each timed call (default 0; with --own-runtime and several"
            + " threads, until the process is idle; at most " + MAX_GAP_MS + ")"))
        .addOption(Cli.opt("runs", "N", "timed calls of each jar (default 25; at most " + Bench.MAX_RUNS + ")"))
        .addOption(Cli.opt("threads", "T", "threads of each model (default 2)"))
        .addOption(Cli.opt("batch", "B", "images per call (default 1; at most " + Bench.MAX_BATCH + ")"))
        .addOption(Cli.opt("steps", "REGEX", "also the summed time of the steps whose names match REGEX in each call, paired "
            + "likewise (the JVM needs -Dnetc.profile=true: NETC_JAVA_OPTS=-Dnetc.profile=true ./netc compare ...)"))
        .addOption(Cli.flag("own-runtime", "run each jar on the runtime it carries (a class loader of its own), not on this command's:"
            + " A/B of a kernel change, with jars compiled before and after it (not --thin jars; each has its own thread pool,"
            + " so with several threads each call waits for the others' to go idle)"))
        .addOption(Cli.flag("allow-differ", "time jars whose outputs differ by more than 1e-4 of the largest |output| (default: refused,"
            + " as they compute different things)"));
  }

  /**
   * Each jar's last outputs against the first jar's: printed when {@code print} (the line naming {@code which}
   * input where not null), and refused when further apart than 1e-4 of the largest |output| (or NaN: a value a call
   * left unwritten) unless {@code allowDiffer}.
   */
  private static void checkOutputs(List<Path> jars, float[][] y, boolean allowDiffer, PrintStream out, boolean print, String which) {
    for (int k = 1; k < y.length; k++) {
      double[] d = Bench.difference(y[k], y[0]);
      double diff = d[0], scale = d[1];
      if (print) {
        out.printf("%s: max |output - %s's| = %.3g%s%s%n", jars.get(k).getFileName(), jars.get(0).getFileName(), diff,
            scale > 0 ? String.format(" (%.2g of max |output| %.3g)", diff / scale, scale) : " (every output of the first is 0)",
            which == null ? "" : ", " + which);
      }
      if (!Bench.agrees(d) && !allowDiffer) {
        throw new BadInputException(jars.get(k) + " and " + jars.get(0) + " give outputs further apart than 1e-4 of the largest"
            + (print ? "" : " in the timed calls") + ": they compute different things (--allow-differ times them anyway)");
      }
    }
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "compiled models alternated call by call in one JVM, medians and minima: A/B of a compiler change.",
        options(), null, args, out);
    if (cl == null) return 0;
    // bounded as bench bounds them: --runs 2000000000 ran out of memory for its arrays of times, --gap-ms 2000000000 slept 23 days a call
    int gapMs = Cli.intValue(cl, "gap-ms", 0, 0, MAX_GAP_MS), runs = Cli.intValue(cl, "runs", 25, 1, Bench.MAX_RUNS);
    int threads = Cli.threads(cl, "threads", 2), batch = Cli.intValue(cl, "batch", 1, 1, Bench.MAX_BATCH);
    Pattern steps = null;
    if (cl.hasOption("steps")) {
      if (!Boolean.getBoolean("netc.profile")) {
        throw new Cli.UsageException(
            "--steps times steps, which needs the JVM option -Dnetc.profile=true (NETC_JAVA_OPTS=-Dnetc.profile=true ./netc compare ...)");
      }
      try {
        steps = Pattern.compile(cl.getOptionValue("steps"));
      } catch (PatternSyntaxException e) {
        throw new Cli.UsageException("--steps: not a regular expression: " + e.getDescription());
      }
    }
    List<Path> jars = new ArrayList<>();
    for (String a : cl.getArgList()) jars.add(Path.of(a));
    if (jars.isEmpty()) throw new Cli.UsageException("give compiled jars (usage: " + USAGE + ")");
    boolean own = cl.hasOption("own-runtime");
    // each runtime has its own pool, whose workers spin for a while after a call: without a gap they
    // would take cores from the next jar's call, so each call waits until the process is idle
    boolean waitIdle = own && threads > 1 && gapMs == 0;
    if (waitIdle) out.println("--own-runtime, " + threads + " threads: each call waits until this process has used no CPU for "
        + Bench.QUIET_MS + " ms (the other runtimes' pools spin after their calls); --gap-ms N sleeps instead");
    if (own && threads > 1 && gapMs > 0 && gapMs < POOL_SPIN_MS) {
      out.println("warning: --gap-ms " + gapMs + " is shorter than the " + POOL_SPIN_MS + " ms each runtime's pool spins after a call: a call"
          + " may start beside another jar's spinning workers (without --gap-ms, each call waits until the process is idle)");
    }
    List<Model> models = new ArrayList<>();
    for (Path jar : jars) {
      netc.runtime.io.RegularFile.require(jar, "cannot read ");
      try {
        models.add(own ? OwnRuntime.load(jar, threads) : new SharedRuntime(CompiledModel.load(jar, threads)));
      } catch (BadInputException e) {
        throw BadInputException.naming(jar, e);
      }
    }
    int[] s = models.get(0).inputShape();
    // before the batch's arrays are made: past one array's floats it was "tensor too large", naming no option
    long perImage = (long) s[0] * s[1] * s[2], perBatch = Math.max(perImage, models.get(0).outputSize());
    if (batch * perBatch > MAX_ARRAY) {
      throw new Cli.UsageException("--batch " + batch + ": a batch takes " + batch * perBatch + " floats in one array, more than the " + MAX_ARRAY
          + " a Java array holds; batches of " + MAX_ARRAY / perBatch + " at most");
    }
    if (steps != null) {
      // a REGEX that matches no step's name timed nothing: "median 0.000 ms" and a NaN ratio, exit 0
      for (int k = 0; k < models.size(); k++) {
        Pattern p = steps;
        if (models.get(k).stepNames().stream().noneMatch(name -> p.matcher(name).find())) {
          throw new BadInputException("--steps " + steps + ": no step of " + jars.get(k) + " matches (its steps: "
              + String.join(", ", models.get(k).stepNames().subList(0, Math.min(12, models.get(k).stepNames().size())))
              + (models.get(k).stepNames().size() > 12 ? ", ..." : "") + "; netc profile lists them all)");
        }
      }
    }
    for (int k = 1; k < models.size(); k++) {
      if (!Arrays.equals(models.get(k).inputShape(), s) || models.get(k).outputSize() != models.get(0).outputSize()) {
        throw new BadInputException(jars.get(k) + ": takes " + Arrays.toString(models.get(k).inputShape()) + " and gives " + models.get(k).outputSize()
            + " values, where " + jars.get(0) + " takes " + Arrays.toString(s) + " and gives " + models.get(0).outputSize() + ": not the same network");
      }
    }
    return time(jars, models, new Timing(batch, runs, threads, gapMs, waitIdle, steps, cl.hasOption("allow-differ"), 10_000_000_000L), out);
  }

  /**
   * The input (0 or 1) of round {@code round} of {@code jars} jars: it changes every {@code jars} rounds, so each jar
   * goes first (round r starts with jar r mod jars) with each input in turn; taken as r mod 2, with two jars the jar
   * that went first always had the same input.
   */
  static int inputOf(int round, int jars) {
    return (round / jars) % 2;
  }

  /**
   * How {@link #time} runs the jars: {@code warmupNanos} of warm-up after five rounds at least (tests
   * give 0), the rest as the options.
   */
  record Timing(int batch, int runs, int threads, int gapMs, boolean waitIdle, Pattern steps, boolean allowDiffer, long warmupNanos) {}

  /**
   * Warms the models up, checks their outputs, times them call by call and prints the figures. Every
   * call's output array is filled with NaN before it, so a value a call leaves unwritten fails a check
   * rather than pass on an earlier call's: each timed call's output is checked against the same jar's
   * warm-up output (always, as a jar must agree with itself), and each round's against the first jar's.
   */
  static int time(List<Path> jars, List<Model> models, Timing o, PrintStream out) throws InterruptedException {
    int batch = o.batch(), runs = o.runs(), n = models.size();
    int[] s = models.get(0).inputShape();
    // two inputs, taken in turn: with one, a call that left a workspace's earlier values in place (a skipped step,
    // a race) would still give the right answer, that of the call before on the same input
    float[][] xs = {Tensor.uniform(1, batch, s[0], s[1], s[2]).data(), Tensor.uniform(2, batch, s[0], s[1], s[2]).data()};
    float[][] y = new float[n][batch * models.get(0).outputSize()];
    long warmEnd = System.nanoTime() + o.warmupNanos();
    for (int i = 0; i < 5 || System.nanoTime() < warmEnd; i++) {
      for (int k = 0; k < n; k++) {
        Arrays.fill(y[k], Float.NaN);
        models.get(k).predict(xs[i % 2], batch, y[k]);
      }
    }
    float[][][] warm = new float[2][n][]; // each jar's warm outputs of each input
    for (int input = 0; input < 2; input++) {
      for (int k = 0; k < n; k++) {
        Arrays.fill(y[k], Float.NaN);
        models.get(k).predict(xs[input], batch, y[k]);
        warm[input][k] = y[k].clone();
      }
      checkOutputs(jars, y, o.allowDiffer(), out, true, "input " + (input + 1) + " of 2"); // said for each input
    }
    double[][] t = new double[n][runs], st = new double[n][runs];
    Pattern steps = o.steps();
    for (Model m : models) m.profile(); // the warm-up's step times dropped
    for (int r = 0; r < runs; r++) {
      int input = inputOf(r, n);
      for (int j = 0; j < n; j++) {
        int k = (r + j) % n; // each jar goes first in turn
        Arrays.fill(y[k], Float.NaN); // outside the timing, before the gap
        if (o.gapMs() > 0) Thread.sleep(o.gapMs());
        else if (o.waitIdle()) Bench.quiet();
        long a = System.nanoTime();
        models.get(k).predict(xs[input], batch, y[k]);
        t[k][r] = (System.nanoTime() - a) / 1e6;
        if (steps != null) st[k][r] = matching(models.get(k), steps) / 1e6;
        if (!Bench.agrees(Bench.difference(y[k], warm[input][k]))) {
          throw new BadInputException(jars.get(k) + ": timed call " + (r + 1) + " gave outputs further than 1e-4 of the largest from its"
              + " warm-up's (a value left unwritten, or a result that changes from call to call): not timing it");
        }
      }
      checkOutputs(jars, y, o.allowDiffer(), out, false, null); // every round's outputs, not only the warm-up's
    }
    int threads = o.threads(), gapMs = o.gapMs();
    for (int k = 0; k < n; k++) {
      double[] v = t[k].clone();
      Arrays.sort(v);
      out.printf("%-40s median %7.1f ms  min %7.1f ms  (%d runs, batch %d, %d thread%s, %s)%n",
          jars.get(k), Bench.median(v), v[0], runs, batch, threads, threads == 1 ? "" : "s", o.waitIdle() ? "idle before each call" : "gap " + gapMs + " ms");
      if (steps != null) {
        double[] sums = st[k].clone();
        Arrays.sort(sums);
        out.printf("%-40s   steps /%s/: median %.3f ms, middle half %.3f-%.3f%n", "", steps.pattern(), Bench.quantile(sums, 0.5),
            Bench.quantile(sums, 0.25), Bench.quantile(sums, 0.75));
      }
    }
    for (int k = 1; k < n; k++) {
      out.println(jars.get(k).getFileName() + " / " + jars.get(0).getFileName() + ", call by call: " + pairedRatios(t[k], t[0])
          + (steps == null ? "" : "; steps: " + pairedRatios(st[k], st[0])));
    }
    return 0;
  }

  /**
   * How long a runtime's pool workers spin after a call before they park (every runtime reads the same
   * property): a shorter --gap-ms with --own-runtime starts calls beside them.
   */
  static final long POOL_SPIN_MS = netc.runtime.ThreadPool.spinNanos() / 1_000_000;

  /** The longest --gap-ms: a minute between calls. */
  static final int MAX_GAP_MS = 60_000;

  private static final int MAX_ARRAY = netc.runtime.LargeArrays.MAX_ARRAY;

  /** What the comparison calls of a compiled model, whichever runtime's class it is. */
  interface Model {
    int[] inputShape();

    int outputSize();

    void predict(float[] input, int batch, float[] output);

    long[] profile();

    List<String> stepNames();
  }

  /** A model on this command's runtime. */
  record SharedRuntime(CompiledModel m) implements Model {
    @Override
    public int[] inputShape() {
      return m.inputShape();
    }

    @Override
    public int outputSize() {
      return m.outputSize();
    }

    @Override
    public void predict(float[] input, int batch, float[] output) {
      m.predict(input, batch, output);
    }

    @Override
    public long[] profile() {
      return m.profile();
    }

    @Override
    public List<String> stepNames() {
      return m.stepNames();
    }
  }

  /**
   * A model on the runtime its jar carries: a class loader over the jar whose parent is the JDK's
   * platform loader, so netc.runtime is the jar's own copy, called through method handles (a few
   * hundred nanoseconds a call, against milliseconds of forward pass).
   */
  static final class OwnRuntime implements Model {
    private final Object model;
    private final MethodHandle predict, profile;
    private final int[] inputShape;
    private final int outputSize;
    private final List<String> stepNames;

    private OwnRuntime(Object model, Class<?> type) throws Throwable {
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      this.model = model;
      this.predict = lookup.findVirtual(type, "predict", MethodType.methodType(void.class, float[].class, int.class, float[].class)).bindTo(model);
      this.profile = lookup.findVirtual(type, "profile", MethodType.methodType(long[].class)).bindTo(model);
      this.inputShape = (int[]) lookup.findVirtual(type, "inputShape", MethodType.methodType(int[].class)).invoke(model);
      this.outputSize = (int) lookup.findVirtual(type, "outputSize", MethodType.methodType(int.class)).invoke(model);
      @SuppressWarnings("unchecked")
      List<String> names = (List<String>) lookup.findVirtual(type, "stepNames", MethodType.methodType(List.class)).invoke(model);
      this.stepNames = names;
    }

    static Model load(Path jar, int threads) {
      try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
        if (file.getEntry(CompiledModel.class.getName().replace('.', '/') + ".class") == null) {
          throw new BadInputException("carries no netc runtime (compiled with --thin?): --own-runtime needs self-contained jars");
        }
      } catch (java.io.IOException e) {
        throw new BadInputException(e instanceof java.util.zip.ZipException z ? netc.runtime.io.Zips.notOpened(jar, z)
            : "cannot read it: " + netc.runtime.io.FileOutput.reason(e));
      }
      URLClassLoader loader = null;
      try {
        loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> type = loader.loadClass(CompiledModel.class.getName());
        Object model;
        try {
          model = type.getMethod("load", ClassLoader.class, int.class).invoke(null, loader, threads);
        } catch (java.lang.reflect.InvocationTargetException e) {
          Throwable cause = e.getCause();
          // the jar's own BadInputException is another class than ours: known by its name
          boolean bad = cause.getClass().getName().equals(BadInputException.class.getName()) && cause.getMessage() != null;
          throw new BadInputException(bad ? cause.getMessage() : "cannot load it on its own runtime: " + cause);
        }
        return new OwnRuntime(model, type);
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable e) {
        if (loader != null) {
          try {
            loader.close();
          } catch (java.io.IOException ignored) {
            // the error below is the one to report
          }
        }
        if (e instanceof BadInputException b) throw b;
        throw new BadInputException("cannot load it on its own runtime: " + e);
      }
    }

    @Override
    public int[] inputShape() {
      return inputShape.clone();
    }

    @Override
    public int outputSize() {
      return outputSize;
    }

    @Override
    public void predict(float[] input, int batch, float[] output) {
      try {
        predict.invokeExact(input, batch, output);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public long[] profile() {
      try {
        return (long[]) profile.invokeExact();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public List<String> stepNames() {
      return stepNames;
    }

    /** The model's generated class, of the jar's own class loader. */
    Class<?> modelClass() {
      return model.getClass();
    }
  }

  /** The nanoseconds of the steps whose names match, in the calls since the last (CompiledModel.profile() resets them). */
  static long matching(Model m, Pattern steps) {
    long[] ns = m.profile();
    List<String> names = m.stepNames();
    long sum = 0;
    for (int i = 0; i < ns.length && i < names.size(); i++) if (steps.matcher(names.get(i)).find()) sum += ns[i];
    return sum;
  }

  /** The median and middle half of b[i] / a[i]. */
  static String pairedRatios(double[] b, double[] a) {
    double[] q = new double[a.length];
    for (int i = 0; i < q.length; i++) q[i] = b[i] / a[i];
    Arrays.sort(q);
    return String.format("median %.3f, middle half %.3f-%.3f", Bench.quantile(q, 0.5), Bench.quantile(q, 0.25), Bench.quantile(q, 0.75));
  }
}
