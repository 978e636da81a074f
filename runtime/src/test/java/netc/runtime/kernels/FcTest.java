package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fc kernel: vector against scalar to the last bit (each lane's multiply-adds in the same order, the
 * lanes summed in one fixed order), whether a row is computed with others ({@link VectorKernels#FC_ROWS} at a
 * time) or alone (the range's last rows, a range that starts mid-way), and both against a plain loop in
 * double: inputs and weights in [-1, 1] over at most 1280 inputs sum to at most 1280 in magnitude, typically
 * ~20 (a random walk), and float32 keeps ~6e-8 of a sum per operation: 1e-4 is the bar.
 */
class FcTest {
  private static final Kernels SCALAR = new ScalarKernels(), VECTOR = new VectorKernels();

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
    return a;
  }

  /** Outputs [from, to) of an fc of {@code outputs} rows over {@code inPadded} inputs, 3 floats of offset on each array. */
  private static float[] run(Kernels k, int outputs, int inPadded, boolean bias, int act, int from, int to) {
    float[] in = random(3 + inPadded, 1), w = random(3 + outputs * inPadded + outputs, 2), out = new float[3 + outputs];
    k.fc(in, 3, inPadded, w, 3, bias ? 3 + outputs * inPadded : -1, out, 3, act, 0.1f, from, to);
    return out;
  }

  @ParameterizedTest
  @CsvSource({"1000, 1280, true, 0, 0, 1000", "10, 32, true, 1, 0, 10", "7, 16, false, 0, 0, 7", "13, 48, true, 4, 3, 12",
      "9, 2048, true, 0, 1, 9", "3, 64, false, 5, 0, 3"})
  void vectorEqualsScalarBitForBitAndBothMatchAPlainLoop(int outputs, int inPadded, boolean bias, int act, int from, int to) {
    float[] vector = run(VECTOR, outputs, inPadded, bias, act, from, to), scalar = run(SCALAR, outputs, inPadded, bias, act, from, to);
    assertArrayEquals(scalar, vector, "vector against scalar");
    float[] in = random(3 + inPadded, 1), w = random(3 + outputs * inPadded + outputs, 2);
    for (int o = 0; o < outputs; o++) {
      if (o < from || o >= to) {
        assertEquals(0f, vector[3 + o], "output " + o + " is outside the range: not written");
        continue;
      }
      double s = bias ? w[3 + outputs * inPadded + o] : 0;
      for (int i = 0; i < inPadded; i++) s += (double) in[3 + i] * w[3 + o * inPadded + i];
      assertEquals(PlainActivations.apply(s, act, (float) 0.1), vector[3 + o], 1e-4, "output " + o);
    }
  }
}
