package netc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.Option;
import org.junit.jupiter.api.Test;

/** Every command answers --help and -h with its options described, exit 0, even with required options missing. */
class HelpTest {
  /** {exit status, stdout, stderr} of an in-process run. */
  private static String[] netc(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  /** Whitespace collapsed: HelpFormatter wraps long descriptions. */
  private static String flat(String s) {
    return s.replaceAll("\\s+", " ");
  }

  @Test
  void everyCommandDescribesEveryOption() {
    for (Map.Entry<String, Main.Command> e : Main.COMMANDS.entrySet()) {
      List<String[]> invocations = new ArrayList<>();
      invocations.add(new String[] {e.getKey(), "--help"});
      invocations.add(new String[] {e.getKey(), "-h"});
      if (e.getKey().equals("weights")) {
        invocations.add(new String[] {"weights", "init", "--help"});
        invocations.add(new String[] {"weights", "init", "-h"});
      }
      for (String[] args : invocations) {
        String what = String.join(" ", args);
        String[] r = netc(args);
        assertEquals("0", r[0], what + ": " + r[2]);
        assertEquals("", r[2], what);
        assertTrue(r[1].startsWith("usage: ") && r[1].lines().findFirst().get().contains("netc " + e.getKey()), what + ":\n" + r[1]);
        for (Option o : e.getValue().options().getOptions()) {
          assertTrue(flat(r[1]).contains(flat(o.getDescription())), what + " describes " + o + ":\n" + r[1]);
          String name = o.getLongOpt() != null ? "--" + o.getLongOpt() : "-" + o.getOpt();
          assertTrue(r[1].contains(name), what + " names " + name + ":\n" + r[1]);
        }
        assertTrue(r[1].contains("-h,--help") && r[1].contains("show this help"), what + ":\n" + r[1]);
      }
    }
  }

  @Test
  void helpWinsOverAMissingRequiredOption() {
    // before: "netc compile: Missing required option: o", exit 2
    String[] r = netc("compile", "examples/resnet18.net", "--help");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("-o,--output <OUT.jar>") && r[1].contains("the jar to write"), r[1]);
  }

  @Test
  void withoutHelpARequiredOptionIsStillRequired() {
    String[] r = netc("compile", "x.net");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("netc compile: Missing required option: o"), r[2]);
  }

  @Test
  void versionNamesNetcAndJava() {
    for (String v : new String[] {"--version", "version", "-V"}) {
      String[] r = netc(v);
      assertEquals("0", r[0], v);
      assertTrue(r[1].matches("netc \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java " + java.util.regex.Pattern.quote(System.getProperty("java.version")) + ", .*\\)\\R"),
          v + ": " + r[1]);
    }
  }

  /** netc help compile gives compile's help (it gave the general usage, the word ignored); a word --version cannot use is refused. */
  @Test
  void helpOfACommandIsItsHelpAndExtraWordsAreRefused() {
    for (String command : Main.COMMANDS.keySet()) {
      String[] r = netc("help", command), own = netc(command, "--help");
      assertEquals("0", r[0], command + ": " + r[2]);
      assertEquals(own[1], r[1], command);
    }
    String[] r = netc("help", "nosuch");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("netc help: unknown command 'nosuch'\nusage: netc COMMAND"), r[2]);
    r = netc("--help", "compile", "run");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("netc --help: expects one command, got compile run\n"), r[2]);
    r = netc("--version", "--bogus");
    assertEquals("2", r[0]);
    assertEquals("", r[1]);
    assertEquals("netc --version: takes no arguments, got --bogus\n", r[2]);
  }

  @Test
  void errorsNameTheCommand() {
    String[][] cases = {
      {"compile", "a.net", "b.net", "-o", "x.jar"},
      {"run", "nosuch.net", "-i", "x.npy", "-o", "y.npy", "--reference"},
      {"inspect", "--bogus"},
      {"summary", "nosuch.net"},
      {"weights", "export"},
      {"profile", "nosuch.jar"},
      {"demo", "--threads"},
    };
    for (String[] args : cases) {
      String[] r = netc(args);
      assertTrue(!r[0].equals("0") && r[2].startsWith("netc " + args[0] + ": "), String.join(" ", args) + ": " + r[0] + " " + r[2]);
    }
  }
}
