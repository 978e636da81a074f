package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import netc.ast.SpecLoader;
import netc.codegen.ModelCompiler;
import netc.codegen.SpecCompiler;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TwoModels on two thin model jars compiled here from examples/: the trained digits model and a small
 * ResNet-18 (width 8, 64x64, synthetic weights), loaded by path in one JVM, against the reference interpreter.
 */
class TwoModelsTest {
  static final Path EXAMPLES = Path.of("..");

  /** The small ResNet-18: the same network as torchvision's, narrower and smaller, so it compiles in seconds. */
  static final Map<String, String> RESNET_DEFINES = Map.of("width", "8", "size", "64");

  /**
   * Outputs against the interpreter: 1e-4 of the largest |output|. The compiled code reorders the float
   * sums (batch norm folded, blocked layouts, FMAs), which moves outputs by rounding only; a wrong weight,
   * or the other model's, moves them by far more.
   */
  static final double TOLERANCE = 1e-4;

  /** Images per input: a batch, so a per-image mix-up would show. */
  static final int BATCH = 3;

  @TempDir static Path dir;
  static Path digitsJar, resnetJar, digitsInput, resnetInput;

  @BeforeAll
  static void compileTheJars() throws Exception {
    digitsJar = thinJar("digits.net", Map.of(), EXAMPLES.resolve("../weights/digits/digits.safetensors"), "digits.jar");
    resnetJar = thinJar("resnet18.net", RESNET_DEFINES, null, "r18.jar");
    digitsInput = dir.resolve("digits.npy");
    Npy.write(digitsInput, Tensor.uniform(11, BATCH, 1, 32, 32));
    resnetInput = dir.resolve("r18.npy");
    Npy.write(resnetInput, Tensor.uniform(12, BATCH, 3, 64, 64));
  }

  /** netc compile SPEC -D... -o FILE --thin, in process. */
  static Path thinJar(String spec, Map<String, String> defines, Path weights, String file) throws Exception {
    Path classes = Files.createDirectories(dir.resolve(file + ".d"));
    SpecCompiler.compile(new SpecCompiler.Request(EXAMPLES.resolve(spec), List.of(), defines, weights, null, PassContext.defaults()),
        classes, new SpecCompiler.Listener() {});
    Path jar = dir.resolve(file);
    ModelCompiler.writeJar(classes, jar, false);
    return jar;
  }

  /** The reference interpreter on the spec's graph, with the weights the jar was compiled with. */
  static Tensor reference(String spec, Map<String, String> defines, Path weights, Tensor x) {
    Graph g = GraphBuilder.build(SpecLoader.load(EXAMPLES.resolve(spec)), defines);
    ParamSource params = SpecCompiler.params(g, weights, new SpecCompiler.Listener() {});
    return Interpreter.run(g, params, x);
  }

