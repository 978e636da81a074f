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
}
