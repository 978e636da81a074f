package netc.examples;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import netc.runtime.io.Json;

/**
 * ONNX Runtime's own per-node profile of a model, to set beside {@code netc profile}: where the
 * engine to beat spends its time, node by node (a conv fused with its batch norm, add and relu is
 * one node, named after its output). Same session settings as {@code netc bench}.
 * <pre>./netc ort-profile M.onnx [THREADS] [RUNS]</pre>
 */
final class OrtProfile {
  private OrtProfile() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: netc ort-profile M.onnx [THREADS (default 1)] [RUNS (default 50)]");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1, runs = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    if (!Files.isRegularFile(model)) {
      System.err.println("netc ort-profile: cannot read " + model + ": no such file");
      System.exit(1);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path dir = Files.createTempDirectory("netc-ort-profile");
    try (OrtSession.SessionOptions o = Bench.Ort.options(threads)) {
      o.enableProfiling(dir.resolve("ort").toString());
      try (OrtSession session = env.createSession(model.toString(), o)) {
        if (!(session.getInputInfo().values().iterator().next().getInfo() instanceof ai.onnxruntime.TensorInfo info)) {
          throw new IllegalArgumentException(model + ": the first input is not a tensor");
        }
        long[] shape = info.getShape();
        shape[0] = 1; // the batch dimension, symbolic in torchvision exports
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] x = new float[n];
        Random rng = new Random(7);
        for (int i = 0; i < n; i++) x[i] = rng.nextFloat();
        String name = session.getInputNames().iterator().next();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
          int warmup = Math.max(10, runs / 2);
          for (int i = 0; i < warmup + runs; i++) session.run(Collections.singletonMap(name, input)).close();
          report(Path.of(session.endProfiling()), model.getFileName().toString(), warmup, runs, threads);
        }
      }
    } finally {
      netc.codegen.ModelCompiler.deleteTree(dir);
    }
  }

  /** Mean kernel time per node over the runs after the warm-up ones, largest first, and the total. */
  @SuppressWarnings("unchecked")
  private static void report(Path json, String model, int warmup, int runs, int threads) throws Exception {
    List<Object> events = (List<Object>) Json.parse(Files.readString(json));
    long start = Long.MAX_VALUE;
    int seen = 0;
    for (Object e : events) {
      Map<String, Object> m = (Map<String, Object>) e;
      if ("Session".equals(m.get("cat")) && "model_run".equals(m.get("name")) && seen++ == warmup) start = ((Number) m.get("ts")).longValue();
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
    System.out.printf("onnxruntime %s, %d thread%s: %.2f ms of node time per run (mean of %d)%n", model, threads,
        threads == 1 ? "" : "s", total, runs);
    nodes.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> System.out.printf("  %8.3f ms  %5.1f%%  %-10s %s%n", e.getValue(), 100 * e.getValue() / total, ops.get(e.getKey()), e.getKey()));
  }
}
