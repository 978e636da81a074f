package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The touching tiles of every width, called directly: with a nextStep their touches spread over
 * sub-tiles (a multiple of {@link TileGenerator#spread}) and with one that does not divide, they land
 * the same accumulators, bit for bit, as with no touching at all, and touch nothing past the share of
 * the next weights the caller gives them ({@code w[next, next + K nextStep)}): w ends where that share
 * does, so a touch past it throws (one before it would land in the group's own weights, unseen here:
 * the generated spread starts at {@code next} and steps up). Widths this host cannot run natively run the Vector API's
 * Java fallback, correct and slow; K is small.
 */
class TouchSpreadTest {
  private static final int K = 40;
  private static final String[] CLASSES = {"Tiles512", "Tiles256t", "Tiles256", "Tiles128r16t", "Tiles128r16", "Tiles128"};

  @Test
  void touchingNeverChangesATileOrReachesPastItsShare() throws Exception {
    int checked = 0;
    for (String cls : CLASSES) {
      for (TileGenerator.Tile tile : TileGenerator.TILES) {
        if (tile.touches() == 0) continue;
        Method m = Class.forName("netc.runtime.kernels." + cls).getDeclaredMethod(tile.name(), float[].class, int.class, int[].class,
            float[].class, int.class, float[].class, int.class, int.class);
        m.setAccessible(true);
        Random r = new Random(cls.hashCode() * 31 + tile.name().hashCode());
        float[] x = new float[K * 3 + tile.distance() * tile.pixels() + 256];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
        int[] kOff = new int[K];
        for (int k = 0; k < K; k++) kOff[k] = 3 * k;
        int groupFloats = K * tile.blocks() * 16;
        float[] untouched = call(m, x, kOff, weights(new Random(7), groupFloats, 0), 0, 0);
        // 16, 8 and 4: spread over 4 (or 2) sub-tiles, 4 at one float a sub-tile's step; 2: over 2, else the
        // first sub-tile alone; 5 and 1: the first sub-tile alone
        for (int nextStep : new int[] {16, 8, 4, 2, 5, 1}) {
          float[] w = weights(new Random(7), groupFloats, K * nextStep);
          float[] touched = call(m, x, kOff, w, groupFloats, nextStep);
          assertArrayEquals(untouched, touched, cls + "." + tile.name() + " nextStep " + nextStep);
          checked++;
        }
      }
    }
    assertEquals(CLASSES.length * 4 * 6, checked, "every width's four touching tiles");
  }

  /** A group's weights (random from {@code r}'s first draws) followed by {@code share} floats of the next group's. */
  private static float[] weights(Random r, int groupFloats, int share) {
    float[] w = new float[groupFloats + share];
    for (int i = 0; i < groupFloats; i++) w[i] = r.nextFloat() - 0.5f;
    Arrays.fill(w, groupFloats, w.length, 1f);
    return w;
  }

  private static float[] call(Method m, float[] x, int[] kOff, float[] w, int next, int nextStep) throws Exception {
    float[] acc = new float[VectorKernels.TOUCHED + 1];
    try {
      m.invoke(null, x, 0, kOff, w, 0, acc, next, nextStep);
    } catch (InvocationTargetException e) {
      throw new AssertionError(m.getDeclaringClass().getSimpleName() + "." + m.getName() + " nextStep " + nextStep + ": " + e.getCause(), e.getCause());
    }
    float[] out = Arrays.copyOf(acc, VectorKernels.TOUCHED);
    assertTrue(out.length >= 14 * 32, "the accumulators of 14 pixels x 2 blocks");
    assertTrue(Arrays.stream(new int[] {0, 16, 200, 447}).allMatch(i -> out[i] != 0 || m.getName().equals("linear8x2") && i >= 256),
        "a tile's accumulators are written");
    return out;
  }
}
