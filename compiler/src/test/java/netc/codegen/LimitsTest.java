package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import netc.ast.NetcException;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;

/**
 * Graphs too large for a compiled model's arrays (one for the packed weights, one per image's
 * workspace) are refused before any weight is read, naming the layer, its size and the limit, at
 * the layer's place in the spec; graphs just under the limits generate Java that compiles.
 */
class LimitsTest {
  /** A parameter source that must not be read: the refusal comes first. */
  static final ParamSource UNTOUCHED = (name, shape) -> {
    throw new AssertionError("weights were read before the limits were checked: " + name);
  };

  /**
   * Builds a spec with the front end's activation limit (2^28 floats by default, its own tests in
   * SpecLimitsTest) lifted to the array limit, so these tests reach code generation's own checks,
   * which count the padded, bordered sizes the front end does not see.
   */
  static Graph build(String spec) {
    String key = "netc.spec.maxActivation", old = System.getProperty(key);
    System.setProperty(key, Long.toString(Integer.MAX_VALUE - 8));
    try {
      return Specs.fromText(spec);
    } finally {
      if (old == null) System.clearProperty(key);
      else System.setProperty(key, old);
    }
  }

  static NetcException refused(String spec) throws Exception {
    Graph optimized = PassManager.run(build(spec), PassContext.defaults());
    assertThrows(NetcException.class, () -> ModelCompiler.checkLimits(optimized));
    Path dir = Files.createTempDirectory("netc-limits");
    try {
      return assertThrows(NetcException.class, () -> ModelCompiler.compileTo(optimized, UNTOUCHED, "test.net", true, dir, s -> {}));
    } finally {
      ModelCompiler.deleteTree(dir);
    }
  }

  /** -Dnetc.codegen.maxLayers is read strictly: a negative or malformed value is one message, not an index exception. */
  @Test
  void aBadLayerLimitIsNamed() {
    netc.ir.Graph g = build("input(3, 4, 4)\nrelu()");
    for (String bad : java.util.List.of("-5", "0", "many")) {
      System.setProperty("netc.codegen.maxLayers", bad);
      try {
        NetcException e = assertThrows(NetcException.class, () -> Limits.checkLayers(g));
        assertEquals("-Dnetc.codegen.maxLayers=" + bad + ": the layer limit must be a positive integer", e.getMessage());
      } finally {
        System.clearProperty("netc.codegen.maxLayers");
      }
    }
    Limits.checkLayers(g); // the default
  }

  /**
   * Weights whose logical size passes the array limit are refused by the front end, at the layer,
   * before code generation (whose own check, below, counts the packed size with its padding).
   */
  @Test
  void convAndFcWeightsOverTheArrayLimitAreRefusedAtTheSpec() {
    NetcException e = assertThrows(NetcException.class, () -> build("input(4096, 3, 3)\nbig: conv(65536, 3)"));
    assertEquals(2, e.span().line());
    assertTrue(e.getMessage().startsWith("big.weight: 65536x4096x3x3 = 2,415,919,104 floats is over the JVM's array limit"), e.getMessage());
    e = assertThrows(NetcException.class, () -> build("input(50000, 1, 1)\nflatten()\nhead: fc(50000)"));
    assertEquals(3, e.span().line());
    assertTrue(e.getMessage().startsWith("head.weight: 50000x50000 = 2,500,000,000 floats"), e.getMessage());
  }

  /** Few logical weights, but one input channel padded to a block of 16 lanes: the packed size counts. */
  @Test
  void packedWeightsCountTheirPadding() throws Exception {
    NetcException e = refused("input(1, 3000, 3000)\nrelu()\nc: conv(1, 2900)");
    assertTrue(e.getMessage().startsWith("cannot compile layer c: its weights (1x1x2900x2900) take 2,152,960,000 floats"), e.getMessage());
  }

  /**
   * Each layer's packed weights within the array, their running total not: refused at the layer that crosses it, by
   * the packed size (1 channel padded to 16 on each side: 256 times the 4,194,304 weights the front end counts).
   */
  @Test
  void packedWeightsTogetherOverTheArrayLimit() throws Exception {
    NetcException e = refused("input(1, 2100, 2100)\nrelu()\na: conv(1, 2048)\nb: conv(1, 2048, padding = 1023)");
    assertTrue(e.getMessage().startsWith("cannot compile layer b: the network's packed weights reach "), e.getMessage());
    assertTrue(e.getMessage().endsWith(" floats at this layer, more than the 2,147,483,639 one Java array holds"), e.getMessage());
  }

  /**
   * The limit is the array's, not a byte array's: packed weights past 2 GiB (536,870,912 floats and
   * more) pass the check, as the table in docs/bad-input/code-generation.md says, since weights.bin and
   * the jar entry are written in chunks (PackedWeightsTest) and the runtime reads them in chunks.
   */
  @Test
  void packedWeightsPastTwoGibibytesAreWithinTheLimit() {
    Graph optimized = PassManager.run(build("input(4096, 1, 1)\nc: conv(150000, 1)"), PassContext.defaults());
    ModelCompiler.checkLimits(optimized);
    assertEquals(64 + 12 + 150_000L * 4096 + 150_000, PackedWeights.checkFits(optimized)); // the zeros, then c's weights and bias, aligned
  }

