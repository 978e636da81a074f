package netc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weights/compare.py decides bench-onnx.sh's parity (and the README's logit checks): its self-check,
 * weights/check_compare.py, runs here wherever a Python with numpy is installed (Debian's, as the
 * scripts use it; skipped on a machine without one, as the build has no Python of its own).
 */
class CompareScriptTest {
  @Test
  void compareScriptPassesItsSelfCheck(@TempDir Path dir) throws Exception {
    Path python = Path.of("/usr/bin/python3"), script = Path.of("../weights/check_compare.py");
    Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
    Process numpy = new ProcessBuilder(python.toString(), "-c", "import numpy").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    boolean imported = numpy.waitFor(60, TimeUnit.SECONDS);
    if (!imported) numpy.destroyForcibly();
    Assumptions.assumeTrue(imported && numpy.exitValue() == 0, "no numpy for /usr/bin/python3");
    // the output to a file, so the wait can time out: a read of the pipe would block until the script ended
    Path log = dir.resolve("check_compare.log");
    Process p = new ProcessBuilder(python.toString(), script.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(120, TimeUnit.SECONDS);
    if (!ended) p.destroyForcibly();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(ended, "check_compare.py did not end in 2 minutes: " + out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.matches("(?s)compare\\.py: \\d+ cases pass\\n"), out);
  }
}
