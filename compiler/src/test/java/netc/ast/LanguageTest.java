package netc.ast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.testing.Goldens;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The language tests are data: every spec under lang/valid elaborates and matches its golden IR text;
 * every spec under lang/invalid fails with the message in its {@code // expect error:} line, located
 * and underlined.
 */
class LanguageTest {
  private static final Path LANG = Path.of("src/test/resources/lang");

  @TestFactory
  Stream<DynamicTest> validSpecs() throws IOException {
    return specs(LANG.resolve("valid")).map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> {
      Graph g = GraphBuilder.build(SpecLoader.load(spec), Map.of());
      Goldens.assertMatches(Goldens.ROOT.resolve("LanguageTest/" + spec.getFileName() + ".ir"), g.toText());
    }));
  }

  @TestFactory
  Stream<DynamicTest> invalidSpecs() throws IOException {
    return specs(LANG.resolve("invalid")).map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> {
      String expected = expectedError(spec);
      NetcException e = assertThrows(NetcException.class, () -> GraphBuilder.build(SpecLoader.load(spec), Map.of()));
      List<String> lines = e.format().lines().toList();
      String first = lines.get(0);
      // Locations name the file as given; compare from the file's base name on.
      int colon = first.indexOf(':');
      String located = first.substring(first.lastIndexOf('/', colon) + 1);
      assertEquals(expected, located);
      assertEquals(3, lines.size(), "the message shows the source line and underlines the place:\n" + e.format());
      assertTrue(lines.get(2).trim().matches("\\^+"), e.format());
    }));
  }

  private static Stream<Path> specs(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> list = files.filter(p -> p.toString().endsWith(".net")).sorted().toList();
      assertFalse(list.isEmpty(), "no specs in " + dir);
      return list.stream();
    }
  }

  private static String expectedError(Path spec) throws IOException {
    for (String line : Files.readAllLines(spec)) {
      int at = line.indexOf("// expect error: ");
      if (at >= 0) return line.substring(at + "// expect error: ".length()).trim();
    }
    throw new AssertionError(spec + " has no // expect error: line");
  }
}
