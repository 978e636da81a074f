package netc.examples;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B]}: compiled
 * models alternated call by call in one JVM, medians and minima. This machine's speed drifts, so a
 * compiler change is judged by alternating its jar with the old one, not by runs minutes apart.
 */
public final class CompareJars {
  private CompareJars() {}

  static final String USAGE = "netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B]";

  public static void main(String[] args) {
    Cli.main("compare", args, CompareJars::run);
  }

  static Options options() {
    return new Options()
        .addOption(Cli.opt("gap-ms", "N", "sleep N ms before each timed call (default 0)"))
        .addOption(Cli.opt("runs", "N", "timed calls of each jar (default 25)"))
        .addOption(Cli.opt("threads", "T", "threads of each model (default 2)"))
        .addOption(Cli.opt("batch", "B", "images per call (default 1)"));
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "compiled models alternated call by call in one JVM, medians and minima: A/B of a compiler change.",
        options(), null, args, out);
    if (cl == null) return 0;
    int gapMs = Cli.intValue(cl, "gap-ms", 0), runs = Cli.intValue(cl, "runs", 25), threads = Cli.intValue(cl, "threads", 2), batch = Cli.intValue(cl, "batch", 1);
    if (gapMs < 0 || runs < 1 || threads < 1 || batch < 1) throw new Cli.UsageException("--runs, --threads and --batch must be positive, --gap-ms not negative");
    List<Path> jars = new ArrayList<>();
    for (String a : cl.getArgList()) jars.add(Path.of(a));
    if (jars.isEmpty()) throw new Cli.UsageException("give compiled jars (usage: " + USAGE + ")");
    List<CompiledModel> models = new ArrayList<>();
    for (Path jar : jars) {
      if (!Files.isRegularFile(jar)) throw new BadInputException("cannot read " + jar + ": no such file");
      try {
        models.add(CompiledModel.load(jar, threads));
      } catch (BadInputException e) {
        throw new BadInputException(jar + ": " + e.getMessage());
      }
    }
    int[] s = models.get(0).inputShape();
    float[] x = Tensor.uniform(1, batch, s[0], s[1], s[2]).data();
    float[] y = new float[batch * models.get(0).outputSize()];
    long warmEnd = System.nanoTime() + 10_000_000_000L;
    for (int i = 0; i < 5 || System.nanoTime() < warmEnd; i++) for (CompiledModel m : models) m.predict(x, batch, y);
    double[][] t = new double[models.size()][runs];
    for (int r = 0; r < runs; r++) {
      for (int k = 0; k < models.size(); k++) {
        if (gapMs > 0) Thread.sleep(gapMs);
        long a = System.nanoTime();
        models.get(k).predict(x, batch, y);
        t[k][r] = (System.nanoTime() - a) / 1e6;
      }
    }
    for (int k = 0; k < models.size(); k++) {
      double[] v = t[k].clone();
      java.util.Arrays.sort(v);
      System.out.printf("%-40s median %7.1f ms  min %7.1f ms  (%d runs, batch %d, %d threads, gap %d ms)%n",
          jars.get(k), Bench.median(v), v[0], runs, batch, threads, gapMs);
    }
    return 0;
  }
}
