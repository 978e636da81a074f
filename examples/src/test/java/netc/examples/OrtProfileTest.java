package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ort-profile: its command line (the thread and run counts given once, as an argument or as an option), its figures, its refusals. */
class OrtProfileTest {
  /** {exit status, stderr, stdout}. */
  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Cli.run("ort-profile", args, OrtProfile::run, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), err.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8)};
  }

  /** THREADS 2 with --threads 4 silently ran 2 threads (RUNS with --runs likewise): the two forms together are refused. */
  @Test
  void aCountGivenBothWaysIsRefused() {
    String[] r = run("missing.onnx", "2", "--threads", "4");
    assertEquals("2", r[0]);
    assertEquals("netc ort-profile: THREADS 2 and --threads 4 both give the thread count; give one\n", r[1]);
    r = run("missing.onnx", "2", "30", "--runs", "40");
    assertEquals("2", r[0]);
    assertEquals("netc ort-profile: RUNS 30 and --runs 40 both give the number of runs; give one\n", r[1]);
    // each form alone is accepted: the model's absence is what stops these
    for (String[] args : new String[][] {{"missing.onnx", "2", "30"}, {"missing.onnx", "--threads", "4", "--runs", "40"}}) {
      r = run(args);
      assertEquals("1", r[0], r[1]);
      assertEquals("netc ort-profile: cannot read missing.onnx: no such file\n", r[1]);
    }
  }

  /** A thread count past the runtime's bound is a usage error in either form, as in every netc command. */
  @Test
  void aThreadCountPastTheBoundIsRefused() {
    String[] r = run("missing.onnx", "--threads", "100000");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc ort-profile: --threads 100000: expected a whole number from 1 to 1024\n", r[1]);
    r = run("missing.onnx", "1025");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc ort-profile: THREADS 1025: expected a whole number from 1 to 1024\n", r[1]);
  }

  /** A run count past the bound is named as it was given: --runs 100001 was reported as "RUNS 100001". */
  @Test
  void aRunCountPastTheBoundIsNamedAsGiven() {
    String[] r = run("missing.onnx", "--runs", "100001");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc ort-profile: --runs 100001: expected a whole number from 1 to 100000\n", r[1]);
    r = run("missing.onnx", "1", "100001");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc ort-profile: RUNS 100001: expected a whole number from 1 to 100000\n", r[1]);
    r = run("missing.onnx", "1", "0");
    assertEquals("netc ort-profile: RUNS 0: expected a whole number from 1 to 100000\n", r[1]); // was "threads, runs and batch must be positive"
    r = run("missing.onnx", "--batch", "0");
    assertEquals("netc ort-profile: --batch 0: expected a whole number from 1 to 1024\n", r[1]);
    // a fourth argument was "expects an ONNX model", which had been given
    r = run("missing.onnx", "1", "5", "7");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc ort-profile: takes an ONNX model, then at most THREADS and RUNS; got 4 arguments (usage: " + OrtProfile.USAGE + ")\n", r[1]);
  }

  /** One event of ONNX Runtime's profile: {@code cat} Session or Node, times in microseconds. */
  private static Map<String, Object> event(String cat, String name, long ts, long dur, String op) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cat", cat);
    m.put("name", name);
    m.put("ts", ts);
    m.put("dur", dur);
    if (op != null) m.put("args", Map.of("op_name", op));
    return m;
  }

  /**
   * The figures are those of netc profile: each run's node times summed, the middle half of the runs by
   * that sum kept (a run the host slowed, and the fastest, moved the plain mean of all), and every figure
   * the mean over the kept runs, so that the nodes still add up to the header's.
   */
  @Test
  void theFiguresAreTheMeansOfTheMiddleHalfOfTheRunsAsNetcProfileTakes() throws Exception {
    // one warm-up run, then four: nodes a (Conv) and b (Relu), in microseconds; each run's model_run
    // event follows its nodes' events, as ONNX Runtime writes them, and gives the run's start
    long[][] runs = {{50_000, 9_000}, {3_000, 1_000}, {30_000, 2_000}, {1_000, 1_000}, {4_000, 2_000}};
    List<Object> events = new ArrayList<>();
    long ts = 1_000;
    for (long[] r : runs) {
      long start = ts;
      events.add(event("Node", "a_kernel_time", ts + 10, r[0], "Conv"));
      events.add(event("Node", "a_fence_before", ts + 5, 0, "Conv")); // not a kernel time
      events.add(event("Node", "b_kernel_time", ts + 20 + r[0], r[1], "Relu"));
      ts += r[0] + r[1] + 100;
      events.add(event("Session", "model_run", start, ts - start, null));
      ts += 50;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OrtProfile.report(events, "p.json", "m.onnx", 1, 4, 2, 1, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    // kept: the runs of 4 and 6 ms (2 ms and 32 ms dropped); the plain mean of the four was 11 ms; the whole
    // runs (model_run) 0.1 ms longer each: ONNX Runtime's time around its nodes, which netc profile's run counts
    assertEquals(List.of("onnxruntime m.onnx, batch 1, 2 threads: 5.00 ms of node time per run, 5.10 ms a whole run (mean of the middle 2 of 4"
        + " runs by node time)",
        "     3.500 ms   70.0%  Conv       a",
        "     1.500 ms   30.0%  Relu       b"), bytes.toString(StandardCharsets.UTF_8).lines().toList());
  }

  /** A profile holding fewer runs than were made (ONNX Runtime's file size limit) is refused, not averaged over the runs it lacks. */
  @Test
  void aProfileCutShortIsRefused() {
    List<Object> events = List.of(event("Session", "model_run", 0, 10, null), event("Node", "a_kernel_time", 1, 5, "Conv"));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> OrtProfile.report(events, "p.json", "m.onnx", 1, 4, 1, 1, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    assertEquals("p.json holds 1 runs of the model; expected 1 of warm-up and 4 timed", e.getMessage());
  }

  /** ONNX Runtime's own profile of a one-node model, end to end: its header line and the node. */
  @Test
  void profilesAModel(@TempDir Path dir) throws Exception {
    Path model = TinyOnnx.relu(dir.resolve("relu.onnx"), -1, 3, 8, 8);
    String[] r = run(model.toString(), "1", "6", "--batch", "2");
    assertEquals("0", r[0], r[1]);
    List<String> lines = r[2].lines().toList();
    assertTrue(lines.get(0).matches("onnxruntime relu\\.onnx, batch 2, 1 thread: \\d+\\.\\d\\d ms of node time per run, \\d+\\.\\d\\d ms a whole run"
        + " \\(mean of the middle 4 of 6 runs by node time\\)"), r[2]);
    assertEquals(2, lines.size(), r[2]);
    assertTrue(lines.get(1).matches(" +\\d+\\.\\d{3} ms  100\\.0%  Relu       r"), r[2]);
  }

  /**
   * A model whose output is not float (here int64) is profiled: profiling never reads an output; only
   * bench, which compares outputs, refused it.
   */
  @Test
  void profilesAModelWithAnInt64Output(@TempDir Path dir) throws Exception {
    Path model = TinyOnnx.castToInt64(dir.resolve("cast.onnx"), -1, 3, 8, 8);
    String[] r = run(model.toString(), "1", "4");
    assertEquals("0", r[0], r[1]);
    List<String> lines = r[2].lines().toList();
    assertEquals(2, lines.size(), r[2]);
    assertTrue(lines.get(0).startsWith("onnxruntime cast.onnx, batch 1, 1 thread: "), r[2]);
    assertTrue(lines.get(1).matches(" +\\d+\\.\\d{3} ms  100\\.0%  Cast       c"), r[2]);
  }

  /**
   * A file ONNX Runtime cannot load, a batch the model's fixed one refuses, and a batch past one Java
   * array: each one line naming the file (or the option), not an internal error's exception.
   */
  @Test
  void aModelOrBatchOnnxRuntimeRefusesIsOneLine(@TempDir Path dir) throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.onnx"), "not a model");
    String[] r = run(garbage.toString());
    assertEquals("1", r[0], r[1]);
    // a file netc's reader refuses too is said as it says it, placed in the file (onnxruntime's messages name its C++ source)
    assertEquals("netc ort-profile: " + garbage + ": not an ONNX model, or truncated: in the model at byte 1: Protocol message tag had invalid wire type."
        + " (onnxruntime cannot load it either)\n", r[1]);
    Path fixed = TinyOnnx.relu(dir.resolve("fixed.onnx"), 1, 3, 8, 8);
    r = run(fixed.toString(), "--batch", "2");
    assertEquals("1", r[0], r[1]);
    assertEquals("netc ort-profile: " + fixed + ": input x has shape [1, 3, 8, 8], a fixed batch of 1: --batch 2 does not fit it\n", r[1]);
    // 14267 x 3x224x224 wrapped past an int (a negative array size); within --batch's bound of 1024 since, so of 3x1024x1024
    Path size = TinyOnnx.relu(dir.resolve("size.onnx"), -1, 3, 1024, 1024);
    r = run(size.toString(), "--batch", "683");
    assertEquals("2", r[0], r[1]);
    assertEquals("netc ort-profile: --batch 683: a batch of 683 inputs of 3x1024x1024 takes 2,148,532,224 floats, more than the 2,147,483,639"
        + " one Java array holds; size.onnx takes batches of 682 at most\n", r[1]);
  }
}
