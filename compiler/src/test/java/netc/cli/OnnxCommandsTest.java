package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import netc.runtime.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX models through the command line, against torch's outputs (committed by
 * weights/make_onnx_fixtures.py): compile then run the jar at batch 1 and 2, the reference
 * interpreter, import to files and run those. The tolerance is the issue's, 1e-4 x max|logit|:
 * float32 sums over at most a few hundred terms per layer, in another order than torch's, differ by
 * far less, while a wrong weight layout, pad or normalization is off by whole units.
 */
class OnnxCommandsTest {
  static final Path FIXTURES = Path.of("../weights/fixtures/onnx");
  static final double TOLERANCE = 1e-4;

  @TempDir Path dir;

  private static Path fixture(String file) {
    return FIXTURES.resolve(file);
  }

  @ParameterizedTest
  @ValueSource(strings = {"resnet_basic", "resnet_bottle", "misc", "mobilenet_v2", "vgg_tiny", "resnext_tiny", "wide_resnet_tiny", "pools", "squeezenet", "vgg_winograd",
      "densenet", "inception", "inception_e", "mobilenet_v3", "efficientnet", "se_linear", "shufflenet", "split_concat", "convnext", "repvgg", "conv_bn_pads",
      "inception_transform"})
  void compiledJarMatchesTorchAtBatchOneAndTwo(String model) throws IOException {
    Path jar = dir.resolve(model + ".jar");
    Object[] r = netc("compile", fixture(model + ".onnx").toString(), "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertFalse(((String) r[1]).contains("synthetic"), "an ONNX model carries its weights: " + r[1]);
    Tensor x2 = Npy.read(fixture(model + "_input.npy"));
    Path in1 = dir.resolve("x1.npy"), in2 = fixture(model + "_input.npy");
    Npy.write(in1, new Tensor(new int[] {1, 3, 32, 32}, Arrays.copyOf(x2.data(), 3 * 32 * 32)));
    assertMatches(model, "_logits_b1.npy", run(jar.toString(), in1));
    assertMatches(model, "_logits_b2.npy", run(jar.toString(), in2));
  }

  /**
   * RepVGG's blocks compiled with their branches merged (the default) and without (three branches, adds fused into
   * the convs' epilogues, the identity's batch norm standalone): both give torch's logits.
   */
  @Test
  void repvggMatchesTorchWithAndWithoutMergedBranches() throws IOException {
    Path merged = dir.resolve("merged.jar"), unmerged = dir.resolve("unmerged.jar");
    Object[] r = netc("compile", fixture("repvgg.onnx").toString(), "-o", merged.toString());
    assertEquals(0, r[0], (String) r[2]);
    r = netc("compile", fixture("repvgg.onnx").toString(), "-o", unmerged.toString(), "--disable-pass", "merge-parallel-convs");
    assertEquals(0, r[0], (String) r[2]);
    assertMatches("repvgg", "_logits_b2.npy", run(merged.toString(), fixture("repvgg_input.npy")));
    assertMatches("repvgg", "_logits_b2.npy", run(unmerged.toString(), fixture("repvgg_input.npy")));
    assertTrue(Files.size(unmerged) > Files.size(merged), "the unmerged jar carries the 1x1 and identity weights apart");
  }

  @ParameterizedTest
  @ValueSource(strings = {"resnet_basic", "misc", "mobilenet_v2", "pools", "squeezenet", "densenet", "inception", "inception_e", "mobilenet_v3", "efficientnet",
      "se_linear", "shufflenet", "split_concat", "convnext", "repvgg", "conv_bn_pads", "inception_transform"})
  void referenceInterpreterMatchesTorch(String model) throws IOException {
    assertMatches(model, "_logits_b2.npy", run(fixture(model + ".onnx").toString(), fixture(model + "_input.npy"), "--reference"));
  }

  /**
   * The example ResNets' own ONNX exports, imported, give the outputs of examples/resnet18.net (basic
   * blocks, width 4) and examples/resnet50.net (bottlenecks, width 2) run with the same weights (and both
   * give torch's). The export folds batch norms into the convs, the spec keeps them: the two differ by
   * rounding only.
   */
  @ParameterizedTest
  @CsvSource({"resnet18, 4", "resnet50, 2"})
  void theExampleResNetsExportImportsToTheSpecsOutputs(String arch, int width) throws IOException {
    String name = arch + "_w" + width + "_s32";
    Path input = fixture(name + "_input.npy");
    Tensor fromOnnx = run(fixture(name + ".onnx").toString(), input, "--reference");
    Tensor fromSpec = run("../examples/" + arch + ".net", input, "--reference", "-D", "width=" + width, "-D", "size=32", "-D", "classes=10",
        "--weights", fixture(name + ".safetensors").toString());
    assertMatches(name, "_logits.npy", fromOnnx);
    assertMatches(name, "_logits.npy", fromSpec);
    assertTrue(fromOnnx.maxAbsDiff(fromSpec) <= TOLERANCE * fromSpec.maxAbs(), "import vs spec: " + fromOnnx.maxAbsDiff(fromSpec));
  }

  /** import writes a spec and its weights that, run as any spec, give torch's outputs. */
  @Test
  void importWritesASpecAndWeightsThatRunAsTorch() throws IOException {
    Path spec = dir.resolve("basic.net");
    Object[] r = netc("import", fixture("resnet_basic.onnx").toString(), "-o", spec.toString());
    assertEquals(0, r[0], (String) r[2]);
    Path weights = dir.resolve("basic.safetensors");
    assertTrue(Files.exists(weights), "weights beside the spec: " + r[1]);
    // the next command, with the weights: compiled without them the model got synthetic ones, a note easily missed
    assertTrue(((String) r[1]).endsWith("compile it: netc compile " + spec + " --weights " + weights + " -o " + dir.resolve("basic.jar") + "\n"),
        (String) r[1]);
    String text = Files.readString(spec);
    assertTrue(text.contains("input(3, 32, 32, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225])"), text);
    assertTrue(text.contains("model_layer1_0_conv1: conv(8, 3, padding = 1)  // onnx: /model/layer1/layer1.0/conv1/Conv"), text);
    // a shortcut's layers in a scope named by their common path, as torch's downsample.0
    assertTrue(text.contains("} shortcut model_layer2_0_downsample {\n    0: conv(16, 1, stride = 2)"), text);
    assertTrue(Safetensors.read(weights).entries().containsKey("model_layer2_0_downsample.0.weight"));
    // the metadata in a fixed order: Map.of's changed from one JVM to the next, so two imports wrote different bytes
    String header = RunCommandTest.header(weights);
    assertTrue(header.startsWith("{\"__metadata__\":{\"producer\":\"netc import\",\"source\":\"resnet_basic.onnx\"},"), header.substring(0, 100));
    Path y = dir.resolve("y.npy");
    r = netc("run", spec.toString(), "--weights", weights.toString(), "--input", fixture("resnet_basic_input.npy").toString(),
        "--output", y.toString(), "--reference");
    assertEquals(0, r[0], (String) r[2]);
    assertMatches("resnet_basic", "_logits_b2.npy", Npy.read(y));
  }

  /**
   * An ONNX model compiled with --emit-source writes the imported spec beside the Java, as netc import writes it: the
   * source's comments give each layer's line in it ("resnet_basic.onnx (imported):11:1"), in a spec that was never written.
   */
  @Test
  void emittedSourceOfAnOnnxModelHasItsImportedSpecBeside() throws IOException {
    Path src = dir.resolve("src"), spec = dir.resolve("imported.net");
    Object[] r = netc("compile", fixture("resnet_basic.onnx").toString(), "-o", dir.resolve("b.jar").toString(), "--emit-source", src.toString());
    assertEquals(0, r[0], (String) r[2]);
    Path written;
    try (java.util.stream.Stream<Path> files = Files.walk(src)) {
      written = files.filter(f -> f.getFileName().toString().equals("resnet_basic.net")).findFirst().orElseThrow();
    }
    assertTrue(((String) r[1]).contains("  wrote " + written + " (the imported spec, whose lines the source's comments give; netc import writes"
        + " the same)\n"), (String) r[1]);
    try (java.util.stream.Stream<Path> files = Files.list(written.getParent())) {
      String java = Files.readString(files.filter(f -> f.toString().endsWith(".java")).findFirst().orElseThrow());
      assertTrue(java.contains("resnet_basic.onnx (imported):"), "the comments place layers in the imported spec");
    }
    assertEquals(0, netc("import", fixture("resnet_basic.onnx").toString(), "-o", spec.toString())[0]);
    assertEquals(Files.readString(spec), Files.readString(written));
  }

  /**
   * Every fixture's logits depend on its input far beyond the tolerance: its two images' logits differ
   * by at least 10 x TOLERANCE of the largest. mobilenet_v2's and efficientnet's once differed by 1e-7
   * (random batch-norm statistics had shrunk the signal about tenfold a stage), so a wrong layer
   * anywhere before their last few matched torch as well as a right one; make_onnx_fixtures.py now
   * measures their statistics on images (calibrate_batchnorm).
   */
  @Test
  void everyFixturesLogitsDependOnItsInput() throws IOException {
    java.util.List<Path> all;
    try (java.util.stream.Stream<Path> files = Files.list(FIXTURES)) {
      all = files.filter(p -> p.getFileName().toString().endsWith("_logits_b2.npy")).sorted().toList();
    }
    assertTrue(all.size() >= 20, "fixtures: " + all);
    for (Path p : all) {
      Tensor t = Npy.read(p);
      assertArrayEquals(new int[] {2, t.shape()[1]}, t.shape(), p.getFileName() + ": logits of two images");
      int n = t.shape()[1];
      double d = 0;
      for (int j = 0; j < n; j++) d = Math.max(d, Math.abs(t.data()[j] - t.data()[n + j]));
      assertTrue(d >= 10 * TOLERANCE * t.maxAbs(), p.getFileName() + ": its two images' logits differ by " + d + " of max|logit| " + t.maxAbs());
    }
  }

  /**
   * A model exported from torchvision takes normalized tensors. Compiled with the normalization its
   * training used, the jar takes pixels in [0, 1] (the normalization folded into its first conv) and
   * says so; given the fixture's inputs as pixels (x std + mean), it gives torch's logits for them.
   */
  @Test
  void compiledWithItsNormalizationTheJarTakesPixels() throws IOException {
    Path jar = dir.resolve("m.jar");
    Object[] r = netc("compile", fixture("vgg_tiny.onnx").toString(), "-o", jar.toString(), "--mean", "0.485,0.456,0.406",
        "--std", "0.229, 0.224, 0.225");
    assertEquals(0, r[0], (String) r[2]);
    Tensor x = Npy.read(fixture("vgg_tiny_input.npy"));
    double[] mean = {0.485, 0.456, 0.406}, std = {0.229, 0.224, 0.225};
    float[] pixels = x.data().clone();
    int plane = 32 * 32;
    for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (x.data()[i] * std[i / plane % 3] + mean[i / plane % 3]);
    Path in = dir.resolve("pixels.npy");
    Npy.write(in, new Tensor(x.shape(), pixels));
    assertMatches("vgg_tiny", "_logits_b2.npy", run(jar.toString(), in));
    // the reference interpreter, given the same options, builds the same graph: torch's logits from the pixels too
    assertMatches("vgg_tiny", "_logits_b2.npy", runIn(dir, fixture("vgg_tiny.onnx").toString(), in, "--reference", "--mean", "0.485,0.456,0.406",
        "--std", "0.229,0.224,0.225"));
    assertEquals("netc run: --imagenet, --mean, --std, --resize and --bicubic are given when an ONNX model is compiled; " + jar + " prepares its input as it"
        + " was compiled to (java -jar " + jar + " --info)\n", netc("run", jar.toString(), "--input", in.toString(), "--output",
        dir.resolve("y.npy").toString(), "--imagenet")[2]);
    // without it, the same pixels are not what the model was trained on
    assertFalse(((String) r[2]).contains("declares no input normalization"), (String) r[2]);
    Path plain = dir.resolve("plain.jar");
    Object[] unnormalized = netc("compile", fixture("vgg_tiny.onnx").toString(), "-o", plain.toString());
    assertEquals(0, unnormalized[0]);
    // said before the compile, as the jar says it before its answers: a jar labelled with ImageNet's classes was built in silence
    assertTrue(((String) unnormalized[2]).contains("note: " + fixture("vgg_tiny.onnx") + " declares no input normalization, so the jar will"
        + " take images as pixels in [0, 1]; a classifier exported from torchvision expects ImageNet's: --imagenet (or --mean, --std and"
        + " --resize) gives it\n"), (String) unnormalized[2]);
    Tensor wrong = run(plain.toString(), in), expected = Npy.read(fixture("vgg_tiny_logits_b2.npy"));
    assertTrue(wrong.maxAbsDiff(expected) > 100 * TOLERANCE * expected.maxAbs(), "pixels fed as tensors: " + wrong.maxAbsDiff(expected));
  }

  /** --imagenet: torchvision's mean, std and Resize(input x 8/7, rounded: 37 for 32), in the spec's input line with where they came from. */
  @Test
  void importWritesTheImagenetPreparationIntoTheInputLine() throws IOException {
    Path spec = dir.resolve("m.net");
    Object[] r = netc("import", fixture("mobilenet_v2.onnx").toString(), "-o", spec.toString(), "--imagenet");
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(Files.readString(spec).contains("\ninput(3, 32, 32, resize = 37, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225])"
        + "  // --imagenet on the command line\n"), Files.readString(spec));
    r = netc("import", fixture("mobilenet_v2.onnx").toString(), "-o", spec.toString(), "--resize", "40");
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(Files.readString(spec).contains("\ninput(3, 32, 32, resize = 40)  // --resize 40 on the command line\n"), Files.readString(spec));
  }

  @Test
  void aSecondNormalizationOrAMalformedOneIsRefused() {
    String model = fixture("mobilenet_v2.onnx").toString(), out = dir.resolve("m.net").toString();
    // resnet_basic normalizes in its graph (Sub, Div): a second one would be wrong
    assertEquals("netc import: " + fixture("resnet_basic.onnx") + ": the model normalizes its input already (node '/Sub' (Sub)): --imagenet would"
        + " normalize it a second time\n", netc("import", fixture("resnet_basic.onnx").toString(), "-o", out, "--imagenet")[2]);
    assertEquals("netc import: " + model + ": --mean/--std: 2 values, for an input of 3 channels\n",
        netc("import", model, "-o", out, "--mean", "0.5,0.5", "--std", "1,1", "--resize", "40")[2]);
    assertEquals("netc import: " + model + ": --resize 16: images are resized so, then center-cropped to the input's 32x32, so it must be at least 32\n",
        netc("import", model, "-o", out, "--resize", "16")[2]);
    // a usage error (exit 2), from compile as from the commands that load through CommandLines.source
    for (String command : List.of("compile", "summary")) {
      Object[] r = command.equals("compile") ? netc("compile", "../examples/resnet18.net", "-o", dir.resolve("x.jar").toString(), "--imagenet")
          : netc(command, "../examples/resnet18.net", "--resize", "256");
      assertEquals(2, r[0], (String) r[2]);
      assertEquals("netc " + command + ": ../examples/resnet18.net: --mean, --std, --resize, --imagenet and --bicubic are for an ONNX model; a spec gives its"
          + " normalization and resize in its input(...)\n", r[2]);
    }
    Object[] bicubic = netc("summary", "../examples/resnet18.net", "--bicubic");
    assertEquals(2, bicubic[0], (String) bicubic[2]);
    assertTrue(((String) bicubic[2]).contains("are for an ONNX model; a spec gives its normalization and resize in its input(...)"), (String) bicubic[2]);
    String[][] usage = {
        {"--mean", "0.5,0.5,0.5"}, {"--imagenet", "--resize", "256"}, {"--mean", "1,2,3", "--std", "1,0,1"}, {"--mean", "1,x,3", "--std", "1,1,1"},
        {"--mean", "1,2,3", "--std", "1,1"}, {"--resize", "0"}, {"--resize", "big"}, {"--mean", "1e39,0,0", "--std", "1,1,1"},
        {"--mean", "0,0,0", "--std", "1e-50,1,1"}, {"--mean", "0,0,0", "--std", "1,1e-45,1"}};
    String[] messages = {
        "--mean and --std go together", "--imagenet sets the mean, std and resize itself: give it alone, or give those three instead",
        "--std: 0.0 is not positive", "--mean expects numbers separated by commas (0.485,0.456,0.406), got '1,x,3'",
        "--mean has 3 values and --std 2: one each per channel", "--resize must be a positive number of pixels", "--resize expects a number of pixels, got 'big'",
        "--mean: 1e39 is not a finite float32 number", "--std: 1.0E-50 is not positive (as float32)",
        "--std: 1.0E-45 is too small: 1 / std overflows float32 (the input is divided by it)"};
    for (int i = 0; i < usage.length; i++) {
      String[] args = new String[4 + usage[i].length];
      args[0] = "import";
      args[1] = model;
      args[2] = "-o";
      args[3] = out;
      System.arraycopy(usage[i], 0, args, 4, usage[i].length);
      Object[] r = netc(args);
      assertEquals(2, r[0], Arrays.toString(usage[i]) + ": " + r[2]);
      assertTrue(((String) r[2]).startsWith("netc import: " + messages[i]), Arrays.toString(usage[i]) + ": " + r[2]);
    }
    assertFalse(Files.exists(dir.resolve("m.net")), "nothing written");
  }

  /**
   * The pools fixture imports to the constructs it was made to test: torch's pads (computed by a
   * chain of ONNX nodes) folded into convs as asymmetric padding, or a pad layer before a max pool;
   * ReLU6 and a clamp as clips; both pooling modes.
   */
  @Test
  void poolsImportToClipPadAndPoolingModes() throws IOException {
    Path spec = dir.resolve("pools.net");
    Object[] r = netc("import", fixture("pools.onnx").toString(), "-o", spec.toString());
    assertEquals(0, r[0], (String) r[2]);
    String text = Files.readString(spec);
    for (String line : new String[] {"clip(min = 0.0, max = 6.0)", "maxpool(3, stride = 2, ceil_mode = true)",
        "conv(12, 2, padding = [1, 1, 0, 0])", "clip(min = -0.5, max = 0.5)",
        "avgpool(3, stride = 2, padding = 1, ceil_mode = true, count_include_pad = false)", "conv(12, 3, padding = [0, 0, 1, 1])",
        "pad([1, 0, 0, 1])"}) {
      assertTrue(text.contains(line), line + " in\n" + text);
    }
  }

  @Test
  void summaryAndInspectTakeAnOnnxModel() {
    Object[] r = netc("summary", fixture("misc.onnx").toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).contains("matmul"), (String) r[1]);
    r = netc("inspect", fixture("resnet_bottle.onnx").toString());
    assertEquals(0, r[0], (String) r[2]);
    String inspected = (String) r[1];
    // the passes ran on the imported graph, and its layers trace back to the model's imported spec text
    assertTrue(inspected.contains("\n  fold-batchnorm ") && inspected.contains("\nresnet_bottle: ")
        && inspected.contains(" nodes before the passes, "), inspected);
    assertTrue(inspected.contains("layer1_0_conv1 (conv) at " + fixture("resnet_bottle.onnx") + " (imported):"), inspected);
  }

