package netc.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code netc profile MODEL.jar}: where a compiled model's time goes, step by step, named after the
 * spec layers, with the rate of each step that multiplies (its multiply-adds as the network counts
 * them, two FLOPs each, over its time). Needs -Dnetc.profile=true in the JVM (the launcher's
 * NETC_JAVA_OPTS), which this command checks for, so that ordinary runs pay nothing for the timing.
 * A step's time is the caller's wall time around it, except where each thread runs whole images (a
 * batch of at least the threads): then it is thread time, summed over the threads. A last line gives
 * the time outside the steps, so that the steps' shares and it make 100%. Public for {@link #middleHalf},
 * which {@code netc ort-profile} (netc-examples) takes too, so that the two profiles' figures compare.
 */
public final class ProfileCommand implements Main.Command {
  private static final String USAGE = "NETC_JAVA_OPTS=-Dnetc.profile=true netc profile MODEL.jar [--threads N] [--runs N] [--batch B]"
      + " [--warmup-seconds S]";

  /** Bounds on --runs and --batch: well past any useful profile, short of a typo that runs for days or fills the heap. */
  static final int MAX_RUNS = netc.runtime.CommandLineArgs.MAX_RUNS, MAX_BATCH = netc.runtime.CommandLineArgs.MAX_BATCH;

  /**
   * Warm-up before the timed runs, at least: loading a model can leave the JIT deoptimizing and
   * recompiling the kernels for several seconds (netc bench warms up 10 s for the same reason), and
   * ten calls of a large network take about one.
   */
  static final int DEFAULT_WARMUP_SECONDS = 5, MAX_WARMUP_SECONDS = 3600;

  @Override
  public String summary() {
    return "time every step of a compiled model (with NETC_JAVA_OPTS=-Dnetc.profile=true)";
  }

  @Override
  public Options options() {
    return new Options()
        .addOption(Option.builder().longOpt("threads").hasArg().argName("N").desc("threads (default 1; at most " + netc.runtime.CommandLineArgs.MAX_THREADS + ")").build())
        .addOption(Option.builder().longOpt("runs").hasArg().argName("N").desc("timed runs after warm-up (default 20; at most " + MAX_RUNS + ")").build())
        .addOption(Option.builder().longOpt("batch").hasArg().argName("B").desc("images per run (default 1; at most " + MAX_BATCH + ")").build())
        .addOption(Option.builder().longOpt("warmup-seconds").hasArg().argName("S").desc("warm up for at least S seconds, and at least"
            + " 10 runs (default " + DEFAULT_WARMUP_SECONDS + "; 0 to " + MAX_WARMUP_SECONDS + ")").build());
  }

