package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** step-probe's sweeps: sized from the CPU's L3 by default, bounded when given. */
class StepProbeTest {
  /** sysfs writes cache sizes in K (or M, G); a sweep is whole MB, rounded up. */
  @Test
  void cacheSizesAsSysfsWritesThem() {
    assertEquals(32, StepProbe.megabytes("32768K\n"));
    assertEquals(260, StepProbe.megabytes("266240K"));
    assertEquals(1, StepProbe.megabytes("513K"));
    assertEquals(260, StepProbe.megabytes("260M"));
    assertEquals(2048, StepProbe.megabytes("2G"));
    assertEquals(Integer.MAX_VALUE, StepProbe.megabytes("3000000000M"));
    assertEquals(Integer.MAX_VALUE, StepProbe.megabytes("9223372036854775807K"));
    assertThrows(IllegalArgumentException.class, () -> StepProbe.megabytes("-1M"));
    assertThrows(IllegalArgumentException.class, () -> StepProbe.megabytes("32768"));
  }

  /**
   * The default empties L3 too: twice it, at least 256 MB, at most the largest sweep, whatever the
   * size (doubled in int, a size past 1 GiB wrapped to a negative number and got the floor); text
   * that is not a size gives the floor.
   */
  @Test
  void theDefaultLargeSweepIsTwiceTheL3() {
    assertEquals(520, StepProbe.defaultLargeMb("266240K\n"));
    assertEquals(2000, StepProbe.defaultLargeMb("1000M"));
    assertEquals(256, StepProbe.defaultLargeMb("32768K"));
    assertEquals(258, StepProbe.defaultLargeMb("131073K")); // 128 MB and 1 KB: 129 MB, rounded up
    assertEquals(2048, StepProbe.defaultLargeMb("2G"));
    assertEquals(2048, StepProbe.defaultLargeMb("1025M"));
    for (String huge : List.of("1099511627776K", "3000000000M", "1073741824M", "99999999G", "9223372036854775807G")) {
      assertEquals(2048, StepProbe.defaultLargeMb(huge), huge);
    }
    for (String garbage : List.of("", "K", "32768", "big", "-1M", "12.5M")) {
      assertEquals(256, StepProbe.defaultLargeMb(garbage), garbage);
    }
  }

  /**
   * --before past the model's steps ran, under a column headed "after 999 steps" that none was: refused, naming the count.
   */
  @Test
  void moreStepsBeforeThanTheModelHasAreRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path jar = dir.resolve("small.jar");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, netc.cli.Main.run(new String[] {"compile", "../examples/smallnet.net", "-o", jar.toString()},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)), err.toString());
    Cli.UsageException e = assertThrows(Cli.UsageException.class,
        () -> StepProbe.run(new String[] {jar.toString(), "stem", "--before", "999"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals("--before 999: " + jar + " has 11 steps, so at most 10 run before one", e.getMessage());
  }

  /** A sweep of 8 GiB overflowed the array length (a NegativeArraySizeException); sizes out of range are refused in one line first. */
  @Test
  void sweepsOutOfRangeAreRefused() {
    java.util.Map<List<String>, String> refusals = new java.util.LinkedHashMap<>();
    refusals.put(List.of("--large-mb", "8192"), "--large-mb 8192: expected a whole number from 1 to 2048");
    refusals.put(List.of("--small-mb", "0"), "--small-mb 0: expected a whole number from 1 to 2048");
    refusals.put(List.of("--large-mb", "2049"), "--large-mb 2049: expected a whole number from 1 to 2048");
    refusals.put(List.of("--before", "-1"), "--before -1: expected a whole number from 0 to 2147483647");
    // the small sweep larger than the large one was taken: the columns' "empties L2" and "L3" swapped without a word
    refusals.put(List.of("--small-mb", "8", "--large-mb", "1"), "--small-mb 8 is larger than --large-mb 1: the small sweep empties L2, the large one L3");
    // one list of names: a second was "expects a compiled jar and step names", which both had been given
    refusals.put(List.of("conv2"), "takes a compiled jar and one list of step names, comma-separated; got 3 arguments (usage: " + StepProbe.USAGE + ")");
    refusals.forEach((bad, message) -> {
      String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("missing.jar", "conv1"), bad.stream()).toArray(String[]::new);
      Cli.UsageException e = assertThrows(Cli.UsageException.class, () -> StepProbe.run(args, new PrintStream(new ByteArrayOutputStream())));
      assertEquals(message, e.getMessage(), bad.toString());
    });
    // an empty name timed nothing (",") or fewer steps than asked ("conv1,"), exit 0; --runs had no bound (a billion: out of memory)
    for (String names : List.of(",", "conv1,", ",conv1", "conv1,,act1")) {
      Cli.UsageException e = assertThrows(Cli.UsageException.class,
          () -> StepProbe.run(new String[] {"missing.jar", names}, new PrintStream(new ByteArrayOutputStream())));
      assertEquals("an empty step name in '" + names + "': give names separated by single commas (netc profile lists them)", e.getMessage());
    }
    Cli.UsageException runs = assertThrows(Cli.UsageException.class,
        () -> StepProbe.run(new String[] {"missing.jar", "--pool", "2", "--runs", "1000000000"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals("--runs 1000000000: expected a whole number from 1 to 100000", runs.getMessage());
    // with --pool no sweep runs: the sizes were taken and ignored
    Cli.UsageException pooled = assertThrows(Cli.UsageException.class,
        () -> StepProbe.run(new String[] {"missing.jar", "--pool", "2", "--large-mb", "512"}, new PrintStream(new ByteArrayOutputStream())));
    assertEquals("--small-mb and --large-mb size the cache sweeps, which --pool does not run: they go without --pool", pooled.getMessage());
  }
}
