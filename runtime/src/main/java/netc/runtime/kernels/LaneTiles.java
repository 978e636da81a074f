package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register tiles of {@link Kernels#winogradProductLanes}: the 16 lanes of a row of tiles (one vector at
 * 512 bits, two at 256, four at 128) times output channels broadcast from the weight panels. Each keeps
 * its accumulators in registers over one flat loop of k steps, both indices stepping with the loop so
 * the JIT checks their bounds once before it, and lands them in {@code acc} as [channel][16 tiles]:
 * {@link #CHANNELS} channels a call, as many as the width's registers hold beside the row and a
 * broadcast (12 accumulators at 512 and 256 bits, 24 at 128 bits with 32 registers, 8 with 16).
 */
final class LaneTiles {
  private static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512, S256 = FloatVector.SPECIES_256, S128 = FloatVector.SPECIES_128;

  /** Output channels a call computes: two panels at 512 bits, one at 256 and at 128 bits with 32 registers, a third of one with 16. */
  static final int CHANNELS = VectorKernels.BITS == 512 ? 12 : VectorKernels.BITS == 256 || VectorKernels.REGISTERS == 32 ? 6 : 2;

  private LaneTiles() {}

  /**
   * Output channels n0 .. n0 + {@link #CHANNELS} - 1 (n0 a multiple of it) of the {@code panels}
   * panels at {@code w[wBase ..]}, over k steps of the row {@code p[16 c .. 16 c + 15]}. Channels past
   * the last panel (the second panel of a pair at 512 bits) repeat the last one's and are not used.
   */
  static void product(float[] p, int k, float[] w, int wBase, int panels, int n0, float[] acc) {
    int panel = n0 / Kernels.LANE_PANEL, wa = wBase + panel * k * Kernels.LANE_PANEL;
    if (VectorKernels.BITS == 512) lanes1x12(p, k, w, wa, panel + 1 < panels ? wa + k * Kernels.LANE_PANEL : wa, acc);
    else if (VectorKernels.BITS == 256) lanes2x6(p, k, w, wa, acc);
    else if (VectorKernels.REGISTERS == 32) lanes4x6(p, k, w, wa, acc);
    else lanes4x2(p, k, w, wa + n0 % Kernels.LANE_PANEL, acc);
  }

  /** 512 bits: one vector of 16 tiles x 12 channels, the 6 of the panel at {@code wa} and the 6 at {@code wb}. */
  private static void lanes1x12(float[] p, int k, float[] w, int wa, int wb, float[] acc) {
    FloatVector c0 = FloatVector.zero(S512), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (int c = 0; c < k; c++) {
      FloatVector x = FloatVector.fromArray(S512, p, 16 * c);
      int a = wa + 6 * c, b = wb + 6 * c;
      c0 = FloatVector.broadcast(S512, w[a]).fma(x, c0);
      c1 = FloatVector.broadcast(S512, w[a + 1]).fma(x, c1);
      c2 = FloatVector.broadcast(S512, w[a + 2]).fma(x, c2);
      c3 = FloatVector.broadcast(S512, w[a + 3]).fma(x, c3);
      c4 = FloatVector.broadcast(S512, w[a + 4]).fma(x, c4);
      c5 = FloatVector.broadcast(S512, w[a + 5]).fma(x, c5);
      c6 = FloatVector.broadcast(S512, w[b]).fma(x, c6);
      c7 = FloatVector.broadcast(S512, w[b + 1]).fma(x, c7);
      c8 = FloatVector.broadcast(S512, w[b + 2]).fma(x, c8);
      c9 = FloatVector.broadcast(S512, w[b + 3]).fma(x, c9);
      c10 = FloatVector.broadcast(S512, w[b + 4]).fma(x, c10);
      c11 = FloatVector.broadcast(S512, w[b + 5]).fma(x, c11);
    }
    c0.intoArray(acc, 0); c1.intoArray(acc, 16); c2.intoArray(acc, 32); c3.intoArray(acc, 48);
    c4.intoArray(acc, 64); c5.intoArray(acc, 80); c6.intoArray(acc, 96); c7.intoArray(acc, 112);
    c8.intoArray(acc, 128); c9.intoArray(acc, 144); c10.intoArray(acc, 160); c11.intoArray(acc, 176);
  }

  /** 256 bits: two vectors of 8 tiles x the 6 channels of the panel at {@code wa}. */
  private static void lanes2x6(float[] p, int k, float[] w, int wa, float[] acc) {
    FloatVector c0_0 = FloatVector.zero(S256), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0;
    FloatVector c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0;
    for (int c = 0; c < k; c++) {
      FloatVector x0 = FloatVector.fromArray(S256, p, 16 * c), x1 = FloatVector.fromArray(S256, p, 16 * c + 8);
      int a = wa + 6 * c;
      FloatVector b;
      b = FloatVector.broadcast(S256, w[a]); c0_0 = b.fma(x0, c0_0); c0_1 = b.fma(x1, c0_1);
      b = FloatVector.broadcast(S256, w[a + 1]); c1_0 = b.fma(x0, c1_0); c1_1 = b.fma(x1, c1_1);
      b = FloatVector.broadcast(S256, w[a + 2]); c2_0 = b.fma(x0, c2_0); c2_1 = b.fma(x1, c2_1);
      b = FloatVector.broadcast(S256, w[a + 3]); c3_0 = b.fma(x0, c3_0); c3_1 = b.fma(x1, c3_1);
      b = FloatVector.broadcast(S256, w[a + 4]); c4_0 = b.fma(x0, c4_0); c4_1 = b.fma(x1, c4_1);
      b = FloatVector.broadcast(S256, w[a + 5]); c5_0 = b.fma(x0, c5_0); c5_1 = b.fma(x1, c5_1);
    }
    c0_0.intoArray(acc, 0); c0_1.intoArray(acc, 8);
    c1_0.intoArray(acc, 16); c1_1.intoArray(acc, 24);
    c2_0.intoArray(acc, 32); c2_1.intoArray(acc, 40);
    c3_0.intoArray(acc, 48); c3_1.intoArray(acc, 56);
    c4_0.intoArray(acc, 64); c4_1.intoArray(acc, 72);
    c5_0.intoArray(acc, 80); c5_1.intoArray(acc, 88);
  }

  /** 128 bits, 32 registers: four vectors of 4 tiles x the 6 channels of the panel at {@code wa}. */
  private static void lanes4x6(float[] p, int k, float[] w, int wa, float[] acc) {
    FloatVector c0_0 = FloatVector.zero(S128), c0_1 = c0_0, c0_2 = c0_0, c0_3 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0, c1_3 = c0_0;
    FloatVector c2_0 = c0_0, c2_1 = c0_0, c2_2 = c0_0, c2_3 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c3_2 = c0_0, c3_3 = c0_0;
    FloatVector c4_0 = c0_0, c4_1 = c0_0, c4_2 = c0_0, c4_3 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c5_2 = c0_0, c5_3 = c0_0;
    for (int c = 0; c < k; c++) {
      FloatVector x0 = FloatVector.fromArray(S128, p, 16 * c), x1 = FloatVector.fromArray(S128, p, 16 * c + 4), x2 = FloatVector.fromArray(S128, p, 16 * c + 8), x3 = FloatVector.fromArray(S128, p, 16 * c + 12);
      int a = wa + 6 * c;
      FloatVector b;
      b = FloatVector.broadcast(S128, w[a]); c0_0 = b.fma(x0, c0_0); c0_1 = b.fma(x1, c0_1); c0_2 = b.fma(x2, c0_2); c0_3 = b.fma(x3, c0_3);
      b = FloatVector.broadcast(S128, w[a + 1]); c1_0 = b.fma(x0, c1_0); c1_1 = b.fma(x1, c1_1); c1_2 = b.fma(x2, c1_2); c1_3 = b.fma(x3, c1_3);
      b = FloatVector.broadcast(S128, w[a + 2]); c2_0 = b.fma(x0, c2_0); c2_1 = b.fma(x1, c2_1); c2_2 = b.fma(x2, c2_2); c2_3 = b.fma(x3, c2_3);
      b = FloatVector.broadcast(S128, w[a + 3]); c3_0 = b.fma(x0, c3_0); c3_1 = b.fma(x1, c3_1); c3_2 = b.fma(x2, c3_2); c3_3 = b.fma(x3, c3_3);
      b = FloatVector.broadcast(S128, w[a + 4]); c4_0 = b.fma(x0, c4_0); c4_1 = b.fma(x1, c4_1); c4_2 = b.fma(x2, c4_2); c4_3 = b.fma(x3, c4_3);
      b = FloatVector.broadcast(S128, w[a + 5]); c5_0 = b.fma(x0, c5_0); c5_1 = b.fma(x1, c5_1); c5_2 = b.fma(x2, c5_2); c5_3 = b.fma(x3, c5_3);
    }
    c0_0.intoArray(acc, 0); c0_1.intoArray(acc, 4); c0_2.intoArray(acc, 8); c0_3.intoArray(acc, 12);
    c1_0.intoArray(acc, 16); c1_1.intoArray(acc, 20); c1_2.intoArray(acc, 24); c1_3.intoArray(acc, 28);
    c2_0.intoArray(acc, 32); c2_1.intoArray(acc, 36); c2_2.intoArray(acc, 40); c2_3.intoArray(acc, 44);
    c3_0.intoArray(acc, 48); c3_1.intoArray(acc, 52); c3_2.intoArray(acc, 56); c3_3.intoArray(acc, 60);
    c4_0.intoArray(acc, 64); c4_1.intoArray(acc, 68); c4_2.intoArray(acc, 72); c4_3.intoArray(acc, 76);
    c5_0.intoArray(acc, 80); c5_1.intoArray(acc, 84); c5_2.intoArray(acc, 88); c5_3.intoArray(acc, 92);
  }

  /** 128 bits, 16 registers: four vectors of 4 tiles x 2 channels, the panel's columns from {@code wa} (its k steps 6 floats apart). */
  private static void lanes4x2(float[] p, int k, float[] w, int wa, float[] acc) {
    FloatVector c0_0 = FloatVector.zero(S128), c0_1 = c0_0, c0_2 = c0_0, c0_3 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0, c1_3 = c0_0;
    for (int c = 0; c < k; c++) {
      FloatVector x0 = FloatVector.fromArray(S128, p, 16 * c), x1 = FloatVector.fromArray(S128, p, 16 * c + 4), x2 = FloatVector.fromArray(S128, p, 16 * c + 8), x3 = FloatVector.fromArray(S128, p, 16 * c + 12);
      int a = wa + 6 * c;
      FloatVector b;
      b = FloatVector.broadcast(S128, w[a]); c0_0 = b.fma(x0, c0_0); c0_1 = b.fma(x1, c0_1); c0_2 = b.fma(x2, c0_2); c0_3 = b.fma(x3, c0_3);
      b = FloatVector.broadcast(S128, w[a + 1]); c1_0 = b.fma(x0, c1_0); c1_1 = b.fma(x1, c1_1); c1_2 = b.fma(x2, c1_2); c1_3 = b.fma(x3, c1_3);
    }
    c0_0.intoArray(acc, 0); c0_1.intoArray(acc, 4); c0_2.intoArray(acc, 8); c0_3.intoArray(acc, 12);
    c1_0.intoArray(acc, 16); c1_1.intoArray(acc, 20); c1_2.intoArray(acc, 24); c1_3.intoArray(acc, 28);
  }
}
