package netc.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import netc.ast.NetcException;
import netc.testing.Specs;
import org.junit.jupiter.api.Test;

class ShapeInferenceTest {
  private static Shape last(String spec) {
    return Specs.fromText(spec).output().shape();
  }

  @Test
  void convOutputSizeFollowsTorchsFormula() {
    // floor((224 + 2*3 - 7) / 2) + 1 = 112
    assertEquals(new Shape(64, 112, 112), last("input(3, 224, 224)\nconv(64, 7, stride = 2, padding = 3)"));
    // dilation 2 makes a 3x3 kernel span 5: 10 - 5 + 1 = 6
    assertEquals(new Shape(8, 6, 6), last("input(4, 10, 10)\nconv(8, 3, dilation = 2)"));
    // rectangular kernel and stride
    assertEquals(new Shape(2, 4, 9), last("input(1, 9, 9)\nconv(2, [3, 1], stride = [2, 1])"));
  }

  @Test
  void poolsAndFlatten() {
    assertEquals(new Shape(64, 56, 56), last("input(64, 112, 112)\nmaxpool(3, stride = 2, padding = 1)"));
    assertEquals(new Shape(5, 3, 3), last("input(5, 7, 7)\navgpool(2)"));
    assertEquals(new Shape(5, 1, 1), last("input(5, 7, 7)\nglobal_avgpool()"));
    assertEquals(new Shape(245), last("input(5, 7, 7)\nflatten()"));
    assertEquals(new Shape(3), last("input(5, 7, 7)\nflatten()\nfc(3)"));
  }

  /**
   * Ceil mode, as torch's pooling_output_shape_pad_lr: a window up to stride - 1 longer than the
   * padded input still gives one output (torch.nn.MaxPool2d(3, 2, ceil_mode=True) on 2x2 is 1x1);
   * floor mode, or a longer overhang, gives none and is refused.
   */
  @Test
  void ceilModePoolsTakeAWindowLargerThanThePaddedInput() {
    assertEquals(new Shape(1, 1, 1), last("input(1, 2, 2)\nmaxpool(3, stride = 2, ceil_mode = true)"));
    // padded 3 + 2 = 5, window 6: (5 - 6 + 1) div 2 + 1 = 1
    assertEquals(new Shape(2, 1, 1), last("input(2, 3, 3)\navgpool(6, stride = 2, padding = 1, ceil_mode = true)"));
    // height: padded 2 + 1 + 0 = 3, window 5, stride 3: (3 - 5 + 2) div 3 + 1 = 1; width: padded 5, 1
    assertEquals(new Shape(1, 1, 1), last("input(1, 2, 2)\navgpool(5, stride = 3, padding = [1, 1, 0, 2], ceil_mode = true)"));
    assertEquals(1, ShapeInference.outSize("maxpool", 2, 3, 2, 0, 0, 1, true));
    // (2 - 4 + 1) rounded down (torch's div_rtn) over 2 is -1: no window. Rounded toward zero it was 0, one window.
    ShapeError e = assertThrows(ShapeError.class, () -> ShapeInference.outSize("maxpool", 2, 4, 2, 0, 0, 1, true));
    assertEquals("maxpool window 4 is larger than the padded input 2 by 2; ceil mode allows at most stride - 1 = 1", e.getMessage());
    NetcException floor = assertThrows(NetcException.class, () -> last("input(1, 2, 2)\nmp: maxpool(3, stride = 2)"));
    assertTrue(floor.getMessage().endsWith("mp: maxpool window 3 is larger than the padded input 2"), floor.getMessage());
    NetcException far = assertThrows(NetcException.class, () -> last("input(1, 2, 2)\nmp: maxpool(4, stride = 2, ceil_mode = true)"));
    assertTrue(far.getMessage().endsWith("mp: maxpool window 4 is larger than the padded input 2 by 2; ceil mode allows at most stride - 1 = 1"),
        far.getMessage());
  }

  @Test
  void resnetStagesHaveTorchvisionShapes() {
    Graph g = Specs.example("resnet50", Map.of());
    Map<String, Shape> expected = Map.of(
        "conv1", new Shape(64, 112, 112),
        "maxpool", new Shape(64, 56, 56),
        "layer1.2.conv3", new Shape(256, 56, 56),
        "layer2.0.conv2", new Shape(128, 28, 28),
        "layer2.0.downsample.0", new Shape(512, 28, 28),
        "layer4.2.add", new Shape(2048, 7, 7),
        "fc", new Shape(1000));
    expected.forEach((name, shape) -> assertEquals(shape, node(g, name).shape(), name));
  }

