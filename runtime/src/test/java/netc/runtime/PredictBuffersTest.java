package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * predict's buffers: an output array that is the input array is refused, as the outputs of an image
 * would overwrite the inputs of the images after it (a batch of two from one array answered the second
 * image with the first's output as its input, silently); predictNhwc, which copies its input first,
 * takes one array for both.
 */
class PredictBuffersTest {
  /** One float in, two out: the input and twice it. */
  private static final class Doubling extends OneStepModel {
    Doubling(int threads) {
      super(properties(), threads, "double", new Sizes(1, 1, 1, 2, 2, 1));
    }

    static Properties properties() {
      Properties p = ThreadPoolTest.Counting.properties();
      p.setProperty("output.size", "2");
      p.setProperty("arena.floats", "2");
      return p;
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      float x = ws.input[ws.inputBase];
      ws.arena[0] = x;
      ws.arena[1] = 2 * x;
    }
  }

  @Test
  void anOutputThatIsTheInputIsRefused() {
    for (int threads : new int[] {1, 2}) {
      try (Doubling m = new Doubling(threads)) {
        float[] out = new float[4];
        m.predict(new float[] {5, 7}, 2, out);
        assertArrayEquals(new float[] {5, 10, 7, 14}, out, "threads " + threads);

        float[] both = {5, 7, 0, 0};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(both, 2, both), "threads " + threads);
        assertEquals("output is the input array: each image's outputs would overwrite inputs not read yet (of the next images, or of those"
            + " other threads run); give the outputs an array of their own", e.getMessage());
        assertArrayEquals(new float[] {5, 7, 0, 0}, both, "nothing written");

        // NHWC (the same layout for one channel): transposed into a buffer of its own before any output is written
        m.predictNhwc(both, 2, both);
        assertArrayEquals(new float[] {5, 10, 7, 14}, both, "threads " + threads + ", NHWC");
      }
    }
  }
}
