package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code netc profile}'s columns add up to, in each way a call shares its work among threads. */
class ProfileCommandTest {
  @TempDir Path dir;

  /** A step's row: its time, its unit, its share. */
  private static final Pattern ROW = Pattern.compile("\\s+([0-9.]+) (ms|thread-ms)\\s+([0-9.]+)%.*");
  private static final Pattern OUTSIDE = Pattern.compile("outside the steps: ([0-9.-]+) (ms|thread-ms) per run \\(([0-9.-]+)%.*");
  /** The first line's thread count and run time. */
  private static final Pattern HEAD = Pattern.compile("(\\d+) threads?: ([0-9.]+) ms per run");

  /**
   * With a batch of at least the thread count, each thread runs whole images and adds its own step
   * times: the steps' times summed to about threads x 100% of the run, and "the steps that multiply"
   * could take longer than the run. The rows are now thread-milliseconds, their % is of the threads'
   * summed time, and the time outside the steps is the rest of it.
   */
  @Test
  void wholeImagesPerThreadAreThreadTimeAndAddUpTo100Percent() throws Exception {
    String out = profile("--threads", "2", "--batch", "4", "--runs", "20");
    List<String> lines = out.lines().toList();
    assertTrue(lines.get(0).startsWith("smallnet, batch 4, 2 threads: "), out);
    assertTrue(lines.get(0).contains("(mean of the middle 10 of 20 runs by time)"), lines.get(0));
    assertTrue(lines.get(0).contains("each thread runs whole images") && lines.get(0).contains("thread-ms"), lines.get(0));
    assertAddsUp(lines, "thread-ms", 11);
  }

  /** One thread, and a batch smaller than the threads (each step shared by the pool): wall time, as before. */
  @Test
  void aCallersStepsAreWallTimeAndAddUpTo100Percent() throws Exception {
    for (String[] args : List.of(new String[] {"--threads", "1", "--batch", "2"}, new String[] {"--threads", "2", "--batch", "1"})) {
      String out = profile(args[0], args[1], args[2], args[3], "--runs", "20");
      List<String> lines = out.lines().toList();
      assertTrue(!lines.get(0).contains("thread-ms"), lines.get(0));
      assertAddsUp(lines, "ms", 11);
    }
  }

  /** The runs a profile averages: the middle half by time, so one slow run (or fast one) moves nothing. */
  @Test
  void theMiddleHalfOfTheRunsByTime() {
    assertArrayEquals(new int[] {3, 6, 0, 7}, ProfileCommand.middleHalf(new long[] {5, 1, 9, 3, 100, 2, 4, 8}));
    assertArrayEquals(new int[] {1, 2, 0}, ProfileCommand.middleHalf(new long[] {7, 5, 6, 1000, 1})); // 5 runs: one dropped each end
    assertArrayEquals(new int[] {0}, ProfileCommand.middleHalf(new long[] {42}));
  }

  /** --warmup-seconds takes 0 (the tests' setting) up to an hour; anything else is refused in one line. */
  @Test
  void warmUpSecondsAreBounded() throws Exception {
    for (String bad : List.of("-1", "3601", "1.5", "x")) {
      Object[] r = netc("profile", "nothing.jar", "--warmup-seconds", bad);
      assertEquals(2, r[0], bad + ": " + r[2]);
      assertTrue(((String) r[2]).contains("--warmup-seconds " + bad + ": expected a whole number from 0 to 3600"), (String) r[2]);
    }
  }

  /**
   * A --batch whose inputs or outputs take more floats than one Java array holds was an internal error
   * (exit 3: "tensor too large", or a negative array size from batch x outputs overflowing an int): one
   * line naming --batch and the largest batch the model takes, exit 2, as the Spark job says it.
   */
  @Test
  void aBatchPastTheArrayLimitIsRefusedNamingBatch() throws Exception {
    Path big = dir.resolve("big.jar"), wide = dir.resolve("wide.jar");
    Path bigSpec = java.nio.file.Files.writeString(dir.resolve("big.net"), "input(3, 1024, 1024)\nhead: global_avgpool()\nflatten()\nfc: fc(10)\n");
    Path wideSpec = java.nio.file.Files.writeString(dir.resolve("wide.net"), "input(1, 64, 64)\nwide: conv(600, 1)\n");
    assertEquals(0, netc("compile", bigSpec.toString(), "-o", big.toString(), "--thin")[0]);
    assertEquals(0, netc("compile", wideSpec.toString(), "-o", wide.toString(), "--thin")[0]);
    Object[] r = profileRun(big, "--batch", "1024");
    assertEquals("netc profile: --batch 1024: a batch of 1024 inputs of 3x1024x1024 takes 3,221,225,472 floats, more than the 2,147,483,639"
        + " one Java array holds; the model big takes batches of 682 at most\n", r[2]);
    assertEquals(2, r[0]);
    // 600 x 64 x 64 = 2,457,600 outputs an image: 1,024 of them overflowed an int
    r = profileRun(wide, "--batch", "1024");
    assertEquals("netc profile: --batch 1024: a batch of 1024 outputs of 2457600 floats takes 2,516,582,400 floats, more than the"
        + " 2,147,483,639 one Java array holds; the model wide takes batches of 873 at most\n", r[2]);
    assertEquals(2, r[0]);
  }

