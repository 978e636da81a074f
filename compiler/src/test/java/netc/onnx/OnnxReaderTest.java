package netc.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import netc.ast.NetcException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ONNX reader: what it decodes, and one clear message, quickly, for files that are broken or hostile. */
class OnnxReaderTest {
  static final Path FIXTURES = Path.of("../weights/fixtures/onnx");

  @TempDir Path dir;

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  /** {@code count} int32 values, {@code value(i)} each, packed as one length-delimited field's bytes. */
  private static byte[] packedInt32s(int count, java.util.function.IntUnaryOperator value) throws IOException {
    java.io.ByteArrayOutputStream packed = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream c = com.google.protobuf.CodedOutputStream.newInstance(packed);
    for (int i = 0; i < count; i++) c.writeInt32NoTag(value.applyAsInt(i));
    c.flush();
    return packed.toByteArray();
  }

  /** The reader's message for {@code bytes} as a file, which must come within a second. */
  private String error(byte[] bytes) throws IOException {
    Path p = write("m.onnx", bytes);
    NetcException e = assertTimeoutPreemptively(Duration.ofSeconds(1), () -> assertThrows(NetcException.class, () -> OnnxReader.read(p)));
    assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void readsATorchExport() {
    OnnxModel m = OnnxReader.read(FIXTURES.resolve("misc.onnx"));
    assertEquals(13, m.opset());
    assertEquals("input", m.inputs().get(0).name());
    assertArrayEquals(new long[] {-1, 3, 32, 32}, m.inputs().get(0).dims()); // the dynamic batch is a symbol
    assertEquals("Conv", m.nodes().get(0).opType());
    assertArrayEquals(new long[] {1, 1, 1, 1}, m.nodes().get(0).attribute("pads").ints());
    OnnxTensor w = m.initializers().get("conv1.weight");
    assertArrayEquals(new long[] {8, 3, 3, 3}, w.dims());
    assertEquals(8 * 3 * 3 * 3, w.floats().length);
    // Constant nodes are initializers: the int64 [-1] that the flatten chain concatenates
    assertTrue(m.nodes().stream().noneMatch(n -> n.opType().equals("Constant")));
    assertArrayEquals(new long[] {-1}, m.initializers().get("/Constant_1_output_0").longs());
  }

  @Test
  void decodesTypedFieldsAndFloat16() throws IOException {
    byte[] typed = OnnxBytes.tensor("f", OnnxReader.FLOAT, new long[] {2}, out -> {
      out.writeFloat(4, 1.5f); // unpacked
      out.writeFloat(4, -2f);
    });
    byte[] ints = OnnxBytes.tensor("i", OnnxReader.INT64, new long[] {3}, out -> {
      out.writeInt64(7, 5);
      out.writeInt64(7, -1);
      out.writeInt64(7, 1L << 40);
    });
    // float16 1.0 = 0x3c00 and -0.5 = 0xb800, once raw and once in int32_data
    byte[] halfRaw = OnnxBytes.tensor("h", OnnxReader.FLOAT16, new long[] {2},
        out -> out.writeBytes(9, ByteString.copyFrom(new byte[] {0x00, 0x3c, 0x00, (byte) 0xb8})));
    byte[] halfTyped = OnnxBytes.tensor("g", OnnxReader.FLOAT16, new long[] {2}, out -> {
      out.writeInt32(5, 0x3c00);
      out.writeInt32(5, 0xb800);
    });
    OnnxModel m = OnnxReader.read(write("m.onnx", OnnxBytes.withInitializers(typed, ints, halfRaw, halfTyped)));
    assertArrayEquals(new float[] {1.5f, -2f}, m.initializers().get("f").floats());
    assertArrayEquals(new long[] {5, -1, 1L << 40}, m.initializers().get("i").longs());
    assertArrayEquals(new float[] {1f, -0.5f}, m.initializers().get("h").floats());
    assertArrayEquals(new float[] {1f, -0.5f}, m.initializers().get("g").floats());
    // a float16 weight of more values than an integer tensor may have (onnx.helper.make_tensor's, packed in int32_data):
    // as many as its dims say, not refused as "more than 1048576 integer values"
    int many = OnnxReader.MAX_INTEGER_ELEMENTS + 3;
    byte[] large = OnnxBytes.tensor("big", OnnxReader.FLOAT16, new long[] {many}, out -> out.writeByteArray(5, packedInt32s(many, i -> i % 2 == 0 ? 0x3c00 : 0xb800)));
    float[] big = OnnxReader.read(write("big.onnx", OnnxBytes.withInitializers(large))).initializers().get("big").floats();
    assertEquals(many, big.length);
    assertEquals(1f, big[many - 1]);
    assertEquals(-0.5f, big[many - 2]);
    // an int32 tensor of as many stays refused: integers are shapes and indices
    byte[] manyInts = OnnxBytes.tensor("ints", OnnxReader.INT32, new long[] {many}, out -> out.writeByteArray(5, packedInt32s(many, i -> 1)));
    assertTrue(error(OnnxBytes.withInitializers(manyInts)).contains("more than 1048576 integer values"), error(OnnxBytes.withInitializers(manyInts)));
  }

  /**
   * Bounds on the whole model, not only each record: node inputs and outputs, and integer values (tensors and INTS
   * attributes), in all; within them a model reads. (Lowered here; a file of many records each within the per-record
   * bounds reached gigabytes before.)
   */
  @Test
  void theWholeModelsNodeValuesAndIntegersAreBounded() throws IOException {
    long names = OnnxReader.maxModelValueNames, integers = OnnxReader.maxModelIntegers;
    try {
      OnnxReader.maxModelValueNames = 5;
      List<byte[]> relus = List.of(OnnxBytes.node("a", "Relu", List.of("x"), List.of("r1")), OnnxBytes.node("b", "Relu", List.of("r1"), List.of("r2")),
          OnnxBytes.node("c", "Relu", List.of("r2"), List.of("y")));
      String e = error(OnnxBytes.model(OnnxBytes.graph(relus, List.of(), 1, 1, 1)));
      assertTrue(e.endsWith("the model's nodes name more than 5 inputs and outputs in all (at node 3); networks name thousands"), e);
      OnnxReader.maxModelValueNames = 6;
      assertEquals(3, OnnxReader.read(write("six.onnx", OnnxBytes.model(OnnxBytes.graph(relus, List.of(), 1, 1, 1)))).nodes().size());

      OnnxReader.maxModelIntegers = 10;
      byte[] six = OnnxBytes.tensor("i", OnnxReader.INT64, new long[] {6}, out -> {
        for (int k = 0; k < 6; k++) out.writeInt64(7, k);
      });
      byte[] sixRaw = OnnxBytes.tensor("j", OnnxReader.INT64, new long[] {6}, out -> out.writeBytes(9, ByteString.copyFrom(new byte[48])));
      assertEquals(6, OnnxReader.read(write("one.onnx", OnnxBytes.withInitializers(six))).initializers().get("i").longs().length);
      e = error(OnnxBytes.withInitializers(six, sixRaw));
      assertTrue(e.contains("the model holds more than 10 integer values in all (tensors and attributes"), e);
    } finally {
      OnnxReader.maxModelValueNames = names;
      OnnxReader.maxModelIntegers = integers;
    }
  }

  @Test
  void readsExternalDataBesideTheModel() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8 + 12).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0).putFloat(1f).putFloat(2f).putFloat(3f);
    write("w.bin", b.array());
    byte[] model = OnnxBytes.withInitializers(OnnxBytes.external("w", new long[] {3}, "w.bin", "8", "12"));
    assertArrayEquals(new float[] {1, 2, 3}, OnnxReader.read(write("m.onnx", model)).initializers().get("w").floats());
  }

  /**
   * External data count against the same heap as the file's own bytes, from where they leave off: 10 MB of
   * floats (an array of 10 MB beside their 10 MB read) fit a heap of 30 MB and not one of 15 MB, whose
   * message names the tensor and the total.
   */
  @Test
  void externalDataCountOnFromTheModelsOwnBytes() throws IOException {
    int floats = 2_500_000;
    try (SeekableByteChannel ch = Files.newByteChannel(dir.resolve("big.bin"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        StandardOpenOption.SPARSE)) {
      ch.position(4L * floats - 1);
      ch.write(ByteBuffer.wrap(new byte[] {0}));
    }
    Path model = write("m.onnx", OnnxBytes.withInitializers(OnnxBytes.external("w", new long[] {floats}, "big.bin", null, null)));
    assertEquals(floats, OnnxReader.read(model, 30_000_000).initializers().get("w").floats().length);
    NetcException e = assertThrows(NetcException.class, () -> OnnxReader.read(model, 15_000_000));
    long total = 2 * Files.size(model) + 2 * 4L * floats;
    assertTrue(e.getMessage().contains("tensor 'w': the model and its external data take " + total + " bytes of heap up to this tensor, more than"
        + " this JVM's heap of 15000000: "), e.getMessage());
  }

  /**
   * A model that cannot be reached says why: one behind a loop of links was "no such file", one this user may not read
   * "cannot read the model: /path" (an AccessDeniedException's message is the path alone). Linux's write-only
   * /proc/sys/vm/drop_caches refuses even root, which the tests may run as; the same holds for external data.
   */
  @Test
  void aModelThatCannotBeReachedSaysWhy() throws IOException {
    Path a = dir.resolve("loop-a"), b = dir.resolve("loop-b");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    String looped = assertThrows(NetcException.class, () -> OnnxReader.read(a.resolve("m.onnx"))).getMessage();
    assertTrue(looped.startsWith(a.resolve("m.onnx") + ": cannot read the model: ") && looped.toLowerCase(java.util.Locale.ROOT).contains("symbolic links"),
        looped);
    Path writeOnly = Path.of("/proc/sys/vm/drop_caches");
    Assumptions.assumeTrue(Files.isRegularFile(writeOnly) && !Files.isReadable(writeOnly), "Linux's /proc/sys");
    Path model = Files.createSymbolicLink(dir.resolve("w.onnx"), writeOnly);
    assertEquals(model + ": cannot read the model: permission denied", assertThrows(NetcException.class, () -> OnnxReader.read(model)).getMessage());
    Files.createSymbolicLink(dir.resolve("loop.bin"), dir.resolve("loop.bin"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", new long[] {3}, "loop.bin", null, null)))
        .toLowerCase(java.util.Locale.ROOT).contains("external data file 'loop.bin': cannot read it: too many levels of symbolic links"));
  }

  @Test
  void externalDataMustBePresentInsideTheFolderAndLongEnough() throws IOException {
    write("w.bin", new byte[12]);
    long[] three = {3};
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", three, "missing.bin", null, null)))
        .endsWith("tensor 'w': external data file 'missing.bin' not found beside the model"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", three, "../w.bin", null, null)))
        .endsWith("tensor 'w': external data location '../w.bin' leaves the model's folder"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", three, "/etc/passwd", null, null)))
        .contains("is an absolute path"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", three, "w.bin", "4", "12")))
        .endsWith("external data 'w.bin' offset 4 length 12 lies beyond its end (12 bytes)"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", new long[] {4}, "w.bin", null, null)))
        .endsWith("tensor 'w': external data has 12 bytes, but its dims [4] of float32 need 16"));
  }

  /**
   * What a read-only review of the reader found: a folder or a device named as external data is "not a regular
   * file" (it said "not found"); a Constant with two values, two versions of the default operator set, a uint64
   * past 2^63 - 1 read from raw_data, an integer tensor of millions of values, and a node of 65,537 attributes
   * are refused, where one was chosen silently or the memory ran out; an error in a graph input is placed there.
   */
  @Test
  void hostileLayoutsTheReviewFoundAreRefused() throws IOException {
    java.nio.file.Files.createDirectories(dir.resolve("sub"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", new long[] {3}, "sub", null, null)))
        .endsWith("tensor 'w': external data 'sub' is not a regular file"));
    java.nio.file.Files.createSymbolicLink(dir.resolve("zero.bin"), Path.of("/dev/zero"));
    assertTrue(error(OnnxBytes.withInitializers(OnnxBytes.external("w", new long[] {3}, "zero.bin", null, null)))
        .endsWith("tensor 'w': external data 'zero.bin' is not a regular file"));

    byte[] two = OnnxBytes.node("k", "Constant", List.of(), List.of("k"), OnnxBytes.real("value_float", 2f), OnnxBytes.ints("value_ints", 1));
    assertTrue(error(OnnxBytes.model(OnnxBytes.graph(List.of(two), List.of(), 1, 1, 1)))
        .endsWith("Constant node 'k' has 2 values, [value_float, value_ints]; ONNX's has one"));

    byte[] graph = OnnxBytes.graph(List.of(OnnxBytes.node("r", "Relu", List.of("x"), List.of("y"))), List.of(), 1, 1, 1);
    byte[] model = OnnxBytes.model(graph, 6);
    // opset_import (field 8) domain "ai.onnx" version 13 after the version-6 entry: the last won
    byte[] second = OnnxBytes.message(out -> out.writeByteArray(8, OnnxBytes.message(o -> {
      o.writeString(1, "ai.onnx");
      o.writeInt64(2, 13);
    })));
    byte[] both = java.util.Arrays.copyOf(model, model.length + second.length);
    System.arraycopy(second, 0, both, model.length, second.length);
    assertTrue(error(both).endsWith("opset_import names the default operator set twice, at versions 6 and 13; a model imports it once"), error(both));
    byte[] same = OnnxBytes.model(graph, 13), sameTwice = java.util.Arrays.copyOf(same, same.length + second.length);
    System.arraycopy(second, 0, sameTwice, same.length, second.length);
    assertEquals(13, OnnxReader.read(write("ok.onnx", sameTwice)).opset(), "the same version twice is one");
    // an entry of the default domain without a version reads as version 0 (protobuf's default), not as "a negative
    // version, -2"; an explicit -1 is named as -1
    byte[] noVersion = OnnxBytes.message(out -> {
      out.writeInt64(1, 8);
      out.writeByteArray(8, OnnxBytes.message(o -> o.writeString(1, "")));
      out.writeByteArray(7, graph);
    });
    assertTrue(error(noVersion).contains("the model imports version 0 of the default ONNX operator set"), error(noVersion));
    assertTrue(error(OnnxBytes.model(graph, -1)).endsWith("opset_import gives the default operator set a negative version, -1"),
        error(OnnxBytes.model(graph, -1)));

    byte[] big = new byte[16];
    java.util.Arrays.fill(big, 8, 16, (byte) 0xff);
    byte[] uint64 = OnnxBytes.tensor("s", 13, new long[] {2}, out -> out.writeBytes(9, ByteString.copyFrom(big))); // 13: UINT64
    assertTrue(error(OnnxBytes.withInitializers(uint64)).endsWith("tensor 's' holds the uint64 18446744073709551615, past what netc reads (2^63 - 1)"));

    byte[] many = OnnxBytes.tensor("b", 2, new long[] {2_000_000}, out -> out.writeBytes(9, ByteString.copyFrom(new byte[2_000_000]))); // 2: UINT8
    assertTrue(error(OnnxBytes.withInitializers(many)).endsWith("tensor 'b' holds 2000000 integers; netc reads integer tensors as shapes, indices"
        + " and bounds, at most 1048576"));

    byte[][] attributes = new byte[OnnxReader.MAX_VALUES + 1][];
    for (int i = 0; i < attributes.length; i++) attributes[i] = OnnxBytes.integer("a" + i, 1);
    assertTrue(error(OnnxBytes.model(OnnxBytes.graph(List.of(OnnxBytes.node("r", "Relu", List.of("x"), List.of("y"), attributes)), List.of(), 1, 1, 1)))
        .endsWith("node 'r' has more than 65536 attributes"));

    byte[] badInput = OnnxBytes.message(out -> {
      out.writeByteArray(5, OnnxBytes.floats("w", new long[] {1}, 1f));
      out.writeByteArray(11, OnnxBytes.valueInfo("x", new long[65]));
    });
    String placed = error(OnnxBytes.model(badInput));
    assertTrue(placed.contains("graph input 1") && !placed.contains("tensor 'w'"), placed);
  }

  /** Tensors that all name one region of an external file read it once at most, not once each. */
  @Test
  void externalRegionsThatOverlapAreRefused() throws IOException {
    write("w.bin", new byte[12]);
    byte[] twice = OnnxBytes.withInitializers(OnnxBytes.external("a", new long[] {3}, "w.bin", "0", "12"),
        OnnxBytes.external("b", new long[] {3}, "w.bin", "0", "12"));
    assertTrue(error(twice).endsWith("tensor 'b': external data 'w.bin': the tensors stored in it take 24 bytes of its 12; their regions overlap"),
        error(twice));
  }

  /** One name, two sources: the reader refuses rather than keep whichever came last. */
  @Test
  void aTensorGivenTwiceIsRefused() throws IOException {
    byte[] two = OnnxBytes.withInitializers(OnnxBytes.floats("w", new long[] {1}, 1f), OnnxBytes.floats("w", new long[] {1}, 2f));
    assertTrue(error(two).endsWith("tensor 'w' is given twice (two initializers, or a Constant node's output and an initializer); in ONNX every"
        + " tensor has one source"), error(two));
  }

  /** double_data split into many unpacked fields reads in time linear in their number (it once copied all earlier values each time). */
  @Test
  void manyUnpackedDoublesReadInLinearTime() throws IOException {
    int n = 200_000;
    byte[] doubles = OnnxBytes.tensor("d", OnnxReader.DOUBLE, new long[] {n}, out -> {
      for (int i = 0; i < n; i++) out.writeDouble(10, i * 0.5);
    });
    Path p = write("m.onnx", OnnxBytes.withInitializers(doubles));
    OnnxModel m = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> OnnxReader.read(p));
    float[] v = m.initializers().get("d").floats();
    assertEquals(n, v.length);
    assertEquals(99_999.5f, v[n - 1]);
    byte[] ragged = OnnxBytes.tensor("d", OnnxReader.DOUBLE, new long[] {1}, out -> out.writeByteArray(10, new byte[12]));
    assertTrue(error(OnnxBytes.withInitializers(ragged)).contains("packed doubles of 12 bytes, not a multiple of 8"), error(OnnxBytes.withInitializers(ragged)));
  }

  @Test
  void dimsMustAgreeWithTheDataAndFitAnArray() throws IOException {
    String e = error(OnnxBytes.withInitializers(OnnxBytes.floats("w", new long[] {1000}, 1f, 2f)));
    assertTrue(e.endsWith("tensor 'w' has 8 bytes of data, but its dims [1000] of float32 need 4000"), e);
    e = error(OnnxBytes.withInitializers(OnnxBytes.floats("w", new long[] {1L << 40, 1L << 40}, 1f)));
    assertTrue(e.contains("tensor 'w' has dims [1099511627776, 1099511627776]: more than"), e);
    e = error(OnnxBytes.withInitializers(OnnxBytes.floats("w", new long[] {-1}, 1f)));
    assertTrue(e.endsWith("tensor 'w' has a negative dim -1"), e);
    // typed data: as many values as the dims say, else no array is sized from the dims
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("t", OnnxReader.FLOAT, new long[] {1 << 28}, out -> out.writeFloat(4, 1f))));
    assertTrue(e.endsWith("tensor 't' has 1 values, but its dims [268435456] hold 268435456"), e);
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("t", OnnxReader.FLOAT, new long[] {1 << 30}, out -> out.writeFloat(4, 1f))));
    assertTrue(e.endsWith("tensor 't' has dims [1073741824]: more than 2 GiB of data"), e);
  }

  /**
   * A tensor's data is in one place, of the field its type has, within its type's range: with two (raw_data and
   * float_data, external data and raw_data) the first found was read and the other never looked at; an INT64 in
   * int32_data kept its low 32 bits; a BOOL of 7 was kept. ONNX's checker refuses each.
   */
  @Test
  void aTensorsDataIsInOnePlaceOfItsTypesField() throws IOException {
    ByteBuffer raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f);
    String e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("w", OnnxReader.FLOAT, new long[] {2}, out -> {
      out.writeBytes(9, com.google.protobuf.ByteString.copyFrom(raw.array()));
      out.writeFloat(4, 3f);
      out.writeFloat(4, 4f);
    })));
    assertTrue(e.endsWith("tensor 'w' has its data in both raw_data and float_data; ONNX keeps it in one"), e);
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("i", OnnxReader.INT64, new long[] {1}, out -> out.writeInt32(5, 7))));
    assertTrue(e.endsWith("tensor 'i' of int64 has its values in int32_data; ONNX keeps them in int64_data"), e);
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("b", OnnxReader.BOOL, new long[] {2}, out -> {
      out.writeInt32(5, 1);
      out.writeInt32(5, 7);
    })));
    assertTrue(e.endsWith("tensor 'b' of bool has value 7 at 1, outside 0 to 1"), e);
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("m", OnnxReader.INT64, new long[] {2}, out -> {
      out.writeInt64(7, 1);
      out.writeUInt64(11, 2);
    })));
    assertTrue(e.endsWith("tensor 'm' has integer values in both int64_data and uint64_data; ONNX keeps a tensor's values in one field"), e);
    // a dim after a 0 is bounded too: the product stays 0, but the dim would wrap where read as an int
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("z", OnnxReader.FLOAT, new long[] {8, 0, 4294967299L}, out -> {})));
    assertTrue(e.endsWith("tensor 'z' has dims [8, 0, 4294967299]: a dim over 2147483639"), e);
  }

  /**
   * Records are bounded in number as they arrive: each empty graph input is two bytes of the file and some 44 of
   * memory, so a 200 MB file of them took 4-5 GB.
   */
  @Test
  void emptyRecordsAreBoundedInNumber() throws IOException {
    byte[] graph = OnnxBytes.message(out -> {
      for (int i = 0; i <= OnnxReader.MAX_VALUES; i++) out.writeByteArray(11, new byte[0]);
    });
    String e = error(OnnxBytes.model(graph));
    assertTrue(e.endsWith("the graph has more than 65536 inputs"), e);
  }

  /** An attribute given twice, and a Constant node that writes the graph input: each refused, as ONNX's checker refuses them. */
  @Test
  void anAttributeTwiceAndAConstantOverTheInputAreRefused() throws IOException {
    byte[] twice = OnnxBytes.node("conv", "Conv", List.of("x", "w"), List.of("y"), OnnxBytes.ints("pads", 0, 0, 0, 0), OnnxBytes.ints("pads", 1, 1, 1, 1));
    String e = error(OnnxBytes.model(OnnxBytes.graph(List.of(twice), List.of(OnnxBytes.floats("w", new long[] {1, 1, 1, 1}, 1f)), 1, 4, 4)));
    assertTrue(e.endsWith("node 'conv' has attribute 'pads' twice; ONNX gives each once"), e);
    byte[] constant = OnnxBytes.node("k", "Constant", List.of(), List.of("x"), OnnxBytes.real("value_float", 2f));
    e = error(OnnxBytes.model(OnnxBytes.graph(List.of(constant), List.of(), 1, 4, 4)));
    assertTrue(e.endsWith("Constant node 'k' writes the graph input 'x'; in ONNX every tensor has one source"), e);
  }

  /**
   * Integer lists are capped as they are read, not after: a packed varint is one byte of the file and
   * eight of memory, so a small file of dims or int64 values would otherwise fill the heap.
   */
  @Test
  void integerListsAreCappedAsTheyArrive() throws IOException {
    long[] manyDims = new long[100];
    Arrays.fill(manyDims, 1);
    String e = error(OnnxBytes.withInitializers(OnnxBytes.floats("w", manyDims, 1f)));
    assertTrue(e.endsWith("in initializer 1: more than 64 dims"), e); // dims come before the name in the file
    // int64 values past what the dims (written first, as writers do) hold: refused at the first extra one
    e = error(OnnxBytes.withInitializers(OnnxBytes.tensor("i", OnnxReader.INT64, new long[] {2}, out -> {
      for (int k = 0; k < 1000; k++) out.writeInt64(7, k);
    })));
    assertTrue(e.endsWith("in tensor 'i': more than 2 integer values"), e);
  }

  @Test
  void aTruncatedModelIsOneMessage() throws IOException {
    byte[] whole = Files.readAllBytes(FIXTURES.resolve("resnet_basic.onnx"));
    for (int cut : new int[] {whole.length / 2, whole.length - 1, 3}) {
      String e = error(Arrays.copyOf(whole, cut));
      assertTrue(e.contains("not an ONNX model, or truncated: in "), e);
      assertTrue(e.endsWith(": the data ends inside a field, or a length in it is wrong"), e);
    }
  }

  @Test
  void hostileLengthsFailFast() throws IOException {
    // graph (field 7) claims 2 GiB - 1 bytes; so does a raw_data
    String e = error(new byte[] {0x08, 0x08, 0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07});
    assertTrue(e.contains("truncated"), e);
    byte[] bomb = OnnxBytes.tensor("w", OnnxReader.FLOAT, new long[] {4}, out -> {
      out.writeTag(9, 2);
      out.writeUInt32NoTag(Integer.MAX_VALUE);
    });
    e = error(OnnxBytes.withInitializers(bomb));
    assertTrue(e.contains("not an ONNX model, or truncated"), e);
    // groups (wire type 3) nest without a length; they are refused, not skipped recursively
    byte[] groups = new byte[30000];
    Arrays.fill(groups, (byte) 0x1b); // field 3, start group
    e = error(groups);
    assertTrue(e.contains("is a group, which ONNX never uses"), e);
  }

  @Test
  void notAModel() throws IOException {
    String e = error("input(3, 32, 32)\nconv(8, 3)\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertTrue(e.contains("not an ONNX model"), e);
    e = error(OnnxBytes.message(out -> out.writeInt64(1, 8)));
    assertTrue(e.endsWith("not an ONNX model (no graph)"), e);
  }

  @Test
  void aModelOverTwoGibibytesIsRefusedBeforeReading() throws IOException {
    Path big = dir.resolve("big.onnx");
    try (SeekableByteChannel ch = Files.newByteChannel(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
      ch.position(1L << 31);
      ch.write(ByteBuffer.wrap(new byte[] {0}));
    }
    NetcException e = assertThrows(NetcException.class, () -> OnnxReader.read(big));
    assertEquals(big + ": the model is 2,147,483,649 bytes; an ONNX file holds at most 2 GiB (larger models keep weights as external data)",
        e.getMessage());
  }

  /** A model that, read and decoded, would not fit the heap is refused by name before it is read (it ran out of memory, naming no file). */
  @Test
  void aModelLargerThanTheHeapAllowsIsRefusedBeforeReading() throws IOException {
    Path big = dir.resolve("big.onnx");
    try (SeekableByteChannel ch = Files.newByteChannel(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
      ch.position(100_000_000 - 1);
      ch.write(ByteBuffer.wrap(new byte[] {0}));
    }
    NetcException e = assertThrows(NetcException.class, () -> OnnxReader.read(big, 150_000_000));
    assertTrue(e.getMessage().startsWith(big + ": the model is 100,000,000 bytes; read and decoded, it takes about 200,000,000 bytes of heap, more than"
        + " this JVM's heap of 150,000,000: "), e.getMessage());
    // within the heap it is read, and refused for what it holds (zeros: no ModelProto with a graph)
    NetcException read = assertThrows(NetcException.class, () -> OnnxReader.read(big, 250_000_000));
    assertFalse(read.getMessage().contains("heap"), read.getMessage());
  }

  @Test
  void constantNodesBecomeInitializers() throws IOException {
    byte[] value = OnnxBytes.message(out -> {
      out.writeString(1, "value");
      out.writeInt32(20, OnnxAttribute.TENSOR);
      out.writeByteArray(5, OnnxBytes.floats("", new long[] {2}, 3f, 4f));
    });
    byte[] graph = OnnxBytes.graph(List.of(OnnxBytes.node("c", "Constant", List.of(), List.of("k"), value)), List.of(), 1, 1, 1);
    OnnxModel m = OnnxReader.read(write("m.onnx", OnnxBytes.model(graph)));
    assertTrue(m.nodes().isEmpty());
    assertArrayEquals(new float[] {3f, 4f}, m.initializers().get("k").floats());
  }

  /**
   * The default domain's version must be one the importer reads its operators by, 7 to 27: before 7,
   * Add and Mul broadcast by attributes (Sub(x, mean[C], broadcast=1, axis=1) is per channel) and
   * BatchNormalization's is_test defaults to training; past 27 an operator may mean something else.
   * Both were imported as if of today's opsets.
   */
  @Test
  void opsetsOutsideThoseTheImporterKnowsAreRefused() throws IOException {
    byte[] graph = OnnxBytes.graph(List.of(OnnxBytes.node("r", "Relu", List.of("x"), List.of("y"))), List.of(), 1, 1, 1);
    assertEquals(dir.resolve("m.onnx") + ": the model imports version 6 of the default ONNX operator set (opset_import); netc reads versions 7 to 27"
        + " (before 7, Add, Sub, Mul and Div broadcast by attributes, and other operators' defaults differ): convert it first (python3 -c"
        + " \"import onnx, onnx.version_converter as v; onnx.save(v.convert_version(onnx.load('IN.onnx'), 13), 'OUT.onnx')\")",
        error(OnnxBytes.model(graph, 6)));
    assertEquals(dir.resolve("m.onnx") + ": the model imports version 28 of the default ONNX operator set (opset_import); netc reads versions 7 to"
        + " 27 (a later version may define its operators anew; netc knows them up to 27): export it again at version 27 or earlier"
        + " (torch.onnx.export's opset_version)", error(OnnxBytes.model(graph, 28)));
    for (long opset : new long[] {7, 27}) assertEquals(opset, OnnxReader.read(write("ok.onnx", OnnxBytes.model(graph, opset))).opset());
  }

  /**
   * A Constant's value_float written as an INT attribute (or value_int as a FLOAT) was read from the
   * field its type does not fill: 0, so Clip(x, zero, six) became clip(0, 0). Refused by name; an
   * untyped attribute (older writers) has the type of the one field it fills, and is read.
   */
  @Test
  void aConstantsValueOfAnotherTypeIsRefused() throws IOException {
    byte[] six = OnnxBytes.integer("value_float", 6);
    assertEquals(dir.resolve("m.onnx") + ": node 'six' (Constant) has attribute value_float of type INT; Constant's value_float is FLOAT",
        error(OnnxBytes.model(OnnxBytes.graph(List.of(OnnxBytes.node("six", "Constant", List.of(), List.of("k"), six)), List.of(), 1, 1, 1))));
    byte[] two = OnnxBytes.real("value_int", 2f);
    assertEquals(dir.resolve("m.onnx") + ": node 'two' (Constant) has attribute value_int of type FLOAT; Constant's value_int is INT",
        error(OnnxBytes.model(OnnxBytes.graph(List.of(OnnxBytes.node("two", "Constant", List.of(), List.of("k"), two)), List.of(), 1, 1, 1))));
    byte[] untyped = OnnxBytes.message(out -> {
      out.writeString(1, "value_float");
      out.writeFloat(2, 6f);
    });
    OnnxModel m = OnnxReader.read(write("u.onnx", OnnxBytes.model(OnnxBytes.graph(List.of(OnnxBytes.node("six", "Constant", List.of(), List.of("k"),
        untyped)), List.of(), 1, 1, 1))));
    assertArrayEquals(new float[] {6f}, m.initializers().get("k").floats());
  }

  /**
   * Where protobuf-java reads a file otherwise than protobuf's C++ parser (onnx.load, ONNX Runtime), the file is refused
   * or read as they read it: a length of 2^32 or more kept its low 32 bits and the file was read on from there.
   */
  @Test
  void aLengthPastTwoGibibytesIsRefusedNotWrapped() throws IOException {
    byte[] wrapped = OnnxBytes.tensor("w", OnnxReader.FLOAT, new long[] {4}, out -> {
      out.writeTag(9, 2);
      out.writeUInt64NoTag((1L << 32) + 16); // read as 16, the 16 bytes below
      out.writeRawBytes(new byte[16]);
    });
    String e = error(OnnxBytes.withInitializers(wrapped));
    assertTrue(e.contains("a field's length is 4294967312 bytes, past 2 GiB"), e);
    // so in a field the reader skips (the graph's value_info): its first 16 bytes a node, hidden from onnx.load's reading
    byte[] node = OnnxBytes.node("r", "Relu", List.of("x"), List.of("y"));
    byte[] graph = OnnxBytes.message(out -> {
      out.writeTag(13, 2); // value_info
      out.writeUInt64NoTag((1L << 32) + node.length + 2);
      out.writeByteArray(1, node);
      out.writeByteArray(11, OnnxBytes.valueInfo("x", new long[] {-1, 1, 1, 1}));
      out.writeByteArray(12, OnnxBytes.valueInfo("y", new long[0]));
    });
    e = error(OnnxBytes.model(graph));
    assertTrue(e.contains("a field's length is " + ((1L << 32) + node.length + 2) + " bytes, past 2 GiB"), e);
  }

  /**
   * An attribute holds its value in the field of its declared type, and a tensor attribute once: LeakyRelu's alpha
   * typed FLOAT with its value in i was read as 0 (a ReLU); a Constant's t given twice kept the second (protobuf merges them).
   */
  @Test
  void anAttributesValueInAnotherTypesFieldOrGivenTwiceIsRefused() throws IOException {
    byte[] alpha = OnnxBytes.message(out -> {
      out.writeString(1, "alpha");
      out.writeInt64(3, 1);
      out.writeEnum(20, OnnxAttribute.FLOAT);
    });
    String e = error(OnnxBytes.model(OnnxBytes.graph(List.of(OnnxBytes.node("lr", "LeakyRelu", List.of("x"), List.of("y"), alpha)), List.of(), 1, 1, 1)));
    assertTrue(e.endsWith("attribute 'alpha' is typed FLOAT but holds a value in its field i; a typed attribute holds its value in that type's field alone"), e);
    byte[] twice = OnnxBytes.message(out -> {
      out.writeString(1, "value");
      out.writeByteArray(5, OnnxBytes.floats("", new long[] {2}, 1f, 2f));
      out.writeByteArray(5, OnnxBytes.floats("", new long[] {2}, 3f, 4f));
      out.writeEnum(20, OnnxAttribute.TENSOR);
    });
    e = error(OnnxBytes.model(OnnxBytes.graph(List.of(OnnxBytes.node("k", "Constant", List.of(), List.of("k"), twice)), List.of(), 1, 1, 1)));
    assertTrue(e.endsWith("attribute 'value' gives its tensor t twice; a writer gives it once"), e);
  }

  /** A value's type given twice merges, as protobuf merges it: a second type without an elem_type keeps the first's. */
  @Test
  void aValuesTypeGivenTwiceKeepsItsElementType() throws IOException {
    byte[] input = OnnxBytes.message(out -> {
      out.writeRawBytes(OnnxBytes.valueInfo("x", new long[] {-1, 1, 1, 1}));
      out.writeByteArray(2, OnnxBytes.message(o -> o.writeByteArray(1, new byte[0]))); // type { tensor_type {} }
    });
    byte[] graph = OnnxBytes.message(out -> {
      out.writeByteArray(1, OnnxBytes.node("r", "Relu", List.of("x"), List.of("y")));
      out.writeByteArray(11, input);
      out.writeByteArray(12, OnnxBytes.valueInfo("y", new long[0]));
    });
    OnnxModel m = OnnxReader.read(write("m.onnx", OnnxBytes.model(graph)));
    assertEquals(OnnxReader.FLOAT, m.inputs().get(0).elemType());
    assertArrayEquals(new long[] {-1, 1, 1, 1}, m.inputs().get(0).dims());
  }

  /**
   * float16 values in int32_data are kept as their 16 bits while read (a long each made a 256 MB file of them 3 GiB of
   * heap), each within 0 to 65535, and the type they were read as cannot change after them.
   */
  @Test
  void halfFloatsInInt32DataTakeTwoBytesEachWhileRead() throws IOException {
    int many = 1 << 20;
    byte[] large = OnnxBytes.tensor("big", OnnxReader.FLOAT16, new long[] {many}, out -> out.writeByteArray(5, packedInt32s(many, i -> i % 2 == 0 ? 0x3c00 : 0x4000)));
    Path p = write("big.onnx", OnnxBytes.withInitializers(large));
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    float[] big = OnnxReader.read(p).initializers().get("big").floats();
    long perValue = (threads.getCurrentThreadAllocatedBytes() - before) / many;
    assertEquals(2f, big[many - 1]);
    assertEquals(1f, big[many - 2]);
    // the file's 3 bytes a value, 4 while the bits' list grows, the 4 of the floats: 11 here; longs made it 22
    assertTrue(perValue < 16, perValue + " bytes allocated a value");
    byte[] outside = OnnxBytes.tensor("h", OnnxReader.FLOAT16, new long[] {2}, out -> {
      out.writeInt32(5, 0x3c00);
      out.writeInt32(5, 70000);
    });
    String e = error(OnnxBytes.withInitializers(outside));
    assertTrue(e.endsWith("a float16 or bfloat16 tensor has value 70000 in int32_data at 1, outside 0 to 65535"), e);
    byte[] retyped = OnnxBytes.tensor("h", OnnxReader.FLOAT16, new long[] {1}, out -> {
      out.writeInt32(5, 0x3c00);
      out.writeInt32(2, OnnxReader.INT32);
    });
    e = error(OnnxBytes.withInitializers(retyped));
    assertTrue(e.endsWith("tensor 'h' holds float16 bits in int32_data, read as its data_type said, which then became int32"), e);
    // an empty packed field holds no value (it was read as one, past its end: "truncated")
    byte[] empty = OnnxBytes.tensor("h", OnnxReader.FLOAT16, new long[] {1}, out -> {
      out.writeByteArray(5, new byte[0]);
      out.writeInt32(5, 0x3c00);
    });
    assertArrayEquals(new float[] {1f}, OnnxReader.read(write("e.onnx", OnnxBytes.withInitializers(empty))).initializers().get("h").floats());
  }

  /** A graph field given twice is one graph, as protobuf merges it: the nodes and initializers of both, in order. */
  @Test
  void aGraphSplitOverTwoFieldsIsMerged() throws IOException {
    byte[] first = OnnxBytes.message(out -> {
      out.writeByteArray(1, OnnxBytes.node("r", "Relu", List.of("x"), List.of("h")));
      out.writeByteArray(5, OnnxBytes.floats("a", new long[] {1}, 1f));
      out.writeByteArray(11, OnnxBytes.valueInfo("x", new long[] {-1, 1, 1, 1}));
    });
    byte[] second = OnnxBytes.message(out -> {
      out.writeByteArray(1, OnnxBytes.node("s", "Sigmoid", List.of("h"), List.of("y")));
      out.writeByteArray(5, OnnxBytes.floats("b", new long[] {1}, 2f));
      out.writeByteArray(12, OnnxBytes.valueInfo("y", new long[0]));
    });
    byte[] model = OnnxBytes.message(out -> {
      out.writeInt64(1, 8);
      out.writeByteArray(8, OnnxBytes.message(o -> o.writeInt64(2, 13)));
      out.writeByteArray(7, first);
      out.writeByteArray(7, second);
    });
    OnnxModel m = OnnxReader.read(write("m.onnx", model));
    assertEquals(List.of("Relu", "Sigmoid"), m.nodes().stream().map(OnnxNode::opType).toList());
    assertEquals(java.util.Set.of("a", "b"), m.initializers().keySet());
    assertEquals("x", m.inputs().get(0).name());
    assertEquals("y", m.outputs().get(0).name());
    // a tensor given in both parts is still given twice
    byte[] again = OnnxBytes.message(out -> out.writeByteArray(5, OnnxBytes.floats("a", new long[] {1}, 3f)));
    byte[] twice = OnnxBytes.message(out -> {
      out.writeInt64(1, 8);
      out.writeByteArray(8, OnnxBytes.message(o -> o.writeInt64(2, 13)));
      out.writeByteArray(7, first);
      out.writeByteArray(7, again);
    });
    assertTrue(error(twice).contains("tensor 'a' is given twice"), error(twice));
  }
}
