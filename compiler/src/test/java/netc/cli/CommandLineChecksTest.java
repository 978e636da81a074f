package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the command line refuses before any work: each a single line naming the option and the problem, and its exit status. */
class CommandLineChecksTest {
  @TempDir Path dir;

  static final String SMALL = "../examples/smallnet.net";

  /** -o old.jar -o new.jar wrote old.jar and said nothing: an option given twice is refused, the repeatable ones excepted. */
  @Test
  void anOptionGivenTwiceIsRefused() {
    Path a = dir.resolve("old.jar"), b = dir.resolve("new.jar");
    Object[] r = netc("compile", SMALL, "-o", a.toString(), "-o", b.toString());
    assertEquals(2, r[0]);
    assertEquals("netc compile: -o/--output is given twice (" + a + ", then " + b + "): give it once (usage: " + CompileCommand.USAGE + ")\n", r[2]);
    assertFalse(Files.exists(a) || Files.exists(b));
    r = netc("compile", SMALL, "-o", a.toString(), "--output", b.toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc compile: -o/--output is given twice (" + a + ", then " + b + "): give it once (usage: "), (String) r[2]);
    r = netc("compile", SMALL, "-o", a.toString(), "--thin", "--thin");
    assertEquals(2, r[0]);
    assertEquals("netc compile: --thin is given twice: give it once (usage: " + CompileCommand.USAGE + ")\n", r[2]);
    r = netc("summary", SMALL, "--depth", "1", "--depth", "2");
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc summary: --depth is given twice (1, then 2): give it once (usage: "), (String) r[2]);
    assertFalse(Files.exists(a) || Files.exists(b));
    // -D, --import-path and --disable-pass add a value each time
    r = netc("summary", SMALL, "-D", "size=64", "-D", "classes=7", "--import-path", dir.toString(), "--import-path", "../examples");
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).contains("[N, 7]"), (String) r[1]);
    r = netc("inspect", SMALL, "--disable-pass", "winograd", "--disable-pass", "fuse-activation");
    assertEquals(0, r[0], (String) r[2]);
  }

  /** profile's numbers: --threads x was an internal error (exit 3), --runs 0 printed NaN, --threads 100000 started 100,000 threads. */
  @Test
  void profileRefusesNumbersOutOfRange() {
    String jar = dir.resolve("m.jar").toString();
    List<String[]> calls = List.of(new String[] {"--threads", "x"}, new String[] {"--threads", "0"}, new String[] {"--threads", "100000"},
        new String[] {"--runs", "0"}, new String[] {"--runs", "1000000"}, new String[] {"--batch", "-1"}, new String[] {"--batch", "y"},
        new String[] {"--batch", "1025"});
    List<String> errors = List.of("--threads x: expected a whole number from 1 to 1024", "--threads 0: expected a whole number from 1 to 1024",
        "--threads 100000: expected a whole number from 1 to 1024", "--runs 0: expected a whole number from 1 to 100000",
        "--runs 1000000: expected a whole number from 1 to 100000", "--batch -1: expected a whole number from 1 to 1024",
        "--batch y: expected a whole number from 1 to 1024", "--batch 1025: expected a whole number from 1 to 1024");
    for (int i = 0; i < calls.size(); i++) {
      Object[] r = netc("profile", jar, calls.get(i)[0], calls.get(i)[1]);
      assertEquals(2, r[0], String.join(" ", calls.get(i)));
      assertEquals("netc profile: " + errors.get(i) + "\n", r[2]);
    }
    Object[] r = netc("demo", "--threads", "2000000000");
    assertEquals(2, r[0]);
    assertEquals("netc demo: --threads 2000000000: expected a whole number from 1 to 1024\n", r[2]);
  }
}
