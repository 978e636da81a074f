package netc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {
  /** Runs the command line in-process; returns {exit status, stdout, stderr}. */
  static Object[] netc(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Object[] {status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  // Parameter counts are torchvision's (sum of p.numel() for p in model.parameters()); MACs are the
  // exact conv + fc multiply-accumulates at 224x224.
  @ParameterizedTest
  @CsvSource({
    "resnet18, '11,689,512', '1,814,073,344'",
    "resnet34, '21,797,672', '3,663,761,408'",
    "resnet50, '25,557,032', '4,089,184,256'",
    "resnet101, '44,549,160', '7,801,405,440'",
    "resnet152, '60,192,808', '11,513,626,624'",
  })
  void totalsMatchTorchvision(String net, String params, String macs) {
    Object[] r = netc("summary", "../examples/" + net + ".net");
    assertEquals(0, r[0], (String) r[2]);
    String out = (String) r[1];
    assertTrue(out.contains("total parameters: " + params + "\n"), out);
    assertTrue(out.contains("per image at 3x224x224): " + macs + " "), out);
  }

  @Test
  void layerRowsShowShapesParamsAndMacs() {
    String out = (String) netc("summary", "../examples/resnet50.net")[1];
    assertTrue(out.lines().anyMatch(l -> l.matches("layer3\\.5\\.conv2\\s+conv\\s+\\[N, 256, 14, 14\\]\\s+589,824\\s+115,605,504")), out);
  }

  @Test
  void overridesReachTheSpec() {
    String out = (String) netc("summary", "../examples/resnet18.net", "-D", "size=64", "-Dwidth=8")[1];
    assertTrue(out.contains("input 3x64x64"), out);
  }

  @Test
  void badSpecGivesOneLocatedMessageAndExitOne() {
    Object[] r = netc("summary", "src/test/resources/lang/invalid/unknown_layer.net");
    assertEquals(1, r[0]);
    String err = (String) r[2];
    assertTrue(err.startsWith("netc summary: src/test/resources/lang/invalid/unknown_layer.net:2:1: unknown layer or block 'convolution'"), err);
    assertFalse(err.contains("Exception"), err);
  }

  @Test
  void missingSpecAndUsageErrors() {
    Object[] r = netc("summary", "no/such.net");
    assertEquals(1, r[0]);
    assertEquals("netc summary: cannot read spec no/such.net: no such file\n", r[2]);
    assertEquals(2, netc("summary")[0]);
    assertEquals(2, netc("frobnicate")[0]);
    assertEquals(2, netc("summary", "--bogus", "x.net")[0]);
  }

  // ---- --depth, memory, --optimized (issue 19, item 6) -------------------------------------------

  private static final String TINY = String.join("\n",
      "block unit(c) {",
      "    residual {",
      "        conv1: conv(c, 3, padding = 1, bias = false)",
      "        bn1: batchnorm()",
      "    }",
      "    relu()",
      "}",
      "block pair(c) {",
      "    0: unit(c)",
      "    1: unit(c)",
      "}",
      "input(2, 4, 4)",
      "stem: conv(4, 1)",
      "body: pair(4)",
      "head: global_avgpool()",
      "flatten()",
      "fc: fc(3)",
      "");

  private static List<String> tableRows(String out) {
    List<String> lines = out.lines().toList();
    int first = lines.indexOf(lines.stream().filter(l -> l.startsWith("---")).findFirst().orElseThrow());
    int last = lines.lastIndexOf(lines.get(first));
    return lines.subList(first + 1, last).stream().map(String::stripTrailing).map(l -> l.replaceAll(" {2,}", " | ")).toList();
  }

  private static String tiny(Path dir, String... more) throws Exception {
    Path spec = dir.resolve("tiny.net");
    Files.writeString(spec, TINY);
    String[] args = new String[more.length + 2];
    args[0] = "summary";
    args[1] = spec.toString();
    System.arraycopy(more, 0, args, 2, more.length);
    Object[] r = netc(args);
    assertEquals(0, r[0], (String) r[2]);
    return (String) r[1];
  }

  @Test
  void depthOneShowsTopLevelLayersAndBlocksWithTheirTotals(@TempDir Path dir) throws Exception {
    assertEquals(List.of(
        "input | input | [N, 2, 4, 4]",
        "stem | conv | [N, 4, 4, 4] | 12 | 128",
        "body | block (8 layers) | [N, 4, 4, 4] | 304 | 4,608",
        "head | global_avgpool | [N, 4, 1, 1]",
        "flatten | flatten | [N, 4]",
        "fc | fc | [N, 3] | 15 | 12"), tableRows(tiny(dir, "--depth", "1")));
  }

  @Test
  void depthTwoNestsOneLevelDeeperAndThreeReachesTheLayers(@TempDir Path dir) throws Exception {
    assertEquals(List.of(
        "input | input | [N, 2, 4, 4]",
        "stem | conv | [N, 4, 4, 4] | 12 | 128",
        "body | block (8 layers) | [N, 4, 4, 4] | 304 | 4,608",
        " | body.0 | block (4 layers) | [N, 4, 4, 4] | 152 | 2,304",
        " | body.1 | block (4 layers) | [N, 4, 4, 4] | 152 | 2,304",
        "head | global_avgpool | [N, 4, 1, 1]",
        "flatten | flatten | [N, 4]",
        "fc | fc | [N, 3] | 15 | 12"), tableRows(tiny(dir, "--depth", "2")));
    List<String> deepest = tableRows(tiny(dir, "--depth", "3"));
    assertEquals(16, deepest.size(), String.join("\n", deepest));
    assertTrue(deepest.contains(" | body.0.conv1 | conv | [N, 4, 4, 4] | 144 | 2,304"), String.join("\n", deepest));
    assertTrue(deepest.contains(" | body.1.relu | relu | [N, 4, 4, 4]"), String.join("\n", deepest));
    // a depth past the deepest name is the deepest level
    assertEquals(deepest, tableRows(tiny(dir, "--depth", "9")));
  }

  @Test
  void totalsAndMemoryFigures(@TempDir Path dir) throws Exception {
    String out = tiny(dir, "--depth", "1");
    // 12 (stem) + 2 x (144 conv + 8 batchnorm) + 15 (fc)
    assertTrue(out.contains("network tiny: 12 layers, input 2x4x4, output 3\n"), out);
    assertTrue(out.contains("total parameters: 331\n"), out);
    assertTrue(out.contains("per image at 2x4x4): 4,748 "), out);
    assertTrue(out.contains("parameter memory (float32): 1,324 bytes (1.29 KiB)\n"), out);
    assertTrue(out.contains("input memory per image: 128 bytes"), out);
    // 64 (stem) + 2 x 4 x 64 (conv, bn, add, relu) + 4 + 4 + 3 = 587 floats
    assertTrue(out.contains("activation memory per image, unplanned (every layer's output): 2,348 bytes"), out);
    // the arena of the compiled model: channels padded to the 16-float vector, 48 bytes before the first
    // buffer so that vectors are 64-byte aligned (Layouts.ALIGNED_BASE)
    assertTrue(out.contains("activation memory per image, planned (the compiled model's arena, blocked layouts): 4,656 bytes"), out);
    assertEquals(out.substring(out.indexOf("network")), tiny(dir).substring(tiny(dir).indexOf("network")), "the same footer flat");
  }

  @Test
  void resnet18MemoryFigures() {
    String out = (String) netc("summary", "../examples/resnet18.net", "--depth", "1")[1];
    assertTrue(out.contains("parameter memory (float32): 46,758,048 bytes (44.59 MiB)\n"), out);
    assertTrue(out.contains("unplanned (every layer's output): 32,923,552 bytes (31.40 MiB)\n"), out);
    // the largest two values alive at once: the stem conv's output (64 x 112 x 112) and the max pool's, which
    // has a one-pixel border for the 3x3 convs after it (64 x 58 x 58); plus the arena's aligned base
    long arena = (64L * 112 * 112 + 64L * 58 * 58 + netc.passes.Layouts.ALIGNED_BASE) * 4;
    assertTrue(out.contains(String.format(java.util.Locale.ROOT, "planned (the compiled model's arena, blocked layouts): %,d bytes (%.2f MiB)%n", arena, arena / 1048576.0)), out);
    // and the convs' scratch, which the compiled workspace holds too: the same figure inspect --memory and compile give
    long scratch = netc.codegen.ModelGenerator.scratchFloats(netc.passes.PassManager.run(netc.ir.GraphBuilder.build(
        netc.ast.SpecLoader.load(java.nio.file.Path.of("../examples/resnet18.net")), java.util.Map.of()), netc.passes.PassContext.defaults()));
    assertTrue(scratch > 0);
    assertTrue(out.contains(String.format(java.util.Locale.ROOT, "  plus conv scratch (panels, Winograd tiles) %,d bytes", scratch * 4)
        + String.format(java.util.Locale.ROOT, " (%.2f MiB): a workspace of %,d bytes", scratch * 4 / 1048576.0, arena + scratch * 4)), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("layer3\\s+block \\(16 layers\\)\\s+\\[N, 256, 14, 14\\]\\s+2,099,712\\s+411,041,792")), out);
    assertTrue(out.lines().noneMatch(l -> l.endsWith(" ")), "no row ends in spaces (a layer of no parameters ended in 29):\n" + out);
  }

  @Test
  void optimizedShowsTheFusedGraph(@TempDir Path dir) throws Exception {
    List<String> rows = tableRows(tiny(dir, "--optimized"));
    assertTrue(rows.contains("body.0.conv1 | conv+batchnorm+add+relu | [N, 4, 4, 4] | 148 | 2,304"), String.join("\n", rows));
    assertTrue(tiny(dir, "--optimized").contains("network tiny after the passes: 6 layers"));

    String plain = (String) netc("summary", "../examples/resnet18.net")[1];
    String fused = (String) netc("summary", "../examples/resnet18.net", "--optimized")[1];
    int plainRows = tableRows(plain).size(), fusedRows = tableRows(fused).size();
    assertEquals(70, plainRows, plain);
    assertTrue(fusedRows < plainRows / 2, fused);
    assertTrue(tableRows((String) netc("summary", "../examples/resnet18.net", "--optimized", "--depth", "1")[1])
        .contains("input | input (+1 nested) | [N, 3, 224, 224]"));
    assertTrue(fused.lines().anyMatch(l -> l.matches("layer1\\.0\\.conv2\\s+conv\\+batchnorm\\+add\\+relu\\s+\\[N, 64, 56, 56\\].*")), fused);
    // nested after the passes too: fewer rows at each depth
    assertTrue(tableRows((String) netc("summary", "../examples/resnet18.net", "--optimized", "--depth", "3")[1]).size()
        < tableRows((String) netc("summary", "../examples/resnet18.net", "--depth", "3")[1]).size());
  }

  @Test
  void badDepthIsAUsageError() {
    for (String bad : new String[] {"0", "-1", "two"}) {
      Object[] r = netc("summary", "../examples/resnet18.net", "--depth", bad);
      assertEquals(2, r[0], bad);
      assertTrue(((String) r[2]).startsWith("netc summary: --depth " + bad + ": expects a whole number"), (String) r[2]);
    }
  }
}
