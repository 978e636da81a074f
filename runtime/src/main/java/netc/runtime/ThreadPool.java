package netc.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool for splitting one layer's work items, or a batch's images, across threads.
 * Workers spin on a generation counter between layers (a layer of ResNet lasts tens to hundreds of
 * microseconds, and parking would cost more), and park after {@link #SPIN_NANOS} without work. The
 * caller works too.
 *
 * <p>A step's items are split into one contiguous range per thread, in whole grains, and each thread
 * works through its own range from the front in chunks, so thread t takes the same part of every
 * step: the channel blocks or pixels one step writes are, as far as the steps' orders agree, the
 * ones the same thread reads in the next, from its own core's cache. A thread that finishes its
 * range takes chunks from the back of the others' (on a virtual machine the host may pause one vCPU
 * for milliseconds; a fixed split would leave the other waiting at the barrier). Which thread
 * computes an item never changes what it computes, so results stay bit-identical.
 */
public final class ThreadPool {
  /** The pool's threads are named this and a number (what a profiler or the bench's allocation meter sees). */
  public static final String WORKER_NAME_PREFIX = "netc-worker-";

  /**
   * How long an idle worker spins before parking: 200 ms by default, as Intel's OpenMP runtime
   * (KMP_BLOCKTIME). On a virtual machine a parked vCPU may come back on a busy core and run slowly
   * for the next inference (measured: 36-44 ms after idle with spinning, up to 74 ms without).
   * -Dnetc.spinMicros=0 parks at once, for services that value idle CPU over latency.
   */
  private static final long SPIN_NANOS = nanosOfMicros(Long.getLong("netc.spinMicros", 200_000));

  /** Microseconds as nanoseconds, a value past a long's nanoseconds (292 years) as the longest spin, not a negative one; below 0, none. */
  static long nanosOfMicros(long micros) {
    return micros > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : Math.max(0, micros) * 1000;
  }

  /** How long an idle worker spins after its last work before it parks (-Dnetc.spinMicros), in nanoseconds. */
  public static long spinNanos() {
    return SPIN_NANOS;
  }

  private final int threads;
  private final AtomicInteger next = new AtomicInteger();
  private int chunk;
  private final Thread[] workers;
  private volatile int wakes;

  /**
   * The current job's gate: its generation (high 32 bits), whether it is closed (bit 31) and how
   * many workers have joined it and not yet left (the low bits). A worker works on a job only after
   * joining it while it is open; the caller closes it once every item is taken, and then waits only
   * for the workers that joined. A worker the system has descheduled (a busy vCPU, another process)
   * is not waited for unless it holds items: the job goes on without it, as ONNX Runtime's
   * thread pool revokes the work a worker has not started.
   */
  private final AtomicLong gate = new AtomicLong();

  private static final long CLOSED = 1L << 31, JOINED = CLOSED - 1;

  // the current job, published to the workers by the volatile write of the gate that opens it
  private CompiledModel model;
  private int step;
  private Workspace stepSpace;
  private Workspace[] spaces;
  private int items;
  private boolean images;
  private float[] in, out;
  /** The job's first failure, on whichever thread; later ones are added to it as suppressed (see {@link #fail}). */
  private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();

