package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/** The workspace pool grows to the most callers ever in flight, and a steady number of them, however many, allocates none. */
class WorkspacePoolTest {
  private static final int CALLERS = 80; // more than the 64 slots the pool once had

  /** A model whose one step waits until every caller is inside it, and records the workspaces it ran in. */
  private static final class Gathering extends OneStepModel {
    final Set<Workspace> seen = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    final CyclicBarrier all = new CyclicBarrier(CALLERS);

    Gathering() {
      super(ThreadPoolTest.Counting.properties(), 1, "gather");
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      seen.add(ws);
      try {
        all.await();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void manyCallersAtOnceReuseTheirWorkspaces() {
    Gathering m = new Gathering();
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (int round = 1; round <= 3; round++) {
        Thread[] callers = new Thread[CALLERS];
        for (int i = 0; i < CALLERS; i++) {
          callers[i] = new Thread(() -> m.predict(new float[1], 1, new float[1]));
          callers[i].start();
        }
        for (Thread t : callers) t.join();
        assertEquals(CALLERS, m.seen.size(), "round " + round + ": workspaces made for " + CALLERS + " callers at once");
      }
    });
  }

  /** A model whose one step fails. */
  private static final class Failing extends OneStepModel {
    Failing(int threads) {
      super(ThreadPoolTest.Counting.properties(), threads, "fail");
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      throw new IllegalStateException("the step fails");
    }
  }

  /**
   * A failed call's workspaces go back to the pool for the next call, and must not keep the caller's
   * input alive there (a service's request buffer, megabytes of it) for as long as the model lives.
   */
  @Test
  void aFailedCallKeepsNoInput() throws InterruptedException {
    for (int threads : new int[] {1, 2}) {
      Failing m = new Failing(threads);
      java.lang.ref.WeakReference<float[]> input = failOn(m, threads);
      for (int i = 0; i < 20 && input.get() != null; i++) {
        System.gc();
        Thread.sleep(10);
      }
      assertEquals(null, input.get(), threads + " threads: the failed call's input is still referenced");
      assertEquals(1, m.releaseWorkspaces(), threads + " threads: the failed call's workspaces were kept for the next");
    }
  }

  /** Calls m on a new input of {@code batch} images, which fails; the input is referenced only by what is returned. */
  private static java.lang.ref.WeakReference<float[]> failOn(Failing m, int batch) {
    float[] input = new float[batch];
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> m.predict(input, batch, new float[batch]));
    assertEquals("the step fails", e.getMessage());
    return new java.lang.ref.WeakReference<>(input);
  }
}
