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
 * the time outside the steps, so that the steps' shares and it make 100%.
 */
final class ProfileCommand implements Main.Command {
  private static final String USAGE = "NETC_JAVA_OPTS=-Dnetc.profile=true netc profile MODEL.jar [--threads N] [--runs N] [--batch B]";

  /** Bounds on --runs and --batch: well past any useful profile, short of a typo that runs for days or fills the heap. */
  static final int MAX_RUNS = 100_000, MAX_BATCH = 1024;

  @Override
  public String summary() {
    return "time every step of a compiled model (with NETC_JAVA_OPTS=-Dnetc.profile=true)";
  }

  @Override
  public Options options() {
    return new Options()
        .addOption(Option.builder().longOpt("threads").hasArg().argName("N").desc("threads (default 1; at most " + netc.runtime.CommandLineArgs.MAX_THREADS + ")").build())
        .addOption(Option.builder().longOpt("runs").hasArg().argName("N").desc("timed runs after warm-up (default 20; at most " + MAX_RUNS + ")").build())
        .addOption(Option.builder().longOpt("batch").hasArg().argName("B").desc("images per run (default 1; at most " + MAX_BATCH + ")").build());
  }

  @Override
  public int run(String[] args, PrintStream out) throws Exception {
    Options options = options();
    CommandLine cl = CommandLines.parse(USAGE, options, args, out);
    if (cl == null) return 0;
    int threads = CommandLines.threads(cl.getOptionValue("threads", "1"));
    int runs = CommandLines.count("--runs", cl.getOptionValue("runs", "20"), MAX_RUNS);
    int batch = CommandLines.count("--batch", cl.getOptionValue("batch", "1"), MAX_BATCH);
    if (!Boolean.getBoolean("netc.profile")) {
      throw new UsageException("the JVM needs -Dnetc.profile=true (usage: " + USAGE + ")");
    }
    Path jar = Path.of(CommandLines.oneArgument(cl, "compiled jar", USAGE));
    if (!Files.isRegularFile(jar)) throw new BadInputException("cannot read " + jar + ": no such file");
    try (CompiledModel model = CompiledModel.load(jar, threads)) {
      int[] s = model.inputShape();
      float[] x = netc.runtime.Tensor.uniform(1, batch, s[0], s[1], s[2]).data();
      float[] y = new float[batch * model.outputSize()];
      for (int i = 0; i < Math.max(10, runs); i++) model.predict(x, batch, y);
      model.profile(); // discard the warm-up
      long t0 = System.nanoTime();
      for (int i = 0; i < runs; i++) model.predict(x, batch, y);
      double total = (System.nanoTime() - t0) / 1e6 / runs;
      long[] nanos = model.profile();
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
      String multiplying = macsTotal == 0 ? "" : String.format("; the steps that multiply %.2f %s, %s multiply-adds per image, %s%s",
          macsNanos / 1e6 / runs, unit, macsTotal >= 1e9 ? String.format("%.3f G", macsTotal / 1e9) : String.format("%.3f M", macsTotal / 1e6),
          gflops(macsTotal, batch, runs, macsNanos), perThread ? " per thread" : "");
      String mode = !perThread ? "" : String.format("; each thread runs whole images, so a step's time below is its %d threads' summed"
          + " time (thread-ms per run), its %% is of the threads' %.2f thread-ms, and its rate is per thread", timedThreads, available);
      out.printf("%s, batch %d, %d thread%s: %.2f ms per run (mean of %d)%s%s%n", model.property("network"), batch, threads,
          threads == 1 ? "" : "s", total, runs, mode, multiplying);
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

  /** Two FLOPs a multiply-add: "71.3 GFLOP/s" for {@code macs} of one image, {@code batch} images a run. */
  static String gflops(long macs, int batch, int runs, long nanos) {
    return nanos <= 0 ? "" : String.format("%.1f GFLOP/s", 2.0 * macs * batch * runs / nanos);
  }
}
