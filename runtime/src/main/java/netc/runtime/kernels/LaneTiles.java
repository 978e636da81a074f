package netc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register tiles of {@link Kernels#winogradProductLanes}: a row of 16 tiles (one vector at 512 bits,
 * two at 256, four at 128) times output channels broadcast from the weight panels. Each keeps its
 * accumulators in registers over one flat loop of k steps, both indices stepping with the loop so the
 * JIT checks their bounds once before it, then stores each channel's row: {@link #CHANNELS} channels
 * a call, as many as the width's registers hold beside the row and a broadcast (12 accumulators at
 * 512 and 256 bits, 24 at 128 bits with 32 registers, 8 with 16). At 256 bits a whole row (two
 * vectors, 15 registers) fits JDK 17's C2 only ({@link VectorWidth#TIGHT}); JDK 25 spilled it
 * (resnet18's layer4 3x3s 1.18x the channel-vector tiles' time, one thread, AMD EPYC Zen 4 at
 * -XX:UseAVX=2), so there the row is computed as two halves of 8 tiles x 12 channels (14 registers),
 * the second half reading the two panels again from L1.
 */
final class LaneTiles {
  private static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512, S256 = FloatVector.SPECIES_256, S128 = FloatVector.SPECIES_128;

  /** Output channels a call computes: two panels at 512 bits, one at 256 and at 128 bits with 32 registers, a third of one with 16. */
  static final int CHANNELS = VectorKernels.BITS == 512 || VectorKernels.BITS == 256 && !VectorKernels.TIGHT ? 12
      : VectorKernels.BITS == 256 || VectorKernels.REGISTERS == 32 ? 6 : 2;

  private LaneTiles() {}

  /**
   * Output channels n .. n + {@link #CHANNELS} - 1 (n a multiple of it) of the panels at {@code
   * w[wBase ..]}, over k rows {@code p[pBase + 16 c ..]}, each channel's row to {@code m[mOff + 16 j ..]}.
   */
  static void product(float[] p, int pBase, int k, float[] w, int wBase, int n, float[] m, int mOff) {
    int wa = wBase + n / Kernels.LANE_PANEL * k * Kernels.LANE_PANEL;
    if (VectorKernels.BITS == 512) lanes1x12(p, pBase, k, w, wa, wa + k * Kernels.LANE_PANEL, m, mOff);
    else if (VectorKernels.BITS == 256 && !VectorKernels.TIGHT) {
      lanesHalf1x12(p, pBase, k, w, wa, wa + k * Kernels.LANE_PANEL, m, mOff);
      lanesHalf1x12(p, pBase + 8, k, w, wa, wa + k * Kernels.LANE_PANEL, m, mOff + 8);
    } else if (VectorKernels.BITS == 256) lanes2x6(p, pBase, k, w, wa, m, mOff);
    else if (VectorKernels.REGISTERS == 32) lanes4x6(p, pBase, k, w, wa, m, mOff);
    else lanes4x2(p, pBase, k, w, wa + n % Kernels.LANE_PANEL, m, mOff);
  }

