package netc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/**
 * Kernels.INSTANCE is the same whichever kernels class a program touches first. VectorKernels extends
 * Kernels, so touching it first runs Kernels' initialization (which constructs a VectorKernels)
 * inside VectorKernels' own, before its static fields are set: INSTANCE once came out scalar that
 * way (the width test, run alone, saw "expected 512 but was 0").
 */
class KernelsInitOrderTest {
  @Test
  void touchingTheVectorKernelsFirstStillChoosesThem() throws Exception {
    URL classes = Kernels.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader fresh = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
      Class<?> vector = Class.forName("netc.runtime.kernels.VectorKernels", true, fresh); // initialized first
      Class<?> kernels = Class.forName("netc.runtime.kernels.Kernels", true, fresh);
      Object instance = kernels.getField("INSTANCE").get(null);
      int bits = (int) kernels.getMethod("vectorBits").invoke(instance);
      assertEquals(Kernels.INSTANCE.vectorBits(), bits, "the width chosen in a loader that touched VectorKernels first");
      assertEquals(Kernels.INSTANCE.getClass().getName(), instance.getClass().getName());
      if (bits > 0) assertEquals(vector, instance.getClass());
    }
  }
}
