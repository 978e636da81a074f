package netc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
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

  @Test
  void aCompileStoppedBySigtermLeavesNoWorkFolder() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp")), out = Files.createDirectories(dir.resolve("out"));
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + tmp,
        "-cp", System.getProperty("java.class.path"), "netc.cli.Main", "compile", "../examples/resnet18.net", "-D", "width=8", "-D", "size=64",
        "-o", out.resolve("m.jar").toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      // stopped once the work folder holds the weights being written, not while it is still empty
      while (!writing(tmp) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
      Assumptions.assumeTrue(p.isAlive(), "the compile ended before it could be stopped");
      assertTrue(writing(tmp), "the work folder: " + names(tmp));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the JVM exits");
      Assumptions.assumeTrue(p.exitValue() == 143, "stopped by SIGTERM, not ended (" + p.exitValue() + ")");
    } finally {
      p.destroyForcibly();
    }
    assertEquals(List.of(), names(tmp), "no work folder left");
    assertEquals(List.of(), names(out), "no jar and no temporary jar");
  }
}
