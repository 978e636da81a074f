package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import netc.runtime.io.Safetensors;
import netc.testing.Specs;
import netc.weights.WeightBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
  @TempDir Path dir;

  private static final String R18 = "../examples/resnet18.net";
  private static final String[] SMALL = {"-D", "width=8", "-D", "size=64", "-D", "classes=10"};

  private static String[] args(String... head) {
    String[] out = new String[head.length + SMALL.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(SMALL, 0, out, head.length, SMALL.length);
    return out;
  }

  @Test
  void weightsInitThenRunTheReference() throws IOException {
    Path w = dir.resolve("w.safetensors"), y = dir.resolve("y.npy"), x = dir.resolve("x.npy");
    Object[] r = netc(args("weights", "init", R18, "-o", w.toString(), "--seed", "5"));
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).startsWith("wrote " + w + ": 102 tensors"), (String) r[1]);
    assertEquals("5", Safetensors.read(w).metadata().get("seed"));
    // the metadata in a fixed order: Map.of's changed from one JVM to the next, so two runs wrote different bytes
    String header = header(w);
    assertTrue(header.startsWith("{\"__metadata__\":{\"producer\":\"netc weights init\",\"network\":\"resnet18\",\"seed\":\"5\",\"weights\":\"random\"},"),
        header.substring(0, 100));
    // three different images: an output of the wrong input, weights or image order differs
    Tensor input = Tensor.uniform(9, 3, 3, 64, 64);
    Npy.write(x, input);
    r = netc(args("run", R18, "--weights", w.toString(), "--input", x.toString(), "--output", y.toString(), "--reference"));
    assertEquals(0, r[0], (String) r[2]);
    Tensor out = Npy.read(y);
    assertArrayEquals3(out.shape());
    Graph g = Specs.example("resnet18", Map.of("width", "8", "size", "64", "classes", "10"));
    Tensor expected = Interpreter.run(g, WeightBinding.bind(g, w), input);
    assertTrue(expected.maxAbs() > 0, "the expected logits are not all zero");
    assertArrayEquals(expected.data(), out.data(), "run --reference's logits are the interpreter's on that input and those weights");
  }

  /** A safetensors file's JSON header, as written. */
  static String header(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    long length = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return new String(b, 8, (int) length, StandardCharsets.UTF_8);
  }

  private static void assertArrayEquals3(int[] shape) {
    assertEquals(2, shape.length);
    assertEquals(3, shape[0]);
    assertEquals(10, shape[1]);
  }

  @Test
  void badInputsGiveOneLineAndExitOne() throws IOException {
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
    Npy.write(x, Tensor.zeros(1, 3, 32, 32));
    Object[] r = netc(args("run", R18, "--input", x.toString(), "--output", y.toString(), "--reference"));
    assertEquals(1, r[0]);
    assertEquals("netc run: " + x + ": tensor has shape [1, 3, 32, 32], the network expects [N, 3, 64, 64]\n", r[2]);
    Path junk = dir.resolve("junk.safetensors");
    Files.writeString(junk, "not a safetensors file at all");
    r = netc(args("run", R18, "--weights", junk.toString(), "--input", x.toString(), "--output", y.toString(), "--reference"));
    assertEquals(1, r[0]);
    assertTrue(((String) r[2]).startsWith("netc run: " + junk + ": header length"), (String) r[2]);
    assertFalse(((String) r[2]).contains("Exception"));
    r = netc(args("run", R18, "--input", x.toString(), "--output", "/no/such/dir/y.npy", "--reference"));
    assertEquals(1, r[0]);
    assertEquals("netc run: cannot write /no/such/dir/y.npy: no such directory /no/such/dir\n", r[2]);
  }

  /**
   * An input's shape is checked from its .npy header before its data is read, by the reference and by
   * a jar run in-process: a sparse file saying [1000000, 3, 64, 65] (50 GB of floats, more than one Java array holds) gets the shape
   * line, where its size was refused first, and a smaller one read whole.
   */
  /**
   * A batch whose outputs would not fit one Java array (a model whose output per image outgrows its input: 1 value
   * in, 100,000 out) is the input file's problem, exit 1 naming it, not an internal error (exit 3).
   */
  @Test
  void aBatchWhoseOutputsOutgrowAnArrayIsTheInputsProblem() throws IOException {
    Path spec = Files.writeString(dir.resolve("wide.net"), "input(1, 1, 1)\nflatten()\nfc(100000)\n");
    Path jar = dir.resolve("wide.jar");
    Object[] c = netc("compile", spec.toString(), "-o", jar.toString());
    assertEquals(0, c[0], (String) c[2]);
    Path x = dir.resolve("x.npy");
    Npy.write(x, new Tensor(new int[] {30_000, 1, 1, 1}, new float[30_000]));
    Object[] r = netc("run", jar.toString(), "--input", x.toString(), "--output", dir.resolve("y.npy").toString());
    assertEquals(1, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc run: " + x + ": a batch of 30000 outputs of 100000 floats takes 3,000,000,000 floats"), (String) r[2]);
  }

  @Test
  void aWrongInputShapeIsRefusedBeforeItsDataIsRead() throws IOException {
    Path x = dir.resolve("huge.npy"), y = dir.resolve("y.npy"), jar = dir.resolve("m.jar");
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 3, 64, 65), }";
    String header = dict + " ".repeat(63 - (10 + dict.length()) % 64) + "\n"; // 64-byte aligned, as numpy pads
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(x.toFile(), "rw")) {
      f.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), (byte) (header.length() >> 8)});
      f.write(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      f.setLength(10 + header.length() + 4L * 1000000 * 3 * 64 * 65);
    }
    String line = x + ": tensor has shape [1000000, 3, 64, 65], the network expects [N, 3, 64, 64]\n";
    Object[] r = netc(args("run", R18, "--input", x.toString(), "--output", y.toString(), "--reference"));
    assertEquals(1, r[0], (String) r[2]);
    assertEquals("netc run: " + line, r[2]);
    assertEquals(0, netc(args("compile", R18, "-o", jar.toString()))[0]);
    r = netc("run", jar.toString(), "--input", x.toString(), "--output", y.toString());
    assertEquals(1, r[0], (String) r[2]);
    assertEquals("netc run: " + line, r[2]);
    assertFalse(Files.exists(y), "nothing written");
  }

  /** NaN weights are refused by both paths that read a weights file, before any work: one line, exit 1. */
  @Test
  void nanWeightsAreRefusedByRunReferenceAndByCompile() throws IOException {
    Path w = dir.resolve("w.safetensors"), x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
    assertEquals(0, netc(args("weights", "init", R18, "-o", w.toString()))[0]);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Safetensors s = Safetensors.read(w);
    for (Safetensors.Entry e : s.entries().values()) tensors.put(e.name(), new Tensor(e.shape(), s.floats(e.name())));
    tensors.get("fc.weight").data()[3] = Float.NaN;
    Safetensors.write(w, tensors, Map.of());
    Npy.write(x, Tensor.zeros(1, 3, 64, 64));
    String expected = w + ": fc.weight: 1 of 640 values is NaN\n";
    Object[] r = netc(args("run", R18, "--weights", w.toString(), "--input", x.toString(), "--output", y.toString(), "--reference"));
    assertEquals(1, r[0]);
    assertEquals("netc run: " + expected, r[2]);
    assertFalse(Files.exists(y));
    Path jar = dir.resolve("m.jar");
    r = netc(args("compile", R18, "--weights", w.toString(), "-o", jar.toString()));
    assertEquals(1, r[0]);
    assertEquals("netc compile: " + expected, r[2]);
    assertFalse(Files.exists(jar));
  }

  /** Tensors the spec does not use are a warning, and with --strict-weights an error before code is generated. */
  @Test
  void strictWeightsRefusesTensorsTheSpecDoesNotUse() throws IOException {
    Path spec = dir.resolve("tiny.net"), w = dir.resolve("w.safetensors"), jar = dir.resolve("m.jar");
    Files.writeString(spec, "input(3, 8, 8)\nc: conv(4, 3)\n");
    assertEquals(0, netc("weights", "init", spec.toString(), "-o", w.toString())[0]);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Safetensors s = Safetensors.read(w);
    for (Safetensors.Entry e : s.entries().values()) tensors.put(e.name(), new Tensor(e.shape(), s.floats(e.name())));
    tensors.put("fc.weight", Tensor.zeros(10, 4));
    Safetensors.write(w, tensors, Map.of());
    Object[] r = netc("compile", spec.toString(), "--weights", w.toString(), "-o", jar.toString(), "--strict-weights");
    assertEquals(1, r[0]);
    assertEquals("netc compile: " + w + " has 1 tensor the spec does not use: fc.weight (refused: strict weights)\n", r[2]);
    assertFalse(Files.exists(jar));
    r = netc("compile", spec.toString(), "--weights", w.toString(), "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(Files.exists(jar));
    // the warning goes to the caller's error stream (an in-process Main.run's, not the JVM's System.err)
    assertEquals("warning: " + w + " has 1 tensor the spec does not use: fc.weight\n", r[2]);
    Path x = dir.resolve("x.npy");
    Npy.write(x, Tensor.uniform(1, 1, 3, 8, 8));
    r = netc("run", spec.toString(), "--reference", "--weights", w.toString(), "--input", x.toString(), "--output", dir.resolve("y.npy").toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals("warning: " + w + " has 1 tensor the spec does not use: fc.weight\n", r[2]);
  }

  /**
   * A tensor of a layer the spec has but does not read (the weights' model has a bias the spec's conv leaves out) is
   * an error without --strict-weights: the compiled model would compute something else than the weights' model.
   */
  @Test
  void aTensorOfALayerThatDoesNotReadItIsRefused() throws IOException {
    Path spec = dir.resolve("nobias.net"), withBias = dir.resolve("withbias.net"), w = dir.resolve("b.safetensors"), jar = dir.resolve("nb.jar");
    Files.writeString(spec, "input(3, 8, 8)\nc: conv(4, 3, bias = false)\n");
    Files.writeString(withBias, "input(3, 8, 8)\nc: conv(4, 3)\n");
    assertEquals(0, netc("weights", "init", withBias.toString(), "-o", w.toString())[0]);
    Object[] r = netc("compile", spec.toString(), "--weights", w.toString(), "-o", jar.toString());
    assertEquals(1, r[0]);
    assertEquals("netc compile: " + w + ": tensor 'c.bias' belongs to layer c, which the spec does not give it"
        + " (a bias = false where the weights' model has a bias?)\n", r[2]);
    assertFalse(Files.exists(jar));
  }

  /** What compile says of a weights file whose metadata calls its weights random (netc weights init's, an export without --pretrained). */
  static final String RANDOM_NOTE = "note: %s holds random weights (its metadata says so: not trained, not ImageNet's): the model's answers"
      + " mean nothing\n";

  /**
   * Random weights said to be random: `netc weights init`'s and export_torchvision.py's without --pretrained or --state-dict
   * ("weights": "random" in the metadata) get a note; the same tensors marked as ImageNet's, or with no word, none.
   */
  @Test
  void randomWeightsAreSaidToBeRandom() throws IOException {
    Path spec = dir.resolve("r.net"), w = dir.resolve("r.safetensors"), jar = dir.resolve("r.jar");
    Files.writeString(spec, "input(3, 8, 8)\nc: conv(4, 3)\n");
    assertEquals(0, netc("weights", "init", spec.toString(), "-o", w.toString())[0]);
    Object[] r = netc("compile", spec.toString(), "--weights", w.toString(), "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals(RANDOM_NOTE.formatted(w), r[2]);
    Safetensors s = Safetensors.read(w);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Safetensors.Entry e : s.entries().values()) tensors.put(e.name(), new Tensor(e.shape(), s.floats(e.name())));
    for (String origin : new String[] {"random", "imagenet", null}) {
      Path marked = dir.resolve("marked-" + origin + ".safetensors");
      Safetensors.write(marked, tensors, origin == null ? Map.of() : Map.of("producer", "weights/export_torchvision.py", "weights", origin));
      r = netc("compile", spec.toString(), "--weights", marked.toString(), "-o", jar.toString());
      assertEquals(0, r[0], (String) r[2]);
      assertEquals("random".equals(origin) ? RANDOM_NOTE.formatted(marked) : "", r[2], "weights " + origin);
    }
  }

  /**
   * run --reference with a batch too large for the interpreter names the input file, as the jar's path does; and a
   * compiled jar named otherwise than .jar (compile -o writes any name) runs as a jar, by its zip bytes.
   */
  @Test
  void aBatchTooLargeNamesTheInputAndAJarOfAnyNameRuns() throws IOException {
    Path spec = Files.writeString(dir.resolve("wide.net"), "input(1, 1, 1)\nc: conv(4096, 1)\nrelu()\n");
    int batch = (1 << 19) + 1;
    Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
    Npy.write(x, new Tensor(new int[] {batch, 1, 1, 1}, new float[batch]));
    Object[] r = netc("run", spec.toString(), "--input", x.toString(), "--output", y.toString(), "--reference");
    assertEquals(1, r[0]);
    assertEquals("netc run: " + x + ": a batch of 524289 is too large for the reference interpreter: %1 c (4096x1x1 per image) would hold"
        + " 2147487744 values, more than a Java array holds (2147483639); give the batch in parts\n", r[2]);
    Path model = dir.resolve("small.model");
    assertEquals(0, netc("compile", "../examples/smallnet.net", "-o", model.toString())[0]);
    Path input = dir.resolve("one.npy");
    Npy.write(input, Tensor.uniform(3, 1, 3, 32, 32));
    r = netc("run", model.toString(), "--input", input.toString(), "--output", y.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals(1, Npy.read(y).shape()[0]);
  }

  /**
   * Finite inputs the network overflows to infinity or NaN (3e38) are the input file's problem, one line and exit 1, from
   * a compiled jar (whose predict refuses such outputs; it was "internal error", exit 3) and from the reference
   * interpreter alike (which wrote the NaN outputs, exit 0).
   */
  @Test
  void inputsTheNetworkOverflowsAreTheFilesProblem() throws IOException {
    Path model = dir.resolve("small.jar"), x = dir.resolve("huge.npy"), y = dir.resolve("y.npy");
    assertEquals(0, netc("compile", "../examples/smallnet.net", "-o", model.toString())[0]);
    Tensor huge = Tensor.uniform(3, 2, 3, 32, 32);
    java.util.Arrays.fill(huge.data(), 3 * 32 * 32, 2 * 3 * 32 * 32, 3e38f); // image 1
    Npy.write(x, huge);
    for (String[] call : List.of(new String[] {"run", model.toString()}, new String[] {"run", "../examples/smallnet.net", "--reference"})) {
      List<String> args = new java.util.ArrayList<>(List.of(call));
      args.addAll(List.of("--input", x.toString(), "--output", y.toString()));
      Object[] r = netc(args.toArray(new String[0]));
      assertEquals(1, r[0], String.join(" ", call) + ": " + r[2]);
      String line = (String) r[2];
      assertTrue(line.startsWith("netc run: " + x + ": output ") && line.contains(" of image 1 is ")
          && line.contains(": the network's float32 arithmetic overflowed, or divided by zero, on that image") && line.lines().count() == 1, line);
      assertFalse(Files.exists(y), "nothing written");
    }
  }
}
