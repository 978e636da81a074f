package netc.examples;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;

/**
 * {@code netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B]}: compiled
 * models alternated call by call in one JVM, medians and minima. This machine's speed drifts, so a
 * compiler change is judged by alternating its jar with the old one, not by runs minutes apart.
 */
public final class CompareJars {
  private CompareJars() {}

  public static void main(String[] args) throws Exception {
    List<Path> jars = new ArrayList<>();
    int gapMs = 0, runs = 25, threads = 2, batch = 1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--gap-ms" -> gapMs = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "-h", "--help" -> {
          System.out.println("usage: netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B]");
          return;
        }
        default -> jars.add(Path.of(args[i]));
      }
    }
    if (jars.isEmpty()) {
      System.err.println("netc compare: give compiled jars (usage: netc compare A.jar B.jar... [--gap-ms N] [--runs N] [--threads T] [--batch B])");
      System.exit(2);
    }
    List<CompiledModel> models = new ArrayList<>();
    for (Path jar : jars) {
      if (!Files.isRegularFile(jar)) {
        System.err.println("netc compare: cannot read " + jar + ": no such file");
        System.exit(1);
      }
      try {
        models.add(CompiledModel.load(new URLClassLoader(new URL[] {jar.toUri().toURL()}, CompareJars.class.getClassLoader()), threads));
      } catch (BadInputException e) {
        System.err.println("netc compare: " + jar + ": " + e.getMessage());
        System.exit(1);
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
  }
}