  /** summary and inspect import as compile does: with --imagenet the input line carries the normalization, and a pass folds it. */
  @Test
  void summaryAndInspectTakeTheInputPreparation() {
    String model = fixture("vgg_tiny.onnx").toString();
    Object[] plain = netc("summary", model), prepared = netc("summary", model, "--imagenet");
    assertEquals(0, prepared[0], (String) prepared[2]);
    assertTrue(((String) plain[1]).contains("\ninput preparation: none stated (tensors are taken as given)\n"), (String) plain[1]);
    assertTrue(((String) prepared[1]).contains("\ninput preparation: shorter side resized to 37, center-cropped to 32x32; normalized with mean"
        + " [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]\n"), (String) prepared[1]);
    Object[] inspected = netc("inspect", model, "--imagenet", "--print-changed");
    assertEquals(0, inspected[0], (String) inspected[2]);
    String folded = ((String) inspected[1]).lines().dropWhile(l -> !l.contains("fold-input-normalization")).skip(1).findFirst().orElse("");
    assertTrue(folded.startsWith("-") || folded.startsWith("+"), "fold-input-normalization changed the graph:\n" + inspected[1]);
  }

  /**
   * --bicubic (torchvision's EfficientNet weights: --imagenet --bicubic): the imported spec's input line says
   * bicubic = true and names the options, the summary names the filter, and the compiled jar's --info does.
   */
  @Test
  void bicubicGoesIntoTheInputLineAndTheJar() throws IOException {
    String model = fixture("vgg_tiny.onnx").toString();
    Path spec = dir.resolve("bicubic.net"), jar = dir.resolve("bicubic.jar");
    Object[] r = netc("import", model, "-o", spec.toString(), "--imagenet", "--bicubic");
    assertEquals(0, r[0], (String) r[2]);
    String input = Files.readString(spec).lines().filter(l -> l.startsWith("input(")).findFirst().orElse("");
    assertTrue(input.startsWith("input(3, 32, 32, resize = 37, bicubic = true, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225])"
        + "  // --imagenet, --bicubic on the command line"), input);
    Object[] summary = netc("summary", model, "--resize", "40", "--bicubic");
    assertEquals(0, summary[0], (String) summary[2]);
    assertTrue(((String) summary[1]).contains("\ninput preparation: shorter side resized to 40 (bicubic), center-cropped to 32x32\n"), (String) summary[1]);
    r = netc("compile", model, "-o", jar.toString(), "--imagenet", "--bicubic");
    assertEquals(0, r[0], (String) r[2]);
    try (CompiledModel m = CompiledModel.load(jar, 1)) {
      assertEquals(netc.runtime.Preprocess.Interpolation.BICUBIC, m.info().preprocess().interpolation());
    }
  }

