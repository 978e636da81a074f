package netc.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Golden-file comparison; {@code -Dgoldens.update=true} rewrites the goldens instead of comparing. */
public final class Goldens {
  private Goldens() {}

  public static final Path ROOT = Path.of("src/test/resources/goldens");

  public static void assertMatches(Path golden, String actual) throws IOException {
    if (Boolean.getBoolean("goldens.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, actual, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(golden)) {
      fail("no golden file " + golden + "; run the tests with -Dgoldens.update=true to create it");
    }
    String expected = Files.readString(golden, StandardCharsets.UTF_8);
    if (expected.equals(actual)) return;
    List<String> e = expected.lines().toList(), a = actual.lines().toList();
    int line = 0;
    while (line < Math.min(e.size(), a.size()) && e.get(line).equals(a.get(line))) line++;
    fail("output differs from " + golden + " at line " + (line + 1) + ":\n  expected: "
        + (line < e.size() ? e.get(line) : "<end>") + "\n  actual:   " + (line < a.size() ? a.get(line) : "<end>")
        + "\n(rerun with -Dgoldens.update=true if the change is intended)");
  }
}
