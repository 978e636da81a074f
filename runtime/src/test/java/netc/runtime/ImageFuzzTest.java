package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.file.Path;
import netc.runtime.fuzz.Contract;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes image decoding and preprocessing over arbitrary bytes (FUZZING.md): a PNG or JPEG
 * becomes a [3, crop, crop] tensor in [0, 1] with either resize filter, anything else a bad-input error naming the file.
 */
@ExtendWith(OneMegapixel.class) // a lower pixel limit for this class's run
class ImageFuzzTest {
  /** Big enough for small PNGs and JPEGs with a few chunks or segments; small enough to stay fast. */
  private static final int MAX_LEN = 8192;
  /** A small resize and crop: the pipeline is the same as 256/224, and upscaling tiny images is cheap. */
  private static final int RESIZE = 20, CROP = 16;
  private static final Path FILE = Contract.scratch(".img");

  @FuzzTest(maxDuration = "10m")
  void image(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    Contract.write(FILE, data);
    Contract.onlyBadInput(FILE.toString(), () -> {
      // either filter, by the input's length: the bicubic one's negative lobes overshoot, and each pass must clip
      Preprocess.Interpolation filter = data.length % 2 == 0 ? Preprocess.Interpolation.BILINEAR : Preprocess.Interpolation.BICUBIC;
      float[] t = new Preprocess(RESIZE, CROP, filter).image(FILE);
      assertEquals(3 * CROP * CROP, t.length);
      for (float v : t) if (!(v >= 0 && v <= 1)) throw new AssertionError("value " + v + " outside [0, 1]");
    });
  }
}
