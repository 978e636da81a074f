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
      long macsTotal = 0, macsNanos = 0;
      for (int i = 0; i < macs.length; i++) {
        if (macs[i] > 0) {
          macsTotal += macs[i];
          macsNanos += nanos[i];
        }
      }
      String multiplying = macsTotal == 0 ? "" : String.format("; the steps that multiply %.2f ms, %s multiply-adds per image, %s",
          macsNanos / 1e6 / runs, macsTotal >= 1e9 ? String.format("%.3f G", macsTotal / 1e9) : String.format("%.3f M", macsTotal / 1e6),
          gflops(macsTotal, batch, runs, macsNanos));
      out.printf("%s, batch %d, %d thread%s: %.2f ms per run (mean of %d)%s%n", model.property("network"), batch, threads,
          threads == 1 ? "" : "s", total, runs, multiplying);
      for (int i : order) {
        double ms = nanos[i] / 1e6 / runs;
        String rate = macs[i] == 0 ? "" : gflops(macs[i], batch, runs, nanos[i]);
        out.printf("  %8.3f ms  %5.1f%%  %13s  %s%n", ms, 100 * ms / total, rate, names.get(i));
      }
    }
    return 0;
  }

  /** Two FLOPs a multiply-add: "71.3 GFLOP/s" for {@code macs} of one image, {@code batch} images a run. */
  static String gflops(long macs, int batch, int runs, long nanos) {
    return nanos <= 0 ? "" : String.format("%.1f GFLOP/s", 2.0 * macs * batch * runs / nanos);
  }
}