  @Test
  void shortcutIsProjectedOnlyWhereTheShapeChanges() {
    Graph r18 = Specs.example("resnet18", Map.of());
    List<String> downsamples = r18.nodes().stream().map(Node::name).filter(n -> n.endsWith("downsample.0")).toList();
    assertEquals(List.of("layer2.0.downsample.0", "layer3.0.downsample.0", "layer4.0.downsample.0"), downsamples);
    Graph r50 = Specs.example("resnet50", Map.of());
    assertTrue(r50.nodes().stream().anyMatch(n -> n.name().equals("layer1.0.downsample.0")), "64 -> 256 channels needs a projection");
  }

  @Test
  void overridesChangeTheNetwork() {
    Graph small = Specs.example("resnet18", Map.of("width", "8", "size", "32", "classes", "10"));
    assertEquals(new Shape(3, 32, 32), small.input().shape());
    assertEquals(new Shape(10), small.output().shape());
    assertEquals(new Shape(64, 1, 1), node(small, "layer4.1.add").shape());
  }

  @Test
  void unknownOverrideIsAnError() {
    NetcException e = assertThrows(NetcException.class, () -> Specs.example("resnet18", Map.of("depth", "3")));
    assertEquals("unknown parameter 'depth' in -D depth=3; the spec defines: classes, size, width", e.getMessage());
  }

