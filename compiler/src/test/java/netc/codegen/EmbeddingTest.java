package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import netc.ast.NetcException;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.ModelInfo;
import netc.runtime.Prediction;
import netc.runtime.Preprocess;
import netc.runtime.Tensor;
import netc.runtime.ThreadPool;
import netc.testing.Specs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiled models as a library user embeds them: several on one class path and in nested loaders,
 * loaded by name or from a jar's path, closed, described by their metadata; and the errors a caller
 * meets (a name that matches twice, a bad argument, a normalized tensor, too little heap).
 */
class EmbeddingTest {
  @TempDir static Path dir;
  static Graph small, resnet;
  static ParamSource smallWeights, resnetWeights;
  static Path smallJar, resnetJar, smallAgainJar, otherSmallJar;

  @BeforeAll
  static void compile() throws Exception {
    small = Specs.example("smallnet", Map.of());
    resnet = Specs.example("resnet18", Map.of("width", "8", "size", "64"));
    smallWeights = CompiledModelTest.synthetic(small, 1);
    resnetWeights = CompiledModelTest.synthetic(resnet, 2);
    smallJar = jar(small, smallWeights, null, "small.jar", false);
    resnetJar = jar(resnet, resnetWeights, null, "r18.jar", true);
    // the same spec with other weights: once under its own name, once as another model
    smallAgainJar = jar(small, CompiledModelTest.synthetic(small, 5), null, "small-again.jar", false);
    otherSmallJar = jar(small, CompiledModelTest.synthetic(small, 5), "smallnet_b", "smallnet-b.jar", true);
  }

  static Path jar(Graph g, ParamSource p, String name, String file, boolean thin) throws Exception {
    Path classes = Files.createDirectories(dir.resolve(file + ".d"));
    ModelCompiler.compileTo(PassManager.run(g, PassContext.defaults()), p, g.name() + ".net", name, true, classes, s -> {});
    Path jar = dir.resolve(file);
    ModelCompiler.writeJar(classes, jar, !thin);
    return jar;
  }

  static URLClassLoader loader(ClassLoader parent, Path... jars) throws Exception {
    List<URL> urls = new ArrayList<>();
    for (Path j : jars) urls.add(j.toUri().toURL());
    return new URLClassLoader(urls.toArray(URL[]::new), parent);
  }

  static Tensor expected(Graph g, ParamSource p, Tensor x) throws Exception {
    try (CompiledModel m = CompiledModels.compile(g, p, 1)) {
      return m.predict(x);
    }
  }

