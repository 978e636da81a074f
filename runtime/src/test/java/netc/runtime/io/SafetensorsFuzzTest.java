package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import netc.runtime.fuzz.Contract;

/**
 * Fuzzes the safetensors reader over arbitrary bytes (FUZZING.md): the in-memory parser and the
 * file reader with tiny chunks must agree, and fail only with a bad-input error naming the file.
 */
class SafetensorsFuzzTest {
  /** Small inputs: every size the reader trusts is checked against the file, so nothing needs more. */
  private static final int MAX_LEN = 4096;
  /** A chunk size far below the real 1 MiB, so the chunks' seams are crossed by small files. */
  private static final int SMALL_CHUNK = 16;
  private static final Path FILE = Contract.scratch(".safetensors");

  @FuzzTest(maxDuration = "10m")
  void read(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    Contract.write(FILE, data);
    Contract.onlyBadInput("fuzz.safetensors", () -> {
      Safetensors memory = Safetensors.parse("fuzz.safetensors", ByteBuffer.wrap(data), null);
      Safetensors file = Safetensors.read(FILE, SMALL_CHUNK);
      assertEquals(memory.entries().keySet(), file.entries().keySet());
      assertEquals(memory.metadata(), file.metadata());
      for (Safetensors.Entry e : memory.entries().values()) {
        if (!e.dtype().isFloat()) continue;
        float[] v = memory.floats(e.name());
        assertEquals(e.elements(), v.length, e.name());
        assertArrayEquals(v, file.floats(e.name()), e.name());
      }
    });
  }
}