  /**
   * Every step's row in {@code unit}, and the outside line: the rows' times and the time outside the
   * steps add up to the run's time the first line gives (its threads' sum for thread-ms: threads x the
   * run), and each row's % is of that. (The outside line's % is the rest of the rows', 100 by
   * construction; its time is what is checked.) Times are printed to 0.001 ms, the run's to 0.01 ms,
   * %s to 0.1.
   */
  private static void assertAddsUp(List<String> lines, String unit, int steps) {
    String out = String.join("\n", lines);
    Matcher head = HEAD.matcher(lines.get(0));
    assertTrue(head.find(), "the first line gives the threads and the run's time:\n" + out);
    int timed = unit.equals("thread-ms") ? Integer.parseInt(head.group(1)) : 1;
    double slack = 0.005 * timed, base = timed * Double.parseDouble(head.group(2));
    double percent = 0, ms = 0;
    int rows = 0;
    for (String l : lines) {
      Matcher m = ROW.matcher(l);
      if (m.matches()) {
        assertEquals(unit, m.group(2), l);
        double rowMs = Double.parseDouble(m.group(1)), rowPercent = Double.parseDouble(m.group(3));
        assertEquals(100 * rowMs / base, rowPercent, 0.05 + 100 * (0.0005 + rowMs * slack / base) / (base - slack), "the share of " + base + " " + unit + ": " + l);
        ms += rowMs;
        percent += rowPercent;
        rows++;
      }
    }
    assertEquals(steps, rows, "one row per step:\n" + out);
    assertTrue(percent <= 100 + 0.05 * (steps + 1), "the steps' shares sum to " + percent + "%:\n" + out);
    Matcher outside = OUTSIDE.matcher(lines.get(lines.size() - 1));
    assertTrue(outside.matches(), "the last line is the time outside the steps:\n" + out);
    assertEquals(unit, outside.group(2), out);
    double outsideMs = Double.parseDouble(outside.group(1));
    assertEquals(base, ms + outsideMs, slack + 0.0005 * (steps + 1), "the rows and the outside line add up to the first line's run:\n" + out);
    assertTrue(outsideMs >= -0.001 * (steps + 1), "the steps ran within the call:\n" + out);
  }

  /** {@code netc profile JAR ARGS} in a JVM started with -Dnetc.profile=true: its status, output and errors. */
  private static Object[] profileRun(Path jar, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Dnetc.profile=true", "-cp", System.getProperty("java.class.path"),
        "netc.cli.Main", "profile", jar.toString(), "--warmup-seconds", "0"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    java.util.concurrent.CompletableFuture<byte[]> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    String err = new String(p.getErrorStream().readAllBytes()).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
        .map(l -> l + "\n").reduce("", String::concat);
    return new Object[] {p.waitFor(), new String(out.get()), err};
  }

  /** {@code netc profile} of smallnet in a JVM started with -Dnetc.profile=true (a static final, read once); its output. */
  private String profile(String... args) throws Exception {
    Path jar = dir.resolve("p.jar");
    if (!jar.toFile().exists()) assertEquals(0, netc("compile", "../examples/smallnet.net", "-o", jar.toString())[0]);
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Dnetc.profile=true", "-cp", System.getProperty("java.class.path"),
        "netc.cli.Main", "profile", jar.toString(), "--warmup-seconds", "0"));
    command.addAll(List.of(args));
    Path err = dir.resolve("err.txt");
    Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out + java.nio.file.Files.readString(err));
    return out;
  }
}