  @Test
  void bothModelsLoadedByPathComputeWhatTheInterpreterDoes() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<TwoModels.Output> got = TwoModels.outputs(List.of(digitsJar, resnetJar), List.of(digitsInput, resnetInput),
        new PrintStream(log, true, StandardCharsets.UTF_8));
    assertClose("digits", reference("digits.net", Map.of(), EXAMPLES.resolve("../weights/digits/digits.safetensors"), Npy.read(digitsInput)),
        got.get(0).values());
    assertClose("resnet18", reference("resnet18.net", RESNET_DEFINES, null, Npy.read(resnetInput)), got.get(1).values());
    assertFalse(got.get(0).probabilities() || got.get(1).probabilities(), "neither network ends in softmax: logits, ranked by their softmax");
    assertEquals("digits.jar: model digits, input [N, 1, 32, 32]\nr18.jar: model resnet18, input [N, 3, 64, 64]\n",
        log.toString(StandardCharsets.UTF_8));
  }

  @Test
  void printsEachModelsTopClassAsTheInterpreterRanksThem() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status = TwoModels.run(new String[] {digitsJar.toString(), digitsInput.toString(), resnetJar.toString(), resnetInput.toString()},
        new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, status);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2 + 2 * BATCH, lines.size(), lines.toString());
    Tensor digits = reference("digits.net", Map.of(), EXAMPLES.resolve("../weights/digits/digits.safetensors"), Npy.read(digitsInput));
    Tensor resnet = reference("resnet18.net", RESNET_DEFINES, null, Npy.read(resnetInput));
    for (int i = 0; i < BATCH; i++) {
      assertTrue(lines.get(2 + i).startsWith("digits.jar image " + i + ": class " + argmax(digits, i) + " "), lines.get(2 + i));
      assertTrue(lines.get(2 + BATCH + i).startsWith("r18.jar image " + i + ": class " + argmax(resnet, i) + " "), lines.get(2 + BATCH + i));
    }
  }

  /**
   * A model whose network ends in softmax gives probabilities: each image's top class is printed with its own
   * output, not a second softmax of the outputs (which kept the class and flattened 0.9 towards 1 / classes).
   */
  @Test
  void probabilitiesAreReportedAsTheModelGivesThem() throws Exception {
    Path small = thinJar("smallnet.net", Map.of(), null, "small.jar"), input = dir.resolve("small.npy");
    Npy.write(input, Tensor.uniform(14, BATCH, 3, 32, 32));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status = TwoModels.run(new String[] {small.toString(), input.toString(), small.toString(), input.toString()},
        new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, status);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    Tensor p = reference("smallnet.net", Map.of(), null, Npy.read(input)); // softmax outputs, summing to 1 an image
    int classes = p.shape()[1];
    for (int i = 0; i < BATCH; i++) {
      float best = p.data()[i * classes + argmax(p, i)];
      assertEquals("small.jar image " + i + ": class " + argmax(p, i) + " " + String.format(java.util.Locale.ROOT, "%.3f", best), lines.get(2 + i));
    }
  }

  @Test
  void anInputOfTheOtherModelsShapeIsNamed() {
    BadInputException e = assertThrows(BadInputException.class,
        () -> TwoModels.outputs(List.of(digitsJar, resnetJar), List.of(resnetInput, digitsInput), new PrintStream(new ByteArrayOutputStream())));
    assertEquals(resnetInput + ": tensor has shape [3, 3, 64, 64], model digits expects [N, 1, 32, 32]", e.getMessage());
  }

  /** A model whose output is a map has no classes: refused by name, where its positions were printed as classes. */
  @Test
  void aModelThatGivesAMapIsRefused() throws Exception {
    Path spec = Files.writeString(dir.resolve("map.net"), "input(1, 32, 32)\nc: conv(4, 3, padding = 1)\n");
    Path map = thinJar(spec.toString(), Map.of(), null, "map.jar");
    BadInputException e = assertThrows(BadInputException.class,
        () -> TwoModels.outputs(List.of(digitsJar, map), List.of(digitsInput, digitsInput), new PrintStream(new ByteArrayOutputStream())));
    assertEquals(map + ": the model gives [4, 32, 32] an image, not one score per class: TwoModels prints top classes", e.getMessage());
  }

  @Test
  void aWrongArgumentCountIsAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(2, TwoModels.run(new String[] {digitsJar.toString()}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("usage: TwoModels A.jar A.npy B.jar B.npy"), "the usage on the err stream given");
  }

  /** An input holding NaN is named, with its place: its logits had no ranking, a stack trace from Prediction.topK. */
  @Test
  void anInputHoldingNaNIsNamed() throws Exception {
    Tensor x = Tensor.uniform(13, 2, 1, 32, 32);
    x.data()[1024 + 5] = Float.NaN;
    Path nan = dir.resolve("nan.npy");
    Npy.write(nan, x);
    String why = nan + ": the value at [1, 0, 0, 5] is NaN: a network's input must be finite numbers";
    BadInputException e = assertThrows(BadInputException.class, () -> TwoModels.outputs(List.of(digitsJar), List.of(nan), new PrintStream(new ByteArrayOutputStream())));
    assertEquals(why, e.getMessage());
    assertCliRefuses("two-models: " + why, digitsJar, nan);
  }

  /**
   * Values so large the network overflows (finite, 3e38) give outputs of infinity or NaN, which the runtime
   * refuses as an IllegalArgumentException: one line naming the file and the image, status 1, not a stack trace.
   */
  @Test
  void logitsTheNetworkOverflowedAreOneLine() throws Exception {
    Tensor x = Tensor.uniform(14, 2, 1, 32, 32);
    java.util.Arrays.fill(x.data(), 0, 1024, 3e38f); // image 0
    Path huge = dir.resolve("huge.npy");
    Npy.write(huge, x);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = TwoModels.cli(new String[] {digitsJar.toString(), huge.toString(), digitsJar.toString(), digitsInput.toString()},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    String line = err.toString(StandardCharsets.UTF_8);
    assertTrue(line.startsWith("two-models: " + huge + ": output ") && line.contains(" of image 0 is ")
        && line.endsWith(": the network's float32 arithmetic overflowed, or divided by zero, on that image (its largest |value| is 3.0E38)"
            + System.lineSeparator()) && line.lines().count() == 1, line);
    assertEquals(1, status);
  }

  /** TwoModels as main runs it on one model and input, twice: status 1 and exactly {@code line} on standard error. */
  static void assertCliRefuses(String line, Path jar, Path input) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = TwoModels.cli(new String[] {jar.toString(), input.toString(), jar.toString(), input.toString()}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(line + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    assertEquals(1, status);
  }

  static void assertClose(String model, Tensor want, Tensor got) {
    assertEquals(List.of(want.shape()[0], want.shape()[1]), List.of(got.shape()[0], got.shape()[1]), model + ": output shape");
    double err = 0, scale = 0;
    for (int i = 0; i < want.data().length; i++) {
      err = Math.max(err, Math.abs(got.data()[i] - want.data()[i]));
      scale = Math.max(scale, Math.abs(want.data()[i]));
    }
    assertTrue(scale > 0, model + ": the reference output is all zeros, the comparison would prove nothing");
    assertTrue(err <= TOLERANCE * scale, model + ": max |netc - interpreter| " + err + " vs max |y| " + scale);
  }

  static int argmax(Tensor y, int image) {
    int classes = y.shape()[1], best = 0;
    for (int j = 1; j < classes; j++) if (y.data()[image * classes + j] > y.data()[image * classes + best]) best = j;
    return best;
  }
}