  @Override
  public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    int threads = CommandLines.threads(cl.getOptionValue("threads", "1"));
    int runs = CommandLines.count("--runs", cl.getOptionValue("runs", "20"), MAX_RUNS);
    int batch = CommandLines.count("--batch", cl.getOptionValue("batch", "1"), MAX_BATCH);
    int warmupSeconds = CommandLines.whole("--warmup-seconds", cl.getOptionValue("warmup-seconds", String.valueOf(DEFAULT_WARMUP_SECONDS)),
        0, MAX_WARMUP_SECONDS);
    if (!Boolean.getBoolean("netc.profile")) {
      throw new UsageException("the JVM needs -Dnetc.profile=true", USAGE);
    }
    Path jar = Path.of(CommandLines.oneArgument(cl, "compiled jar", USAGE));
    try (CompiledModel model = CompiledModel.load(jar, threads)) {
      String tooLarge = model.batchTooLarge(batch); // before the batch's arrays are made: a batch x size past an int was an internal error
      if (tooLarge != null) throw new UsageException("--batch " + batch + ": " + tooLarge);
      int[] s = model.inputShape();
      float[] x = netc.runtime.Tensor.uniform(1, batch, s[0], s[1], s[2]).data();
      float[] y = new float[batch * model.outputSize()];
      long warmEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
      for (int i = 0; i < Math.max(10, runs) || System.nanoTime() < warmEnd; i++) model.predict(x, batch, y);
      model.profile(); // discard the warm-up
      // each run's time and its steps' times; the figures below are the means of the middle half of
      // the runs by time, so that a run the host slowed (or a JIT compilation in the background) moves
      // none of them, and the steps still add up to the run
      long[] runNanos = new long[runs];
      long[][] runSteps = new long[runs][];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        model.predict(x, batch, y);
        runNanos[i] = System.nanoTime() - t0;
        runSteps[i] = model.profile();
      }
      int[] kept = middleHalf(runNanos);
      long[] nanos = new long[runSteps[0].length];
      long keptNanos = 0;
      for (int r : kept) {
        keptNanos += runNanos[r];
        for (int step = 0; step < nanos.length; step++) nanos[step] += runSteps[r][step];
      }
      runs = kept.length; // the per-run figures below divide by the runs they sum
      double total = keptNanos / 1e6 / runs;
      List<String> names = model.stepNames();
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < nanos.length; i++) order.add(i);
      order.sort((a, b) -> Long.compare(nanos[b], nanos[a]));
      long[] macs = model.stepMultiplyAdds();
      long macsTotal = 0, macsNanos = 0, stepsNanos = 0;
      for (int i = 0; i < macs.length; i++) {
        stepsNanos += nanos[i];
        if (macs[i] > 0) {
          macsTotal += macs[i];
          macsNanos += nanos[i];
        }
      }
      // Where each thread runs whole images, every thread adds its own step times: the steps' times are then
      // thread time, up to threads x the run's, and are set against the threads' summed time, not the run's.
      // Otherwise the caller times each step around the whole of it (shared by the pool or not): wall time.
      boolean perThread = model.imagesPerThread(batch);
      int timedThreads = perThread ? model.threads() : 1;
      String unit = perThread ? "thread-ms" : "ms";
      double available = total * timedThreads; // per run: what the rows' % are of
      String multiplying = macsTotal == 0 ? "" : String.format(java.util.Locale.ROOT, "; the steps that multiply %.2f %s, %s multiply-adds per image, %s%s",
          macsNanos / 1e6 / runs, unit, macsTotal >= 1e9 ? String.format(java.util.Locale.ROOT, "%.3f G", macsTotal / 1e9) : String.format(java.util.Locale.ROOT, "%.3f M", macsTotal / 1e6),
          gflops(macsTotal, batch, runs, macsNanos), perThread ? " per thread" : "");
      String mode = !perThread ? "" : String.format(java.util.Locale.ROOT, "; each thread runs whole images, so a step's time below is its %d threads' summed"
          + " time (thread-ms per run), its %% is of the threads' %.2f thread-ms, and its rate is per thread", timedThreads, available);
      out.printf("%s, batch %d, %d thread%s: %.2f ms per run (mean of the middle %d of %d runs by time)%s%s%n", model.property("network"),
          batch, threads, threads == 1 ? "" : "s", total, runs, runNanos.length, mode, multiplying);
      for (int i : order) {
        double ms = nanos[i] / 1e6 / runs;
        String rate = macs[i] == 0 ? "" : gflops(macs[i], batch, runs, nanos[i]);
        out.printf("  %8.3f %s  %5.1f%%  %13s  %s%n", ms, unit, 100 * ms / available, rate, names.get(i));
      }
      // the rest of the run: the call's checks and workspaces, the outputs' copy, the pool's hand-offs,
      // and (per thread) a thread's wait for work or for the others to finish
      double outside = available - stepsNanos / 1e6 / runs;
      out.printf("outside the steps: %.3f %s per run (%.1f%%%s)%n", outside, unit, 100 * outside / available,
          perThread ? ": the threads' waits for work and for each other, the pool's hand-offs, the call's checks, the outputs' copy"
              : ": the call's checks and workspace, the pool's hand-offs, the outputs' copy");
    }
    return 0;
  }

  /**
   * The indices of the middle half of {@code times} (at least one): the runs left after dropping the
   * quarter fastest and the quarter slowest. Also {@code netc ort-profile}'s choice of runs.
   */
  public static int[] middleHalf(long[] times) {
    Integer[] order = new Integer[times.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, (a, b) -> Long.compare(times[a], times[b]));
    int drop = times.length / 4, keep = Math.max(1, times.length - 2 * drop);
    int[] kept = new int[keep];
    for (int i = 0; i < keep; i++) kept[i] = order[drop + i];
    return kept;
  }

  /** Two FLOPs a multiply-add: "71.3 GFLOP/s" for {@code macs} of one image, {@code batch} images a run. */
  static String gflops(long macs, int batch, int runs, long nanos) {
    return nanos <= 0 ? "" : String.format(java.util.Locale.ROOT, "%.1f GFLOP/s", 2.0 * macs * batch * runs / nanos);
  }
}