  /** 512 bits: one vector of 16 tiles x 12 channels, the 6 of the panel at {@code wa} and the 6 at {@code wb}. */
  private static void lanes1x12(float[] p, int pBase, int k, float[] w, int wa, int wb, float[] m, int mOff) {
    FloatVector c0 = FloatVector.zero(S512), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (int c = 0; c < k; c++) {
      FloatVector x = FloatVector.fromArray(S512, p, pBase + 16 * c);
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
    c0.intoArray(m, mOff); c1.intoArray(m, mOff + 16); c2.intoArray(m, mOff + 32); c3.intoArray(m, mOff + 48);
    c4.intoArray(m, mOff + 64); c5.intoArray(m, mOff + 80); c6.intoArray(m, mOff + 96); c7.intoArray(m, mOff + 112);
    c8.intoArray(m, mOff + 128); c9.intoArray(m, mOff + 144); c10.intoArray(m, mOff + 160); c11.intoArray(m, mOff + 176);
  }

  /** 256 bits, 16 registers for JDK 25: one vector of 8 of the row's tiles x 12 channels, the 6 of the panel at {@code wa} and the 6 at {@code wb}. */
  private static void lanesHalf1x12(float[] p, int pBase, int k, float[] w, int wa, int wb, float[] m, int mOff) {
    FloatVector c0 = FloatVector.zero(S256), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (int c = 0; c < k; c++) {
      FloatVector x = FloatVector.fromArray(S256, p, pBase + 16 * c);
      int a = wa + 6 * c, b = wb + 6 * c;
      c0 = FloatVector.broadcast(S256, w[a]).fma(x, c0);
      c1 = FloatVector.broadcast(S256, w[a + 1]).fma(x, c1);
      c2 = FloatVector.broadcast(S256, w[a + 2]).fma(x, c2);
      c3 = FloatVector.broadcast(S256, w[a + 3]).fma(x, c3);
      c4 = FloatVector.broadcast(S256, w[a + 4]).fma(x, c4);
      c5 = FloatVector.broadcast(S256, w[a + 5]).fma(x, c5);
      c6 = FloatVector.broadcast(S256, w[b]).fma(x, c6);
      c7 = FloatVector.broadcast(S256, w[b + 1]).fma(x, c7);
      c8 = FloatVector.broadcast(S256, w[b + 2]).fma(x, c8);
      c9 = FloatVector.broadcast(S256, w[b + 3]).fma(x, c9);
      c10 = FloatVector.broadcast(S256, w[b + 4]).fma(x, c10);
      c11 = FloatVector.broadcast(S256, w[b + 5]).fma(x, c11);
    }
    c0.intoArray(m, mOff); c1.intoArray(m, mOff + 16); c2.intoArray(m, mOff + 32); c3.intoArray(m, mOff + 48);
    c4.intoArray(m, mOff + 64); c5.intoArray(m, mOff + 80); c6.intoArray(m, mOff + 96); c7.intoArray(m, mOff + 112);
    c8.intoArray(m, mOff + 128); c9.intoArray(m, mOff + 144); c10.intoArray(m, mOff + 160); c11.intoArray(m, mOff + 176);
  }

  /** 256 bits: two vectors of 8 tiles x the 6 channels of the panel at {@code wa}. */
  private static void lanes2x6(float[] p, int pBase, int k, float[] w, int wa, float[] m, int mOff) {
    FloatVector c0_0 = FloatVector.zero(S256), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0;
    FloatVector c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0;
    for (int c = 0; c < k; c++) {
      int r = pBase + 16 * c, a = wa + 6 * c;
      FloatVector x0 = FloatVector.fromArray(S256, p, r), x1 = FloatVector.fromArray(S256, p, r + 8);
      FloatVector b;
      b = FloatVector.broadcast(S256, w[a]); c0_0 = b.fma(x0, c0_0); c0_1 = b.fma(x1, c0_1);
      b = FloatVector.broadcast(S256, w[a + 1]); c1_0 = b.fma(x0, c1_0); c1_1 = b.fma(x1, c1_1);
      b = FloatVector.broadcast(S256, w[a + 2]); c2_0 = b.fma(x0, c2_0); c2_1 = b.fma(x1, c2_1);
      b = FloatVector.broadcast(S256, w[a + 3]); c3_0 = b.fma(x0, c3_0); c3_1 = b.fma(x1, c3_1);
      b = FloatVector.broadcast(S256, w[a + 4]); c4_0 = b.fma(x0, c4_0); c4_1 = b.fma(x1, c4_1);
      b = FloatVector.broadcast(S256, w[a + 5]); c5_0 = b.fma(x0, c5_0); c5_1 = b.fma(x1, c5_1);
    }
    c0_0.intoArray(m, mOff); c0_1.intoArray(m, mOff + 8);
    c1_0.intoArray(m, mOff + 16); c1_1.intoArray(m, mOff + 24);
    c2_0.intoArray(m, mOff + 32); c2_1.intoArray(m, mOff + 40);
    c3_0.intoArray(m, mOff + 48); c3_1.intoArray(m, mOff + 56);
    c4_0.intoArray(m, mOff + 64); c4_1.intoArray(m, mOff + 72);
    c5_0.intoArray(m, mOff + 80); c5_1.intoArray(m, mOff + 88);
  }

  /** 128 bits, 32 registers: four vectors of 4 tiles x the 6 channels of the panel at {@code wa}. */
  private static void lanes4x6(float[] p, int pBase, int k, float[] w, int wa, float[] m, int mOff) {
    FloatVector c0_0 = FloatVector.zero(S128), c0_1 = c0_0, c0_2 = c0_0, c0_3 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0, c1_3 = c0_0;
    FloatVector c2_0 = c0_0, c2_1 = c0_0, c2_2 = c0_0, c2_3 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c3_2 = c0_0, c3_3 = c0_0;
    FloatVector c4_0 = c0_0, c4_1 = c0_0, c4_2 = c0_0, c4_3 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c5_2 = c0_0, c5_3 = c0_0;
    for (int c = 0; c < k; c++) {
      int r = pBase + 16 * c, a = wa + 6 * c;
      FloatVector x0 = FloatVector.fromArray(S128, p, r), x1 = FloatVector.fromArray(S128, p, r + 4), x2 = FloatVector.fromArray(S128, p, r + 8), x3 = FloatVector.fromArray(S128, p, r + 12);
      FloatVector b;
      b = FloatVector.broadcast(S128, w[a]); c0_0 = b.fma(x0, c0_0); c0_1 = b.fma(x1, c0_1); c0_2 = b.fma(x2, c0_2); c0_3 = b.fma(x3, c0_3);
      b = FloatVector.broadcast(S128, w[a + 1]); c1_0 = b.fma(x0, c1_0); c1_1 = b.fma(x1, c1_1); c1_2 = b.fma(x2, c1_2); c1_3 = b.fma(x3, c1_3);
      b = FloatVector.broadcast(S128, w[a + 2]); c2_0 = b.fma(x0, c2_0); c2_1 = b.fma(x1, c2_1); c2_2 = b.fma(x2, c2_2); c2_3 = b.fma(x3, c2_3);
      b = FloatVector.broadcast(S128, w[a + 3]); c3_0 = b.fma(x0, c3_0); c3_1 = b.fma(x1, c3_1); c3_2 = b.fma(x2, c3_2); c3_3 = b.fma(x3, c3_3);
      b = FloatVector.broadcast(S128, w[a + 4]); c4_0 = b.fma(x0, c4_0); c4_1 = b.fma(x1, c4_1); c4_2 = b.fma(x2, c4_2); c4_3 = b.fma(x3, c4_3);
      b = FloatVector.broadcast(S128, w[a + 5]); c5_0 = b.fma(x0, c5_0); c5_1 = b.fma(x1, c5_1); c5_2 = b.fma(x2, c5_2); c5_3 = b.fma(x3, c5_3);
    }
    c0_0.intoArray(m, mOff); c0_1.intoArray(m, mOff + 4); c0_2.intoArray(m, mOff + 8); c0_3.intoArray(m, mOff + 12);
    c1_0.intoArray(m, mOff + 16); c1_1.intoArray(m, mOff + 20); c1_2.intoArray(m, mOff + 24); c1_3.intoArray(m, mOff + 28);
    c2_0.intoArray(m, mOff + 32); c2_1.intoArray(m, mOff + 36); c2_2.intoArray(m, mOff + 40); c2_3.intoArray(m, mOff + 44);
    c3_0.intoArray(m, mOff + 48); c3_1.intoArray(m, mOff + 52); c3_2.intoArray(m, mOff + 56); c3_3.intoArray(m, mOff + 60);
    c4_0.intoArray(m, mOff + 64); c4_1.intoArray(m, mOff + 68); c4_2.intoArray(m, mOff + 72); c4_3.intoArray(m, mOff + 76);
    c5_0.intoArray(m, mOff + 80); c5_1.intoArray(m, mOff + 84); c5_2.intoArray(m, mOff + 88); c5_3.intoArray(m, mOff + 92);
  }

  /** 128 bits, 16 registers: four vectors of 4 tiles x 2 channels, the panel's columns from {@code wa} (its k steps 6 floats apart). */
  private static void lanes4x2(float[] p, int pBase, int k, float[] w, int wa, float[] m, int mOff) {
    FloatVector c0_0 = FloatVector.zero(S128), c0_1 = c0_0, c0_2 = c0_0, c0_3 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0, c1_3 = c0_0;
    for (int c = 0; c < k; c++) {
      int r = pBase + 16 * c, a = wa + 6 * c;
      FloatVector x0 = FloatVector.fromArray(S128, p, r), x1 = FloatVector.fromArray(S128, p, r + 4), x2 = FloatVector.fromArray(S128, p, r + 8), x3 = FloatVector.fromArray(S128, p, r + 12);
      FloatVector b;
      b = FloatVector.broadcast(S128, w[a]); c0_0 = b.fma(x0, c0_0); c0_1 = b.fma(x1, c0_1); c0_2 = b.fma(x2, c0_2); c0_3 = b.fma(x3, c0_3);
      b = FloatVector.broadcast(S128, w[a + 1]); c1_0 = b.fma(x0, c1_0); c1_1 = b.fma(x1, c1_1); c1_2 = b.fma(x2, c1_2); c1_3 = b.fma(x3, c1_3);
    }
    c0_0.intoArray(m, mOff); c0_1.intoArray(m, mOff + 4); c0_2.intoArray(m, mOff + 8); c0_3.intoArray(m, mOff + 12);
    c1_0.intoArray(m, mOff + 16); c1_1.intoArray(m, mOff + 20); c1_2.intoArray(m, mOff + 24); c1_3.intoArray(m, mOff + 28);
  }
}