  @Test
  void anUnsupportedOperatorIsOneMessageAndNoJar() {
    Path jar = dir.resolve("u.jar");
    Object[] r = netc("compile", fixture("unsupported.onnx").toString(), "-o", jar.toString());
    assertEquals(1, r[0]);
    String err = (String) r[2];
    assertTrue(err.startsWith("netc compile: " + fixture("unsupported.onnx") + ": node '/Elu' (Elu) with alpha=1.0: netc does not support this operator; it imports Conv, BatchNormalization,"), err);
    assertEquals(1, err.lines().count(), err);
    assertFalse(Files.exists(jar));
  }

  /**
   * The message stays whole for a model deep in folders (a path of 600 characters): the node, and the list of
   * what netc imports to its end, within a message's 2,000 characters.
   */
  @Test
  void anUnsupportedOperatorsMessageKeepsItsListWholeForALongPath() throws IOException {
    Path deep = dir.resolve("a".repeat(200)).resolve("b".repeat(200)).resolve("c".repeat(150));
    Files.createDirectories(deep);
    Path model = Files.copy(fixture("unsupported.onnx"), deep.resolve("model.onnx"));
    Object[] r = netc("compile", model.toString(), "-o", dir.resolve("u.jar").toString());
    assertEquals(1, r[0]);
    String err = (String) r[2];
    assertTrue(err.startsWith("netc compile: " + model + ": node '/Elu' (Elu) with alpha=1.0: netc does not support this operator; it imports "), err);
    assertTrue(err.endsWith(String.join(", ", netc.onnx.OnnxImporter.SUPPORTED) + " (README.md's \"Commands\" gives each pattern)\n"), err);
    assertFalse(err.contains("characters left out"), err);
  }