  /** The sum of logical weights over the array limit: the front end refuses it at the layer that crosses it. */
  @Test
  void allWeightsTogetherOverTheArrayLimit() {
    NetcException e = assertThrows(NetcException.class, () -> build("input(4096, 1, 1)\na: conv(300000, 1)\nb: conv(4096, 1)"));
    assertEquals(3, e.span().line());
    assertTrue(e.getMessage().startsWith("b.weight: the network's weights pass 2,147,483,639 floats here"), e.getMessage());
  }

  /** 16 x 11586^2 floats: the value past int that made `input(3, 11586, 11586)` generate Java that did not compile. */
  @Test
  void anOutputOverTheArrayLimit() throws Exception {
    NetcException e = refused("input(3, 11586, 11586)\nc1: conv(8, 3, padding = 1)\nrelu()\nglobal_avgpool()\nflatten()\nfc(10)");
    assertEquals(2, e.span().line());
    assertEquals("cannot compile layer c1: its output, 8x11586x11586 per image, takes 2,147,766,336 floats with channels padded to "
        + "blocks of 16 and its border, more than the 2,147,483,639 one Java array holds", e.getMessage());
  }

  @Test
  void activationsTogetherOverTheArrayLimit() throws Exception {
    NetcException e = refused("input(3, 8200, 8200)\nc1: conv(16, 1)\nc2: conv(16, 1)\nglobal_avgpool()");
    assertTrue(e.getMessage().matches("cannot compile layer c[12]: one image's workspace would take 2,151,6\\d\\d,\\d{3} floats "
        + "\\(2,151,6\\d\\d,\\d{3} of activations, 0 of conv scratch; this layer's output is 1,075,840,000\\), more than the "
        + "2,147,483,639 one Java array holds"), e.getMessage());
  }

  @Test
  void convScratchOverTheArrayLimit() throws Exception {
    // stride 3: read from im2col panels (stride-1 windows read their input in place, with no scratch)
    NetcException e = refused("input(16, 2000, 2000)\nrelu()\nc: conv(16, 35, stride = 3, padding = 17)");
    assertEquals(3, e.span().line());
    assertTrue(e.getMessage().startsWith("cannot compile layer c: one image's workspace would take") && e.getMessage().contains("scratch is"),
        e.getMessage());
  }

