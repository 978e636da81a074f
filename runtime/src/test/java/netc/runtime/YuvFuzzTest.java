package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import netc.runtime.fuzz.Contract;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes camera frames (FUZZING.md) with fuzzed format, size and bytes. An input is a 9-byte header
 * then the frame: byte 0 picks the format (its low 4 bits index {@link #FORMATS}); if its top bit is
 * set, bytes 1-4 and 5-8 are the width and height as big-endian ints (any value, negative and huge
 * included), otherwise bytes 1 and 2 are a small width and height (0-255), so that a frame of the
 * exact size is easy to reach.
 */
@ExtendWith(OneMegapixel.class) // a lower pixel limit for this class's run
class YuvFuzzTest {
  /** Frames up to about 40x40 I420; a size in the header beyond the file is refused before reading. */
  private static final int MAX_LEN = 4096;
  private static final int HEADER = 9;
  /** The four layouts at both ranges, spellings a user might try, and nonsense. */
  private static final String[] FORMATS = {"i420", "nv12", "yuyv", "nv21", "i420-full", "nv12-full", "yuyv-full", "nv21-full", "I420", "yuv420p",
      "", "i420 ", "-full", "nv12-ful", "full", "nv21-full-full"};
  private static final int RESIZE = 20, CROP = 16;
  private static final Path FILE = Contract.scratch(".yuv");

  @FuzzTest(maxDuration = "10m")
  void frame(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    if (data.length < HEADER) return;
    ByteBuffer b = ByteBuffer.wrap(data);
    int select = b.get() & 0xff;
    String format = FORMATS[select & 15];
    int w, h;
    if ((select & 0x80) != 0) {
      w = b.getInt();
      h = b.getInt();
    } else {
      w = b.get() & 0xff;
      h = b.get() & 0xff;
    }
    Contract.write(FILE, Arrays.copyOfRange(data, HEADER, data.length));
    String size = w + "x" + h; // a frame with a bad size is refused naming the file
    Contract.onlyBadInput(FILE.toString(), () -> {
      float[] t = new Preprocess(RESIZE, CROP).frame(FILE, format, w, h);
      assertEquals(3 * CROP * CROP, t.length, size);
      for (float v : t) if (!(v >= 0 && v <= 1)) throw new AssertionError("value " + v + " outside [0, 1] for " + size);
    });
  }
}
