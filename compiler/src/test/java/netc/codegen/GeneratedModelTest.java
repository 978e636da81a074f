package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.Op;
import netc.ir.ParamSource;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The compiled model of every example network equals the reference interpreter on the unoptimized
 * graph, at batch 1 and 3. The interpreter accumulates in double and the kernels in float32 with
 * FMAs in a different order, so they differ by float rounding: at most a few 1e-6 of the largest
 * logit here. The bar is 1e-4 of the largest logit.
 */
class GeneratedModelTest {
  static Tensor random(Graph g, int batch, long seed) {
    int[] d = g.input().shape().dims();
    return Tensor.uniform(seed, batch, d[0], d[1], d[2]);
  }

  static void assertClose(Tensor expected, Tensor actual, double relative, String what) {
    assertArrayEquals(expected.shape(), actual.shape());
    double err = actual.maxAbsDiff(expected), scale = expected.maxAbs();
    // predict returns a zero-filled array: against an all-zero reference a model that writes nothing would pass
    assertFalse(scale == 0, what + ": the reference output is all zeros, the comparison would prove nothing");
    assertTrue(err <= relative * scale, what + ": max error " + err + " vs max|logit| " + scale);
  }

  @ParameterizedTest
  @ValueSource(strings = {"smallnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"})
  void compiledEqualsInterpreter(String net) throws Exception {
    Map<String, String> small = net.equals("smallnet") ? Map.of() : Map.of("width", "8", "size", "56", "classes", "10");
    Graph g = Specs.example(net, small);
    ParamSource params = SyntheticWeights.source(g, 5);
    CompiledModel model = CompiledModels.compile(g, params, 2);
    for (int batch : new int[] {1, 3}) {
      Tensor x = random(g, batch, batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, net + " batch " + batch);
    }
  }

  /**
   * A step's Javadoc says what it computes: a grouped conv its groups (a group of 8 channels, run by the
   * linear kernel, once read as a dense conv), a residual the layer it comes from, a conv split into parts
   * of k each part's own epilogue (the first adds the bias, later ones the sums before them, the last the
   * activation; each part once claimed the whole conv's), a conv without a bias none, and every line of it stays within the
   * source's 140.
   */
  @Test
  void stepDescriptionsNameGroupsResidualsAndPartsOfK() {
    Graph g = Specs.fromText("""
        input(256, 14, 14)
        pre: conv(512, 1)
        relu()
        wide: conv(512, 3, stride = 2, padding = 1)
        relu()
        grouped: conv(64, 3, padding = 1, groups = 8)
        relu()
        residual {
          inner: conv(64, 3, padding = 1)
          relu()
          last: conv(64, 3, padding = 1)
        }
        plain: conv(64, 1, bias = false)
        relu()
        bare: conv(64, 1, bias = false)
        up: conv(512, 1)
        split: conv(512, 3, stride = 2, padding = 1, bias = false)
        """);
    Graph optimized = netc.passes.PassManager.run(g, netc.passes.PassContext.defaults());
    String source = ModelGenerator.generate(optimized, netc.passes.MemoryPlanner.plan(optimized, 16),
        PackedWeights.pack(optimized, SyntheticWeights.source(g, 2)), "// test", ModelGenerator.PACKAGE_PREFIX + "described").file().toString();
    String text = source.replaceAll("\\n\\s*\\* ", " "); // the Javadoc's lines joined again
    assertTrue(text.contains("wide: part 1 of 2 of k (2304 of 4608 k steps) of conv 3x3 stride 2x2 padding 1x1, 512 -> 512 channels, 14x14 -> 7x7;"
        + " epilogue: bias; weight group by group, 32 output channels a weight group."), text);
    assertTrue(text.contains("wide: part 2 of 2 of k (2304 of 4608 k steps) of conv 3x3 stride 2x2 padding 1x1, 512 -> 512 channels, 14x14 -> 7x7;"
        + " epilogue: the sums of the parts before, relu;"), text);
    assertTrue(text.contains("grouped: grouped conv 3x3 stride 1x1 padding 1x1, 512 -> 64 channels in 8 groups of 64 -> 8, 7x7 -> 7x7;"), text);
    assertTrue(text.contains("last: Winograd F(2x2,3x3) output transform (A^T m A) of conv 3x3, 64 -> 64 channels, 7x7, 16 tiles of 2x2, from rows"
        + " of 16 tiles; epilogue: bias, residual grouped."), text);
    // a conv without a bias adds the packed zeros, which its comment called a bias
    assertTrue(text.contains("plain: conv 1x1 stride 1x1 padding 0x0, 64 -> 64 channels, 7x7 -> 7x7; epilogue: relu;"), text);
    assertTrue(text.contains("bare: conv 1x1 stride 1x1 padding 0x0, 64 -> 64 channels, 7x7 -> 7x7; epilogue: store;"), text);
    // split into parts of k, its first part said "epilogue: ;"
    assertTrue(text.contains("split: part 1 of 2 of k (2304 of 4608 k steps) of conv 3x3 stride 2x2 padding 1x1, 512 -> 512 channels, 7x7 -> 4x4;"
        + " epilogue: store;"), text);
    for (String line : source.lines().toList()) {
      if (line.trim().startsWith("*")) assertTrue(line.length() <= 140, "Javadoc within 140 characters: " + line);
    }
  }