  /**
   * The weights' default place (beside the spec) holding a file an import did not write, as torchvision's export of
   * the same base name: refused, that file kept; an import's own file there is replaced (imported again), and any
   * file named with --weights-out is.
   */
  @Test
  void importKeepsWeightsItDidNotWriteBesideTheSpec() throws IOException {
    Path spec = dir.resolve("m.net"), weights = dir.resolve("m.safetensors");
    assertEquals(0, netc("weights", "init", "../examples/smallnet.net", "-o", weights.toString())[0]);
    byte[] theirs = Files.readAllBytes(weights);
    Object[] r = netc("import", fixture("resnet_basic.onnx").toString(), "-o", spec.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc import: writing " + weights + " (the weights' place beside the spec) would replace a file netc import did not write"
        + " (its producer: netc weights init); name the weights' file with --weights-out, or move that one\n", r[2]);
    assertArrayEquals(theirs, Files.readAllBytes(weights), "kept");
    assertFalse(Files.exists(spec), "nothing written");
    Files.writeString(weights, "not weights at all");
    r = netc("import", fixture("resnet_basic.onnx").toString(), "-o", spec.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc import: writing " + weights + " (the weights' place beside the spec) would replace a file not"
        + " known to be an import's (" + weights), (String) r[2]);
    assertEquals("not weights at all", Files.readString(weights), "kept");
    r = netc("import", fixture("resnet_basic.onnx").toString(), "-o", spec.toString(), "--weights-out", weights.toString());
    assertEquals(0, r[0], (String) r[2]);
    r = netc("import", fixture("resnet_basic.onnx").toString(), "-o", spec.toString());
    assertEquals(0, r[0], "an import's own weights are replaced: " + r[2]);
    assertEquals("netc import", Safetensors.read(weights).metadata().get("producer"));
  }

  @Test
  void importNeverOverwritesTheModel() throws IOException {
    Path model = dir.resolve("m.onnx");
    Files.copy(fixture("misc.onnx"), model);
    Object[] r = netc("import", model.toString(), "-o", dir.resolve("m.net").toString(), "--weights-out", model.toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).contains("would overwrite the model being imported"), (String) r[2]);
    assertArrayEquals(Files.readAllBytes(fixture("misc.onnx")), Files.readAllBytes(model));
  }

