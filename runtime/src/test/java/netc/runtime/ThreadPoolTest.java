package netc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The pool's job protocol under churn: thousands of tiny steps of uneven items, so the caller and
 * the worker race for each other's ranges and the worker often arrives when the caller has taken
 * nearly everything, or joins too late and is turned away. Every item must run exactly once,
 * nothing of a step may run after its runStep returned, and the worker must run some of them.
 */
class ThreadPoolTest {
  private static final int STEPS = 20_000, MAX_ITEMS = 7;

  /** A model whose one step counts, per call of runStep, how often each item ran. */
  static final class Counting extends CompiledModel {
    final AtomicIntegerArray runs = new AtomicIntegerArray(STEPS * MAX_ITEMS);
    final java.util.concurrent.atomic.AtomicInteger byWorker = new java.util.concurrent.atomic.AtomicInteger();
    /** Calls in which the caller threw: a failing call whose items the worker took all of (a caller descheduled) has none. */
    final java.util.concurrent.atomic.AtomicInteger callerFailed = new java.util.concurrent.atomic.AtomicInteger();
    volatile int call;
    int items = 1;
    /** Every failEvery-th call, the calling thread throws from its first runStep of the call (0: never). */
    int failEvery;
    /** Which threads throw a new OutOfMemoryError from their first items of every call, and what they threw. */
    volatile boolean callerErrs, workerErrs;
    /** Thrown as it is by the worker when it runs an item, when set: one shared instance, as HotSpot's fast throws are. */
    volatile RuntimeException workerThrowsThis;
    final java.util.concurrent.atomic.AtomicReference<Throwable> callerThrew = new java.util.concurrent.atomic.AtomicReference<>();
    final java.util.concurrent.atomic.AtomicReference<Throwable> workerThrew = new java.util.concurrent.atomic.AtomicReference<>();

    Counting() {
      super(properties(), 2, SIZES);
    }

    /** What {@link #properties()} give. */
    static final Sizes SIZES = new Sizes(1, 1, 1, 1, 1, 1);

    /** The properties of a model of one weight float and a one-float arena: what the pool tests need of a model. */
    static Properties properties() {
      Properties p = new Properties();
      p.setProperty("input.shape", "1,1,1");
      p.setProperty("output.size", "1");
      p.setProperty("arena.floats", "1");
      p.setProperty("weights.resource", "one-float.bin");
      p.setProperty("weights.floats", "1");
      return p;
    }

    @Override
    protected int steps() {
      return 1;
    }

    @Override
    protected int items(int step) {
      return items;
    }

    @Override
    protected boolean parallel(int step) {
      return true;
    }

    @Override
    protected void runStep(int step, Workspace ws, int from, int to) {
      int c = call;
      boolean worker = Thread.currentThread().getName().startsWith("netc-worker-");
      if (!worker && failEvery > 0 && c % failEvery == 0) {
        callerFailed.incrementAndGet();
        throw new IllegalStateException("the caller fails in call " + c);
      }
      if (worker && workerThrowsThis != null) throw workerThrowsThis;
      if (worker ? workerErrs : callerErrs) {
        // when both fail, the caller gives the worker time to join first: a caller failing at once closes the job before it
        for (int i = 0; !worker && workerErrs && workerThrew.get() == null && i < 1_000_000; i++) Thread.onSpinWait();
        OutOfMemoryError e = new OutOfMemoryError((worker ? "the worker" : "the caller") + " fails in call " + c);
        (worker ? workerThrew : callerThrew).set(e);
        throw e;
      }
      if (worker) byWorker.addAndGet(to - from);
      for (int i = from; i < to; i++) {
        runs.incrementAndGet(c * MAX_ITEMS + i);
        for (int spin = (i * 7919 + c) % 200; spin > 0; spin--) Thread.onSpinWait(); // uneven items
      }
    }

    @Override
    protected int outputOffset() {
      return 0;
    }

    @Override
    public List<String> stepNames() {
      return List.of("count");
    }
  }

