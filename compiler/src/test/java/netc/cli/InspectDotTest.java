package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectDotTest {
  @TempDir Path dir;

  static final String SPEC = String.join("\n",
      "input(16, 32, 32)",
      "c1: conv(32, 3, padding = 1)",
      "b1: batchnorm()",
      "r1: relu()",
      "residual {",
      "    c2: conv(32, 3, padding = 1)",
      "    b2: batchnorm()",
      "}",
      "r2: relu()",
      "");

  String dot(String... extra) throws Exception {
    Path spec = dir.resolve("tiny.net"), dot = dir.resolve("g.dot");
    Files.writeString(spec, SPEC);
    String[] args = new String[3 + extra.length];
    args[0] = "inspect";
    args[1] = spec.toString();
    System.arraycopy(extra, 0, args, 2, extra.length);
    args[args.length - 1] = "--dot=" + dot;
    Object[] r = netc(args);
    assertEquals(0, r[0], (String) r[2]);
    return Files.readString(dot);
  }

  @Test
  void optimizedNodesShowAlgorithmFusedLayersLayoutMacsSizeAndTheResidualEdge() throws Exception {
    // the residual's main path is one conv of its input, which merge-parallel-convs would make the identity's kernel
    // taps, leaving no residual to draw
    String g = dot("--disable-pass", "merge-parallel-convs");
    assertTrue(g.startsWith("digraph \"tiny\" {") && g.contains("label=\"tiny: after the passes\";"), g);
    String c2 = line(g, "  n4 [label=<<B>c2</B>");
    assertTrue(c2.contains("<BR ALIGN=\"LEFT\"/>conv + residual add + relu<BR"), c2);
    assertTrue(c2.contains(">algo winograd F(4x4, 3x3), tile 4<"), "the algorithm and tile:\n" + c2);
    assertTrue(c2.contains(">fused: c2 (conv), b2 (batchnorm), add (add), r2 (relu)<"), "the spec layers fused in:\n" + c2);
    assertTrue(c2.contains(">layout nchw16c<"), c2);
    // 32 outputs x 32x32 x (32 inputs x 3x3) multiply-accumulates as a direct conv; Winograd F(4x4, 3x3) multiplies 36 times
    // per 16 outputs, not 144: 4x fewer (2,359,296, what profile counts: 64 tiles x 36 x 32 x 32)
    assertTrue(c2.contains(">MACs 9,437,184 (9.44 M) as a direct conv; Winograd's products about 2.36 M (4.00x fewer)<"), c2);
    assertTrue(c2.contains(">out 32x32x32 = 32,768 floats, 128.0 KiB<"), c2);
    String c1 = line(g, "  n1 [label=<<B>c1</B>");
    assertTrue(c1.contains(">fused: c1 (conv), b1 (batchnorm), r1 (relu)<") && c1.contains(">layout nchw16c, halo [1, 1]<"), c1);
    assertTrue(!c1.contains("algo"), "c1 is a direct conv here:\n" + c1);
    assertTrue(g.contains("  n1 -> n4;\n  n1 -> n4 [style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\", label=\"residual\"];\n"),
        "the residual joins c2, where the add was fused:\n" + g);
    assertEquals(1, g.lines().filter(l -> l.contains("residual\"]")).count(), g);
  }

  @Test
  void beforeDrawsTheGraphAsParsedWithANodePerSpecLayer() throws Exception {
    String g = dot("--before");
    assertTrue(g.contains("label=\"tiny: as parsed, before the passes\";"), g);
    List<String> nodes = g.lines().filter(l -> l.matches("  n\\d+ \\[label=<.*")).toList();
    assertEquals(8, nodes.size(), "input and the 7 spec layers:\n" + g);
    for (String layer : List.of("input", "c1", "b1", "r1", "c2", "b2", "add", "r2")) {
      assertEquals(1, nodes.stream().filter(l -> l.contains("<B>" + layer + "</B>")).count(), layer + ":\n" + g);
    }
    assertTrue(!g.contains("fused:") && !g.contains("algo ") && !g.contains("layout "), "nothing fused or chosen yet:\n" + g);
    assertTrue(line(g, "<B>c1</B>").contains(">MACs 4,718,592 (4.72 M)<"), g); // 32 x 32x32 x (16 x 3x3)
    assertEquals(1, g.lines().filter(l -> l.contains("label=\"residual\"")).count(), "the residual joins at the add:\n" + g);
    assertTrue(g.lines().anyMatch(l -> l.matches("  n\\d+ -> n\\d+ \\[style=dashed.*label=\"residual\"\\];")), g);
  }

  @Test
  void beforeNeedsAPictureAndNamesAreEscaped() throws Exception {
    Object[] r = netc("inspect", "../examples/smallnet.net", "--before");
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).startsWith("netc inspect: --before applies to --dot and --svg"), (String) r[2]);
    assertEquals("a &amp; b &lt;c&gt; &quot;d&quot;", netc.passes.Dot.html("a & b <c> \"d\""));
  }

  static String line(String g, String start) {
    return g.lines().filter(l -> l.contains(start)).findFirst().orElseThrow(() -> new AssertionError(start + " not in:\n" + g));
  }
}
