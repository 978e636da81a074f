package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A call whose thread is interrupted (a request's timeout, Future.cancel(true)) stops at its next step
 * and throws CancellationException, on one thread, sharing steps with the pool, and running images of
 * a batch on the pool; the model and the pool are whole afterwards.
 */
class CancelTest {
  static final int STEPS = 10, ITEMS = 4;

  /** A model of ten steps of four items; the step {@code interruptAt} interrupts the calling thread, as a cancel arriving then would. */
  static class Steps extends CompiledModel {
    final AtomicInteger ran = new AtomicInteger();
    volatile Thread caller;
    volatile int interruptAt = -1;

    Steps(int threads) {
      super(ThreadPoolTest.Counting.properties(), threads, ThreadPoolTest.Counting.SIZES);
    }

    @Override
    protected int steps() {
      return STEPS;
    }

    @Override
    protected int items(int step) {
      return ITEMS;
    }

    @Override
    protected boolean parallel(int step) {
      return true;
    }

    /** Set by the first item of step interruptAt, on whichever thread runs it (the pool's worker may take all of a step's items). */
    final java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Steps a pool worker began once the call had failed. With {@code waitForFailure}, the worker is the one that
     * interrupts the caller (in its step interruptAt) and then waits in that step until the call has failed.
     */
    final AtomicInteger afterFailure = new AtomicInteger();
    volatile boolean waitForFailure, workerBegan;

    /** When set, every step waits for it (a call held in progress). */
    volatile java.util.concurrent.CountDownLatch hold;
    final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);

    @Override
    protected void runStep(int step, Workspace ws, int from, int to) {
      java.util.concurrent.CountDownLatch h = hold;
      if (h != null) {
        entered.countDown();
        try {
          h.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      boolean worker = ThreadPool.isWorker(Thread.currentThread());
      if (worker && pool().failed()) afterFailure.incrementAndGet();
      if (worker) workerBegan = true;
      if (waitForFailure && !worker) { // the caller waits for the worker to be running images: else it may take them all first
        long until = System.nanoTime() + 30_000_000_000L;
        while (!workerBegan && System.nanoTime() < until) Thread.onSpinWait();
      }
      if (step == interruptAt && (worker || !waitForFailure) && cancelled.compareAndSet(false, true)) caller.interrupt();
      ran.addAndGet(to - from);
      if (waitForFailure && worker && cancelled.get()) {
        long until = System.nanoTime() + 30_000_000_000L;
        while (!pool().failed() && System.nanoTime() < until) Thread.onSpinWait();
        return;
      }
      if (cancelled.get() && ThreadPool.isWorker(Thread.currentThread())) {
        // the pool's thread slows down once the cancel is on its way: what it runs after that is bounded by the
        // time the caller takes to see it, a step, not by a loaded machine's luck (it ran 99% of a batch once)
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    protected int outputOffset() {
      return 0;
    }

    @Override
    public List<String> stepNames() {
      return List.of("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9");
    }
  }

  @Test
  void anInterruptStopsTheCallAtTheNextStep() {
    for (int threads : new int[] {1, 2}) {
      Steps m = new Steps(threads);
      m.caller = Thread.currentThread();
      m.interruptAt = 3;
      CancellationException e = assertThrows(CancellationException.class, () -> m.predict(new float[1], 1, new float[1]));
      assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
      assertTrue(Thread.interrupted(), "the interrupt status stays set (cleared here)");
      assertEquals(4 * ITEMS, m.ran.get(), threads + " threads: steps 0-3 ran, none after");

      m.interruptAt = -1;
      m.cancelled.set(false); // the model is whole: the next call runs every step, and close() does not wait for the cancelled one
      m.ran.set(0);
      m.predict(new float[1], 1, new float[1]);
      assertEquals(STEPS * ITEMS, m.ran.get());
      m.close();
    }
  }

  @Test
  void aCallOnAnInterruptedThreadRunsNothing() {
    // on two threads a batch of whole images per thread too: the pool's worker, woken, took images before the caller's
    // first step saw the interrupt; and predictNhwc, which transposes the batch first
    for (int threads : new int[] {1, 2}) {
      for (boolean nhwc : new boolean[] {false, true}) {
        Steps m = new Steps(threads);
        int batch = 400;
        Thread.currentThread().interrupt();
        try {
          assertThrows(CancellationException.class, () -> {
            if (nhwc) m.predictNhwc(new float[batch], batch, new float[batch]);
            else m.predict(new float[batch], batch, new float[batch]);
          });
        } finally {
          assertTrue(Thread.interrupted());
        }
        assertEquals(0, m.ran.get(), threads + " threads, nhwc " + nhwc);
        m.close();
      }
    }
  }

  /**
   * A pool worker running images of a batch stops at its next step once the batch failed (its caller interrupted),
   * not after the whole images it had taken (BUNCH of them: a quarter of a second of resnet50 on one thread): here
   * it waits in its step until the failure is recorded, and begins at most the one step it may have been entering.
   */
  @Test
  void aWorkerStopsItsImagesAtTheNextStepOnceTheBatchFailed() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Steps m = new Steps(2);
      int batch = 400;
      m.caller = Thread.currentThread();
      m.interruptAt = 2;
      m.waitForFailure = true;
      assertTrue(m.imagesPerThread(batch));
      assertThrows(CancellationException.class, () -> m.predict(new float[batch], batch, new float[batch]));
      assertTrue(Thread.interrupted());
      assertTrue(m.afterFailure.get() <= 1, m.afterFailure.get() + " steps begun on the worker after the failure");
      m.close();
    });
  }

  /**
   * The interrupt arriving once the caller has run its own images, while the pool's worker still runs its: the
   * caller, waiting for the worker, fails the batch, and the worker stops at its next step. The call returned
   * normally before, its interrupt unanswered, after the worker had run its images to the end.
   */
  @Test
  void anInterruptAfterTheCallersLastImageStopsTheWorkers() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      java.util.concurrent.atomic.AtomicInteger callerSteps = new java.util.concurrent.atomic.AtomicInteger();
      Steps m = new Steps(2) {
        @Override
        protected void runStep(int step, Workspace ws, int from, int to) {
          boolean worker = ThreadPool.isWorker(Thread.currentThread());
          if (worker && pool().failed()) afterFailure.incrementAndGet();
          if (!worker) {
            // the caller waits for the worker to be running its images: else it may take them all first
            long until = System.nanoTime() + 30_000_000_000L;
            while (!workerBegan && System.nanoTime() < until) Thread.onSpinWait();
            callerSteps.incrementAndGet();
          } else if (!cancelled.get()) {
            workerBegan = true;
            // the worker's first step waits for the caller to have run all its images (its first share, then the
            // shares left, which it takes while the worker waits here) and to sit waiting for the worker, its steps
            // still for 50 ms; then interrupts it
            long until = System.nanoTime() + 30_000_000_000L, still = System.nanoTime();
            for (int seen = -1; System.nanoTime() < until; Thread.onSpinWait()) {
              int now = callerSteps.get();
              if (now != seen) {
                seen = now;
                still = System.nanoTime();
              } else if (now >= CompiledModel.BUNCH * STEPS && System.nanoTime() - still > 50_000_000L) {
                break;
              }
            }
            cancelled.set(true);
            caller.interrupt();
          } else {
            try {
              Thread.sleep(1); // the worker's remaining steps take long enough for the caller to see its interrupt
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          ran.addAndGet(to - from);
        }
      };
      int batch = 2 * CompiledModel.BUNCH; // the caller's first share (four images), the worker's (two), the last two the caller's
      m.caller = Thread.currentThread();
      assertTrue(m.imagesPerThread(batch));
      assertThrows(CancellationException.class, () -> m.predict(new float[batch], batch, new float[batch]));
      assertTrue(Thread.interrupted());
      assertTrue(m.afterFailure.get() <= 1, m.afterFailure.get() + " steps begun on the worker after the failure");
      assertTrue(m.ran.get() < batch * STEPS * ITEMS, "the batch stopped: " + m.ran.get() + " items ran");
      m.close();
    });
  }

  /**
   * closeWithin(timeout) while a call is in progress: false once the time is up (the model refusing new calls, the call
   * running on), the model released as that call ends, true from a later close; a negative timeout is refused.
   */
  @Test
  void closeWithATimeoutDoesNotWaitForeverForACallInProgress() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Steps m = new Steps(1);
      m.hold = new java.util.concurrent.CountDownLatch(1);
      ExecutorService caller = Executors.newSingleThreadExecutor();
      try {
        Future<?> call = caller.submit(() -> m.predict(new float[1], 1, new float[1]));
        assertTrue(m.entered.await(30, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        assertEquals(false, m.closeWithin(Duration.ofMillis(200)), "the call still runs");
        assertTrue(System.nanoTime() - t0 >= 150_000_000L, "waited its time");
        assertThrows(IllegalStateException.class, () -> m.predict(new float[1], 1, new float[1]), "new calls refused");
        int users = ThreadPool.users(1);
        m.hold.countDown();
        call.get(30, TimeUnit.SECONDS); // the call in progress ends with its answer
        // and, the last call of a closed model, releases it: no later close is needed to give up the pool
        assertEquals(users - 1, ThreadPool.users(1), "the pool's users once the last call ended");
        assertEquals(true, m.closeWithin(Duration.ofSeconds(30)));
        assertThrows(IllegalArgumentException.class, () -> m.closeWithin(Duration.ofMillis(-1)));
        assertEquals(true, m.closeWithin(Duration.ofDays(365 * 1000)), "a timeout past a long's nanoseconds");
      } finally {
        caller.shutdownNow();
      }
    });
  }

  /** A batch run image by image on two threads: the caller's interrupt stops the pool's thread from taking more images. */
  @Test
  void anInterruptStopsABatchOnEveryThread() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Steps m = new Steps(2);
      int batch = 400;
      m.caller = Thread.currentThread();
      m.interruptAt = 5; // in the first image a thread runs
      assertTrue(m.imagesPerThread(batch));
      assertThrows(CancellationException.class, () -> m.predict(new float[batch], batch, new float[batch]));
      assertTrue(Thread.interrupted());
      assertTrue(m.ran.get() < batch * STEPS * ITEMS / 2, "the batch stopped: " + m.ran.get() + " items ran");
      m.interruptAt = -1;
      m.cancelled.set(false);
      m.ran.set(0);
      m.predict(new float[batch], batch, new float[batch]);
      assertEquals(batch * STEPS * ITEMS, m.ran.get(), "the pool runs the next batch whole");
      m.close();
    });
  }

  /** The way a service cancels: Future.cancel(true) on a call running in an executor ends it, and close() returns. */
  @Test
  void futureCancelEndsARunningCall() throws Exception {
    Steps m = new Steps(1) {
      @Override
      protected void runStep(int step, Workspace ws, int from, int to) {
        super.runStep(step, ws, from, to);
        if (step == 2) {
          try {
            Thread.sleep(60_000); // a long step: the cancel arrives during it
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // as a kernel would not notice: the flag stays for the step's end
          }
        }
      }
    };
    ExecutorService service = Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.CompletableFuture<Throwable> thrown = new java.util.concurrent.CompletableFuture<>();
      Future<?> call = service.submit(() -> {
        try {
          m.predict(new float[1], 1, new float[1]);
          thrown.complete(null);
        } catch (Throwable t) {
          thrown.complete(t);
        }
      });
      while (m.ran.get() < 3 * ITEMS) Thread.sleep(5);
      call.cancel(true);
      assertTimeoutPreemptively(Duration.ofSeconds(20), m::close);
      assertEquals(3 * ITEMS, m.ran.get(), "no step after the cancelled one ran");
      // the call itself ended with the model's cancellation, not normally with half its outputs
      Throwable t = thrown.get(20, TimeUnit.SECONDS);
      assertTrue(t instanceof java.util.concurrent.CancellationException && t.getMessage().startsWith("the call was interrupted"), String.valueOf(t));
    } finally {
      service.shutdownNow();
      assertTrue(service.awaitTermination(20, TimeUnit.SECONDS));
    }
  }

  /** Sizes a caller may size buffers from are checked: a batch below 1 is refused, not a shape of -3 or "fits". */
  @Test
  void batchesBelowOneAndPoolsPastTheLimitAreRefused() {
    Steps m = new Steps(1);
    assertEquals("batch: must be at least 1, got -3", assertThrows(IllegalArgumentException.class, () -> m.outputShape(-3)).getMessage());
    assertEquals("batch: must be at least 1, got 0", assertThrows(IllegalArgumentException.class, () -> m.batchTooLarge(0)).getMessage());
    assertEquals(2, m.outputShape(2)[0]);
    assertEquals(null, m.batchTooLarge(2));
    assertEquals("threads: at most " + CommandLineArgs.MAX_THREADS + ", got 5000",
        assertThrows(IllegalArgumentException.class, () -> ThreadPool.shared(5000)).getMessage());
  }
}