  /**
   * The reader holds an external data file's bytes once it is read, so an import writing over that file
   * succeeded and left the model without its weights: refused, as the model itself is.
   */
  @Test
  void importNeverOverwritesTheModelsExternalData() throws IOException {
    Path model = Files.write(dir.resolve("m.onnx"), netc.onnx.OnnxBytes.convWithExternalWeight("m.onnx.data"));
    Path data = Files.write(dir.resolve("m.onnx.data"), java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(2f).array());
    byte[] bytes = Files.readAllBytes(data);
    String refusal = " would overwrite the input being read (" + data.toRealPath() + ")\n";
    Object[] r = netc("import", model.toString(), "-o", dir.resolve("m.net").toString(), "--weights-out", data.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc import: writing " + data + refusal, r[2]);
    r = netc("import", model.toString(), "-o", data.toString(), "--weights-out", dir.resolve("w.safetensors").toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc import: writing " + data + refusal, r[2]);
    r = netc("compile", model.toString(), "-o", data.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: writing " + data + refusal, r[2]);
    assertArrayEquals(bytes, Files.readAllBytes(data));
    assertFalse(Files.exists(dir.resolve("m.net")));
    // the model itself imports: the refusal is for the external data alone
    assertEquals(0, netc("import", model.toString(), "-o", dir.resolve("m.net").toString())[0]);
  }

  /** The first complaint: a model not named .onnx was read as a spec ("not a spec file"). */
  @Test
  void aModelIsRecognizedByItsContentToo() throws IOException {
    Path model = dir.resolve("misc.bin");
    Files.copy(fixture("misc.onnx"), model);
    Object[] r = netc("summary", model.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).contains("matmul"), (String) r[1]);
  }

  /** A named pipe given as the model is refused at once: looking into it for ONNX's first byte would wait for a writer forever. */
  @Test
  void aPipeIsRefusedWithoutWaiting() throws Exception {
    Path fifo = dir.resolve("model.pipe");
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo (Linux, macOS)");
    Object[] r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> netc("summary", fifo.toString()));
    assertEquals(1, r[0]);
    assertEquals("netc summary: cannot read spec " + fifo + ": not a regular file (a device or a pipe)\n", r[2]);
  }

  /**
   * The second complaint: {@code --weights model.onnx} was read as safetensors ("header length
   * 8031177557570357000 does not fit the file"). Named .onnx or not (by its first bytes, where a safetensors
   * header length could not fit the file), it is named for what it is, once, and nothing is written.
   */
  @Test
  void anOnnxModelGivenAsWeightsIsNamedSo() throws IOException {
    Path model = fixture("resnet_bottle.onnx"), renamed = dir.resolve("weights.bin"), jar = dir.resolve("w.jar");
    Files.copy(model, renamed);
    for (Path weights : List.of(model, renamed)) {
      Object[] r = netc("compile", "../examples/smallnet.net", "--weights", weights.toString(), "-o", jar.toString());
      assertEquals(1, r[0], (String) r[2]);
      assertEquals("netc compile: " + weights + " is an ONNX model, not a safetensors file of weights: a model carries its own weights, so give"
          + " it where the spec goes (netc compile " + weights + " -o M.jar) and leave out --weights\n", r[2]);
      assertFalse(Files.exists(jar));
    }
  }

  /** run without --reference asks for it, and calls an ONNX model a model (it said "a spec"). */
  @Test
  void runWithoutReferenceNamesTheModelForWhatItIs() {
    Object[] r = netc("run", fixture("misc.onnx").toString(), "--input", "x.npy", "--output", dir.resolve("y.npy").toString());
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).contains("give --reference to evaluate a model with the reference interpreter (or give a compiled .jar)"), (String) r[2]);
    r = netc("run", "../examples/smallnet.net", "--input", "x.npy", "--output", dir.resolve("y.npy").toString());
    assertEquals(2, r[0], (String) r[2]);
    assertTrue(((String) r[2]).contains("give --reference to evaluate a spec with the reference interpreter"), (String) r[2]);
  }

  /** A safetensors file whose header length's first byte is ONNX's first byte (8) is still weights: its header fits the file. */
  @Test
  void safetensorsStartingWithTheByteEightIsNotTakenForAModel() throws IOException {
    Path weights = dir.resolve("w.safetensors");
    String header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}" + " ".repeat(264 - 54);
    java.nio.ByteBuffer file = java.nio.ByteBuffer.allocate(8 + 264 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    file.putLong(264).put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putFloat(1f);
    Files.write(weights, file.array());
    assertEquals(8, Files.readAllBytes(weights)[0]);
    assertFalse(netc.onnx.ModelSource.isOnnxNotWeights(weights));
    assertEquals(1f, Safetensors.read(weights).floats("t")[0]);
    assertTrue(netc.onnx.ModelSource.isOnnxNotWeights(fixture("misc.onnx")));
    // a mistyped name is missing, not a model
    Object[] r = netc("compile", "../examples/smallnet.net", "--weights", dir.resolve("typo.onnx").toString(), "-o", dir.resolve("t.jar").toString());
    assertEquals(1, r[0], (String) r[2]);
    assertTrue(((String) r[2]).contains("typo.onnx") && !((String) r[2]).contains("is an ONNX model"), (String) r[2]);
  }

  @Test
  void importRefusesWhatIsNotOnnx() {
    Object[] r = netc("import", "../examples/resnet18.net", "-o", dir.resolve("x.net").toString());
    assertEquals(2, r[0]);
    assertTrue(((String) r[2]).contains("expects an ONNX model"), (String) r[2]);
  }

  private Tensor run(String model, Path input, String... extra) throws IOException {
    return runIn(dir, model, input, extra);
  }

  /** `netc run MODEL --input X` (and {@code extra}), its output read back; the exit status must be 0. */
  static Tensor runIn(Path dir, String model, Path input, String... extra) throws IOException {
    Path y = dir.resolve("y" + System.nanoTime() + ".npy");
    String[] args = {"run", model, "--input", input.toString(), "--output", y.toString()};
    String[] all = Arrays.copyOf(args, args.length + extra.length);
    System.arraycopy(extra, 0, all, args.length, extra.length);
    Object[] r = netc(all);
    assertEquals(0, r[0], (String) r[2]);
    return Npy.read(y);
  }

  /** {@code actual} against torch's committed {@code model + logits}, within {@link #TOLERANCE} of the largest logit. */
  static void assertMatches(String model, String logits, Tensor actual) {
    Tensor expected = Npy.read(fixture(model + logits));
    assertArrayEquals(expected.shape(), actual.shape());
    double err = actual.maxAbsDiff(expected), scale = expected.maxAbs();
    // an infinite torch logit would make every error pass under an infinite scale
    assertTrue(Double.isFinite(scale) && scale > 0, model + logits + ": torch's logits are not finite numbers, or all zero: " + scale);
    assertTrue(err <= TOLERANCE * scale, model + logits + ": max error " + err + " vs max|logit| " + scale);
  }
}
