package netc.examples;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import netc.runtime.BadInputException;
import netc.runtime.LargeArrays;
import netc.runtime.io.Json;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * ONNX Runtime's own per-node profile of a model, to set beside {@code netc profile}: where the
 * engine to beat spends its time, node by node (a conv fused with its batch norm, add and relu is
 * one node, named after its output). Same session settings as {@code netc bench}; the figures are
 * means over the middle half of the runs by time, as {@code netc profile} takes them ({@link #report}).
 * Its node time leaves out ONNX Runtime's own work between and around the nodes, as netc profile's
 * "steps" leave out netc's: compare node time with netc's steps, and a whole run with netc's run.
 * <pre>./netc ort-profile M.onnx [THREADS] [RUNS]</pre>
 */
final class OrtProfile {
  private OrtProfile() {}

  static final String USAGE = "netc ort-profile M.onnx [THREADS] [RUNS]   (or --threads N --runs N, not both; --batch B)";

  public static void main(String[] args) {
    Cli.main("ort-profile", args, OrtProfile::run);
  }

  static Options options() {
    return new Options()
        .addOption(Cli.opt("threads", "N", "ONNX Runtime's intra-op threads (default 1; also the second argument)"))
        .addOption(Cli.opt("runs", "N", "profiled runs after the warm-up (default 50; also the third argument; at most " + Bench.MAX_RUNS + ")"))
        .addOption(Cli.opt("batch", "B", "images per run (default 1; at most " + Bench.MAX_BATCH + ")"));
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "ONNX Runtime's own per-node times of an ONNX model, with the session settings of netc bench.",
        options(), null, args, out);
    if (cl == null) return 0;
    List<String> rest = cl.getArgList();
    if (rest.isEmpty()) throw new Cli.UsageException("expects an ONNX model (usage: " + USAGE + ")");
    if (rest.size() > 3) {
      throw new Cli.UsageException("takes an ONNX model, then at most THREADS and RUNS; got " + rest.size() + " arguments (usage: " + USAGE + ")");
    }
    Path model = Path.of(rest.get(0));
    // one count given both ways would silently lose the option's value: refused, not picked between
    if (rest.size() > 1 && cl.hasOption("threads")) {
      throw new Cli.UsageException("THREADS " + rest.get(1) + " and --threads " + cl.getOptionValue("threads") + " both give the thread count; give one");
    }
    if (rest.size() > 2 && cl.hasOption("runs")) {
      throw new Cli.UsageException("RUNS " + rest.get(2) + " and --runs " + cl.getOptionValue("runs") + " both give the number of runs; give one");
    }
    int threads = rest.size() > 1 ? Cli.threads("THREADS", rest.get(1), 1) : Cli.threads(cl, "threads", 1);
    // warm-up + runs must stay an int; each named as the user gave it
    int runs = rest.size() > 2 ? Cli.intArgument("RUNS", rest.get(2), 1, Bench.MAX_RUNS) : Cli.intValue(cl, "runs", 50, 1, Bench.MAX_RUNS);
    int batch = Cli.intValue(cl, "batch", 1, 1, Bench.MAX_BATCH);
    netc.runtime.io.RegularFile.require(model, "cannot read ");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    // the model and batch checked in a session of their own, unoptimized and unprofiled: a profiling
    // session that fails to load prints a line of ONNX Runtime's own ("Could not write a profile") beside
    // the one naming the file
    long[] shape;
    String name;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession check = Bench.Ort.open(env, model, o)) {
        NodeInfo info = Bench.Ort.input(check, model);
        shape = inputShape(model, info, batch);
        name = info.getName();
      }
    }
    Path dir = netc.runtime.io.FileOutput.createTemporaryFolder("netc-ort-profile"); // deleted on Ctrl-C or SIGTERM too
    try (OrtSession.SessionOptions o = Bench.Ort.options(threads)) {
      o.enableProfiling(dir.resolve("ort").toString());
      try (OrtSession session = Bench.Ort.open(env, model, o)) {
        float[] x = new float[(int) (batch * perImage(shape))]; // within an int: inputShape checked
        Random rng = new Random(7);
        for (int i = 0; i < x.length; i++) x[i] = rng.nextFloat();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
          int warmup = Math.max(10, runs / 2);
          try {
            for (int i = 0; i < warmup + runs; i++) session.run(Collections.singletonMap(name, input)).close();
          } catch (OrtException e) {
            throw Bench.Ort.failure(model, "cannot run it on " + java.util.Arrays.toString(shape), e);
          }
          report(Path.of(session.endProfiling()), model.getFileName().toString(), warmup, runs, threads, batch, out);
        }
      }
    } finally {
      netc.codegen.ModelCompiler.deleteTree(dir);
      netc.runtime.io.FileOutput.unregisterTemporary(dir);
    }
    return 0;
  }

  /**
   * The input's shape at {@code batch}: its first dimension the batch (symbolic in torchvision exports,
   * else it must be {@code batch}), every other one fixed, and a batch's values within one Java array;
   * refused in one line naming the file (or --batch) otherwise.
   */
  static long[] inputShape(Path model, NodeInfo info, int batch) {
    TensorInfo t = (TensorInfo) info.getInfo();
    long[] shape = t.getShape();
    String text = Bench.Ort.shapeText(shape, t.getDimensionNames());
    if (shape.length == 0) throw new BadInputException(model + ": input " + info.getName() + " is a scalar: no batch dimension to run");
    if (shape[0] >= 0 && shape[0] != batch) {
      throw new BadInputException(model + ": input " + info.getName() + " has shape " + text + ", a fixed batch of " + shape[0] + ": --batch "
          + batch + " does not fit it");
    }
    for (int i = 1; i < shape.length; i++) {
      if (shape[i] < 0) throw new BadInputException(model + ": input " + info.getName() + " has shape " + text + ": only its batch may be symbolic");
    }
    shape[0] = batch;
    long per = perImage(shape); // long: batch x size wrapped past an int (a negative array size)
    if (per > LargeArrays.MAX_ARRAY) {
      throw new BadInputException(model + ": input " + info.getName() + " has shape " + text + ": an image's values are more than one Java array holds");
    }
    if (per > 0 && batch > LargeArrays.MAX_ARRAY / per) {
      String image = java.util.Arrays.stream(shape, 1, shape.length).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining("x"));
      throw new Cli.UsageException(String.format(java.util.Locale.ROOT, "--batch %d: a batch of %d inputs of %s takes %,d floats, more than the"
          + " %,d one Java array holds; %s takes batches of %d at most", batch, batch, image, batch * per, LargeArrays.MAX_ARRAY,
          model.getFileName(), LargeArrays.MAX_ARRAY / per));
    }
    return shape;
  }

  /** The values of one image, the product of the dimensions after the batch; past {@link LargeArrays#MAX_ARRAY}, a value past it. */
  private static long perImage(long[] shape) {
    long per = 1, past = LargeArrays.MAX_ARRAY + 1L;
    for (int i = 1; i < shape.length; i++) per = Math.min(past, per * Math.min(shape[i], past)); // both at most 2^31: no overflow
    return per;
  }

  /** {@link #report(List, String, String, int, int, int, int, PrintStream)} of the profile ONNX Runtime wrote to {@code json}. */
  @SuppressWarnings("unchecked")
  private static void report(Path json, String model, int warmup, int runs, int threads, int batch, PrintStream out) throws Exception {
    report((List<Object>) Json.parse(Files.readString(json)), json.toString(), model, warmup, runs, threads, batch, out);
  }

  /**
   * Kernel time per node, largest first, and their total, as {@code netc profile} gives its steps: each
   * timed run's node times summed, the middle half of the runs by that sum kept
   * ({@link netc.cli.ProfileCommand#middleHalf}), and every figure the mean over the kept runs, so that a run
   * the host slowed moves none of them and the nodes still add up to the total. A node's event belongs to
   * the run that started last before it (ONNX Runtime writes a run's event after its nodes', with the run's
   * start). {@code source} names the profile in an error.
   */
  @SuppressWarnings("unchecked")
  static void report(List<Object> events, String source, String model, int warmup, int runs, int threads, int batch, PrintStream out) {
    List<Long> starts = new java.util.ArrayList<>();
    Map<Long, Long> runDur = new java.util.HashMap<>(); // each run's whole time, by its start
    for (Object e : events) {
      Map<String, Object> m = (Map<String, Object>) e;
      if ("Session".equals(m.get("cat")) && "model_run".equals(m.get("name"))) {
        long ts = ((Number) m.get("ts")).longValue();
        starts.add(ts);
        runDur.put(ts, ((Number) m.get("dur")).longValue());
      }
    }
    if (starts.size() < warmup + runs) { // a profile cut short (ONNX Runtime's file size limit) would print a mean over runs it lacks
      throw new IllegalStateException(source + " holds " + starts.size() + " runs of the model; expected " + warmup + " of warm-up and " + runs + " timed");
    }
    java.util.Collections.sort(starts);
    long[] timed = starts.subList(warmup, warmup + runs).stream().mapToLong(Long::longValue).toArray();
    Map<String, long[]> nodes = new LinkedHashMap<>(); // microseconds of each node in each timed run
    Map<String, String> ops = new LinkedHashMap<>();
    long[] runMicros = new long[runs];
    for (Object e : events) {
      Map<String, Object> m = (Map<String, Object>) e;
      String n = (String) m.get("name");
      if (!"Node".equals(m.get("cat")) || n == null || !n.endsWith("_kernel_time")) continue;
      int run = java.util.Arrays.binarySearch(timed, ((Number) m.get("ts")).longValue());
      run = run >= 0 ? run : -run - 2; // the last run started at or before the event; -1: a warm-up run's
      if (run < 0) continue;
      n = n.substring(0, n.length() - "_kernel_time".length());
      long dur = ((Number) m.get("dur")).longValue();
      nodes.computeIfAbsent(n, k -> new long[runs])[run] += dur;
      runMicros[run] += dur;
      ops.put(n, String.valueOf(((Map<String, Object>) m.get("args")).get("op_name")));
    }
    int[] kept = netc.cli.ProfileCommand.middleHalf(runMicros);
    Map<String, Double> means = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : nodes.entrySet()) {
      long sum = 0;
      for (int r : kept) sum += e.getValue()[r];
      means.put(e.getKey(), sum / 1e3 / kept.length);
    }
    double total = means.values().stream().mapToDouble(Double::doubleValue).sum();
    double whole = 0;
    for (int r : kept) whole += runDur.get(timed[r]) / 1e3 / kept.length;
    out.printf("onnxruntime %s, batch %d, %d thread%s: %.2f ms of node time per run, %.2f ms a whole run (mean of the middle %d of %d runs by"
        + " node time)%n", model, batch, threads, threads == 1 ? "" : "s", total, whole, kept.length, runs);
    means.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> out.printf("  %8.3f ms  %5.1f%%  %-10s %s%n", e.getValue(), 100 * e.getValue() / total, ops.get(e.getKey()), e.getKey()));
  }
}
