package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.runtime.CompiledModel;
import netc.runtime.kernels.Kernels;
import netc.testing.Specs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Once warm, a forward pass allocates nothing: measured on the calling thread, which does all the
 * work at one thread. Until C2 has compiled the kernels, the Vector API runs its Java fallback,
 * which allocates; loading another model can send the kernels back through deoptimization for a
 * few seconds. So each check warms up in rounds until a round of twenty passes allocates nothing,
 * and fails if that never happens within the bound.
 *
 * <p>The build runs this class once per kernel width (compiler/pom.xml's {@code width.tests}): each
 * width has tiles of its own (Tiles512, Tiles256, Tiles128r16, ...) that C2 inlines differently, and
 * boxing has shown at one width only (VectorKernels.groupedFinish at 256 bits). A width wider than
 * this JVM compiles natively runs the Vector API's Java fallback, which allocates by design: there
 * the checks are skipped, not passed (as in the scalar run, see {@link #assumeNativeWidth}).
 */
class WarmAllocationTest {
  /**
   * Skips the calling test where the kernels' width is wider than the vectors this JVM compiles natively,
   * and in the build's scalar run: the scalar kernels are plain loops with no tiles per width, the
   * fallback of JVMs without C2 or the vector module, and their warm-up (6 s of the width runs' 25) is
   * kept out of the build's time.
   */
  static void assumeNativeWidth() throws ReflectiveOperationException {
    Assumptions.assumeFalse("0".equals(System.getProperty("netc.vectorBits")), "the scalar kernels (-Dnetc.vectorBits=0)");
    // VectorWidth (package-private) is the runtime's own account of what C2 compiles here, C2's presence included
    var nativeBits = Class.forName("netc.runtime.kernels.VectorWidth").getDeclaredMethod("nativeBits");
    nativeBits.setAccessible(true);
    int bits = Kernels.INSTANCE.vectorBits(), natively = (int) nativeBits.invoke(null);
    Assumptions.assumeTrue(bits <= natively, Kernels.INSTANCE.variant() + " is wider than the " + natively
        + "-bit vectors this JVM compiles natively: its Java fallback allocates by design");
  }

  /**
   * The bytes the last of up to a minute of rounds of twenty forward passes allocated; once a round
   * allocated under 1 KB, what the next {@link #CLEAN_ROUNDS} rounds allocated together, so that a pass
   * that allocates now and then (every 50th call, or after a recompilation) is not taken for warm.
   */
  static long warmAllocation(CompiledModel model, float[] x) {
    float[] y = new float[20];
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId(), allocated = Long.MAX_VALUE, deadline = System.nanoTime() + 60_000_000_000L;
    while (allocated >= 1024 && System.nanoTime() < deadline) {
      long before = threads.getThreadAllocatedBytes(id);
      for (int i = 0; i < 20; i++) model.predict(x, 2, y);
      allocated = threads.getThreadAllocatedBytes(id) - before;
    }
    if (allocated >= 1024) return allocated;
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 20 * CLEAN_ROUNDS; i++) model.predict(x, 2, y);
    return threads.getThreadAllocatedBytes(id) - before;
  }

  /** Rounds of twenty passes that must follow the first clean one without allocating. */
  static final int CLEAN_ROUNDS = 5;

  @Test
  void forwardPassAllocatesNothingOnceWarm() throws Exception {
    assumeNativeWidth();
    // 128x128: layer1's 32x32 maps take Winograd F(4x4,3x3) and layer4's 512 channels the packed
    // micro-kernel, so every kernel family runs. (It did not catch the F(4x4,3x3) transform that
    // boxed inside resnet50 at full size, where C2 inlines differently; JFR on that model did.)
    Graph g = Specs.example("resnet18", Map.of("width", "16", "size", "128", "classes", "10"));
    CompiledModel model = CompiledModels.compile(g, CompiledModelTest.synthetic(g, 8), 1);
    long allocated = warmAllocation(model, GeneratedModelTest.random(g, 2, 3).data());
    assertTrue(allocated < 1024, Kernels.INSTANCE.variant() + ": warm forward passes (twenty, or the hundred after twenty that allocated nothing) allocated " + allocated
        + " bytes");
  }

  /**
   * The same for the depthwise kernel (examples/mobilenet_v2.net at 64x64, one thread) and for
   * grouped convs that read part of their input blocks (GeneratedModelTest.GROUPED).
   */
  @Test
  void depthwiseAndGroupedForwardPassesAllocateNothingOnceWarm() throws Exception {
    assumeNativeWidth();
    for (Graph g : List.of(Specs.example("mobilenet_v2", Map.of("size", "64", "classes", "10")),
        Specs.fromText(GeneratedModelTest.GROUPED))) {
      CompiledModel model = CompiledModels.compile(g, CompiledModelTest.synthetic(g, 8), 1);
      long allocated = warmAllocation(model, GeneratedModelTest.random(g, 2, 3).data());
      assertTrue(allocated < 1024, Kernels.INSTANCE.variant() + ", " + g.name() + ": warm forward passes (twenty, or the hundred after"
          + " twenty that allocated nothing) allocated " + allocated + " bytes");
    }
  }
}
