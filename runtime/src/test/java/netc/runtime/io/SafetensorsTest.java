package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  /** A file of the given header (its length declared exactly) and data bytes. */
  private static ByteBuffer file(String header, byte[] data) {
    return file(header, header.getBytes(StandardCharsets.UTF_8).length, data);
  }

  /** A file whose first 8 bytes declare {@code declared} as the header length, whatever the header's real length. */
  private static ByteBuffer file(String header, long declared, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declared).put(h).put(data).flip();
    return b;
  }

  private static String error(ByteBuffer f) {
    return assertThrows(BadInputException.class, () -> Safetensors.parse("w.safetensors", f, null)).getMessage();
  }

  private static String f32(String name, int n, long begin) {
    return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[" + begin + "," + (begin + 4L * n) + "]}";
  }

  @Test
  void aTensorNameWithALineBreakStaysOnOneLineInTheMessage() {
    // found by SafetensorsFuzzTest: names from the file were printed raw, so one error took several lines
    String header = "{\"b\\n.running_var\":{\"shape\":[1],\"data_offsets\":[0,4]}}";
    assertEquals("w.safetensors: tensor 'b\\n.running_var' has no dtype", error(file(header, new byte[4])));
  }

  @Test
  void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("conv1.weight", new Tensor(new int[] {2, 1, 2, 2}, new float[] {1, -2, 3.5f, 0, 1e-30f, -0f, 7, 8}));
    tensors.put("fc.bias", new Tensor(new int[] {3}, new float[] {0.1f, 0.2f, 0.3f}));
    Path p = dir.resolve("t.safetensors");
    Safetensors.write(p, tensors, Map.of("producer", "test \"quoted\""));
    Safetensors s = Safetensors.read(p);
    assertEquals(tensors.keySet(), s.entries().keySet());
    assertArrayEquals(new int[] {2, 1, 2, 2}, s.entries().get("conv1.weight").shape());
    assertArrayEquals(tensors.get("conv1.weight").data(), s.floats("conv1.weight"));
    assertArrayEquals(tensors.get("fc.bias").data(), s.floats("fc.bias"));
    assertEquals("test \"quoted\"", s.metadata().get("producer"));
    assertEquals(0, (Files.size(p) - 8 - ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).getLong(0)) % 4);
    // the shapes handed out are copies: one changed by the caller sized floats()' read (a shorter tensor, or the next one's bytes)
    s.entries().get("conv1.weight").shape()[0] = 1;
    int[] given = {2, 3};
    Safetensors.Entry made = new Safetensors.Entry("t", Safetensors.Dtype.F32, given, 0, 24);
    given[0] = 7; // the caller's array changed after: the entry keeps its own
    assertArrayEquals(new int[] {2, 3}, made.shape());
    assertArrayEquals(new int[] {2, 1, 2, 2}, s.entries().get("conv1.weight").shape());
    assertArrayEquals(tensors.get("conv1.weight").data(), s.floats("conv1.weight"));
  }

  /**
   * F64 values convert to the nearest float32; a finite one beyond float32's range has none, and is
   * refused with the tensor and its index rather than read as an infinity (and then called one).
   * Infinities and NaN pass through as such, for the weight checks to name.
   */
  @Test
  void aDoubleOutsideFloatRangeIsNamedWithItsIndex() {
    double[] values = {1, -3.4028235e38, Double.POSITIVE_INFINITY, Double.NaN, 1e-50, 2.5};
    ByteBuffer data = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) data.putDouble(v);
    String header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2,3],\"data_offsets\":[0,48]}}";
    assertArrayEquals(new float[] {1, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NaN, 0, 2.5f},
        Safetensors.parse("w", file(header, data.array()), null).floats("d"));
    data.putDouble(8 * 4, -1e300);
    assertEquals("w: tensor 'd' holds -1.0E300 at [1, 1] (F64), outside float32's range (±3.4028235E38)",
        assertThrows(BadInputException.class, () -> Safetensors.parse("w", file(header, data.array()), null).floats("d")).getMessage());
    data.putDouble(8 * 4, 1e-50).putDouble(8 * 5, 3.5e38); // the last value, also through chunks of one element from a file
    Path p = dir.resolve("d.safetensors");
    ByteBuffer whole = file(header, data.array());
    try {
      Files.write(p, java.util.Arrays.copyOf(whole.array(), whole.limit()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertEquals(p + ": tensor 'd' holds 3.5E38 at [1, 2] (F64), outside float32's range (±3.4028235E38)",
        assertThrows(BadInputException.class, () -> Safetensors.read(p, 1).floats("d")).getMessage());
  }

  @Test
  void halfAndBfloat16ConvertToFloat() {
    // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001
    // BF16: 1.0 = 0x3F80, -0.5 = 0xBF00
    ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF).putShort((short) 0x0001);
    data.putShort((short) 0x3F80).putShort((short) 0xBF00);
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
    Safetensors s = Safetensors.parse("w", file(header, data.array()), null);
    assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f}, s.floats("h"));
    assertArrayEquals(new float[] {1f, -0.5f}, s.floats("b"));
  }

  @Test
  void integerTensorsAreListedButNotReadAsFloats() {
    String header = "{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
        + "\"ids\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
    Safetensors s = Safetensors.parse("w", file(header, new byte[12]), null);
    assertEquals(Safetensors.Dtype.I64, s.entries().get("bn.num_batches_tracked").dtype());
    assertEquals(Safetensors.Dtype.U16, s.entries().get("ids").dtype());
    assertEquals("w: tensor 'bn.num_batches_tracked' has dtype I64, expected a float type",
        assertThrows(BadInputException.class, () -> s.floats("bn.num_batches_tracked")).getMessage());
    assertEquals("w: no tensor 'x'", assertThrows(BadInputException.class, () -> s.floats("x")).getMessage());
  }

  @Test
  void everyDtypeOfTheFormatIsListedAndSubByteTensorsEndOnAByte() {
    // a quantized checkpoint: its float weights beside scales and packed codes of the newer dtypes
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"scale\":{\"dtype\":\"F8_E8M0\",\"shape\":[2],\"data_offsets\":[8,10]},"
        + "\"codes\":{\"dtype\":\"F4\",\"shape\":[2,3],\"data_offsets\":[10,13]},"
        + "\"six\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[13,16]},"
        + "\"z\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[16,24]}}";
    ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
    Safetensors s = Safetensors.parse("w", file(header, data.array()), null);
    assertArrayEquals(new float[] {1.5f, -2f}, s.floats("w"));
    assertEquals(Safetensors.Dtype.F4, s.entries().get("codes").dtype());
    assertEquals("w: tensor 'scale' has dtype F8_E8M0, expected a float type",
        assertThrows(BadInputException.class, () -> s.floats("scale")).getMessage());
    // three 4-bit codes end inside their second byte: the reference implementation refuses that too
    String odd = "{\"codes\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}";
    assertEquals("w: tensor 'codes' of shape [3] and dtype F4 does not end on a byte boundary (4 bits an element)",
        assertThrows(BadInputException.class, () -> Safetensors.parse("w", file(odd, new byte[2]), null)).getMessage());
  }

  @Test
  void corruptFilesGiveClearErrors() {
    assertEquals("w.safetensors: file of 3 bytes is too short for a header", error(ByteBuffer.wrap(new byte[3])));
    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
    huge.flip();
    assertEquals("w.safetensors: header length 1099511627776 does not fit the file of 16 bytes", error(huge.limit(16)));
    assertEquals("w.safetensors: header length -1 does not fit the file of 10 bytes", error(file("{}", -1, new byte[0])));
    // other files given as weights say what they are: a compiled jar was only "header length 578712638083779408 does not fit"
    byte[] jar = new byte[64];
    System.arraycopy(new byte[] {'P', 'K', 3, 4, 20, 0, 8, 8}, 0, jar, 0, 8);
    assertEquals("w.safetensors: header length 578712638083779408 does not fit the file of 64 bytes: it begins as a zip archive (a compiled"
        + " jar?), not a safetensors file", error(ByteBuffer.wrap(jar)));
    byte[] npy = new byte[64];
    System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, 0, npy, 0, 8);
    assertTrue(error(ByteBuffer.wrap(npy)).endsWith(" does not fit the file of 64 bytes: it is a .npy tensor, not a safetensors file"));
    byte[] png = new byte[64];
    System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10}, 0, png, 0, 8);
    assertTrue(error(ByteBuffer.wrap(png)).endsWith(" does not fit the file of 64 bytes: it is a PNG image, not a safetensors file"));
    assertEquals("w.safetensors: header of 5 bytes does not end with '}' followed only by space padding: is the header length right?",
        error(file("{\"a\":", new byte[0])));
    // where, as the file's byte (after the 8 of the length, in UTF-8), so a hex editor finds it: "\u00e9" is two bytes
    assertEquals("w.safetensors: malformed JSON header: expected ':' at byte 13", error(file("{\"a\" }", new byte[0])));
    assertEquals("w.safetensors: malformed JSON header: expected ':' at byte 16", error(file("{\"\u00e9\u00e9\" }", new byte[0])));
    // counted as UTF-8 encodes: 1, 2, 3 and 4 bytes (a surrogate pair), without encoding the header
    String mixed = "a\u00e9\u732b\uD83D\uDE00b";
    for (int at = 0; at <= mixed.length(); at++) {
      if (at == 4) continue; // inside the pair
      assertEquals(8 + mixed.substring(0, at).getBytes(java.nio.charset.StandardCharsets.UTF_8).length, Safetensors.fileByte(mixed, at), "at " + at);
    }
    assertEquals("w.safetensors: header is not a JSON object (its first byte is not '{')", error(file("[1, 2]", new byte[0])));
    assertEquals("w.safetensors: header is not a JSON object (its first byte is not '{')", error(file(" {}", new byte[0])));
    assertEquals("w.safetensors: header is not UTF-8", error(file("{\"\u00e9\":1}", 8, new byte[0]).put(10, (byte) 0xff)));
    assertTrue(error(file("{\"a\":1,\"a\":2}", new byte[0])).contains("duplicate key \"a\""));
    assertEquals("w.safetensors: entry 'a' is not an object", error(file("{\"a\":1}", new byte[0])));
    // Integer.parseInt("+041", 16) is 65: a unicode escape takes four hex digits, no sign
    assertTrue(error(file("{\"\\u+041\":1}", new byte[0])).startsWith("w.safetensors: malformed JSON header: bad \\u escape"));
    assertEquals("w.safetensors: __metadata__ values must be strings, 'k' is not", error(file("{\"__metadata__\":{\"k\":1}}", new byte[0])));
    // a null __metadata__ is none, as the reference reader takes it (it was refused as "not an object")
    assertEquals(Map.of(), Safetensors.parse("w.safetensors", file("{\"__metadata__\":null}", new byte[0]), null).metadata());
  }

  @Test
  void entriesAreCheckedAgainstTheirDtypeShapeAndOffsets() {
    assertEquals("w.safetensors: tensor 'a' offsets [0, 64] lie outside the data section of 16 bytes",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[0,64]}}", new byte[16])));
    assertEquals("w.safetensors: tensor 'a' offsets [8, 4] lie outside the data section of 16 bytes",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[16])));
    assertEquals("w.safetensors: tensor 'a' offsets [-4, 0] lie outside the data section of 16 bytes",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[16])));
    assertEquals("w.safetensors: tensor 'a' has no valid data_offsets",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", new byte[4])));
    assertEquals("w.safetensors: tensor 'a' of shape [3] and dtype F32 needs 12 bytes, its offsets give 16",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", new byte[16])));
    assertEquals("w.safetensors: tensor 'a' has unknown dtype F8",
        error(file("{\"a\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2])));
    assertEquals("w.safetensors: tensor 'a' has no dtype", error(file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2])));
    // a product that overflows a long is refused from the header alone: nothing of that size is ever allocated
    assertEquals("w.safetensors: tensor 'a' of shape [2147483647, 2147483647, 2147483647] and dtype F64 needs more than "
        + Long.MAX_VALUE / 8 + " bytes, its offsets give 16",
        error(file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,16]}}", new byte[16])));
    // 2^62 elements of 4 bytes overflow only in the byte count
    assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2],\"data_offsets\":[0,16]}}", new byte[16]))
        .contains("needs more than " + Long.MAX_VALUE / 8 + " bytes"));
    assertEquals("w.safetensors: tensor 'a' has an invalid dimension -1",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4])));
    assertEquals("w.safetensors: tensor 'a' has an invalid dimension 2.5",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,4]}}", new byte[4])));
    assertEquals("w.safetensors: tensor 'a' has an invalid dimension 4294967296",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296, 0],\"data_offsets\":[0,0]}}", new byte[0])));
    assertEquals("w.safetensors: tensor 'a' has no valid shape (a list of at most 8 dimensions)",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", new byte[4])));
  }

  /** As in the reference implementation, the tensors tile the data section: no gap, no overlap, nothing after. */
  @Test
  void tensorsCoverTheDataSectionExactlyOnce() {
    assertEquals("w.safetensors: tensors 'a' [0, 8] and 'b' [4, 12] overlap",
        error(file("{" + f32("a", 2, 0) + "," + f32("b", 2, 4) + "}", new byte[12])));
    assertEquals("w.safetensors: tensors 'a' [0, 8] and 'b' [0, 8] overlap",
        error(file("{" + f32("a", 2, 0) + "," + f32("b", 2, 0) + "}", new byte[8])));
    assertEquals("w.safetensors: bytes [0, 4) of the data section belong to no tensor (the first tensor 'a' starts at 4)",
        error(file("{" + f32("a", 2, 4) + "}", new byte[12])));
    assertEquals("w.safetensors: bytes [8, 12) of the data section belong to no tensor (a gap between 'a' and 'b')",
        error(file("{" + f32("b", 1, 12) + "," + f32("a", 2, 0) + "}", new byte[16])));
    byte[] trailing = new byte[12];
    trailing[8] = 1;
    assertEquals("w.safetensors: the tensors end at byte 8 of the data section of 12 bytes: 4 trailing bytes belong to no tensor",
        error(file("{" + f32("a", 2, 0) + "}", trailing)));
    assertEquals("w.safetensors: the tensors end at byte 0 of the data section of 4 bytes: 4 trailing bytes belong to no tensor",
        error(file("{}", new byte[4])));
    // empty tensors take no bytes and may sit at any boundary; header order need not be offset order
    Safetensors s = Safetensors.parse("w", file("{" + f32("b", 1, 8) + "," + f32("e", 0, 8) + "," + f32("a", 2, 0) + ","
        + f32("z", 0, 12) + "}", new byte[12]), null);
    assertEquals(0, s.floats("e").length);
    assertEquals(1, s.floats("b").length);
  }

  /**
   * The campaign's case: a header length 1 to 7 bytes short still parses (the rest is space padding)
   * but would read every tensor shifted; it is refused, as is a length that cuts into the JSON or
   * reaches past the padding into the data.
   */
  @Test
  void aHeaderLengthThatIsOffIsRefused() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    tensors.put("fc.weight", new Tensor(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
    tensors.put("fc.bias", new Tensor(new int[] {2}, new float[] {7, 8}));
    Path p = dir.resolve("w.safetensors");
    // pad the JSON to a multiple of 8 with 7 spaces, by choosing the metadata's length
    String value = "";
    do {
      Safetensors.write(p, tensors, Map.of("k", value));
      value += "x";
    } while (!new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("}       "));
    byte[] valid = Files.readAllBytes(p);
    long length = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertArrayEquals(new float[] {7, 8}, Safetensors.parse("w", ByteBuffer.wrap(valid), null).floats("fc.bias"));
    for (int k = 1; k <= 7; k++) {
      ByteBuffer b = ByteBuffer.wrap(valid.clone()).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length - k);
      assertEquals("w.safetensors: header length " + (length - k) + " is " + k + (k == 1 ? " byte" : " bytes")
          + " short of the header's end (its space padding runs into the data section): every tensor would be read shifted", error(b));
    }
    for (int k = 8; k <= 12; k++) {
      ByteBuffer b = ByteBuffer.wrap(valid.clone()).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length - k);
      String msg = error(b);
      assertTrue(msg.contains("does not end with '}' followed only by space padding") || msg.contains("malformed JSON header"), msg);
    }
    for (int k = 1; k <= 7; k++) {
      ByteBuffer b = ByteBuffer.wrap(valid.clone()).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length + k);
      // the data's first bytes (1.0f: 00 00 80 3f) are not padding, nor even UTF-8 from the third on
      String msg = error(b);
      assertTrue(msg.contains("does not end with '}' followed only by space padding") || msg.equals("w.safetensors: header is not UTF-8"), msg);
    }
    // a longer length whose extra bytes happen to be spaces leaves the tensors past the data's end
    ByteBuffer spaces = file("{" + f32("a", 1, 0) + "}", f32("a", 1, 0).length() + 2 + 4, new byte[] {' ', ' ', ' ', ' '});
    assertTrue(error(spaces).contains("lie outside the data section of 0 bytes"));
  }

  /**
   * A header within the 100,000,000-byte bound but of millions of values (empty objects in a field no reader uses
   * took an object each, 2 GB of heap for 100 MiB, and the out-of-memory named no file) is refused at the
   * first value past the budget, naming the file and the offset, before it is built.
   */
  @Test
  void aHeaderOfTooManyValuesIsRefusedBeforeItIsBuilt() {
    String tensor = "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]";
    String header = "{" + tensor + ",\"junk\":[" + "{},".repeat(99) + "{}]}}";
    ByteBuffer f = file(header, new byte[4]);
    // the top object, key and entry, then the entry's fields (keys, dtype, shape and its dimension, offsets and two numbers): 12 values
    assertEquals(1, Safetensors.parse("w.safetensors", f, 12 + 2 + 100).entries().size(), "within the budget: the unused field is ignored");
    BadInputException e = assertThrows(BadInputException.class, () -> Safetensors.parse("w.safetensors", f, 12 + 2 + 99));
    assertEquals("w.safetensors: header has more than 113 JSON values (at byte " + (8 + header.lastIndexOf("{}")) + "); a tensor's entry takes"
        + " about a dozen", e.getMessage());

    // the default budget: empty objects past it, a 6 MB header, refused at once
    int many = (int) Safetensors.MAX_HEADER_VALUES + 1;
    String big = "{" + tensor + ",\"junk\":[" + "{},".repeat(many - 1) + "{}]}}";
    e = assertThrows(BadInputException.class, () -> Safetensors.parse("big.safetensors", file(big, new byte[4]), null));
    int past = big.indexOf("{}") + 3 * (many - 1 - 14); // the empty object past the budget: 14 values come before them
    assertEquals("big.safetensors: header has more than " + Safetensors.MAX_HEADER_VALUES + " JSON values (at byte " + (8 + past)
        + "); a tensor's entry takes about a dozen", e.getMessage());
  }

  /**
   * A header that is one long string (16 MiB of metadata) is read in a JVM of 64 MB. It was held as its
   * bytes, the decoder's char buffer of twice their size, the String of it, that String without the padding,
   * the parser's builder and the value, some 7 times its size, and the read needed over 112 MB; now the
   * text and the value, about 40 MB.
   */
  @Test
  void aHeaderOfOneLongStringIsNotCopiedOverAndOver() throws Exception {
    int n = 16 << 20;
    Path f = dir.resolve("long.safetensors");
    ByteBuffer b = file("{\"__metadata__\":{\"note\":\"" + "x".repeat(n) + "\"}," + f32("w", 1, 0) + "}", new byte[4]);
    Files.write(f, java.util.Arrays.copyOf(b.array(), b.limit()));
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        ReadNote.class.getName(), f.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("read.log").toFile()).start();
    // the output to a file, so the wait can time out: a read of the pipe would block until the JVM ended
    boolean ended = p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
    if (!ended) p.destroyForcibly();
    String out = Files.readString(dir.resolve("read.log"), StandardCharsets.UTF_8).strip();
    assertTrue(ended, "the reading JVM ends: " + out);
    assertEquals("a note of " + n + " characters, tensors [w]", out);
  }

  /** Reads the file named by its argument and prints the length of its metadata's note (a test's JVM of a given heap). */
  public static final class ReadNote {
    public static void main(String[] args) {
      Safetensors s = Safetensors.read(Path.of(args[0]));
      System.out.println("a note of " + s.metadata().get("note").length() + " characters, tensors " + s.tensors());
    }
  }

  /** Tensors at offsets aligned to nothing read the same values in chunks of any size, down to one element. */
  @Test
  void chunksOfAnySizeReadTheSameValues() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(10 + 28 + 24 + 6).order(ByteOrder.LITTLE_ENDIAN);
    float[] h = {1, -2, 0.5f, 4, 65504}, f = {1.5f, -2.25f, 3e-8f, 4e30f, -5, 6, 7}, d = {0.1f, -1e-3f, 12345.5f};
    for (int bits : new int[] {0x3C00, 0xC000, 0x3800, 0x4400, 0x7BFF}) data.putShort((short) bits); // h in binary16
    for (float v : f) data.putFloat(v);
    for (float v : d) data.putDouble(v);
    for (float v : new float[] {1, -0.5f, 3}) data.putShort((short) (Float.floatToIntBits(v) >>> 16));
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
        + "\"f\":{\"dtype\":\"F32\",\"shape\":[7],\"data_offsets\":[10,38]},"
        + "\"d\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[38,62]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[62,68]}}";
    Path p = dir.resolve("chunks.safetensors");
    ByteBuffer whole = file(header, data.array());
    Files.write(p, java.util.Arrays.copyOf(whole.array(), whole.limit()));
    for (int chunk : new int[] {1, 2, 7, 8, 9, 12, 13, 16, 31, 64, Safetensors.CHUNK}) {
      Safetensors s = Safetensors.read(p, chunk);
      assertArrayEquals(h, s.floats("h"), "chunk " + chunk);
      assertArrayEquals(f, s.floats("f"), "chunk " + chunk);
      assertArrayEquals(d, s.floats("d"), "chunk " + chunk);
      assertArrayEquals(new float[] {1, -0.5f, 3}, s.floats("b"), "chunk " + chunk);
    }
  }

  /**
   * A sparse file past 2 GiB (a hole, then a small tensor): read, not refused with "Size exceeds
   * Integer.MAX_VALUE" (as when it was mapped whole); a tensor of more floats than a Java array holds
   * is refused with its name. Takes milliseconds: the hole is never read.
   */
  @Test
  void filesPastTwoGigabytesAreRead() throws IOException {
    long big = 1L << 31; // 2^31 floats: 8 GiB of hole
    String header = "{\"huge\":{\"dtype\":\"F32\",\"shape\":[2," + big / 2 + "],\"data_offsets\":[0," + 4 * big + "]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + 4 * big + "," + (4 * big + 16) + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    Path p = dir.resolve("sparse.safetensors");
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      ByteBuffer start = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
      f.write(start.array());
      ByteBuffer w = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(-2).putFloat(3).putFloat(4.5f);
      f.seek(8 + h.length + 4 * big);
      f.write(w.array());
    }
    Safetensors s = Safetensors.read(p);
    assertArrayEquals(new float[] {1, -2, 3, 4.5f}, s.floats("w"));
    assertEquals(p + ": tensor 'huge' has 2147483648 values, more than one Java array holds (2147483639)",
        assertThrows(BadInputException.class, () -> s.floats("huge")).getMessage());
  }

  /**
   * The chunks of a tensor just under the array limit: the last one ends at the limit, and the count past it
   * is not computed in int ({@code done += per} passed Integer.MAX_VALUE there, and the negative count that
   * followed failed an 8 GB read with an IllegalArgumentException after the whole tensor was read).
   */
  @Test
  void chunksReachTheArrayLimitWithoutOverflow() throws IOException {
    for (int per : new int[] {Safetensors.CHUNK / 8, Safetensors.CHUNK / 4, Safetensors.CHUNK / 2}) { // F64, F32, F16 and BF16
      long[] next = {0}, chunks = {0};
      Safetensors.chunks(Safetensors.MAX_ARRAY, per, (done, count) -> {
        assertEquals(next[0], done, "chunks follow each other");
        assertTrue(count > 0 && count <= per, "count " + count + " at " + done);
        next[0] = (long) done + count;
        chunks[0]++;
      });
      assertEquals(Safetensors.MAX_ARRAY, next[0], "per " + per + ": the chunks end at the tensor's end");
      assertEquals(((long) Safetensors.MAX_ARRAY + per - 1) / per, chunks[0], "per " + per);
    }
  }

  @Test
  void truncatedFileOnDisk() throws IOException {
    Map<String, Tensor> tensors = Map.of("w", new Tensor(new int[] {256}, new float[256]));
    Path p = dir.resolve("t.safetensors");
    Safetensors.write(p, tensors, Map.of());
    byte[] all = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(all, all.length - 100));
    String msg = assertThrows(BadInputException.class, () -> Safetensors.read(p)).getMessage();
    assertTrue(msg.startsWith(p + ": tensor 'w' offsets [0, 1024] lie outside the data section"), msg);
    assertEquals("cannot read weights " + dir.resolve("none") + ": no such file",
        assertThrows(BadInputException.class, () -> Safetensors.read(dir.resolve("none"))).getMessage());
    assertEquals("cannot read weights " + dir + ": not a regular file (a directory)", assertThrows(BadInputException.class, () -> Safetensors.read(dir)).getMessage());
    assertEquals("cannot read weights /dev/zero: not a regular file (a device or a pipe)",
        assertThrows(BadInputException.class, () -> Safetensors.read(Path.of("/dev/zero"))).getMessage());
    Path empty = dir.resolve("empty.safetensors");
    Safetensors.write(empty, Map.of(), Map.of());
    assertEquals(Map.of(), Safetensors.read(empty).entries(), "a file of no tensors maps an empty data section");
  }

  /**
   * A file changed after its header was read and before a tensor is: cut short in place (copied over,
   * a writer that truncates first), replaced by another of the same size, or removed. Each is one
   * message naming the file, never a JVM InternalError from a mapped page past the end, nor zeros or
   * another file's values taken for the tensor, whatever the dtype.
   */
  @Test
  void aFileChangedAfterItsHeaderWasReadIsNamed() throws IOException {
    for (String dtype : new String[] {"F32", "F64"}) {
      int n = dtype.equals("F32") ? 16384 : 8192; // 64 KiB of data
      String header = "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + n + "],\"data_offsets\":[0,65536]}}";
      Path p = dir.resolve(dtype + ".safetensors");
      ByteBuffer whole = file(header, new byte[65536]);
      byte[] bytes = java.util.Arrays.copyOf(whole.array(), whole.limit());
      Files.write(p, bytes);
      Safetensors s = Safetensors.read(p);
      assertArrayEquals(new float[n], s.floats("w"), "read whole");
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(100);
      }
      assertEquals(p + ": changed while being read (it has 100 bytes, it had " + bytes.length + " when opened: was it overwritten in place?)",
          assertThrows(BadInputException.class, () -> s.floats("w")).getMessage(), dtype);

      Files.write(p, bytes);
      Safetensors again = Safetensors.read(p);
      Path other = Files.write(dir.resolve("other"), bytes);
      Files.move(other, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      assertEquals(p + ": changed while being read (another file now has its name)",
          assertThrows(BadInputException.class, () -> again.floats("w")).getMessage(), dtype);
      Files.delete(p);
      assertEquals(p + ": changed while being read (no file has its name now)",
          assertThrows(BadInputException.class, () -> again.floats("w")).getMessage(), dtype);
      // replaced between the identity and the open: the identity would have been the new file's, the header the old one's
      Files.write(p, bytes);
      assertEquals(p + ": changed while being read (another file now has its name)", assertThrows(BadInputException.class, () -> Safetensors.read(p,
          1 << 16, () -> replace(p, bytes))).getMessage(), dtype);
    }
  }

  /** Replaces {@code file} by a new file of {@code bytes}, by a rename. */
  private void replace(Path file, byte[] bytes) {
    try {
      Files.move(Files.write(dir.resolve("other"), bytes), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A file overwritten in place with as many bytes (another export of the same network, written over the
   * one being compiled) keeps its inode and size: its modification time tells, or where that was put back
   * (cp -p, rsync -t), its change time; the tensor is refused rather than read from the other file.
   */
  @Test
  void aFileOverwrittenInPlaceWithAsManyBytesIsNamed() throws IOException, InterruptedException {
    String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
    ByteBuffer whole = file(header, data.array());
    byte[] first = java.util.Arrays.copyOf(whole.array(), whole.limit()), second = first.clone();
    ByteBuffer.wrap(second).order(ByteOrder.LITTLE_ENDIAN).putFloat(second.length - 8, -3).putFloat(second.length - 4, -4);
    Path p = dir.resolve("w.safetensors");
    Files.write(p, first);
    FileTime modified = Files.getLastModifiedTime(p);
    Safetensors s = Safetensors.read(p);
    assertArrayEquals(new float[] {1, 2}, s.floats("a"));
    overwriteInPlace(p, second);
    // as a writer a second later leaves it (set: the file system's clock may not have ticked since the first write)
    FileTime later = FileTime.fromMillis(modified.toMillis() + 1000);
    Files.setLastModifiedTime(p, later);
    assertEquals(p + ": changed while being read (its modification time is " + later + ", it was " + modified + " when opened: was it"
        + " overwritten in place?)", assertThrows(BadInputException.class, () -> s.floats("b")).getMessage());

    assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix"), "no change time here");
    Files.write(p, first);
    FileTime written = Files.getLastModifiedTime(p);
    Object changed = Files.getAttribute(p, "unix:ctime");
    Safetensors again = Safetensors.read(p);
    overwriteInPlace(p, second);
    Files.setLastModifiedTime(p, written); // as cp -p or rsync -t leave it: the first file's modification time
    for (int i = 0; i < 500 && Files.getAttribute(p, "unix:ctime").equals(changed); i++) {
      Thread.sleep(10); // until the file system's clock ticks: each setting of the time sets the change time to now
      Files.setLastModifiedTime(p, written);
    }
    assertEquals(p + ": changed while being read (its change time (ctime) is " + Files.getAttribute(p, "unix:ctime") + ", it was " + changed
        + " when opened: was it overwritten in place, or its permissions or links changed?)",
        assertThrows(BadInputException.class, () -> again.floats("b")).getMessage());
  }

  /** Writes {@code bytes} over the start of {@code p}, as a copy that does not truncate first: same inode, same size. */
  private static void overwriteInPlace(Path p, byte[] bytes) throws IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), 0);
    }
  }

  /** Random corruption never escapes as anything but a BadInputException (or a clean read). */
  @Test
  void randomCorruptionAlwaysGivesACleanError() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Random rng = new Random(42);
    for (int i = 0; i < 6; i++) {
      float[] v = new float[1 + rng.nextInt(40)];
      tensors.put("layer" + i + ".weight", new Tensor(new int[] {v.length}, v));
    }
    Path p = dir.resolve("valid.safetensors");
    Safetensors.write(p, tensors, Map.of("k", "v"));
    byte[] valid = Files.readAllBytes(p);
    int clean = 0, errors = 0;
    for (int trial = 0; trial < 5000; trial++) {
      byte[] b = valid.clone();
      int kind = trial % 3;
      if (kind == 0) { // flip a few bytes, biased towards the header
        for (int k = 0; k < 1 + rng.nextInt(4); k++) b[rng.nextInt(Math.min(b.length, 8 + 400))] = (byte) rng.nextInt(256);
      } else if (kind == 1) { // truncate
        b = java.util.Arrays.copyOf(b, rng.nextInt(b.length));
      } else { // replace a digit in the header by another
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int at = 8 + rng.nextInt(Math.max(1, s.indexOf('}', s.length() / 3)));
        if (at < b.length && Character.isDigit(b[at])) b[at] = (byte) ('0' + rng.nextInt(10));
      }
      try {
        Safetensors s = Safetensors.parse("fuzz", ByteBuffer.wrap(b), null);
        for (String name : s.entries().keySet()) if (s.entries().get(name).dtype().isFloat()) s.floats(name);
        clean++;
      } catch (BadInputException expected) {
        errors++;
      }
    }
    assertEquals(5000, clean + errors);
    assertTrue(errors > 2500, "most corruptions are detected: " + errors);
  }
}