  @Test
  void twoModelsOnOneClassPathAreLoadedByNameAndNeverConfused() throws Exception {
    Tensor xs = GeneratedModelTest.random(small, 2, 3), xr = GeneratedModelTest.random(resnet, 2, 4);
    try (URLClassLoader both = loader(getClass().getClassLoader(), smallJar, resnetJar)) {
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(both, 1));
      assertTrue(e.getMessage().startsWith("2 compiled models on the class path (smallnet in " + smallJar.toUri().toURL() + ", resnet18 in "
          + resnetJar.toUri().toURL() + "): name the one to load"), e.getMessage());
      try (CompiledModel s = CompiledModel.load(both, "smallnet", 1); CompiledModel r = CompiledModel.load(both, "resnet18", 1)) {
        assertEquals("smallnet", s.name());
        assertEquals("resnet18", r.name());
        assertArrayEquals(expected(small, smallWeights, xs).data(), s.predict(xs).data());
        assertArrayEquals(expected(resnet, resnetWeights, xr).data(), r.predict(xr).data());
      }
      e = assertThrows(BadInputException.class, () -> CompiledModel.load(both, "resnet50", 1));
      assertTrue(e.getMessage().startsWith("no compiled model named resnet50 on the class path (there is smallnet in "), e.getMessage());
    }
  }

  /** The issue's case: a loader over one model whose parent sees another must not answer with the parent's. */
  @Test
  void nestedLoadersRefuseToGuessAndLoadByName() throws Exception {
    try (URLClassLoader parent = loader(getClass().getClassLoader(), resnetJar); URLClassLoader child = loader(parent, smallJar)) {
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(child, 1));
      assertTrue(e.getMessage().contains("resnet18 in ") && e.getMessage().contains("smallnet in "), e.getMessage());
      try (CompiledModel m = CompiledModel.load(child, "smallnet", 1)) {
        assertEquals(10, m.outputSize());
      }
    }
    // one name twice (the same spec compiled twice): refused, with the cure
    try (URLClassLoader parent = loader(getClass().getClassLoader(), smallJar); URLClassLoader child = loader(parent, smallAgainJar)) {
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(child, 1));
      assertTrue(e.getMessage().startsWith("the compiled model smallnet is on the class path 2 times (")
          && e.getMessage().endsWith("or compile one of them under another name (netc compile --name)"), e.getMessage());
    }
    // --name makes them two models
    try (URLClassLoader both = loader(getClass().getClassLoader(), smallJar, otherSmallJar)) {
      Tensor x = GeneratedModelTest.random(small, 1, 6);
      try (CompiledModel a = CompiledModel.load(both, "smallnet", 1); CompiledModel b = CompiledModel.load(both, "smallnet_b", 1)) {
        assertArrayEquals(expected(small, smallWeights, x).data(), a.predict(x).data());
        assertArrayEquals(expected(small, CompiledModelTest.synthetic(small, 5), x).data(), b.predict(x).data());
        assertNotEquals(a.getClass().getName(), b.getClass().getName());
      }
    }
  }

  /**
   * close() lets a call in progress end with its whole answer before it releases the model (its class loader and
   * jar with it), and refuses calls made from the moment it was called: a service swapping models answers the
   * old model's last requests. The call is made long (a batch of images) so close() is seen waiting; if the call
   * still ended first, a longer one is tried.
   */
  @Test
  void closeWaitsForCallsInProgress() throws Exception {
    for (int images = 32; ; images *= 4) {
      Tensor x = GeneratedModelTest.random(resnet, images, 11);
      float[] want;
      try (CompiledModel open = CompiledModel.load(resnetJar, 1)) {
        want = open.predict(x).data();
      }
      CompiledModel m = CompiledModel.load(resnetJar, 1);
      float[] out = new float[want.length];
      java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
      final int n = images;
      Thread caller = new Thread(() -> {
        try {
          m.predict(x.data(), n, out);
        } catch (Throwable t) {
          failed.set(t);
        }
      });
      caller.start();
      while (m.callsInProgress() == 0 && caller.isAlive()) Thread.onSpinWait();
      Thread closer = new Thread(m::close);
      closer.start();
      boolean sawWaiting = false;
      while (closer.isAlive()) {
        if (!sawWaiting && closer.getState() == Thread.State.WAITING && m.callsInProgress() == 1 && caller.isAlive()) {
          sawWaiting = true;
          IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.predict(x), "a call after close() began");
          assertEquals("the model resnet18 was closed", e.getMessage());
        }
        Thread.onSpinWait();
      }
      caller.join();
      assertEquals(null, failed.get(), "the call in progress ran to its end");
      assertArrayEquals(want, out, "with its whole answer");
      assertEquals(0, m.callsInProgress());
      assertThrows(IllegalStateException.class, () -> m.predict(x));
      if (sawWaiting) return;
      assertTrue(images < 2048, "close() was never seen waiting for a call of up to " + images + " images");
    }
  }

  @Test
  void loadFromAPathThenClose() throws Exception {
    Tensor x = GeneratedModelTest.random(small, 1, 7);
    CompiledModel a, b;
    try (CompiledModel m1 = CompiledModel.load(smallJar, 1); CompiledModel m2 = CompiledModel.load(smallAgainJar, 1)) {
      // two models of one name, each from its own jar, side by side in one JVM
      assertArrayEquals(expected(small, smallWeights, x).data(), m1.predict(x).data());
      assertArrayEquals(expected(small, CompiledModelTest.synthetic(small, 5), x).data(), m2.predict(x).data());
      assertNotEquals(m1.getClass(), m2.getClass());
      a = m1;
      b = m2;
    }
    IllegalStateException closed = assertThrows(IllegalStateException.class, () -> a.predict(x));
    assertEquals("the model smallnet was closed", closed.getMessage());
    assertThrows(IllegalStateException.class, () -> b.predict(x));
    try (CompiledModel thin = CompiledModel.load(otherSmallJar, "smallnet_b", 2)) {
      assertEquals(2, thin.threads());
    }
    BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(dir.resolve("nope.jar"), 1));
    assertEquals(dir.resolve("nope.jar") + ": no such file", e.getMessage());
    Path notModel = Files.write(dir.resolve("plain.jar"), java.util.Base64.getDecoder().decode("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="));
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(notModel, 1));
    assertEquals(notModel + ": not a compiled netc model (no META-INF/netc/model in it)", e.getMessage());
    // a model of an older netc (netc/model.properties, one per class path), by path and by name
    Path legacy = dir.resolve("legacy.jar");
    try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(legacy))) {
      zip.putNextEntry(new java.util.zip.ZipEntry("netc/model.properties"));
      zip.write("name=smallnet\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    e = assertThrows(BadInputException.class, () -> CompiledModel.load(legacy, 1));
    assertEquals(legacy + ": a compiled model made by an older netc (one model per class path): recompile it with this netc", e.getMessage());
    try (java.net.URLClassLoader old = new java.net.URLClassLoader(new java.net.URL[] {legacy.toUri().toURL()}, null)) {
      e = assertThrows(BadInputException.class, () -> CompiledModel.load(old, "smallnet", 1));
      assertTrue(e.getMessage().endsWith("legacy.jar!/netc/model.properties made by an older netc (one model per class path): recompile it with this netc"),
          e.getMessage());
    }
  }

  @Test
  void badArgumentsNameThemselves() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompiledModel.load(smallJar, 0));
    assertEquals("threads: must be at least 1, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CompiledModel.load(smallJar, Integer.MAX_VALUE));
    assertEquals("threads: at most 1024, got 2147483647", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CompiledModel.load(getClass().getClassLoader(), "Small-Net", 1));
    assertTrue(e.getMessage().startsWith("name: a model's name is lower-case letters, digits and _"), e.getMessage());
    NetcException n = assertThrows(NetcException.class, () -> jar(small, smallWeights, "class", "kw.jar", true));
    assertEquals("--name class: \"class\" is a Java keyword", n.getMessage());
    try (CompiledModel m = CompiledModel.load(smallJar, 1)) {
      e = assertThrows(IllegalArgumentException.class, () -> m.predict(new float[10], 1, new float[10]));
      assertEquals("buffers too small for a batch of 1: input holds 10 floats (needs 3072), output 10 (needs 10)", e.getMessage());
      // an image past the outputs, whose offset wrapped in int to another image's values
      e = assertThrows(IllegalArgumentException.class, () -> m.topK(new float[20], 429_496_730, 1));
      assertEquals("image 429496730: the outputs hold 2 images of 10 values", e.getMessage());
    }
  }

  /**
   * A spec's {@code bicubic = true} (torchvision's EfficientNet weights' preparation): the compiled model
   * says so in its info and prepares images with Pillow's bicubic filter, the fixture torchvision made so
   * to the bit.
   */
  @Test
  void aBicubicSpecPreparesImagesWithTheBicubicFilter() throws Exception {
    Graph g = Specs.fromText("input(3, 64, 64, resize = 80, bicubic = true)\nconv(4, 3)\nrelu()\nglobal_avgpool()\nflatten()\nfc(3)\n");
    Path jar = jar(g, CompiledModelTest.synthetic(g, 3), "bicubic", "bicubic.jar", false);
    Path image = Path.of("../weights/fixtures/images/rgb_wide.png");
    float[] torchvision = netc.runtime.io.Npy.read(image.resolveSibling("rgb_wide_r80_c64_bicubic.npy")).data();
    try (URLClassLoader l = loader(getClass().getClassLoader(), jar); CompiledModel m = CompiledModel.load(l, "bicubic", 1)) {
      assertEquals(new ModelInfo.Preprocessing(80, 64, List.of(), List.of(), Preprocess.Interpolation.BICUBIC), m.info().preprocess());
      assertTrue(m.info().describe().contains("preprocessing: resize 80 (bicubic), center crop 64"), m.info().describe());
      Preprocess p = Preprocess.forModel(m);
      assertEquals(Preprocess.Interpolation.BICUBIC, p.interpolation());
      assertArrayEquals(torchvision, p.image(image));
    }
  }

  @Test
  void metadataSaysWhatTheModelTakesAndHowToPrepareIt() throws Exception {
    try (CompiledModel r = CompiledModel.load(resnetJar, 1); CompiledModel s = CompiledModel.load(smallJar, 1)) {
      ModelInfo i = r.info();
      assertEquals("resnet18", i.name());
      assertEquals("resnet18.net", i.spec());
      assertEquals("input", i.inputName());
      assertEquals(List.of(3, 64, 64), i.inputShape());
      assertEquals(List.of(1000), i.outputShape());
      assertEquals("tench", i.labels().get(0));
      assertEquals(new ModelInfo.Preprocessing(73, 64, List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225)), i.preprocess());
      assertEquals(ModelCompiler.VERSION, i.netcVersion());
      assertEquals(netc.runtime.kernels.Kernels.INSTANCE.variant(), i.kernels());
      assertTrue(i.syntheticWeights());
      Preprocess p = Preprocess.forModel(r);
      assertEquals(73, p.resize());
      assertEquals(64, p.crop());
      // smallnet declares no resize and no normalization: images are resized to its input size
      assertEquals(new ModelInfo.Preprocessing(32, 32, List.of(), List.of()), s.info().preprocess());
      assertEquals(List.of(10), s.info().outputShape());
      assertEquals("class 9", s.info().labels().get(9));
      // smallnet ends in softmax: its outputs are ranked as they are, not put through a second softmax
      assertFalse(i.probabilities(), "resnet18 gives logits");
      assertTrue(s.info().probabilities(), "smallnet gives probabilities");
      assertTrue(s.info().describe().contains("output: [N, 10] probabilities (ends in softmax)"), s.info().describe());
      float[] x = new float[3 * 32 * 32], y = new float[10];
      for (int j = 0; j < x.length; j++) x[j] = (j % 7) / 7f;
      s.predict(x, 1, y);
      List<Prediction> top = s.topK(y, 0, 10);
      double sum = 0;
      for (Prediction q : top) {
        assertEquals(y[q.index()], q.probability(), "class " + q.index() + "'s probability is the model's output");
        sum += q.probability();
      }
      assertEquals(1, sum, 1e-5, "the outputs of a softmax sum to 1");
    }
  }

  /** A tensor normalized by the caller, fed to a model that normalizes itself, is answered with one warning naming the likely cause. */
  @Test
  void aNormalizedTensorWarnsOnceInAModelThatNormalizes() throws Exception {
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    try (CompiledModel r = CompiledModel.load(resnetJar, 1); CompiledModel s = CompiledModel.load(smallJar, 1)) {
      Tensor pixels = GeneratedModelTest.random(resnet, 1, 9);
      float[] normalized = pixels.data().clone();
      int plane = 64 * 64;
      double[] mean = {0.485, 0.456, 0.406}, std = {0.229, 0.224, 0.225};
      for (int i = 0; i < normalized.length; i++) normalized[i] = (float) ((normalized[i] - mean[i / plane]) / std[i / plane]);
      int first = 0;
      while (normalized[first] >= -0.5f && normalized[first] <= 1.5f) first++;
      System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
      assertEquals(1000, r.predict(pixels).data().length);
      assertEquals("", err.toString(StandardCharsets.UTF_8), "pixels in [0, 1] pass without a word");
      float[] out = new float[1000], again = new float[1000];
      r.predict(normalized, 1, out);
      r.predict(normalized, 1, again);
      assertArrayEquals(out, again, "the model still answers");
      float[] any = new float[3 * 32 * 32];
      java.util.Arrays.fill(any, -3f);
      s.predict(any, 1, new float[10]); // a model that does not normalize takes any values
      List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
      assertEquals(List.of("warning: input value " + normalized[first] + " at [0, 0, " + first / 64 + ", " + first % 64 + "] is far outside [0, 1]:"
          + " the model resnet18 normalizes its input itself (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]); is the input normalized"
          + " twice? Pass pixels scaled to [0, 1] (Preprocess.forModel(model)). Said once per model; -Dnetc.input.pixelCheck=false silences it"),
          lines, "one warning for the model, none for the other");
    } finally {
      System.setErr(saved);
    }
  }

  /**
   * Pixels of 0 to 255 (the division by 255 forgotten) are warned of as such, not as a tensor normalized twice, even
   * where the first value past [0, 1] is one a normalized tensor takes (judged by the image's range); finite inputs so large that the network overflows float32 are refused by the
   * output and image they reached, not answered with NaN; and the next call is answered as before.
   */
  @Test
  void unscaledPixelsAreSaidAndOverflowedOutputsRefused() throws Exception {
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    try (CompiledModel r = CompiledModel.load(resnetJar, 1)) {
      Tensor pixels = GeneratedModelTest.random(resnet, 1, 9);
      float[] before = r.predict(pixels).data();
      float[] bytes = pixels.data().clone();
      for (int i = 0; i < bytes.length; i++) bytes[i] = Math.round(bytes[i] * 255);
      bytes[0] = 2; // a dark first pixel: a value a normalized tensor takes too, but not its image's 255s
      int first = 0;
      while (bytes[first] <= 1.5f) first++;
      System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
      float[] out = new float[1000];
      r.predict(bytes, 1, out);
      assertEquals("warning: input value " + bytes[first] + " at [0, 0, " + first / 64 + ", " + first % 64 + "] is far outside [0, 1]:"
          + " the model resnet18 normalizes its input itself (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]); are they pixels of 0 to"
          + " 255, not divided by 255? Pass pixels scaled to [0, 1] (Preprocess.forModel(model)). Said once per model;"
          + " -Dnetc.input.pixelCheck=false silences it", err.toString(StandardCharsets.UTF_8).strip());
      float[] huge = new float[2 * 3 * 64 * 64];
      System.arraycopy(pixels.data(), 0, huge, 0, pixels.data().length);
      java.util.Arrays.fill(huge, 3 * 64 * 64, huge.length, 3e38f); // image 1
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.predict(huge, 2, new float[2000]));
      assertTrue(e.getMessage().matches("output [0-9]+ of image 1 is (NaN|-?Infinity): the network's float32 arithmetic overflowed, or divided by"
          + " zero, on that image \\(its largest \\|value\\| is 3\\.0E38\\)"), e.getMessage());
      assertArrayEquals(before, r.predict(pixels).data(), "the next call as the first");
    } finally {
      System.setErr(saved);
    }
  }

  /** NHWC images (camera libraries, TensorFlow) give what their NCHW transpose gives. */
  @Test
  void nhwcInputIsTheSameImages() throws Exception {
    try (CompiledModel r = CompiledModel.load(resnetJar, 1)) {
      Tensor x = GeneratedModelTest.random(resnet, 2, 12);
      float[] nchw = x.data(), nhwc = new float[nchw.length];
      for (int n = 0; n < 2; n++) {
        for (int c = 0; c < 3; c++) {
          for (int i = 0; i < 64 * 64; i++) nhwc[n * 3 * 4096 + i * 3 + c] = nchw[n * 3 * 4096 + c * 4096 + i];
        }
      }
      float[] a = new float[2000], b = new float[2000];
      r.predict(nchw, 2, a);
      r.predictNhwc(nhwc, 2, b);
      assertArrayEquals(a, b);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.predictNhwc(new float[5], 1, b));
      assertEquals("input holds 5 floats, a batch of 1 NHWC images of 64x64x3 needs 12288", e.getMessage());
    }
  }

  /** Images from a path, a stream, bytes and a decoded BufferedImage become the same tensor. */
  @Test
  void imagesFromAStreamOrABufferedImageAreTheFilesPixels() throws Exception {
    Path png = Path.of("../weights/fixtures/images/rgb_wide.png").toAbsolutePath();
    Preprocess p = new Preprocess(73, 64);
    float[] fromFile = p.image(png);
    try (var in = Files.newInputStream(png)) {
      assertArrayEquals(fromFile, p.image(in, "upload.png"));
    }
    assertArrayEquals(fromFile, p.image(javax.imageio.ImageIO.read(png.toFile()), "frame"));
    BadInputException e = assertThrows(BadInputException.class, () -> p.image(new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}), "upload.png"));
    assertTrue(e.getMessage().startsWith("upload.png: "), e.getMessage());
  }

  /** Closing a model loaded by path lets its classes and weights go (the shared thread pool keeps nothing of it). */
  @Test
  void aClosedModelIsCollected() throws Exception {
    java.lang.ref.WeakReference<ClassLoader> loader = loadRunClose();
    for (int i = 0; i < 50 && loader.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(null, loader.get(), "the model's class loader is unreachable once the model is closed");
  }

  private static java.lang.ref.WeakReference<ClassLoader> loadRunClose() throws Exception {
    try (CompiledModel m = CompiledModel.load(resnetJar, 2)) {
      m.predict(GeneratedModelTest.random(resnet, 3, 1)); // through the pool: a batch on two threads
      return new java.lang.ref.WeakReference<>(m.getClass().getClassLoader());
    }
  }

  /** A model whose properties were damaged is refused by name, not with a bare parse exception. */
  @Test
  void damagedPropertiesNameTheModel() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("damaged"));
    ModelCompiler.compileTo(PassManager.run(small, PassContext.defaults()), smallWeights, "smallnet.net", null, true, classes, s -> {});
    Path props = classes.resolve("netc/models/smallnet/model.properties");
    Files.writeString(props, Files.readString(props).replaceAll("(?m)^arena\\.floats=.*$", "arena.floats=lots"));
    try (URLClassLoader damaged = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(damaged, 1));
      assertEquals("the compiled model smallnet is damaged: its model.properties lacks a value or has a malformed one (For input string: \"lots\")",
          e.getMessage());
    }
    // a class that is no model is refused before it is initialized (its static code never runs)
    String good = Files.readString(props).replace("arena.floats=lots", "arena.floats=" + arenaFloats(small));
    Files.writeString(props, good.replaceAll("(?m)^class=.*$", java.util.regex.Matcher.quoteReplacement("class=" + Trap.class.getName())));
    try (URLClassLoader damaged = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
      BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(damaged, 1));
      assertEquals("the compiled model smallnet is damaged: its model.properties names the class netc.codegen.EmbeddingTest$Trap, which is"
          + " not a compiled netc model", e.getMessage());
    }
    assertFalse(TRAP_RAN.get(), "the named class's static initializer ran");
    // numbers that parse but cannot be the compiler's are refused at load, not at the first predict (a division
    // by zero for input.shape=0,0,0, a negative array size on a worker for arena.floats=-1); so is a load that
    // fails after the weights (labels not one a class); none starts a pool: no threads left behind
    String shape = "an image's channels, height and width: three sizes of at least 1, whose product a Java array holds";
    String[][] cases = {
        {"input\\.shape", "input.shape=0,0,0", "the compiled model smallnet is damaged: its model.properties gives input.shape=0,0,0, and it must be "
            + shape},
        {"input\\.shape", "input.shape=3,32", "the compiled model smallnet is damaged: its model.properties gives input.shape=3,32, and it must be "
            + shape},
        {"arena\\.floats", "arena.floats=-1", "the compiled model smallnet is damaged: its model.properties gives arena.floats=-1, and it must be a"
            + " workspace's floats: 1 to 2147483639"},
        {"output\\.size", "output.size=0", "the compiled model smallnet is damaged: its model.properties gives output.size=0, and it must be an"
            + " image's outputs, which its workspace holds: 1 to arena.floats (" + arenaFloats(small) + ")"},
        // sizes that pass those checks but are not what the class was generated for: arena.floats=10 loaded, and its first call
        // failed with an ArrayIndexOutOfBoundsException
        {"arena\\.floats", "arena.floats=10", "the compiled model smallnet is damaged: its model.properties gives arena.floats=10, and it must be "
            + arenaFloats(small) + ", what its class was generated for"},
        {"input\\.shape", "input.shape=3,16,64", "the compiled model smallnet is damaged: its model.properties gives input.shape=3,16,64, and it must"
            + " be 3,32,32, what its class was generated for"},
        {"weights\\.resource", "weights.resource=/netc/models/smallnet/weights.bin\nlabels.resource=/netc/models/smallnet/model.properties", null},
    };
    for (String[] c : cases) {
      Files.writeString(props, good.replaceAll("(?m)^" + c[0] + "=.*$", java.util.regex.Matcher.quoteReplacement(c[1])));
      try (URLClassLoader damaged = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
        BadInputException e = assertThrows(BadInputException.class, () -> CompiledModel.load(damaged, "smallnet", 11), c[1]);
        if (c[2] != null) assertEquals(c[2], e.getMessage());
        else assertTrue(e.getMessage().matches(".*/netc/models/smallnet/model\\.properties: damaged model: \\d+ labels \\(lines\\) for 10 classes"),
            e.getMessage());
      }
    }
    assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(ThreadPool.WORKER_NAME_PREFIX + "10")),
        "a failed load of 11 threads started the pool's workers");
  }

  static final java.util.concurrent.atomic.AtomicBoolean TRAP_RAN = new java.util.concurrent.atomic.AtomicBoolean();

  /** A class a damaged model.properties might name: its static code must not run. */
  static final class Trap {
    static {
      TRAP_RAN.set(true);
    }
  }

  private static long arenaFloats(Graph g) throws Exception {
    try (CompiledModel m = CompiledModel.load(smallJar, 1)) {
      return Long.parseLong(m.property("arena.floats"));
    }
  }

  /**
   * A jar replaced at its path (a retrained model deployed over the old one) while a model loaded from
   * it is still open: loading it again reads the new jar's weights, not the JDK's cached old file.
   */
  @Test
  void aJarReplacedAtItsPathLoadsItsNewWeights() throws Exception {
    Tensor x = GeneratedModelTest.random(small, 1, 8);
    Path live = dir.resolve("live.jar");
    Files.copy(smallJar, live, StandardCopyOption.REPLACE_EXISTING);
    try (CompiledModel old = CompiledModel.load(live, 1)) {
      assertArrayEquals(expected(small, smallWeights, x).data(), old.predict(x).data());
      Path next = dir.resolve("live.jar.next");
      Files.copy(smallAgainJar, next, StandardCopyOption.REPLACE_EXISTING);
      Files.move(next, live, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      try (CompiledModel fresh = CompiledModel.load(live, 1)) {
        assertArrayEquals(expected(small, CompiledModelTest.synthetic(small, 5), x).data(), fresh.predict(x).data());
      }
      assertArrayEquals(expected(small, smallWeights, x).data(), old.predict(x).data(), "the old model keeps its own weights");
    }
  }

  /** An input that is no whole number of the model's images (an image of another size) is refused; a larger buffer of whole images is not. */
  @Test
  void inputOfAnotherImageSizeIsRefused() throws Exception {
    try (CompiledModel m = CompiledModel.load(smallJar, 1)) {
      int per = 3 * 32 * 32;
      float[] out = new float[2 * m.outputSize()];
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(new float[3 * 40 * 40], 1, out));
      assertEquals("input holds 4800 floats, not a whole number of NCHW images of 3x32x32 (3072 floats each): an image of another size?"
          + " The model smallnet takes 32x32 (Preprocess.forModel(model) resizes and crops to it)", e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> m.predictNhwc(new float[per + 5], 1, out));
      assertTrue(e.getMessage().startsWith("input holds 3077 floats, not a whole number of NHWC images of 32x32x3 (3072 floats each)"), e.getMessage());
      Tensor x = GeneratedModelTest.random(small, 1, 9);
      float[] room = Arrays.copyOf(x.data(), 4 * per); // a buffer kept for batches of up to 4
      m.predict(room, 1, out);
      assertArrayEquals(m.predict(x).data(), Arrays.copyOf(out, m.outputSize()));
    }
    CompiledModel closed = CompiledModel.load(smallJar, 1);
    closed.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> closed.predictNhwc(new float[3 * 32 * 32], 1, new float[10]));
    assertEquals("the model smallnet was closed", e.getMessage());
  }

  /** The same model compiled twice gives the same files, byte for byte (no date in the properties): builds are reproducible. */
  @Test
  void compilingTwiceGivesTheSameFiles() throws Exception {
    List<Path> dirs = new ArrayList<>();
    for (String d : List.of("again-1", "again-2")) {
      Path classes = Files.createDirectories(dir.resolve(d));
      ModelCompiler.compileTo(PassManager.run(small, PassContext.defaults()), smallWeights, "smallnet.net", null, true, classes, s -> {});
      dirs.add(classes);
    }
    List<Path> files;
    try (var walk = Files.walk(dirs.get(0))) {
      files = walk.filter(Files::isRegularFile).map(dirs.get(0)::relativize).sorted().toList();
    }
    assertTrue(files.size() >= 4, files.toString());
    for (Path f : files) assertArrayEquals(Files.readAllBytes(dirs.get(0).resolve(f)), Files.readAllBytes(dirs.get(1).resolve(f)), f.toString());
    for (boolean thin : new boolean[] {true, false}) {
      Path a = dir.resolve("again-a-" + thin + ".jar"), b = dir.resolve("again-b-" + thin + ".jar");
      ModelCompiler.writeJar(dirs.get(0), a, !thin);
      Thread.sleep(1100); // past the second: a jar stamped with the time would differ
      ModelCompiler.writeJar(dirs.get(1), b, !thin);
      assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "the same jar, thin " + thin);
    }
    String props = Files.readString(dirs.get(0).resolve("netc/models/smallnet/model.properties"));
    assertTrue(props.startsWith("# netc compiled model\n") && props.lines().filter(l -> l.startsWith("#")).count() == 1, props);
  }

  /** Too little heap for the weights: an OutOfMemoryError that says how much they need, not "bad input". */
  @Test
  void tooLittleHeapSaysHowMuchTheWeightsNeed() throws Exception {
    Graph big = Specs.example("resnet18", Map.of("size", "32", "classes", "10"));
    Path jar = jar(big, CompiledModelTest.synthetic(big, 1), null, "big.jar", false);
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx24m", "--add-modules",
        "jdk.incubator.vector", "-jar", jar.toString(), "--info").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(1, p.waitFor(), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("error: loading the compiled model resnet18 needs \\d+\\.\\d MiB of heap for its weights"
        + " \\(and \\d+\\.\\d MiB per concurrent call\\); this JVM's maximum heap is \\d+\\.\\d MiB: raise it with -Xmx")), out);
    assertFalse(out.contains("Exception"), out);
  }

  /**
   * A thin model jar beside the runtime jar, on the module path (automatic modules netc.runtime and
   * netc.models.NAME: no package in both) and on the class path.
   */
  @Test
  void thinJarBesideTheRuntimeOnTheModulePathAndTheClassPath() throws Exception {
    Path runtime = runtimeJar();
    Path thin = jar(resnet, resnetWeights, null, "r18-thin.jar", true);
    try (java.util.jar.JarFile j = new java.util.jar.JarFile(thin.toFile())) {
      assertEquals("netc.models.resnet18", j.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
      assertTrue(j.stream().noneMatch(e -> e.getName().startsWith("netc/runtime/")), "a thin jar carries no runtime class");
    }
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String path = runtime + java.io.File.pathSeparator + thin;
    for (List<String> cmd : List.of(
        List.of(javaBin, "--module-path", path, "--add-modules", "jdk.incubator.vector,netc.models.resnet18", "-m", "netc.runtime/netc.runtime.Main", "--info"),
        List.of(javaBin, "--add-modules", "jdk.incubator.vector", "-cp", path, "netc.runtime.Main", "--info"))) {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
      assertTrue(out.contains("model: resnet18 (network resnet18, from resnet18.net)"), out);
      assertTrue(out.lines().anyMatch(l -> l.startsWith("kernels: vector-") || l.startsWith("kernels: scalar")), out);
    }
  }

  /**
   * The runtime as its jar: the one Maven built, or (tests run before packaging) its classes jarred
   * here with the Automatic-Module-Name that runtime/pom.xml gives it.
   */
  static Path runtimeJar() throws Exception {
    Path location = ModelCompiler.runtimeLocation();
    if (Files.isRegularFile(location)) return location;
    String pom = Files.readString(Path.of("../runtime/pom.xml"));
    assertTrue(pom.contains("<module.name>netc.runtime</module.name>"), "runtime/pom.xml names its automatic module netc.runtime");
    java.util.jar.Manifest m = new java.util.jar.Manifest();
    m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().putValue("Automatic-Module-Name", "netc.runtime");
    Path jar = dir.resolve("netc-runtime.jar");
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), m); var files = Files.walk(location)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new java.util.jar.JarEntry(location.relativize(f).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(f));
        out.closeEntry();
      }
    }
    return jar;
  }
}
