package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

/** The benchmark entry points ./netc routes here answer --help and -h with their options described, and name themselves in errors. */
class HelpTest {
  private record Entry(Cli.Body body, Options options) {}

  private static final Map<String, Entry> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("bench", new Entry(Bench::run, Bench.options()));
    COMMANDS.put("compare", new Entry(CompareJars::run, CompareJars.options()));
    COMMANDS.put("ort-profile", new Entry(OrtProfile::run, OrtProfile.options()));
    COMMANDS.put("step-probe", new Entry(StepProbe::run, StepProbe.options()));
  }

  /** {exit status, stdout, stderr}. */
  private static String[] run(String command, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Cli.run(command, args, COMMANDS.get(command).body(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void everyEntryPointDescribesEveryOption() {
    for (String command : COMMANDS.keySet()) {
      for (String help : new String[] {"--help", "-h"}) {
        String[] r = run(command, help);
        String what = command + " " + help;
        assertEquals("0", r[0], what + ": " + r[2]);
        assertEquals("", r[2], what);
        assertTrue(r[1].startsWith("usage: netc " + command + " "), what + ":\n" + r[1]);
        String flat = r[1].replaceAll("\\s+", " ");
        for (Option o : COMMANDS.get(command).options().getOptions()) {
          assertTrue(flat.contains(o.getDescription().replaceAll("\\s+", " ")), what + " describes " + o + ":\n" + r[1]);
        }
        assertTrue(r[1].contains("-h,--help") && r[1].contains("show this help"), what + ":\n" + r[1]);
      }
    }
  }

  @Test
  void ortProfileHelpIsNotReadAsAFileName() {
    // before: "cannot read --help: no such file"
    String[] r = run("ort-profile", "--help");
    assertTrue(r[1].contains("--threads <N>") && !r[2].contains("cannot read"), r[1] + r[2]);
  }

  @Test
  void errorsNameTheCommand() {
    String[][] cases = {
      {"bench"}, {"bench", "x.net", "--batch", "two"}, {"bench", "--bogus", "x.net"}, {"bench", "no/such.net"},
      {"compare"}, {"compare", "no/such.jar"}, {"compare", "a.jar", "--runs", "x"}, {"compare", "a.jar", "--steps", "conv"},
      {"ort-profile"}, {"ort-profile", "no/such.onnx"}, {"ort-profile", "m.onnx", "two"},
      {"step-probe", "a.jar"}, {"step-probe", "no/such.jar", "conv1"}, {"step-probe", "a.jar", "s", "--before", "x"},
    };
    for (String[] c : cases) {
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      String[] r = run(c[0], args);
      String what = String.join(" ", c);
      assertTrue(r[0].equals("1") || r[0].equals("2"), what + ": exit " + r[0] + " " + r[2]);
      assertTrue(r[2].startsWith("netc " + c[0] + ": "), what + ": " + r[2]);
      assertEquals(1, r[2].lines().count(), what + ": " + r[2]);
    }
    assertEquals("netc compare: cannot read no/such.jar: no such file\n", run("compare", "no/such.jar")[2]);
    assertEquals("netc bench: --batch two: expected a whole number from 1 to 1024\n", run("bench", "x.net", "--batch", "two")[2]);
    // a negative count as an argument: commons-cli takes it for an option
    String[] r = run("ort-profile", "m.onnx", "-1");
    assertEquals("2", r[0], r[2]);
    assertTrue(r[2].startsWith("netc ort-profile: -1: a negative number, read as an option (no argument of netc's is negative) (usage: "), r[2]);
  }
}
