package netc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.file.Path;
import netc.runtime.Tensor;
import netc.runtime.fuzz.Contract;

/** Fuzzes the .npy reader over arbitrary bytes (FUZZING.md): a tensor whose size is its data's, or a bad-input error. */
class NpyFuzzTest {
  /** Small inputs: the reader checks the header's shape against the file's length before allocating. */
  private static final int MAX_LEN = 4096;
  private static final Path FILE = Contract.scratch(".npy");

  @FuzzTest(maxDuration = "10m")
  void read(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    Contract.write(FILE, data);
    Contract.onlyBadInput(FILE.toString(), () -> {
      Tensor t = Npy.read(FILE);
      assertEquals(Tensor.size(t.shape()), t.data().length, "values against the shape");
    });
  }
}
