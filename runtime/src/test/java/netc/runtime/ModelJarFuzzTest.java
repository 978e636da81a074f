package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.file.Path;
import netc.runtime.fuzz.Contract;

/**
 * Fuzzes loading a model jar over arbitrary bytes (FUZZING.md): the zip and its entries, the marker, model.properties, the
 * weights and their CRC, the labels and the model's class file, as {@code CompiledModel.load} and {@code java -jar} read
 * them. A jar that loads must keep the model's contract: one label a class, and a call that fills its outputs.
 */
class ModelJarFuzzTest {
  /** The seeds are hand-made jars of a two-weight model (ModelJarTest's JarModel), about 2 KB. */
  private static final int MAX_LEN = 8192;
  private static final Path FILE = Contract.scratch(".jar");

  @FuzzTest(maxDuration = "10m")
  void load(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    Contract.write(FILE, data);
    Contract.onlyBadInput(FILE.toString(), () -> {
      try (CompiledModel m = CompiledModel.load(FILE, 1)) {
        int in = 1;
        for (int d : m.info().inputShape()) in *= d;
        assertEquals(m.outputSize(), m.labels().size(), "one label a class");
        float[] out = new float[m.outputSize()];
        java.util.Arrays.fill(out, Float.NaN);
        m.predict(new float[in], 1, out);
        for (float v : out) assertTrue(!Float.isNaN(v), "every output written");
      }
    });
  }
}