  /** On the command line: one located message and exit 1, before synthetic weights of 2.4 billion floats are made. */
  @Test
  void compileCommandRefusesBeforeMakingWeights() throws Exception {
    Path dir = Files.createTempDirectory("netc-limits");
    try {
      Path spec = Files.writeString(dir.resolve("big.net"), "input(4096, 3, 3)\nbig: conv(65536, 3)\n");
      var out = new java.io.ByteArrayOutputStream();
      var err = new java.io.ByteArrayOutputStream();
      int rc = netc.cli.Main.run(new String[] {"compile", spec.toString(), "-o", dir.resolve("big.jar").toString()},
          new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
      assertEquals(1, rc, err.toString());
      assertTrue(err.toString().startsWith("netc compile: " + spec + ":2:1: big.weight: 65536x4096x3x3 = 2,415,919,104 floats is over the JVM's array limit"),
          err.toString());
      assertEquals(1, err.toString().lines().filter(l -> l.contains("array limit")).count(), err.toString());
      assertFalse(out.toString().contains("synthetic"), "no weights were made: " + out);
    } finally {
      ModelCompiler.deleteTree(dir);
    }
  }

  @Test
  void compilingWithoutLayoutsIsRefused() {
    Graph g = PassManager.run(Specs.fromText("input(3, 8, 8)\nconv(4, 3, padding = 1)"),
        new PassContext(2, java.util.Set.of("assign-layout"), 16, java.util.List.of()));
    NetcException e = assertThrows(NetcException.class, () -> ModelCompiler.checkLimits(g));
    assertEquals("cannot compile test without the assign-layout pass: code generation needs the memory layouts it chooses "
        + "(--disable-pass assign-layout is for inspect only)", e.getMessage());
  }

  /** Just under the limit the generated code compiles: every offset it writes fits an int. */
  @Test
  void anOutputJustUnderTheLimitCompiles() throws Exception {
    Graph g = build("input(3, 11584, 11584)\nc1: conv(8, 1)\nglobal_avgpool()\nflatten()\nfc(10)");
    Graph optimized = PassManager.run(g, PassContext.defaults());
    Path dir = Files.createTempDirectory("netc-limits");
    try {
      ModelCompiler.Output o = ModelCompiler.compileTo(optimized, SyntheticWeights.source(g, 1), "test.net", true, dir, s -> {});
      assertTrue(o.workspaceFloats() > 2_146_000_000L && o.workspaceFloats() <= Integer.MAX_VALUE - 8, "workspace " + o.workspaceFloats());
      assertTrue(Files.exists(dir.resolve("netc/models/test/Test.class")));
      assertTrue(o.source().contains("3220537344L"), "c1's multiply-adds (11584^2 x 8 x 3) are a long literal");
    } finally {
      ModelCompiler.deleteTree(dir);
    }
  }

  /** A 3x3 conv whose Winograd weights would not fit one array, though its direct ones do, stays direct. */
  @Test
  void winogradOnlyWhereItsWeightsFit() {
    Graph optimized = PassManager.run(Specs.fromText("input(13000, 2, 2)\nrelu()\nc: conv(13000, 3, padding = 1)"), PassContext.defaults());
    ModelCompiler.checkLimits(optimized);
    Node c = optimized.nodes().stream().filter(n -> n.op() == Op.CONV).findFirst().orElseThrow();
    assertFalse(c.attrs().has("algo"), c.attrs().toString());
    Graph small = PassManager.run(Specs.fromText("input(32, 8, 8)\nrelu()\nc: conv(32, 3, padding = 1)"), PassContext.defaults());
    assertTrue(small.nodes().stream().anyMatch(n -> n.attrs().getString("algo", "").equals("winograd")), "a small one still is");
  }
  /**
   * Two 3x3 convs of 32 channels on a 4096x4096 image: the second one's Winograd tiles alone would
   * take 2,415,919,104 floats of workspace in 4x4 tiles (4,294,967,296 in 2x2), past one array, where
   * the direct conv reads its input in place: it stays direct and the model is within the limits, as
   * it was before only with --disable-pass winograd. On a 3300x3300 map its 4x4 tiles (1,568,160,000
   * floats) fit alone, but not beside the conv's input and output (348,480,000 each): direct too. On
   * a 56x56 map the same conv still takes Winograd.
   */
  @Test
  void winogradOnlyWhereItsScratchFits() {
    for (String spec : java.util.List.of("input(3, 4096, 4096)\nc1: conv(32, 3, padding = 1)\nc2: conv(32, 3, padding = 1)",
        "input(32, 3300, 3300)\nx: relu()\nc2: conv(32, 3, padding = 1)")) {
      Graph optimized = PassManager.run(build(spec), PassContext.defaults());
      ModelCompiler.checkLimits(optimized);
      for (Node n : optimized.nodes()) assertFalse(n.attrs().has("algo"), n.name() + " " + n.attrs());
    }
    Graph small = PassManager.run(Specs.fromText("input(3, 56, 56)\nc1: conv(32, 3, padding = 1)\nc2: conv(32, 3, padding = 1)"),
        PassContext.defaults());
    Node c2 = small.nodes().stream().filter(n -> n.name().equals("c2")).findFirst().orElseThrow();
    assertEquals("winograd", c2.attrs().getString("algo", ""), "a small one still is");
    assertEquals(4, c2.attrs().getInt("tile"));
  }

  /**
   * The winograd pass counts a conv's own input and output beside its tiles; a shortcut live across
   * it can still push the workspace over: c's 1,296,000,000 floats of tiles fit beside its 3000x3000
   * input and output, not beside those and the residual's input as well. The refusal names c's
   * Winograd tiles and --disable-pass winograd, under which the model is within the limits.
   */
  @Test
  void aWorkspaceOverTheLimitByWinogradTilesNamesTheWayOut() throws Exception {
    String message = refusedForWinogradTiles("input(32, 3000, 3000)\nx: relu()\nresidual {\n  a: conv(32, 1)\n  c: conv(32, 3, padding = 1)\n"
        + "  e: conv(32, 1)\n}");
    assertTrue(message.startsWith("cannot compile layer c: one image's workspace would take 2,1"), message);
    assertTrue(message.contains("; this layer's scratch is 1,296,000,000), more than the 2,147,483,639 one Java array holds; "), message);
  }

  /** The same where the Winograd conv also has the largest output: its scratch is still what is blamed, with the way out. */
  @Test
  void aWinogradConvWithTheLargestOutputIsBlamedForItsScratch() throws Exception {
    String message = refusedForWinogradTiles("input(32, 2600, 2600)\nx: relu()\nresidual {\n  a: conv(32, 1)\n  c: conv(64, 3, padding = 1)\n"
        + "  e: conv(32, 1)\n}");
    assertTrue(message.contains("; this layer's scratch is "), message);
  }

  /**
   * The refusal of {@code spec}, whose layer c (line 5) is a Winograd conv whose tiles pass the workspace
   * limit: it names c and the way out, and under --disable-pass winograd the model is within the limits.
   */
  private static String refusedForWinogradTiles(String spec) throws Exception {
    NetcException e = refused(spec);
    assertEquals(5, e.span().line());
    assertTrue(e.getMessage().startsWith("cannot compile layer c: one image's workspace would take "), e.getMessage());
    assertTrue(e.getMessage().endsWith("; the scratch is its Winograd tiles: --disable-pass winograd computes it as a direct conv, without them"),
        e.getMessage());
    ModelCompiler.checkLimits(PassManager.run(build(spec), new PassContext(2, java.util.Set.of("winograd"), 16, java.util.List.of())));
    return e.getMessage();
  }
}
