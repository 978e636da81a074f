package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled jar's entry point on a call that mixes good and bad files: each good file gets its
 * answer, each bad one a single error line naming it, and the exit status is 1. The model is a
 * tiny hand-written one (its logits are the input's channel means), served to Main through a
 * class loader, so these tests need no compiler.
 */
class MainTest {
  @TempDir Path dir;

  @AfterEach
  void clearLimits() {
    System.clearProperty(ImageLimits.MAX_PIXELS_PROPERTY);
  }

  /** A model of [3, 8, 8] to 4 logits: the three channel means, and 0. */
  public static class TinyModel extends OneStepModel {
    public TinyModel(java.util.Properties p, int threads) {
      this(p, threads, "means");
    }

    TinyModel(java.util.Properties p, int threads, String name) {
      super(p, threads, name, new Sizes(3, 8, 8, 4, 4, 0));
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      for (int c = 0; c < 3; c++) {
        float sum = 0;
        for (int i = 0; i < 64; i++) sum += ws.input[ws.inputBase + c * 64 + i];
        ws.arena[c] = sum / 64;
      }
      ws.arena[3] = 0;
    }
  }

  /** A model of 3 x 6 x 8 inputs (not square: netc's image preparation, which crops a square, does not apply). */
  public static final class WideModel extends OneStepModel {
    public WideModel(java.util.Properties p, int threads) {
      super(p, threads, "wide", new Sizes(3, 6, 8, 4, 4, 0));
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      for (int i = 0; i < 4; i++) ws.arena[i] = ws.input[ws.inputBase + i];
    }
  }

  /**
   * A normalizing model of non-square inputs has no image preparation (info's preprocess is null) but checks its
   * inputs all the same: the check hung on the preparation, so a tensor normalized twice went by without a word.
   * A model without labels names its classes "class i" without holding a string for each (a map's millions).
   */
  @Test
  void aNonSquareNormalizingModelChecksItsPixelsAndUnlabelledClassesCostNothing() {
    String props = String.join("\n", "class=" + WideModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,6,8",
        "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=wide", "name=wide",
        "input.mean=0.5,0.5,0.5", "input.std=0.25,0.25,0.25");
    try (CompiledModel m = CompiledModel.load(fakeModelLoader("wide", props), 1)) {
      assertEquals(null, m.info().preprocess());
      assertTrue(m.checksPixels(), "a normalizing model checks its inputs, square or not");
      // and warns with the normalization from its properties (reading it from the image preparation threw a NullPointerException)
      float[] twice = new float[3 * 6 * 8];
      java.util.Arrays.fill(twice, 2.5f);
      java.io.PrintStream err = System.err;
      java.io.ByteArrayOutputStream said = new java.io.ByteArrayOutputStream();
      System.setErr(new java.io.PrintStream(said, true, java.nio.charset.StandardCharsets.UTF_8));
      try {
        m.predict(twice, 1, new float[4]);
      } finally {
        System.setErr(err);
      }
      assertEquals("warning: input value 2.5 at [0, 0, 0, 0] is far outside [0, 1]: the model wide normalizes its input itself (mean [0.5, 0.5,"
          + " 0.5], std [0.25, 0.25, 0.25]); is the input normalized twice? Pass pixels scaled to [0, 1]. Said once per model;"
          + " -Dnetc.input.pixelCheck=false silences it", said.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
      assertEquals(List.of("class 0", "class 1", "class 2", "class 3"), m.info().labels());
      // a null array is refused by its name, as the other argument checks are
      var thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.predict(null, 1, new float[4]));
      assertEquals("input: null", thrown.getMessage());
      thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.predictNhwc(new float[144], 1, null));
      assertEquals("output: null", thrown.getMessage());
      thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.topK(null, 0, 1));
      assertEquals("outputs: null", thrown.getMessage());
      thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.predict((Tensor) null));
      assertEquals("batch: null", thrown.getMessage());
      thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.closeWithin(null));
      assertEquals("timeout: null", thrown.getMessage());
    }
    var format = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Yuv.frameBytes(null, 4, 4, "cam"));
    assertEquals("format: null (i420, nv12, nv21 or yuyv; with -full after it for full range)", format.getMessage());
    try (CompiledModel m = CompiledModel.load(fakeModelLoader("tiny", props.replace(WideModel.class.getName(), TinyModel.class.getName())
        .replace("input.shape=3,6,8", "input.shape=3,8,8").replace("\ninput.mean=0.5,0.5,0.5\ninput.std=0.25,0.25,0.25", "")), 1)) {
      assertFalse(m.checksPixels(), "a model that does not normalize does not");
    }
    List<String> many = new CompiledModel.ClassNames(5_678_400);
    assertEquals(5_678_400, many.size());
    assertEquals("class 5678399", many.get(5_678_399));
    assertEquals("[class 0, class 1, ..., class 5678399] (5678400 names)", many.toString());
    org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> many.get(5_678_400));
    // a jar's labels likewise: a ModelInfo in a log line printed ImageNet's thousand whole (11,896 characters)
    List<String> imagenet = new CompiledModel.Labelled(java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "label " + i).toList());
    assertEquals("[label 0, label 1, ..., label 999] (1000 names)", imagenet.toString());
    assertEquals("label 500", imagenet.get(500));
    List<String> hundred = new CompiledModel.Labelled(java.util.stream.IntStream.range(0, 100).mapToObj(i -> "l" + i).toList());
    assertEquals(hundred.stream().toList().toString(), hundred.toString(), "up to 100 shown whole");
    org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> imagenet.set(0, "x"));
  }

  /** TinyModel's logits, but the last is 1 / the red mean: infinite for an image without red. */
  public static final class ReciprocalModel extends TinyModel {
    public ReciprocalModel(java.util.Properties p, int threads) {
      super(p, threads, "reciprocal");
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      super.runStep(step, ws, from, to);
      ws.arena[3] = 1 / ws.arena[0];
    }
  }

  record Run(int status, List<String> out, List<String> err) {}

  static Run run(String... args) {
    List<String> all = new ArrayList<>(List.of("--threads", "1", "--top", "2"));
    all.addAll(Arrays.asList(args));
    return bare(all.toArray(String[]::new));
  }

  /** As {@link #run}, without the --threads and --top it adds. */
  static Run bare(String... args) {
    return bare(TinyModel.class, args);
  }

  /** As {@link #bare(String...)}, with {@code model} as the model's class. */
  static Run bare(Class<? extends CompiledModel> model, String... args) {
    return bareWith(model, "", args);
  }

  /** As {@link #bare(Class, String...)}, with {@code moreProperties} (lines) in its model.properties. */
  static Run bareWith(Class<? extends CompiledModel> model, String moreProperties, String... args) {
    String props = String.join("\n", "class=" + model.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,8,8",
        "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=tiny", "name=tiny",
        moreProperties);
    ClassLoader loader = fakeModelLoader("tiny", props);
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), loader);
    return new Run(status, out.toString(StandardCharsets.UTF_8).lines().toList(), err.toString(StandardCharsets.UTF_8).lines().toList());
  }

  /**
   * A model whose output is a map ([1, 2, 2] here) is run on tensors, its .npy of that shape ([N, 1, 2, 2], as netc
   * run --reference writes it, not [N, 4]); images are refused for the call, where top-k ranked its positions as
   * classes.
   */
  @Test
  void aModelThatGivesAMapWritesItsShapeAndRanksNoPositions() throws IOException {
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
    netc.runtime.io.Npy.write(x, Tensor.uniform(1, 2, 3, 8, 8));
    Run r = bareWith(TinyModel.class, "output.shape=1,2,2", "--threads", "1", "--input", x.toString(), "--output", y.toString());
    assertEquals(0, r.status(), r.err().toString());
    assertArrayEquals(new int[] {2, 1, 2, 2}, netc.runtime.io.Npy.read(y).shape());
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    r = bareWith(TinyModel.class, "output.shape=1,2,2", "--threads", "1", good.toString());
    assertEquals(2, r.status());
    assertEquals(List.of("error: the model gives [1, 2, 2] an image, not one score per class: run it on tensors, --input X.npy --output Y.npy"),
        r.err());
    assertEquals(List.of(), r.out());
    // scores of shape [4, 1, 1] are one per class: ranked
    assertEquals(0, bareWith(TinyModel.class, "output.shape=4,1,1", "--threads", "1", good.toString()).status());
  }

  /**
   * The answers' lines parse whatever the input's names and the locale: a name's newline is escaped (it made a
   * fake result line), the percentages use a point (12,34% in a German locale); "--" ends the options, so a
   * file named like one is a file.
   */
  @Test
  void answersStayOneLineEachWithAPointAndDashDashEndsTheOptions() throws IOException {
    Path odd = Files.write(dir.resolve("x.png\n  99.99%  tabby"), TestImages.png(TestImages.picture(40, 30)));
    Path dashed = Files.write(dir.resolve("--top"), TestImages.png(TestImages.picture(40, 30)));
    java.util.Locale before = java.util.Locale.getDefault(java.util.Locale.Category.FORMAT);
    Run r;
    try {
      java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, java.util.Locale.GERMANY);
      r = run("--time", "--", odd.toString(), dashed.toString());
    } finally {
      java.util.Locale.setDefault(java.util.Locale.Category.FORMAT, before);
    }
    assertEquals(0, r.status(), r.err().toString());
    assertEquals(6, r.out().size(), r.out().toString());
    assertTrue(r.out().get(0).matches(java.util.regex.Pattern.quote(dir + "/x.png\\n  99.99%  tabby") + " \\(\\d+\\.\\d ms\\):"), r.out().get(0));
    assertTrue(r.out().get(3).startsWith(dashed + " ("), r.out().get(3));
    for (int i : new int[] {1, 2, 4, 5}) assertTrue(r.out().get(i).matches("\\s+\\d+\\.\\d\\d%  class \\d"), r.out().get(i));
    // after "--", a word spelled as an option is a file: "--top" is looked for, not read as --top without its value
    r = bare("--threads", "1", "--", "--top");
    assertEquals(1, r.status(), r.err().toString());
    assertEquals(List.of("error: --top: no such file"), r.err());
    assertEquals(2, bare("--threads", "1", "--top").status(), "without it, an option missing its value");
  }

  /** Only what breaks a line is escaped in an answer: a label's zero-width joiner or a long path stays as it is. */
  @Test
  void answersEscapeOnlyWhatBreaksALine() throws IOException {
    // a path of 2,400 characters (error messages keep 2,000) is the header as it is
    Path deep = dir;
    for (int i = 0; i < 12; i++) deep = deep.resolve("d".repeat(200));
    Path image = Files.write(Files.createDirectories(deep).resolve("x\u200c.png"), TestImages.png(TestImages.picture(40, 30)));
    Run r = run(image.toString());
    assertEquals(0, r.status(), r.err().toString());
    assertEquals(image + ":", r.out().get(0));
    assertEquals("a\\nb\\x1b[31m\\u2028c", Main.oneLine("a\nb\u001b[31m\u2028c"));
    String persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", longPath = "/x".repeat(3000);
    assertEquals(persian, Main.oneLine(persian));
    assertEquals(longPath, Main.oneLine(longPath));
  }

  /** A standard output that fails (a full disk, a closed pipe) stops the call with one line and exit 1: PrintStream kept it quiet, exit 0. */
  @Test
  void aFailingStandardOutputStopsTheCall() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    PrintStream full = new PrintStream(new java.io.OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }
    }, true, StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String props = String.join("\n", "class=" + TinyModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,8,8",
        "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=tiny", "name=tiny");
    // the second file is missing: an error line for it would show the call went on after the failed write
    int status = Main.run(new String[] {"--threads", "1", good.toString(), dir.resolve("missing.png").toString()}, full,
        new PrintStream(err, true, StandardCharsets.UTF_8), fakeModelLoader("tiny", props));
    assertEquals(1, status);
    assertEquals(List.of(Main.STDOUT_FAILED), err.toString(StandardCharsets.UTF_8).lines().toList());
    // --info and --help print and stop: the same (they returned 0)
    for (String option : List.of("--info", "--help")) {
      err.reset();
      assertEquals(1, Main.run(new String[] {"--threads", "1", option}, full, new PrintStream(err, true, StandardCharsets.UTF_8),
          fakeModelLoader("tiny", props)), option);
      assertEquals(List.of(Main.STDOUT_FAILED), err.toString(StandardCharsets.UTF_8).lines().toList(), option);
    }
  }

  /** A class loader on which one model, {@code name}, is declared, with these properties (and the test's classes). */
  static ClassLoader fakeModelLoader(String name, String props) {
    return fakeModelLoader(name, props, name + "\n");
  }

  /** As {@link #fakeModelLoader(String, String)}, the marker holding {@code marker}. */
  static ClassLoader fakeModelLoader(String name, String props, String marker) {
    try {
      Path root = Files.createTempDirectory("netc-fake-model");
      Files.createDirectories(root.resolve("META-INF/netc"));
      Files.writeString(root.resolve("META-INF/netc/model"), marker);
      Path folder = Files.createDirectories(root.resolve("netc/models/" + name));
      Files.writeString(folder.resolve("model.properties"), props);
      // deleted at exit in the reverse order of registration, so a walk that meets each folder before its files leaves nothing
      try (var all = Files.walk(root)) {
        all.forEach(p -> p.toFile().deleteOnExit());
      }
      return new java.net.URLClassLoader(new java.net.URL[] {root.toUri().toURL()}, MainTest.class.getClassLoader());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void assertNoTrace(Run r) {
    for (String line : r.err()) {
      assertFalse(line.contains("Exception") || line.contains("internal error") || line.startsWith("\tat "), "a clean error line: " + line);
    }
  }

  /** A jar whose marker or properties were damaged is one error line naming what is wrong, never a stack trace. */
  @Test
  void aDamagedJarIsOneErrorLine() {
    String props = String.join("\n", "class=" + TinyModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,8,8",
        "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=tiny", "name=tiny");
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    ClassLoader badName = fakeModelLoader("tiny", props, "ResNet50\n");
    int status = Main.run(new String[] {"--info"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        badName);
    assertEquals(1, status);
    List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).matches("error: .*META-INF/netc/model: damaged: declares a model named \"ResNet50\", and a model's name is"
        + " lower-case letters, digits and _"), lines.get(0));

    // a marker past its bound is refused whole, not read up to the bound (a name cut there would be another name)
    err.reset();
    ClassLoader longMarker = fakeModelLoader("tiny", props, "tiny\n" + "a".repeat(65536 - 5) + "bc\n");
    status = Main.run(new String[] {"--info"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        longMarker);
    assertEquals(1, status);
    lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).matches("error: .*META-INF/netc/model: damaged: more than 65536 bytes of model names"), lines.get(0));

    err.reset();
    ClassLoader shortShape = fakeModelLoader("tiny", props.replace("input.shape=3,8,8", "input.shape=3,8"), "tiny\n");
    status = Main.run(new String[] {"--info"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        shortShape);
    assertEquals(1, status);
    lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines.toString());
    assertEquals("error: the compiled model tiny is damaged: its model.properties gives input.shape=3,8, and it must be an image's channels,"
        + " height and width: three sizes of at least 1, whose product a Java array holds", lines.get(0));
  }

  /**
   * Numbers of a damaged model.properties that parse but cannot be the compiler's are refused at load, naming
   * the model, the property and the value: they loaded, and failed every call (input.shape=0,0,0 with a division
   * by zero, arena.floats=-1 with a negative array size, on a worker maybe), or read part of the input (four
   * input sizes). No pool is started for the refused model.
   */
  @Test
  void outOfRangePropertiesAreRefusedAtLoad() {
    String props = String.join("\n", "class=" + TinyModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,8,8",
        "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=tiny", "name=tiny");
    String shape = "an image's channels, height and width: three sizes of at least 1, whose product a Java array holds";
    String[][] cases = {
        {"input.shape=3,8,8", "input.shape=0,0,0", "input.shape=0,0,0, and it must be " + shape},
        {"input.shape=3,8,8", "input.shape=3,8,-8", "input.shape=3,8,-8, and it must be " + shape},
        {"input.shape=3,8,8", "input.shape=1,3,8,8", "input.shape=1,3,8,8, and it must be " + shape},
        {"input.shape=3,8,8", "input.shape=3,65536,65536", "input.shape=3,65536,65536, and it must be " + shape},
        {"arena.floats=4", "arena.floats=-1", "arena.floats=-1, and it must be a workspace's floats: 1 to 2147483639"},
        {"arena.floats=4", "arena.floats=0", "arena.floats=0, and it must be a workspace's floats: 1 to 2147483639"},
        {"output.size=4", "output.size=0", "output.size=0, and it must be an image's outputs, which its workspace holds: 1 to arena.floats (4)"},
        {"output.size=4", "output.size=5", "output.size=5, and it must be an image's outputs, which its workspace holds: 1 to arena.floats (4)"},
        {"weights.floats=0", "weights.floats=-1", "weights.floats=-1, and it must be 0 to 2147483639"},
        {"name=tiny", "name=tiny\noutput.shape=2,3", "output.shape=2,3, and it must be an image's output: sizes of at least 1 whose product is"
            + " output.size (4)"},
        {"name=tiny", "name=tiny\noutput.shape=4,0", "output.shape=4,0, and it must be an image's output: sizes of at least 1 whose product is"
            + " output.size (4)"},
        {"name=tiny", "name=tiny\npreprocess.resize=0", "preprocess.resize=0, and it must be at least the input's height and width (8, 8)"},
        {"name=tiny", "name=tiny\npreprocess.interpolation=lanczos", "preprocess.interpolation=lanczos, and it must be bilinear or bicubic"},
        {"name=tiny", "name=tiny\ninput.mean=0.5,0.5", "input.mean=0.5,0.5, and it must be one value per channel (3)"},
        {"name=tiny", "name=tiny\ninput.mean=0.5,0.5,0.5", "no input.std, and it must be one value per channel, as input.mean (3 values)"},
        {"name=tiny", "name=tiny\ninput.mean=0.5,0.5,0.5\ninput.std=1,0,1", "input.std=1,0,1, and it must be positive finite values"},
        {"name=tiny", "name=tiny\ninput.mean=0.5,NaN,0.5\ninput.std=1,1,1", "input.mean=0.5,NaN,0.5, and it must be finite values"},
    };
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    for (String[] c : cases) {
      ClassLoader damaged = fakeModelLoader("tiny", props.replace(c[0], c[1]));
      BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(BadInputException.class, () -> CompiledModel.load(damaged, 13), c[1]);
      assertEquals("the compiled model tiny is damaged: its model.properties gives " + c[2], e.getMessage());
    }
    assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> !before.contains(t) && t.getName().startsWith(ThreadPool.WORKER_NAME_PREFIX)),
        "a refused load started a pool's workers");
    try (CompiledModel m = CompiledModel.load(fakeModelLoader("tiny", props + "\noutput.shape=4\npreprocess.resize=8\ninput.mean=0.5,0.5,0.5"
        + "\ninput.std=0.25,0.25,0.25"), 1)) {
      assertEquals(List.of(4), m.info().outputShape(), "the properties as the compiler writes them load");
    }
  }

  /**
   * A NaN or an infinity in the input is refused naming its place, by predict and predictNhwc, for a model that
   * normalizes its input and one that does not: it gave NaN outputs, with a warning once per normalizing model only.
   */
  @Test
  void aNonFiniteInputIsRefusedByPlace() {
    String props = String.join("\n", "class=" + TinyModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,8,8",
        "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=tiny", "name=tiny");
    for (String normalizing : List.of("", "\ninput.mean=0.5,0.5,0.5\ninput.std=0.25,0.25,0.25")) {
      try (CompiledModel m = CompiledModel.load(fakeModelLoader("tiny", props + normalizing), 1)) {
        float[] x = new float[2 * 3 * 8 * 8], out = new float[2 * 4];
        m.predict(x, 2, out);
        x[192 + 64 + 2 * 8 + 3] = Float.NaN; // image 1, channel 1, row 2, column 3
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(x, 2, out));
        assertEquals("input value NaN at [1, 1, 2, 3] (image, channel, row, column): the outputs it reaches would be NaN or infinite; give"
            + " finite values", e.getMessage());
        float[] nhwc = new float[2 * 8 * 8 * 3];
        nhwc[192 + (2 * 8 + 3) * 3 + 1] = Float.NEGATIVE_INFINITY; // the same place, NHWC
        e = assertThrows(IllegalArgumentException.class, () -> m.predictNhwc(nhwc, 2, out));
        assertTrue(e.getMessage().startsWith("input value -Infinity at [1, 1, 2, 3] "), e.getMessage());
      }
    }
  }

  /** The note for images given to an imported model that declares no normalization, and only then. */
  @Test
  void imagesGivenToAnUnnormalizedImportGetANote() {
    List<Double> none = List.of(), mean = List.of(0.485, 0.456, 0.406), std = List.of(0.229, 0.224, 0.225);
    ModelInfo.Preprocessing plain = new ModelInfo.Preprocessing(256, 224, none, none), normalized = new ModelInfo.Preprocessing(256, 224, mean, std);
    assertEquals("note: this model, imported from m/resnet50.onnx, declares no input normalization, so images reach it as pixels in [0, 1];"
        + " a classifier exported from torchvision expects ImageNet's (netc compile m/resnet50.onnx --imagenet -o OUT.jar)",
        Main.unnormalizedImport(info("m/resnet50.onnx", plain)));
    assertEquals(null, Main.unnormalizedImport(info("m/resnet50.onnx", normalized)), "compiled with --imagenet");
    assertEquals(null, Main.unnormalizedImport(info("examples/digits.net", plain)), "a spec says what it takes");
    assertEquals(null, Main.unnormalizedImport(info("m/mono.ONNX", null)), "not an image model");
  }

  private static ModelInfo info(String spec, ModelInfo.Preprocessing pre) {
    return new ModelInfo("m", "m", spec, "input", List.of(3, 224, 224), List.of(1000), List.of(), pre, "0.1.0", "vector-256", false, false);
  }

  @Test
  void aMixedCallOfImagesAnswersTheGoodOnesAndExitsWith1() throws IOException {
    byte[] jpeg = TestImages.jpeg(TestImages.picture(400, 300), false);
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(400, 300)));
    Path cut = Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpeg, 700));
    Path missing = dir.resolve("missing.png");
    Path whole = Files.write(dir.resolve("whole.jpg"), jpeg);
    Path huge = Files.write(dir.resolve("huge.png"), BadImageTest.pngOfSize(60_000, 60_000));
    Path strip = Files.write(dir.resolve("strip.png"), TestImages.png(TestImages.picture(1, 30_000)));
    Run r = run(good.toString(), cut.toString(), missing.toString(), whole.toString(), huge.toString(), strip.toString());
    assertEquals(1, r.status(), "a failed input makes the exit status 1");
    assertEquals(List.of(good + ":", whole + ":", strip + ":"), r.out().stream().filter(l -> l.endsWith(":")).toList(), "the good files' answers, in order");
    assertEquals(3 * 3, r.out().size(), "a header and two classes per good file:\n" + r.out());
    assertTrue(r.out().stream().filter(l -> !l.endsWith(":")).allMatch(l -> l.matches("\\s+\\d+\\.\\d\\d%  class \\d")), r.out().toString());
    assertEquals(List.of(
        "error: " + cut + ": cannot decode image (truncated JPEG: the data ends before the end-of-image marker)",
        "error: " + missing + ": no such file",
        "error: " + huge + ": image of 60000x60000 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)"), r.err());
  }

  @Test
  void aMixedCallOfFramesAnswersTheGoodOnesAndExitsWith1() throws IOException {
    Path good = Files.write(dir.resolve("good.yuv"), YuvTest.encode("nv12", 8, 6));
    Path odd = Files.write(dir.resolve("odd.yuv"), YuvTest.encode("nv12", 9, 7));
    Path shorter = Files.write(dir.resolve("short.yuv"), new byte[50]);
    Run r = run("--yuv", "nv12", "--size", "8x6", "--resize", "8", good.toString(), shorter.toString(), dir.toString());
    assertEquals(1, r.status());
    assertEquals(List.of(good + ":"), r.out().stream().filter(l -> l.endsWith(":")).toList());
    assertEquals(List.of("error: " + shorter + ": 50 bytes, but a 8x6 nv12 frame has 72", "error: " + dir + ": not a regular file (a directory)"), r.err());
    Run oddRun = run("--yuv", "nv12", "--size", "9x7", "--resize", "8", odd.toString());
    assertEquals(0, oddRun.status(), oddRun.err().toString());
    assertEquals(List.of(odd + ":"), oddRun.out().stream().filter(l -> l.endsWith(":")).toList());
    assertNoTrace(r);
  }

  /**
   * A file whose logits have no ranking (one is infinite, which the runtime refuses) is one error line and nothing
   * on standard output: its "FILE:" header was printed before the ranking failed, with no classes under it, so a
   * script reading the output took the file for answered.
   */
  @Test
  void aFileWhoseLogitsHaveNoRankingGetsNoHeader() throws IOException {
    Path black = Files.write(dir.resolve("black.png"), TestImages.png(new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB)));
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Run r = bare(ReciprocalModel.class, "--threads", "1", "--top", "2", black.toString(), good.toString());
    assertEquals(1, r.status());
    assertEquals(List.of("error: " + black + ": output 3 is Infinity: the network's float32 arithmetic overflowed, or divided by zero,"
        + " on this input (its largest |value| is 0.0)"), r.err());
    assertEquals(3, r.out().size(), "the good file's header and two classes, nothing of the black one:\n" + r.out());
    assertEquals(good + ":", r.out().get(0));
    assertNoTrace(r);
  }

  /**
   * --size is exactly WxH: "640x480x" was taken for 640x480 (split drops trailing empty parts), and a bad
   * number is quoted with the whole value given ("--size 0: expected ..." did not say which of the two).
   */
  @Test
  void aSizeIsExactlyTwoPositiveNumbers() throws IOException {
    Path good = Files.write(dir.resolve("good.yuv"), YuvTest.encode("nv12", 8, 6));
    String[][] sizes = {{"8x6x", "--size 8x6x: expected WxH, two positive whole numbers"},
      {"x8x6", "--size x8x6: expected WxH, two positive whole numbers"},
      {"8x", "--size 8x: expected WxH, two positive whole numbers"},
      {"0x6", "--size 0x6: expected WxH, two positive whole numbers"},
      {"8x-6", "--size 8x-6: expected WxH, two positive whole numbers"},
      {"8", "--size 8: expected WxH, two positive whole numbers"}};
    for (String[] size : sizes) {
      Run r = run("--yuv", "nv12", "--size", size[0], "--resize", "8", good.toString());
      assertEquals(2, r.status(), size[0]);
      assertEquals("error: " + size[1], r.err().get(0));
      assertEquals(List.of(), r.out(), "nothing classified");
    }
    assertEquals(0, run("--yuv", "nv12", "--size", "8x6", "--resize", "8", good.toString()).status());
  }

  /** --yuv takes the four layouts, each with -full for full range; anything else is one usage error listing them. */
  @Test
  void yuvTakesFourLayoutsAtEitherRange() throws IOException {
    Path good = Files.write(dir.resolve("good.yuv"), YuvTest.encode("nv12", 8, 6));
    for (String format : new String[] {"nv21", "nv21-full", "i420-full", "nv12-full"}) {
      Run r = run("--yuv", format, "--size", "8x6", "--resize", "8", good.toString());
      assertEquals(0, r.status(), format + ": " + r.err());
      assertEquals(List.of(good + ":"), r.out().stream().filter(l -> l.endsWith(":")).toList(), format);
    }
    Run bad = run("--yuv", "nv12-limited", "--size", "8x6", "--resize", "8", good.toString());
    assertEquals(2, bad.status());
    assertEquals("error: --yuv takes i420, nv12, nv21 or yuyv; with -full after it for full range, got nv12-limited", bad.err().get(0));
    assertEquals(List.of(), bad.out(), "nothing classified");
  }

  /**
   * A --size no frame can have (over the limits, an odd width for YUYV) is one usage error for the call, exit 2: it
   * was one error per file, exit 1, as if each frame were bad.
   */
  @Test
  void aSizeNoFrameCanHaveIsOneErrorForTheCall() throws IOException {
    Path f = Files.write(dir.resolve("f.yuv"), new byte[10]);
    Run r = run("--yuv", "i420", "--size", "32768x32768", f.toString(), "/dev/zero");
    assertEquals(2, r.status());
    assertEquals(List.of("error: --size 32768x32768: frame of 32768x32768 has a side over the limit of 30000 pixels (-Dnetc.image.maxSide=N allows more)"),
        r.err());
    Run odd = run("--yuv", "yuyv", "--size", "9x6", f.toString(), f.toString());
    assertEquals(2, odd.status());
    assertEquals(List.of("error: --size 9x6: yuyv packs two pixels in 4 bytes, so it needs an even width, got 9x6"), odd.err());
    assertEquals(List.of(), odd.out());
    assertNoTrace(r);
  }

  /**
   * {@code -} reads one image, or one frame, from standard input, as cat and most tools take it: it was a file named
   * "-" ("no such file"). A stream of another length than the frame is refused, and {@code -} given twice is a wrong call.
   */
  @Test
  void aDashReadsOneImageOrFrameFromStandardInput() throws IOException {
    java.io.InputStream before = System.in;
    try {
      Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
      Run fromFile = run(good.toString());
      System.setIn(new java.io.ByteArrayInputStream(Files.readAllBytes(good)));
      Run piped = run("-");
      assertEquals(0, piped.status(), piped.err().toString());
      assertEquals("standard input:", piped.out().get(0));
      assertEquals(fromFile.out().subList(1, fromFile.out().size()), piped.out().subList(1, piped.out().size()), "the file's classes");

      byte[] frame = YuvTest.encode("nv12", 8, 6);
      Path frameFile = Files.write(dir.resolve("frame.yuv"), frame);
      System.setIn(new java.io.ByteArrayInputStream(frame));
      Run pipedFrame = run("--yuv", "nv12", "--size", "8x6", "--resize", "8", "-", frameFile.toString());
      assertEquals(0, pipedFrame.status(), pipedFrame.err().toString());
      assertEquals(List.of("standard input:", frameFile + ":"), pipedFrame.out().stream().filter(l -> l.endsWith(":")).toList());
      System.setIn(new java.io.ByteArrayInputStream(Arrays.copyOf(frame, frame.length + 1)));
      Run longer = run("--yuv", "nv12", "--size", "8x6", "--resize", "8", "-");
      assertEquals(1, longer.status());
      assertEquals(List.of("error: standard input: more than 72 bytes, but a 8x6 nv12 frame has 72: - reads one frame"), longer.err());
      System.setIn(new java.io.ByteArrayInputStream(Arrays.copyOf(frame, frame.length - 1)));
      Run shorter = run("--yuv", "nv12", "--size", "8x6", "--resize", "8", "-");
      assertEquals(List.of("error: standard input: 71 bytes, but a 8x6 nv12 frame has 72"), shorter.err());

      System.setIn(new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
      Run garbage = run("-");
      assertEquals(1, garbage.status());
      assertTrue(garbage.err().size() == 1 && garbage.err().get(0).startsWith("error: standard input: "), garbage.err().toString());
      Run twice = run("-", "-");
      assertEquals(2, twice.status());
      assertEquals("error: - (standard input) is given more than once: it holds one image or frame", twice.err().get(0));
      assertNoTrace(garbage);
    } finally {
      System.setIn(before);
    }
  }

  @Test
  void aCropTheModelCannotTakeIsOneErrorForTheCall() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Run r = run("--crop", "16", good.toString(), good.toString());
    assertEquals(2, r.status());
    assertEquals(List.of("error: images preprocess to 3x16x16 (--crop 16), the model takes 3x8x8"), r.err());
    assertEquals(List.of(), r.out());
  }

  /** A model no image fits (not 3 channels of a square) says it takes tensors: it said "images preprocess to 3x6x6". */
  @Test
  void aModelOfNoImageShapeSaysItTakesTensors() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Run r = bareWith(WideModel.class, "input.shape=3,6,8", good.toString()); // the later line of model.properties counts
    assertEquals(2, r.status());
    assertEquals(List.of("error: the model takes tensors of 3x6x8, not images (which preprocess to 3 channels of a square crop): give it"
        + " --input X.npy --output Y.npy"), r.err());
  }

  /** A --resize below the crop left every image too small for it: each was an error, exit 1. It is one usage error. */
  @Test
  void aResizeBelowTheCropIsOneErrorForTheCall() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Run r = run("--resize", "7", good.toString(), good.toString());
    assertEquals(2, r.status());
    assertEquals(List.of("error: --resize 7 is smaller than the crop of 8: images are resized to that shorter side, then center-cropped to 8x8"), r.err());
    assertEquals(List.of(), r.out());
    assertEquals(0, run("--resize", "8", good.toString()).status(), "a resize equal to the crop");
  }

  /**
   * --interpolation picks the resize's filter over the model's (bilinear here): bicubic resamples an image of
   * edges to other pixels, so the channel means the model answers differ; a filter netc lacks is a usage error.
   */
  @Test
  void interpolationPicksTheResizeFilter() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Run bilinear = run(good.toString()), explicit = run("--interpolation", "bilinear", good.toString());
    Run bicubic = run("--interpolation", "bicubic", good.toString());
    assertEquals(0, bicubic.status(), String.join("\n", bicubic.err()));
    assertEquals(bilinear.out(), explicit.out(), "bilinear is the model's own");
    assertNotEquals(bilinear.out(), bicubic.out(), "bicubic gives other pixels");
    Run bad = run("--interpolation", "lanczos", good.toString());
    assertEquals(2, bad.status());
    assertTrue(bad.err().get(0).startsWith("error: --interpolation takes bilinear or bicubic, got lanczos"), String.join("\n", bad.err()));
  }

  @Test
  void aBadLimitPropertyIsOneErrorForTheCall() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    System.setProperty(ImageLimits.MAX_PIXELS_PROPERTY, "-5");
    Run r = run(good.toString(), good.toString());
    assertEquals(2, r.status());
    assertEquals(List.of("error: -Dnetc.image.maxPixels=-5: not a positive integer up to 2147483647"), r.err());
  }

  /** An option given twice is refused (it was: the last one won), before the model is loaded. */
  @Test
  void anOptionGivenTwiceIsRefused() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Run r = run("--threads", "2", good.toString());
    assertEquals(2, r.status());
    assertEquals("error: --threads is given twice: give it once", r.err().get(0));
    assertEquals(List.of(), r.out());
    r = bare("--input", "a.npy", "--output", "y1.npy", "--output", "y2.npy");
    assertEquals(2, r.status());
    assertEquals("error: --output is given twice: give it once", r.err().get(0));
    r = bare("-h", "--help");
    assertEquals(2, r.status());
    assertEquals("error: --help is given twice: give it once", r.err().get(0));
    assertEquals(0, bare("--threads", "1", good.toString(), good.toString()).status(), "a file may be given twice");
  }

  /** --help names every kernel override the README gives (the register file and cut were left out). */
  @Test
  void helpNamesTheKernelOverrides() throws IOException {
    Run r = bare("--help");
    assertEquals(0, r.status());
    String help = String.join("\n", r.out());
    for (String knob : List.of("-Dnetc.vectorBits=512|256|128|0", "-Dnetc.vectorRegisters=16|32", "-Dnetc.tightTiles=true|false")) {
      assertTrue(help.contains(knob), knob + " in:\n" + help);
    }
  }

  /** An empty path is the current folder to Java: --output "" said "cannot write : it is a directory", an image "" "not a regular file". */
  @Test
  void anEmptyPathIsRefused() throws IOException {
    Run r = bare("--input", "a.npy", "--output", "");
    assertEquals(2, r.status());
    assertEquals("error: --output is given an empty value", r.err().get(0));
    r = bare("");
    assertEquals(2, r.status());
    assertEquals("error: an image's name is empty (\"\")", r.err().get(0));
    // an option where a value belongs: --output --time wrote a file named --time, exit 0
    r = bare("--input", "a.npy", "--output", "--time");
    assertEquals(2, r.status());
    assertEquals("error: --output needs a value, and is followed by the option --time (a file of that name: ./--time)", r.err().get(0));
    r = bare("--", ""); // java -jar m.jar -- "$@"
    assertEquals(2, r.status());
    assertEquals("error: an image's name is empty (\"\")", r.err().get(0));
  }

  /** An --output ending in a slash names a folder: refused, where Path.of dropped the slash and wrote over a file of that name. */
  @Test
  void anOutputEndingInASlashIsRefused() {
    Run r = bare("--input", "x.npy", "--output", "y.npy/");
    assertEquals(2, r.status());
    assertEquals("error: --output y.npy/: names a folder (it ends in /); give the file to write", r.err().get(0));
    // "-" wrote a file of that name where standard output was meant
    r = bare("--input", "x.npy", "--output", "-");
    assertEquals(2, r.status());
    assertEquals("error: --output -: give a file, or /dev/stdout for standard output", r.err().get(0));
    // refused before the weights load, as netc run refuses it
    r = bare("--input", "x.npy");
    assertEquals(2, r.status());
    assertEquals("error: --input needs --output Y.npy", r.err().get(0));
  }

  /** netc run's short options (-i, -o) given to the jar are refused as options, not tried as four image files. */
  @Test
  void shortOptionsAreRefusedAsOptions() {
    Run r = bare("-i", "x.npy", "-o", "y.npy");
    assertEquals(2, r.status());
    assertEquals("error: unknown option -i (the jar's options are long ones: --input, --output, --threads, ...)", r.err().get(0));
    assertEquals(List.of(), r.out());
  }

  /** --threads is bounded as netc demo's and profile's are: 2,000,000,000 threads are a typo, not a request. */
  @Test
  void threadsHaveAnUpperBound() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    for (String n : List.of("1025", "2000000000", "0")) {
      Run r = bare("--threads", n, good.toString());
      assertEquals(2, r.status(), n);
      assertEquals("error: --threads " + n + ": expected a whole number from 1 to 1024", r.err().get(0));
      assertEquals(List.of(), r.out());
    }
  }

  /** --output is checked before the input is read and the model run, as netc's commands check theirs: a folder given for it is one line. */
  @Test
  void anOutputThatCannotBeWrittenIsRefusedBeforeTheWork() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("out.npy"));
    Run r = bare("--threads", "1", "--input", dir.resolve("missing.npy").toString(), "--output", folder.toString());
    assertEquals(1, r.status(), r.err().toString());
    assertEquals(List.of("error: cannot write " + folder + ": it is a directory"), r.err());
  }

  /**
   * --output naming the input (by path or through a link) wrote over it and exited 0, and so did one naming
   * the jar being run: each is refused before the input is read, one line naming both paths, exit 2, as
   * netc run refuses them.
   */
  @Test
  void theOutputIsNeverTheInputNorTheJarBeingRun() throws IOException {
    Path x = dir.resolve("x.npy");
    netc.runtime.io.Npy.write(x, Tensor.uniform(1, 1, 3, 8, 8));
    byte[] before = Files.readAllBytes(x);
    Run r = bare("--threads", "1", "--input", x.toString(), "--output", x.toString());
    assertEquals(2, r.status(), r.err().toString());
    assertEquals(List.of("error: --output " + x + " would overwrite the input being read (--input " + x + ")"), r.err());
    Path link = Files.createSymbolicLink(dir.resolve("link.npy"), x);
    r = bare("--threads", "1", "--input", x.toString(), "--output", link.toString());
    assertEquals(2, r.status(), r.err().toString());
    assertEquals(List.of("error: --output " + link + " would overwrite the input being read (--input " + x + ")"), r.err());
    assertArrayEquals(before, Files.readAllBytes(x), "the input is as it was");
    assertEquals(List.of(), r.out());
    // java -jar m.jar has m.jar as its class path; here a jar of the test's. The input is missing: before, the
    // read failed (exit 1) before anything was written
    String jar = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(e -> e.endsWith(".jar") && Files.isRegularFile(Path.of(e))).findFirst().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(jar != null, "a jar on the class path");
    r = bare("--threads", "1", "--input", dir.resolve("missing.npy").toString(), "--output", jar);
    assertEquals(2, r.status(), r.err().toString());
    assertEquals(List.of("error: --output " + jar + " would overwrite the jar being run (" + jar + ", on the class path)"), r.err());
  }

  /** A .npy file of the given shape with zero data: a sparse file of the right length, none of it written but the header. */
  private Path sparseNpy(String name, long... shape) throws IOException {
    StringBuilder dims = new StringBuilder();
    long values = 1;
    for (long d : shape) {
      dims.append(d).append(", ");
      values *= d;
    }
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims.substring(0, dims.length() - 2) + "), }";
    String header = dict + " ".repeat(63 - (10 + dict.length()) % 64) + "\n"; // 64-byte aligned, as numpy pads
    Path p = dir.resolve(name);
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
      f.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
      f.write(header.getBytes(StandardCharsets.ISO_8859_1));
      f.setLength(10 + header.length() + 4 * values);
    }
    return p;
  }

  /**
   * The input's shape is checked from its header, before its data is read: a wrong tensor of gigabytes
   * (here sparse files of 107 GB and 1.7 GB) gets the shape message at once, not an out-of-memory, a
   * refusal of its size, or gigabytes read; a right one is still read and run.
   */
  @Test
  void aTensorOfTheWrongShapeIsRefusedBeforeItsDataIsRead() throws IOException {
    Path y = dir.resolve("y.npy");
    long t0 = System.nanoTime();
    for (long[] shape : new long[][] {{100_000, 3, 299, 299}, {2_000_000, 3, 8, 9}}) {
      Path x = sparseNpy("wrong.npy", shape);
      Run r = bare("--threads", "1", "--input", x.toString(), "--output", y.toString());
      assertEquals(1, r.status(), r.err().toString());
      assertEquals(List.of("error: " + x + ": tensor has shape " + Arrays.toString(shape) + ", the model expects [N, 3, 8, 8]"), r.err());
      assertFalse(Files.exists(y), "nothing written");
      Files.delete(x);
    }
    assertTrue(System.nanoTime() - t0 < 20e9, "the data was not read: " + (System.nanoTime() - t0) / 1e9 + " s");

    Path x = dir.resolve("x.npy");
    float[] values = new float[2 * 3 * 64];
    for (int i = 0; i < values.length; i++) values[i] = i / 64 % 3 + 1 + (i / 192) * 10; // image n's channel c holds 10n + c + 1
    netc.runtime.io.Npy.write(x, new Tensor(new int[] {2, 3, 8, 8}, values));
    Run r = bare("--threads", "1", "--input", x.toString(), "--output", y.toString());
    assertEquals(0, r.status(), r.err().toString());
    Tensor logits = netc.runtime.io.Npy.read(y);
    assertArrayEquals(new int[] {2, 4}, logits.shape());
    assertArrayEquals(new float[] {1, 2, 3, 0, 11, 12, 13, 0}, logits.data(), "the channel means of each image");
  }

  /** Options the mode does not use are refused with one line, not ignored (--output with images wrote nothing, exit 0). */
  @Test
  void optionsOutsideTheirModeAreRefused() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
    netc.runtime.io.Npy.write(x, Tensor.zeros(1, 3, 8, 8));
    String[][] calls = {
      {good.toString(), "--output", y.toString()},
      {"--input", x.toString(), "--output", y.toString(), good.toString()},
      {"--size", "8x8", good.toString()},
      {"--input", x.toString(), "--output", y.toString(), "--yuv", "nv12", "--size", "8x8"},
      {"--input", x.toString(), "--output", y.toString(), "--top", "3"},
      {"--input", x.toString(), "--output", y.toString(), "--time"},
      {"--input", x.toString(), "--output", y.toString(), "--resize", "8"},
    };
    String[] errors = {
      "error: --output applies to --input X.npy; images and frames get their classes on standard output",
      "error: --input X.npy takes no images or frames, got " + good,
      "error: --size applies to --yuv frames; an image's size is in its file",
      "error: --yuv applies to images and frames, not to --input X.npy",
      "error: --top applies to images and frames, not to --input X.npy",
      "error: --time applies to images and frames, not to --input X.npy",
      "error: --resize applies to images and frames, not to --input X.npy",
    };
    assertEachRefused(calls, errors, y, "nothing classified");
    Run r = bare("--input", x.toString(), "--output", y.toString());
    assertEquals(0, r.status(), r.err().toString());
    assertTrue(Files.exists(y));
  }

  /** Each of {@code calls} exits 2 with its line of {@code errors} first, prints nothing ({@code what}) and writes no {@code output}. */
  private void assertEachRefused(String[][] calls, String[] errors, Path output, String what) {
    for (int i = 0; i < calls.length; i++) {
      Run r = bare(calls[i]);
      assertEquals(2, r.status(), String.join(" ", calls[i]));
      assertEquals(errors[i], r.err().get(0));
      assertEquals(List.of(), r.out(), what);
      assertFalse(Files.exists(output), "nothing written");
    }
  }

  /**
   * --info printed the model and exited 0, ignoring the tensors, images or frames given with it (nothing
   * written, nothing classified): each is refused in one line, exit 2; --info alone still prints.
   */
  @Test
  void infoTakesNoInputsOrOutputs() throws IOException {
    Path good = Files.write(dir.resolve("good.png"), TestImages.png(TestImages.picture(40, 30)));
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
    netc.runtime.io.Npy.write(x, Tensor.zeros(1, 3, 8, 8));
    String[][] calls = {
      {"--info", "--input", x.toString(), "--output", y.toString()},
      {"--info", "--output", y.toString()},
      {"--info", good.toString()},
      {good.toString(), "--info", "--top", "3"},
      {"--info", "--yuv", "nv12", "--size", "8x8"},
      {"--info", "--resize", "8"},
    };
    String[] errors = {
      "error: --input does not apply to --info, which prints the model and exits",
      "error: --output does not apply to --info, which prints the model and exits",
      "error: --info takes no images or frames, got " + good + ": it prints the model and exits",
      "error: --info takes no images or frames, got " + good + ": it prints the model and exits",
      "error: --yuv does not apply to --info, which prints the model and exits",
      "error: --resize does not apply to --info, which prints the model and exits",
    };
    assertEachRefused(calls, errors, y, "no info printed");
    Run r = bare("--threads", "1", "--info");
    assertEquals(0, r.status(), r.err().toString());
    assertTrue(r.out().get(0).startsWith("model: tiny"), r.out().toString());
  }
}
