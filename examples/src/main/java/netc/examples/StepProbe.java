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
import netc.runtime.Workspace;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * Where a step's time goes inside the network: runs one step of a compiled model on its own, on one
 * thread, repeatedly, warm, then with a cache sweep before each call: a small one (empties L2,
 * leaves L3) and a large one (empties L3 too). Set beside {@code netc profile}, it says whether a
 * step is slower inside the network because its data comes from L3 or from memory. A diagnostic:
 * it reaches the generated {@code runStep} by reflection.
 * <pre>./netc step-probe MODEL.jar STEP[,STEP...] [--small-mb 6] [--large-mb 256] [--before K]</pre>
 * With {@code --before K}, also the step's time when the K steps before it in the network run
 * before each call: which predecessors make it slow.
 */
final class StepProbe {
  private StepProbe() {}

  private static float sink;

  static final String USAGE = "netc step-probe MODEL.jar STEP[,STEP...] [--small-mb 6] [--large-mb 256] [--before K]";

  public static void main(String[] args) {
    Cli.main("step-probe", args, StepProbe::run);
  }

  static Options options() {
    return new Options()
        .addOption(Cli.opt("small-mb", "MB", "the small cache sweep before each call, empties L2 (default 6)"))
        .addOption(Cli.opt("large-mb", "MB", "the large cache sweep before each call, empties L3 too (default 256)"))
        .addOption(Cli.opt("before", "K", "also time the step after the K steps before it in the network (default 0: not)"));
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "single steps of a compiled model on one thread: warm, and after cache sweeps (step names: netc profile).",
        options(), null, args, out);
    if (cl == null) return 0;
    List<String> rest = cl.getArgList();
    if (rest.size() != 2) throw new Cli.UsageException("expects a compiled jar and step names (usage: " + USAGE + ")");
    Path jar = Path.of(rest.get(0));
    int smallMb = Cli.intValue(cl, "small-mb", 6), largeMb = Cli.intValue(cl, "large-mb", 256), before = Cli.intValue(cl, "before", 0);
    if (smallMb < 1 || largeMb < 1 || before < 0) throw new Cli.UsageException("--small-mb and --large-mb must be positive, --before not negative");
    if (!Files.isRegularFile(jar)) throw new BadInputException("cannot read " + jar + ": no such file");
    CompiledModel m;
    try {
      m = CompiledModel.load(jar, 1);
    } catch (BadInputException e) {
      throw new BadInputException(jar + ": " + e.getMessage());
    }
    List<String> names = m.stepNames();
    List<Integer> steps = new ArrayList<>();
    for (String name : rest.get(1).split(",")) {
      int s = names.indexOf(name);
      if (s < 0) throw new BadInputException("no step " + name + " in " + jar + " (see netc profile for the names)");
      steps.add(s);
    }
    int[] shape = m.inputShape();
    float[] x = Tensor.uniform(1, 1, shape[0], shape[1], shape[2]).data(), y = new float[m.outputSize()];
    for (int i = 0; i < 30; i++) m.predict(x, 1, y); // compiles the kernels and fills the activations

    Method run = CompiledModel.class.getDeclaredMethod("runStep", int.class, Workspace.class, int.class, int.class);
    Method items = CompiledModel.class.getDeclaredMethod("items", int.class);
    Field arena = CompiledModel.class.getDeclaredField("arenaFloats");
    Constructor<Workspace> workspace = Workspace.class.getDeclaredConstructor(int.class);
    for (var a : List.of(run, items, arena, workspace)) a.setAccessible(true);
    Workspace ws = workspace.newInstance((Integer) arena.get(m));
    ws.input = x;
    for (int i = 0; i < 3; i++) { // the workspace's activations, as a call leaves them
      for (int s = 0; s < names.size(); s++) run.invoke(m, s, ws, 0, (Integer) items.invoke(m, s));
    }
    float[] small = new float[smallMb << 18], large = new float[largeMb << 18];
    System.out.printf("%-32s %10s %16s %16s%s%n", "step (one thread, median ms)", "warm", "after " + smallMb + " MB", "after " + largeMb + " MB",
        before > 0 ? String.format(" %16s", "after " + before + " steps") : "");
    for (int s : steps) {
      int n = (Integer) items.invoke(m, s);
      double warm = time(run, m, s, ws, n, null, 200), afterSmall = time(run, m, s, ws, n, small, 40), afterLarge = time(run, m, s, ws, n, large, 40);
      String after = before > 0 ? String.format(" %16.3f", timeAfterSteps(run, items, m, s, ws, n, before, 40)) : "";
      System.out.printf("%-32s %10.3f %16.3f %16.3f%s%n", names.get(s), warm, afterSmall, afterLarge, after);
    }
    if (sink == 42) System.out.println();
    return 0;
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
