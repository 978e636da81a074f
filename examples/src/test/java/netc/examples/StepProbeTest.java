package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    assertThrows(IllegalArgumentException.class, () -> StepProbe.megabytes("32768"));
  }

  /** The default empties L3 too: twice it, at least 256 MB, at most the largest sweep. */
  @Test
  void theDefaultLargeSweepIsTwiceTheL3() {
    int mb = StepProbe.defaultLargeMb();
    assertTrue(mb >= StepProbe.MIN_LARGE_MB && mb <= StepProbe.MAX_SWEEP_MB, "" + mb);
  }

  /** A sweep of 8 GiB overflowed the array length (a NegativeArraySizeException); sizes out of range are refused in one line first. */
  @Test
  void sweepsOutOfRangeAreRefused() {
    for (List<String> bad : List.of(List.of("--large-mb", "8192"), List.of("--small-mb", "0"), List.of("--large-mb", "2049"))) {
      String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("missing.jar", "conv1"), bad.stream()).toArray(String[]::new);
      Cli.UsageException e = assertThrows(Cli.UsageException.class, () -> StepProbe.run(args, new PrintStream(new ByteArrayOutputStream())));
      assertEquals("--small-mb and --large-mb take 1 to 2048 (MB), --before a count not negative", e.getMessage(), bad.toString());
    }
  }
}
