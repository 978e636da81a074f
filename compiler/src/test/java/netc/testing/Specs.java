package netc.testing;

import java.nio.file.Path;
import java.util.Map;
import netc.ast.SpecLoader;
import netc.ir.Graph;
import netc.ir.GraphBuilder;

/** Builds graphs for tests, from text or from the example specs. */
public final class Specs {
  private Specs() {}

  public static final Path EXAMPLES = Path.of("../examples");

  public static Graph fromText(String text) {
    return GraphBuilder.build(SpecLoader.fromText("test.net", text), Map.of());
  }

  public static Graph example(String name, Map<String, String> overrides) {
    return GraphBuilder.build(SpecLoader.load(EXAMPLES.resolve(name + ".net")), overrides);
  }
}
