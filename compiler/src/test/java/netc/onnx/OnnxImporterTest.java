package netc.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import netc.ast.NetcException;
import netc.ast.SpecLoader;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.codegen.ModelCompiler;
import netc.interp.Interpreter;
import netc.ir.Op;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.runtime.io.TensorSource;
import netc.weights.WeightBinding;
import org.junit.jupiter.api.Test;

/** The importer on hand-made graphs: the spec it writes, and one message naming the node for what it cannot express. */
class OnnxImporterTest {
  private static final Path FILE = Path.of("m.onnx");

  /** A graph x[2, 4, 4] -> nodes -> y, with the given initializers. */
  private static OnnxImporter.Result translate(List<byte[]> nodes, List<byte[]> initializers) {
    return OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(nodes, initializers, 2, 4, 4))));
  }

  private static String error(List<byte[]> nodes, List<byte[]> initializers) {
    NetcException e = assertThrows(NetcException.class, () -> translate(nodes, initializers));
    assertTrue(e.getMessage().startsWith("m.onnx: "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    return e.getMessage();
  }

  private static Graph build(OnnxImporter.Result r) {
    return GraphBuilder.build(SpecLoader.fromText("imported", r.spec()), Map.of());
  }

  private static byte[] conv(String name, String in, String out, String weight, byte[]... attributes) {
    return OnnxBytes.node(name, "Conv", List.of(in, weight), List.of(out), attributes);
  }

  private static byte[] weight(String name, int out, int in, int k) {
    return weight(name, out, in, k, 0.01f);
  }

  /** A conv weight of values i * step, i its flat index. */
  private static byte[] weight(String name, int out, int in, int k, float step) {
    float[] v = new float[out * in * k * k];
    for (int i = 0; i < v.length; i++) v[i] = i * step;
    return OnnxBytes.floats(name, new long[] {out, in, k, k}, v);
  }

  @Test
  void asymmetricPaddingIsWrittenInFull() {
    OnnxImporter.Result r = translate(List.of(conv("/c/Conv", "x", "y", "w", OnnxBytes.ints("pads", 0, 0, 1, 1))), List.of(weight("w", 2, 2, 3)));
    assertTrue(r.spec().contains("c: conv(2, 3, padding = [0, 0, 1, 1], bias = false)"), r.spec());
    assertEquals(List.of(2, 3, 3), java.util.Arrays.stream(build(r).output().shape().dims()).boxed().toList()); // (4 + 1 - 3) + 1
  }

  @Test
  void ceilModeAndTheDivisorOfAveragePools() {
    byte[] max = OnnxBytes.node("p", "MaxPool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3),
        OnnxBytes.ints("strides", 2, 2), OnnxBytes.integer("ceil_mode", 1));
    OnnxImporter.Result r = translate(List.of(max), List.of());
    assertTrue(r.spec().contains("p: maxpool(3, stride = 2, ceil_mode = true)"), r.spec());
    // storage_order orders the Indices output alone: with that output unused, the same pool (it was refused)
    byte[] columnMajor = OnnxBytes.node("p", "MaxPool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3),
        OnnxBytes.ints("strides", 2, 2), OnnxBytes.integer("ceil_mode", 1), OnnxBytes.integer("storage_order", 1));
    assertEquals(r.spec(), translate(List.of(columnMajor), List.of()).spec());
    assertEquals(2, build(r).output().shape().height()); // ceil((4 - 3) / 2) + 1; floor would give 1
    // a window one past the input, in ceil mode: one output, as torch and ONNX (ceil((4 - 5) / 2 + 1) = 1)
    byte[] wider = OnnxBytes.node("p", "MaxPool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 5, 5),
        OnnxBytes.ints("strides", 2, 2), OnnxBytes.integer("ceil_mode", 1));
    r = translate(List.of(wider), List.of());
    assertTrue(r.spec().contains("p: maxpool(5, stride = 2, ceil_mode = true)"), r.spec());
    assertEquals(List.of(2, 1, 1), java.util.Arrays.stream(build(r).output().shape().dims()).boxed().toList());
    // with stride 1 ceil mode rounds nothing up: ceil((4 - 5) / 1 + 1) = 0
    byte[] none = OnnxBytes.node("p", "MaxPool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 5, 5),
        OnnxBytes.integer("ceil_mode", 1));
    assertEquals("m.onnx: node 'p' (MaxPool) gives an empty output [2, 0, 0]", error(List.of(none), List.of()));
    // ONNX's count_include_pad defaults to 0: said where padding meets a window, left out where it cannot matter
    byte[] avg = OnnxBytes.node("a", "AveragePool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3),
        OnnxBytes.ints("pads", 1, 1, 1, 1));
    assertTrue(translate(List.of(avg), List.of()).spec().contains("a: avgpool(3, stride = 1, padding = 1, count_include_pad = false)"));
    byte[] counted = OnnxBytes.node("a", "AveragePool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3),
        OnnxBytes.ints("pads", 1, 1, 1, 1), OnnxBytes.integer("count_include_pad", 1));
    assertTrue(translate(List.of(counted), List.of()).spec().contains("a: avgpool(3, stride = 1, padding = 1)"));
    byte[] wide = OnnxBytes.node("a", "MaxPool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 2, 2), OnnxBytes.ints("pads", 0, 0, 2, 0));
    assertTrue(error(List.of(wide), List.of()).endsWith("netc's pooling pads at most half the kernel on each side (pads [0, 0, 2, 0])"));
  }

  @Test
  void clipBoundsFromInputsOrAttributes() {
    byte[] six = OnnxBytes.floats("six", new long[0], 6f), zero = OnnxBytes.floats("zero", new long[0], 0f);
    OnnxImporter.Result r = translate(List.of(OnnxBytes.node("/r6/Clip", "Clip", List.of("x", "zero", "six"), List.of("y"))), List.of(six, zero));
    assertTrue(r.spec().contains("r6: clip(min = 0.0, max = 6.0)"), r.spec());
    // a bound left out (an empty input name) is unbounded
    r = translate(List.of(OnnxBytes.node("c", "Clip", List.of("x", "", "six"), List.of("y"))), List.of(six));
    assertTrue(r.spec().contains("c: clip(max = 6.0)"), r.spec());
    // before opset 11 the bounds are attributes; -FLT_MAX is how exporters say "none"
    byte[] old = OnnxBytes.node("c", "Clip", List.of("x"), List.of("y"), OnnxBytes.real("min", -Float.MAX_VALUE), OnnxBytes.real("max", 1.5f));
    String spec = OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(List.of(old), List.of(), 2, 4, 4), 9))).spec();
    assertTrue(spec.contains("c: clip(max = 1.5)"), spec);
    // min above max: every output is max (ONNX's min(max(x, min), max), as ONNX Runtime computes it); it was refused
    r = translate(List.of(OnnxBytes.node("c", "Clip", List.of("x", "six", "zero"), List.of("y"))), List.of(six, zero));
    assertTrue(r.spec().contains("c: clip(min = 0.0, max = 0.0)"), r.spec());
    Graph pinned = build(r);
    Tensor y = Interpreter.run(pinned, WeightBinding.bind(pinned, TensorSource.of("m.onnx", r.weights())), Tensor.uniform(5, 1, 2, 4, 4));
    for (float v : y.data()) assertEquals(0f, v, "every output is max");
    // +inf and FLT_MAX mean "none" above, -inf and -FLT_MAX below; at the other end they pin every output, once dropped as "none"
    byte[] inf = OnnxBytes.floats("inf", new long[0], Float.POSITIVE_INFINITY), low = OnnxBytes.floats("low", new long[0], -Float.MAX_VALUE);
    assertTrue(translate(List.of(OnnxBytes.node("c", "Clip", List.of("x", "low", "inf"), List.of("c1")), OnnxBytes.node("r", "Relu", List.of("c1"), List.of("y"))),
        List.of(inf, low)).spec().contains("// onnx: c (Clip)"), "no bounds: no layer");
    assertEquals("m.onnx: node 'c' (Clip): its max -3.4028235E38 makes every output -3.4028235E38; netc clips to bounds within float's range",
        error(List.of(OnnxBytes.node("c", "Clip", List.of("x", "", "low"), List.of("y"))), List.of(low)));
    assertEquals("m.onnx: node 'c' (Clip): its min Infinity makes every output Infinity; netc clips to bounds within float's range",
        error(List.of(OnnxBytes.node("c", "Clip", List.of("x", "inf"), List.of("y"))), List.of(inf)));
  }

  /**
   * Clip's bounds are attributes before opset 11 and inputs from it; Split's sizes an attribute before
   * opset 13 and an input from it. The other form (which onnx.checker and onnxruntime refuse too) is
   * refused by name: read by opset alone, a ReLU6 lost its bounds and a split its sizes.
   */
  @Test
  void clipBoundsAndSplitSizesInTheOtherOpsetsFormAreRefused() {
    byte[] six = OnnxBytes.floats("six", new long[0], 6f), zero = OnnxBytes.floats("zero", new long[0], 0f);
    byte[] attrs = OnnxBytes.node("/r6/Clip", "Clip", List.of("x"), List.of("y"), OnnxBytes.real("min", 0f), OnnxBytes.real("max", 6f));
    assertEquals("m.onnx: node '/r6/Clip' (Clip) with max=6.0, min=0.0: Clip's bounds are inputs from opset 11, not attributes (the model's"
        + " opset is 13)", error(List.of(attrs), List.of()));
    byte[] inputs = OnnxBytes.node("/r6/Clip", "Clip", List.of("x", "zero", "six"), List.of("y"));
    assertEquals("m.onnx: node '/r6/Clip' (Clip): Clip's bounds are attributes before opset 11, not inputs (the model's opset is 10)",
        error(List.of(inputs), List.of(six, zero), 2, 10));
    // each in its own opset
    assertTrue(translate(List.of(attrs), List.of(), 2, 10).spec().contains("r6: clip(min = 0.0, max = 6.0)"));
    assertTrue(translate(List.of(inputs), List.of(six, zero), 2, 11).spec().contains("r6: clip(min = 0.0, max = 6.0)"));
    // 3 channels split [1, 2]
    byte[] sizes = int64s("sizes", 1, 2);
    List<byte[]> byAttribute = List.of(
        OnnxBytes.node("/Split", "Split", List.of("x"), List.of("a", "b"), OnnxBytes.integer("axis", 1), OnnxBytes.ints("split", 1, 2)),
        OnnxBytes.node("/Concat", "Concat", List.of("b", "a"), List.of("y"), OnnxBytes.integer("axis", 1)));
    List<byte[]> byInput = List.of(
        OnnxBytes.node("/Split", "Split", List.of("x", "sizes"), List.of("a", "b"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("/Concat", "Concat", List.of("b", "a"), List.of("y"), OnnxBytes.integer("axis", 1)));
    assertEquals("m.onnx: node '/Split' (Split) with axis=1, split=[1, 2]: Split's sizes are an input from opset 13, not an attribute (the"
        + " model's opset is 13)", error(byAttribute, List.of(), 3, 13));
    assertEquals("m.onnx: node '/Split' (Split) with axis=1: Split's sizes are an attribute before opset 13, not an input (the model's opset"
        + " is 12)", error(byInput, List.of(sizes), 3, 12));
    for (String spec : List.of(translate(byAttribute, List.of(), 3, 12).spec(), translate(byInput, List.of(sizes), 3, 13).spec())) {
      assertTrue(spec.contains("split_2: channels(1, 3)") && spec.contains("split: channels(0, 1)"), spec);
    }
  }

  /** A graph x[channels, 4, 4] -> nodes -> y of the default opset {@code opset}. */
  private static OnnxImporter.Result translate(List<byte[]> nodes, List<byte[]> initializers, int channels, long opset) {
    return OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(nodes, initializers, channels, 4, 4), opset)));
  }

  private static String error(List<byte[]> nodes, List<byte[]> initializers, int channels, long opset) {
    NetcException e = assertThrows(NetcException.class, () -> translate(nodes, initializers, channels, opset));
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void threePathsOfWhichNoneIsTheOutputAreRefused() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("a", "Relu", List.of("x"), List.of("a")),
        OnnxBytes.node("b", "Sigmoid", List.of("x"), List.of("b")),
        OnnxBytes.node("c", "Tanh", List.of("x"), List.of("c")));
    // paths that never join, and none of them the output
    assertEquals("m.onnx: the graph's output 'y' is computed by no node", error(nodes, List.of()));
  }

  @Test
  void threePathsJoinedByConcatAreBranchesInTheConcatsOrder() {
    List<byte[]> nodes = List.of(
        conv("/b1/Conv", "x", "a", "w1"),
        conv("/b2/Conv", "x", "b", "w2", OnnxBytes.ints("pads", 1, 1, 1, 1)),
        OnnxBytes.node("/b3/Relu", "Relu", List.of("x"), List.of("c")),
        OnnxBytes.node("/cat", "Concat", List.of("c", "a", "x", "b"), List.of("y"), OnnxBytes.integer("axis", 1)));
    OnnxImporter.Result r = translate(nodes, List.of(weight("w1", 3, 2, 1), weight("w2", 5, 2, 3)));
    assertEquals("""
        input(2, 4, 4)

        concat {  // onnx: /cat (Concat)
            b3: relu()  // onnx: /b3/Relu
        } and {
            b1: conv(3, 1, bias = false)  // onnx: /b1/Conv
        } and {
        } and {
            b2: conv(5, 3, padding = 1, bias = false)  // onnx: /b2/Conv
        }
        """, r.spec().substring(r.spec().indexOf('\n') + 1));
    Graph g = build(r);
    assertEquals(Op.CONCAT, g.output().op());
    assertEquals(List.of(2 + 3 + 2 + 5, 4, 4), java.util.Arrays.stream(g.output().shape().dims()).boxed().toList());
  }

  /** torch.onnx.export writes cat([a, cat([c, d])]) as one Concat(a, c, d): the run of c and d, which fork from b, is their own concat. */
  @Test
  void aConcatFlattenedByTheExporterNestsAgain() {
    List<byte[]> nodes = List.of(
        conv("/a/Conv", "x", "a", "w1"),
        OnnxBytes.node("/b/Relu", "Relu", List.of("x"), List.of("b")),
        conv("/c/Conv", "b", "c", "w2"),
        conv("/d/Conv", "b", "d", "w1"),
        OnnxBytes.node("/cat", "Concat", List.of("a", "c", "d"), List.of("y"), OnnxBytes.integer("axis", 1)));
    List<byte[]> weights = List.of(weight("w1", 3, 2, 1), weight("w2", 5, 2, 1));
    OnnxImporter.Result r = translate(nodes, weights);
    assertEquals("""
        concat {  // onnx: /cat (Concat)
            a: conv(3, 1, bias = false)  // onnx: /a/Conv
        } and {
            b: relu()  // onnx: /b/Relu
            concat {  // onnx: /cat (Concat), inputs 'c', 'd'
                c: conv(5, 1, bias = false)  // onnx: /c/Conv
            } and {
                d: conv(3, 1, bias = false)  // onnx: /d/Conv
            }
        }
        """, r.spec().substring(r.spec().indexOf("concat")));
    assertEquals(List.of(3 + 5 + 3, 4, 4), java.util.Arrays.stream(build(r).output().shape().dims()).boxed().toList());
    // c and d apart in the Concat's order: nesting would reorder the channels, so it is refused
    List<byte[]> apart = new ArrayList<>(nodes.subList(0, 4));
    apart.add(OnnxBytes.node("/cat", "Concat", List.of("c", "a", "d"), List.of("y"), OnnxBytes.integer("axis", 1)));
    assertEquals("m.onnx: node '/cat' (Concat) concatenates 'a', which is not on a path from 'b'; netc's concat joins branches from one tensor",
        error(apart, weights));
  }

  @Test
  void denseConcatsOfAllLayersSoFarNest() {
    // DenseNet: each layer reads Concat of the block input and all outputs so far; the block ends with all of them
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/c1", "Concat", List.of("x"), List.of("c1"), OnnxBytes.integer("axis", 1)),
        conv("/l1/Conv", "c1", "n1", "w1"),
        OnnxBytes.node("/c2", "Concat", List.of("x", "n1"), List.of("c2"), OnnxBytes.integer("axis", 1)),
        conv("/l2/Conv", "c2", "n2", "w2"),
        OnnxBytes.node("/c3", "Concat", List.of("x", "n1", "n2"), List.of("y"), OnnxBytes.integer("axis", 1)));
    OnnxImporter.Result r = translate(nodes, List.of(weight("w1", 1, 2, 1), weight("w2", 1, 3, 1)));
    String spec = r.spec().substring(r.spec().indexOf('\n') + 1);
    assertTrue(spec.contains("concat {  // onnx: /c2 (Concat)\n} and {\n    l1: conv(1, 1, bias = false)"), spec);
    assertTrue(spec.contains("concat {  // onnx: /c3 (Concat)\n} and {\n    l2: conv(1, 1, bias = false)"), spec);
    assertEquals(List.of(4, 4, 4), java.util.Arrays.stream(build(r).output().shape().dims()).boxed().toList());
  }

  @Test
  void aConcatNotAlongChannelsIsRefused() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("r", "Relu", List.of("x"), List.of("a")),
        OnnxBytes.node("cat", "Concat", List.of("x", "a"), List.of("y"), OnnxBytes.integer("axis", 2)));
    assertEquals("m.onnx: node 'cat' (Concat) with axis=2: netc concatenates feature maps along channels (axis 1)", error(nodes, List.of()));
  }

  @Test
  void aConcatOfDifferentSizesIsRefused() {
    List<byte[]> nodes = List.of(
        conv("down", "x", "a", "w", OnnxBytes.ints("strides", 2, 2)),
        OnnxBytes.node("cat", "Concat", List.of("a", "x"), List.of("y"), OnnxBytes.integer("axis", 1)));
    assertEquals("m.onnx: node 'cat' (Concat) concatenates tensors of shapes [2, 2, 2] and [2, 4, 4]; netc concatenates maps of one height and width",
        error(nodes, List.of(weight("w", 2, 2, 1))));
  }

  @Test
  void pathsJoinedByDifferentNodesAreRefused() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("r", "Relu", List.of("x"), List.of("a")),
        OnnxBytes.node("s", "Sigmoid", List.of("x"), List.of("b")),
        OnnxBytes.node("cat", "Concat", List.of("a", "b2"), List.of("c"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("t", "Tanh", List.of("b"), List.of("b2")),
        OnnxBytes.node("add", "Add", List.of("a", "b"), List.of("d")),
        OnnxBytes.node("out", "Concat", List.of("c", "d"), List.of("y"), OnnxBytes.integer("axis", 1)));
    String e = error(nodes, List.of());
    assertTrue(e.startsWith("m.onnx: tensor "), e);
    assertTrue(e.contains("forks into paths that end at different nodes"), e);
  }

  @Test
  void aResidualWithAnIdentityShortcut() {
    List<byte[]> nodes = List.of(
        conv("/blk/conv/Conv", "x", "c", "w", OnnxBytes.ints("pads", 1, 1, 1, 1)),
        OnnxBytes.node("/blk/relu/Relu", "Relu", List.of("c"), List.of("r")),
        OnnxBytes.node("/blk/Add", "Add", List.of("x", "r"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of(weight("w", 2, 2, 3)));
    assertEquals("""
        input(2, 4, 4)

        residual {  // onnx: /blk/Add
            blk_conv: conv(2, 3, padding = 1, bias = false)  // onnx: /blk/conv/Conv
            blk_relu: relu()  // onnx: /blk/relu/Relu
        }
        """, r.spec().substring(r.spec().indexOf('\n') + 1));
    Graph g = build(r);
    assertEquals(Op.ADD, g.output().op());
  }

  /**
   * Two paths with layers that keep the shape, added (RepVGG's 3x3 and 1x1 convs side by side), are a sum: they were
   * refused, as netc's residual runs its shortcut only where the main path changes the shape. The compiled model and
   * the interpreter give what the two convs give added, computed here directly.
   */
  @Test
  void aShortcutThatKeepsTheShapeIsASum() throws java.io.IOException {
    List<byte[]> nodes = List.of(
        conv("/blk/main/Conv", "x", "m", "w", OnnxBytes.ints("pads", 1, 1, 1, 1)),
        conv("/blk/side/Conv", "x", "s", "v"),
        OnnxBytes.node("/blk/Add", "Add", List.of("m", "s"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of(weight("w", 2, 2, 3), weight("v", 2, 2, 1)));
    assertEquals("""
        input(2, 4, 4)

        sum {  // onnx: /blk/Add
            blk_main: conv(2, 3, padding = 1, bias = false)  // onnx: /blk/main/Conv
        } and blk: {
            side: conv(2, 1, bias = false)  // onnx: /blk/side/Conv
        }
        """, r.spec().substring(r.spec().indexOf('\n') + 1));
    Tensor x = Tensor.uniform(8, 1, 2, 4, 4);
    double[] expected = new double[2 * 16];
    for (int o = 0; o < 2; o++) {
      for (int y = 0; y < 4; y++) {
        for (int xx = 0; xx < 4; xx++) {
          double sum = 0;
          for (int i = 0; i < 2; i++) {
            sum += (o * 2 + i) * 0.01 * x.data()[i * 16 + y * 4 + xx]; // the 1x1
            for (int ky = 0; ky < 3; ky++) {
              for (int kx = 0; kx < 3; kx++) {
                int sy = y + ky - 1, sx = xx + kx - 1;
                if (sy >= 0 && sy < 4 && sx >= 0 && sx < 4) sum += (((o * 2 + i) * 3 + ky) * 3 + kx) * 0.01 * x.data()[i * 16 + sy * 4 + sx];
              }
            }
          }
          expected[o * 16 + y * 4 + xx] = sum;
        }
      }
    }
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[1], "interpreted");
    assertClose(expected, y[0], "compiled");
  }

  /**
   * A chain of Adds summing three paths from one tensor, as torch exports RepVGG's {@code a + b + x}: one sum of
   * three branches, the input itself one of them, whose outputs are the 1x1 convs' added to the input, computed here
   * directly. A sum in the middle of the chain that something else reads is no such chain, and is refused.
   */
  @Test
  void aChainOfAddsIsOneSum() throws java.io.IOException {
    List<byte[]> nodes = List.of(
        conv("/b/a/Conv", "x", "a", "w"),
        conv("/b/c/Conv", "x", "c", "v"),
        OnnxBytes.node("/b/Add", "Add", List.of("a", "c"), List.of("s")),
        OnnxBytes.node("/b/Add_1", "Add", List.of("s", "x"), List.of("y")));
    // the two convs' weights differ (0.01 and 0.03 steps): a sum that read one tensor twice would show
    OnnxImporter.Result r = translate(nodes, List.of(weight("w", 2, 2, 1), weight("v", 2, 2, 1, 0.03f)));
    assertEquals("""
        input(2, 4, 4)

        sum {  // onnx: /b/Add, /b/Add_1 (Add)
            b_a: conv(2, 1, bias = false)  // onnx: /b/a/Conv
        } and {
            b_c: conv(2, 1, bias = false)  // onnx: /b/c/Conv
        } and {
        }
        """, r.spec().substring(r.spec().indexOf('\n') + 1));
    Tensor x = Tensor.uniform(9, 1, 2, 4, 4);
    double[] expected = new double[2 * 16];
    for (int o = 0; o < 2; o++) {
      for (int p = 0; p < 16; p++) {
        double sum = x.data()[o * 16 + p];
        for (int i = 0; i < 2; i++) sum += (o * 2 + i) * (0.01 + 0.03) * x.data()[i * 16 + p]; // w's weights (o * 2 + i) * 0.01, v's * 0.03
        expected[o * 16 + p] = sum;
      }
    }
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[1], "interpreted");
    assertClose(expected, y[0], "compiled");
    // s read again after the sum: the paths end at different nodes (an Add reading y and leaving the
    // output y itself reads nothing the output needs: left out, as nodesTheOutputDoesNotReadAreLeftOutAndNamed)
    List<byte[]> read = new ArrayList<>(nodes.subList(0, 3));
    read.add(OnnxBytes.node("/b/Add_1", "Add", List.of("s", "x"), List.of("y1")));
    read.add(OnnxBytes.node("/b/Add_2", "Add", List.of("y1", "s"), List.of("y")));
    String e = error(read, List.of(weight("w", 2, 2, 1), weight("v", 2, 2, 1)));
    assertTrue(e.contains("forks into paths that end at different nodes"), e);
  }

  @Test
  void gemmWithoutTransBIsTransposedAndScaled() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("f", "Flatten", List.of("x"), List.of("f")),
        OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "b", "c"), List.of("y"), alpha(2f)));
    float[] b = new float[32 * 3];
    for (int i = 0; i < b.length; i++) b[i] = i;
    OnnxImporter.Result r = translate(nodes, List.of(OnnxBytes.floats("b", new long[] {32, 3}, b), OnnxBytes.floats("c", new long[] {1, 3}, 1f, 2f, 3f)));
    float[] w = r.weights().get("fc.weight").data();
    assertArrayEquals(new int[] {3, 32}, r.weights().get("fc.weight").shape());
    assertEquals(2f * b[5 * 3 + 1], w[1 * 32 + 5]); // W[o][k] = alpha * B[k][o]
    assertArrayEquals(new float[] {1f, 2f, 3f}, r.weights().get("fc.bias").data());
    build(r);
    // one value is a bias of every output; of three axes it would make ONNX's output [1, batch, 3]: refused, not read as [batch, 3]
    List<byte[]> matmul = List.of(OnnxBytes.node("f", "Flatten", List.of("x"), List.of("f")),
        OnnxBytes.node("/fc/MatMul", "MatMul", List.of("f", "b"), List.of("m")), OnnxBytes.node("/fc/Add", "Add", List.of("m", "c"), List.of("y")));
    assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, translate(matmul, List.of(OnnxBytes.floats("b", new long[] {32, 3}, b),
        OnnxBytes.floats("c", new long[] {1, 1}, 0.5f))).weights().get("fc.bias").data());
    assertEquals("m.onnx: node '/fc/Add' (Add): bias [1, 1, 1] does not fit 3 outputs (netc takes one value, or one an output along the last axis,"
        + " of at most 2 axes: the output's)",
        error(matmul, List.of(OnnxBytes.floats("b", new long[] {32, 3}, b), OnnxBytes.floats("c", new long[] {1, 1, 1}, 0.5f))));
  }

  private static byte[] alpha(float v) {
    return OnnxBytes.message(out -> {
      out.writeString(1, "alpha");
      out.writeInt32(20, OnnxAttribute.FLOAT);
      out.writeFloat(2, v);
    });
  }

  @Test
  void mulAndAddInFrontBecomeMeanAndStd() {
    // y = 4x - 2 on both channels = (x - 0.5) / 0.25
    List<byte[]> nodes = List.of(
        OnnxBytes.node("m", "Mul", List.of("x", "k"), List.of("a")),
        OnnxBytes.node("s", "Add", List.of("a", "d"), List.of("b")),
        OnnxBytes.node("r", "Relu", List.of("b"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of(OnnxBytes.floats("k", new long[] {1, 2, 1, 1}, 4f, 4f), OnnxBytes.floats("d", new long[] {}, -2f)));
    assertTrue(r.spec().contains("input(2, 4, 4, mean = [0.5, 0.5], std = [0.25, 0.25])  // onnx: m (Mul), s (Add)\n"), r.spec());
  }

  /**
   * The constant may come first in front too (c - x, c * x, c + x: the scale and shift's arithmetic):
   * (0.5 - x) * -4 is 4x - 2, (x - 0.5) / 0.25; a run whose scale ends negative ((0.5 - x) * 4) is no
   * normalization and imports as scales and shifts.
   */
  @Test
  void constantFirstArithmeticInFrontComposesToo() {
    java.util.function.Function<Float, OnnxImporter.Result> front = m -> translate(List.of(
        OnnxBytes.node("s", "Sub", List.of("c", "x"), List.of("a")),
        OnnxBytes.node("m", "Mul", List.of("k", "a"), List.of("b")),
        OnnxBytes.node("r", "Relu", List.of("b"), List.of("y"))),
        List.of(OnnxBytes.floats("c", new long[] {}, 0.5f), OnnxBytes.floats("k", new long[] {2, 1, 1}, m, m)));
    OnnxImporter.Result r = front.apply(-4f);
    assertTrue(r.spec().contains("input(2, 4, 4, mean = [0.5, 0.5], std = [0.25, 0.25])  // onnx: s (Sub), m (Mul)\n"), r.spec());
    OnnxImporter.Result negative = front.apply(4f);
    assertTrue(negative.spec().contains("input(2, 4, 4)\n"), negative.spec());
    assertTrue(negative.spec().contains("s: batchnorm(eps = 1.0E-30)") && negative.spec().contains("m: batchnorm(eps = 1.0E-30)"), negative.spec());
    assertArrayEquals(new float[] {-1, -1}, negative.weights().get("s.weight").data());
    assertArrayEquals(new float[] {0.5f, 0.5f}, negative.weights().get("s.bias").data());
    // the longest run that is a normalization: (x - 0.5) / 0.25 is, 1 - that is not; the 1 - y imports as a scale and shift
    OnnxImporter.Result longest = translate(List.of(
        OnnxBytes.node("s", "Sub", List.of("x", "c"), List.of("a")),
        OnnxBytes.node("d", "Div", List.of("a", "k"), List.of("b")),
        OnnxBytes.node("f", "Sub", List.of("one", "b"), List.of("e")),
        OnnxBytes.node("r", "Relu", List.of("e"), List.of("y"))),
        List.of(OnnxBytes.floats("c", new long[] {}, 0.5f), OnnxBytes.floats("k", new long[] {}, 0.25f), OnnxBytes.floats("one", new long[] {}, 1f)));
    assertTrue(longest.spec().contains("input(2, 4, 4, mean = [0.5, 0.5], std = [0.25, 0.25])  // onnx: s (Sub), d (Div)\n"), longest.spec());
    assertTrue(longest.spec().contains("f: batchnorm(eps = 1.0E-30)"), longest.spec());
    assertArrayEquals(new float[] {-1, -1}, longest.weights().get("f.weight").data());
    assertArrayEquals(new float[] {1, 1}, longest.weights().get("f.bias").data());
  }

  @Test
  void namesFromTheModelCannotInjectSpecText() {
    String evil = "x\n} residual { conv(1, 1) // é\u2028";
    List<byte[]> nodes = List.of(OnnxBytes.node(evil, "Relu", List.of("x"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of());
    List<String> layers = new ArrayList<>();
    Graph g = build(r);
    g.nodes().forEach(n -> layers.add(n.name()));
    assertEquals(List.of("input", "x_residual_conv_1_1"), layers);
    assertEquals(4, r.spec().lines().count(), r.spec()); // header, input, blank, the layer: the name stayed in its comment
  }

  /**
   * A fork into tens of thousands of paths joined by one Concat (a file of a megabyte) imports in linear time: each
   * path's end was looked up among all the Concat's inputs, and each node's joins and constants rescanned (billions of
   * steps for 65,536 paths).
   */
  @Test
  void aWideForkImportsInLinearTime() {
    int paths = 65_000;
    List<byte[]> nodes = new ArrayList<>();
    List<String> ends = new ArrayList<>();
    for (int i = 0; i < paths; i++) {
      nodes.add(OnnxBytes.node("/r" + i + "/Relu", "Relu", List.of("x"), List.of("r" + i)));
      ends.add("r" + i);
    }
    nodes.add(OnnxBytes.node("/cat/Concat", "Concat", ends, List.of("y"), OnnxBytes.integer("axis", 1)));
    OnnxImporter.Result r = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> translate(nodes, List.of(), 2, 13));
    assertTrue(r.spec().contains("concat {"), "imported as one concat");
    // and a sum of as many paths, a chain of Adds as torch exports r0 + r1 + r2 + ...
    List<byte[]> adds = new ArrayList<>(nodes.subList(0, paths));
    String sum = "r0";
    for (int i = 1; i < paths; i++) {
      String out = i == paths - 1 ? "y" : "s" + i;
      adds.add(OnnxBytes.node("/a" + i + "/Add", "Add", List.of(sum, "r" + i), List.of(out)));
      sum = out;
    }
    OnnxImporter.Result summed = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> translate(adds, List.of(), 2, 13));
    assertTrue(summed.spec().contains("sum {"), "imported as one sum");
  }

  /**
   * Inception's concat of concats, as torch flattens it (Concat(b1, c1, b2, c2, ...) where each pair forks from
   * a tensor of its own), with tens of thousands of pairs, imports in linear time: each pair's run was looked up
   * in, and cut out of, a fresh copy of all the Concat's inputs (quadratic: minutes for 65,000 inputs, hours
   * for a file of a few MB more).
   */
  @Test
  void aWideConcatOfConcatsImportsInLinearTime() {
    int pairs = 32_500;
    List<byte[]> nodes = new ArrayList<>();
    List<String> ends = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      nodes.add(OnnxBytes.node("/a" + i + "/Relu", "Relu", List.of("x"), List.of("a" + i)));
      nodes.add(OnnxBytes.node("/b" + i + "/Relu", "Relu", List.of("a" + i), List.of("b" + i)));
      nodes.add(OnnxBytes.node("/c" + i + "/Sigmoid", "Sigmoid", List.of("a" + i), List.of("c" + i)));
      ends.add("b" + i);
      ends.add("c" + i);
    }
    nodes.add(OnnxBytes.node("/cat/Concat", "Concat", ends, List.of("y"), OnnxBytes.integer("axis", 1)));
    OnnxImporter.Result r = assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> translate(nodes, List.of(), 1, 13));
    Graph g = build(r);
    assertArrayEquals(new int[] {2 * pairs, 4, 4}, g.output().shape().dims(), "one channel from each of the 65,000 branches");
    // the same construct, small: the order of the branches is the Concat's
    List<byte[]> small = new ArrayList<>();
    for (String i : List.of("0", "1")) {
      small.add(OnnxBytes.node("/a" + i + "/Relu", "Relu", List.of("x"), List.of("a" + i)));
      small.add(OnnxBytes.node("/b" + i + "/Relu", "Relu", List.of("a" + i), List.of("b" + i)));
      small.add(OnnxBytes.node("/c" + i + "/Sigmoid", "Sigmoid", List.of("a" + i), List.of("c" + i)));
    }
    small.add(OnnxBytes.node("/cat/Concat", "Concat", List.of("b0", "c0", "b1", "c1"), List.of("y"), OnnxBytes.integer("axis", 1)));
    String spec = translate(small, List.of(), 1, 13).spec();
    assertTrue(spec.indexOf("b0") < spec.indexOf("c0") && spec.indexOf("c0") < spec.indexOf("b1") && spec.indexOf("b1") < spec.indexOf("c1"), spec);
    assertEquals(3, spec.split("concat \\{", -1).length - 1, "an outer concat of two inner ones:\n" + spec);
  }

  /**
   * A graph that computes nothing (its output its input, through Identity or Dropout) is refused naming the file, not
   * by the spec's builder at a line of a spec the user never wrote ("imported:2:1: the spec has no layers").
   */
  @Test
  void aGraphThatComputesNothingIsRefusedByName() {
    String e = error(List.of(OnnxBytes.node("/id/Identity", "Identity", List.of("x"), List.of("y"))), List.of());
    assertEquals("m.onnx: the graph computes nothing: its output is its input (no layer but Identity or Dropout between); netc compiles a"
        + " network of at least one layer", e);
  }

  /** A concat of more than a million channels is refused at the Concat node (its count, summed in an int, wrapped to a plausible one). */
  @Test
  void aConcatPastAMillionChannelsIsRefusedAtItsNode() {
    List<byte[]> nodes = new ArrayList<>();
    List<String> ends = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(OnnxBytes.node("/r" + i + "/Relu", "Relu", List.of("x"), List.of("r" + i)));
      ends.add("r" + i);
    }
    nodes.add(OnnxBytes.node("/cat/Concat", "Concat", ends, List.of("y"), OnnxBytes.integer("axis", 1)));
    String e = error(nodes, List.of(), 400_000, 13);
    assertTrue(e.endsWith("node '/cat/Concat' (Concat) concatenates 1200000 channels; netc's channel counts stop at 1,000,000"), e);
  }

  /**
   * Names made from the same base are the base, then _2, _3, ... past any taken as given; a model of 300,000
   * unnamed nodes of one type is named in linear time (each name tried every suffix from 2: quadratic, hours
   * for a million nodes, from a file of a few MB).
   */
  @Test
  void freshNamesTakeTheNextFreeSuffixInLinearTime() {
    LayerNames names = new LayerNames();
    assertEquals("relu", names.fresh("relu"));
    assertEquals("relu_2", names.fresh("relu"));
    assertEquals("relu_4", names.fresh("relu_4"));
    assertEquals("relu_3", names.fresh("relu"));
    assertEquals("relu_5", names.fresh("relu"));
    LayerNames many = new LayerNames();
    assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
      for (int i = 0; i < 300_000; i++) many.fresh("relu");
    });
    assertEquals("relu_300001", many.fresh("relu"));
  }

  @Test
  void layerNamesFromExporterPaths() {
    assertEquals("model_layer1_0_conv1", LayerNames.fromPath("/model/layer1/layer1.0/conv1/Conv", "Conv"));
    assertEquals("layer2_0_downsample_0", LayerNames.fromPath("/layer2/layer2.0/downsample/downsample.0/Conv", "Conv"));
    assertEquals("Conv_0", LayerNames.fromPath("Conv_0", "Relu"));
    assertEquals("", LayerNames.fromPath("Conv_12", "Conv"));
    assertEquals("n0_conv", LayerNames.sanitize("0.conv"));
    assertEquals("input_", LayerNames.sanitize("input"));
  }

  /**
   * A node with a generic name (Conv_12, as older exports and tf2onnx write) is named after its weight
   * ({@code features.3.weight} gives {@code features_3}), an exporter's onnx:: weight name is not used,
   * and with neither the op names it; each name once, the second with a suffix.
   */
  @Test
  void genericNodesAreNamedAfterTheirWeights() {
    LayerNames names = new LayerNames();
    OnnxNode conv = new OnnxNode("Conv_12", "Conv", "", List.of("x", "features.3.weight"), List.of("y"), java.util.Map.of());
    assertEquals("features_3", names.forNode(conv, "features.3.weight"));
    assertEquals("features_3_2", names.forNode(conv, "features.3.weight"));
    assertEquals("classifier_kernel", names.forNode(new OnnxNode("", "MatMul", "", List.of("v", "w"), List.of("z"), java.util.Map.of()),
        "classifier/kernel"));
    assertEquals("conv", names.forNode(new OnnxNode("Conv_13", "Conv", "", List.of("x", "onnx::Conv_99"), List.of("y"), java.util.Map.of()),
        "onnx::Conv_99"));
    assertEquals("relu", names.forNode(new OnnxNode("", "Relu", "", List.of("y"), List.of("z"), java.util.Map.of()), null));
    assertEquals("layer1_0_conv1", names.forNode(new OnnxNode("/layer1/layer1.0/conv1/Conv", "Conv", "", List.of("x", "w"), List.of("y"),
        java.util.Map.of()), "layer1.0.conv1.weight"), "a scoped node name before its weight's");
  }

  /** The fuzz seed with a batch norm, a conv shortcut, Gemm and Softmax: all imported, in order. */
  @Test
  void theFuzzSeedImports() throws java.io.IOException {
    Path seed = Path.of("src/test/resources/netc/onnx/OnnxFuzzTestInputs/importModel/residual_bn_gemm.onnx");
    OnnxImporter.Result r = OnnxImporter.translate(OnnxReader.read(seed));
    Graph g = build(r);
    List<Op> ops = new ArrayList<>();
    g.nodes().forEach(n -> ops.add(n.op()));
    assertEquals(List.of(Op.INPUT, Op.CONV, Op.BATCHNORM, Op.RELU, Op.CONV, Op.ADD, Op.MAXPOOL, Op.GLOBAL_AVGPOOL, Op.FLATTEN, Op.FC, Op.SOFTMAX), ops);
    assertTrue(r.spec().contains("input(2, 4, 4, mean = [0.0, 0.1], std = [1.0, 1.0])"), r.spec());
    assertTrue(r.weights().containsKey("b.down.bias"), r.weights().keySet().toString());
    assertTrue(r.weights().containsKey("b_bn.running_var"), r.weights().keySet().toString());
  }

  @Test
  void aCycleIsRefusedNotFollowedForever() {
    List<byte[]> nodes = List.of(OnnxBytes.node("a", "Add", List.of("x", "y"), List.of("t1")), OnnxBytes.node("r", "Relu", List.of("t1"), List.of("y")));
    // refused where the walk meets the Add whose other input comes from after it, within the time limit
    assertEquals("m.onnx: node 'a' (Add) joins a path that did not fork here; netc expresses an Add, a Concat or a gating Mul of paths from one tensor",
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(2), () -> error(nodes, List.of())));
  }

  /** A node writing the graph's input is refused before any walk: the normalization walk once followed Mul(x, k) -> x forever. */
  @Test
  void aNodeThatWritesTheGraphInputIsRefused() {
    byte[] k = OnnxBytes.floats("k", new long[] {2, 1, 1}, 2f, 3f);
    for (String op : List.of("Mul", "Add", "Sub", "Div", "Relu")) {
      List<String> inputs = op.equals("Relu") ? List.of("x") : List.of("x", "k");
      String e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(2),
          () -> error(List.of(OnnxBytes.node("loop", op, inputs, List.of("x"))), List.of(k)));
      assertEquals("m.onnx: tensor 'x' is computed by node 'loop' (" + op + ") and is also an input of the graph; in ONNX every tensor has one"
          + " source", e);
    }
  }

  /** An input of two billion channels is refused by its shape, before anything is sized by it. */
  @Test
  void anInputBeyondTheLanguagesSizesIsRefused() {
    NetcException e = assertThrows(NetcException.class, () -> OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(
        List.of(OnnxBytes.node("r", "Relu", List.of("x"), List.of("y"))), List.of(), Integer.MAX_VALUE, 1, 1)))));
    assertTrue(e.getMessage().endsWith("a channel count, height or width over 1,000,000"), e.getMessage());
  }

  /** Too few inputs for an operator, or a required one left empty: a message, not an index exception. */
  @Test
  void anOperatorsInputCountIsChecked() {
    assertEquals("m.onnx: node 'm' (Mul) has 1 input; Mul takes 2", error(List.of(OnnxBytes.node("m", "Mul", List.of("x"), List.of("y"))), List.of()));
    assertEquals("m.onnx: node 'c' (Conv) has 4 inputs; Conv takes 2 to 3",
        error(List.of(OnnxBytes.node("c", "Conv", List.of("x", "w", "b", "z"), List.of("y"))), List.of(weight("w", 2, 2, 1))));
    assertEquals("m.onnx: node 'c' (Conv) leaves its required input 2 empty",
        error(List.of(OnnxBytes.node("c", "Conv", List.of("x", ""), List.of("y"))), List.of()));
  }

  /** An attribute of another type than its operator's (strides as INT, alpha as INT) would be read as absent or 0: refused. */
  @Test
  void anAttributeOfTheWrongTypeIsRefused() {
    assertEquals("m.onnx: node 'c' (Conv) has attribute strides of type INT; Conv's strides is INTS",
        error(List.of(conv("c", "x", "y", "w", OnnxBytes.integer("strides", 2))), List.of(weight("w", 2, 2, 3))));
    assertEquals("m.onnx: node 'l' (LeakyRelu) has attribute alpha of type INT; LeakyRelu's alpha is FLOAT",
        error(List.of(OnnxBytes.node("l", "LeakyRelu", List.of("x"), List.of("y"), OnnxBytes.integer("alpha", 1))), List.of()));
  }

  /** A layer named like a keyword of the language (gate, concat, ...) is renamed, so the imported spec parses. */
  @Test
  void layerNamesAvoidEveryKeyword() {
    assertTrue(LayerNames.KEYWORDS.containsAll(List.of("gate", "concat", "residual", "input", "and")), LayerNames.KEYWORDS.toString());
    OnnxImporter.Result r = translate(List.of(OnnxBytes.node("/gate/Relu", "Relu", List.of("x"), List.of("y"))), List.of());
    assertEquals(2, build(r).nodes().size(), r.spec());
    assertTrue(!r.spec().contains("\ngate: "), r.spec());
  }

  /**
   * GraphBuilder names a residual's add, a concat and a gate itself (add, add_1, concat_1, gate_1, ...):
   * a node named so after one of them is renamed like a keyword, not refused as a name used twice.
   */
  @Test
  void layerNamesAvoidTheNamesGraphBuilderGenerates() {
    for (String generated : List.of("add", "add_1", "add_12", "concat_1", "gate_1")) {
      assertEquals(generated + "_", LayerNames.sanitize(generated));
    }
    for (String plain : List.of("adder", "add_x", "my_add", "gate_1x")) assertEquals(plain, LayerNames.sanitize(plain));
    // two residuals (GraphBuilder's add and add_1), then layers named add and add_1
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/m/Relu", "Relu", List.of("x"), List.of("m")),
        OnnxBytes.node("/j/Add", "Add", List.of("x", "m"), List.of("s")),
        OnnxBytes.node("/n/Relu", "Relu", List.of("s"), List.of("n")),
        OnnxBytes.node("/k/Add", "Add", List.of("s", "n"), List.of("t")),
        OnnxBytes.node("/add/Relu", "Relu", List.of("t"), List.of("u")),
        OnnxBytes.node("/add_1/Sigmoid", "Sigmoid", List.of("u"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of());
    assertTrue(r.spec().endsWith("add_: relu()  // onnx: /add/Relu\nadd_1_: sigmoid()  // onnx: /add_1/Sigmoid\n"), r.spec());
    Graph g = build(r);
    assertEquals(List.of("input", "m", "add", "n", "add_1", "add_", "add_1_"), g.nodes().stream().map(netc.ir.Node::name).toList());
  }

  /**
   * A model exported with a fixed batch of 1 (torch.onnx.export without dynamic axes) may flatten with a Reshape to
   * the constant [1, -1] or [1, F]: a flatten at that batch, not a refusal; at a batch the model does not fix, [1, -1]
   * is still refused (it would merge the images of a batch).
   */
  @Test
  void aFixedBatchOfOneFlattensByAConstantReshape() {
    for (long[] shape : new long[][] {{1, -1}, {1, 32}}) {
      byte[] target = OnnxBytes.tensor("p", OnnxReader.INT64, new long[] {2}, out -> {
        out.writeInt64(7, shape[0]);
        out.writeInt64(7, shape[1]);
      });
      List<byte[]> nodes = List.of(OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
      byte[] graph = OnnxBytes.message(out -> {
        for (byte[] n : nodes) out.writeByteArray(1, n);
        out.writeByteArray(5, target);
        out.writeByteArray(11, OnnxBytes.valueInfo("x", new long[] {1, 2, 4, 4}));
        out.writeByteArray(12, OnnxBytes.valueInfo("y", new long[0]));
      });
      OnnxImporter.Result r = OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(graph)));
      assertTrue(r.spec().contains("flatten()"), r.spec());
      assertEquals(List.of(32), build(r).output().shape().dims().length == 1 ? List.of(build(r).output().shape().dims()[0]) : List.of(), r.spec());
      String e = error(nodes, List.of(target));
      assertTrue(e.contains("netc expresses a Reshape to [batch, 32] (a flatten), not to [1, "), e);
    }
  }

  /**
   * Reshape's allowzero = 1 makes a 0 in the target a dimension of size 0, not the input's: refused (netc has no
   * empty tensors) where the older reading would copy the batch; without a 0, or with allowzero = 0, a flatten.
   */
  @Test
  void aReshapeWithAllowzeroAndAZeroIsRefusedNotReadAsACopy() {
    byte[] target = OnnxBytes.tensor("p", OnnxReader.INT64, new long[] {2}, out -> {
      out.writeInt64(7, 0);
      out.writeInt64(7, 32);
    });
    String e = error(List.of(OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"), OnnxBytes.integer("allowzero", 1))), List.of(target));
    assertTrue(e.endsWith("node 'r' (Reshape) reshapes to [0, 32] with allowzero = 1: a dimension of size 0 (netc has no empty tensors)"), e);
    // the same target inside a shape computation (a Reshape of a Shape's values)
    byte[] two = OnnxBytes.tensor("t", OnnxReader.INT64, new long[] {2}, out -> {
      out.writeInt64(7, 0);
      out.writeInt64(7, 2);
    });
    e = error(List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("sh")),
        OnnxBytes.node("rs", "Reshape", List.of("sh", "t"), List.of("p"), OnnxBytes.integer("allowzero", 1)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), List.of(two));
    assertTrue(e.endsWith("node 'rs' (Reshape) reshapes to [0, 2] with allowzero = 1: a dimension of size 0 (netc has no empty tensors)"), e);
    // the Reshape back at the end of a channel shuffle
    e = error(List.of(OnnxBytes.node("r1", "Reshape", List.of("x", "five"), List.of("a")),
        OnnxBytes.node("t", "Transpose", List.of("a"), List.of("b"), OnnxBytes.ints("perm", 0, 2, 1, 3, 4)),
        OnnxBytes.node("r2", "Reshape", List.of("b", "four"), List.of("y"), OnnxBytes.integer("allowzero", 1))),
        List.of(int64s("five", 0, 2, 1, 4, 4), int64s("four", 0, -1, 4, 4)));
    assertTrue(e.endsWith("node 'r2' (Reshape) reshapes to [0, -1, 4, 4] with allowzero = 1: a dimension of size 0 (netc has no empty tensors)"), e);
    for (long allowZero : new long[] {0, 1}) {
      byte[] flat = OnnxBytes.tensor("p", OnnxReader.INT64, new long[] {2}, out -> {
        out.writeInt64(7, allowZero == 0 ? 0 : -1);
        out.writeInt64(7, 32);
      });
      OnnxImporter.Result r = translate(List.of(OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"), OnnxBytes.integer("allowzero", allowZero))),
          List.of(flat));
      assertTrue(r.spec().contains("flatten()"), r.spec());
    }
  }

  /** Shape computations with malformed arguments are refused by name, not with an index exception or garbage values. */
  @Test
  void malformedShapeComputationsAreRefused() {
    byte[] c23 = OnnxBytes.tensor("c", OnnxReader.INT64, new long[] {2, 3}, out -> {
      for (long v = 1; v <= 6; v++) out.writeInt64(7, v);
    });
    String e = error(List.of(OnnxBytes.node("t", "Transpose", List.of("c"), List.of("p"), OnnxBytes.ints("perm", 0, 0)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), List.of(c23));
    assertTrue(e.endsWith("node 't' (Transpose) has a perm that is not a permutation of its axes"), e);
    byte[] zeros = OnnxBytes.tensor("z", OnnxReader.INT64, new long[] {2}, out -> {
      out.writeInt64(7, 0);
      out.writeInt64(7, 0);
    });
    byte[] ones = OnnxBytes.tensor("o", OnnxReader.INT64, new long[] {2}, out -> {
      out.writeInt64(7, 1);
      out.writeInt64(7, 1);
    });
    byte[] axis = OnnxBytes.tensor("a", OnnxReader.INT64, new long[] {1}, out -> out.writeInt64(7, 0));
    e = error(List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("sh")), OnnxBytes.node("sl", "Slice", List.of("sh", "z", "o", "a"), List.of("p")),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), List.of(zeros, ones, axis));
    assertTrue(e.endsWith("node 'sl' (Slice) has 2 starts, 2 ends, 1 axes; ONNX gives as many of each"), e);
    byte[] empty = OnnxBytes.tensor("e", OnnxReader.INT64, new long[] {0}, out -> {});
    e = error(List.of(OnnxBytes.node("ad", "Add", List.of("a", "e"), List.of("p")), OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))),
        List.of(axis, empty));
    assertTrue(e.endsWith("node 'ad' (Add) combines shape values of lengths 1 and 0"), e);
    // attributes of the wrong type, as the importer's own ops refuse them
    e = error(List.of(OnnxBytes.node("t", "Transpose", List.of("c"), List.of("p"), OnnxBytes.integer("perm", 1)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), List.of(c23));
    assertTrue(e.endsWith("node 't' (Transpose) has attribute perm of type INT; Transpose's perm is INTS"), e);
    e = error(List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("sh")),
        OnnxBytes.node("g", "Gather", List.of("sh", "a"), List.of("p"), OnnxBytes.real("axis", 0f)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), List.of(axis));
    assertTrue(e.endsWith("node 'g' (Gather) has attribute axis of type FLOAT; Gather's axis is INT"), e);
    // a Slice of opset 9 (starts and ends as attributes), and one of opset 13 without its ends
    List<byte[]> opset9 = List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("sh")),
        OnnxBytes.node("sl", "Slice", List.of("sh"), List.of("p"), OnnxBytes.ints("starts", 0), OnnxBytes.ints("ends", 2)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
    NetcException old = assertThrows(NetcException.class,
        () -> OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(opset9, List.of(), 2, 4, 4), 9))));
    assertEquals("m.onnx: node 'sl' (Slice) slices a shape with starts and ends as attributes (opset 9); netc evaluates shape slices of"
        + " opset 10 and later", old.getMessage());
    e = error(List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("sh")), OnnxBytes.node("sl", "Slice", List.of("sh", "z", ""), List.of("p")),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), List.of(zeros));
    assertTrue(e.endsWith("node 'sl' (Slice) has no ends input"), e);
    // a shape op of another domain is no shape op netc knows, whatever its name (its inputs were never counted)
    byte[] foreign = concat(OnnxBytes.node("g", "Gather", List.of("sh"), List.of("p")), OnnxBytes.message(out -> out.writeString(7, "com.example")));
    e = error(List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("sh")), foreign, OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))),
        List.of());
    assertTrue(e.contains("the shape 'p' is computed by node 'g' (Gather) of domain 'com.example'; netc evaluates shapes from constants and "), e);
  }

  /**
   * Shape values keep their dims through Cast, Unsqueeze, Squeeze, Concat along an axis, Transpose
   * and broadcasting arithmetic, so pads computed as torch does (pairs, transposed, flattened) are
   * ONNX's: as one flat list each of these gave other pads, silently.
   */
  @Test
  void shapeValuesKeepTheirDims() {
    // int32 [4, 2] -> Cast -> Transpose (perm reversed) -> Reshape(-1): [0, 0, 0, 1, 0, 0, 0, 1], one column each side
    byte[] pairs = OnnxBytes.tensor("P", OnnxReader.INT32, new long[] {4, 2}, out -> {
      for (int v : new int[] {0, 0, 0, 0, 0, 0, 1, 1}) out.writeInt32(5, v);
    });
    List<byte[]> nodes = padBy("p",
        OnnxBytes.node("c", "Cast", List.of("P"), List.of("c"), OnnxBytes.integer("to", OnnxReader.INT64)),
        OnnxBytes.node("t", "Transpose", List.of("c"), List.of("t")),
        OnnxBytes.node("r", "Reshape", List.of("t", "flat"), List.of("p")));
    OnnxImporter.Result r = translate(nodes, List.of(pairs, int64s("flat", -1)));
    assertTrue(r.spec().contains("pad: pad([0, 1, 0, 1])"), r.spec());
    assertArrayEquals(new int[] {2, 4, 6}, build(r).output().shape().dims());
    // begins and ends as columns: Unsqueeze(axes [1]) each, Concat along axis 1, Reshape(-1): [0, 0, 1, 0, 0, 0, 0, 1]
    nodes = padBy("p",
        OnnxBytes.node("ub", "Unsqueeze", List.of("begin", "one"), List.of("ub")),
        OnnxBytes.node("ue", "Unsqueeze", List.of("end", "one"), List.of("ue")),
        OnnxBytes.node("j", "Concat", List.of("ub", "ue"), List.of("j"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("r", "Reshape", List.of("j", "flat"), List.of("p")));
    r = translate(nodes, List.of(int64s("begin", 0, 1, 0, 0), int64s("end", 0, 0, 0, 1), int64s("one", 1), int64s("flat", -1)));
    assertTrue(r.spec().contains("pad: pad([1, 0, 0, 1])"), r.spec());
    assertArrayEquals(new int[] {2, 5, 5}, build(r).output().shape().dims());
    // [2, 1] times [1, 2] broadcasts to [2, 2]: [[0, 0], [1, 1]], flattened after four zeros; a Squeeze of a leading axis of 1 keeps the values
    nodes = padBy("p",
        OnnxBytes.node("m", "Mul", List.of("a", "b"), List.of("m")),
        OnnxBytes.node("r", "Reshape", List.of("m", "flat"), List.of("f")),
        OnnxBytes.node("u", "Unsqueeze", List.of("f", "zero"), List.of("u")),
        OnnxBytes.node("s", "Squeeze", List.of("u", "zero"), List.of("q")),
        OnnxBytes.node("j", "Concat", List.of("zeros", "q"), List.of("p"), OnnxBytes.integer("axis", 0)));
    r = translate(nodes, List.of(int64s2("a", 2, 1, 0, 1), int64s2("b", 1, 2, 1, 1), int64s("flat", -1), int64s("zero", 0),
        int64s("zeros", 0, 0, 0, 0)));
    assertTrue(r.spec().contains("pad: pad([0, 0, 1, 1])"), r.spec());
    // a Cast to a narrower integer wraps as ONNX's: 257 as uint8 is 1
    nodes = padBy("p",
        OnnxBytes.node("c", "Cast", List.of("wide"), List.of("c"), OnnxBytes.integer("to", OnnxReader.UINT8)),
        OnnxBytes.node("d", "Cast", List.of("c"), List.of("p"), OnnxBytes.integer("to", OnnxReader.INT64)));
    r = translate(nodes, List.of(int64s("wide", 0, 0, 0, 257, 0, 0, 0, 0)));
    assertTrue(r.spec().contains("pad: pad([0, 1, 0, 0])"), r.spec());
  }

  /** What netc cannot evaluate exactly in a shape computation is refused by name: another rank than an op takes, a fraction, another opset's form. */
  @Test
  void shapeValuesOfOtherRanksAndTypesAreRefused() {
    byte[] pairs = int64s2("P", 4, 2, 0, 0, 0, 0, 0, 0, 1, 1);
    // pads of rank 2 are not read as their values in a row
    String e = error(padBy("p", OnnxBytes.node("c", "Cast", List.of("P"), List.of("p"), OnnxBytes.integer("to", OnnxReader.INT64))), List.of(pairs));
    assertTrue(e.endsWith("the shape tensor 'p' has shape [4, 2]; shapes, pads, axes and sizes are lists (rank 1)"), e);
    // a Gather from a Cast of a rank-2 tensor is one from rank 2
    e = error(padBy("p", OnnxBytes.node("c", "Cast", List.of("P"), List.of("c"), OnnxBytes.integer("to", OnnxReader.INT64)),
        OnnxBytes.node("g", "Gather", List.of("c", "i"), List.of("p"))), List.of(pairs, int64s("i", 0, 1, 2, 3, 4, 5, 6, 7)));
    assertTrue(e.endsWith("node 'g' (Gather) gathers from a tensor of rank 2; shape computations gather from a shape (rank 1)"), e);
    e = error(padBy("p", OnnxBytes.node("s", "Squeeze", List.of("P", "one"), List.of("p"))), List.of(pairs, int64s("one", 1)));
    assertTrue(e.endsWith("node 's' (Squeeze) squeezes axes [1] of a tensor of shape [4, 2]; each must be an axis of 1"), e);
    e = error(padBy("p", OnnxBytes.node("u", "Unsqueeze", List.of("begin", "one"), List.of("u")),
        OnnxBytes.node("j", "Concat", List.of("u", "begin"), List.of("p"), OnnxBytes.integer("axis", 0))),
        List.of(int64s("begin", 0, 0, 0, 0), int64s("one", 1)));
    assertTrue(e.endsWith("node 'j' (Concat) concatenates shape values of shapes [4, 1] and [4] along axis 0"), e);
    e = error(padBy("p", OnnxBytes.node("m", "Mul", List.of("P", "b"), List.of("p"))), List.of(pairs, int64s("b", 1, 1, 1)));
    assertTrue(e.endsWith("node 'm' (Mul) combines shape values of shapes [4, 2] and [3], which do not broadcast"), e);
    // a float Div leaves a fraction (2 channels / 4), which a later Mul would make whole again: refused, not truncated
    List<byte[]> halves = List.of(
        OnnxBytes.node("s", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("g", "Gather", List.of("s", "one"), List.of("c")),
        OnnxBytes.node("f", "Cast", List.of("c"), List.of("f"), OnnxBytes.integer("to", OnnxReader.FLOAT)),
        OnnxBytes.node("cf", "Cast", List.of("four"), List.of("ff"), OnnxBytes.integer("to", OnnxReader.FLOAT)),
        OnnxBytes.node("d", "Div", List.of("f", "ff"), List.of("h")),
        OnnxBytes.node("m", "Mul", List.of("h", "four"), List.of("k")),
        OnnxBytes.node("i", "Cast", List.of("k"), List.of("e"), OnnxBytes.integer("to", OnnxReader.INT64)),
        OnnxBytes.node("sl", "Slice", List.of("x", "zeroes", "e", "one"), List.of("y")));
    e = error(halves, List.of(int64s("one", 1), int64s("zeroes", 0), int64s("four", 4)));
    assertTrue(e.endsWith("node 'd' (Div) divides 2 by 4 in float32, a fraction; netc evaluates whole shape values"), e);
    // Unsqueeze's axes in the other opset's form
    e = error(padBy("p", OnnxBytes.node("u", "Unsqueeze", List.of("begin"), List.of("p"), OnnxBytes.ints("axes", 0))), List.of(int64s("begin", 0, 0, 0, 0)));
    assertTrue(e.endsWith("node 'u' (Unsqueeze): Unsqueeze's axes are an input from opset 13, not an attribute (the model's opset is 13)"), e);
  }

  /**
   * A Slice of a shape stepping back clamps its start to [0, dim - 1] and its end to [-1, dim - 1], as
   * ONNX says: a start before the first element is the first (it was -1, an empty slice). A step past
   * the span, up to INT64_MAX or INT64_MIN, takes one element (the count of them wrapped to none).
   */
  @Test
  void shapeSlicesClampAsOnnxDoes() {
    // Shape(x) = [batch, 2, 4, 4] sliced on axis 0, then [-1] after it: [batch, -1], a flatten, where the slice is [batch]
    java.util.function.Function<byte[][], OnnxImporter.Result> flatten = startEndStep -> translate(List.of(
        OnnxBytes.node("s", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("sl", "Slice", List.of("s", "start", "end", "zero", "step"), List.of("b")),
        OnnxBytes.node("j", "Concat", List.of("b", "minus"), List.of("p"), OnnxBytes.integer("axis", 0)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))),
        List.of(startEndStep[0], startEndStep[1], startEndStep[2], int64s("zero", 0), int64s("minus", -1)));
    long min = Long.MIN_VALUE, max = Long.MAX_VALUE;
    for (long[] c : new long[][] {{-10, min + 1, -1}, {0, 4, max}, {0, min, min}, {-4, min, min}}) {
      OnnxImporter.Result r = flatten.apply(new byte[][] {int64s("start", c[0]), int64s("end", c[1]), int64s("step", c[2])});
      assertTrue(r.spec().endsWith("r: flatten()  // onnx: r (Reshape)\n"), java.util.Arrays.toString(c) + "\n" + r.spec());
    }
    // stepping back from the last dim through the first: [4, 4, 2, batch], reversed, then the batch dropped by a -1 in front
    String e = error(List.of(
        OnnxBytes.node("s", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("sl", "Slice", List.of("s", "start", "end", "zero", "step"), List.of("p")),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))),
        List.of(int64s("start", max), int64s("end", min), int64s("zero", 0), int64s("step", -1)));
    assertTrue(e.endsWith("netc expresses a Reshape to [batch, 32] (a flatten), not to [4, 4, 2, batch]"), e);
  }

  /**
   * What ONNX Runtime refuses or computes otherwise is refused: a Slice naming an axis twice (the last pair won), a Slice
   * of more ends, axes or steps than starts (the extras were ignored), a uint64 past 2^63 - 1 (-1 cast to UINT64 and
   * divided by 2 gave 0, where ONNX gives 2^63 - 1).
   */
  @Test
  void slicesOfRepeatedAxesAndUint64sPastALongAreRefused() {
    List<byte[]> slice = List.of(
        OnnxBytes.node("s", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("sl", "Slice", List.of("s", "start", "end", "axes"), List.of("p")),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
    String e = error(slice, List.of(int64s("start", 0, 1), int64s("end", 4, 2), int64s("axes", 0, 0)));
    assertTrue(e.endsWith("node 'sl' (Slice) slices axis 0 twice"), e);
    e = error(slice, List.of(int64s("start", 0), int64s("end", 4, 2), int64s("axes", 0)));
    assertTrue(e.endsWith("node 'sl' (Slice) has 1 starts, 2 ends, 1 axes; ONNX gives as many of each"), e);
    List<byte[]> unsigned = List.of(
        OnnxBytes.node("u", "Cast", List.of("minus"), List.of("u"), OnnxBytes.integer("to", OnnxReader.UINT64)),
        OnnxBytes.node("t", "Cast", List.of("two"), List.of("t"), OnnxBytes.integer("to", OnnxReader.UINT64)),
        OnnxBytes.node("d", "Div", List.of("u", "t"), List.of("h")),
        OnnxBytes.node("i", "Cast", List.of("h"), List.of("e"), OnnxBytes.integer("to", OnnxReader.INT64)),
        OnnxBytes.node("j", "Concat", List.of("one", "e"), List.of("p"), OnnxBytes.integer("axis", 0)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
    e = error(unsigned, List.of(int64s("minus", -1), int64s("two", 2), int64s("one", 1)));
    assertTrue(e.endsWith("node 'u' (Cast) casts -1 to UINT64, 18446744073709551615, past what netc reads (2^63 - 1)"), e);
  }

  /** The shape nodes, then Pad(x, pads) -> y. */
  private static List<byte[]> padBy(String pads, byte[]... shapeNodes) {
    List<byte[]> nodes = new ArrayList<>(List.of(shapeNodes));
    nodes.add(OnnxBytes.node("/pad/Pad", "Pad", List.of("x", pads), List.of("y")));
    return nodes;
  }

  /** An int64 tensor of shape [rows, cols]. */
  private static byte[] int64s2(String name, long rows, long cols, long... values) {
    return OnnxBytes.tensor(name, OnnxReader.INT64, new long[] {rows, cols}, out -> {
      for (long v : values) out.writeInt64(7, v);
    });
  }

  /** Two serialized messages one after the other: protobuf reads them as one, the second's fields merged into the first's. */
  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * Residuals nested in residuals, each path holding the next fork: refused past the spec language's
   * nesting limit by name, not by the importer's recursion overflowing the stack.
   */
  @Test
  void forksNestedPastTheLanguagesLimitAreRefused() {
    List<byte[]> nodes = new ArrayList<>();
    int n = 150;
    for (int k = 1; k < n; k++) nodes.add(OnnxBytes.node("r" + k, "Relu", List.of(k == 1 ? "x" : "x" + (k - 1)), List.of("x" + k)));
    nodes.add(OnnxBytes.node("last", "Relu", List.of("x" + (n - 1)), List.of("z")));
    nodes.add(OnnxBytes.node("a" + n, "Add", List.of("x" + (n - 1), "z"), List.of("a" + n)));
    for (int k = n - 1; k >= 1; k--) {
      nodes.add(OnnxBytes.node("a" + k, "Add", List.of(k == 1 ? "x" : "x" + (k - 1), "a" + (k + 1)), List.of(k == 1 ? "y" : "a" + k)));
    }
    assertEquals("m.onnx: tensor 'x100' forks inside 100 nested forks, more than the spec language nests (100); the JVM property"
        + " -Dnetc.spec.maxNesting=N raises the limit (for ./netc, in NETC_JAVA_OPTS)", error(nodes, List.of()));
  }

  /**
   * Pad's pads and value: attributes before opset 11, inputs from it. The other opset's form is refused by
   * name (onnx.checker and onnxruntime refuse it too), as Clip's and Split's are; a Split without sizes
   * splits evenly before opset 18, so an uneven one is refused there, not split as opset 18 would.
   */
  @Test
  void padsAndSplitsOfAnotherOpsetAreRefused() {
    byte[] attribute = OnnxBytes.node("/p/Pad", "Pad", List.of("x"), List.of("y"), OnnxBytes.ints("pads", 0, 0, 1, 1, 0, 0, 1, 1));
    assertEquals("m.onnx: node '/p/Pad' (Pad) with pads=[0, 0, 1, 1, 0, 0, 1, 1]: Pad's pads and value are inputs from opset 11, not attributes"
        + " (the model's opset is 13)", error(List.of(attribute), List.of()));
    assertTrue(translate(List.of(attribute), List.of(), 2, 10).spec().contains("p: pad([1, 1, 1, 1])"));
    byte[] input = OnnxBytes.node("/p/Pad", "Pad", List.of("x", "pads"), List.of("y"));
    byte[] pads = int64s("pads", 0, 0, 1, 1, 0, 0, 1, 1);
    assertEquals("m.onnx: node '/p/Pad' (Pad): Pad's pads and value are attributes before opset 11, not inputs (the model's opset is 10)",
        error(List.of(input), List.of(pads), 2, 10));
    assertTrue(translate(List.of(input), List.of(pads)).spec().contains("p: pad([1, 1, 1, 1])"));
    List<byte[]> split = List.of(OnnxBytes.node("/Split", "Split", List.of("x"), List.of("a", "b"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("/Concat", "Concat", List.of("b", "a"), List.of("y"), OnnxBytes.integer("axis", 1)));
    assertEquals("m.onnx: node '/Split' (Split) with axis=1: before opset 18 a Split without sizes splits evenly, and 3 channels do not split"
        + " into 2 equal parts (the model's opset is 13)", error(split, List.of(), 3, 13));
    assertTrue(translate(split, List.of(), 4, 13).spec().contains("channels(2, 4)"));
  }

  /** Before opset 11 Pad's fill value is an attribute: a nonzero one is refused, not imported as zeros. */
  @Test
  void padsValueAttributeIsRead() {
    byte[] pad = OnnxBytes.node("/p/Pad", "Pad", List.of("x"), List.of("y"), OnnxBytes.ints("pads", 0, 0, 1, 1, 0, 0, 1, 1),
        OnnxBytes.real("value", -3f));
    NetcException e = assertThrows(NetcException.class,
        () -> OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(List.of(pad), List.of(), 2, 4, 4), 10))));
    assertTrue(e.getMessage().startsWith("m.onnx: node '/p/Pad' (Pad) with pads=[0, 0, 1, 1, 0, 0, 1, 1], value=-3.0: netc pads with zeros"),
        e.getMessage());
    byte[] zeros = OnnxBytes.node("/p/Pad", "Pad", List.of("x"), List.of("y"), OnnxBytes.ints("pads", 0, 0, 1, 1, 0, 0, 1, 1),
        OnnxBytes.real("value", 0f));
    String spec = OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(List.of(zeros), List.of(), 2, 4, 4), 10))).spec();
    assertTrue(spec.contains("p: pad([1, 1, 1, 1])"), spec);
  }

  /** ONNX broadcasts a rank-1 constant along the last axis (the width): it is no per-channel mean, even where its length is the channels'. */
  @Test
  void aRankOneConstantIsNotPerChannel() {
    List<byte[]> nodes = List.of(OnnxBytes.node("/n/Sub", "Sub", List.of("x", "m"), List.of("y")));
    NetcException e = assertThrows(NetcException.class, () -> OnnxImporter.translate(OnnxReader.read(FILE,
        OnnxBytes.model(OnnxBytes.graph(nodes, List.of(OnnxBytes.floats("m", new long[] {4}, 1, 2, 3, 4)), 4, 4, 4)))));
    assertTrue(e.getMessage().startsWith("m.onnx: node '/n/Sub' (Sub) subtracts a constant of shape [4] on a tensor of shape [4, 4, 4]"), e.getMessage());
    // as [C, 1, 1] it is the input's mean (a layer after it: a graph of nothing but the normalization is refused)
    List<byte[]> normalized = List.of(OnnxBytes.node("/n/Sub", "Sub", List.of("x", "m"), List.of("n")), OnnxBytes.node("/r/Relu", "Relu", List.of("n"), List.of("y")));
    String spec = OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(normalized,
        List.of(OnnxBytes.floats("m", new long[] {4, 1, 1}, 1, 2, 3, 4)), 4, 4, 4)))).spec();
    assertTrue(spec.contains("mean = [1, 2, 3, 4]") || spec.contains("mean = [1.0, 2.0, 3.0, 4.0]"), spec);
  }

  /** The imported graph compiled (all passes) and run on {@code x}, and the reference interpreter's output on the unoptimized graph. */
  private static Tensor[] compiledAndInterpreted(OnnxImporter.Result r, Tensor x) throws java.io.IOException {
    Graph g = build(r);
    ParamSource p = WeightBinding.bind(g, TensorSource.of("m.onnx", r.weights()));
    Path dir = java.nio.file.Files.createTempDirectory("netc-onnx-test");
    ModelCompiler.compileTo(PassManager.run(g, PassContext.defaults()), p, "m.onnx", false, dir, s -> {});
    CompiledModel model = CompiledModel.load(new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()},
        OnnxImporterTest.class.getClassLoader()), 1);
    ModelCompiler.deleteTree(dir);
    return new Tensor[] {model.predict(x), Interpreter.run(g, p, x)};
  }

  private static void assertClose(double[] expected, Tensor actual, String what) {
    assertEquals(expected.length, actual.data().length, what);
    double max = 0;
    for (double v : expected) max = Math.max(max, Math.abs(v));
    assertTrue(max > 0.1, what + ": a reference of zeros would pass a layer that writes nothing");
    // float32 sums of a few terms against double: relative errors of some 1e-7; a wrong scale or shift is off by whole units
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.data()[i], 1e-5 * max, what + " at " + i);
    }
  }

  /**
   * Add, Sub, Mul and Div by constants inside a network: one value, one a channel ([1, C, 1, 1],
   * [C, 1, 1]) on a map, one a feature ([1, F]) and one value on the logits; c - x too. Each is a
   * batchnorm of its scale and shift; the Add right after the conv folds into it. Compiled and
   * interpreted, the network computes what the ONNX operators define, computed here by hand in
   * double: conv 1x1 (2 -> 3), + b, relu, * 0.5, - m, 3 - x, / d, flatten, gemm (48 -> 2), * 2, - e.
   */
  @Test
  void arithmeticByConstantsIsAScaleAndShift() throws java.io.IOException {
    List<byte[]> nodes = List.of(conv("/c/Conv", "x", "c", "w"),
        OnnxBytes.node("/a/Add", "Add", List.of("c", "b"), List.of("a")),
        OnnxBytes.node("/r/Relu", "Relu", List.of("a"), List.of("r")),
        OnnxBytes.node("/h/Mul", "Mul", List.of("half", "r"), List.of("h")),
        OnnxBytes.node("/s/Sub", "Sub", List.of("h", "m"), List.of("s")),
        OnnxBytes.node("/n/Sub", "Sub", List.of("three", "s"), List.of("n")),
        OnnxBytes.node("/d/Div", "Div", List.of("n", "d"), List.of("q")),
        OnnxBytes.node("/f/Flatten", "Flatten", List.of("q"), List.of("f")),
        OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "g"), List.of("l"), OnnxBytes.integer("transB", 1)),
        OnnxBytes.node("/l/Mul", "Mul", List.of("l", "two"), List.of("l2")),
        OnnxBytes.node("/e/Sub", "Sub", List.of("l2", "e"), List.of("y")));
    float[] w = {0.5f, -1f, 1.5f, 0.25f, -0.75f, 2f}, b = {0.1f, -0.2f, 0.3f}, m = {1f, -1f, 0.5f}, d = {2f, -4f, 0.3f}, e = {0.25f, -0.5f};
    float[] g = new float[2 * 48];
    for (int i = 0; i < g.length; i++) g[i] = (float) Math.sin(i) * 0.5f;
    List<byte[]> constants = List.of(OnnxBytes.floats("w", new long[] {3, 2, 1, 1}, w), OnnxBytes.floats("b", new long[] {1, 3, 1, 1}, b),
        OnnxBytes.floats("half", new long[0], 0.5f), OnnxBytes.floats("m", new long[] {3, 1, 1}, m),
        OnnxBytes.floats("three", new long[] {1}, 3f), OnnxBytes.floats("d", new long[] {1, 3, 1, 1}, d),
        OnnxBytes.floats("g", new long[] {2, 48}, g), OnnxBytes.floats("two", new long[0], 2f), OnnxBytes.floats("e", new long[] {1, 2}, e));
    OnnxImporter.Result r = translate(nodes, constants);
    assertTrue(r.spec().contains("a: batchnorm(eps = 1.0E-30)  // onnx: /a/Add\n"), r.spec());
    assertTrue(r.spec().contains("d: batchnorm(eps = 1.0E-30)  // onnx: /d/Div\n"), r.spec());
    assertArrayEquals(new float[] {-1, -1, -1}, r.weights().get("n.weight").data()); // 3 - x
    assertArrayEquals(new float[] {3, 3, 3}, r.weights().get("n.bias").data());
    Graph optimized = PassManager.run(build(r), PassContext.defaults());
    assertEquals(Op.CONV, optimized.nodes().stream().filter(n -> n.op() != Op.INPUT).findFirst().orElseThrow().op());
    assertEquals(6, optimized.nodes().stream().filter(n -> n.op() == Op.BATCHNORM).count(), "the Add folds into the conv, the other six stay");
    int batch = 2;
    Tensor x = Tensor.uniform(7, batch, 2, 4, 4);
    double[] expected = new double[batch * 2];
    for (int i = 0; i < batch; i++) {
      double[] q = new double[48];
      for (int co = 0; co < 3; co++) {
        for (int p = 0; p < 16; p++) {
          double v = w[co * 2] * x.data()[i * 32 + p] + w[co * 2 + 1] * x.data()[i * 32 + 16 + p] + b[co];
          v = Math.max(v, 0) * 0.5 - m[co];
          q[co * 16 + p] = (3 - v) / d[co];
        }
      }
      for (int o = 0; o < 2; o++) {
        double l = 0;
        for (int k = 0; k < 48; k++) l += g[o * 48 + k] * q[k];
        expected[i * 2 + o] = l * 2 - e[o];
      }
    }
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[0], "compiled");
    assertClose(expected, y[1], "interpreted");
  }

  /**
   * Arithmetic on the input itself that is no normalization (a negative scale: no positive std) imports as
   * any scale and shift does; it was refused there and accepted one node later. A zero divisor there gets
   * the divisor's message, not a scale of Infinity.
   */
  @Test
  void aNegativeScaleOfTheInputIsAScaleAndShift() throws java.io.IOException {
    List<byte[]> nodes = List.of(OnnxBytes.node("/m/Mul", "Mul", List.of("x", "k"), List.of("s")),
        OnnxBytes.node("/f/Flatten", "Flatten", List.of("s"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of(OnnxBytes.floats("k", new long[] {1, 2, 1, 1}, -1f, 2f)));
    assertTrue(r.spec().contains("m: batchnorm(eps = 1.0E-30)  // onnx: /m/Mul\n"), r.spec());
    Tensor x = Tensor.uniform(3, 1, 2, 4, 4);
    double[] expected = new double[32];
    for (int i = 0; i < 32; i++) expected[i] = x.data()[i] * (i < 16 ? -1 : 2);
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[0], "compiled");
    assertClose(expected, y[1], "interpreted");
    // a positive scale whose mean would pass float's range (-1e20 / 1e-20) is no normalization: the Mul alone is (std 1e20),
    // the Add a scale and shift, as one node later
    OnnxImporter.Result far = translate(List.of(OnnxBytes.node("/m/Mul", "Mul", List.of("x", "k"), List.of("s")),
        OnnxBytes.node("/a/Add", "Add", List.of("s", "b"), List.of("t")), OnnxBytes.node("/f/Flatten", "Flatten", List.of("t"), List.of("y"))),
        List.of(OnnxBytes.floats("k", new long[0], 1e-20f), OnnxBytes.floats("b", new long[0], 1e20f)));
    assertTrue(far.spec().contains("input(2, 4, 4, mean = [0.0, 0.0], std = [1.0E20, 1.0E20])  // onnx: /m/Mul\n")
        && far.spec().contains("a: batchnorm(eps = 1.0E-30)"), far.spec());
    assertEquals("m.onnx: node '/d/Div' (Div) divides by its constant 'k', which is 0 in channel 1", error(List.of(
        OnnxBytes.node("/d/Div", "Div", List.of("x", "k"), List.of("q")), OnnxBytes.node("/f/Flatten", "Flatten", List.of("q"), List.of("y"))),
        List.of(OnnxBytes.floats("k", new long[] {1, 2, 1, 1}, 2f, 0f))));
  }

  /**
   * The input divided by a constant so small that 1 / it passes float32's range is no normalization (the spec's input(...)
   * refuses such a std): it was written into the spec as that std, which the builder then refused (OnnxFuzzTest's
   * finding_std_reciprocal_overflows.onnx); it is refused by name, as a division of any other tensor is.
   */
  @Test
  void theInputDividedPastFloatRangeIsRefusedByName() {
    assertEquals("m.onnx: node '/d/Div' (Div) divides by its constant 'k', 1.0E-40 in channel 0, so small that 1 / it is beyond float32's range",
        error(List.of(OnnxBytes.node("/d/Div", "Div", List.of("x", "k"), List.of("q")), OnnxBytes.node("/f/Flatten", "Flatten", List.of("q"), List.of("y"))),
            List.of(OnnxBytes.floats("k", new long[] {1, 2, 1, 1}, 1e-40f, 2f))));
  }

  /**
   * A node without a name (ONNX allows it) is traced by the tensor it writes: the spec's comment was "// onnx:  (Relu)" and
   * a message "node '' (Foo)".
   */
  @Test
  void anUnnamedNodeIsNamedByWhatItWrites() {
    OnnxImporter.Result r = translate(List.of(OnnxBytes.node("", "Relu", List.of("x"), List.of("r")),
        OnnxBytes.node("/f/Flatten", "Flatten", List.of("r"), List.of("y"))), List.of());
    assertTrue(r.spec().contains("  // onnx: unnamed -> 'r' (Relu)\n"), r.spec());
    String e = error(List.of(OnnxBytes.node("", "Foo", List.of("x"), List.of("q")), OnnxBytes.node("/f/Flatten", "Flatten", List.of("q"),
        List.of("y"))), List.of());
    assertTrue(e.startsWith("m.onnx: node unnamed -> 'q' (Foo)"), e);
  }

  /** c / x is no scale and shift; a zero divisor, a value that is no number and a [C] along the width are refused by name. */
  @Test
  void arithmeticByConstantsNetcCannotExpressIsRefused() {
    java.util.function.BiFunction<byte[], byte[], String> refused = (node, constant) -> error(List.of(
        OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("r")), node), List.of(constant));
    assertEquals("m.onnx: node '/d/Div' (Div) divides the constant 'k' by the running tensor (c / x), which is no scale and shift of it; "
        + "netc divides a tensor by a constant (x / c)", refused.apply(OnnxBytes.node("/d/Div", "Div", List.of("k", "r"), List.of("y")),
            OnnxBytes.floats("k", new long[0], 2f)));
    assertEquals("m.onnx: node '/d/Div' (Div) divides by its constant 'k', which is 0 in channel 1", refused.apply(
        OnnxBytes.node("/d/Div", "Div", List.of("r", "k"), List.of("y")), OnnxBytes.floats("k", new long[] {2, 1, 1}, 2f, 0f)));
    assertEquals("m.onnx: node '/d/Div' (Div) divides by its constant 'k', 1.0E-40, so small that 1 / it is beyond float32's range", refused.apply(
        OnnxBytes.node("/d/Div", "Div", List.of("r", "k"), List.of("y")), OnnxBytes.floats("k", new long[0], 1e-40f)));
    assertEquals("m.onnx: node '/a/Add' (Add): its constant 'k' is NaN; netc adds finite values", refused.apply(
        OnnxBytes.node("/a/Add", "Add", List.of("r", "k"), List.of("y")), OnnxBytes.floats("k", new long[0], Float.NaN)));
    assertEquals("m.onnx: node '/m/Mul' (Mul): its constant 'k' is Infinity in channel 0; netc multiplies by finite values", refused.apply(
        OnnxBytes.node("/m/Mul", "Mul", List.of("k", "r"), List.of("y")), OnnxBytes.floats("k", new long[] {1, 2, 1, 1}, Float.POSITIVE_INFINITY, 1f)));
    assertEquals("m.onnx: node '/s/Sub' (Sub) subtracts a constant of shape [4] on a tensor of shape [2, 4, 4] (without the batch); netc takes "
        + "one value, or one value a channel ([C, 1, 1] or [1, C, 1, 1]; a [C] broadcasts along the width)", refused.apply(
            OnnxBytes.node("/s/Sub", "Sub", List.of("r", "k"), List.of("y")), OnnxBytes.floats("k", new long[] {4}, 1, 2, 3, 4)));
  }

  /** A float16 tensor in raw_data; {@code values} must be float16s exactly (normal or zero), as the weights written here are. */
  private static byte[] halves(String name, long[] dims, float... values) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      int bits = Float.floatToIntBits(v), e = Math.getExponent(v);
      short h = (short) (v == 0 ? 0 : (bits >>> 16 & 0x8000) | (e + 15) << 10 | (bits & 0x7fffff) >> 13);
      assertEquals(v, OnnxReader.halfToFloat(h), "not a float16: " + v);
      b.putShort(h);
    }
    return OnnxBytes.tensor(name, OnnxReader.FLOAT16, dims, out -> out.writeBytes(9, com.google.protobuf.ByteString.copyFrom(b.array())));
  }

  /**
   * A float16 model as onnxconverter_common writes it with keep_io_types: the float32 input cast to
   * float16, float16 weights, a float32 constant cast to float16 (where the converter keeps a node's
   * constant), the result cast back to float32. The data path's Casts are none (netc computes in
   * float32); the constant's Cast is folded, rounding it to float16 (0.1 -> 0.0999755859375, by hand:
   * 1638/1024 x 2^-4). So the model computes what its float32 twin with the same (float16) weights
   * computes: the interpreter's outputs are the same bits, the compiled jar's within float32 sums
   * in another order (1e-5 x max).
   */
  @Test
  void aFloat16ModelWithCastsComputesInFloat32() throws java.io.IOException {
    float[] w = {0.5f, -1f, 1.5f, 0.25f, -0.75f, 2f}, b = {0.125f, -0.25f, 0.375f};
    List<byte[]> half = List.of(
        OnnxBytes.node("/in/Cast", "Cast", List.of("x"), List.of("xh"), OnnxBytes.integer("to", OnnxReader.FLOAT16)),
        OnnxBytes.node("/c/Conv", "Conv", List.of("xh", "w", "b"), List.of("c")),
        OnnxBytes.node("/r/Relu", "Relu", List.of("c"), List.of("r")),
        OnnxBytes.node("/k/Cast", "Cast", List.of("k32"), List.of("kh"), OnnxBytes.integer("to", OnnxReader.FLOAT16)),
        OnnxBytes.node("/m/Mul", "Mul", List.of("r", "kh"), List.of("m")),
        OnnxBytes.node("/out/Cast", "Cast", List.of("m"), List.of("y"), OnnxBytes.integer("to", OnnxReader.FLOAT)));
    OnnxImporter.Result r16 = translate(half, List.of(halves("w", new long[] {3, 2, 1, 1}, w), halves("b", new long[] {3}, b),
        OnnxBytes.floats("k32", new long[] {1, 3, 1, 1}, 0.1f, 0.5f, -2f)));
    assertTrue(r16.spec().contains("// onnx: /in/Cast removed: netc computes in float32\n"), r16.spec());
    assertArrayEquals(new float[] {0.0999755859375f, 0.5f, -2f}, r16.weights().get("m.weight").data());
    OnnxImporter.Result r32 = translate(List.of(OnnxBytes.node("/c/Conv", "Conv", List.of("x", "w", "b"), List.of("c")),
        OnnxBytes.node("/r/Relu", "Relu", List.of("c"), List.of("r")), OnnxBytes.node("/m/Mul", "Mul", List.of("r", "k"), List.of("y"))),
        List.of(OnnxBytes.floats("w", new long[] {3, 2, 1, 1}, w), OnnxBytes.floats("b", new long[] {3}, b),
            OnnxBytes.floats("k", new long[] {1, 3, 1, 1}, 0.0999755859375f, 0.5f, -2f)));
    Tensor x = Tensor.uniform(3, 2, 2, 4, 4);
    Tensor[] y16 = compiledAndInterpreted(r16, x);
    Graph g32 = build(r32);
    Tensor y32 = Interpreter.run(g32, WeightBinding.bind(g32, TensorSource.of("m.onnx", r32.weights())), x);
    assertArrayEquals(y32.data(), y16[1].data());
    double[] expected = new double[y32.data().length];
    for (int i = 0; i < expected.length; i++) expected[i] = y32.data()[i];
    assertClose(expected, y16[0], "compiled");
    // a Cast of the running tensor to another type, and a float16 graph input, are refused by name
    assertEquals("m.onnx: node '/in/Cast' (Cast) with to=7: netc computes in float32; it reads a Cast of the running tensor to float32 "
        + "or float16 (as float32)", error(List.of(OnnxBytes.node("/in/Cast", "Cast", List.of("x"), List.of("y"), OnnxBytes.integer("to", 7))), List.of()));
    byte[] input16 = OnnxBytes.message(out -> {
      out.writeString(1, "x");
      out.writeByteArray(2, OnnxBytes.message(t -> t.writeByteArray(1, OnnxBytes.message(tt -> {
        tt.writeInt32(1, OnnxReader.FLOAT16);
        tt.writeByteArray(2, OnnxBytes.message(shape -> {
          for (long d : new long[] {1, 2, 4, 4}) shape.writeByteArray(1, OnnxBytes.message(dim -> dim.writeInt64(1, d)));
        }));
      }))));
    });
    byte[] graph16 = OnnxBytes.message(out -> {
      out.writeByteArray(1, OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("y")));
      out.writeByteArray(11, input16);
      out.writeByteArray(12, OnnxBytes.valueInfo("y", new long[0]));
    });
    NetcException e = assertThrows(NetcException.class, () -> OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(graph16))));
    assertEquals("m.onnx: input 'x' is float16; netc takes float32 images (convert a float16 model keeping float32 inputs and outputs: "
        + "onnxconverter_common's keep_io_types=True)", e.getMessage());
  }

  /** Float16 rounding of a Cast's constant: to nearest, ties to even, subnormals, and infinity past float16's largest (65504). */
  @Test
  void castsToFloat16RoundAsFloat16Does() {
    assertEquals(1f, OnnxImporter.roundToHalf(1 + 0x1p-11f)); // halfway between 1 and 1 + 2^-10: to the even, 1
    assertEquals(1 + 0x1p-9f, OnnxImporter.roundToHalf(1 + 3 * 0x1p-11f)); // halfway between 1 + 2^-10 and 1 + 2^-9: to the even
    assertEquals(-0.0999755859375f, OnnxImporter.roundToHalf(-0.1f));
    assertEquals(0x1p-24f, OnnxImporter.roundToHalf(3e-8f)); // the smallest subnormal, 5.96e-8, is nearer than 0
    assertEquals(0f, OnnxImporter.roundToHalf(2e-8f));
    assertEquals(65504f, OnnxImporter.roundToHalf(65519f));
    assertEquals(Float.NEGATIVE_INFINITY, OnnxImporter.roundToHalf(-65520f));
  }

  /** An Add of another domain is not taken for a residual join: refused by name like any operator netc does not know. */
  @Test
  void anotherDomainsAddIsNoResidual() {
    byte[] add = concat(OnnxBytes.node("j", "Add", List.of("x", "r"), List.of("y")), OnnxBytes.message(out -> out.writeString(7, "com.example")));
    String e = error(List.of(OnnxBytes.node("r0", "Relu", List.of("x"), List.of("r")), add), List.of());
    assertTrue(e.startsWith("m.onnx: node 'j' (Add) of domain 'com.example': netc does not support this operator; it imports Conv, "), e);
  }

  /** A node of a long name keeps the list of operators whole: its name is shortened, not the list at the 2,000-character cut. */
  @Test
  void aLongNodeNameLeavesTheSupportedListWhole() {
    String name = "n".repeat(3000);
    String e = error(List.of(OnnxBytes.node(name, "Elu", List.of("x"), List.of("y"))), List.of());
    assertTrue(e.endsWith(": netc does not support this operator; it imports " + String.join(", ", OnnxImporter.SUPPORTED) + " (README.md's \"Commands\" gives each pattern)"), e);
    assertTrue(e.startsWith("m.onnx: node 'nnnn") && e.contains("... ("), e);
    assertTrue(e.length() <= 2000, "one line of at most 2,000 characters: " + e.length());
    // a name of characters that print escaped (six characters each): measured as printed, and not cut inside an escape
    e = error(List.of(OnnxBytes.node("\u202e".repeat(300), "Elu", List.of("x"), List.of("y"))), List.of());
    assertTrue(e.endsWith(": netc does not support this operator; it imports " + String.join(", ", OnnxImporter.SUPPORTED) + " (README.md's \"Commands\" gives each pattern)"), e);
    assertTrue(e.matches("m\\.onnx: node '(\\\\u202e)+\\.\\.\\. \\(\\d+ more characters\\).*"), e);
  }

  /** Shape computations read shapes (rank 1), and the shapes of tensors in the spec's own layout only. */
  @Test
  void shapeComputationsOfOtherLayoutsAndRanksAreRefused() {
    byte[] data = OnnxBytes.tensor("d", OnnxReader.INT64, new long[] {2, 2}, out -> {
      for (long v : new long[] {1, 2, 3, 4}) out.writeInt64(7, v);
    });
    String e = error(List.of(OnnxBytes.node("g", "Gather", List.of("d", "i"), List.of("p")), OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))),
        List.of(data, int64s("i", 1)));
    assertTrue(e.contains("node 'g' (Gather) gathers from a tensor of rank 2; shape computations gather from a shape (rank 1)"), e);
    e = error(List.of(
        OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
        OnnxBytes.node("/b/Shape", "Shape", List.of("t"), List.of("s")),
        OnnxBytes.node("/b/Transpose_1", "Transpose", List.of("t"), List.of("u"), OnnxBytes.ints("perm", 0, 3, 1, 2)),
        OnnxBytes.node("/b/Reshape", "Reshape", List.of("u", "s"), List.of("y"))), List.of());
    assertTrue(e.contains("node '/b/Shape' (Shape) takes the shape of a tensor ONNX holds channels last or as a flat vector"), e);
  }

  @Test
  void concatsThatDoubleAShapeAreCut() {
    // 30 Concats each of the previous twice: 2^30 evaluations and values, unless evaluation is shared and bounded
    List<byte[]> nodes = new ArrayList<>();
    nodes.add(OnnxBytes.node("s", "Shape", List.of("x"), List.of("c0")));
    for (int i = 1; i <= 30; i++) nodes.add(OnnxBytes.node("c" + i, "Concat", List.of("c" + (i - 1), "c" + (i - 1)), List.of("c" + i)));
    nodes.add(OnnxBytes.node("r", "Reshape", List.of("x", "c30"), List.of("y")));
    String e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(2), () -> error(nodes, List.of()));
    assertTrue(e.endsWith("the shape tensor 'c5' has 128 values; no tensor has that many dims"), e); // [batch, 2, 4, 4] doubled 5 times
  }

  @Test
  void samePaddingIsTheOddPixelAtTheEndOrTheBeginning() {
    byte[] same = OnnxBytes.message(out -> {
      out.writeString(1, "auto_pad");
      out.writeInt32(20, OnnxAttribute.STRING);
      out.writeBytes(4, com.google.protobuf.ByteString.copyFromUtf8("SAME_UPPER"));
    });
    // 3x3, stride 1 on 4x4: one pixel each side
    OnnxImporter.Result r = translate(List.of(conv("c", "x", "y", "w", same)), List.of(weight("w", 2, 2, 3)));
    assertTrue(r.spec().contains("c: conv(2, 3, padding = 1, bias = false)"), r.spec());
    // 2x2, stride 1: one pixel in all, at the end
    r = translate(List.of(conv("c", "x", "y", "w", same)), List.of(weight("w", 2, 2, 2)));
    assertTrue(r.spec().contains("c: conv(2, 2, padding = [0, 0, 1, 1], bias = false)"), r.spec());
    assertEquals(4, build(r).output().shape().width()); // SAME keeps the size
    byte[] lower = OnnxBytes.message(out -> {
      out.writeString(1, "auto_pad");
      out.writeInt32(20, OnnxAttribute.STRING);
      out.writeBytes(4, com.google.protobuf.ByteString.copyFromUtf8("SAME_LOWER"));
    });
    r = translate(List.of(conv("c", "x", "y", "w", lower)), List.of(weight("w", 2, 2, 2)));
    assertTrue(r.spec().contains("c: conv(2, 2, padding = [1, 1, 0, 0], bias = false)"), r.spec()); // the odd pixel first
    // a 1x1 kernel at stride 2 on 4 pixels needs -1: no padding, as onnxruntime's windows (its head pad -1 / 2 = 0)
    r = translate(List.of(conv("c", "x", "y", "w", same, OnnxBytes.ints("strides", 2, 2))), List.of(weight("w", 2, 2, 1)));
    assertTrue(r.spec().contains("c: conv(2, 1, stride = 2, bias = false)"), r.spec());
    // a 2x2 kernel at stride 4 needs -2: SAME_LOWER's front pad is (-2 + 1) / 2 = 0 in onnxruntime (no shift: imported),
    // SAME_UPPER's -2 / 2 = -1 (refused)
    r = translate(List.of(conv("c", "x", "y", "w", lower, OnnxBytes.ints("strides", 4, 4))), List.of(weight("w", 2, 2, 2)));
    assertTrue(r.spec().contains("c: conv(2, 2, stride = 4, bias = false)"), r.spec());
    assertTrue(error(List.of(conv("c", "x", "y", "w", same, OnnxBytes.ints("strides", 4, 4))), List.of(weight("w", 2, 2, 2)))
        .contains("SAME_UPPER with kernel 2 and stride 4 on 4 pixels asks for negative padding (-2)"));
    // pools take the same padding: a 2x2 max pool at stride 4
    assertTrue(error(List.of(OnnxBytes.node("p", "MaxPool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 2, 2),
        OnnxBytes.ints("strides", 4, 4), same)), List.of()).contains("SAME_UPPER with kernel 2 and stride 4 on 4 pixels asks for negative padding (-2)"));
    // at stride 4 it needs -3: onnxruntime pads by -1 and reads pixel 1, where padding 0 read pixel 0; refused, not shifted
    for (byte[] pad : List.of(same, lower)) {
      assertTrue(error(List.of(conv("c", "x", "y", "w", pad, OnnxBytes.ints("strides", 4, 4))), List.of(weight("w", 2, 2, 1)))
          .contains("with kernel 1 and stride 4 on 4 pixels asks for negative padding (-3), which shifts the windows in onnxruntime; give explicit pads"));
    }
  }

  /** A Pad node's pads input "p": int64 [begin N, C, H, W, end N, C, H, W]. */
  private static byte[] padsTensor(long... pads) {
    return OnnxBytes.tensor("p", OnnxReader.INT64, new long[] {pads.length}, out -> {
      for (long v : pads) out.writeInt64(7, v);
    });
  }

  @Test
  void zerosPaddedInFrontOfAnAveragePoolAreItsPadding() {
    byte[] pads = padsTensor(0, 0, 1, 1, 0, 0, 1, 1);
    List<byte[]> avg = List.of(
        OnnxBytes.node("/pool/Pad", "Pad", List.of("x", "p"), List.of("q")),
        OnnxBytes.node("/pool/AveragePool", "AveragePool", List.of("q"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3)));
    OnnxImporter.Result r = translate(avg, List.of(pads));
    assertTrue(r.spec().contains("pool: avgpool(3, stride = 1, padding = 1)  // onnx: /pool/Pad, /pool/AveragePool\n"), r.spec());
    // before a max pool, zeros are not the -infinity its own padding would be: a pad layer of its own
    List<byte[]> max = List.of(
        OnnxBytes.node("/pool/Pad", "Pad", List.of("x", "p"), List.of("q")),
        OnnxBytes.node("/pool/MaxPool", "MaxPool", List.of("q"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3)));
    r = translate(max, List.of(pads));
    assertTrue(r.spec().contains("pool: pad([1, 1, 1, 1])  // onnx: /pool/Pad\n"), r.spec());
    assertTrue(r.spec().contains("maxpool(3, stride = 1)"), r.spec());
  }

  @Test
  void zerosPaddedInFrontOfAConvAddToItsPadding() {
    byte[] pads = padsTensor(0, 0, 0, 1, 0, 0, 1, 0);
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/c/Pad", "Pad", List.of("x", "p"), List.of("q")),
        conv("/c/Conv", "q", "y", "w", OnnxBytes.ints("pads", 1, 1, 1, 1)));
    OnnxImporter.Result r = translate(nodes, List.of(pads, weight("w", 2, 2, 3)));
    assertTrue(r.spec().contains("c: conv(2, 3, padding = [1, 2, 2, 1], bias = false)  // onnx: /c/Pad, /c/Conv\n"), r.spec());
    // a Pad of the channels is not expressible
    byte[] channels = padsTensor(0, 1, 0, 0, 0, 0, 0, 0);
    assertTrue(error(nodes, List.of(channels, weight("w", 2, 2, 3)))
        .endsWith("netc pads with zeros around the height and width only (mode constant, pads [0, 1, 0, 0, 0, 0, 0, 0])"));
  }

  /** A computed pads input is evaluated only while it stays small: a hostile ConstantOfShape is one message, not an allocation. */
  @Test
  void aHugeComputedPadsIsRefused() {
    byte[] size = OnnxBytes.tensor("s", OnnxReader.INT64, new long[] {1}, out -> out.writeInt64(7, 1L << 40));
    List<byte[]> nodes = List.of(
        OnnxBytes.node("cos", "ConstantOfShape", List.of("s"), List.of("pz")),
        OnnxBytes.node("p", "Pad", List.of("x", "pz"), List.of("y")));
    assertTrue(error(nodes, List.of(size)).endsWith("node 'cos' (ConstantOfShape) makes a tensor of shape [1099511627776]; netc evaluates small ones"),
        error(nodes, List.of(size)));
  }

  /**
   * Products of a shape value's dims do not wrap: eleven dims of 64 are 2^66, which as a long is 0. A
   * Reshape's -1 divided by it (an ArithmeticException), and a ConstantOfShape of "0 values" let a Slice
   * of it read past them (an index exception) or allocate 2^30 values. A tensor with a dim of 0 has no
   * values however large its other dims, and is evaluated.
   */
  @Test
  void shapeProductsThatPassALongAreRefusedNotWrapped() {
    long[] big = new long[12];
    java.util.Arrays.fill(big, 64);
    big[11] = -1;
    List<byte[]> reshape = List.of(
        OnnxBytes.node("r1", "Reshape", List.of("d", "t"), List.of("q")),
        OnnxBytes.node("r2", "Reshape", List.of("x", "q"), List.of("y")));
    assertEquals("m.onnx: node 'r1' (Reshape) reshapes 1 values to " + ShapeValues.shown(big), error(reshape, List.of(int64s("d", 8), int64s("t", big))));
    long[] dims = java.util.Arrays.copyOf(big, 11);
    List<byte[]> constant = List.of(
        OnnxBytes.node("cos", "ConstantOfShape", List.of("s"), List.of("c")),
        OnnxBytes.node("sl", "Slice", List.of("c", "zero", "one", "zero"), List.of("p")),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
    assertEquals("m.onnx: node 'cos' (ConstantOfShape) makes a tensor of shape " + ShapeValues.shown(dims) + ", more than 64 values; netc evaluates"
        + " small ones", error(constant, List.of(int64s("s", dims), int64s("zero", 0), int64s("one", 1))));
    // [64 x 11, 0]: no values, reshaped to [64 x 11, -1] (-1 is 0), then to [-1]: nothing before [0, -1], a flatten
    long[] empty = java.util.Arrays.copyOf(dims, 12);
    byte[] zeroValue = OnnxBytes.message(out -> {
      out.writeString(1, "value");
      out.writeInt32(20, OnnxAttribute.TENSOR);
      out.writeByteArray(5, OnnxBytes.tensor("", OnnxReader.INT64, new long[] {1}, o -> o.writeInt64(7, 0)));
    });
    List<byte[]> nothing = List.of(
        OnnxBytes.node("cos", "ConstantOfShape", List.of("s"), List.of("z"), zeroValue),
        OnnxBytes.node("r0", "Reshape", List.of("z", "t"), List.of("q")),
        OnnxBytes.node("r1", "Reshape", List.of("q", "minus"), List.of("f")),
        OnnxBytes.node("j", "Concat", List.of("f", "flat"), List.of("p"), OnnxBytes.integer("axis", 0)),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
    OnnxImporter.Result r = translate(nothing, List.of(int64s("s", empty), int64s("t", big), int64s("minus", -1), int64s("flat", 0, -1)));
    assertTrue(r.spec().endsWith("r: flatten()  // onnx: r (Reshape)\n"), r.spec());
    assertArrayEquals(new int[] {32}, build(r).output().shape().dims());
  }

  /**
   * An empty auto_pad is NOTSET, as onnxruntime reads it (it was "unknown auto_pad "), and a negative
   * axis counts from the end of the ONNX tensor: Flatten's -3 of a map is 1, Gather's -1 of a shape is
   * 0, Shape's start -4 of a map is 0 (each was refused as another axis).
   */
  @Test
  void anEmptyAutoPadIsNotSetAndNegativeAxesCountFromTheEnd() {
    byte[] empty = OnnxBytes.string("auto_pad", "");
    OnnxImporter.Result r = translate(List.of(conv("/c/Conv", "x", "y", "w", empty, OnnxBytes.ints("pads", 1, 1, 1, 1))), List.of(weight("w", 2, 2, 3)));
    assertTrue(r.spec().contains("c: conv(2, 3, padding = 1, bias = false)"), r.spec());
    r = translate(List.of(OnnxBytes.node("/p/MaxPool", "MaxPool", List.of("x"), List.of("y"), empty, OnnxBytes.ints("kernel_shape", 2, 2))), List.of());
    assertArrayEquals(new int[] {2, 3, 3}, build(r).output().shape().dims());
    assertTrue(error(List.of(conv("/c/Conv", "x", "y", "w", OnnxBytes.string("auto_pad", "SAME"))), List.of(weight("w", 2, 2, 3)))
        .endsWith(": unknown auto_pad 'SAME' (ONNX's are NOTSET, VALID, SAME_UPPER and SAME_LOWER)"));
    // both auto_pad and pads: ONNX takes one or the other (onnxruntime refuses both); pads were ignored
    assertTrue(error(List.of(conv("/c/Conv", "x", "y", "w", OnnxBytes.string("auto_pad", "VALID"), OnnxBytes.ints("pads", 1, 1, 1, 1))),
        List.of(weight("w", 2, 2, 3))).endsWith(": auto_pad VALID and explicit pads together; ONNX takes one or the other"));
    // Flatten from -3 of [batch, 2, 4, 4], then from -1 of [batch, 32]: both from axis 1
    r = translate(List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("f"), OnnxBytes.integer("axis", -3)),
        OnnxBytes.node("/g/Flatten", "Flatten", List.of("f"), List.of("y"), OnnxBytes.integer("axis", -1))), List.of());
    assertTrue(r.spec().contains("f: flatten()  // onnx: /f/Flatten"), r.spec());
    assertArrayEquals(new int[] {32}, build(r).output().shape().dims());
    assertTrue(error(List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("y"), OnnxBytes.integer("axis", -2))), List.of())
        .endsWith("with axis=-2: netc flattens from axis 1 (all but the batch)"));
    // [batch] from Shape(x) by a Gather along -1, or by a Slice of a Shape from -4, then -1: a flatten
    List<List<byte[]>> batches = List.of(
        List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("s")),
            OnnxBytes.node("g", "Gather", List.of("s", "zeros"), List.of("b"), OnnxBytes.integer("axis", -1))),
        List.of(OnnxBytes.node("s", "Shape", List.of("x"), List.of("s"), OnnxBytes.integer("start", -4)),
            OnnxBytes.node("g", "Slice", List.of("s", "zeros", "ones"), List.of("b"))));
    for (List<byte[]> batch : batches) {
      List<byte[]> nodes = new ArrayList<>(batch);
      nodes.add(OnnxBytes.node("j", "Concat", List.of("b", "minus"), List.of("p"), OnnxBytes.integer("axis", 0)));
      nodes.add(OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y")));
      r = translate(nodes, List.of(int64s("zeros", 0), int64s("ones", 1), int64s("minus", -1)));
      assertTrue(r.spec().endsWith("r: flatten()  // onnx: r (Reshape)\n"), r.spec());
    }
  }

  /** SiLU exports as x * Sigmoid(x), hardswish (before opset 14) as x * HardSigmoid(x): each one activation layer. */
  @Test
  void selfGatedActivationsAreSiluAndHardswish() {
    List<byte[]> silu = List.of(
        OnnxBytes.node("/act/Sigmoid", "Sigmoid", List.of("x"), List.of("s")),
        OnnxBytes.node("/act/Mul", "Mul", List.of("x", "s"), List.of("y")));
    OnnxImporter.Result r = translate(silu, List.of());
    assertTrue(r.spec().endsWith("act: silu()  // onnx: /act/Sigmoid, /act/Mul\n"), r.spec());
    assertEquals(Op.SILU, build(r).output().op());
    byte[] sixth = OnnxBytes.real("alpha", 1f / 6);
    List<byte[]> hardswish = List.of(
        OnnxBytes.node("/hs/HardSigmoid", "HardSigmoid", List.of("x"), List.of("s"), sixth),
        OnnxBytes.node("/hs/Mul", "Mul", List.of("s", "x"), List.of("y")));
    assertEquals(Op.HARDSWISH, build(translate(hardswish, List.of())).output().op());
    List<byte[]> alone = List.of(OnnxBytes.node("/g/HardSigmoid", "HardSigmoid", List.of("x"), List.of("y"), sixth));
    assertEquals(Op.HARDSIGMOID, build(translate(alone, List.of())).output().op());
    assertEquals(Op.HARDSWISH, build(translate(List.of(OnnxBytes.node("/h/HardSwish", "HardSwish", List.of("x"), List.of("y"))), List.of())).output().op());
    // ONNX's default slope, 0.2, is not torch's hardsigmoid
    List<byte[]> onnxDefault = List.of(OnnxBytes.node("/g/HardSigmoid", "HardSigmoid", List.of("x"), List.of("y")));
    assertEquals("m.onnx: node '/g/HardSigmoid' (HardSigmoid): netc's hardsigmoid is torch's, min(max(x / 6 + 1/2, 0), 1)",
        error(onnxDefault, List.of()));
  }

  /** torch's gelu before opset 20 (x / sqrt(2), Erf, + 1, times x, times 0.5) and ONNX's Gelu: one gelu() layer; Gelu's tanh form refused. */
  @Test
  void geluPatternAndGeluAreGelu() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/act/Div", "Div", List.of("x", "sqrt2"), List.of("d")),
        OnnxBytes.node("/act/Erf", "Erf", List.of("d"), List.of("e")),
        OnnxBytes.node("/act/Add", "Add", List.of("e", "one"), List.of("a")),
        OnnxBytes.node("/act/Mul", "Mul", List.of("x", "a"), List.of("m")),
        OnnxBytes.node("/act/Mul_1", "Mul", List.of("m", "half"), List.of("y")));
    List<byte[]> constants = List.of(OnnxBytes.floats("sqrt2", new long[] {}, 1.4142135f), OnnxBytes.floats("one", new long[] {}, 1f),
        OnnxBytes.floats("half", new long[] {}, 0.5f));
    OnnxImporter.Result r = translate(nodes, constants);
    assertTrue(r.spec().endsWith("act: gelu()  // onnx: /act/Div, /act/Erf, /act/Add, /act/Mul, /act/Mul_1 (Mul)\n"), r.spec());
    assertEquals(Op.GELU, build(r).output().op());
    assertEquals(Op.GELU, build(translate(List.of(OnnxBytes.node("/g/Gelu", "Gelu", List.of("x"), List.of("y"))), List.of())).output().op());
    assertEquals("m.onnx: node '/g/Gelu' (Gelu) with approximate=\"tanh\": netc's gelu is the exact one, with erf",
        error(List.of(OnnxBytes.node("/g/Gelu", "Gelu", List.of("x"), List.of("y"), OnnxBytes.string("approximate", "tanh"))), List.of()));
  }

  /**
   * ConvNeXt's block shape: to channels last, a LayerNormalization over the last axis, a Linear
   * (MatMul + Add, bias first), back to channels first, a layer scale: layernorm, a 1x1 conv, a
   * batchnorm of the scale. Other transposes and a scale not of one value a channel are refused by name.
   */
  @Test
  void channelsLastLayersAreLayersOverTheChannels() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
        OnnxBytes.node("/b/norm/LayerNormalization", "LayerNormalization", List.of("t", "g", "b"), List.of("n"), OnnxBytes.real("epsilon", 1e-6f)),
        OnnxBytes.node("/b/fc/MatMul", "MatMul", List.of("n", "w"), List.of("m")),
        OnnxBytes.node("/b/fc/Add", "Add", List.of("fb", "m"), List.of("f")),
        OnnxBytes.node("/b/Transpose_1", "Transpose", List.of("f"), List.of("u"), OnnxBytes.ints("perm", 0, 3, 1, 2)),
        OnnxBytes.node("/b/Mul", "Mul", List.of("scale", "u"), List.of("y")));
    List<byte[]> constants = List.of(OnnxBytes.floats("g", new long[] {2}, 1, 2), OnnxBytes.floats("b", new long[] {2}, 0, 1),
        OnnxBytes.floats("w", new long[] {2, 3}, 1, 2, 3, 4, 5, 6), OnnxBytes.floats("fb", new long[] {3}, 7, 8, 9),
        OnnxBytes.floats("scale", new long[] {3, 1, 1}, 0.5f, 0.25f, 2f));
    OnnxImporter.Result r = translate(nodes, constants);
    String spec = r.spec();
    assertTrue(spec.contains("b_norm: layernorm(eps = 1.0E-6)  // onnx: /b/norm/LayerNormalization\n"), spec);
    assertTrue(spec.contains("b_fc: conv(3, 1)  // onnx: /b/fc/MatMul, /b/fc/Add\n"), spec);
    assertTrue(spec.endsWith("b: batchnorm(eps = 1.0E-30)  // onnx: /b/Mul\n"), spec);
    assertArrayEquals(new float[] {0.5f, 0.25f, 2f}, r.weights().get("b.weight").data()); // the layer scale, mean 0, variance 1
    assertArrayEquals(new float[] {1, 1, 1}, r.weights().get("b.running_var").data());
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, r.weights().get("b_fc.weight").data()); // MatMul's [in, out], transposed
    assertArrayEquals(new int[] {3, 4, 4}, build(r).output().shape().dims());
    // channels last the output is at ONNX rank 4: a bias of [1, 1, 1, 3], or of one value at rank 4, is as good as a [3]
    List<byte[]> wideBias = new ArrayList<>(constants);
    wideBias.set(3, OnnxBytes.floats("fb", new long[] {1, 1, 1, 3}, 7, 8, 9));
    assertArrayEquals(new float[] {7, 8, 9}, translate(nodes, wideBias).weights().get("b_fc.bias").data());
    wideBias.set(3, OnnxBytes.floats("fb", new long[] {1, 1, 1, 1}, 7));
    assertArrayEquals(new float[] {7, 7, 7}, translate(nodes, wideBias).weights().get("b_fc.bias").data());
    assertEquals("m.onnx: node '/b/Transpose' (Transpose) with perm=[0, 1, 3, 2]: netc transposes a map only to channels last (perm [0, 2, 3, 1]), "
        + "and back, around layers over its channels",
        error(List.of(OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("y"), OnnxBytes.ints("perm", 0, 1, 3, 2))), constants));
    assertEquals("m.onnx: node '/b/Mul' (Mul) multiplies by a constant of shape [2] on a tensor of shape [2, 4, 4] (without the batch); netc takes "
        + "one value, or one value a channel ([C, 1, 1] or [1, C, 1, 1]; a [C] broadcasts along the width)", error(List.of(OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("r")),
            OnnxBytes.node("/b/Mul", "Mul", List.of("g", "r"), List.of("y"))), constants));
    // a SiLU over the channels stays channels last, and the section must end in a Transpose back
    OnnxImporter.Result silu = translate(List.of(
        OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
        OnnxBytes.node("/b/Sigmoid", "Sigmoid", List.of("t"), List.of("s")),
        OnnxBytes.node("/b/Mul", "Mul", List.of("t", "s"), List.of("m")),
        OnnxBytes.node("/b/Transpose_1", "Transpose", List.of("m"), List.of("y"), OnnxBytes.ints("perm", 0, 3, 1, 2))), List.of());
    assertEquals(Op.SILU, build(silu).output().op());
    // a LayerNormalization's scale of [C, 1, 1] (C = H = 4 here) broadcasts along the height in ONNX: refused, as the exported pattern's
    List<byte[]> wide = List.of(OnnxBytes.floats("g4", new long[] {4, 1, 1}, 1, 2, 3, 4));
    assertEquals("m.onnx: node '/b/norm/LayerNormalization' (LayerNormalization): the layer norm's scale 'g4' is float32 of shape [4, 1, 1]; netc"
        + " takes a float constant of one value a channel, [4] or [1, ..., 1, 4] (ONNX broadcasts it along the last axis, the channels)", error(List.of(
            OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
            OnnxBytes.node("/b/norm/LayerNormalization", "LayerNormalization", List.of("t", "g4"), List.of("n")),
            OnnxBytes.node("/b/Transpose_1", "Transpose", List.of("n"), List.of("y"), OnnxBytes.ints("perm", 0, 3, 1, 2))), wide, 4, 13));
    // a Gemm on the channels-last map: invalid ONNX (Gemm takes a matrix), refused where MatMul is a Linear layer
    assertEquals("m.onnx: node '/b/fc/Gemm' (Gemm): Gemm takes a matrix ([batch, features]), and its input here is at ONNX rank 4; a Linear"
        + " layer over the last axis of a larger tensor is a MatMul", error(List.of(
            OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
            OnnxBytes.node("/b/fc/Gemm", "Gemm", List.of("t", "w"), List.of("f")),
            OnnxBytes.node("/b/Transpose_1", "Transpose", List.of("f"), List.of("y"), OnnxBytes.ints("perm", 0, 3, 1, 2))), constants));
    assertEquals("m.onnx: node '/b/Relu' (Relu) leaves a tensor channels last; netc joins and outputs maps channels first, after a Transpose back "
        + "(perm [0, 3, 1, 2])", error(List.of(
            OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
            OnnxBytes.node("/b/Relu", "Relu", List.of("t"), List.of("y"))), List.of()));
  }

  /**
   * torch's layer_norm as it exports before opset 17, on a channels-last map: one layernorm, its weight
   * and bias the Mul's and Add's constants when they are one value a channel along the last axis ([C]
   * or [1, 1, 1, C]). A [C, 1, 1] of as many values (C = H = 4 here) broadcasts along the height in
   * ONNX: it was taken for the weight all the same, silently another network; refused by name.
   */
  @Test
  void aLayerNormsWeightMustBroadcastAlongTheChannels() {
    java.util.function.BiFunction<long[], long[], List<byte[]>> pattern = (w, b) -> List.of(
        OnnxBytes.node("/b/Transpose", "Transpose", List.of("x"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 3, 1)),
        OnnxBytes.node("/b/ReduceMean", "ReduceMean", List.of("t"), List.of("m"), OnnxBytes.ints("axes", -1)),
        OnnxBytes.node("/b/Sub", "Sub", List.of("t", "m"), List.of("c")),
        OnnxBytes.node("/b/Pow", "Pow", List.of("c", "two"), List.of("p")),
        OnnxBytes.node("/b/ReduceMean_1", "ReduceMean", List.of("p"), List.of("v"), OnnxBytes.ints("axes", -1)),
        OnnxBytes.node("/b/Add", "Add", List.of("v", "eps"), List.of("ve")),
        OnnxBytes.node("/b/Sqrt", "Sqrt", List.of("ve"), List.of("s")),
        OnnxBytes.node("/b/Div", "Div", List.of("c", "s"), List.of("d")),
        OnnxBytes.node("/b/Mul", "Mul", List.of("d", "w"), List.of("sc")),
        OnnxBytes.node("/b/Add_1", "Add", List.of("sc", "b"), List.of("sh")),
        OnnxBytes.node("/b/Transpose_1", "Transpose", List.of("sh"), List.of("y"), OnnxBytes.ints("perm", 0, 3, 1, 2)));
    java.util.function.BiFunction<long[], long[], List<byte[]>> constants = (w, b) -> List.of(OnnxBytes.floats("two", new long[0], 2f),
        OnnxBytes.floats("eps", new long[0], 1e-6f), OnnxBytes.floats("w", w, 1, 2, 3, 4), OnnxBytes.floats("b", b, 5, 6, 7, 8));
    long[] c = {4}, last = {1, 1, 1, 4}, height = {4, 1, 1};
    OnnxImporter.Result r = translate(pattern.apply(c, last), constants.apply(c, last), 4, 13);
    assertTrue(r.spec().contains("b: layernorm(eps = 1.0E-6)  // onnx: /b/ReduceMean, /b/Sub, /b/Pow, /b/ReduceMean_1"
        + " (ReduceMean), /b/Add, /b/Sqrt, /b/Div, /b/Mul, /b/Add_1 (Add)\n"), r.spec());
    assertArrayEquals(new float[] {1, 2, 3, 4}, r.weights().get("b.weight").data());
    assertArrayEquals(new float[] {5, 6, 7, 8}, r.weights().get("b.bias").data());
    assertArrayEquals(new int[] {4, 4, 4}, build(r).output().shape().dims());
    assertEquals("m.onnx: node '/b/Mul' (Mul): the layer norm's weight 'w' is float32 of shape [4, 1, 1]; netc takes a float constant of one value"
        + " a channel, [4] or [1, ..., 1, 4] (ONNX broadcasts it along the last axis, the channels)",
        error(pattern.apply(height, c), constants.apply(height, c), 4, 13));
    assertEquals("m.onnx: node '/b/Add_1' (Add): the layer norm's bias 'b' is float32 of shape [4, 1, 1]; netc takes a float constant of one value"
        + " a channel, [4] or [1, ..., 1, 4] (ONNX broadcasts it along the last axis, the channels)",
        error(pattern.apply(c, height), constants.apply(c, height), 4, 13));
  }

  /** A squeeze-and-excitation: x times a path from x that ends at one value a channel is a gate; any other Mul of two paths is refused. */
  @Test
  void aMulByOneValueAChannelComputedFromTheInputIsAGate() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/se/avgpool/GlobalAveragePool", "GlobalAveragePool", List.of("x"), List.of("p")),
        conv("/se/fc/Conv", "p", "f", "w"),
        OnnxBytes.node("/se/Sigmoid", "Sigmoid", List.of("f"), List.of("s")),
        OnnxBytes.node("/se/Mul", "Mul", List.of("s", "x"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of(weight("w", 2, 2, 1)));
    assertEquals("""
        gate {  // onnx: /se/Mul
            se_avgpool: global_avgpool()  // onnx: /se/avgpool/GlobalAveragePool
            se_fc: conv(2, 1, bias = false)  // onnx: /se/fc/Conv
            se: sigmoid()  // onnx: /se/Sigmoid
        }
        """, r.spec().substring(r.spec().indexOf("gate")));
    Graph g = build(r);
    assertEquals(Op.GATE, g.output().op());
    assertEquals(List.of(2, 4, 4), java.util.Arrays.stream(g.output().shape().dims()).boxed().toList());
    // x times tanh(x): a Mul of two maps, which a gate is not
    List<byte[]> mish = List.of(
        OnnxBytes.node("/t/Tanh", "Tanh", List.of("x"), List.of("t")),
        OnnxBytes.node("/m/Mul", "Mul", List.of("x", "t"), List.of("y")));
    assertEquals("m.onnx: node '/m/Mul' (Mul) multiplies tensors of shapes [2, 4, 4] and [2, 4, 4]; netc's gate multiplies a feature map by one value a "
        + "channel computed from it, as a squeeze-and-excitation", error(mish, List.of()));
  }

  private static byte[] int64s(String name, long... values) {
    return OnnxBytes.tensor(name, OnnxReader.INT64, new long[] {values.length}, out -> {
      for (long v : values) out.writeInt64(7, v);
    });
  }

  /** A gate written with Linear layers on the pooled vector: Flatten, Gemm, MatMul, Sigmoid, then a Reshape or Unsqueezes back, an Expand. */
  private static List<byte[]> linearGate(byte[]... back) {
    List<byte[]> nodes = new ArrayList<>(List.of(
        OnnxBytes.node("/se/GlobalAveragePool", "GlobalAveragePool", List.of("x"), List.of("p")),
        OnnxBytes.node("/se/Flatten", "Flatten", List.of("p"), List.of("v")),
        OnnxBytes.node("/se/fc1/Gemm", "Gemm", List.of("v", "w1", "b1"), List.of("h"), OnnxBytes.integer("transB", 1)),
        OnnxBytes.node("/se/Relu", "Relu", List.of("h"), List.of("r")),
        OnnxBytes.node("/se/fc2/MatMul", "MatMul", List.of("r", "w2"), List.of("f")),
        OnnxBytes.node("/se/Sigmoid", "Sigmoid", List.of("f"), List.of("s"))));
    nodes.addAll(List.of(back));
    nodes.add(OnnxBytes.node("/se/Mul", "Mul", List.of("x", "g"), List.of("y")));
    return nodes;
  }

  private static List<byte[]> linearGateWeights(byte[]... more) {
    List<byte[]> w = new ArrayList<>(List.of(OnnxBytes.floats("w1", new long[] {3, 2}, 1, 2, 3, 4, 5, 6), OnnxBytes.floats("b1", new long[] {3}, 7, 8, 9),
        OnnxBytes.floats("w2", new long[] {3, 2}, 1, 2, 3, 4, 5, 6)));
    w.addAll(List.of(more));
    return w;
  }

  /**
   * The squeeze-and-excitation hand-written models use (senet.pytorch's {@code fc(avgpool(x).view(b, c)).view(b, c, 1, 1)}):
   * the vector stays [C, 1, 1] in the spec, its Linear layers are 1x1 convs (Gemm's [out, in] weight, MatMul's
   * transposed), and the Reshape, Unsqueeze and Expand back are no layers; a gate like any other.
   */
  @Test
  void aGateWrittenWithLinearLayersKeepsItsVectorAsAMap() {
    OnnxImporter.Result r = translate(linearGate(
        OnnxBytes.node("/se/Reshape", "Reshape", List.of("s", "shape"), List.of("m")),
        OnnxBytes.node("/se/Shape", "Shape", List.of("x"), List.of("xs")),
        OnnxBytes.node("/se/Expand", "Expand", List.of("m", "xs"), List.of("g"))), linearGateWeights(int64s("shape", 0, 2, 1, 1)));
    assertEquals("""
        gate {  // onnx: /se/Mul
            se: global_avgpool()  // onnx: /se/GlobalAveragePool
            // onnx: /se/Flatten kept as [2, 1, 1]: its Linear layers compute as 1x1 convs
            se_fc1: conv(3, 1)  // onnx: /se/fc1/Gemm
            se_2: relu()  // onnx: /se/Relu
            se_fc2: conv(2, 1, bias = false)  // onnx: /se/fc2/MatMul
            se_3: sigmoid()  // onnx: /se/Sigmoid
            // onnx: /se/Reshape back to [batch, 2, 1, 1]
            // onnx: /se/Expand removed: the Mul after it broadcasts the same
        }
        """, r.spec().substring(r.spec().indexOf("gate")));
    assertArrayEquals(new int[] {3, 2, 1, 1}, r.weights().get("se_fc1.weight").shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, r.weights().get("se_fc1.weight").data()); // Gemm transB: [out, in] already
    assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, r.weights().get("se_fc2.weight").data()); // MatMul's [in, out], transposed
    Graph g = build(r);
    assertEquals(Op.GATE, g.output().op());
    assertArrayEquals(new int[] {2, 4, 4}, g.output().shape().dims());
    // two Unsqueezes of the trailing axes
    OnnxImporter.Result u = translate(linearGate(
        OnnxBytes.node("/se/Unsqueeze", "Unsqueeze", List.of("s", "a"), List.of("s3")),
        OnnxBytes.node("/se/Unsqueeze_1", "Unsqueeze", List.of("s3", "a"), List.of("g"))), linearGateWeights(int64s("a", -1)));
    assertTrue(u.spec().contains("// onnx: /se/Unsqueeze on the way back to [batch, C, 1, 1]\n"
        + "    // onnx: /se/Unsqueeze_1 (Unsqueeze) back to [batch, 2, 1, 1]\n}"), u.spec());
    assertEquals(Op.GATE, build(u).output().op());
    // back to another shape, or by an Unsqueeze in front of the channels: one message naming the node
    assertEquals("m.onnx: node '/se/Reshape' (Reshape): netc expresses a Reshape of a gate's vector of 2 back to [batch, 2, 1, 1], not to [0, 1, 2, 1]",
        error(linearGate(OnnxBytes.node("/se/Reshape", "Reshape", List.of("s", "shape"), List.of("g"))), linearGateWeights(int64s("shape", 0, 1, 2, 1))));
    assertEquals("m.onnx: node '/se/Unsqueeze' (Unsqueeze): netc expresses an Unsqueeze of a gate's vector that adds trailing axes (to [batch, C, 1, 1]), not axes [1]",
        error(linearGate(OnnxBytes.node("/se/Unsqueeze", "Unsqueeze", List.of("s", "a"), List.of("s3")),
            OnnxBytes.node("/se/Unsqueeze_1", "Unsqueeze", List.of("s3", "a"), List.of("g"))), linearGateWeights(int64s("a", 1))));
    // the same axis twice: an invalid Unsqueeze (onnx.checker refuses it), not read as two
    assertEquals("m.onnx: node '/se/Unsqueeze' (Unsqueeze): netc expresses an Unsqueeze of a gate's vector that adds trailing axes (to [batch, C, 1, 1]), not axes [2, 2]",
        error(linearGate(OnnxBytes.node("/se/Unsqueeze", "Unsqueeze", List.of("s", "a"), List.of("g"))), linearGateWeights(int64s("a", 2, 2))));
    // one Unsqueeze: [batch, C, 1] would broadcast against [batch, C, H, W] as another shape, not as a gate
    assertEquals("m.onnx: node '/se/Unsqueeze' (Unsqueeze) leaves a gate's vector at ONNX rank 3; netc's gate multiplies a map by a vector "
        + "brought back to [batch, C, 1, 1]",
        error(linearGate(OnnxBytes.node("/se/Unsqueeze", "Unsqueeze", List.of("s", "a"), List.of("g"))), linearGateWeights(int64s("a", -1))));
  }

  /** x.view(b, groups, -1, h, w) or x.view(b, -1, c / groups, h, w): the -1 is the other channel axis's quotient. */
  @Test
  void aChannelShuffleMayLeaveOneChannelAxisToBeInferred() {
    for (long[] five : new long[][] {{0, 2, -1, 4, 4}, {0, -1, 1, 4, 4}}) {
      List<byte[]> nodes = List.of(
          OnnxBytes.node("/u/Reshape", "Reshape", List.of("x", "five"), List.of("v")),
          OnnxBytes.node("/u/Transpose", "Transpose", List.of("v"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 1, 3, 4)),
          OnnxBytes.node("/u/Reshape_1", "Reshape", List.of("t", "four"), List.of("y")));
      OnnxImporter.Result r = translate(nodes, List.of(int64s("five", five), int64s("four", 0, -1, 4, 4)));
      assertTrue(r.spec().endsWith("u: channel_shuffle(2)  // onnx: /u/Reshape, /u/Transpose, /u/Reshape_1 (Reshape)\n"),
          java.util.Arrays.toString(five) + ": " + r.spec());
      assertEquals(Op.CHANNEL_SHUFFLE, build(r).output().op());
    }
  }

  /**
   * A model exported with a fixed batch of 1 and its shapes folded writes its Reshape targets with a 1 first: a channel
   * shuffle's [1, 2, 1, 4, 4] and [1, 2, 4, 4] are the dynamic export's [batch, ...] (refused, where those imported).
   */
  @Test
  void aFixedBatchOfOnesReshapesAreTheBatchs() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/u/Reshape", "Reshape", List.of("x", "five"), List.of("v")),
        OnnxBytes.node("/u/Transpose", "Transpose", List.of("v"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 1, 3, 4)),
        OnnxBytes.node("/u/Reshape_1", "Reshape", List.of("t", "four"), List.of("y")));
    List<byte[]> constants = List.of(int64s("five", 1, 2, 1, 4, 4), int64s("four", 1, 2, 4, 4));
    byte[] graph = OnnxBytes.message(out -> {
      for (byte[] n : nodes) out.writeByteArray(1, n);
      for (byte[] t : constants) out.writeByteArray(5, t);
      out.writeByteArray(11, OnnxBytes.valueInfo("x", new long[] {1, 2, 4, 4}));
      out.writeByteArray(12, OnnxBytes.valueInfo("y", new long[0]));
    });
    OnnxImporter.Result r = OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(graph)));
    assertTrue(r.spec().endsWith("u: channel_shuffle(2)  // onnx: /u/Reshape, /u/Transpose, /u/Reshape_1 (Reshape)\n"), r.spec());
    assertEquals(Op.CHANNEL_SHUFFLE, build(r).output().op());
  }

  /**
   * ShuffleNetV2's unit as torch 1.13 exports it: chunk as two Slices of the channels whose split point
   * is computed from the shape ((C + 1) / 2, by Shape, Gather, Add, Div, Mul), a concat, and the shuffle
   * as Reshape to [batch, 2, C / 2, H, W], Transpose, Reshape back: channels() and channel_shuffle().
   */
  @Test
  void chunkAndChannelShuffleAreChannelsAndChannelShuffle() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/u/Shape", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("/u/Gather", "Gather", List.of("s", "one"), List.of("c")),
        OnnxBytes.node("/u/Add", "Add", List.of("c", "one"), List.of("c1")),
        OnnxBytes.node("/u/Div", "Div", List.of("c1", "two"), List.of("half")),
        OnnxBytes.node("/u/Mul", "Mul", List.of("half", "two"), List.of("all")),
        OnnxBytes.node("/u/Slice", "Slice", List.of("x", "zero", "half", "one"), List.of("a")),
        OnnxBytes.node("/u/Slice_1", "Slice", List.of("x", "half", "all", "one"), List.of("b")),
        OnnxBytes.node("/u/branch2/Relu", "Relu", List.of("b"), List.of("r")),
        OnnxBytes.node("/u/Concat", "Concat", List.of("a", "r"), List.of("j"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("/u/Reshape", "Reshape", List.of("j", "five"), List.of("v")),
        OnnxBytes.node("/u/Transpose", "Transpose", List.of("v"), List.of("t"), OnnxBytes.ints("perm", 0, 2, 1, 3, 4)),
        OnnxBytes.node("/u/Reshape_1", "Reshape", List.of("t", "four"), List.of("y")));
    List<byte[]> constants = List.of(int64s("zero", 0), int64s("one", 1), int64s("two", 2), int64s("five", 0, 2, 1, 4, 4), int64s("four", 0, -1, 4, 4));
    OnnxImporter.Result r = translate(nodes, constants);
    assertTrue(r.spec().endsWith("""
        concat {  // onnx: /u/Concat
            u: channels(0, 1)  // onnx: /u/Slice
        } and {
            u_2: channels(1, 2)  // onnx: /u/Slice_1 (Slice)
            u_branch2: relu()  // onnx: /u/branch2/Relu
        }
        u_3: channel_shuffle(2)  // onnx: /u/Reshape, /u/Transpose, /u/Reshape_1 (Reshape)
        """), r.spec());
    Graph g = build(r);
    assertEquals(Op.CHANNEL_SHUFFLE, g.output().op());
    assertArrayEquals(new int[] {2, 4, 4}, g.output().shape().dims());
    // a Slice of rows, a 5-d Reshape that is no shuffle, a split point that depends on the batch: one message each
    assertEquals("m.onnx: node '/u/Slice' (Slice): netc slices a range of channels (axis 1, step 1), not starts [0], ends [1], axes [2]",
        error(List.of(OnnxBytes.node("/u/Slice", "Slice", List.of("x", "zero", "one", "two"), List.of("y"))), constants));
    assertTrue(error(List.of(OnnxBytes.node("/u/Reshape", "Reshape", List.of("x", "five"), List.of("y"))), constants)
        .startsWith("m.onnx: node '/u/Reshape' (Reshape): netc expresses a Reshape to 5 axes only as the first of a channel shuffle"));
    List<byte[]> byBatch = List.of(
        OnnxBytes.node("/u/Shape", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("/u/Gather", "Gather", List.of("s", "zero"), List.of("n")),
        OnnxBytes.node("/u/Div", "Div", List.of("n", "two"), List.of("half")),
        OnnxBytes.node("/u/Slice", "Slice", List.of("x", "zero", "half", "one"), List.of("y")));
    assertTrue(error(byBatch, constants).endsWith("node '/u/Div' (Div) computes with the batch size, which netc leaves open"), error(byBatch, constants));
    // the batch size itself as a start (torch's x[:, x.size(0):]) or an end: not the channels 0 or C that clamping it would give
    for (List<String> bounds : List.of(List.of("n", "two"), List.of("zero", "n"))) {
      List<byte[]> batchBound = List.of(
          OnnxBytes.node("/u/Shape", "Shape", List.of("x"), List.of("s")),
          OnnxBytes.node("/u/Gather", "Gather", List.of("s", "zero"), List.of("n")),
          OnnxBytes.node("/u/Slice", "Slice", List.of("x", bounds.get(0), bounds.get(1), "one"), List.of("y")));
      assertTrue(error(batchBound, constants).endsWith("node '/u/Slice' (Slice) slices channels " + (bounds.get(0).equals("n") ? "from" : "to")
          + " the batch size, which netc leaves open"), error(batchBound, constants));
    }
  }

  /**
   * A literal INT64_MIN, which ONNX recommends as a bound before the first element, is that bound, not the batch size
   * the importer's shape values hold in its place: a channel Slice from it starts at channel 0, arithmetic on it is
   * refused; and a shape Slice to the batch size itself is refused, not clamped as INT64_MIN would be.
   */
  @Test
  void aLiteralInt64MinIsASliceBoundNotTheBatchSize() {
    List<byte[]> constants = List.of(int64s("min", Long.MIN_VALUE), int64s("one", 1), int64s("zero", 0));
    OnnxImporter.Result r = translate(List.of(OnnxBytes.node("/u/Slice", "Slice", List.of("x", "min", "one", "one"), List.of("y"))), constants);
    assertTrue(r.spec().contains(": channels(0, 1)  // onnx: /u/Slice"), r.spec());
    String e = error(List.of(OnnxBytes.node("a", "Add", List.of("min", "one"), List.of("e")),
        OnnxBytes.node("/u/Slice", "Slice", List.of("x", "zero", "e", "one"), List.of("y"))), constants);
    assertTrue(e.endsWith("node 'a' (Add) computes with -9223372036854775807 or INT64_MIN, a Slice bound; netc reads such a value "
        + "only as a Slice's start or end"), e);
    e = error(List.of(OnnxBytes.node("c", "Cast", List.of("min"), List.of("e"), OnnxBytes.integer("to", OnnxReader.INT32)),
        OnnxBytes.node("/u/Slice", "Slice", List.of("x", "e", "one", "one"), List.of("y"))), constants);
    assertTrue(e.endsWith("node 'c' (Cast) casts -9223372036854775807 or INT64_MIN, a Slice bound, to int32; netc reads such a value "
        + "only as a Slice's start or end"), e);
    e = error(List.of(
        OnnxBytes.node("s", "Shape", List.of("x"), List.of("s")),
        OnnxBytes.node("g", "Gather", List.of("s", "zero"), List.of("n")),
        OnnxBytes.node("sl", "Slice", List.of("s", "zero", "n", "zero"), List.of("p")),
        OnnxBytes.node("r", "Reshape", List.of("x", "p"), List.of("y"))), constants);
    assertTrue(e.endsWith("node 'sl' (Slice) slices a shape value by the batch size, which netc leaves open"), e);
  }

  /** A Split along the channels: each output a path of a fork that starts at its channels; sizes that do not split the map are refused. */
  @Test
  void aSplitIsOneChannelsLayerAPath() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/Split", "Split", List.of("x"), List.of("a", "b"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("/b/Relu", "Relu", List.of("b"), List.of("r")),
        OnnxBytes.node("/Concat", "Concat", List.of("r", "a"), List.of("y"), OnnxBytes.integer("axis", 1)));
    OnnxImporter.Result r = translate(nodes, List.of());
    assertTrue(r.spec().endsWith("""
        concat {  // onnx: /Concat
            split_2: channels(1, 2)  // onnx: /Split
            b: relu()  // onnx: /b/Relu
        } and {
            split: channels(0, 1)  // onnx: /Split
        }
        """), r.spec());
    assertArrayEquals(new int[] {2, 4, 4}, build(r).output().shape().dims());
    List<byte[]> uneven = List.of(
        OnnxBytes.node("/Split", "Split", List.of("x", "sizes"), List.of("a", "b"), OnnxBytes.integer("axis", 1)),
        OnnxBytes.node("/Concat", "Concat", List.of("a", "b"), List.of("y"), OnnxBytes.integer("axis", 1)));
    assertEquals("m.onnx: node '/Split' (Split) with axis=1: its sizes [1, 2] do not split 2 channels into 2 non-empty parts",
        error(uneven, List.of(int64s("sizes", 1, 2))));
  }

  /** A Flatten of a pooled map that goes on to the output (a classifier's head) stays a flatten and its Gemm an fc. */
  @Test
  void aClassifierHeadStaysFlat() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/GlobalAveragePool", "GlobalAveragePool", List.of("x"), List.of("p")),
        OnnxBytes.node("/Flatten", "Flatten", List.of("p"), List.of("v")),
        OnnxBytes.node("/fc/Gemm", "Gemm", List.of("v", "w1", "b1"), List.of("y"), OnnxBytes.integer("transB", 1)));
    OnnxImporter.Result r = translate(nodes, linearGateWeights());
    assertTrue(r.spec().endsWith("flatten: flatten()  // onnx: /Flatten\nfc: fc(3)  // onnx: /fc/Gemm\n"), r.spec());
  }

  /**
   * A classifier's head whose logits are reshaped to [batch, K] at the end (a no-op): a flatten and an fc,
   * not a gate's vector (which the Reshape does not bring back to a map), and the logits are the pooled
   * means times the weights plus the bias. A no-op Reshape inside a gate's vector section keeps it a gate.
   */
  @Test
  void aClassifierHeadReshapedToBatchByFeaturesStaysFlat() {
    for (byte[] target : List.of(int64s("shape", 0, -1), int64s("shape", -1, 3))) {
      List<byte[]> nodes = List.of(
          OnnxBytes.node("/GlobalAveragePool", "GlobalAveragePool", List.of("x"), List.of("p")),
          OnnxBytes.node("/Flatten", "Flatten", List.of("p"), List.of("v")),
          OnnxBytes.node("/fc/Gemm", "Gemm", List.of("v", "w1", "b1"), List.of("g"), OnnxBytes.integer("transB", 1)),
          OnnxBytes.node("/Reshape", "Reshape", List.of("g", "shape"), List.of("y")));
      OnnxImporter.Result r = translate(nodes, linearGateWeights(target));
      assertTrue(r.spec().endsWith("flatten: flatten()  // onnx: /Flatten\nfc: fc(3)  // onnx: /fc/Gemm\n"
          + "// onnx: /Reshape removed: its input is [batch, 3] already\n"), r.spec());
      Graph g = build(r);
      float[] x = new float[2 * 2 * 16];
      for (int i = 0; i < x.length; i++) x[i] = (i * 7 % 11) * 0.25f - 1f;
      float[] expected = new float[2 * 3];
      float[][] w = {{1, 2}, {3, 4}, {5, 6}};
      float[] b = {7, 8, 9};
      for (int image = 0; image < 2; image++) {
        float[] mean = new float[2];
        for (int c = 0; c < 2; c++) for (int k = 0; k < 16; k++) mean[c] += x[image * 32 + c * 16 + k] / 16;
        for (int o = 0; o < 3; o++) expected[image * 3 + o] = w[o][0] * mean[0] + w[o][1] * mean[1] + b[o];
      }
      netc.runtime.Tensor y = netc.interp.Interpreter.run(g, netc.weights.WeightBinding.bind(g, netc.runtime.io.TensorSource.of("m", r.weights())),
          new netc.runtime.Tensor(new int[] {2, 2, 4, 4}, x));
      assertArrayEquals(new int[] {2, 3}, y.shape());
      assertArrayEquals(expected, y.data(), 1e-5f);
    }
    // inside a gate's vector section, between the Flatten and the Gemm
    List<byte[]> gate = linearGate(OnnxBytes.node("/se/Reshape", "Reshape", List.of("s", "shape"), List.of("g")));
    gate.add(2, OnnxBytes.node("/se/Reshape_0", "Reshape", List.of("v", "flat"), List.of("v2")));
    gate.set(3, OnnxBytes.node("/se/fc1/Gemm", "Gemm", List.of("v2", "w1", "b1"), List.of("h"), OnnxBytes.integer("transB", 1)));
    OnnxImporter.Result r = translate(gate, linearGateWeights(int64s("shape", 0, 2, 1, 1), int64s("flat", 0, -1)));
    assertTrue(r.spec().contains("    // onnx: /se/Reshape_0 (Reshape) keeps [batch, 2]\n    se_fc1: conv(3, 1)"), r.spec());
    assertEquals(Op.GATE, build(r).output().op());
  }

  /**
   * avgpool(x).squeeze(-1).squeeze(-1) written as one Squeeze of axes [2, 3] (an input from opset 13, an attribute before):
   * the flatten it is. One axis at a time (a rank-3 tensor between) and a Squeeze of the map itself are refused by name.
   */
  @Test
  void squeezeOfAPooledMapsHeightAndWidthIsAFlatten() {
    byte[] pool = OnnxBytes.node("/avgpool", "GlobalAveragePool", List.of("x"), List.of("p"));
    byte[] squeeze = OnnxBytes.node("/Squeeze", "Squeeze", List.of("p", "axes"), List.of("y"));
    OnnxImporter.Result r = translate(List.of(pool, squeeze), List.of(int64s("axes", -1, -2)));
    assertTrue(r.spec().endsWith("squeeze: flatten()  // onnx: /Squeeze\n"), r.spec());
    assertArrayEquals(new int[] {2}, build(r).output().shape().dims());
    byte[] attribute = OnnxBytes.node("/Squeeze", "Squeeze", List.of("p"), List.of("y"), OnnxBytes.ints("axes", 2, 3));
    assertArrayEquals(new int[] {2}, build(translate(List.of(pool, attribute), List.of(), 2, 11)).output().shape().dims());
    assertEquals("m.onnx: node '/Squeeze' (Squeeze): netc squeezes a pooled map's height and width together (axes [2, 3] of [batch, C, 1, 1]),"
        + " not axes [3] of [batch, 2, 1, 1]", error(List.of(pool, squeeze), List.of(int64s("axes", 3))));
    // x.squeeze(-1).squeeze(-1): one axis, then the other by the only node reading it
    byte[] once = OnnxBytes.node("/Squeeze", "Squeeze", List.of("p", "axes"), List.of("s"));
    byte[] again = OnnxBytes.node("/Squeeze_1", "Squeeze", List.of("s", "last"), List.of("y"));
    for (long first : new long[] {-1, 2}) {
      OnnxImporter.Result two = translate(List.of(pool, once, again), List.of(int64s("axes", first), int64s("last", -1)));
      assertTrue(two.spec().endsWith("// onnx: /Squeeze squeezes axis " + (first == -1 ? 3 : 2) + ", and '/Squeeze_1' the other: a flatten\n"
          + "squeeze: flatten()  // onnx: /Squeeze_1 (Squeeze)\n"), two.spec());
      assertArrayEquals(new int[] {2}, build(two).output().shape().dims());
    }
    assertEquals("m.onnx: node '/Squeeze' (Squeeze): netc squeezes a pooled map's height and width together (axes [2, 3] of [batch, C, 1, 1]),"
        + " not axes [2, 3] of [batch, 2, 4, 4]", error(List.of(OnnxBytes.node("/Squeeze", "Squeeze", List.of("x", "axes"), List.of("y"))),
            List.of(int64s("axes", 2, 3))));
  }

  /** x.mean([2, 3]) (MnasNet's head): a global average pool, flattened where keepdims is 0; axes an attribute, or an input from opset 18. */
  @Test
  void reduceMeanOverHeightAndWidthIsAGlobalAveragePool() {
    byte[] dropped = OnnxBytes.node("/ReduceMean", "ReduceMean", List.of("x"), List.of("y"), OnnxBytes.ints("axes", 2, 3), OnnxBytes.integer("keepdims", 0));
    OnnxImporter.Result r = translate(List.of(dropped), List.of());
    assertTrue(r.spec().endsWith("""
        reducemean: global_avgpool()  // onnx: /ReduceMean
        reducemean_2: flatten()  // onnx: /ReduceMean
        """), r.spec());
    assertArrayEquals(new int[] {2}, build(r).output().shape().dims());
    byte[] kept = OnnxBytes.node("/pool/ReduceMean", "ReduceMean", List.of("x"), List.of("y"), OnnxBytes.ints("axes", -1, -2));
    OnnxImporter.Result k = translate(List.of(kept), List.of());
    assertTrue(k.spec().endsWith("pool: global_avgpool()  // onnx: /pool/ReduceMean\n"), k.spec());
    assertArrayEquals(new int[] {2, 1, 1}, build(k).output().shape().dims());
    // opset 18: the axes are the second input
    byte[] axes = OnnxBytes.tensor("axes", OnnxReader.INT64, new long[] {2}, out -> {
      out.writeInt64(7, 2);
      out.writeInt64(7, 3);
    });
    byte[] input = OnnxBytes.node("/ReduceMean", "ReduceMean", List.of("x", "axes"), List.of("y"), OnnxBytes.integer("keepdims", 0));
    OnnxImporter.Result o18 = OnnxImporter.translate(OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(List.of(input), List.of(axes), 2, 4, 4), 18)));
    assertArrayEquals(new int[] {2}, build(o18).output().shape().dims());
    // a mean over the channels, or over everything, is not a pool
    byte[] channels = OnnxBytes.node("/ReduceMean", "ReduceMean", List.of("x"), List.of("y"), OnnxBytes.ints("axes", 1));
    assertEquals("m.onnx: node '/ReduceMean' (ReduceMean) with axes=[1]: netc averages over the height and width (axes [2, 3]), not axes [1]",
        error(List.of(channels), List.of()));
    byte[] all = OnnxBytes.node("/ReduceMean", "ReduceMean", List.of("x"), List.of("y"));
    assertTrue(error(List.of(all), List.of()).endsWith("not axes all"));
  }

  /**
   * ReduceMean's axes are an attribute before opset 18 and an input from it; the Unsqueeze of a gate's
   * vector takes its axes as an attribute before opset 13 and an input from it. The other opset's form
   * was read as no axes ("not axes all", "not axes none") or read anyway; it is refused by name, as
   * Clip's bounds, Split's sizes and a shape computation's Unsqueeze are.
   */
  @Test
  void reduceMeanAndUnsqueezeAxesInTheOtherOpsetsFormAreRefused() {
    byte[] axes = int64s("axes", 2, 3);
    byte[] byInput = OnnxBytes.node("/ReduceMean", "ReduceMean", List.of("x", "axes"), List.of("y"));
    byte[] byAttribute = OnnxBytes.node("/ReduceMean", "ReduceMean", List.of("x"), List.of("y"), OnnxBytes.ints("axes", 2, 3));
    assertEquals("m.onnx: node '/ReduceMean' (ReduceMean): ReduceMean's axes are an attribute before opset 18, not an input (the model's opset"
        + " is 17)", error(List.of(byInput), List.of(axes), 2, 17));
    assertEquals("m.onnx: node '/ReduceMean' (ReduceMean) with axes=[2, 3]: ReduceMean's axes are an input from opset 18, not an attribute (the"
        + " model's opset is 18)", error(List.of(byAttribute), List.of(), 2, 18));
    for (OnnxImporter.Result r : List.of(translate(List.of(byAttribute), List.of(), 2, 17), translate(List.of(byInput), List.of(axes), 2, 18))) {
      assertTrue(r.spec().endsWith("reducemean: global_avgpool()  // onnx: /ReduceMean\n"), r.spec());
    }
    List<byte[]> inputs = linearGate(
        OnnxBytes.node("/se/Unsqueeze", "Unsqueeze", List.of("s", "a"), List.of("s3")),
        OnnxBytes.node("/se/Unsqueeze_1", "Unsqueeze", List.of("s3", "a"), List.of("g")));
    List<byte[]> attributes = linearGate(
        OnnxBytes.node("/se/Unsqueeze", "Unsqueeze", List.of("s"), List.of("s3"), OnnxBytes.ints("axes", -1)),
        OnnxBytes.node("/se/Unsqueeze_1", "Unsqueeze", List.of("s3"), List.of("g"), OnnxBytes.ints("axes", -1)));
    assertEquals("m.onnx: node '/se/Unsqueeze' (Unsqueeze): Unsqueeze's axes are an attribute before opset 13, not an input (the model's opset"
        + " is 12)", error(inputs, linearGateWeights(int64s("a", -1)), 2, 12));
    assertEquals("m.onnx: node '/se/Unsqueeze' (Unsqueeze): Unsqueeze's axes are an input from opset 13, not an attribute (the model's opset"
        + " is 13)", error(attributes, linearGateWeights(), 2, 13));
    for (OnnxImporter.Result r : List.of(translate(attributes, linearGateWeights(), 2, 12), translate(inputs, linearGateWeights(int64s("a", -1)), 2, 13))) {
      assertEquals(Op.GATE, build(r).output().op(), r.spec());
    }
  }

  /** torch.onnx.export writes an initializer equal to another as an Identity of it (SqueezeNet's zero biases): a constant. */
  @Test
  void anIdentityOfAnInitializerIsThatConstant() {
    byte[] twoConvs = OnnxBytes.node("/c1/Conv", "Conv", List.of("x", "w", "b"), List.of("h"));
    byte[] alias = OnnxBytes.node("Identity_17", "Identity", List.of("b"), List.of("c2.bias"));
    byte[] second = OnnxBytes.node("/c2/Conv", "Conv", List.of("h", "w", "c2.bias"), List.of("y"));
    OnnxImporter.Result r = translate(List.of(twoConvs, alias, second), List.of(weight("w", 2, 2, 1), OnnxBytes.floats("b", new long[] {2}, 0.5f, -1f)));
    assertTrue(r.spec().contains("c1: conv(2, 1)") && r.spec().contains("c2: conv(2, 1)"), r.spec());
    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.5f, -1f}, r.weights().get("c2.bias").data(), r.weights().keySet().toString());
  }

  @Test
  void dropoutAndIdentityAreRemovedUnlessTheMaskIsUsed() {
    List<byte[]> nodes = List.of(
        OnnxBytes.node("/drop/Dropout", "Dropout", List.of("x"), List.of("d", "mask")),
        OnnxBytes.node("/id/Identity", "Identity", List.of("d"), List.of("i")),
        OnnxBytes.node("/relu/Relu", "Relu", List.of("i"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of());
    assertTrue(r.spec().endsWith("""
        // onnx: /drop/Dropout removed: the identity at inference
        // onnx: /id/Identity removed: the identity at inference
        relu: relu()  // onnx: /relu/Relu
        """), r.spec());
    List<byte[]> masked = List.of(
        OnnxBytes.node("/drop/Dropout", "Dropout", List.of("x"), List.of("d", "mask")),
        OnnxBytes.node("/relu/Relu", "Relu", List.of("d"), List.of("r")),
        OnnxBytes.node("/mul/Mul", "Mul", List.of("r", "mask"), List.of("y")));
    assertEquals("m.onnx: node '/drop/Dropout' (Dropout): its mask output is used; netc runs inference only", error(masked, List.of()));
  }

  /**
   * torchvision's transform_input (Inception v3 and GoogLeNet with pretrained weights), as torch.onnx.export writes it:
   * each channel a Gather of index c, an Unsqueeze of axis 1, a Mul and an Add, joined by one Concat in the channels'
   * order. It imports as one batchnorm of that scale and shift a channel (the model's own, after the input's
   * preparation: --imagenet still applies); the channels in another order are no scale and shift, and stay refused.
   */
  @Test
  void torchvisionsTransformInputIsAScaleAndShiftAChannel() {
    float[] scale = {0.458f, 0.448f, 0.45f}, shift = {-0.03f, -0.088f, -0.188f};
    List<byte[]> constants = new ArrayList<>(List.of(int64s("axis1", 1)));
    List<byte[]> nodes = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      final long index = c;
      constants.add(OnnxBytes.tensor("i" + c, OnnxReader.INT64, new long[0], out -> out.writeInt64(7, index)));
      constants.add(OnnxBytes.floats("s" + c, new long[0], scale[c]));
      constants.add(OnnxBytes.floats("b" + c, new long[0], shift[c]));
      nodes.add(OnnxBytes.node("/Gather_" + c, "Gather", List.of("x", "i" + c), List.of("g" + c), OnnxBytes.integer("axis", 1)));
      nodes.add(OnnxBytes.node("/Unsqueeze_" + c, "Unsqueeze", List.of("g" + c, "axis1"), List.of("u" + c)));
      nodes.add(OnnxBytes.node("/Mul_" + c, "Mul", List.of("u" + c, "s" + c), List.of("m" + c)));
      nodes.add(OnnxBytes.node("/Add_" + c, "Add", List.of("m" + c, "b" + c), List.of("a" + c)));
    }
    nodes.add(OnnxBytes.node("/Concat", "Concat", List.of("a0", "a1", "a2"), List.of("y"), OnnxBytes.integer("axis", 1)));
    OnnxImporter.Result r = translate(nodes, constants, 3, 13);
    assertTrue(r.spec().contains("\nconcat_: batchnorm(eps = 1.0E-30)  // onnx: /Gather_0 (Gather), /Unsqueeze_0 (Unsqueeze), /Mul_0 (Mul)"), r.spec());
    assertTrue(r.spec().contains("input(3, 4, 4)\n"), r.spec());
    assertArrayEquals(scale, r.weights().get("concat_.weight").data());
    assertArrayEquals(shift, r.weights().get("concat_.bias").data());
    OnnxModel model = OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(nodes, constants, 3, 4, 4), 13));
    String prepared = OnnxImporter.translate(model, InputPreparation.imagenet()).spec();
    assertTrue(prepared.contains("mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]") && prepared.contains("concat_: batchnorm"), prepared);
    // the channels joined as [2, 1, 0]: a reordering, refused at the first Gather as any Gather of the running tensor
    List<byte[]> swapped = new ArrayList<>(nodes);
    swapped.set(12, OnnxBytes.node("/Concat", "Concat", List.of("a2", "a1", "a0"), List.of("y"), OnnxBytes.integer("axis", 1)));
    assertTrue(error(swapped, constants, 3, 13).startsWith("m.onnx: node '/Gather_0' (Gather) with axis=1: netc does not support this operator"));
  }

  /**
   * transform_input's other spellings and near misses: negative indices, a Gather along axis -3, an index of shape [1] (the
   * axis kept, no Unsqueeze), int32 indices and c - x all import, composed as ONNX computes them; an index of another
   * type (ONNX Runtime refuses it), x over a constant c / x, and a channel's tensor read by a second node are no
   * scale and shift a channel, and leave the Gather refused.
   */
  @Test
  void transformInputsSpellingsAndNearMisses() {
    // channel 0's chain as c - x then + b: scale -1, shift c + b; the others x * s + b
    assertArrayEquals(new float[] {-1, 0.5f, 0.25f}, transformInput(-3, -3, false, OnnxReader.INT64, "Sub", false).weights().get("concat_.weight").data());
    assertArrayEquals(new float[] {1.5f + 0.1f, 0.2f, 0.3f}, transformInput(-3, 1, false, OnnxReader.INT64, "Sub", false).weights().get("concat_.bias").data());
    assertArrayEquals(new float[] {2, 0.5f, 0.25f}, transformInput(0, 1, true, OnnxReader.INT32, "Mul", false).weights().get("concat_.weight").data());
    for (OnnxImporter.Result r : List.of(transformInput(0, -3, true, OnnxReader.INT64, "Mul", false), transformInput(-3, 1, false, OnnxReader.INT32, "Mul", false))) {
      assertTrue(r.spec().contains("concat_: batchnorm(eps = 1.0E-30)"), r.spec());
    }
    String refused = "m.onnx: node '/Gather_0' (Gather) with axis=";
    assertTrue(transformInputError(0, 1, false, OnnxReader.INT8, "Mul", false).startsWith(refused), "an int8 index");
    assertTrue(transformInputError(0, 1, false, OnnxReader.INT64, "Div", false).startsWith(refused), "c / x");
    assertTrue(transformInputError(0, 1, false, OnnxReader.INT64, "Mul", true).startsWith(refused), "a second reader");
  }

  /**
   * transform_input behind --imagenet, computed: the jar and the interpreter take pixels, normalize them with ImageNet's
   * mean and std, then scale and shift each channel as the model's own layer, as pretrained Inception v3 runs (a Flatten
   * and a Gemm after it, so the outputs depend on every value; the expected ones in double from the formula).
   */
  @Test
  void transformInputAfterImagenetsNormalizationComputesBoth() throws java.io.IOException {
    List<List<byte[]>> g = transformInputGraph(0, 1, false, OnnxReader.INT64, "Mul", false);
    List<byte[]> nodes = new ArrayList<>(g.get(0)), constants = new ArrayList<>(g.get(1));
    nodes.set(nodes.size() - 1, OnnxBytes.node("/Concat", "Concat", List.of("a0", "a1", "a2"), List.of("t"), OnnxBytes.integer("axis", 1)));
    nodes.add(OnnxBytes.node("/f/Flatten", "Flatten", List.of("t"), List.of("f")));
    nodes.add(OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "fcw"), List.of("y"), OnnxBytes.integer("transB", 1)));
    float[] fc = new float[2 * 48];
    for (int i = 0; i < fc.length; i++) fc[i] = (float) Math.cos(i * 0.7) * 0.5f;
    constants.add(OnnxBytes.floats("fcw", new long[] {2, 48}, fc));
    OnnxModel model = OnnxReader.read(FILE, OnnxBytes.model(OnnxBytes.graph(nodes, constants, 3, 4, 4), 13));
    OnnxImporter.Result r = OnnxImporter.translate(model, InputPreparation.imagenet());
    double[] mean = {0.485, 0.456, 0.406}, std = {0.229, 0.224, 0.225}, scale = {2, 0.5, 0.25}, shift = {0.1, 0.2, 0.3};
    Tensor x = Tensor.uniform(5, 1, 3, 4, 4);
    double[] expected = new double[2];
    for (int o = 0; o < 2; o++) {
      for (int i = 0; i < 48; i++) {
        int c = i / 16;
        expected[o] += fc[o * 48 + i] * ((x.data()[i] - mean[c]) / std[c] * (float) scale[c] + (float) shift[c]);
      }
    }
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[1], "interpreted");
    assertClose(expected, y[0], "compiled");
  }

  /**
   * A transform_input graph of 3 channels: channel c's index c + {@code offset} (-3: negative), along {@code axis}; an index
   * of shape [1] where {@code rankOne} (no Unsqueeze then); channel 0 multiplied by 2 (or, for Sub and Div, the constant
   * 1.5 first, c op x); the others by 0.5 and 0.25; shifts 0.1, 0.2, 0.3. With {@code extra}, a Relu also reads channel 0's product.
   */
  private static List<List<byte[]>> transformInputGraph(int offset, long axis, boolean rankOne, int indexType, String op0, boolean extra) {
    float[] scale = {2, 0.5f, 0.25f}, shift = {0.1f, 0.2f, 0.3f};
    List<byte[]> constants = new ArrayList<>(List.of(int64s("axis1", 1), OnnxBytes.floats("c0", new long[0], 1.5f)));
    List<byte[]> nodes = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      final long index = c + offset;
      constants.add(OnnxBytes.tensor("i" + c, indexType, rankOne ? new long[] {1} : new long[0], out -> {
        if (indexType == OnnxReader.INT64) out.writeInt64(7, index);
        else out.writeInt32(5, (int) index);
      }));
      constants.add(OnnxBytes.floats("s" + c, new long[0], scale[c]));
      constants.add(OnnxBytes.floats("b" + c, new long[0], shift[c]));
      nodes.add(OnnxBytes.node("/Gather_" + c, "Gather", List.of("x", "i" + c), List.of(rankOne ? "u" + c : "g" + c), OnnxBytes.integer("axis", axis)));
      if (!rankOne) nodes.add(OnnxBytes.node("/Unsqueeze_" + c, "Unsqueeze", List.of("g" + c, "axis1"), List.of("u" + c)));
      String op = c == 0 ? op0 : "Mul";
      List<String> inputs = op.equals("Mul") ? List.of("u" + c, c == 0 ? "s0" : "s" + c) : List.of("c0", "u" + c);
      nodes.add(OnnxBytes.node("/Mul_" + c, op, inputs, List.of("m" + c)));
      nodes.add(OnnxBytes.node("/Add_" + c, "Add", List.of("m" + c, "b" + c), List.of("a" + c)));
    }
    if (extra) {
      nodes.add(OnnxBytes.node("/Relu", "Relu", List.of("m0"), List.of("r")));
      nodes.add(OnnxBytes.node("/Concat", "Concat", List.of("a0", "a1", "a2", "r"), List.of("y"), OnnxBytes.integer("axis", 1)));
    } else {
      nodes.add(OnnxBytes.node("/Concat", "Concat", List.of("a0", "a1", "a2"), List.of("y"), OnnxBytes.integer("axis", 1)));
    }
    return List.of(nodes, constants);
  }

  private static OnnxImporter.Result transformInput(int offset, long axis, boolean rankOne, int indexType, String op0, boolean extra) {
    List<List<byte[]>> g = transformInputGraph(offset, axis, rankOne, indexType, op0, extra);
    return translate(g.get(0), g.get(1), 3, 13);
  }

  private static String transformInputError(int offset, long axis, boolean rankOne, int indexType, String op0, boolean extra) {
    List<List<byte[]>> g = transformInputGraph(offset, axis, rankOne, indexType, op0, extra);
    return error(g.get(0), g.get(1), 3, 13);
  }

  /**
   * GlobalMaxPool (Keras' GlobalMaxPooling2D, as tf2onnx writes it) is a max pool whose window is the whole map: each
   * channel's largest value, compiled and interpreted; a map of other height and width gets a [height, width] kernel.
   */
  @Test
  void aGlobalMaxPoolIsAMaxPoolOverTheWholeMap() throws java.io.IOException {
    List<byte[]> nodes = List.of(OnnxBytes.node("/p/GlobalMaxPool", "GlobalMaxPool", List.of("x"), List.of("p")),
        OnnxBytes.node("/f/Flatten", "Flatten", List.of("p"), List.of("y")));
    OnnxImporter.Result r = translate(nodes, List.of());
    assertTrue(r.spec().contains("p: maxpool(4)  // onnx: /p/GlobalMaxPool"), r.spec());
    Tensor x = Tensor.uniform(4, 1, 2, 4, 4);
    for (int i = 0; i < x.size(); i++) x.data()[i] -= 2; // all negative: a zero from padding would show
    double[] expected = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
    for (int i = 0; i < x.size(); i++) expected[i / 16] = Math.max(expected[i / 16], x.data()[i]);
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[1], "interpreted");
    assertClose(expected, y[0], "compiled");
  }

  /** nn.BatchNorm1d after a Linear: a BatchNormalization of flat features, compiled and interpreted as torch computes it. */
  @Test
  void aBatchNormOfFlatFeaturesImports() throws java.io.IOException {
    float[] g = new float[3 * 32];
    for (int i = 0; i < g.length; i++) g[i] = (float) Math.sin(i) * 0.25f;
    float[] gamma = {1, 2, -0.5f}, beta = {0, 1, 0.25f}, mean = {0.5f, -1, 0.1f}, var = {4, 0.25f, 1};
    List<byte[]> nodes = List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("f")),
        OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "g"), List.of("l"), OnnxBytes.integer("transB", 1)),
        OnnxBytes.node("/bn/BatchNormalization", "BatchNormalization", List.of("l", "s", "b", "m", "v"), List.of("y")));
    List<byte[]> initializers = List.of(OnnxBytes.floats("g", new long[] {3, 32}, g), OnnxBytes.floats("s", new long[] {3}, gamma),
        OnnxBytes.floats("b", new long[] {3}, beta), OnnxBytes.floats("m", new long[] {3}, mean), OnnxBytes.floats("v", new long[] {3}, var));
    OnnxImporter.Result r = translate(nodes, initializers);
    assertTrue(r.spec().contains("bn: batchnorm()  // onnx: /bn/BatchNormalization"), r.spec());
    Tensor x = Tensor.uniform(9, 1, 2, 4, 4);
    double[] expected = new double[3];
    for (int o = 0; o < 3; o++) {
      double l = 0;
      for (int i = 0; i < 32; i++) l += (double) g[o * 32 + i] * x.data()[i];
      expected[o] = (l - mean[o]) * gamma[o] / Math.sqrt(var[o] + 1e-5) + beta[o];
    }
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[1], "interpreted");
    assertClose(expected, y[0], "compiled");
  }

  /**
   * A BatchNormalization of epsilon 0 (legal in ONNX; onnxruntime and torch divide by the bare variance) imports as
   * batchnorm(eps = 0.0), and computes (x - mean) * gamma / sqrt(var) + beta, folded after a conv or standing alone; a
   * zero variance with it is refused with the weights, naming the tensor, where the outputs would be infinite. A
   * negative epsilon stays refused.
   */
  @Test
  void aBatchNormOfEpsilonZeroImportsAndAZeroVarianceIsRefused() throws java.io.IOException {
    List<byte[]> statistics = List.of(OnnxBytes.floats("g", new long[] {2}, 1, 2), OnnxBytes.floats("b", new long[] {2}, 0, 1),
        OnnxBytes.floats("m", new long[] {2}, 0.5f, -1), OnnxBytes.floats("v", new long[] {2}, 4, 0.25f));
    List<byte[]> nodes = List.of(conv("/c/Conv", "x", "c", "w"),
        OnnxBytes.node("/bn/BatchNormalization", "BatchNormalization", List.of("c", "g", "b", "m", "v"), List.of("y"), OnnxBytes.real("epsilon", 0)));
    List<byte[]> initializers = new ArrayList<>(statistics);
    initializers.add(weight("w", 2, 2, 1));
    OnnxImporter.Result r = translate(nodes, initializers);
    assertTrue(r.spec().contains("bn: batchnorm(eps = 0.0)  // onnx: /bn/BatchNormalization"), r.spec());
    Tensor x = Tensor.uniform(9, 1, 2, 4, 4);
    double[] expected = new double[2 * 16];
    float[] gamma = {1, 2}, beta = {0, 1}, mean = {0.5f, -1}, var = {4, 0.25f};
    for (int o = 0; o < 2; o++) {
      for (int p = 0; p < 16; p++) {
        double c = 0;
        for (int i = 0; i < 2; i++) c += (o * 2 + i) * 0.01 * x.data()[i * 16 + p];
        expected[o * 16 + p] = (c - mean[o]) * gamma[o] / Math.sqrt(var[o]) + beta[o];
      }
    }
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[1], "interpreted");
    assertClose(expected, y[0], "compiled, folded into the conv");
    List<byte[]> zeroVariance = new ArrayList<>(initializers);
    zeroVariance.set(3, OnnxBytes.floats("v", new long[] {2}, 4, 0));
    OnnxImporter.Result z = translate(nodes, zeroVariance);
    var weights = new java.util.LinkedHashMap<String, Tensor>(z.weights());
    Path file = java.nio.file.Files.createTempFile("zero-variance", ".safetensors");
    try {
      netc.runtime.io.Safetensors.write(file, weights, Map.of());
      String e = assertThrows(netc.runtime.BadInputException.class, () -> netc.weights.WeightBinding.bind(build(z), file)).getMessage();
      assertTrue(e.endsWith("bn.running_var: 1 of 2 values is zero (a batch norm of eps = 0 would divide by zero)"), e);
    } finally {
      java.nio.file.Files.delete(file);
    }
    String negative = error(List.of(OnnxBytes.node("/bn/BatchNormalization", "BatchNormalization", List.of("x", "g", "b", "m", "v"), List.of("y"),
        OnnxBytes.real("epsilon", -1e-5f))), statistics);
    assertTrue(negative.contains("epsilon must be a positive number or 0"), negative);
    // spatial = 0 (before opset 9): statistics per value of a channel, not one a channel; it was read as spatial
    String perValue = error(List.of(OnnxBytes.node("/bn/BatchNormalization", "BatchNormalization", List.of("x", "g", "b", "m", "v"), List.of("y"),
        OnnxBytes.integer("spatial", 0))), statistics);
    assertTrue(perValue.endsWith("with spatial=0: netc normalizes each channel as a whole (spatial = 1)"), perValue);
  }

  /**
   * A MaxPool's indices, and from opset 14 a BatchNormalization's running statistics, named though
   * nothing reads them, or left empty: the layer computes the first output only, which is all the graph
   * uses. Read (by a node), they are refused. Before opset 14 a batch norm's named statistics outputs
   * make it train (the batch's own statistics, as onnxruntime reads them): refused, whether read or not.
   */
  @Test
  void unusedIndicesAndStatisticsOutputsAreNoObstacle() {
    for (List<String> outputs : List.of(List.of("y", "idx"), List.of("y", ""))) {
      byte[] pool = OnnxBytes.node("/p/MaxPool", "MaxPool", List.of("x"), outputs, OnnxBytes.ints("kernel_shape", 2, 2), OnnxBytes.ints("strides", 2, 2));
      OnnxImporter.Result r = translate(List.of(pool), List.of());
      assertTrue(r.spec().endsWith("p: maxpool(2, stride = 2)  // onnx: /p/MaxPool\n"), r.spec());
      assertArrayEquals(new int[] {2, 2, 2}, build(r).output().shape().dims());
    }
    List<byte[]> statistics = List.of(OnnxBytes.floats("g", new long[] {2}, 1, 2), OnnxBytes.floats("b", new long[] {2}, 0, 1),
        OnnxBytes.floats("m", new long[] {2}, 0, 0), OnnxBytes.floats("v", new long[] {2}, 1, 1));
    for (List<String> outputs : List.of(List.of("y", "mean", "var"), List.of("y", "", ""), List.of("y", "mean", "var", "saved_mean", "saved_var"))) {
      byte[] bn = OnnxBytes.node("/bn/BatchNormalization", "BatchNormalization", List.of("x", "g", "b", "m", "v"), outputs);
      OnnxImporter.Result r = translate(List.of(bn), statistics, 2, 14);
      assertTrue(r.spec().endsWith("bn: batchnorm()  // onnx: /bn/BatchNormalization\n"), r.spec());
      assertArrayEquals(new float[] {1, 2}, r.weights().get("bn.weight").data());
      if (outputs.get(1).isEmpty()) {
        assertTrue(translate(List.of(bn), statistics).spec().contains("bn: batchnorm()"), "empty names at opset 13: inference");
      } else {
        assertEquals("m.onnx: node '/bn/BatchNormalization' (BatchNormalization): it has outputs past the first, which before opset 14 make it"
            + " train (normalizing with the batch's own statistics: a model exported in train mode); netc runs batch norm in inference mode:"
            + " export the model in eval mode", error(List.of(bn), statistics));
      }
    }
    assertEquals("m.onnx: node '/p/MaxPool' (MaxPool) with kernel_shape=[1, 1]: its indices output is used; netc's max pooling returns no indices",
        error(List.of(OnnxBytes.node("/p/MaxPool", "MaxPool", List.of("x"), List.of("p", "idx"), OnnxBytes.ints("kernel_shape", 1, 1)),
            OnnxBytes.node("/r/Relu", "Relu", List.of("p"), List.of("r")),
            OnnxBytes.node("/a/Add", "Add", List.of("r", "idx"), List.of("y"))), List.of()));
    assertEquals("m.onnx: node '/bn/BatchNormalization' (BatchNormalization): its running mean and variance outputs are used; netc runs batch norm in"
        + " inference mode", error(List.of(
            OnnxBytes.node("/bn/BatchNormalization", "BatchNormalization", List.of("x", "g", "b", "m", "v"), List.of("n", "mean", "var")),
            OnnxBytes.node("/r/Relu", "Relu", List.of("n"), List.of("r")),
            OnnxBytes.node("/a/Mul", "Mul", List.of("r", "var"), List.of("y"))), statistics, 2, 14));
  }

  /**
   * Nodes whose outputs the graph's output does not read (a head cut off by editing the graph, an
   * exporter's leftovers) are left out and named in the header, whatever they are: one reading the
   * running tensor was taken for a fork's path that never joins, and refused.
   */
  @Test
  void nodesTheOutputDoesNotReadAreLeftOutAndNamed() {
    OnnxImporter.Result r = translate(List.of(
        OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("r")),
        OnnxBytes.node("/aux/Sigmoid", "Sigmoid", List.of("r"), List.of("aux")),
        OnnxBytes.node("/aux/Custom", "NotAnOnnxOperator", List.of("aux"), List.of("aux2")),
        OnnxBytes.node("/t/Tanh", "Tanh", List.of("r"), List.of("y"))), List.of());
    assertTrue(r.spec().contains("\n// Left out: 2 nodes whose output the graph's output does not read: '/aux/Sigmoid' (Sigmoid),"
        + " '/aux/Custom' (NotAnOnnxOperator).\ninput(2, 4, 4)\n"), r.spec());
    assertFalse(r.spec().contains("sigmoid"), r.spec());
    assertTrue(r.spec().endsWith("t: tanh()  // onnx: /t/Tanh\n"), r.spec());
    assertArrayEquals(new int[] {2, 4, 4}, build(r).output().shape().dims());
    // a Split with no part read is one node left out; one with a part read is not left out
    byte[] two = OnnxBytes.ints("split", 1, 1);
    OnnxImporter.Result split = translate(List.of(
        OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("r")),
        OnnxBytes.node("/dead/Split", "Split", List.of("r"), List.of("d0", "d1"), OnnxBytes.integer("axis", 1), two),
        OnnxBytes.node("/half/Split", "Split", List.of("r"), List.of("h0", "h1"), OnnxBytes.integer("axis", 1), two),
        OnnxBytes.node("/t/Tanh", "Tanh", List.of("h1"), List.of("y"))), List.of(), 2, 11);
    assertTrue(split.spec().contains("\n// Left out: 1 node whose output the graph's output does not read: '/dead/Split' (Split).\n"), split.spec());
    assertArrayEquals(new int[] {1, 4, 4}, build(split).output().shape().dims());
    // an output computed from constants alone: said so, not that the input is never used; so too where the input's
    // values reach only a Shape (a step after the input)
    byte[] k = OnnxBytes.floats("k", new long[] {2, 4, 4}, new float[32]);
    assertEquals("m.onnx: the graph's output 'y' does not depend on the values of its input 'x'", error(List.of(
        OnnxBytes.node("/aux/Relu", "Relu", List.of("x"), List.of("aux")),
        OnnxBytes.node("/k/Relu", "Relu", List.of("k"), List.of("y"))), List.of(k)));
    assertEquals("m.onnx: the graph's output 'y' does not depend on the values of its input 'x'", error(List.of(
        OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("r")),
        OnnxBytes.node("/s/Shape", "Shape", List.of("r"), List.of("s")),
        OnnxBytes.node("/k/Reshape", "Reshape", List.of("k", "s"), List.of("y"))), List.of(k)));
    // an image input with an initializer of its name is a constant's default: said so, where it was "the graph has 0 inputs"
    assertEquals("m.onnx: the graph has 0 inputs ('x' has an initializer of the same name, which makes an input a constant with a default:"
        + " remove the image input's initializer); netc compiles networks with one image input", error(List.of(
        OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("y"))), List.of(OnnxBytes.floats("x", new long[] {1, 2, 4, 4}, new float[32]))));
    // a tensor nothing gives is named, not taken for an output that does not depend on the input
    assertEquals("m.onnx: node '/k/Relu' (Relu) reads 'gone', which no node, initializer or graph input gives", error(List.of(
        OnnxBytes.node("/aux/Relu", "Relu", List.of("x"), List.of("aux")),
        OnnxBytes.node("/k/Relu", "Relu", List.of("gone"), List.of("y"))), List.of()));
    // an If whose branches read the running tensor from this graph lists only its condition: the If is the reason
    byte[] cond = OnnxBytes.floats("c", new long[] {1}, new float[] {1});
    String branching = error(List.of(OnnxBytes.node("/r/Relu", "Relu", List.of("x"), List.of("r")),
        OnnxBytes.node("/i/If", "If", List.of("c"), List.of("y"))), List.of(cond));
    assertTrue(branching.startsWith("m.onnx: node '/i/If' (If): netc does not support this operator; it imports Conv, "), branching);
    // an omitted optional input (Clip's min left empty) reads no tensor: the unread node beside it, whose second
    // output is left empty, is still listed
    OnnxImporter.Result clip = translate(List.of(
        OnnxBytes.node("/c/Clip", "Clip", List.of("x", "", "hi"), List.of("y")),
        OnnxBytes.node("/aux/MaxPool", "MaxPool", List.of("x"), List.of("p", ""), OnnxBytes.ints("kernel_shape", 2, 2))),
        List.of(OnnxBytes.floats("hi", new long[0], 6f)));
    assertTrue(clip.spec().contains("// Left out: 1 node whose output the graph's output does not read: '/aux/MaxPool' (MaxPool).\n"), clip.spec());
    // a file's malformed node is still refused where it is unread
    assertEquals("m.onnx: node '/aux/Relu' (Relu) has 2 inputs; Relu takes 1", error(List.of(
        OnnxBytes.node("/aux/Relu", "Relu", List.of("x", "x"), List.of("aux")),
        OnnxBytes.node("/t/Tanh", "Tanh", List.of("x"), List.of("y"))), List.of()));
  }

  /** Dropout's training_mode input (opset 12): a constant false is inference, removed; true, or computed, is refused. */
  @Test
  void dropoutInTrainingModeIsRefused() {
    byte[] no = bools("no", false), yes = bools("yes", true), ratio = OnnxBytes.floats("ratio", new long[0], 0.5f);
    byte[] relu = OnnxBytes.node("/r/Relu", "Relu", List.of("d"), List.of("y")); // a layer after it: a graph of nothing is refused
    List<byte[]> off = List.of(OnnxBytes.node("/drop/Dropout", "Dropout", List.of("x", "ratio", "no"), List.of("d")), relu);
    assertTrue(translate(off, List.of(ratio, no)).spec().contains("// onnx: /drop/Dropout removed: the identity at inference\n"));
    List<byte[]> on = List.of(OnnxBytes.node("/drop/Dropout", "Dropout", List.of("x", "ratio", "yes"), List.of("y")));
    assertEquals("m.onnx: node '/drop/Dropout' (Dropout): its training_mode 'yes' is true; netc runs inference only", error(on, List.of(ratio, yes)));
    // left empty, it is false
    List<byte[]> empty = List.of(OnnxBytes.node("/drop/Dropout", "Dropout", List.of("x", "", ""), List.of("d")), relu);
    assertTrue(translate(empty, List.of()).spec().contains("// onnx: /drop/Dropout removed: the identity at inference\n"));
    // computed (here from the image, on a path of its own that the walk meets after the Dropout)
    List<byte[]> fromImage = List.of(OnnxBytes.node("/s/Sigmoid", "Sigmoid", List.of("x"), List.of("s")),
        OnnxBytes.node("/m/ReduceMax", "ReduceMax", List.of("x"), List.of("mode")),
        OnnxBytes.node("/drop/Dropout", "Dropout", List.of("s", "ratio", "mode"), List.of("y")));
    assertEquals("m.onnx: node '/drop/Dropout' (Dropout): its training_mode 'mode' is computed; netc runs inference only, with training_mode"
        + " a constant false", error(fromImage, List.of(ratio)));
  }

  /** A bool tensor of one value. */
  private static byte[] bools(String name, boolean value) {
    return OnnxBytes.tensor(name, OnnxReader.BOOL, new long[0], out -> out.writeInt32(5, value ? 1 : 0));
  }

  /** x[1, C, 4, 4] holding 1, 2, 3, ... in order: channel c, row r, column w is 16c + 4r + w + 1. */
  private static Tensor counting(int channels) {
    float[] v = new float[channels * 16];
    for (int i = 0; i < v.length; i++) v[i] = i + 1;
    return new Tensor(new int[] {1, channels, 4, 4}, v);
  }

  private static void assertRuns(double[] expected, OnnxImporter.Result r, Tensor x) throws java.io.IOException {
    Tensor[] y = compiledAndInterpreted(r, x);
    assertClose(expected, y[0], "compiled");
    assertClose(expected, y[1], "interpreted");
  }

  /**
   * Softmax's axis defaults to 1 before opset 13 (the input coerced to 2-D [N, rest]) and to -1 from it:
   * on the [N, F] logits of a Gemm both are the softmax of each image's features, as are axis -1 at 11
   * and 1 at 13. Softmax on a map (where opset 11's default would span C x H x W) and over the batch are refused.
   */
  @Test
  void softmaxOverTheLogitsWithEachOpsetsDefaultAxis() throws java.io.IOException {
    float[] g = new float[3 * 16]; // transB: logits 0.01 * sum(x), 0, x[0]
    for (int k = 0; k < 16; k++) g[k] = 0.01f;
    g[2 * 16] = 1f;
    List<byte[]> constants = List.of(OnnxBytes.floats("g", new long[] {3, 16}, g));
    float[] xs = new float[32];
    for (int k = 0; k < 16; k++) {
      xs[k] = k + 1; // logits 1.36, 0, 1
      xs[16 + k] = (k % 4) * 0.25f; // logits 0.06, 0, 0
    }
    Tensor x = new Tensor(new int[] {2, 1, 4, 4}, xs);
    double[][] logits = {{1.36, 0, 1}, {0.06, 0, 0}};
    double[] expected = new double[6];
    for (int i = 0; i < 2; i++) {
      double sum = 0;
      for (double l : logits[i]) sum += Math.exp(l);
      for (int o = 0; o < 3; o++) expected[i * 3 + o] = Math.exp(logits[i][o]) / sum;
    }
    List<List<byte[]>> attributeForms = List.of(List.of(), List.of(OnnxBytes.integer("axis", -1)), List.of(OnnxBytes.integer("axis", 1)));
    for (long opset : new long[] {11, 12, 13}) {
      for (List<byte[]> axis : attributeForms) {
        List<byte[]> nodes = List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("f")),
            OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "g"), List.of("l"), OnnxBytes.integer("transB", 1)),
            OnnxBytes.node("/s/Softmax", "Softmax", List.of("l"), List.of("y"), axis.toArray(byte[][]::new)));
        OnnxImporter.Result r = translate(nodes, constants, 1, opset);
        assertTrue(r.spec().contains("s: softmax()  // onnx: /s/Softmax\n"), r.spec());
        if (opset == 12 || !axis.isEmpty()) continue; // compiled once an opset: the spec is the same
        assertRuns(expected, r, x);
      }
    }
    List<byte[]> onMap = List.of(OnnxBytes.node("/s/Softmax", "Softmax", List.of("x"), List.of("y")));
    assertEquals("m.onnx: node '/s/Softmax' (Softmax) takes a tensor of shape [2, 4, 4] per image; netc's Softmax expects a flat vector"
        + " (flatten first)", error(onMap, List.of(), 2, 11));
    List<byte[]> overBatch = List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("f")),
        OnnxBytes.node("/s/Softmax", "Softmax", List.of("f"), List.of("y"), OnnxBytes.integer("axis", 0)));
    assertEquals("m.onnx: node '/s/Softmax' (Softmax) with axis=0: netc's softmax is over the features of a flat input",
        error(overBatch, List.of(), 2, 11));
  }

  /** Gemm is alpha * A * B + beta * C: alpha scales the weight, beta the bias. A transposed (transA=1) is refused. */
  @Test
  void gemmScalesItsBiasByBeta() throws java.io.IOException {
    float[] b = new float[16 * 2]; // B [16, 2] (no transB): column 0 all ones, column 1 +1 and -1 alternately
    for (int k = 0; k < 16; k++) {
      b[k * 2] = 1f;
      b[k * 2 + 1] = k % 2 == 0 ? 1f : -1f;
    }
    List<byte[]> constants = List.of(OnnxBytes.floats("b", new long[] {16, 2}, b), OnnxBytes.floats("c", new long[] {2}, 1f, -2f));
    List<byte[]> nodes = List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("f")),
        OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "b", "c"), List.of("y"), OnnxBytes.real("alpha", 2f), OnnxBytes.real("beta", 0.5f)));
    OnnxImporter.Result r = translate(nodes, constants, 1, 13);
    assertTrue(r.spec().contains("fc: fc(2)  // onnx: /fc/Gemm\n"), r.spec());
    // x = 1..16: A * B = [136, (1 + 3 + ... + 15) - (2 + 4 + ... + 16)] = [136, -8]; * 2, + 0.5 * [1, -2]
    assertRuns(new double[] {272.5, -17}, r, counting(1));
    List<byte[]> transA = List.of(OnnxBytes.node("/f/Flatten", "Flatten", List.of("x"), List.of("f")),
        OnnxBytes.node("/fc/Gemm", "Gemm", List.of("f", "b", "c"), List.of("y"), OnnxBytes.integer("transA", 1), OnnxBytes.real("beta", 0.5f)));
    assertEquals("m.onnx: node '/fc/Gemm' (Gemm) with beta=0.5, transA=1: transA=1 is not supported", error(transA, constants, 1, 13));
  }

  /** Pad copying the border (edge) or mirroring it (reflect) is no padding with zeros: refused, as an input (opset 11) or attribute (before). */
  @Test
  void padByReflectionOrEdgeIsRefused() {
    List<byte[]> reflect = List.of(OnnxBytes.node("/p/Pad", "Pad", List.of("x", "p"), List.of("y"), OnnxBytes.string("mode", "reflect")));
    assertEquals("m.onnx: node '/p/Pad' (Pad) with mode=\"reflect\": netc pads with zeros around the height and width only (mode reflect,"
        + " pads [0, 0, 1, 1, 0, 0, 1, 1])", error(reflect, List.of(padsTensor(0, 0, 1, 1, 0, 0, 1, 1)), 2, 13));
    List<byte[]> edge = List.of(OnnxBytes.node("/p/Pad", "Pad", List.of("x"), List.of("y"), OnnxBytes.string("mode", "edge"),
        OnnxBytes.ints("pads", 0, 0, 1, 0, 0, 0, 1, 0)));
    assertEquals("m.onnx: node '/p/Pad' (Pad) with mode=\"edge\", pads=[0, 0, 1, 0, 0, 0, 1, 0]: netc pads with zeros around the height"
        + " and width only (mode edge, pads [0, 0, 1, 0, 0, 0, 1, 0])", error(edge, List.of(), 2, 10));
    // a constant other than 0 is said, the reason it is refused
    List<byte[]> ones = List.of(OnnxBytes.node("/p/Pad", "Pad", List.of("x"), List.of("y"), OnnxBytes.ints("pads", 0, 0, 1, 1, 0, 0, 1, 1),
        OnnxBytes.real("value", 1.5f)));
    assertTrue(error(ones, List.of(), 2, 10).endsWith("netc pads with zeros around the height and width only (mode constant, value 1.5, pads"
        + " [0, 0, 1, 1, 0, 0, 1, 1])"), error(ones, List.of(), 2, 10));
  }

  /** An all-zero Pad is an identity, but one ONNX Runtime refuses (a pads of the wrong length, no ONNX mode) is refused first. */
  @Test
  void anAllZeroPadIsCheckedBeforeItIsDropped() {
    assertEquals("m.onnx: node '/p/Pad' (Pad): Pad's pads has 4 values where its input of 4 axes needs 8",
        error(List.of(OnnxBytes.node("/p/Pad", "Pad", List.of("x", "p"), List.of("y"))), List.of(padsTensor(0, 0, 0, 0)), 2, 13));
    assertEquals("m.onnx: node '/p/Pad' (Pad) with mode=\"foo\": Pad's mode foo is not an ONNX mode",
        error(List.of(OnnxBytes.node("/p/Pad", "Pad", List.of("x", "p"), List.of("y"), OnnxBytes.string("mode", "foo"))),
            List.of(padsTensor(0, 0, 0, 0, 0, 0, 0, 0)), 2, 13));
    String spec = translate(List.of(OnnxBytes.node("/p/Pad", "Pad", List.of("x", "p"), List.of("t")),
        OnnxBytes.node("/r/Relu", "Relu", List.of("t"), List.of("y"))), List.of(padsTensor(0, 0, 0, 0, 0, 0, 0, 0))).spec();
    assertTrue(spec.contains("relu") && !spec.contains("pad("), spec);
  }

  /**
   * AveragePool 3x3, stride 2, pads 1, ceil_mode=1, count_include_pad=1 on a 4x4 map: 3x3 outputs (ceil((4 + 2 - 3) / 2) + 1).
   * Each window is clipped to the padded input (rows -1..4): the padded zeros count in the divisor, the
   * ceil-mode overhang past them (row 5) does not: as torch, onnx.reference and onnxruntime's AveragePool-19
   * kernel divide (onnx/onnx#5276; onnxruntime's CPU kernel of opsets 7-18 divided by the whole kernel until
   * microsoft/onnxruntime#29629), and as netc's interpreter documents. ONNX's spec text says only "whether
   * include pad pixels". Windows along each axis: {-1, 0, 1} of 3 counted, {1, 2, 3} of 3, {3, 4} of 2.
   */
  @Test
  void anAveragePoolCountingPadsInCeilModeDividesByTheWindowInsideThePadding() throws java.io.IOException {
    byte[] avg = OnnxBytes.node("/a/AveragePool", "AveragePool", List.of("x"), List.of("y"), OnnxBytes.ints("kernel_shape", 3, 3),
        OnnxBytes.ints("strides", 2, 2), OnnxBytes.ints("pads", 1, 1, 1, 1), OnnxBytes.integer("ceil_mode", 1),
        OnnxBytes.integer("count_include_pad", 1));
    OnnxImporter.Result r = translate(List.of(avg), List.of(), 1, 13);
    assertTrue(r.spec().contains("a: avgpool(3, stride = 2, padding = 1, ceil_mode = true)  // onnx: /a/AveragePool\n"), r.spec());
    assertEquals(List.of(1, 3, 3), java.util.Arrays.stream(build(r).output().shape().dims()).boxed().toList());
    // x = 1..16 by rows: sums of the pixels inside (top-left 1 + 2 + 5 + 6 = 14), over 3 x 3, 3 x 2, 2 x 3 or 2 x 2
    assertRuns(new double[] {14 / 9.0, 30 / 9.0, 12 / 6.0, 57 / 9.0, 99 / 9.0, 36 / 6.0, 27 / 6.0, 45 / 6.0, 16 / 4.0}, r, counting(1));
  }

  /** A depthwise conv (group = channels) with dilation 2: each channel its own 2x2 kernel, over pixels two apart. */
  @Test
  void aDepthwiseConvWithDilationTwo() throws java.io.IOException {
    List<byte[]> constants = List.of(OnnxBytes.floats("w", new long[] {2, 1, 2, 2}, 1, 2, 3, 4, 0.5f, -1, 0, 2),
        OnnxBytes.floats("b", new long[] {2}, 0.25f, -1f));
    byte[] dw = OnnxBytes.node("/dw/Conv", "Conv", List.of("x", "w", "b"), List.of("y"), OnnxBytes.integer("group", 2),
        OnnxBytes.ints("dilations", 2, 2), OnnxBytes.ints("kernel_shape", 2, 2));
    OnnxImporter.Result r = translate(List.of(dw), constants, 2, 13);
    assertTrue(r.spec().contains("dw: conv(2, 2, groups = 2, dilation = 2)  // onnx: /dw/Conv\n"), r.spec());
    // channel 0, v = x[i][j] = 4i + j + 1: 1 v + 2 x[i][j+2] + 3 x[i+2][j] + 4 x[i+2][j+2] + 0.25 = 10 v + 68.25
    // channel 1, v = 4i + j + 17: 0.5 v - x[i][j+2] + 2 x[i+2][j+2] - 1 = 1.5 v + 17
    assertRuns(new double[] {78.25, 88.25, 118.25, 128.25, 42.5, 44, 48.5, 50}, r, counting(2));
  }
}