  /**
   * An override of a param no layer reads changes nothing, and is refused: a block's parameter of the same name
   * hid it (resnet.net's resnet(..., width = 64, classes = 1000) called without width = width built the 64-wide,
   * 1000-class network under -D width=8 -D classes=10). Read through another param, it counts.
   */
  @Test
  void anOverrideNoLayerReadsIsRefused() throws java.io.IOException {
    java.nio.file.Path dir = java.nio.file.Files.createDirectories(java.nio.file.Path.of("target/unread-override"));
    java.nio.file.Path spec = dir.resolve("hidden.net");
    java.nio.file.Files.writeString(spec, "param width = 64\nparam half = width / 2\nparam unused = 3\n"
        + "block b(width = 16) {\n  conv(width, 1)\n}\ninput(3, 8, 8)\nb()\nconv(half, 1)\n");
    netc.ast.SpecLoader.Program program = netc.ast.SpecLoader.load(spec);
    NetcException e = assertThrows(NetcException.class, () -> GraphBuilder.build(program, Map.of("unused", "4")));
    assertEquals("-D unused=4 changes nothing: no layer reads param 'unused' (where a block's parameter or a loop's variable has that name,"
        + " it hides the param: pass it on, as unused = unused)", e.getMessage());
    // width is read through half: its override counts
    Graph g = GraphBuilder.build(program, Map.of("width", "8"));
    assertEquals(new Shape(4, 8, 8), g.output().shape());
    java.nio.file.Files.writeString(spec, "param width = 64\nblock b(width = 16) {\n  conv(width, 1)\n}\ninput(3, 8, 8)\nb()\n");
    netc.ast.SpecLoader.Program hidden = netc.ast.SpecLoader.load(spec);
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(hidden, Map.of("width", "8")));
    assertTrue(e.getMessage().startsWith("-D width=8 changes nothing: no layer reads param 'width'"), e.getMessage());
    // passed to a block's parameter the block never reads (nor does the block it passes it on to), it changes nothing
    // either: the argument's read counted before the block ran
    java.nio.file.Files.writeString(spec, "param extra = 1\nparam width = 8\nblock inner(c, unused) {\n  conv(c, 1)\n}\n"
        + "block outer(c, e) {\n  inner(c, e)\n}\ninput(3, 8, 8)\nouter(width, extra)\n");
    netc.ast.SpecLoader.Program passed = netc.ast.SpecLoader.load(spec);
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(passed, Map.of("extra", "5")));
    assertTrue(e.getMessage().startsWith("-D extra=5 changes nothing: no layer reads param 'extra'"), e.getMessage());
    // width reaches conv through two blocks' parameters: read
    assertEquals(new Shape(4, 8, 8), GraphBuilder.build(passed, Map.of("width", "4")).output().shape());
    // through a default that names an earlier parameter, and through a loop bound: read; the unread parameter beside them not
    java.nio.file.Files.writeString(spec, "param w = 8\nparam n = 2\nparam extra = 1\nblock b(c, count, unused, k = c) {\n"
        + "  for i in 0 .. count { {i}: conv(k, 1) }\n}\ninput(3, 8, 8)\nb(w, n, extra)\n");
    netc.ast.SpecLoader.Program defaults = netc.ast.SpecLoader.load(spec);
    Graph three = GraphBuilder.build(defaults, Map.of("w", "4", "n", "3"));
    assertEquals(new Shape(4, 8, 8), three.output().shape());
    assertEquals(4, three.nodes().size(), "the input and three convs");
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(defaults, Map.of("extra", "2")));
    assertTrue(e.getMessage().startsWith("-D extra=2 changes nothing"), e.getMessage());
    // a call whose callee is a block's parameter is left to the build where it does not run: not refused
    java.nio.file.Files.writeString(spec, "block apply(f, c) {\n  f(c)\n}\nblock unit(c) {\n  conv(c, 1)\n}\nblock never(g) {\n  g(4)\n"
        + "  residual {\n    conv(3, 1)\n  } shortcut s {\n    g(3)\n  }\n}\ninput(3, 8, 8)\napply(unit, 5)\n");
    assertEquals(new Shape(5, 8, 8), GraphBuilder.build(netc.ast.SpecLoader.load(spec), Map.of()).output().shape());
  }

  /**
   * A -D value takes the type its param declares: 20 for a number param is 20.0 (1 / ratio must not become an
   * integer division, a slope of 0); 2.5 for an integer param, or a word for a boolean, is refused by name.
   */
  @Test
  void anOverrideTakesItsParamsType() {
    java.nio.file.Path spec = java.nio.file.Path.of("target/override-types.net");
    try {
      java.nio.file.Files.writeString(spec, "param ratio = 10.0\nparam width = 8\nparam bias = true\ninput(3, 8, 8)\n"
          + "c: conv(width, 1, bias = bias)\nleaky_relu(slope = 1 / ratio)\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Graph g = GraphBuilder.build(netc.ast.SpecLoader.load(spec), Map.of("ratio", "20"));
    assertEquals(0.05, g.nodes().get(2).attrs().getDouble("slope"), 1e-12);
    NetcException e = assertThrows(NetcException.class, () -> GraphBuilder.build(netc.ast.SpecLoader.load(spec), Map.of("width", "2.5")));
    assertEquals("-D width=2.5: the spec's param width is an integer (its default is 8)", e.getMessage());
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(netc.ast.SpecLoader.load(spec), Map.of("bias", "1")));
    assertEquals("-D bias=1: the spec's param bias is true or false (its default is true)", e.getMessage());
    // an integer past 64 bits is an integer too large, not "not an integer" (it was read as a number first)
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(netc.ast.SpecLoader.load(spec), Map.of("width", "99999999999999999999")));
    assertEquals("-D width=99999999999999999999: integer too large", e.getMessage());
  }

  /**
   * A -D value the spec takes but a layer then refuses: the error is at the layer's place in the spec, which
   * shows the param's name, not its value, so it says what the spec was built with.
   */
  @Test
  void anErrorAfterAnOverrideSaysTheOverrides() {
    String text = "param width = 8\nparam k = 1\nblock b(c) {\n  conv(c, k)\n}\ninput(3, 8, 8)\nb(width)\n";
    netc.ast.SpecLoader.Program program = netc.ast.SpecLoader.fromText("o.net", text);
    NetcException e = assertThrows(NetcException.class, () -> GraphBuilder.build(program, Map.of("width", "0", "k", "1")));
    assertEquals("o.net:4:8: out must be positive and reasonable, got 0 (in block b, called at 7:1) (built with -D k=1, -D width=0)",
        e.format().lines().findFirst().orElseThrow());
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(program, Map.of("k", "99")));
    assertTrue(e.format().startsWith("o.net:4:") && e.getMessage().endsWith(" (built with -D k=99)"), e.format());
    // the same error from the spec's own default says nothing of -D
    netc.ast.SpecLoader.Program zero = netc.ast.SpecLoader.fromText("z.net", text.replace("width = 8", "width = 0"));
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(zero, Map.of()));
    assertEquals("z.net:4:8: out must be positive and reasonable, got 0 (in block b, called at 7:1)", e.format().lines().findFirst().orElseThrow());
    // a -D the spec cannot take is told as before
    e = assertThrows(NetcException.class, () -> GraphBuilder.build(program, Map.of("width", "x")));
    assertEquals("-D width=x: the value must be an integer, a number or true/false", e.getMessage());
  }

  @Test
  void verifierCatchesBrokenGraphs() {
    Graph g = Specs.fromText("input(3, 8, 8)\nconv(4, 3)\nrelu()");
    assertEquals(List.of(), Verifier.check(g));
    Node conv = g.nodes().get(1);
    Node wrongShape = new Node(conv.id(), conv.op(), conv.name(), conv.inputs(), conv.attrs(), new Shape(4, 8, 8),
        conv.params(), conv.origins());
    Graph broken = g.withNodes(List.of(g.nodes().get(0), wrongShape, g.nodes().get(2)), 2);
    assertEquals(List.of("%1 has shape 4x8x8, its inputs give 4x6x6", "%2 has shape 4x6x6, its inputs give 4x8x8"), Verifier.check(broken));
    Graph badOrder = g.withNodes(List.of(g.nodes().get(0), g.nodes().get(2), g.nodes().get(1)), 2);
    assertTrue(Verifier.check(badOrder).get(0).contains("uses %1 before it is defined"), Verifier.check(badOrder).toString());
  }

  /**
   * An attribute no spec can give (a pass's bug) makes shape inference throw something other than a
   * ShapeError: the verifier still names the node and, through verify, the pass.
   */
  @Test
  void verifierLocatesEveryFailureOfShapeInference() {
    Graph g = Specs.fromText("input(3, 8, 8)\nc: conv(4, 3)\nrelu()");
    Node conv = g.nodes().get(1);
    Node zeroStride = new Node(conv.id(), conv.op(), conv.name(), conv.inputs(), conv.attrs().with("stride", List.of(0, 0)), conv.shape(),
        conv.params(), conv.origins());
    Graph broken = g.withNodes(List.of(g.nodes().get(0), zeroStride, g.nodes().get(2)), 2);
    assertEquals(List.of("%1 c: ArithmeticException: / by zero"), Verifier.check(broken));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Verifier.verify(broken, "fuse-activations"));
    assertEquals("IR verification failed after fuse-activations:\n  %1 c: ArithmeticException: / by zero", e.getMessage());
    Node noGroups = new Node(conv.id(), conv.op(), conv.name(), conv.inputs(), conv.attrs().without("groups"), conv.shape(),
        conv.params(), conv.origins());
    assertEquals(List.of("%1 c: IllegalStateException: missing attribute groups"),
        Verifier.check(g.withNodes(List.of(g.nodes().get(0), noGroups, g.nodes().get(2)), 2)));
    Node noChannels = new Node(conv.id(), conv.op(), conv.name(), conv.inputs(), conv.attrs().with("out", 0), conv.shape(),
        conv.params(), conv.origins());
    assertEquals(List.of("%1 c: IllegalArgumentException: non-positive dimension in 0x6x6"),
        Verifier.check(g.withNodes(List.of(g.nodes().get(0), noChannels, g.nodes().get(2)), 2)));
  }

  private static Node node(Graph g, String name) {
    return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no node " + name));
  }

  /**
   * A number argument written as an integer division is refused (1 / 10 is 0), but only its own expression counts:
   * a list's integer element beside another element's float division is a number list, and a float division is one.
   */
  @Test
  void onlyAnIntegerDivisionGivingANumberIsRefused() {
    Graph g = Specs.fromText("input(3, 8, 8, mean = [0, 0.5 / 2, 0], std = [1, 1, 1])\nc: conv(4, 1)\nleaky_relu(slope = 1.0 / 10)");
    assertEquals(java.util.List.of(0.0, 0.25, 0.0), g.input().attrs().getDoubles("mean"));
    netc.ast.NetcException e = org.junit.jupiter.api.Assertions.assertThrows(netc.ast.NetcException.class,
        () -> Specs.fromText("input(3, 8, 8, mean = [1 / 2, 0.5, 0.5], std = [1, 1, 1])\nc: conv(4, 1)"));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("mean is a number, and this is integer division"), e.getMessage());
  }
}