  private static final java.util.Map<Integer, ThreadPool> SHARED = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The process-wide pool of this size, counting its caller as one more user until it {@link #leave}s.
   * Models share it, so two models in one service never have idle workers spinning against each other's
   * work (measured: 4x slower calls with a pool each). Package-private, as {@link #leave} is: outside the
   * runtime, a caller that took a pool could never give it back, and its workers stayed for the JVM's life.
   */
  static ThreadPool shared(int threads) {
    // as ModelLoader's: a typo of 5000 must not start 4,999 threads
    if (threads > CommandLineArgs.MAX_THREADS) throw new IllegalArgumentException("threads: at most " + CommandLineArgs.MAX_THREADS + ", got " + threads);
    return SHARED.compute(threads, (size, p) -> {
      if (p == null) p = new ThreadPool(size);
      p.users++;
      return p;
    });
  }

  /** The users of this pool ({@link #shared} less {@link #leave}); read and written only in SHARED's compute of its size. */
  private int users;

  /**
   * A user of the pool ({@link #shared}'s caller) is done with it: a model's close() calls this. The last
   * user's leaving ends the workers, which would otherwise stay for the JVM's life: a service that reloads
   * its model with 4, then 6, then 8 threads kept three pools. A later user of the size gets a new pool.
   * Called with no call running on the pool (a model's close waits for its calls); it does not wait for
   * the workers to end ({@link #shutdownAll} does, for these too).
   */
  void leave() {
    SHARED.computeIfPresent(threads, (size, p) -> {
      if (p != this || --users > 0) return p; // a pool shutdownAll replaced is stopped already
      ENDING.addAll(List.of(workers)); // before stopped: each takes itself off when it ends, which a spinning one may do at once
      stopping = true;
      stopped = true;
      for (Thread w : workers) LockSupport.unpark(w); // a parked worker sees stopped only when unparked
      return null;
    });
  }

  /**
   * Workers of pools retired by {@link #leave} that have not ended yet: {@link #shutdownAll} waits for them
   * too, so a container that closes its models and then calls it finds every worker ended.
   */
  private static final java.util.Set<Thread> ENDING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** The current pool's users of this size, 0 when there is none (what a test of their retirement reads). */
  static int users(int threads) {
    int[] users = {0};
    SHARED.computeIfPresent(threads, (size, p) -> {
      users[0] = p.users;
      return p;
    });
    return users[0];
  }

  private final java.util.concurrent.locks.ReentrantLock busy = new java.util.concurrent.locks.ReentrantLock();

  /** Set by {@link #shutdownAll}: the workers end, and callers of this pool run alone. */
  private volatile boolean stopped;

  /**
   * Set by {@link #shutdownAll} before it waits for the running call: no new call takes the pool. Else a
   * steady stream of calls could take it each time it came free (tryLock barges past a queued waiter) and
   * keep shutdownAll waiting without end. The running call's workers do not read it: they stay to its end.
   */
  private volatile boolean stopping;

  /** Takes the pool for one call if no other call has it; a caller that gets false runs alone. */
  boolean tryAcquire() {
    // stopping is set before stopped, so it stands for both
    if (stopping || !busy.tryLock()) return false;
    if (!stopping) return true;
    busy.unlock(); // stopping while taking it
    return false;
  }

  /**
   * Ends the workers of every pool, after the calls running on them: for a container that unloads the
   * code that loaded netc (a web application undeployed), whose class loader the workers would otherwise
   * keep. Models loaded before run on their calling threads alone afterwards; models loaded after get new
   * pools. Waits up to a second for each worker to end; returns how many are still alive (0 normally).
   * An interrupt ends the wait for a running call (InterruptedException; on a thread already interrupted,
   * at once, as any interruptible wait); the pool it waited for is stopped all the same, its workers ending
   * as soon as they are idle (a parked one at once, one in the running call's step when that step is done),
   * and the pools not reached yet are left as they were. An interrupt once every pool is stopped, while
   * their workers end, does not end those waits (a second each at most): the count is returned, with the
   * thread's interrupt flag set.
   */
  public static int shutdownAll() throws InterruptedException {
    List<Thread> ending = new ArrayList<>();
    for (Integer size : List.copyOf(SHARED.keySet())) {
      ThreadPool p = SHARED.remove(size);
      if (p == null) continue;
      // waits for the call on it, if any, as long as the caller is willing to (an interrupt ends the wait:
      // the pool is stopped anyway)
      boolean locked = false;
      p.stopping = true;
      try {
        p.busy.lockInterruptibly();
        locked = true;
      } finally {
        p.stopped = true;
        if (locked) p.busy.unlock();
        // interrupted or not: a parked worker sees stopped only when unparked, and nothing else would unpark
        // the workers of a stopped pool (it is out of SHARED, its callers run alone), so they would stay parked
        // for the JVM's life, keeping the class loader this exists to free. A worker in the running call's
        // step sees stopped when it next waits; one about to park finds the permit and parks not at all
        for (Thread w : p.workers) LockSupport.unpark(w);
      }
      ending.addAll(List.of(p.workers));
    }
    ending.addAll(ENDING); // those of pools their last model's close retired
    // every pool reached is out of SHARED and stopped: an interrupt now must not end the waits with an exception,
    // which a second call could not make up for (it finds no pool, and returns 0 at once). The waits are bounded
    int alive = 0;
    boolean interrupted = false;
    for (Thread w : ending) {
      long deadline = System.nanoTime() + 1_000_000_000L;
      for (long left; w.isAlive() && (left = deadline - System.nanoTime()) > 0; ) {
        try {
          w.join(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          interrupted = true; // kept for the caller, once the waits are done
        }
      }
      if (w.isAlive()) alive++;
    }
    ENDING.removeIf(w -> !w.isAlive()); // a worker that ended before leave() listed it
    if (interrupted) Thread.currentThread().interrupt();
    return alive;
  }

  /**
   * Gives the pool back, forgetting the call's model and buffers: the pool outlives every model (it
   * is shared by size), and must not keep a closed one, its class loader and the caller's arrays alive.
   */
  synchronized void release() {
    model = null;
    stepSpace = null;
    spaces = null;
    in = null;
    out = null;
    failure.set(null); // a failed worker's exception would hold on to the model's classes
    busy.unlock();
  }

  private ThreadPool(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    this.threads = threads;
    this.ranges = new AtomicLongArray(threads);
    this.workers = new Thread[threads - 1];
    int started = 0;
    try {
      for (int t = 1; t < threads; t++, started++) workers[t - 1] = startWorker(t);
    } catch (Throwable e) { // out of threads ("unable to create native thread"): this pool is never shared, so end what started
      stopping = stopped = true;
      for (int i = 0; i < started; i++) LockSupport.unpark(workers[i]);
      try {
        for (int i = 0; i < started; i++) workers[i].join(1000);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt(); // they end on their own: stopped is set
      }
      throw e;
    }
  }

  /**
   * A worker that holds on to nothing of its creator: the first model of a size creates the pool from
   * its constructor, so a thread made there would inherit that model's class loader (as its context
   * loader, and in its inherited access-control context) and keep it loaded for the JVM's life.
   */
  @SuppressWarnings("removal") // AccessController: the only way to keep the caller's frames out of a thread on Java 17
  private Thread startWorker(int id) {
    return java.security.AccessController.doPrivileged((java.security.PrivilegedAction<Thread>) () -> {
      // no inherited thread-locals either: a request thread's (a logging context's) could hold its web application's loader
      Thread w = new Worker(() -> {
        try {
          work(id);
        } finally {
          ENDING.remove(Thread.currentThread());
        }
      }, WORKER_NAME_PREFIX + id);
      w.setDaemon(true);
      w.setContextClassLoader(ThreadPool.class.getClassLoader());
      starter.accept(w);
      return w;
    });
  }

  /** A pool's worker thread: what {@link #isWorker} knows it by (a name can be anyone's). */
  private static final class Worker extends Thread {
    Worker(Runnable body, String name) {
      super(null, body, name, 0, false);
    }
  }

  /**
   * Whether {@code t} is a pool's worker, whose interrupts (a container's ThreadGroup.interrupt) cancel
   * nothing: only a call's own thread cancels it (see {@link CompiledModel}'s "Cancelling").
   */
  static boolean isWorker(Thread t) {
    return t instanceof Worker;
  }

  /** How a worker is started: {@link Thread#start} but in tests of a start that fails. */
  static volatile java.util.function.Consumer<Thread> starter = Thread::start;

  public int threads() {
    return threads;
  }

  /** The pool's worker threads (what a test watches end). */
  List<Thread> workerThreads() {
    return List.of(workers);
  }

  /** Runs items [0, n) of one step of {@code m} on all threads; returns when all are done. */
  synchronized void runStep(CompiledModel m, int stepIndex, Workspace ws, int n) {
    this.model = m;
    this.step = stepIndex;
    this.stepSpace = ws;
    this.items = n;
    this.images = false;
    int g = m.grain(stepIndex), units = n / g;
    boolean whole = g > 1 && units >= 2 * threads && units * g == n;
    // about eight chunks per thread: small enough to rebalance a stall, large enough to keep locality;
    // in whole grains when there are at least two per thread
    chunk = whole ? g * Math.max(1, units / (threads * 8)) : Math.max(1, n / (threads * 8));
    for (int t = 0; t < threads; t++) {
      int lo = whole ? (int) ((long) units * t / threads) * g : (int) ((long) n * t / threads);
      int hi = whole ? (int) ((long) units * (t + 1) / threads) * g : (int) ((long) n * (t + 1) / threads);
      ranges.set(t, range(lo, hi));
    }
    go();
  }

  /**
   * Runs the images of a batch, up to {@code bunch} at a time per thread (thread t with workspaces
   * {@code spaces[t * CompiledModel.BUNCH ..]}), taken in order from a shared counter ({@link #take}).
   */
  synchronized void runImages(CompiledModel m, Workspace[] spaces, float[] input, float[] output, int n, int bunch) {
    this.model = m;
    this.spaces = spaces;
    this.in = input;
    this.out = output;
    this.items = n;
    this.images = true;
    chunk = bunch;
    go();
  }

  /**
   * Unparks idle workers ahead of a call, so the microseconds a parked thread takes to come back
   * overlap the caller's first step instead of stalling the first parallel one.
   */
  void wake() {
    wakes++; // only the caller holding the pool writes it
    for (Thread w : workers) LockSupport.unpark(w);
  }

  /** How many calls have woken the workers (what a test reads). */
  int wakes() {
    return wakes;
  }

  /** The thread whose job this pool runs (its caller, in {@link #go}), null between jobs. */
  private volatile Thread owner;

  /**
   * Whether {@code t} should stop the images it runs: the job failed (its caller cancelled, a thread ran out of memory),
   * and {@code t} runs this job's images, as a worker or as the job's own caller. A caller running its call alone
   * while another holds the pool does not: the failure is that other job's.
   */
  boolean abandons(Thread t) {
    return failed() && (isWorker(t) || owner == t);
  }

  private void go() {
    failure.set(null);
    next.set(0);
    owner = Thread.currentThread();
    long open = ((gate.get() >>> 32) + 1) << 32; // the next generation, open, nobody joined
    gate.set(open); // publishes the job's fields to the workers that read it
    for (Thread w : workers) LockSupport.unpark(w);
    try {
      share(0);
    } catch (Throwable e) {
      fail(e, null);
    } finally {
      // every item is taken (or a thread failed: in a step, the workers that joined finish its items; in a batch,
      // every thread stops taking images): close the job to latecomers, then wait for those still at work, so no
      // worker touches this job's buffers after it returns
      long g = gate.getAndAdd(CLOSED);
      for (int spins = 1; (g & JOINED) != 0; spins++) {
        // a batch's caller out of images of its own, cancelled while the workers run theirs: fail the job so that
        // they stop at their next step (it returned with the workers' images all run, the interrupt unanswered)
        if (images && failure.get() == null && Thread.currentThread().isInterrupted()) {
          Throwable cancelled;
          try {
            cancelled = CompiledModel.cancelled();
          } catch (Throwable e) {
            cancelled = e; // out of memory making it: that is the failure, and this loop must not leave while workers run
          }
          fail(cancelled, null);
        }
        pause(spins);
        g = gate.get();
      }
      owner = null;
    }
    Throwable f = failure.get();
    if (f instanceof RuntimeException r) throw r;
    if (f instanceof Error e) throw e;
    if (f != null) throw new IllegalStateException(f); // a checked exception thrown around the compiler: no step declares one
  }

  /**
   * Records a failure of the current job: the first, on whichever thread, is what runStep or runImages
   * throws, as thrown (an application's catch of an OutOfMemoryError must not depend on which thread ran
   * out); later ones are added to it as suppressed. A worker's gets a note naming the worker and the step.
   */
  private void fail(Throwable e, Thread worker) {
    Throwable first = failure.compareAndExchange(null, e);
    try {
      // no notes on an exception without a stack trace: HotSpot throws one shared instance of each from hot
      // code (OmitStackTraceInFastThrow), and notes added to it would pile up over every failing call
      if (worker != null && e.getStackTrace().length > 0) e.addSuppressed(new FailedOn(worker.getName() + (images ? " running images of a batch"
          : " in step " + step + (step < model.stepNames().size() ? " (" + model.stepNames().get(step) + ")" : ""))));
      if (first != null && first != e && first.getStackTrace().length > 0) first.addSuppressed(e);
    } catch (Throwable ignored) {
      // no room for the note (out of memory), or the note itself failed: the failure is recorded all the same
    }
  }

  /** Whether a thread has failed the current job: the others stop taking its images (see {@link #share}). */
  boolean failed() {
    return failure.get() != null;
  }

  /** The note on a worker's failure saying where it happened; its stack would be the worker's loop, so none. */
  private static final class FailedOn extends Throwable {
    FailedOn(String message) {
      super("thrown on " + message, null, false, false);
    }
  }

  /** Joins the job of generation {@code generation} if it is still open; false if it closed or a newer one began. */
  private boolean join(long generation) {
    while (true) {
      long g = gate.get();
      if (g >>> 32 != generation || (g & CLOSED) != 0) return false;
      if (gate.compareAndSet(g, g + 1)) return true;
    }
  }

  private void share(int t) {
    if (images) {
      // a batch stops at a failure (a thread out of memory for its workspace): the others ran on to its end, which
      // may be minutes, before it was thrown. A step's items, microseconds to milliseconds, are all run
      while (true) {
        int from = next.get(), n = take(items - from, chunk, threads);
        if (failed() || from >= items) return;
        if (next.compareAndSet(from, from + n)) model.forwardImages(spaces, t * CompiledModel.BUNCH, in, from, from + n, out);
      }
    }
    while (true) { // own range, from the front
      long r = ranges.get(t);
      int front = front(r), back = back(r);
      if (front >= back) break;
      int to = Math.min(back, front + chunk);
      if (ranges.compareAndSet(t, r, range(to, back))) model.runStep(step, stepSpace, front, to);
    }
    for (int i = 1; i < threads; i++) { // then the others', from the back
      int o = (t + i) % threads;
      while (true) {
        long r = ranges.get(o);
        int front = front(r), back = back(r);
        if (front >= back) break;
        int from = Math.max(front, back - chunk);
        if (ranges.compareAndSet(o, r, range(front, from))) model.runStep(step, stepSpace, from, back);
      }
    }
  }

  /**
   * How many of a batch's {@code left} images a thread takes next (guided self-scheduling): its share
   * of what is left, at most a bunch, at least one. Images a thread takes together share each bunched
   * layer's weights; fewer as the batch runs out, so when one thread has been slowed (a host pausing a
   * vCPU, another process on the core) the others take the last images one by one rather than wait at
   * the end for a whole bunch, as a step's items are stolen ({@link #runStep}). A batch of 8 on 2 threads
   * runs as 4, 2, 1, 1 where it ran as two fixed bunches of 4: resnet50 at 256 bits, paired in one JVM
   * (AMD EPYC Zen 4), level on a quiet host (1.002-1.015, three runs), 0.912 in one noisy stretch, 0.967
   * and 1.006 beside a busy loop on one core. The counter never passes the batch's end (it could overflow
   * past 2^31 - threads x bunch).
   */
  static int take(int left, int bunch, int threads) {
    return Math.max(1, Math.min(bunch, left / threads));
  }

  /** Each thread's remaining items of the current step, [front, back) packed in a long. */
  private final AtomicLongArray ranges;

  private static long range(int front, int back) {
    return (long) front << 32 | (back & 0xffffffffL);
  }

  private static int front(long r) {
    return (int) (r >>> 32);
  }

  private static int back(long r) {
    return (int) r;
  }

  /**
   * One turn of a spin wait. Every so often it yields the processor: the kernel may wake a worker on
   * the caller's CPU, and two threads spinning on one CPU for each other would otherwise wait out a
   * whole scheduler tick (measured: 4 ms stalls in the first layers of a call after idle).
   */
  private static void pause(int spins) {
    if ((spins & (YIELD_EVERY - 1)) == 0) Thread.yield();
    else Thread.onSpinWait();
  }

  private static final int YIELD_EVERY = 256; // a power of two, about 10-40 us of spinning

  private void work(int t) {
    long seen = 0;
    while (true) {
      long start = System.nanoTime();
      int woken = wakes;
      for (int spins = 1; gate.get() >>> 32 == seen; spins++) {
        if (stopped) return;
        if (System.nanoTime() - start < SPIN_NANOS) {
          pause(spins);
        } else {
          // returns at once on a permit left by an unpark that found this thread spinning; only a
          // new wake() restarts the spin, so an idle worker parks SPIN_NANOS after its last work
          LockSupport.park(this);
          // park returns at once while the interrupt flag is set (ThreadGroup.interrupt, a container ending the
          // threads it finds), and nothing here would clear it: this thread would spin a core for the JVM's life.
          // Workers are the pool's own; shutdownAll ends them through stopped, never by interrupt
          Thread.interrupted();
          if (wakes != woken) {
            woken = wakes;
            start = System.nanoTime();
          }
        }
      }
      seen = gate.get() >>> 32;
      if (!join(seen)) continue; // done without this worker
      try {
        share(t);
      } catch (Throwable e) {
        fail(e, Thread.currentThread());
      } finally {
        gate.decrementAndGet(); // leaves, whatever happened: the caller waits for this, holding the pool
      }
    }
  }
}
