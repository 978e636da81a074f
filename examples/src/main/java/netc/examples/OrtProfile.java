package netc.examples;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import netc.runtime.io.Json;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * ONNX Runtime's own per-node profile of a model, to set beside {@code netc profile}: where the
 * engine to beat spends its time, node by node (a conv fused with its batch norm, add and relu is
 * one node, named after its output). Same session settings as {@code netc bench}.
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
        .addOption(Cli.opt("runs", "N", "profiled runs after the warm-up (default 50; also the third argument)"))
        .addOption(Cli.opt("batch", "B", "images per run (default 1)"));
  }

  static int run(String[] args, PrintStream out) throws Exception {
    CommandLine cl = Cli.parse(USAGE, "ONNX Runtime's own per-node times of an ONNX model, with the session settings of netc bench.",
        options(), null, args, out);
    if (cl == null) return 0;
    List<String> rest = cl.getArgList();
    if (rest.isEmpty() || rest.size() > 3) throw new Cli.UsageException("expects an ONNX model (usage: " + USAGE + ")");
    Path model = Path.of(rest.get(0));
    // one count given both ways would silently lose the option's value: refused, not picked between
    if (rest.size() > 1 && cl.hasOption("threads")) {
      throw new Cli.UsageException("THREADS " + rest.get(1) + " and --threads " + cl.getOptionValue("threads") + " both give the thread count; give one");
    }
    if (rest.size() > 2 && cl.hasOption("runs")) {
      throw new Cli.UsageException("RUNS " + rest.get(2) + " and --runs " + cl.getOptionValue("runs") + " both give the number of runs; give one");
    }
    int threads = rest.size() > 1 ? Cli.intArgument("THREADS", rest.get(1)) : Cli.intValue(cl, "threads", 1);
    int runs = rest.size() > 2 ? Cli.intArgument("RUNS", rest.get(2)) : Cli.intValue(cl, "runs", 50);
    int batch = Cli.intValue(cl, "batch", 1);
    if (threads < 1 || runs < 1 || batch < 1) throw new Cli.UsageException("threads, runs and batch must be positive");
    if (!Files.isRegularFile(model)) throw new netc.runtime.BadInputException("cannot read " + model + ": no such file");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path dir = Files.createTempDirectory("netc-ort-profile");
    try (OrtSession.SessionOptions o = Bench.Ort.options(threads)) {
      o.enableProfiling(dir.resolve("ort").toString());
      try (OrtSession session = env.createSession(model.toString(), o)) {
        if (!(session.getInputInfo().values().iterator().next().getInfo() instanceof ai.onnxruntime.TensorInfo info)) {
          throw new IllegalArgumentException(model + ": the first input is not a tensor");
        }
        long[] shape = info.getShape();
        shape[0] = batch; // the batch dimension, symbolic in torchvision exports
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] x = new float[n];
        Random rng = new Random(7);
        for (int i = 0; i < n; i++) x[i] = rng.nextFloat();
        String name = session.getInputNames().iterator().next();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
          int warmup = Math.max(10, runs / 2);
          for (int i = 0; i < warmup + runs; i++) session.run(Collections.singletonMap(name, input)).close();
          report(Path.of(session.endProfiling()), model.getFileName().toString(), warmup, runs, threads, batch);
        }
      }
    } finally {
      netc.codegen.ModelCompiler.deleteTree(dir);
    }
    return 0;
  }

  /** Mean kernel time per node over the runs after the warm-up ones, largest first, and the total. */
  @SuppressWarnings("unchecked")
  private static void report(Path json, String model, int warmup, int runs, int threads, int batch) throws Exception {
    List<Object> events = (List<Object>) Json.parse(Files.readString(json));
    long start = Long.MAX_VALUE;
    int seen = 0;
    for (Object e : events) {
      Map<String, Object> m = (Map<String, Object>) e;
      if ("Session".equals(m.get("cat")) && "model_run".equals(m.get("name")) && seen++ == warmup) start = ((Number) m.get("ts")).longValue();
    }
    if (seen < warmup + runs) { // a profile cut short (ONNX Runtime's file size limit) would print a mean over runs it lacks
      throw new IllegalStateException(json + " holds " + seen + " runs of the model; expected " + warmup + " of warm-up and " + runs + " timed");
    }
    Map<String, Double> nodes = new LinkedHashMap<>();
    Map<String, String> ops = new LinkedHashMap<>();
    for (Object e : events) {
      Map<String, Object> m = (Map<String, Object>) e;
      String n = (String) m.get("name");
      if (!"Node".equals(m.get("cat")) || n == null || !n.endsWith("_kernel_time") || ((Number) m.get("ts")).longValue() < start) continue;
      n = n.substring(0, n.length() - "_kernel_time".length());
      nodes.merge(n, ((Number) m.get("dur")).doubleValue() / 1e3 / runs, Double::sum);
      ops.put(n, String.valueOf(((Map<String, Object>) m.get("args")).get("op_name")));
    }
    double total = nodes.values().stream().mapToDouble(Double::doubleValue).sum();
    System.out.printf("onnxruntime %s, batch %d, %d thread%s: %.2f ms of node time per run (mean of %d)%n", model, batch, threads,
        threads == 1 ? "" : "s", total, runs);
    nodes.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> System.out.printf("  %8.3f ms  %5.1f%%  %-10s %s%n", e.getValue(), 100 * e.getValue() / total, ops.get(e.getKey()), e.getKey()));
  }
}
