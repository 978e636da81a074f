package netc.examples;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import netc.codegen.ModelCompiler;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.io.FileOutput;
import netc.runtime.Tensor;
import netc.runtime.kernels.Kernels;
import netc.weights.SyntheticWeights;
import netc.weights.WeightBinding;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code netc bench SPEC --weights W.safetensors --onnx M.onnx --batch B --threads T}: netc against
 * ONNX Runtime on the same network, weights and input, in one process. Both engines get the same
 * thread count; after warm-up they are alternated run by run, and medians are compared. Each timed
 * call is the whole inference of the batch. The first call of each engine in this fresh JVM is
 * reported apart. Outputs are cross-checked before timing, after every timed pair and after every netc
 * call of the sustained blocks, so a fast wrong answer cannot pass; netc's output is filled with NaN before each of its calls,
 * so a value a call leaves unwritten fails the check rather than pass on an earlier call's. Without
 * {@code --onnx}, netc's first call and every timed call are checked against the reference interpreter
 * instead, on the batch's first and last images, every value of every image being written
 * ({@link #matchesReference}). Every
 * timed call starts once the process has been idle for 100 ms ({@link #quiet}), so neither engine's
 * spinning workers slow the other and both start from the same idle; that is the latency of a call
 * after idle, and the last line's ratio. A second phase times blocks of K
 * consecutive calls (a busy service's latency) and prints its ratio on the line before.
 * {@code -Dnetc.bench.debug=true} also prints the CPU time of each gap and, per position in a block,
 * each engine's median call.
 */
public final class Bench {
  private Bench() {}

  static final String USAGE = "netc bench SPEC|MODEL.onnx [--weights W.safetensors] [--onnx M.onnx] [--batch B] [--threads T] [--runs N] "
      + "[--warmup N] [--warmup-seconds S] [--sustained K] [-D name=value]...";

  public static void main(String[] args) {
    Cli.main("bench", args, Bench::run);
  }

  static Options options() {
    return new Options()
        .addOption(Option.builder("w").longOpt("weights").hasArg().argName("W.safetensors").desc("weights (default: an ONNX model's own, else synthetic, seed 0)").build())
        .addOption(Cli.opt("onnx", "M.onnx", "the same network as ONNX, to time ONNX Runtime against (default: netc alone)"))
        .addOption(Cli.opt("batch", "B", "images per call (default 1; at most " + MAX_BATCH + ")"))
        .addOption(Cli.opt("threads", "T", "threads of both engines (default: available processors)"))
        .addOption(Cli.opt("runs", "N", "timed calls of each engine (default 20; at most " + MAX_RUNS + ")"))
        .addOption(Cli.opt("warmup", "N", "untimed calls before timing, at least (default 5; at most " + MAX_RUNS + ")"))
        .addOption(Cli.opt("warmup-seconds", "S", "and warm up for at least S seconds (default 10)"))
        .addOption(Cli.opt("sustained", "K", "also time blocks of K consecutive calls (default 5; 1 turns it off; at most " + MAX_SUSTAINED + ")"))
        .addOption(Option.builder("D").argName("name=value").numberOfArgs(2).valueSeparator('=').desc("override a top-level param of the spec").build());
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "netc against ONNX Runtime on the same network, weights and input, in one process; medians compared.",
        options(), "-D sets the spec's params; JVM options go in NETC_JAVA_OPTS: -XX:UseAVX=2 or -XX:MaxVectorSize=16 for the 256- or "
            + "128-bit kernels on an AVX-512 host, -Dnetc.bench.debug=true for each idle gap's CPU and each position's median in a block.",
        args, out);
    if (cl == null) return 0;
    String weights = cl.getOptionValue("w"), onnx = cl.getOptionValue("onnx");
    // each bounded: the arrays of times are made from them (blocks x (K - 1) overflowed an int for a large K), --warmup
    // 2000000000 ran two billion calls (a hang) and -3 was taken for none, --batch 100000 took minutes a call
    int batch = Cli.intValue(cl, "batch", 1, 1, MAX_BATCH), threads = Cli.threads(cl, "threads", netc.runtime.CommandLineArgs.defaultThreads());
    int runs = Cli.intValue(cl, "runs", 20, 1, MAX_RUNS), warmup = Cli.intValue(cl, "warmup", 5, 0, MAX_RUNS);
    int sustained = Cli.intValue(cl, "sustained", 5, 1, MAX_SUSTAINED);
    double warmupSeconds = Cli.doubleValue(cl, "warmup-seconds", 10, 0, 3600);
    java.util.Map<String, String> defines = Cli.defines(cl);
    if (cl.getArgList().size() != 1) throw new Cli.UsageException("expects one spec (usage: " + USAGE + ")");
    String spec = cl.getArgList().get(0);
    // netc alone times no sustained blocks: the option would be ignored without a word
    if (cl.hasOption("sustained") && sustained > 1 && onnx == null) throw new Cli.UsageException("--sustained times both engines' calls in a row: it goes with --onnx");

    // a spec, or an ONNX model imported in memory with its own weights (bench M.onnx --onnx M.onnx)
    netc.onnx.ModelSource source = netc.onnx.ModelSource.load(spec, defines, java.util.List.of());
    Graph graph = source.graph();
    // ONNX Runtime's session first: a file it cannot load, or a model whose input is not this network's
    // at this batch, is refused in one line before the compile, not as an exception after it
    int[] declared = graph.input().shape().dims();
    Ort ort = onnx == null ? null : new Ort(Path.of(onnx), threads, new long[] {batch, declared[0], declared[1], declared[2]}, graph.name());
    // both engines closed however the bench ends: a refused weights file, compile or batch, or outputs
    // that disagree left ONNX Runtime's session (native memory, its threads) open in the process
    try (ort) {
      ParamSource params;
      if (weights != null) {
        // as compile and run bind it: unused tensors a warning, random weights (an export's seeded ones) a note
        params = netc.codegen.SpecCompiler.params(graph, Path.of(weights), new netc.codegen.SpecCompiler.Listener() {
          @Override
          public void warning(String line) {
            System.out.println(line);
          }
        });
      } else if (source.weights() != null) {
        params = WeightBinding.bind(graph, source.weights());
      } else {
        System.out.println("note: no --weights; synthetic weights (seed 0)");
        params = SyntheticWeights.source(graph, 0);
      }
      // on the shutdown hook's list too: Ctrl-C during a bench left its weights.bin in the temporary folder
      Path dir = FileOutput.createTemporaryFolder("netc-bench");
      CompiledModel netc;
      long t0;
      // closed once the model is loaded (its classes, weights and labels read), like the folder it reads
      try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, Bench.class.getClassLoader())) {
        // the folder is removed however the compile or the load ends: it holds a whole weights.bin
        ModelCompiler.compileTo(PassManager.run(graph, PassContext.defaults()), params, spec, weights == null && source.weights() == null, dir,
            s -> {});
        t0 = System.nanoTime();
        netc = CompiledModel.load(loader, threads);
      } finally {
        ModelCompiler.deleteTree(dir); // once loaded: class initialized, weights and labels read
        FileOutput.unregisterTemporary(dir); // after: a signal while deleting still finds it registered
      }
      double netcLoad = (System.nanoTime() - t0) / 1e6;
      try (netc) {
        String tooLarge = netc.batchTooLarge(batch); // before the batch's arrays are made: batch x size past an int was an internal error
        if (tooLarge != null) throw new Cli.UsageException("--batch " + batch + ": " + tooLarge);
        int[] in = netc.inputShape();
        // two inputs, taken in turn by the timed calls: with one, a call that left a workspace's earlier values in place
        // (a skipped step, a race) would still give the right answer, that of the call before on the same input
        float[][] xs = new float[2][batch * in[0] * in[1] * in[2]];
        Random rng = new Random(7);
        for (float[] input : xs) for (int i = 0; i < input.length; i++) input[i] = rng.nextFloat();
        float[] x = xs[0];
        float[] y = new float[batch * netc.outputSize()];
        Arrays.fill(y, Float.NaN); // here and before every call below: a value the call leaves unwritten fails the check
        t0 = System.nanoTime();
        netc.predict(x, batch, y);
        double netcFirst = (System.nanoTime() - t0) / 1e6;
        String weakGuard = inputsIndistinct(netc, xs, y);
        if (weakGuard != null) System.out.println(weakGuard);

        double macs = graph.macs() * (double) batch;
        // the multiply-adds netc's steps compute: fewer than the direct count where Winograd runs (0: not counted)
        double doneMacs = java.util.stream.LongStream.of(netc.stepMultiplyAdds()).sum() * (double) batch;
        System.out.printf("network %s, batch %d, threads %d, %.3f G multiply-accumulates per image (GFLOP/s below count 2 per"
            + " multiply-accumulate of the direct convolution)%n", graph.name(), batch, threads, graph.macs() / 1e9);
        if (doneMacs > 0 && doneMacs != macs) {
          System.out.printf("netc's steps compute %.3f G multiply-adds per image (Winograd's products, and parallel convs merged into one by a pass, counted as computed)%n", doneMacs / batch / 1e9);
        }
        System.out.printf("netc kernels: %s; cpu: %s; java %s%n", Kernels.INSTANCE.variant(), Kernels.cpuModel(), System.getProperty("java.version"));
        quiet(); // netc's worker spins after its first call: the probe must not share a core with it
        double peak = PeakProbe.measure(threads);
        System.out.printf("measured FP32 peak on %d thread%s at %s (%s): %.1f GFLOP/s%n", threads, threads == 1 ? "" : "s",
            PeakProbe.KERNELS_NATIVE ? "the kernels' width" : "this JVM's native width", PeakProbe.BITS == 0 ? (PeakProbe.FMA ? "scalar FMA" : "scalar multiply-add, no FMA here") : PeakProbe.BITS + "-bit FMA", peak);
        if (!PeakProbe.KERNELS_NATIVE) {
          System.out.printf("note: netc's kernels run %d-bit vectors, %s (the Vector API's Java fallback): no %% of peak is given below%n",
              PeakProbe.KERNEL_BITS, PeakProbe.NATIVE_BITS == 0 ? "which this JVM does not compile (no C2, or no FMA)"
                  : "wider than this JVM's " + PeakProbe.NATIVE_BITS + "-bit ones");
        }
        System.out.printf("netc: load %.0f ms, first call in this JVM %.1f ms; %s%n", netcLoad, netcFirst, hugePages(System.getenv("GLIBC_TUNABLES")));

        if (ort != null) {
          ort.start(xs);
          System.out.printf("onnxruntime %s: load %.0f ms, first call in this JVM %.1f ms; native library: %s%n", ort.version(), ort.loadMs,
              ort.firstMs, System.getProperty("onnxruntime.native.path") == null ? "the jar's own (its kernels pick the CPU's widest vectors)"
                  : "from " + System.getProperty("onnxruntime.native.path") + " (-Donnxruntime.native.path)");
          double[] e = agree(y, ort.run().output(), "the first calls");
          System.out.println(e[1] == 0 ? "outputs agree: every output of both is 0 (a comparison that shows little)"
              : String.format("outputs agree: max |netc - onnxruntime| = %.3g (%.2g of max |output| %.3g)", e[0], e[0] / e[1], e[1]));
        }
        // netc alone: its first and last images against the reference interpreter on the same graph, weights
        // and input (not every image: the interpreter takes seconds an image on a large network; the last
        // catches a batch offset gone wrong), in the first call and every timed call below; every value
        // of the batch must be written (finite)
        float[][][] reference = null; // of each input
        int[] checked = batch == 1 ? new int[] {0} : new int[] {0, batch - 1};
        if (ort == null) {
          long r0 = System.nanoTime();
          int per = in[0] * in[1] * in[2];
          reference = new float[2][checked.length][];
          for (int input = 0; input < 2; input++) {
            for (int c = 0; c < checked.length; c++) {
              reference[input][c] = Interpreter.run(graph, params, new Tensor(new int[] {1, in[0], in[1], in[2]},
                  Arrays.copyOfRange(xs[input], checked[c] * per, (checked[c] + 1) * per))).data();
            }
          }
          double[] e = matchesReference(y, reference[0], checked, "the first call");
          System.out.printf("netc against the reference interpreter (%s, first call): max |difference| = %.3g (%.2g of max |output| %.3g;"
              + " refused over 1e-4 of it; interpreter %.0f ms)%n", imagesChecked(checked), e[0], e[1] == 0 ? 0 : e[0] / e[1], e[1],
              (System.nanoTime() - r0) / 1e6);
        }
        // Warm-up is by time as well as count: loading a model can leave the JIT deoptimizing and
        // recompiling netc's kernels for several seconds, and timing must not start inside that.
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < warmEnd; i++) {
          netc.predict(xs[i % 2], batch, y);
          if (ort != null) ort.use(i % 2).run();
        }
        double[] tn = new double[runs], to = new double[runs];
        float[] z = null;
        // ONNX Runtime's calls get the same ThreadMXBean readings around them as netc's, unused: both start alike
        AllocationMeter allocation = AllocationMeter.forThisJvm(), ortAllocation = AllocationMeter.forThisJvm();
        int gaveUp = 0; // idle waits before a timed call that gave up
        double worst = 0; // netc alone: the largest |difference| of a timed call from the reference
        for (int i = 0; i < runs; i++) {
          // each pair in turn starts with either engine, so a drift within a pair favours neither
          // by pairs, ABBA: either engine first with either input (input i % 2), and as often (an even number of runs)
          boolean ortFirst = ort != null && (i % 4 == 1 || i % 4 == 2);
          int input = i % 2;
          if (ort != null) ort.use(input);
          Arrays.fill(y, Float.NaN); // outside the timing and before the idle wait
          if (ortFirst) {
            if (!quiet()) gaveUp++;
            z = timeOrt(ort, ortAllocation, to, i);
          }
          if (!quiet()) gaveUp++;
          allocation.start();
          long a = System.nanoTime();
          netc.predict(xs[input], batch, y);
          tn[i] = (System.nanoTime() - a) / 1e6;
          allocation.stop();
          if (reference != null) worst = Math.max(worst, matchesReference(y, reference[input], checked, "timed call " + (i + 1))[0]);
          if (ort != null && !ortFirst) {
            if (!quiet()) gaveUp++;
            z = timeOrt(ort, ortAllocation, to, i);
          }
          // every pair's outputs, not only the first calls': a kernel wrong only once C2 compiles it, a
          // reused workspace left dirty or a race must not give a fast wrong answer (outside the timing)
          if (ort != null) agree(y, z, "timed pair " + (i + 1));
        }
        noteGaveUp(gaveUp, (ort == null ? 1 : 2) * runs, "timed calls");
        if (reference != null) {
          System.out.printf("netc's %d timed calls against the reference interpreter (%s): max |difference| = %.3g (refused over 1e-4 of max |output|)%n",
              runs, imagesChecked(checked), worst);
        }
        // the host's speed drifts: a peak measured in a slow moment would flatter both engines, so the
        // figure is the better of the probe before the timed runs and one after them
        quiet();
        double peakAfter = PeakProbe.measure(threads);
        if (peakAfter > peak) {
          System.out.printf("measured FP32 peak again after the timed runs: %.1f GFLOP/s (used below)%n", peakAfter);
          peak = peakAfter;
        }
        double mn = median(tn);
        if (!PeakProbe.KERNELS_NATIVE) peak = Double.NaN; // no % of a peak the kernels do not run at
        report("netc", mn, tn, batch, macs, doneMacs, peak);
        if (allocation.netcBytesPerCall() >= ALLOCATION_WARNING_BYTES) {
          System.out.printf("warning: netc allocated %.1f MB per timed call (the largest call %.1f MB; %s), where a warm forward pass allocates"
              + " nothing: some kernel runs without C2's vector intrinsics (a JIT bailout, or -Dnetc.vectorBits wider than this JVM's vectors),"
              + " so these are not netc's usual times%n", allocation.netcBytesPerCall() / 1e6, allocation.largestNetcCall() / 1e6, allocation.netcThreads());
        }
        if (allocation.otherBytesPerCall() >= ALLOCATION_WARNING_BYTES) {
          System.out.printf("note: other threads of this process allocated %.1f MB per timed netc call (%s): not netc's threads, not counted above%n",
              allocation.otherBytesPerCall() / 1e6, allocation.otherThreads());
        }
        if (ort == null) {
          nameAllocatingSteps(allocation, netc, x);
          return 0;
        }
        double mo = median(to);
        report("onnxruntime", mo, to, batch, macs, Double.NaN, peak);
        System.out.println(paired(tn, to));
        if (sustained > 1) {
          // A busy service's view: blocks of consecutive calls, engines alternated block by block with
          // the idle gap between blocks; the first call of each block (after the gap) is dropped.
          int blocks = Math.max(4, runs / sustained * 2);
          float[][] first = {ort.use(0).run().output(), ort.use(1).run().output()}; // every netc call of a block is checked against its input's (outside the timing)
          double[] sn = new double[blocks * (sustained - 1)], so = new double[blocks * (sustained - 1)];
          int blocksGaveUp = 0;
          for (int b = 0, k = 0; b < blocks; b++, k += sustained - 1) {
            for (int engine = 0; engine < 2; engine++) {
              boolean isNetc = (engine == 0) == (b % 2 == 0); // blocks alternate which engine goes first
              if (!quiet()) blocksGaveUp++;
              for (int i = 0; i < sustained; i++) {
                int input = i % 2; // the calls of a block take the inputs in turn, the same for both engines
                if (isNetc) Arrays.fill(y, Float.NaN); // each call's output is checked: its own, not an earlier call's
                else ort.use(input);
                long a = System.nanoTime();
                if (isNetc) netc.predict(xs[input], batch, y);
                else ort.run();
                if (i > 0) (isNetc ? sn : so)[k + i - 1] = (System.nanoTime() - a) / 1e6;
                if (!isNetc) z = ort.output();
                if (isNetc) agree(y, first[input], "call " + (i + 1) + " of sustained block " + (b + 1));
              }
              if (engine == 1) agree(y, z, "sustained block " + (b + 1));
            }
          }
          noteGaveUp(blocksGaveUp, 2 * blocks, "sustained blocks");
          if (Boolean.getBoolean("netc.bench.debug")) { // how many calls after the gap each engine takes to reach its speed
            for (int i = 0; i < sustained - 1; i++) {
              System.out.printf("  call %d of a block: netc %.2f ms, onnxruntime %.2f ms%n", i + 2,
                  median(column(sn, sustained - 1, i)), median(column(so, sustained - 1, i)));
            }
          }
          System.out.printf("sustained (%d calls in a row per block, first dropped): netc %.1f ms, onnxruntime %.1f ms, ratio %.3f%n",
              sustained, median(sn), median(so), median(sn) / median(so));
        }
        nameAllocatingSteps(allocation, netc, x);
        System.out.printf("netc/onnxruntime latency ratio: %.3f (netc %.1f ms, onnxruntime %.1f ms, batch %d, threads %d)%n", mn / mo, mn, mo, batch, threads);
        return 0;
      }
    }
  }

  /**
   * When the timed calls allocated, which steps still do: every step once more on this thread, after all
   * the timing (the probe allocates a workspace and may recompile what it calls). A failure of the probe
   * is said, not thrown: the bench's figures stand without it.
   */
  private static void nameAllocatingSteps(AllocationMeter allocation, CompiledModel netc, float[] x) {
    if (allocation.netcBytesPerCall() < ALLOCATION_WARNING_BYTES) return;
    try {
      List<String> steps = StepProbe.allocatingSteps(netc, x, 1024);
      System.out.println("warning: the steps that allocate, one thread, one image: "
          + (steps.isEmpty() ? "none now (recompiled since, or the boxing copy is one inlined into the pool's or the call's loop)"
              : String.join(", ", steps.subList(0, Math.min(8, steps.size()))) + (steps.size() > 8 ? " and " + (steps.size() - 8) + " more" : "")));
    } catch (Exception | LinkageError e) {
      System.out.println("note: could not probe which steps allocate: " + e);
    }
  }

  /** A note when some of a phase's idle waits gave up (printed before the phase's results, which it qualifies). */
  private static void noteGaveUp(int gaveUp, int waits, String what) {
    if (gaveUp > 0) {
      System.out.printf("note: %d of the %d idle waits before the %s gave up after %d ms (a JIT compilation or collection in the"
          + " background): those started beside it%n", gaveUp, waits, what, QUIET_MAX_MS);
    }
  }

  /**
   * One ONNX Runtime call (the caller waited for idle), timed into {@code times[i]}; its output. Read by
   * an allocation meter of its own just before and after, as netc's call is, so both start alike.
   */
  private static float[] timeOrt(Ort ort, AllocationMeter meter, double[] times, int i) throws Exception {
    meter.start();
    long a = System.nanoTime();
    ort.run();
    times[i] = (System.nanoTime() - a) / 1e6;
    meter.stop();
    return ort.output();
  }

  /**
   * Max |netc - onnxruntime| and max |output| of one pair of outputs; refuses outputs of different
   * sizes or further apart than {@link #REFERENCE_TOLERANCE} of the largest, as then the two engines compute
   * different things (they agree to about 1e-6: float32 sums in other orders).
   */
  static double[] agree(float[] netc, float[] ort, String which) {
    if (netc.length != ort.length) {
      throw new IllegalStateException("netc gives " + netc.length + " output values, onnxruntime " + ort.length + "; not the same network");
    }
    double[] d = difference(netc, ort);
    if (!agrees(d)) {
      throw new IllegalStateException(String.format("netc and onnxruntime disagree in %s (max |difference| %.3g, max |output| %.3g);"
          + " not timing different computations (netc run M.onnx --reference gives netc's reference interpreter's outputs, to tell"
          + " which engine is off: onnxruntime's graph optimizations have been, folding a Pad into a MaxPool)", which, d[0], d[1]));
    }
    return d;
  }

  /** Max |a - reference| and max |reference| of two outputs of one size (bench and compare). */
  static double[] difference(float[] a, float[] reference) {
    double err = 0, scale = 0;
    for (int i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i] - reference[i]));
      scale = Math.max(scale, Math.abs(reference[i]));
    }
    return new double[] {err, scale};
  }

  /** Whether a {@link #difference} is within {@link #REFERENCE_TOLERANCE} of the largest output (a NaN is not). */
  static boolean agrees(double[] difference) {
    return difference[0] <= REFERENCE_TOLERANCE * difference[1];
  }

  /**
   * netc against the reference interpreter, relative to the reference's max |output|: the project's
   * bound for whole models against a reference (DigitsDemo.TOLERANCE, netc inspect's verify). Both
   * compute in float32 in other orders; a wrong weight or pixel moves outputs by far more.
   */
  static final double REFERENCE_TOLERANCE = 1e-4;

  /**
   * Max |netc - reference| and max |reference| over the reference's values (netc's first image); refuses
   * a difference over {@link #REFERENCE_TOLERANCE} of the largest, or a NaN (a value netc left unwritten).
   */
  static double[] matchesReference(float[] netc, float[][] references, int[] images, String which) {
    int per = references[0].length;
    if (netc.length % per != 0 || netc.length / per <= images[images.length - 1]) {
      throw new IllegalStateException("netc gives " + netc.length + " output values, the reference interpreter " + per + " an image; not the same network");
    }
    for (int i = 0; i < netc.length; i++) {
      if (!Float.isFinite(netc[i])) {
        throw new IllegalStateException(String.format("netc's output %d of image %d in %s is %s (unwritten, or an overflow); not timing a wrong answer",
            i % per, i / per + 1, which, netc[i]));
      }
    }
    double err = 0, scale = 0;
    for (int c = 0; c < images.length; c++) {
      double[] d = difference(Arrays.copyOfRange(netc, images[c] * per, (images[c] + 1) * per), references[c]);
      err = Math.max(err, d[0]);
      scale = Math.max(scale, d[1]);
    }
    if (!(err <= REFERENCE_TOLERANCE * scale)) {
      throw new IllegalStateException(String.format("netc and the reference interpreter disagree in %s (max |difference| %.3g, max |output| %.3g,"
          + " tolerance 1e-4 of it); not timing a wrong answer", which, err, scale));
    }
    return new double[] {err, scale};
  }

  /** "image 1" or "images 1 and 8": the images checked against the reference interpreter. */
  private static String imagesChecked(int[] images) {
    return images.length == 1 ? "image " + (images[0] + 1) : "images " + (images[0] + 1) + " and " + (images[1] + 1);
  }

  /**
   * Whether the JVM maps its heap (netc's weights and activations) on transparent huge pages, which the
   * netc launcher asks for where the kernel allows it (madvise or always); and whether glibc's malloc,
   * ONNX Runtime's native memory, is asked for them too ({@code tunables}: GLIBC_TUNABLES), which under
   * "madvise" it otherwise is not. Only asked for: glibc before 2.35 and musl ignore the name, and
   * nothing here tells which runs. Printed so that a ratio can be tied to the setting afterwards.
   */
  static String hugePages(String tunables) {
    String kernel;
    try {
      String s = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
      int a = s.indexOf('['), b = s.indexOf(']');
      kernel = a >= 0 && b > a ? s.substring(a + 1, b) : s.strip();
    } catch (IOException | RuntimeException e) {
      kernel = "unknown";
    }
    // the flag in force, not whether "+" was written: a later -XX:-UseTransparentHugePages (NETC_JAVA_OPTS after the launcher's) wins
    boolean jvm = "true".equals(netc.runtime.VmOptions.get("UseTransparentHugePages"));
    return "transparent huge pages: kernel " + kernel + ", netc's heap " + (jvm ? "on them (-XX:+UseTransparentHugePages)" : "not asked for")
        + ", onnxruntime's memory (glibc malloc) " + (mallocHugePages(tunables) ? "asked for (GLIBC_TUNABLES glibc.malloc.hugetlb=1)" : "not asked for");
  }

  /** Whether a GLIBC_TUNABLES value asks glibc's malloc to advise transparent huge pages (glibc.malloc.hugetlb=1), as the launcher sets it. */
  static boolean mallocHugePages(String tunables) {
    if (tunables == null) return false;
    boolean on = false;
    for (String t : tunables.split(":")) {
      if (t.startsWith("glibc.malloc.hugetlb=")) on = t.equals("glibc.malloc.hugetlb=1"); // the last setting of a name wins
    }
    return on;
  }

  /** Every {@code width}-th value of {@code all} from {@code i}: one call position across the blocks. */
  private static double[] column(double[] all, int width, int i) {
    double[] c = new double[all.length / width];
    for (int b = 0; b < c.length; b++) c[b] = all[b * width + i];
    return c;
  }

  /**
   * A warning where the two inputs' outputs are within the check's tolerance of each other (1e-4 of max|output|): a call
   * answering from a workspace's earlier values (a skipped step, a race) would then pass the check, which two inputs
   * were taken to catch; a network whose answer hardly depends on its input (random batch-norm statistics let the signal
   * fade with depth) shows it. Null where they differ. {@code first} holds the answer to {@code xs[0]}.
   */
  static String inputsIndistinct(CompiledModel netc, float[][] xs, float[] first) {
    float[] second = new float[first.length];
    netc.predict(xs[1], first.length / netc.outputSize(), second);
    double max = 0, diff = 0;
    for (int i = 0; i < first.length; i++) {
      max = Math.max(max, Math.abs(first[i]));
      diff = Math.max(diff, Math.abs(first[i] - second[i]));
    }
    if (diff > 1e-4 * max) return null;
    return String.format(java.util.Locale.ROOT, "warning: the two inputs' outputs differ by %.2g of max |output| %.3g, within the check's 1e-4: a"
        + " call answering the other input would pass it (does the network's answer depend on its input? random batch-norm statistics"
        + " let it fade)", max == 0 ? 0 : diff / max, max);
  }

  /**
   * An engine's line: its median and spread, GFLOP/s on the direct count, and its share of the peak
   * ({@link #peakShare}). {@code doneMacs}: the multiply-adds it computes, NaN or 0 when not known
   * (onnxruntime); {@code peak} NaN: no share given.
   */
  private static void report(String engine, double median, double[] all, int batch, double macs, double doneMacs, double peak) {
    double[] s = all.clone();
    Arrays.sort(s);
    double gflops = 2 * macs / (median / 1e3) / 1e9;
    double done = doneMacs > 0 ? 100 * (2 * doneMacs / (median / 1e3) / 1e9) / peak : Double.NaN;
    // a fast network's median to three significant digits at least: 0.1 ms steps made ratios of a few ms off by
    // percents (width-ratio.sh divides two of these), and a median under 0.05 ms printed as 0.0
    String ms = median >= 10 ? "%.1f" : median >= 1 ? "%.2f" : "%.3f";
    System.out.printf("%-12s median " + ms + " ms (" + ms + " ms/image; min " + ms + ", max " + ms + " over %d runs), %.1f GFLOP/s%s%n",
        engine, median, median / batch, s[0], s[s.length - 1], s.length, gflops, peakShare(engine.equals("netc"), 100 * gflops / peak, done));
  }

  /**
   * The share of the peak after an engine's GFLOP/s: {@code direct} the % on the direct convolution's
   * count, {@code done} the % on the multiply-adds the engine computes (NaN: not known). Winograd is
   * named only where it explains a figure: over 100% on the direct count, within 100% on the work done.
   * Over 100% on the work done means the peak probe or the count is wrong. Onnxruntime's work is not
   * known and its kernels may be wider than netc's (MLAS picks AVX-512 under -XX:UseAVX=2), so its
   * share is qualified. Empty when there is no peak (NaN).
   */
  static String peakShare(boolean netc, double direct, double done) {
    if (Double.isNaN(direct)) return "";
    if (!netc) return String.format(", %.0f%% of peak (the peak at netc's kernels' width: onnxruntime may run wider vectors)", direct);
    if (Double.isNaN(done)) return String.format(", %.0f%% of peak on the direct count%s", direct, direct <= 100 ? "" : " (no count of the work done)");
    if (done > 100) {
      return String.format(", %.0f%% of peak on the direct count, %.0f%% on the multiply-adds done: over 100%%, so the peak probe or the count is wrong",
          direct, done);
    }
    if (direct > 100) {
      return String.format(", %.0f%% of peak on the direct count (Winograd and merged convs compute fewer), %.0f%% on the multiply-adds done", direct, done);
    }
    return Math.round(direct) == Math.round(done) ? String.format(", %.0f%% of peak", direct)
        : String.format(", %.0f%% of peak on the direct count, %.0f%% on the multiply-adds done", direct, done);
  }

  /**
   * Waits before a timed call until this process has used no CPU for {@link #QUIET_MS}. Both
   * engines' workers spin after a run before they park (ONNX Runtime's 20-40 ms, netc's 200 ms,
   * ThreadPool.SPIN_NANOS), and a spinning worker would take a core from the other engine's call.
   * Waiting for the same idle time once the spinning stops, rather than a fixed gap, starts each
   * engine's call from the same state: the fixed 250 ms gap this replaces left about 210 ms of idle
   * before netc's calls and 50 ms before ONNX Runtime's. Gives up waiting after {@link #QUIET_MAX_MS}
   * (a JIT compilation or a collection in the background). -Dnetc.bench.quietMs changes the idle time.
   */
  static boolean quiet() throws InterruptedException {
    long[] gap = waitForIdle(SYSTEM_CLOCK, QUIET_MS, QUIET_MAX_MS);
    if (Boolean.getBoolean("netc.bench.debug")) {
      System.out.printf("  gap: %.0f ms of CPU in %.0f ms, then %.0f ms idle%n", gap[0] / 1e6, gap[1] / 1e6, gap[2] / 1e6);
    }
    return gap[2] >= QUIET_MS * 1_000_000; // false: gave up, and what runs next starts beside whatever ran
  }

  /** Time as {@link #waitForIdle} sees it (a test drives it). */
  interface Clock {
    long nanos();

    /** CPU time this process has used. */
    long cpuNanos();

    void sleepMs(long ms) throws InterruptedException;
  }

  /** This process's clock, CPU time and sleep. */
  private static final Clock SYSTEM_CLOCK = new Clock() {
    @Override
    public long nanos() {
      return System.nanoTime();
    }

    @Override
    public long cpuNanos() {
      return Bench.cpuNanos();
    }

    @Override
    public void sleepMs(long ms) throws InterruptedException {
      Thread.sleep(ms);
    }
  };

  /**
   * Polls every {@link #QUIET_POLL_MS} until the process has used no more than a fifth of a core for
   * {@code quietMs} in a row (a spinning worker uses a whole one), or {@code maxMs} have passed.
   * Returns the CPU nanoseconds used meanwhile, the nanoseconds waited, and those of the last idle run.
   */
  static long[] waitForIdle(Clock clock, long quietMs, long maxMs) throws InterruptedException {
    long start = clock.nanos(), cpu = clock.cpuNanos(), used = cpu, idleFrom = start, now = start;
    while (now - idleFrom < quietMs * 1_000_000 && now - start < maxMs * 1_000_000) {
      clock.sleepMs(QUIET_POLL_MS);
      long c = clock.cpuNanos();
      now = clock.nanos();
      if (c - cpu > QUIET_POLL_MS * 1_000_000 / 5) idleFrom = now;
      cpu = c;
    }
    return new long[] {cpu - used, now - start, now - idleFrom};
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static final long QUIET_MS = Long.getLong("netc.bench.quietMs", 100);

  static final long QUIET_POLL_MS = 5, QUIET_MAX_MS = 2000;

  /**
   * The largest --runs and --warmup, --sustained and --batch of bench, compare, ort-profile and step-probe (netc profile's runs
   * and batch as well): well past any useful bench, short of an overflow or a heap's worth of times.
   */
  static final int MAX_RUNS = netc.runtime.CommandLineArgs.MAX_RUNS, MAX_SUSTAINED = 1000, MAX_BATCH = netc.runtime.CommandLineArgs.MAX_BATCH;

  /**
   * Bytes allocated per timed netc call from which the bench warns. A warm forward pass allocates
   * nothing (WarmAllocationTest.forwardPassAllocatesNothingOnceWarm, at every kernel width); a Vector API operation C2 has
   * not intrinsified allocates its result, megabytes per call. Seen once here: a single-block model
   * ran at 71.7 ms a call through a whole bench, where eight later benches of it gave 2.8-3.7 ms.
   */
  static final long ALLOCATION_WARNING_BYTES = 64 * 1024;

  /**
   * The spread of the run-by-run ratios, each netc call over the onnxruntime call of its pair (the two take turns going first):
   * on a host whose speed drifts, the ratio of medians moves by several hundredths from one run to
   * the next, and the middle half of the paired ratios shows how far within this one.
   */
  static String paired(double[] netc, double[] ort) {
    double[] r = new double[netc.length];
    int faster = 0;
    for (int i = 0; i < r.length; i++) {
      r[i] = netc[i] / ort[i];
      if (r[i] < 1) faster++;
    }
    Arrays.sort(r);
    return String.format("paired ratios (each netc call over its onnxruntime call, the two in turn first): median %.3f, middle half %.3f-%.3f, "
        + "netc faster in %d of %d", quantile(r, 0.5), quantile(r, 0.25), quantile(r, 0.75), faster, r.length);
  }

  /** The p-quantile of sorted values, interpolated linearly between neighbours. */
  static double quantile(double[] sorted, double p) {
    double at = p * (sorted.length - 1);
    int i = (int) Math.floor(at);
    return i + 1 < sorted.length ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /**
   * ONNX Runtime with the settings of the performance notes: all graph optimizations, T intra-op threads.
   * The session is opened and its input checked first ({@link #Ort(Path, int, long[], String)}), the input made and the first call
   * run once netc has its model ({@link #start}).
   */
  static final class Ort implements AutoCloseable {
    final OrtEnvironment env = OrtEnvironment.getEnvironment();
    final Path model;
    final OrtSession session;
    final long[] shape;
    final String inputName;
    final double loadMs;
    /** The inputs {@link #start} made, and the one the next {@link #run} takes (see {@link #use}). */
    private OnnxTensor[] inputs = new OnnxTensor[0];
    private OnnxTensor input;
    /** The output every call after the first writes, over {@link #outBuffer} (see {@link #start}). */
    private FloatBuffer outBuffer;
    private OnnxTensor pinned;
    private java.util.Map<String, OnnxTensor> outputs;
    double firstMs;
    private boolean closed;
    /** The sessions opened here and not yet closed, in this JVM: the tests that every way out of the bench closes its own. */
    static final java.util.concurrent.atomic.AtomicInteger OPEN = new java.util.concurrent.atomic.AtomicInteger();

    /** ONNX Runtime as the benchmark runs it (and `netc ort-profile` profiles it): all graph optimizations, sequential, {@code threads} intra-op threads. */
    static OrtSession.SessionOptions options(int threads) throws OrtException {
      OrtSession.SessionOptions o = new OrtSession.SessionOptions();
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      return o;
    }

    /**
     * Opens {@code model} and checks that it takes one float tensor of {@code shape} (a symbolic
     * dimension takes any size) and gives a float tensor first ({@link #floatOutput}); refused in one
     * line naming the file, as is a file ONNX Runtime cannot load. {@code network}: the netc network's
     * name, for the message.
     */
    Ort(Path model, int threads, long[] shape, String network) throws OrtException {
      this.model = model;
      this.shape = shape;
      long t0 = System.nanoTime();
      session = open(env, model, options(threads));
      loadMs = (System.nanoTime() - t0) / 1e6;
      try {
        NodeInfo info = input(session, model);
        floatOutput(session, model);
        inputName = info.getName();
        TensorInfo t = (TensorInfo) info.getInfo();
        String problem = shapeProblem(t.getShape(), t.getDimensionNames(), shape);
        if (problem != null) {
          throw new BadInputException(model + ": input " + inputName + " has shape " + problem + ", and network " + network + " at --batch "
              + shape[0] + " takes " + Arrays.toString(shape));
        }
      } catch (RuntimeException | OrtException e) {
        session.close();
        throw e;
      }
      OPEN.incrementAndGet();
    }

    /**
     * A file ONNX Runtime cannot load as one line naming it (its message, which may span lines and
     * starts with an error code, made one line).
     */
    static OrtSession open(OrtEnvironment env, Path model, OrtSession.SessionOptions options) {
      netc.runtime.io.RegularFile.require(model, "cannot read ");
      try {
        return env.createSession(model.toString(), options);
      } catch (OrtException e) {
        // onnxruntime's parse errors name its C++ source ("model.cc:166 onnxruntime::Model::Model(...) ModelProto does not have
        // a graph"): a file netc's own reader refuses too is said as that reader says it, with the place in the file
        String netcSays = null;
        try {
          netc.onnx.OnnxReader.read(model);
        } catch (netc.ast.NetcException | BadInputException refused) {
          netcSays = refused.getMessage();
        } catch (RuntimeException | OutOfMemoryError other) {
          // the reader's own trouble (a bug, or a model past the heap): ONNX Runtime's words then, not an internal error
        }
        if (netcSays != null) throw new BadInputException(netcSays + " (onnxruntime cannot load it either)");
        throw failure(model, "cannot load it", e);
      }
    }

    /** {@code model}: onnxruntime {@code doing}: its message on one line, without the "Error code - X - message:" before it. */
    static BadInputException failure(Path model, String doing, OrtException e) {
      String m = String.valueOf(e.getMessage()).replaceFirst("^Error code - \\S+ - message: ", "").strip().replaceAll("\\s*\\R\\s*", "; ");
      return new BadInputException(model + ": onnxruntime " + doing + ": " + m);
    }

    /**
     * The model's one input, a float tensor; refused in one line naming the file when it has several,
     * or another type.
     */
    static NodeInfo input(OrtSession session, Path model) throws OrtException {
      if (session.getNumInputs() != 1) throw new BadInputException(model + ": takes " + session.getNumInputs() + " inputs; the benchmarks give one");
      NodeInfo in = session.getInputInfo().values().iterator().next();
      if (!(in.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
        throw new BadInputException(model + ": input " + in.getName() + " is " + in.getInfo() + ", not a float tensor");
      }
      return in;
    }

    /**
     * Refuses in one line naming the file a model whose first output is not a float tensor: bench reads
     * it as floats to compare with netc's ({@link #run}). ort-profile never reads an output, and profiles
     * such a model.
     */
    static void floatOutput(OrtSession session, Path model) throws OrtException {
      NodeInfo out = session.getOutputInfo().values().iterator().next();
      if (!(out.getInfo() instanceof TensorInfo o) || o.type != OnnxJavaType.FLOAT) {
        throw new BadInputException(model + ": output " + out.getName() + " is " + out.getInfo() + ", not a float tensor");
      }
    }

    /**
     * Null when an ONNX input of {@code shape} takes {@code expected}: the same rank, and each fixed
     * dimension equal (a symbolic one, negative, takes any size); otherwise its {@link #shapeText}.
     */
    static String shapeProblem(long[] shape, String[] names, long[] expected) {
      boolean fits = shape.length == expected.length;
      for (int i = 0; fits && i < shape.length; i++) fits = shape[i] < 0 || shape[i] == expected[i];
      return fits ? null : shapeText(shape, names);
    }

    /** An ONNX input's shape as text: "[N, 3, 224, 224]", a symbolic dimension by its name ("?" when it has none). */
    static String shapeText(long[] shape, String[] names) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < shape.length; i++) {
        if (i > 0) b.append(", ");
        b.append(shape[i] >= 0 ? String.valueOf(shape[i]) : names != null && names[i] != null && !names[i].isEmpty() ? names[i] : "?");
      }
      return b.append(']').toString();
    }

    /**
     * Makes the inputs of {@code xs} (the checked shape), takes the first, and runs the first call; a call ONNX Runtime
     * refuses is one line naming the file.
     */
    void start(float[]... xs) throws OrtException {
      inputs = new OnnxTensor[xs.length];
      for (int i = 0; i < xs.length; i++) inputs[i] = OnnxTensor.createTensor(env, FloatBuffer.wrap(xs[i]), shape);
      input = inputs[0];
      long t0 = System.nanoTime();
      long[] outShape;
      try (OrtSession.Result r = session.run(Collections.singletonMap(inputName, input))) {
        outShape = ((OnnxTensor) r.get(0)).getInfo().getShape();
      } catch (OrtException e) {
        throw failure(model, "cannot run it on " + Arrays.toString(shape), e);
      }
      firstMs = (System.nanoTime() - t0) / 1e6;
      // Later calls write into one output tensor over a direct buffer, made here, as netc's calls write into an array
      // made before them: reading ONNX Runtime's own output back into Java arrays (a heap copy, then another, and the
      // result objects) was inside its timed calls and not in netc's. The output is read out after the timing.
      long floats = 1;
      for (long d : outShape) floats *= d;
      outBuffer = java.nio.ByteBuffer.allocateDirect(Math.toIntExact(4 * floats)).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
      pinned = OnnxTensor.createTensor(env, outBuffer, outShape);
      outputs = Collections.singletonMap(session.getOutputNames().iterator().next(), pinned);
    }

    String version() {
      return env.getVersion();
    }

    /** The input the next calls of {@link #run} take: {@link #start}'s {@code k}th. */
    Ort use(int k) {
      input = inputs[k];
      return this;
    }

    /** One call into the output {@link #start} made: what the timing covers. */
    Ort run() throws OrtException {
      session.run(Collections.singletonMap(inputName, input), outputs).close(); // a pinned output is not the result's to close
      return this;
    }

    /** The last call's output, copied out of ONNX Runtime's (outside the timing). */
    float[] output() {
      float[] v = new float[outBuffer.capacity()];
      outBuffer.duplicate().rewind().get(v);
      return v;
    }

    @Override
    public void close() throws OrtException {
      if (closed) return;
      closed = true;
      OPEN.decrementAndGet();
      for (OnnxTensor t : inputs) if (t != null) t.close(); // start() may have failed making one
      if (pinned != null) pinned.close();
      session.close();
    }
  }

}