  @Test
  void everyItemRunsOnceAndNothingAfterItsStepReturns() {
    Counting m = new Counting();
    ThreadPool pool = ThreadPool.shared(2);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      int[] after = new int[STEPS * MAX_ITEMS];
      for (int c = 0; c < STEPS; c++) {
        m.call = c;
        m.items = 1 + c % MAX_ITEMS;
        pool.runStep(m, 0, null, m.items);
        for (int i = 0; i < MAX_ITEMS; i++) after[c * MAX_ITEMS + i] = m.runs.get(c * MAX_ITEMS + i);
      }
      Thread.sleep(50); // a worker that ran late would show now
      for (int c = 0; c < STEPS; c++) {
        for (int i = 0; i < MAX_ITEMS; i++) {
          int expected = i < 1 + c % MAX_ITEMS ? 1 : 0;
          assertEquals(expected, after[c * MAX_ITEMS + i], "step call " + c + ", item " + i + " when runStep returned");
          assertEquals(expected, m.runs.get(c * MAX_ITEMS + i), "step call " + c + ", item " + i + " afterwards");
        }
      }
      // the caller does not wait for a worker that has not joined a step, but the worker does join
      assertTrue(m.byWorker.get() > 0, "the worker ran none of the items");
    });
  }

  /**
   * The caller failing in a step (an out-of-memory, a bug) leaves no worker running into the next
   * call: the exception comes out of runStep after the job closed, the pool goes on, nothing hangs.
   */
  @Test
  void aCallerThatFailsLeavesThePoolWhole() {
    Counting m = new Counting();
    m.failEvery = 50;
    ThreadPool pool = ThreadPool.shared(2);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      int calls = 5_000, failed = 0;
      int[] after = new int[calls * MAX_ITEMS];
      for (int c = 0; c < calls; c++) {
        m.call = c;
        m.items = MAX_ITEMS;
        try {
          pool.runStep(m, 0, null, m.items);
        } catch (IllegalStateException e) {
          assertEquals("the caller fails in call " + c, e.getMessage());
          failed++;
        }
        for (int i = 0; i < MAX_ITEMS; i++) after[c * MAX_ITEMS + i] = m.runs.get(c * MAX_ITEMS + i);
      }
      Thread.sleep(50);
      // each call in which the caller threw threw from runStep; on a loaded host the worker may have
      // taken every item of a few of the 100 failing calls, so those do not fail, but most do
      assertEquals(m.callerFailed.get(), failed, "each failing call threw");
      assertTrue(failed > calls / 50 / 2, failed + " of the " + calls / 50 + " failing calls threw");
      for (int c = 0; c < calls; c++) {
        for (int i = 0; i < MAX_ITEMS; i++) {
          int ran = m.runs.get(c * MAX_ITEMS + i);
          assertEquals(after[c * MAX_ITEMS + i], ran, "call " + c + ", item " + i + " ran after runStep returned");
          if (c % 50 == 0) assertTrue(ran <= 1, "call " + c + ", item " + i + " ran " + ran + " times");
          else assertEquals(1, ran, "call " + c + ", item " + i);
        }
      }
    });
  }

  /**
   * shutdownThreads ends every worker (a web application undeployed); a model loaded before still answers
   * every item, on its caller alone, and a pool asked for afterwards has live workers again.
   */
  @Test
  void shutdownEndsTheWorkersAndModelsStillAnswer() throws Exception {
    Counting m = new Counting();
    ThreadPool before = ThreadPool.shared(2);
    assertEquals(0, CompiledModel.shutdownThreads(), "every worker ended");
    assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith(ThreadPool.WORKER_NAME_PREFIX) && t.isAlive()),
        "no worker left");
    m.call = 0;
    m.items = MAX_ITEMS;
    before.runStep(m, 0, null, m.items); // the stopped pool: the caller takes every item
    for (int i = 0; i < MAX_ITEMS; i++) assertEquals(1, m.runs.get(i), "item " + i);
    assertTrue(!before.tryAcquire(), "a stopped pool is not taken: its callers run alone");
    ThreadPool after = ThreadPool.shared(2);
    assertTrue(after != before, "a new pool");
    assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith(ThreadPool.WORKER_NAME_PREFIX) && t.isAlive()),
        "the new pool's worker runs");
  }

  /**
   * shutdownThreads waits for the call running on a pool as long as its caller is willing to: an
   * interrupt ends the wait (it waited without limit, deaf to interrupts, behind a batch of minutes),
   * and the pool is stopped anyway: its workers end, parked ones too (past the running call's last
   * parallel step nothing would wake them again), the running call goes on with its caller alone, and
   * later callers run alone.
   */
  @Test
  void shutdownWaitingForARunningCallCanBeInterrupted() throws Exception {
    ThreadPool pool = ThreadPool.shared(6); // a size no other test uses
    assertTrue(pool.tryAcquire(), "this thread holds the pool, as a running call does");
    List<Thread> workers = pool.workerThreads();
    awaitParked(workers);
    java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
    Thread shutdown = shutdownWaitingForThePool(ended);
    shutdown.interrupt();
    shutdown.join(5000);
    assertTrue(!shutdown.isAlive(), "the interrupt ended the wait");
    assertTrue(ended.get() instanceof InterruptedException, "and said so: " + ended.get());
    assertAllEnd(workers, "while the call runs");
    Counting m = new Counting();
    m.items = MAX_ITEMS;
    pool.runStep(m, 0, null, m.items); // the running call's next parallel step: its caller takes every item
    for (int i = 0; i < MAX_ITEMS; i++) assertEquals(1, m.runs.get(i), "item " + i);
    pool.release();
    assertTrue(!pool.tryAcquire(), "the pool is stopped all the same: its callers run alone");
  }

  /** A thread calling shutdownThreads, once it waits for the pool this thread holds; what it throws goes to {@code ended}. */
  private static Thread shutdownWaitingForThePool(java.util.concurrent.atomic.AtomicReference<Throwable> ended) {
    Thread shutdown = new Thread(() -> {
      try {
        CompiledModel.shutdownThreads();
      } catch (Throwable e) {
        ended.set(e);
      }
    });
    shutdown.start();
    while (shutdown.getState() != Thread.State.WAITING && shutdown.isAlive()) Thread.onSpinWait(); // blocked on the pool
    return shutdown;
  }

  /**
   * Once shutdownThreads waits for the running call, no new call takes the pool: a caller that let it go and
   * asked again at once (a loop of predicts) took it back before the waiting shutdown was scheduled, and a
   * steady stream of calls kept shutdownThreads waiting without end.
   */
  @Test
  void noCallTakesThePoolWhileShutdownWaitsForIt() throws Exception {
    ThreadPool pool = ThreadPool.shared(7); // a size no other test uses
    assertTrue(pool.tryAcquire(), "this thread holds the pool, as a running call does");
    java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
    Thread shutdown = shutdownWaitingForThePool(ended);
    pool.release();
    boolean again = pool.tryAcquire(); // before the shutdown thread has run: it would barge in
    if (again) pool.release();
    shutdown.join(5000);
    assertTrue(!again, "the pool was taken again while shutdown waited for it");
    assertTrue(!shutdown.isAlive() && ended.get() == null, "shutdown ended: " + ended.get());
  }

  /**
   * shutdownThreads on a thread already interrupted (a container's stop hook runs on one) throws
   * InterruptedException at once, as any interruptible wait, with no call running: the pool it reached is
   * stopped, and its workers, parked after their idle spin, must end too, not stay parked for the JVM's life
   * keeping the class loader shutdownThreads exists to free.
   */
  @Test
  void anInterruptedShutdownEndsTheParkedWorkers() throws Exception {
    CompiledModel.shutdownThreads(); // the interrupted call stops only the first pool it reaches: let it be this test's
    ThreadPool pool = ThreadPool.shared(3);
    List<Thread> workers = pool.workerThreads();
    assertEquals(2, workers.size());
    awaitParked(workers);
    java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean flagAfter = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread shutdown = new Thread(() -> {
      Thread.currentThread().interrupt();
      try {
        CompiledModel.shutdownThreads();
      } catch (Throwable e) {
        ended.set(e);
      }
      flagAfter.set(Thread.currentThread().isInterrupted());
    });
    shutdown.start();
    shutdown.join(5000);
    assertTrue(!shutdown.isAlive(), "the interrupted shutdown returned");
    assertTrue(ended.get() instanceof InterruptedException, "and said so: " + ended.get());
    assertTrue(!flagAfter.get(), "the InterruptedException cleared the flag, as thrown ones do");
    assertAllEnd(workers, "after an interrupted shutdown");
    assertTrue(!pool.tryAcquire(), "the pool is stopped: its callers run alone");
    assertTrue(ThreadPool.shared(3) != pool, "a model loaded afterwards gets a new pool");
  }

  /**
   * An interrupt while shutdownThreads waits for the workers to end (every pool already stopped and out of
   * the shared ones) threw InterruptedException, and a second call, which its documentation advised, found
   * no pool and returned 0 at once: the count was lost. It finishes its waits and returns it, the thread's
   * interrupt flag set.
   */
  @Test
  void anInterruptWhileTheWorkersEndStillGivesTheirCount() throws Exception {
    CompiledModel.shutdownThreads(); // no other test's pool: the shutdown below waits for this one's worker
    java.util.concurrent.CountDownLatch inStep = new java.util.concurrent.CountDownLatch(1), release = new java.util.concurrent.CountDownLatch(1);
    OneStepModel m = new OneStepModel(Counting.properties(), 2, "hold", Counting.SIZES) {
      @Override protected int items(int step) {
        return 2;
      }

      @Override protected boolean parallel(int step) {
        return true;
      }

      @Override protected void runStep(int step, Workspace ws, int from, int to) {
        if (Thread.currentThread().getName().startsWith(ThreadPool.WORKER_NAME_PREFIX)) inStep.countDown();
        try {
          release.await(); // both threads hold an item until told
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
    };
    ThreadPool pool = ThreadPool.shared(2);
    List<Thread> workers = pool.workerThreads();
    Thread call = new Thread(() -> pool.runStep(m, 0, null, 2)); // a step whose items the worker and the caller each take one of
    call.start();
    assertTrue(inStep.await(10, java.util.concurrent.TimeUnit.SECONDS), "the worker took its item");
    java.util.concurrent.atomic.AtomicReference<Object> ended = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean flagAfter = new java.util.concurrent.atomic.AtomicBoolean();
    Thread shutdown = new Thread(() -> {
      try {
        ended.set(CompiledModel.shutdownThreads());
      } catch (Throwable e) {
        ended.set(e);
      }
      flagAfter.set(Thread.currentThread().isInterrupted());
    });
    try {
      shutdown.start();
      while (shutdown.getState() != Thread.State.TIMED_WAITING && shutdown.isAlive()) Thread.onSpinWait(); // waiting for the worker
      shutdown.interrupt();
      shutdown.join(100);
      assertTrue(shutdown.isAlive(), "the interrupt ended the wait for the worker: " + ended.get());
    } finally {
      release.countDown(); // the step ends; the worker, its pool stopped, ends with it
    }
    shutdown.join(5000);
    call.join(5000);
    assertTrue(!shutdown.isAlive() && !call.isAlive(), "the shutdown and the call returned");
    assertEquals(0, ended.get(), "the workers still alive");
    assertTrue(flagAfter.get(), "the interrupt is kept for the caller");
    assertAllEnd(workers, "after the shutdown");
    assertTrue(!pool.tryAcquire(), "the pool is stopped: its callers run alone");
  }

  /** Waits until every one of {@code workers} is parked (past its idle spin), failing after ten seconds more. */
  private static void awaitParked(List<Thread> workers) throws InterruptedException {
    long deadline = System.nanoTime() + (SPIN_MILLIS + 10_000) * 1_000_000;
    while (!workers.stream().allMatch(w -> w.getState() == Thread.State.WAITING)) {
      assertTrue(System.nanoTime() < deadline, "workers not parked: " + workers.stream().map(w -> w.getName() + " " + w.getState()).toList());
      Thread.sleep(10);
    }
  }

  /** Asserts that every one of {@code workers} ends within five seconds. */
  private static void assertAllEnd(List<Thread> workers, String when) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    for (Thread w : workers) {
      w.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      assertTrue(!w.isAlive(), w.getName() + " still alive " + when + ": " + w.getState());
    }
  }

  /**
   * The first model of a size starts its pool's workers from whatever thread loads it (a web request's):
   * they must not inherit its inheritable thread-locals (a logging context holding the web application's
   * classes), which would keep that application loaded after it is undeployed. The pool must be new, its
   * workers started here: a pool of 5 made earlier (a model loaded with as many threads as the host has
   * processors) starts none, and the check would pass whatever a new worker inherits.
   */
  @Test
  void workersInheritNoThreadLocals() throws InterruptedException {
    java.util.concurrent.atomic.AtomicInteger inherited = new java.util.concurrent.atomic.AtomicInteger();
    InheritableThreadLocal<Object> context = new InheritableThreadLocal<>() {
      @Override
      protected Object childValue(Object parent) {
        inherited.incrementAndGet();
        return parent;
      }
    };
    ThreadPool.shutdownAll(); // no pool of 5 left: its workers start below
    List<Thread> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    ThreadPool.starter = t -> {
      started.add(t);
      t.start();
    };
    context.set(new Object());
    try {
      ThreadPool pool = ThreadPool.shared(5);
      assertEquals(5, pool.threads());
      assertEquals(pool.workerThreads(), started, "the pool's 4 workers, started here");
      assertEquals(0, inherited.get(), "workers that inherited the creating thread's thread-locals");
    } finally {
      ThreadPool.starter = Thread::start;
      context.remove();
    }
  }

  /**
   * A worker whose interrupt flag gets set from outside (ThreadGroup.interrupt, a container ending the
   * threads it sees) would find park returning at once, for ever, and spin a core: once past its spin
   * time it must be idle again, and the pool must go on computing every item.
   */
  @Test
  void anInterruptedWorkerGoesIdleAndKeepsWorking() {
    Counting m = new Counting();
    ThreadPool pool = ThreadPool.shared(2);
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      m.items = MAX_ITEMS;
      pool.runStep(m, 0, null, m.items); // the worker runs now (a pool of this size made by an earlier test may be idle)
      List<Thread> workers = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith(ThreadPool.WORKER_NAME_PREFIX) && t.isAlive()).toList();
      assertTrue(!workers.isEmpty(), "no worker found");
      for (Thread w : workers) w.interrupt();
      Thread.sleep(SPIN_MILLIS + 300); // past the spin: a worker that is not parked now never will be
      long[] before = new long[workers.size()];
      for (int i = 0; i < before.length; i++) before[i] = cpu.getThreadCpuTime(workers.get(i).getId());
      Thread.sleep(200);
      for (int i = 0; i < before.length; i++) {
        long used = cpu.getThreadCpuTime(workers.get(i).getId()) - before[i];
        assertTrue(used < 20_000_000, workers.get(i).getName() + " used " + used / 1_000_000 + " ms of CPU in 200 ms idle");
      }
      for (int c = 1; c <= 1000; c++) {
        m.call = c;
        pool.runStep(m, 0, null, m.items);
        for (int i = 0; i < MAX_ITEMS; i++) assertEquals(1, m.runs.get(c * MAX_ITEMS + i), "call " + c + ", item " + i);
      }
    });
  }

  /**
   * One exception instance without a stack trace thrown by every call (HotSpot's fast throw of a hot
   * implicit exception): it comes out as thrown, and gathers no notes, which piled up over every
   * failing call of a service that retried.
   */
  @Test
  void aSharedExceptionWithoutAStackTraceGathersNoNotes() {
    Counting m = new Counting();
    m.items = MAX_ITEMS;
    ThreadPool pool = ThreadPool.shared(2);
    RuntimeException shared = new RuntimeException("shared", null, true, false) {};
    m.workerThrowsThis = shared;
    int thrown = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      int n = 0;
      for (int c = 1; c <= 2000; c++) { // the worker fails the calls in which it takes items
        m.call = c;
        try {
          pool.runStep(m, 0, null, m.items);
        } catch (RuntimeException e) {
          assertSame(shared, e);
          n++;
        }
      }
      return n;
    });
    assertTrue(thrown > 0, "the worker never ran an item");
    assertEquals(0, shared.getSuppressed().length, () -> thrown + " failed calls left notes, the first " + shared.getSuppressed()[0]);
    m.workerThrowsThis = null;
    pool.runStep(m, 0, null, m.items); // and the pool works on
  }

  /**
   * A step that fails comes out of runStep as what it threw, whichever thread ran it: an application's
   * catch (OutOfMemoryError) must not work on some runs only. A worker's failure carries a note naming
   * the worker and the step; when both threads fail, the first is thrown and the other kept as suppressed.
   */
  @Test
  void aFailureComesOutAsThrownFromEitherThread() {
    Counting m = new Counting();
    m.items = MAX_ITEMS;
    ThreadPool pool = ThreadPool.shared(2);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      m.callerErrs = true;
      Throwable onCaller = null;
      for (int c = 0; onCaller == null && c < 1000; c++) { // until the caller runs some items (the worker may take them all)
        try {
          pool.runStep(m, 0, null, m.items);
        } catch (Throwable e) {
          onCaller = e;
        }
      }
      assertSame(m.callerThrew.get(), onCaller, "the caller's own error");
      m.callerErrs = false;
      m.workerErrs = true;
      int byWorker = 0;
      for (int c = 1; c <= 2000; c++) {
        m.call = c;
        m.workerThrew.set(null);
        try {
          pool.runStep(m, 0, null, m.items);
          assertNull(m.workerThrew.get(), "call " + c + ": the worker failed, runStep returned");
        } catch (Throwable e) {
          byWorker++;
          assertEquals(onCaller.getClass(), e.getClass(), "call " + c);
          assertSame(m.workerThrew.get(), e, "call " + c + ": the worker's own error");
          assertTrue(Arrays.stream(e.getSuppressed()).anyMatch(n -> n.getMessage().contains(ThreadPool.WORKER_NAME_PREFIX + "1")
              && n.getMessage().contains("count")), "call " + c + ": a note naming the worker and the step: " + Arrays.toString(e.getSuppressed()));
        }
      }
      assertTrue(byWorker > 0, "the worker never failed");
      m.callerErrs = true;
      int both = 0;
      for (int c = 2001; c <= 4000; c++) {
        m.call = c;
        m.workerThrew.set(null);
        Throwable e = assertThrows(Throwable.class, () -> pool.runStep(m, 0, null, m.items));
        Throwable other = e == m.callerThrew.get() ? m.workerThrew.get() : m.callerThrew.get();
        assertTrue(e == m.callerThrew.get() || e == m.workerThrew.get(), "call " + c + ": " + e);
        if (other != null) {
          both++;
          assertTrue(Arrays.asList(e.getSuppressed()).contains(other), "call " + c + ": the other thread's error is kept as suppressed");
        }
      }
      assertTrue(both > 0, "the caller and the worker never both failed");
      m.callerErrs = m.workerErrs = false;
      for (int c = 4001; c <= 6000; c++) {
        m.call = c;
        pool.runStep(m, 0, null, m.items);
        for (int i = 0; i < MAX_ITEMS; i++) assertEquals(1, m.runs.get(c * MAX_ITEMS + i), "call " + c + ", item " + i);
      }
    });
  }

  /**
   * A batch's images, each its input plus one; the calling thread fails on its first image (out of memory
   * for its workspace, say) once the worker has run one, and the worker's images are counted that start
   * after the failure is recorded.
   */
  private static final class FailingBatch extends OneStepModel {
    final ThreadPool pool = ThreadPool.shared(2);
    final java.util.concurrent.atomic.AtomicInteger byWorker = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger afterFailure = new java.util.concurrent.atomic.AtomicInteger();
    volatile boolean callerFails = true;
    volatile OutOfMemoryError thrown;

    FailingBatch() {
      super(Counting.properties(), 2, "fail", Counting.SIZES);
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      if (Thread.currentThread().getName().startsWith(ThreadPool.WORKER_NAME_PREFIX)) {
        if (pool.failed()) afterFailure.incrementAndGet();
        byWorker.incrementAndGet();
      } else if (callerFails) {
        callerFails = false;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (byWorker.get() == 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        throw thrown = new OutOfMemoryError("the caller's workspace");
      }
      for (long end = System.nanoTime() + 20_000; System.nanoTime() < end; ) Thread.onSpinWait();
      ws.arena[0] = ws.input[ws.inputBase] + 1;
    }
  }

  /**
   * A thread that fails during a batch stops the others taking images: they ran on to the end of the batch
   * (1,000 images here) before the error came out. At most the chunk a thread had taken runs after the failure.
   * The error comes out as thrown, and the pool runs the next batch whole.
   */
  @Test
  void aFailureInABatchStopsTheOtherThreadsTakingImages() {
    FailingBatch m = new FailingBatch();
    int n = 1000;
    float[] in = new float[n], out = new float[n];
    for (int i = 0; i < n; i++) in[i] = i;
    Workspace[] spaces = new Workspace[2 * CompiledModel.BUNCH];
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      assertTrue(m.pool.tryAcquire(), "the pool is free");
      Throwable e = assertThrows(OutOfMemoryError.class, () -> m.pool.runImages(m, spaces, in, out, n, 1));
      assertSame(m.thrown, e);
      assertTrue(m.byWorker.get() >= 1, "the worker ran images before the failure");
      assertTrue(m.afterFailure.get() <= 1, m.afterFailure.get() + " images started on the worker after the failure ("
          + m.byWorker.get() + " in all)");
      m.pool.release();
      assertTrue(m.pool.tryAcquire(), "the pool is free again");
      m.pool.runImages(m, spaces, in, out, n, 1);
      m.pool.release();
      for (int i = 0; i < n; i++) assertEquals(i + 1, out[i], "image " + i);
    });
  }

  /** The sizes a batch of {@code n} images is taken in, one take after another. */
  private static List<Integer> schedule(int n, int bunch, int threads) {
    List<Integer> takes = new java.util.ArrayList<>();
    for (int left = n; left > 0; ) {
      int k = ThreadPool.take(left, bunch, threads);
      takes.add(k);
      left -= k;
    }
    return takes;
  }

  /**
   * Threads take their share of the images left, at most a bunch and at least one, so a batch ends in
   * single images (a slowed thread holds up the call by one image, not a bunch) and starts in bunches
   * (which share the bunched layers' weights); the takes add up to the batch and never pass its end.
   */
  @Test
  void threadsTakeTheirShareOfTheImagesLeftAtMostABunch() {
    assertEquals(List.of(4, 2, 1, 1), schedule(8, 4, 2));
    assertEquals(List.of(4, 4, 4, 2, 1, 1), schedule(16, 4, 2));
    assertEquals(List.of(1, 1, 1), schedule(3, 2, 2));
    assertEquals(List.of(4, 4), schedule(8, 4, 1));
    for (int threads = 1; threads <= 8; threads++) {
      for (int bunch = 1; bunch <= CompiledModel.BUNCH; bunch++) {
        for (int n = 1; n <= 40; n++) {
          List<Integer> takes = schedule(n, bunch, threads);
          int sum = 0, last = Integer.MAX_VALUE;
          for (int k : takes) {
            assertTrue(k >= 1 && k <= bunch && k <= last, takes + " for " + n + " images, bunch " + bunch + ", " + threads + " threads");
            sum += k;
            last = k;
          }
          assertEquals(n, sum, takes + " for " + n + " images");
        }
      }
    }
  }

  /**
   * A model whose one step is bunched (a take's images run it together, each in a workspace of its own, their
   * outputs copied out after the last), counting the runs of each image.
   */
  private static final class BunchedImages extends OneStepModel {
    final ThreadPool pool = ThreadPool.shared(2);
    final AtomicIntegerArray runs = new AtomicIntegerArray(100);

    BunchedImages() {
      super(Counting.properties(), 2, "bunched", Counting.SIZES);
    }

    @Override protected int bunchedFrom() {
      return 0;
    }

    @Override protected void runStep(int step, Workspace ws, int from, int to) {
      runs.incrementAndGet(ws.inputBase);
      for (long end = System.nanoTime() + 20_000; System.nanoTime() < end; ) Thread.onSpinWait();
      ws.arena[0] = ws.input[ws.inputBase] + 1;
    }
  }

  /**
   * A batch in bunches of up to 4 on two threads, its step bunched: every image runs once, and its output is its
   * own (two images of a take sharing a workspace would leave the second's output in both).
   */
  @Test
  void aBatchInBunchesRunsEveryImageOnceInItsOwnWorkspace() {
    BunchedImages m = new BunchedImages();
    Workspace[] spaces = new Workspace[2 * CompiledModel.BUNCH];
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (int n : new int[] {1, 2, 3, 5, 8, 13, 100}) {
        float[] in = new float[n], out = new float[n];
        for (int i = 0; i < n; i++) in[i] = i;
        for (int i = 0; i < m.runs.length(); i++) m.runs.set(i, 0);
        assertTrue(m.pool.tryAcquire(), "the pool is free");
        try {
          m.pool.runImages(m, spaces, in, out, n, Math.min(CompiledModel.BUNCH, (n + 1) / 2));
        } finally {
          m.pool.release();
        }
        for (int i = 0; i < n; i++) {
          assertEquals(1, m.runs.get(i), "runs of image " + i + " of " + n);
          assertEquals(i + 1, out[i], "image " + i + " of " + n);
        }
      }
    });
  }

  /**
   * A JVM out of threads (a process limit, no memory for stacks) fails a pool's third worker: the two
   * started must end (the pool is never shared, nothing else would ever stop them), and loading the
   * model says what ran out rather than advising a larger heap.
   */
  @Test
  void aWorkerThatCannotStartLeavesNoneRunning() throws Exception {
    java.util.Set<Thread> before = workers();
    java.util.concurrent.atomic.AtomicInteger starts = new java.util.concurrent.atomic.AtomicInteger();
    ThreadPool.starter = t -> {
      if (starts.incrementAndGet() == 3) throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
      t.start();
    };
    try {
      String props = String.join("\n", "class=" + MainTest.TinyModel.class.getName(), "runtime.abi=" + CompiledModel.ABI, "input.shape=3,8,8",
          "output.size=4", "arena.floats=4", "weights.resource=/netc/runtime/no-weights.bin", "weights.floats=0", "network=tiny", "name=tiny");
      OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> CompiledModel.load(MainTest.fakeModelLoader("tiny", props), 7)); // a size no other test uses
      assertEquals(3, starts.get(), "workers started");
      assertTrue(!e.getMessage().contains("-Xmx") && !e.getMessage().contains("heap"), e.getMessage());
      assertTrue(e.getMessage().contains("thread"), e.getMessage());
    } finally {
      ThreadPool.starter = Thread::start;
    }
    java.util.Set<Thread> left = workers();
    left.removeAll(before);
    assertEquals(java.util.Set.of(), left, "workers of the failed pool still alive");
    assertEquals(7, ThreadPool.shared(7).threads(), "a later pool of that size starts");
  }

  /** A model of one step, split across the pool's threads or not, adding one to its input. */
  private static OneStepModel plusOne(int threads, boolean parallel) {
    return new OneStepModel(Counting.properties(), threads, "plus_one", Counting.SIZES) {
      @Override protected boolean parallel(int step) {
        return parallel;
      }

      @Override protected void runStep(int step, Workspace ws, int from, int to) {
        ws.arena[0] = ws.input[ws.inputBase] + 1;
      }
    };
  }

  /**
   * A service that reloads its model with another thread count kept every earlier count's pool, its
   * workers for the JVM's life: the last model of a size to close now ends them, once however often it
   * is closed, and a model of that size loaded afterwards gets a new pool that works.
   */
  @Test
  void closingTheLastModelOfASizeEndsItsWorkers() throws Exception {
    int size = 9; // a size no other test uses
    OneStepModel a = plusOne(size, true), b = plusOne(size, true);
    ThreadPool pool = a.pool();
    assertSame(pool, b.pool(), "one pool per size");
    assertEquals(2, ThreadPool.users(size));
    a.close();
    a.close(); // a second close gives nothing up twice
    assertEquals(1, ThreadPool.users(size), "b still uses the pool");
    for (Thread w : pool.workerThreads()) assertTrue(w.isAlive(), w.getName() + " ended while b uses the pool");
    float[] out = new float[size];
    b.predict(new float[size], size, out); // a batch of one image a thread, on the pool
    assertEquals(1f, out[size - 1]);
    b.close();
    assertEquals(0, ThreadPool.users(size));
    // what a container does on undeploy after closing its models: shutdownThreads waits for the retired pool's workers too
    assertEquals(0, CompiledModel.shutdownThreads(), "workers still alive");
    for (Thread w : pool.workerThreads()) assertTrue(!w.isAlive(), w.getName() + " outlived the last model of its pool");
    OneStepModel c = plusOne(size, true);
    assertTrue(c.pool() != pool, "a model loaded afterwards gets a new pool");
    for (Thread w : c.pool().workerThreads()) assertTrue(w.isAlive(), w.getName());
    c.predict(new float[size], size, out);
    assertEquals(1f, out[0]);
    c.close();
  }

  /**
   * A model none of whose steps is split runs a batch smaller than its pool on the caller alone: it woke
   * the workers at every call, each then spinning 200 ms for nothing. A batch of one image a thread still
   * takes the pool.
   */
  @Test
  void aModelWithNoParallelStepLeavesTheWorkersAsleep() {
    int size = 11; // a size no other test uses
    OneStepModel serial = plusOne(size, false);
    ThreadPool pool = serial.pool();
    float[] out = new float[size];
    int wakes = pool.wakes();
    for (int i = 0; i < 3; i++) serial.predict(new float[] {i}, 1, out);
    assertEquals(3f, out[0], "the last call's 2 plus one");
    assertEquals(wakes, pool.wakes(), "calls of one image woke the workers");
    serial.predict(new float[size], size, out);
    assertEquals(wakes + 1, pool.wakes(), "a batch of one image a thread runs on the pool");
    OneStepModel split = plusOne(size, true);
    split.predict(new float[] {5}, 1, out);
    assertEquals(6f, out[0]);
    assertEquals(wakes + 2, pool.wakes(), "a model with a parallel step takes the pool for one image");
    serial.close();
    split.close();
  }

  private static java.util.Set<Thread> workers() {
    return new java.util.HashSet<>(Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(ThreadPool.WORKER_NAME_PREFIX) && t.isAlive()).toList());
  }

  /** The workers' spin time (ThreadPool.SPIN_NANOS), as the tests' JVM sets it. */
  private static final long SPIN_MILLIS = Long.getLong("netc.spinMicros", 200_000) / 1000;
}
