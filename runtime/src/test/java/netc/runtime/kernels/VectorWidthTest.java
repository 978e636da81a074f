package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The kernels run the width asked for with {@code -Dnetc.vectorBits} (the build runs the kernel and
 * model tests once per width that way), else the widest this JVM compiles natively, never wider.
 */
class VectorWidthTest {
  @Test
  void theKernelsRunTheWidthAskedForOrTheMachinesOwn() {
    String asked = System.getProperty("netc.vectorBits");
    int nativeBits = VectorWidth.c2Runs() ? Math.min(512, FloatVector.SPECIES_PREFERRED.vectorBitSize()) : 0;
    int expected = asked == null || asked.isBlank() ? (nativeBits >= 128 ? nativeBits : 0) : Integer.parseInt(asked);
    assertEquals(expected, Kernels.INSTANCE.vectorBits(), "the width of Kernels.INSTANCE (" + Kernels.INSTANCE.variant() + ")");
    assertEquals(expected == 0, Kernels.INSTANCE instanceof ScalarKernels, "scalar kernels exactly when no width runs");
    if (expected > 0) {
      assertEquals(expected, VectorKernels.BITS);
      assertEquals(expected / 32, VectorKernels.L, "floats per vector");
      assertEquals(expected, VectorKernels.S.vectorBitSize());
      assertTrue(Kernels.INSTANCE.variant().startsWith("vector-" + expected + " "), Kernels.INSTANCE.variant());
    }
    if (asked == null) assertTrue(Kernels.INSTANCE.vectorBits() <= FloatVector.SPECIES_PREFERRED.vectorBitSize(), "never wider than the preferred species");
  }
}
