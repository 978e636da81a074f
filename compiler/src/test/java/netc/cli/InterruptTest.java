package netc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command stopped by Ctrl-C or SIGTERM leaves nothing behind: compile's work folder (packed weights
 * of up to GiBs, in the system's temporary folder) was deleted only when the compile ended.
 */
class InterruptTest {
  @TempDir Path dir;

  private static List<String> names(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Whether a compile's work folder in {@code tmp} holds its weights (being written or written). */
  private static boolean writing(Path tmp) throws Exception {
    try (Stream<Path> files = Files.walk(tmp)) {
      return files.anyMatch(f -> f.getFileName().toString().equals("weights.bin"));
    } catch (java.io.UncheckedIOException e) {
      return false; // a file made or removed while walking: look again
    }
  }

  /**
   * The network is resnet18 at its full width (47 MB of weights) on small images: after weights.bin
   * appears, writing it and the jar took 0.3 to 2.6 s here (1.6 MB at width 8: 0.1 s, with
   * JVM exit), so a 5 ms poll stops it mid-way even on a machine many times faster.
   */
  @Test
  void aCompileStoppedBySigtermLeavesNoWorkFolder() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp")), out = Files.createDirectories(dir.resolve("out")), log = dir.resolve("log.txt");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp,
        "-cp", System.getProperty("java.class.path"), "netc.cli.Main", "compile", "../examples/resnet18.net", "-D", "size=64",
        "-o", out.resolve("m.jar").toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      // stopped once the work folder holds the weights being written, not while it is still empty
      while (!writing(tmp) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
      assertTrue(p.isAlive(), "the compile ended (exit " + (p.isAlive() ? "-" : p.exitValue()) + ") before it could be stopped: " + Files.readString(log));
      assertTrue(writing(tmp), "the work folder: " + names(tmp) + "; output: " + Files.readString(log));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the JVM exits");
      assertEquals(143, p.exitValue(), "stopped by SIGTERM, not ended; output: " + Files.readString(log));
    } finally {
      p.destroyForcibly();
    }
    assertEquals(List.of(), names(tmp), "no work folder left");
    assertEquals(List.of(), names(out), "no jar and no temporary jar");
  }
}
