package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** ort-profile's command line: the thread and run counts given once, as an argument or as an option. */
class OrtProfileTest {
  /** {exit status, stderr}. */
  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Cli.run("ort-profile", args, OrtProfile::run, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), err.toString(StandardCharsets.UTF_8)};
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
}
