package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
      super(ThreadPoolTest.Counting.properties(), 1, "gather", ThreadPoolTest.Counting.SIZES);
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
        // a call that fails (in its step or giving its workspace back) fails the test, not just prints
        java.util.Queue<Throwable> failed = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int i = 0; i < CALLERS; i++) {
          callers[i] = new Thread(() -> m.predict(new float[1], 1, new float[1]));
          callers[i].setUncaughtExceptionHandler((t, e) -> failed.add(e));
          callers[i].start();
        }
        for (Thread t : callers) t.join();
        if (!failed.isEmpty()) throw new AssertionError("round " + round + ": " + failed.size() + " of " + CALLERS + " calls failed", failed.peek());
        assertEquals(CALLERS, m.seen.size(), "round " + round + ": workspaces made for " + CALLERS + " callers at once");
      }
    });
  }

  /**
   * A model of one float in, one out (the input plus one), whose step holds the threads the test says at
   * their first image until told, and, during a batch on the pool, holds each thread's first image until
   * every thread of the pool has one (so each runs a bunch of its own, with its own arenas). Its step is
   * bunched (images run it together, each in an arena of its own) or not (image by image).
   */
  private static final class Steered extends OneStepModel {
    final java.util.Map<Thread, java.util.concurrent.CountDownLatch> holds = new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.Semaphore held = new java.util.concurrent.Semaphore(0);
    volatile CyclicBarrier spread;
    final Set<Thread> spreadOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final boolean bunched;

    Steered(int threads, boolean bunched) {
      super(ThreadPoolTest.Counting.properties(), threads, "steered", ThreadPoolTest.Counting.SIZES);
      this.bunched = bunched;
    }

    @Override protected int bunchedFrom() {
      return bunched ? 0 : steps();
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      try {
        java.util.concurrent.CountDownLatch hold = holds.remove(Thread.currentThread());
        if (hold != null) {
          held.release();
          hold.await();
        }
        CyclicBarrier b = spread;
        if (b != null && spreadOn.add(Thread.currentThread())) b.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      ws.arena[0] = ws.input[ws.inputBase] + 1;
    }

    /** A batch of {@code n} on the pool, every thread running images; checks the outputs. */
    void batchOnThePool(int n) {
      spreadOn.clear();
      spread = new CyclicBarrier(threads());
      try {
        check(n);
      } finally {
        spread = null;
      }
      assertEquals(Set.of(), java.util.Set.copyOf(holds.keySet()));
      assertEquals(threads(), spreadOn.size(), "threads that ran images of the batch");
    }

    void check(int n) {
      float[] in = new float[n], out = new float[n];
      for (int i = 0; i < n; i++) in[i] = 10 * i;
      predict(in, n, out);
      for (int i = 0; i < n; i++) assertEquals(10 * i + 1, out[i], "image " + i);
    }
  }

  /**
   * The arenas kept between calls track how many were in use at once: a model of T threads that C callers
   * call at once keeps at most T x BUNCH + (C - 1) x BUNCH. They were kept whole in the set of whichever
   * caller won the pool, so each set a batch on the pool ever ran with kept T x BUNCH, though a call that
   * runs alone uses BUNCH: C x T x BUNCH over time (8 threads, 8 callers: 256 arenas for 60).
   */
  @Test
  void keptArenasTrackConcurrentUse() {
    // a thread takes its share of the images left, at most a bunch (ThreadPool.take): with a bunch to spare beyond one
    // a thread, each thread's first take is a whole bunch (12 on 2 threads: 4, 4, 2, 1, 1)
    int threads = 2, batch = (threads + 1) * CompiledModel.BUNCH, bound = threads * CompiledModel.BUNCH + CompiledModel.BUNCH; // C = 2
    Steered m = new Steered(threads, true);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      m.batchOnThePool(batch);
      assertEquals(threads * CompiledModel.BUNCH, m.idleArenas(), "a batch on the pool: BUNCH arenas a thread");
      for (int round = 1; round <= 3; round++) {
        // two callers at once, alone (this thread holds the pool, as another model's call may): each a set of BUNCH;
        // the one that started second, with the set not used by the last batch, ends last, so its set is taken next
        ThreadPool pool = ThreadPool.shared(threads);
        assertTrue(pool.tryAcquire(), "the pool is free");
        try {
          Caller first = alone(m, CompiledModel.BUNCH), second = alone(m, CompiledModel.BUNCH);
          first.finish();
          second.finish();
        } finally {
          pool.release();
        }
        assertEquals(bound, m.idleArenas(), "round " + round + ": after two callers ran alone at once");
        m.batchOnThePool(batch);
        assertEquals(bound, m.idleArenas(), "round " + round + ": after a batch on the pool with the other caller's set");
      }
      m.check(1);
      assertEquals(bound, m.idleArenas(), "after a call of one image");
      assertEquals(2, m.releaseWorkspaces(), "two callers' sets");
      assertEquals(0, m.idleArenas(), "releaseWorkspaces drops the pool threads' arenas too");
    });
  }

  /**
   * A model with no bunched step (no weight-heavy tail: a fully convolutional network) runs a batch
   * image by image in one arena a thread, each output copied out as its image ends: it ran bunches of
   * BUNCH images in an arena each, copied out at the bunch's end, and kept them all for the next
   * calls, so a batch that fits one image at a time ran out of memory on one path and not another.
   */
  @Test
  void aBatchWithNothingBunchedRunsInOneArenaAThread() {
    Steered alone = new Steered(1, false);
    alone.check(2 * CompiledModel.BUNCH + 1);
    assertEquals(1, alone.idleArenas(), "one thread, a batch of 2 x BUNCH + 1");
    Steered pooled = new Steered(2, false);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> pooled.batchOnThePool(2 * CompiledModel.BUNCH));
    assertEquals(2, pooled.idleArenas(), "a batch on the pool of two threads");
  }

  /**
   * A batch's first call allocates every arena any thread may take in it: the first take is the largest (ThreadPool.take:
   * 8 images on 2 threads run as 4, 2, 1, 1), and whichever thread comes first takes it. Allocated as taken, the second
   * thread's third and fourth arenas came only in the call in which it came first, a timed call late in a run.
   */
  @Test
  void aBatchAllocatesItsArenasInItsFirstCall() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Steered eight = new Steered(2, true);
      eight.check(2 * CompiledModel.BUNCH); // however the threads split it (4 and 4 cannot happen: 4, then 2 of the 4 left)
      assertEquals(2 * CompiledModel.BUNCH, eight.idleArenas(), "a batch of 2 x BUNCH on two threads: a bunch of arenas a thread");
      Steered five = new Steered(2, true);
      five.check(5);
      assertEquals(2 * 2, five.idleArenas(), "a batch of 5 on two threads takes 2, 1, 1, 1: two arenas a thread");
      Steered flat = new Steered(2, false);
      flat.check(2 * CompiledModel.BUNCH);
      assertEquals(2, flat.idleArenas(), "nothing bunched: one arena a thread");
    });
  }

  /** A call running on a thread of its own, held in its first image until {@link #finish()}. */
  private record Caller(Thread thread, java.util.concurrent.CountDownLatch hold, java.util.concurrent.atomic.AtomicReference<Throwable> failed) {
    /** Lets the call finish, waits for it, and fails the test if it did. */
    void finish() throws InterruptedException {
      hold.countDown();
      thread.join(10_000);
      assertTrue(!thread.isAlive(), thread.getName() + " did not finish");
      if (failed.get() != null) throw new AssertionError("the call failed", failed.get());
    }
  }

  /** Starts a call of {@code n} images on a new thread and returns once it is held in its first image (its workspace taken). */
  private static Caller alone(Steered m, int n) throws InterruptedException {
    Caller c = new Caller(new Thread(() -> m.check(n)), new java.util.concurrent.CountDownLatch(1), new java.util.concurrent.atomic.AtomicReference<>());
    m.holds.put(c.thread(), c.hold());
    c.thread().setUncaughtExceptionHandler((t, e) -> c.failed().set(e));
    c.thread().start();
    assertTrue(m.held.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS), "the call did not reach its step");
    return c;
  }

  /** A model whose one step fails. */
  private static final class Failing extends OneStepModel {
    Failing(int threads) {
      super(ThreadPoolTest.Counting.properties(), threads, "fail", ThreadPoolTest.Counting.SIZES);
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
