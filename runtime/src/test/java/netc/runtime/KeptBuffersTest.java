package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Small rules of the buffers and settings a model keeps between calls. */
class KeptBuffersTest {
  /**
   * predictNhwc's transpose buffer: callers of different batch sizes at once each take it or make
   * their own, and the larger is kept whichever ends first (the small one put back over the large had
   * the large batch's caller allocate anew on every call).
   */
  @Test
  void theLargerNhwcBufferIsKept() {
    AtomicReference<float[]> kept = new AtomicReference<>();
    float[] small = new float[10], large = new float[1000];
    assertTrue(CompiledModel.keepLarger(kept, large));
    assertFalse(CompiledModel.keepLarger(kept, small), "a small buffer does not replace a large one");
    assertSame(large, kept.get());
    kept.set(small);
    assertTrue(CompiledModel.keepLarger(kept, large));
    assertSame(large, kept.get());
    assertFalse(CompiledModel.keepLarger(kept, new float[1000]), "one as large: the kept one stays");
    assertSame(large, kept.get());
  }

  /** -Dnetc.spinMicros past a long's nanoseconds spins the longest, not a negative time (which parked at once). */
  @Test
  void aHugeSpinIsTheLongestNotNegative() {
    assertEquals(200_000_000L, ThreadPool.nanosOfMicros(200_000));
    assertEquals(0, ThreadPool.nanosOfMicros(0));
    assertEquals(Long.MAX_VALUE, ThreadPool.nanosOfMicros(Long.MAX_VALUE / 1000 + 1));
    assertEquals(Long.MAX_VALUE, ThreadPool.nanosOfMicros(Long.MAX_VALUE));
    assertEquals(Long.MAX_VALUE / 1000 * 1000, ThreadPool.nanosOfMicros(Long.MAX_VALUE / 1000));
    assertEquals(0, ThreadPool.nanosOfMicros(-1), "below 0: no spin");
    assertEquals(0, ThreadPool.nanosOfMicros(Long.MIN_VALUE), "not a wrap to a huge spin");
  }
}