  /**
   * 1x1 convs over inputs whose last block is partly padding (40 channels: 8 of 48 lanes; 8: 8 of 16): their
   * k steps stop at the last channel (the padding lanes only multiplied zero weights), and the outputs are
   * the interpreter's at batch 1 and 3, with a residual over the partial block too.
   */
  @Test
  void pointwiseConvsOverPartialBlocksStopAtTheLastChannel() throws Exception {
    Graph g = Specs.fromText("""
        input(24, 7, 9)
        p1: conv(40, 3, padding = 1)
        relu()
        p2: conv(8, 1)
        residual {
          p3: conv(16, 1)
          relu()
          p4: conv(8, 1)
        }
        p5: conv(24, 1)
        global_avgpool()
        flatten()
        fc(5)
        """);
    ParamSource params = SyntheticWeights.source(g, 11);
    Graph optimized = netc.passes.PassManager.run(g, netc.passes.PassContext.defaults());
    String source = netc.codegen.ModelGenerator.generate(optimized, netc.passes.MemoryPlanner.plan(optimized, 16),
        PackedWeights.pack(optimized, params), "// test", ModelGenerator.PACKAGE_PREFIX + "partial").file().toString();
    // p5 reads p4's output, a map of p2's shape: the same steps, so the same table as p3's
    assertTrue(source.contains("K.convLinear(") && source.matches("(?s).*void p5\\(.*P3_K.*"), source);
    for (String[] table : new String[][] {{"P2_K", "40"}, {"P3_K", "8"}}) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(table[0] + " = new int\\[\\] \\{([^}]*)\\}").matcher(source);
      assertTrue(m.find(), table[0] + " in\n" + source);
      assertEquals(Integer.parseInt(table[1]), m.group(1).split(",").length, table[0] + ": one k step a real input channel");
    }
    CompiledModel model = CompiledModels.compile(g, params, 2);
    for (int batch : new int[] {1, 3}) {
      Tensor x = random(g, batch, 20 + batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, "partial blocks, batch " + batch);
    }
  }

  /**
   * At -O0 nothing is folded or fused: batch norms, activations and residual adds run as their own
   * kernels and the input reorder applies the normalization. The same bar holds.
   */
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "smallnet"})
  void compiledAtO0EqualsInterpreter(String net) throws Exception {
    Map<String, String> small = net.equals("smallnet") ? Map.of() : Map.of("width", "8", "size", "56", "classes", "10");
    Graph g = Specs.example(net, small);
    ParamSource params = SyntheticWeights.source(g, 7);
    PassContext o0 = new PassContext(0, java.util.Set.of(), 16, java.util.List.of());
    CompiledModel model = CompiledModels.compile(g, params, 2, o0);
    Tensor x = random(g, 2, 13);
    assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, net + " at -O0");
  }

  /**
   * Depthwise convs (Kernels.depthwiseRow): 24 and 40 channels (a block and a half, two and a half),
   * stride 1 and 2, padding, dilation, a non-square window, a fused residual, activations of every
   * kind in the epilogue, and one without a bias.
   */
  static final String DEPTHWISE = """
      input(3, 19, 19)
      stem: conv(24, 3, padding = 1)
      relu()
      dw1: conv(24, 3, padding = 1, groups = 24)
      bn1: batchnorm()
      relu()
      residual {
          expand: conv(40, 1)
          relu()
          dw2: conv(40, 5, padding = 4, dilation = 2, groups = 40)
          leaky_relu(slope = 0.1)
          project: conv(24, 1)
      }
      residual {
          dw3: conv(24, 3, padding = 1, groups = 24, bias = false)
      }
      dw4: conv(24, 3, stride = 2, padding = 1, groups = 24)
      sigmoid()
      dw5: conv(24, [1, 3], stride = [1, 2], padding = [0, 1], groups = 24)
      tanh()
      head: global_avgpool()
      flatten()
      fc(10)
      """;

  /**
   * Grouped convs that are not depthwise: 32 groups of 2 channels 1x1 through the narrow groups' row
   * kernel (Kernels.groupedRow); the others' weight groups read only some input blocks (see
   * PackedWeights.inputBlocks): 8 groups of 8 channels, 4 groups of 16 -> 24 channels read in place at
   * stride 2 (28 -> 14 pixels) in pairs of blocks, 2 groups
   * of 20 channels (groups straddling blocks) with a fused residual, and 3 groups over 48 channels.
   */
  static final String GROUPED = """
      input(3, 28, 28)
      stem: conv(64, 3, padding = 1)
      relu()
      g1: conv(64, 3, padding = 1, groups = 8)
      relu()
      g2: conv(64, 1, groups = 32)
      relu()
      g3: conv(96, 3, stride = 2, padding = 1, groups = 4)
      relu()
      g4: conv(40, 3, padding = 1, groups = 2)
      relu()
      residual {
          g5: conv(40, 3, padding = 2, dilation = 2, groups = 2)
      }
      g6: conv(48, 1, groups = 2, bias = false)
      g7: conv(48, 3, padding = 1, groups = 3)
      head: global_avgpool()
      flatten()
      fc(10)
      """;

  /**
   * Stride-2 grouped 3x3s with groups of 8 and 16 channels, as ResNeXt's layer2.0 and layer3.0 have
   * them: the groups of 8 run the narrow groups' row kernel; each output block of the groups of 16 reads
   * one input block, read in place by the 1-block strided tile (half the multiply-adds of a pair of
   * blocks over two inputs).
   */
  static final String GROUPED_STRIDE_2 = """
      input(3, 56, 56)
      stem: conv(64, 3, padding = 1)
      relu()
      s1: conv(64, 3, stride = 2, padding = 1, groups = 8)
      relu()
      s2: conv(64, 3, stride = 2, padding = 1, groups = 4)
      relu()
      head: global_avgpool()
      flatten()
      fc(10)
      """;

  /**
   * Grouped convs of groups narrower than a block (Kernels.groupedRow, PackedWeights.rowGroupWidth): groups
   * of 4 over 24 channels (a block and a half: the second block's lanes 8-15 padding) with a fused residual
   * and leaky_relu, of 2 at stride 2 with dilation and a non-square window, of 4 over 40 channels with
   * sigmoid (not a clamp: applied after the store), of 4 in a 1x1 conv, and of 2 at stride 2 over 7-pixel
   * rows (four pixels, then three alone).
   */
  static final String NARROW_GROUPS = """
      input(3, 15, 15)
      stem: conv(24, 3, padding = 1)
      relu()
      residual {
          n1: conv(24, 3, padding = 1, groups = 6)
          relu()
          n2: conv(24, 1, groups = 6)
      }
      leaky_relu(slope = 0.1)
      n3: conv(24, [3, 5], stride = 2, padding = [2, 4], dilation = 2, groups = 12)
      relu()
      expand: conv(40, 1)
      n4: conv(40, 3, padding = 1, groups = 10)
      sigmoid()
      n5: conv(40, 3, stride = 2, padding = 1, groups = 20, bias = false)
      head: global_avgpool()
      flatten()
      fc(10)
      """;

  /** What a grouped spec's generated source must call: the depthwise kernel, the narrow groups' kernel, or per-group first input blocks. */
  private static String groupedKernel(String name) {
    return name.equals("depthwise") ? "K.depthwiseRow(" : name.equals("narrow") ? "K.groupedRow(" : "_FIRST_BLOCK[group]";
  }

  /** Depthwise and grouped convs against the interpreter, with the default passes, at -O0 and without Winograd. */
  @ParameterizedTest
  @ValueSource(strings = {"depthwise", "grouped", "grouped-stride-2", "narrow"})
  void groupedConvsEqualInterpreter(String name) throws Exception {
    Graph g = Specs.fromText(switch (name) {
      case "depthwise" -> DEPTHWISE;
      case "grouped" -> GROUPED;
      case "grouped-stride-2" -> GROUPED_STRIDE_2;
      default -> NARROW_GROUPS;
    });
    ParamSource params = SyntheticWeights.source(g, 11);
    List<PassContext> contexts = List.of(PassContext.defaults(), new PassContext(0, Set.of(), 16, List.of()),
        new PassContext(2, Set.of("winograd"), 16, List.of()));
    for (PassContext ctx : contexts) {
      String[] source = new String[1];
      CompiledModel model = CompiledModels.compile(g, params, 2, ctx, s -> source[0] = s);
      assertTrue(source[0].contains(groupedKernel(name)), name + " -O" + ctx.optLevel() + " runs its groups apart");
      if (name.equals("grouped")) {
        // stride-1 windows on maps of whole 14-pixel rows are read in place (ModelGenerator.stridedStep), not copied to panels
        for (String conv : List.of("g1", "g4", "g5", "g7")) assertFalse(source[0].contains(" " + conv + "_pack("), conv + " packs panels");
        // groups of 2 channels: the narrow groups' kernel, 2 multiply-adds a lane where the dense block does 16
        assertTrue(source[0].contains("K.groupedRow(2, "), "g2 runs groupedRow");
        assertFalse(source[0].contains("K.groupedRow(8, "), "groups of 8 stay dense");
      }
      if (name.equals("grouped-stride-2")) {
        assertEquals(2, source[0].split("K\\.convLinearStrided\\(32, 1,", -1).length - 1, "s1 and s2 run 1-block strided tiles in place");
      }
      if (name.equals("narrow")) {
        for (String call : List.of("K.groupedRow(4, ", "K.groupedRow(2, ")) assertTrue(source[0].contains(call), call);
      }
      for (int batch : new int[] {1, 2}) {
        Tensor x = random(g, batch, 20 + batch);
        assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, name + " -O" + ctx.optLevel() + " " + ctx.disabled() + " batch " + batch);
      }
    }
  }

  /**
   * Batch norms and adds that no conv absorbs (a batch norm after a relu, as DenseNet has them; an add
   * of two values neither of which a conv produces alone), each carrying the activation after it:
   * relu, leaky_relu, sigmoid, clip and tanh, so both the vector loops and the per-block path run.
   */
  static final String STANDALONE_ACTIVATIONS = """
      input(3, 9, 9)
      stem: conv(20, 3, padding = 1)
      relu()
      bn1: batchnorm()
      relu()
      residual {
          bn2: batchnorm()
          leaky_relu(slope = 0.1)
      }
      sigmoid()
      bn3: batchnorm()
      clip(min = 0.0, max = 0.5)
      bn4: batchnorm()
      tanh()
      head: conv(6, 1)
      global_avgpool()
      flatten()
      """;

  /**
   * Which steps share their items with the pool: those with at least ModelGenerator.PARALLEL_THRESHOLD
   * of work, where a float a step only moves counts MOVED_FLOAT_WORK multiply-adds. A batch norm of
   * 64 x 16 x 16 floats (16,384: 262K of work) is parallel, as it was not when a float counted one; a
   * 1x1 conv of 131K multiply-adds is not; the Winograd products of a 3x3 conv (4.2M) are. On one thread
   * and two the model matches the interpreter.
   */
  @Test
  void stepsWithEnoughWorkRunInParallel() throws Exception {
    Graph g = Specs.fromText("input(64, 16, 16)\nr: relu()\nn: batchnorm()\nbig: conv(64, 3, padding = 1)\nsmall: conv(8, 1)\nglobal_avgpool()\nflatten()\n");
    ParamSource params = SyntheticWeights.source(g, 3);
    Tensor x = random(g, 1, 7);
    for (int threads : new int[] {1, 2}) {
      CompiledModel model = CompiledModels.compile(g, params, threads);
      java.lang.reflect.Method parallel = CompiledModel.class.getDeclaredMethod("parallel", int.class);
      parallel.setAccessible(true);
      java.util.Map<String, Boolean> byStep = new java.util.TreeMap<>();
      for (int s = 0; s < model.stepNames().size(); s++) byStep.put(model.stepNames().get(s), (Boolean) parallel.invoke(model, s));
      assertEquals(true, byStep.get("n"), byStep.toString());
      assertEquals(false, byStep.get("small"), byStep.toString());
      assertEquals(true, byStep.get("big_multiply"), byStep.toString());
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, threads + " threads");
    }
  }

  /**
   * silu, hardsigmoid and hardswish (EfficientNet's and MobileNetV3's): fused into convs, a batch
   * norm and an fc, and standalone after a pool, against the interpreter. Inputs of several units
   * reach both ends of hardsigmoid's ramp (at -3 and 3).
   */
  @Test
  void siluHardsigmoidAndHardswishMatchTheInterpreter() throws Exception {
    Graph g = Specs.fromText("""
        input(3, 9, 9)
        c1: conv(20, 3, padding = 1)
        silu()
        c2: conv(32, 3, padding = 1)
        hardswish()
        maxpool(2)
        hardsigmoid()
        bn: batchnorm()
        hardswish()
        c3: conv(16, 1)
        hardsigmoid()
        global_avgpool()
        flatten()
        f: fc(7)
        silu()
        """);
    assertEquals(1, countAfterThePasses(g, Op.HARDSIGMOID), "the one after the pool stands alone");
    assertMatchesTheInterpreter(g);
  }

  /** gelu (ConvNeXt's), fused into a conv and an fc and standalone after a pool, against the interpreter. */
  @Test
  void geluMatchesTheInterpreter() throws Exception {
    Graph g = Specs.fromText("""
        input(3, 9, 9)
        c1: conv(20, 3, padding = 1)
        gelu()
        maxpool(2)
        gelu()
        c2: conv(16, 1)
        global_avgpool()
        flatten()
        f: fc(7)
        gelu()
        """);
    assertEquals(1, countAfterThePasses(g, Op.GELU), "the one after the pool stands alone");
    assertMatchesTheInterpreter(g);
  }

  /**
   * layernorm over channels (ConvNeXt's LayerNorm2d): over 20 channels (a partial block) with a
   * padded input to a padded conv, over 32 after a 1x1 conv, and over a pooled [16, 1, 1] vector.
   */
  @Test
  void layerNormsMatchTheInterpreter() throws Exception {
    Graph g = Specs.fromText("""
        input(3, 9, 9)
        c1: conv(20, 3, padding = 1)
        n1: layernorm(eps = 1e-6)
        c2: conv(32, 3, padding = 1)
        n2: layernorm()
        gelu()
        c3: conv(16, 1)
        global_avgpool()
        n3: layernorm()
        flatten()
        f: fc(7)
        """);
    assertMatchesTheInterpreter(g);
  }

  /**
   * Unpadded Winograd convs whose outputs are no multiple of the tile (30x30 and 13x13 in 4x4 and 2x2
   * tiles) read their input's border, which the halo pass now gives them: before, the generator
   * read past the map into the next block or tensor (and now refuses a border too narrow).
   */
  @Test
  void unpaddedWinogradConvsMatchTheInterpreter() throws Exception {
    Graph g = Specs.fromText("""
        input(32, 32, 32)
        x: relu()
        y: conv(32, 3)
        z: conv(32, 3)
        p: maxpool(2)
        q: conv(32, 3)
        global_avgpool()
        flatten()
        f: fc(5)
        """);
    assertMatchesTheInterpreter(g);
  }

  /**
   * Winograd convs of few tiles run in the lanes layout (Layouts.winogradLanes): F(2x2,3x3) on 7x7 maps
   * (16 tiles, in a residual block), 5x5 (9) and 3x3 (4, the network's output, no pooling after it to
   * hide a misplaced tile); output channels that fill neither a block nor a pair of panels (24: 32
   * padded, 36 columns), and 112 (120 columns: two items of channels a position); at batch 1 and 2,
   * against the interpreter. A 14x14 map's 49 tiles still take the channel-vector products.
   */
  @Test
  void laneLayoutConvsOnSmallMapsMatchTheInterpreter() throws Exception {
    Graph g = Specs.fromText("""
        input(24, 14, 14)
        stem: conv(24, 1)
        relu()
        x: conv(40, 3, padding = 1)
        relu()
        maxpool(2)
        residual {
            a: conv(40, 3, padding = 1)
            relu()
            b: conv(40, 3, padding = 1)
        }
        relu()
        c: conv(24, 3)
        relu()
        d: conv(112, 3, padding = 1)
        relu()
        e: conv(40, 3)
        flatten()
        """);
    ParamSource params = SyntheticWeights.source(g, 13);
    String[] source = new String[1];
    CompiledModel model = CompiledModels.compile(g, params, 2, PassContext.defaults(), s -> source[0] = s);
    assertEquals(5, source[0].split("K\\.winogradProductLanes\\(", -1).length - 1, "a, b, c, d and e: 16, 16, 9, 9 and 4 tiles");
    assertEquals(5, source[0].split("K\\.winogradInputLanes\\(", -1).length - 1, "their input transforms");
    assertEquals(5, source[0].split("K\\.winogradOutputLanes\\(", -1).length - 1, "their output transforms");
    assertEquals(3, source[0].split("Tables\\.zeroLanes\\(", -1).length - 1, "c, d and e leave lanes past their tiles");
    assertTrue(source[0].contains("Math.min(n0 + 96, 120)"), "d's 120 columns: two items a position");
    assertTrue(source[0].contains("X_WINOGRAD_K"), "x's 49 tiles: the channel-vector products");
    for (int batch : new int[] {1, 2}) {
      Tensor in = random(g, batch, 50 + batch);
      assertClose(Interpreter.run(g, params, in), model.predict(in), 1e-4, "batch " + batch);
    }
  }

  /**
   * Lanes-layout convs alone and on maps that are not square: a network whose only Winograd conv has
   * 4 tiles and no border (its generated class names Tables for the lanes past them and nothing
   * else), and rows of 7 and 6 tiles (4x14 and 2x12 outputs), one of a single output block; at batch 1,
   * 2 and 4 (two images a bunch on each of 2 threads), against the interpreter.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "input(32, 6, 6)\nrelu()\nc: conv(32, 3)\nflatten()\n",
      "input(32, 4, 14)\nrelu()\nc: conv(32, 3, padding = 1)\nrelu()\nd: conv(16, 3)\nflatten()\n"})
  void laneLayoutConvsAloneAndOnOblongMapsMatchTheInterpreter(String spec) throws Exception {
    Graph g = Specs.fromText(spec);
    ParamSource params = SyntheticWeights.source(g, 14);
    String[] source = new String[1];
    CompiledModel model = CompiledModels.compile(g, params, 2, PassContext.defaults(), s -> source[0] = s);
    assertTrue(source[0].contains("winogradProductLanes("), "the lanes layout");
    for (int batch : new int[] {1, 2, 4}) {
      Tensor in = random(g, batch, 60 + batch);
      assertClose(Interpreter.run(g, params, in), model.predict(in), 1e-4, "batch " + batch);
    }
  }

  /** The compiled model at 2 threads, batch 1 and 2, inputs scaled by 4 (past hardsigmoid's ramp), against the interpreter. */
  private static void assertMatchesTheInterpreter(Graph g) throws Exception {
    ParamSource params = SyntheticWeights.source(g, 9);
    CompiledModel model = CompiledModels.compile(g, params, 2);
    for (int batch : new int[] {1, 2}) {
      Tensor x = random(g, batch, 40 + batch);
      for (int i = 0; i < x.data().length; i++) x.data()[i] *= 4;
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, "batch " + batch);
    }
  }

  /**
   * Squeeze-and-excitation gates (EfficientNet's and MobileNetV3's): the body pools, convs over the
   * 1x1 map and ends in a sigmoid or hardsigmoid; the gate scales each channel of its input. One gate
   * of 32 channels (whole blocks), one of 20 (a partial block), inside a residual as MBConv has it.
   */
  @Test
  void gatesScaleEachChannelAsTheInterpreterDoes() throws Exception {
    Graph g = Specs.fromText("""
        input(3, 12, 12)
        stem: conv(32, 3, stride = 2, padding = 1)
        silu()
        gate {
            global_avgpool()
            reduce: conv(8, 1)
            silu()
            expand: conv(32, 1)
            sigmoid()
        }
        residual {
            head: conv(20, 3, padding = 1)
            hardswish()
            gate {
                global_avgpool()
                r: conv(4, 1)
                relu()
                e: conv(20, 1)
                hardsigmoid()
            }
            proj: conv(32, 1)
        }
        global_avgpool()
        flatten()
        fc(5)
        """);
    assertEquals(2, g.nodes().stream().filter(n -> n.op() == Op.GATE).count());
    assertMatchesTheInterpreterAtOneAndTwoThreads(g, 13, 50, 1e-4);
  }

  /**
   * ShuffleNetV2's units (lang/valid/channel_shuffle.net): channels() taking halves of 24 channels
   * (a partial block, and a half that starts mid-block) into a concat, channel_shuffle(2) after it;
   * then a shuffle in 3 groups and a range that is not a half, on 48 channels. Each output channel is
   * one input channel: the only rounding differences are the convs' (hence 1e-5).
   */
  @Test
  void channelsAndChannelShufflesMoveChannelsAsTheInterpreterDoes() throws Exception {
    String units = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/resources/lang/valid/channel_shuffle.net"));
    Graph g = Specs.fromText(units.replace("unit: shuffle_unit(48)", "unit: shuffle_unit(48)\nchannel_shuffle(3)\nodd: channels(5, 42)\nconv(8, 3, padding = 1)\nflatten()"));
    assertEquals(3, g.nodes().stream().filter(n -> n.op() == Op.CHANNEL_SHUFFLE).count());
    // as compose-gathers writes them (gathers from several maps), and one move a step (each a gather from its one input)
    assertMatchesTheInterpreterAtOneAndTwoThreads(g, 17, 70, 1e-5);
    assertMatchesTheInterpreterAtOneAndTwoThreads(g, 17, 70, 1e-5, new PassContext(2, Set.of("compose-gathers"), 16, List.of()));
  }

  /** Nodes of {@code op} left once the default passes ran: the activations no conv or fc took. */
  private static long countAfterThePasses(Graph g, Op op) {
    return PassManager.run(g, PassContext.defaults()).nodes().stream().filter(n -> n.op() == op).count();
  }

  /** The compiled model at 1 and 2 threads, batch 1 and 3 (synthetic weights of seed {@code weights}), against the interpreter. */
  private static void assertMatchesTheInterpreterAtOneAndTwoThreads(Graph g, int weights, int inputs, double tolerance) throws Exception {
    assertMatchesTheInterpreterAtOneAndTwoThreads(g, weights, inputs, tolerance, PassContext.defaults());
  }

  private static void assertMatchesTheInterpreterAtOneAndTwoThreads(Graph g, int weights, int inputs, double tolerance, PassContext passes)
      throws Exception {
    ParamSource params = SyntheticWeights.source(g, weights);
    for (int threads : new int[] {1, 2}) {
      CompiledModel model = CompiledModels.compile(g, params, threads, passes);
      for (int batch : new int[] {1, 3}) {
        Tensor x = random(g, batch, inputs + batch);
        assertClose(Interpreter.run(g, params, x), model.predict(x), tolerance, threads + " threads, batch " + batch);
      }
    }
  }

  @Test
  void standaloneBatchNormsAndAddsCarryTheirActivations() throws Exception {
    Graph g = Specs.fromText(STANDALONE_ACTIVATIONS);
    Graph optimized = PassManager.run(g, PassContext.defaults());
    String fused = optimized.nodes().stream().filter(n -> n.op() == Op.BATCHNORM || n.op() == Op.ADD)
        .map(n -> n.op().spelling() + "+" + n.attrs().getString("act", "none")).collect(java.util.stream.Collectors.joining(" "));
    assertEquals("batchnorm+relu batchnorm+leaky_relu add+sigmoid batchnorm+clip batchnorm+tanh", fused);
    assertFalse(optimized.nodes().stream().anyMatch(n -> n.op().isActivation()), "every activation fused");
    ParamSource params = SyntheticWeights.source(g, 5);
    CompiledModel model = CompiledModels.compile(g, params, 2);
    for (int batch : new int[] {1, 2}) {
      Tensor x = random(g, batch, 30 + batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, "batch " + batch);
    }
  }

  /**
   * Convs with an odd number of output blocks (PackedWeights.pairedWithLastSingle): 3 blocks 1x1 read
   * in place, 3 blocks 3x3 with a fused residual (Winograd, or without it read in place a row of 14
   * pixels at a time), 5 blocks at stride 2 from panels, 13 blocks 1x1 on a map of 7x7 (the last tile short).
   */
  static final String ODD_BLOCKS = """
      input(3, 14, 14)
      stem: conv(32, 3, padding = 1)
      relu()
      c1: conv(40, 1)
      relu()
      residual {
          c2: conv(40, 3, padding = 1)
      }
      relu()
      c3: conv(80, 3, stride = 2, padding = 1)
      relu()
      c4: conv(200, 1)
      relu()
      global_avgpool()
      flatten()
      """;

  @Test
  void oddOutputBlocksRunInPairsAndOneEqualInterpreter() throws Exception {
    Graph g = Specs.fromText(ODD_BLOCKS);
    ParamSource params = SyntheticWeights.source(g, 12);
    for (PassContext ctx : List.of(PassContext.defaults(), new PassContext(2, Set.of("winograd"), 16, List.of()))) {
      String[] source = new String[1];
      CompiledModel model = CompiledModels.compile(g, params, 2, ctx, s -> source[0] = s);
      assertTrue(source[0].contains("group < 6 ? 2 : 1"), "c4's 13 blocks: 6 pairs and one");
      assertTrue(source[0].contains("group < 2 ? 2 : 1"), "c3's 5 blocks: 2 pairs and one");
      if (ctx.disabled().contains("winograd")) assertFalse(source[0].contains(" c2_pack("), "c2 reads its rows in place");
      for (int batch : new int[] {1, 2}) {
        Tensor x = random(g, batch, 40 + batch);
        assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, ctx.disabled() + " batch " + batch);
      }
    }
  }

  /**
   * Row tiles ending in a partial tile (ModelGenerator.partialRowsReadSafely): the stem at stride 2 over
   * the caller's 24x24 image (11 pixels a row: its 3 junk slots read row 23, inside the image), a
   * dilated stride-1 conv over 11 pixels a row, a grouped one over 6 (the 8-slot tile), and a stride-2
   * conv to rows of 6 pixels, which copies panels as every short row does (ModelGenerator.stridedStep,
   * before partialRowsReadSafely is asked: {@link #stridedPartialRowTilesStayInTheirInput} is where
   * that decides). Over a 23x23 image the stem's junk would run past the image: the offset-table kernel instead.
   */
  static final String ROW_TILES = """
      input(3, SIZE, SIZE)
      stem: conv(32, 3, stride = 2)
      relu()
      c1: conv(32, 3, padding = 2, dilation = 2)
      relu()
      c2: conv(32, 3, stride = 2, padding = 1)
      relu()
      c3: conv(32, 3, padding = 1, groups = 2)
      global_avgpool()
      flatten()
      """;

  @ParameterizedTest
  @ValueSource(ints = {24, 23})
  void partialRowTilesEqualInterpreter(int size) throws Exception {
    Graph g = Specs.fromText(ROW_TILES.replace("SIZE", String.valueOf(size)));
    ParamSource params = SyntheticWeights.source(g, 13);
    String[] source = new String[1];
    CompiledModel model = CompiledModels.compile(g, params, 2, PassContext.defaults(), s -> source[0] = s);
    assertEquals(size == 24, source[0].contains("K.convLinearStrided(2, "), "the stem reads the image in place");
    assertEquals(size == 23, source[0].contains("K.convTile("), "else the offset-table kernel");
    assertFalse(source[0].contains(" c1_pack("), "c1 reads in place");
    assertTrue(source[0].contains(" c2_pack("), "c2's rows of 6 pixels are short: panels");
    assertFalse(source[0].contains(" c3_pack("), "c3 reads in place");
    for (int batch : new int[] {1, 3}) {
      Tensor x = random(g, batch, 50 + batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, size + "x" + size + " batch " + batch);
    }
  }

  /**
   * A stride-2 3x3 conv over a blocked map in the arena, to rows of 15 pixels: a full row tile of 14
   * and a partial one whose 13 junk slots read 13 x 32 floats past the row's last window, more than
   * the slack past the arena's buffers, so ModelGenerator.partialRowsReadSafely decides by the input's
   * storage. Over 31x31 unpadded or 29x29 padded by 1 the last window ends at the storage's last pixel
   * and the junk would read past it: c2 copies panels. Past its input's storage lies the arena's end
   * (read in place, the junk would run off the workspace) or c2's own output (the junk would read what
   * c2 writes). Over 30x30 padded by 1 the border row and column past the last window hold the junk
   * reads: c2 reads its input in place.
   */
  static final String STRIDED_ROW_TILES = """
      input(3, SIZE, SIZE)
      a: conv(32, 1)
      relu()
      b: conv(32, 1)
      relu()
      c2: conv(32, 3, stride = 2, padding = PAD)
      relu()
      flatten()
      """;

  @ParameterizedTest
  @CsvSource({"31, 0, true, end", "29, 1, true, c2", "30, 1, false, c2"})
  void stridedPartialRowTilesStayInTheirInput(int size, int pad, boolean panels, String past) throws Exception {
    Graph g = Specs.fromText(STRIDED_ROW_TILES.replace("SIZE", String.valueOf(size)).replace("PAD", String.valueOf(pad)));
    Graph optimized = PassManager.run(g, PassContext.defaults());
    netc.ir.Node c2 = optimized.nodes().stream().filter(n -> n.name().equals("c2")).findFirst().orElseThrow();
    assertEquals(15, c2.shape().width(), "one row tile and a partial one");
    netc.passes.MemoryPlan plan = netc.passes.MemoryPlanner.plan(optimized, 16);
    int b = optimized.nodes().stream().filter(n -> n.name().equals("b")).findFirst().orElseThrow().id();
    long inputEnd = plan.offsetOf(b) + plan.buffers().get(plan.bufferOf().get(b)).floats();
    if (past.equals("end")) assertEquals(plan.arenaFloats(), inputEnd, "c2's input ends the arena: past it only the slack");
    else assertEquals(plan.offsetOf(c2.id()), inputEnd, "c2's output follows its input");
    ParamSource params = SyntheticWeights.source(g, 14);
    String[] source = new String[1];
    CompiledModel model = CompiledModels.compile(g, params, 2, PassContext.defaults(), s -> source[0] = s);
    assertEquals(panels, source[0].contains(" c2_pack("), "c2 copies panels");
    assertEquals(!panels, source[0].contains("K.convLinearStrided("), "c2 reads its input in place");
    for (int batch : new int[] {1, 2}) {
      Tensor x = random(g, batch, 70 + batch);
      assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, size + "x" + size + " padding " + pad + " batch " + batch);
    }
  }

  /** examples/mobilenet_v2.net at 64x64: 17 depthwise convs (stride 1 and 2, 32 to 960 channels), most with a residual after. */
  @Test
  void mobilenetV2EqualsInterpreter() throws Exception {
    Graph g = Specs.example("mobilenet_v2", Map.of("size", "64", "classes", "10"));
    ParamSource params = SyntheticWeights.source(g, 9);
    CompiledModel model = CompiledModels.compile(g, params, 2);
    Tensor x = random(g, 2, 14);
    assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, "mobilenet_v2 batch 2");
  }

  /**
   * examples/repvgg_a0.net at width 8 with the torch fixture's weights (weights/make_fixtures.sh): compiled, each
   * block one merged 3x3 conv (merge-parallel-convs, then Winograd where the stride is 1), against torch's logits
   * of the training-time network, and the interpreter's of the unmerged graph.
   */
  @Test
  void repvggCompiledWithMergedBranchesEqualsTorch() throws Exception {
    Graph g = Specs.example("repvgg_a0", Map.of("width", "8", "size", "64", "classes", "10"));
    java.nio.file.Path fixtures = java.nio.file.Path.of("../weights/fixtures");
    ParamSource params = netc.weights.WeightBinding.bind(g, fixtures.resolve("repvgg_a0_w8_s64.safetensors"));
    CompiledModel model = CompiledModels.compile(g, params, 2);
    // a conv's steps are named after it (its pack, Winograd's transforms): none of the 1x1s, identities or adds is left
    assertTrue(model.stepNames().stream().noneMatch(s -> s.contains("rbr_1x1") || s.contains("rbr_identity") || s.matches("(.*_)?add(_\\d+)?")),
        "one conv a block: " + model.stepNames());
    assertEquals(22, model.stepNames().stream().filter(s -> s.matches("stage\\d(_\\d+)?_rbr_dense_conv")
        || s.endsWith("rbr_dense_conv_multiply")).count(), "the 22 blocks' convs: " + model.stepNames());
    Tensor x = netc.runtime.io.Npy.read(fixtures.resolve("repvgg_a0_w8_s64_input.npy"));
    Tensor torch = netc.runtime.io.Npy.read(fixtures.resolve("repvgg_a0_w8_s64_logits.npy"));
    Tensor y = model.predict(x);
    assertClose(Interpreter.run(g, params, x), y, 1e-4, "repvgg_a0 against the interpreter");
    assertTrue(y.maxAbsDiff(torch) <= 1e-4 * torch.maxAbs(), "against torch: " + y.maxAbsDiff(torch) + " of max|logit| " + torch.maxAbs());
  }

  /** With Winograd switched off every conv is direct; the same bar holds. */
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "resnet50"})
  void compiledWithoutWinogradEqualsInterpreter(String net) throws Exception {
    Graph g = Specs.example(net, Map.of("width", "8", "size", "56", "classes", "10"));
    ParamSource params = SyntheticWeights.source(g, 6);
    PassContext direct = new PassContext(2, java.util.Set.of("winograd"), 16, java.util.List.of());
    CompiledModel model = CompiledModels.compile(g, params, 2, direct);
    Tensor x = random(g, 2, 12);
    assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-4, net + " direct");
  }

  /**
   * A softmax over channels of an input whose normalization is not folded (it has two users): it reads
   * the normalized copy of the input, which the padded conv beside it reads too, so the copy carries
   * the conv's border (AssignLayout.assignHalos) and the softmax's output none. Each output channel
   * lies the output's plane apart, not the input's: written at the input's (36 floats at 4x4, where
   * the output's are 16), most of the softmax's branch was what the arena held before and its last
   * channels landed past its buffer (on a neighbour, or past the arena). The 9x9 map with a border of
   * 2 has planes of 81 and 169 floats.
   */
  static final String SOFTMAX_OF_A_BORDERED_INPUT = """
      input(3, SIZE, SIZE, mean = [0.5, 0.5, 0.5], std = [0.25, 0.25, 0.25])
      concat {
          softmax()
      } and {
          conv(3, KERNEL, padding = PAD)
      }
      flatten()
      """;

  /**
   * The spec above at 4x4 (border 1) and 9x9 (border 2), with the default passes and at -O0, on one
   * thread and two: the compiled softmax reads a bordered input and writes a border-free output, and
   * two calls in a row on different images (the second finds the first's values in the arena) and a
   * batch of 3 each equal the interpreter.
   */
  @ParameterizedTest
  @ValueSource(strings = {"4,3,1", "9,5,2"})
  void aSoftmaxOfABorderedInputWritesAtItsOutputsStrides(String sizeKernelPad) throws Exception {
    String[] v = sizeKernelPad.split(",");
    Graph g = Specs.fromText(SOFTMAX_OF_A_BORDERED_INPUT.replace("SIZE", v[0]).replace("KERNEL", v[1]).replace("PAD", v[2]));
    ParamSource params = SyntheticWeights.source(g, 23);
    for (PassContext ctx : List.of(PassContext.defaults(), new PassContext(0, Set.of(), 16, List.of()))) {
      Graph optimized = PassManager.run(g, ctx);
      netc.ir.Node softmax = optimized.nodes().stream().filter(n -> n.op() == Op.SOFTMAX).findFirst().orElseThrow();
      int border = Integer.parseInt(v[2]);
      assertEquals(List.of(border, border), netc.passes.Layouts.halo(optimized.node(softmax.input(0))), "the softmax's input has the conv's border");
      assertEquals(List.of(0, 0), netc.passes.Layouts.halo(softmax), "its output has none");
      for (int threads : new int[] {1, 2}) {
        CompiledModel model = CompiledModels.compile(g, params, threads, ctx);
        String what = v[0] + "x" + v[0] + " -O" + ctx.optLevel() + ", " + threads + " threads";
        for (int call = 0; call < 2; call++) {
          Tensor x = random(g, 1, 60 + call);
          assertClose(Interpreter.run(g, params, x), model.predict(x), 1e-5, what + ", call " + (call + 1));
        }
        Tensor batch = random(g, 3, 62);
        assertClose(Interpreter.run(g, params, batch), model.predict(batch), 1e-5, what + ", batch 3");
      }
    }
  }

  /**
   * Flat values whose padded storage (a multiple of 16 floats) is longer than what their producer
   * writes: a flatten of the caller's input (a plain copy of 9 floats in 16), of a 5x3x3 map (a plain
   * copy of 45 floats in 48) and of a softmax over a 1x1 conv's 5 channels (45 in 48), and a softmax
   * over 20 values (20 in 32). The fc after each reads whole blocks of 16, multiplying the tail by zero
   * weights. The last fc is wide enough that the memory plan puts it over that tail: on an image its layers overflow to NaN it
   * writes NaN there, nothing else writes those floats before the next call's fc reads them, and
   * 0 x NaN = NaN made every later call's output NaN.
   */
  static final Map<String, String> FLAT_TAILS = Map.of(
      "input", """
          input(1, 3, 3)
          flatten()
          fc1: fc(10)
          fc2: fc(10)
          """,
      "map", """
          input(3, 3, 3)
          c: conv(5, 1)
          flatten()
          fc1: fc(10)
          fc2: fc(200)
          """,
      "channel-softmax", """
          input(5, 3, 3)
          c: conv(5, 1)
          softmax()
          flatten()
          fc1: fc(10)
          fc2: fc(200)
          """,
      "flat-softmax", """
          input(16, 1, 1)
          flatten()
          fc1: fc(20)
          softmax()
          fc2: fc(20)
          fc3: fc(20)
          """);

  /**
   * A call on an image that the first layer overflows to infinities (and NaN after them), then on a finite image, on
   * one model (its workspace reused, never cleared): the second output is finite and equals the interpreter's; and a
   * batch of 5 whose first image overflows (the fifth image reuses the first one's workspace on one thread, and on two
   * every image runs in one): the other 4 outputs equal the interpreter's. With the default passes and at -O0, on one
   * thread and two. (predict refuses a NaN or infinite input, so the poison is made inside: huge finite pixels, and the
   * first layer's weights scaled by 1000, which keeps the finite images' outputs within float32's reach. It refuses
   * the outputs that come of it too, after the whole batch ran: the batch's other images are read from the output
   * array the refused call filled.)
   */
  @ParameterizedTest
  @ValueSource(strings = {"input", "map", "channel-softmax", "flat-softmax"})
  void anOverflowingImageLeavesNothingInTheFlatTailsForTheNextCall(String name) throws Exception {
    Graph g = Specs.fromText(FLAT_TAILS.get(name));
    ParamSource synthetic = SyntheticWeights.source(g, 19);
    String first = name.equals("input") || name.equals("flat-softmax") ? "fc1.weight" : "c.weight";
    ParamSource params = (tensor, shape) -> {
      float[] t = synthetic.tensor(tensor, shape);
      if (!tensor.equals(first)) return t;
      float[] scaled = t.clone();
      for (int i = 0; i < scaled.length; i++) scaled[i] *= 1000;
      return scaled;
    };
    for (PassContext ctx : List.of(PassContext.defaults(), new PassContext(0, Set.of(), 16, List.of()))) {
      for (int threads : new int[] {1, 2}) {
        CompiledModel model = CompiledModels.compile(g, params, threads, ctx);
        Tensor poisoned = random(g, 1, 3);
        java.util.Arrays.fill(poisoned.data(), 1e37f);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> model.predict(poisoned));
        assertTrue(refused.getMessage().matches("output [0-9]+ is .*: the network's float32 arithmetic overflowed, or divided by zero, on this"
            + " input \\(its largest \\|value\\| is 1\\.0E37\\)"), refused.getMessage());
        Tensor x = random(g, 1, 4);
        Tensor out = model.predict(x);
        String what = name + " -O" + ctx.optLevel() + ", " + threads + " threads";
        long notFinite = IntStream.range(0, out.size()).filter(i -> !Float.isFinite(out.data()[i])).count();
        assertEquals(0, notFinite, what + ": outputs of the finite image that are not finite, of " + out.size());
        assertClose(Interpreter.run(g, params, x), out, 1e-4, what);
        Tensor clean = random(g, 4, 5), batch = random(g, 5, 0);
        int per = x.size();
        System.arraycopy(poisoned.data(), 0, batch.data(), 0, per);
        System.arraycopy(clean.data(), 0, batch.data(), per, 4 * per);
        float[] all = new float[5 * out.size()];
        refused = assertThrows(IllegalArgumentException.class, () -> model.predict(batch.data(), 5, all));
        assertTrue(refused.getMessage().contains(" of image 0 is "), refused.getMessage());
        Tensor rest = Tensor.zeros(4, out.size());
        System.arraycopy(all, out.size(), rest.data(), 0, 4 * out.size());
        assertClose(Interpreter.run(g, params, clean), rest, 1e-4, what + ", images 2-5 of a batch after an overflowing image");
      }
    }
  }
}
