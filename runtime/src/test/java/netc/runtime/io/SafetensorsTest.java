package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private static ByteBuffer file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data).flip();
    return b;
  }

  private static String error(ByteBuffer f) {
    return assertThrows(BadInputException.class, () -> Safetensors.parse("w.safetensors", f, null)).getMessage();
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
    String header = "{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}";
    Safetensors s = Safetensors.parse("w", file(header, new byte[8]), null);
    assertEquals(Safetensors.Dtype.I64, s.entries().get("bn.num_batches_tracked").dtype());
    assertTrue(assertThrows(BadInputException.class, () -> s.floats("bn.num_batches_tracked")).getMessage().contains("expected a float type"));
  }

  @Test
  void corruptFilesGiveClearErrors() {
    assertEquals("w.safetensors: file of 3 bytes is too short for a header", error(ByteBuffer.wrap(new byte[3])));
    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
    huge.flip();
    assertEquals("w.safetensors: header length 1099511627776 does not fit the file of 16 bytes", error(huge.limit(16)));
    assertTrue(error(file("{\"a\":", new byte[0])).startsWith("w.safetensors: malformed JSON header: unexpected end"));
    assertEquals("w.safetensors: tensor 'a' offsets [0, 64] lie outside the data section of 16 bytes",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[0,64]}}", new byte[16])));
    assertEquals("w.safetensors: tensor 'a' of shape [3] and dtype F32 needs 12 bytes, its offsets give 16",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", new byte[16])));
    assertEquals("w.safetensors: tensors 'a' and 'b' overlap",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[16])));
    assertEquals("w.safetensors: tensor 'a' has unknown dtype F8",
        error(file("{\"a\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2])));
    // an absurd shape is refused from the header alone: nothing of that size is ever allocated
    assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,16]}}", new byte[16]))
        .contains("needs more than 16 bytes"));
    assertEquals("w.safetensors: tensor 'a' has an invalid dimension -1",
        error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4])));
    assertEquals("w.safetensors: header is not a JSON object", error(file("[1, 2]", new byte[0])));
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
