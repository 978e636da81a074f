package netc.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool for splitting one layer's work items, or a batch's images, across threads.
 * Workers spin briefly on a generation counter (a layer of ResNet lasts tens to hundreds of
 * microseconds, and parking would cost more), then park. The caller takes the first share itself.
 * The split is static and contiguous, so which thread computes an output never changes what it is.
 */
public final class ThreadPool {
  private static final long SPIN_NANOS = 200_000;

  private final int threads;
  private final AtomicInteger pending = new AtomicInteger();
  private final Thread[] workers;
  private volatile int generation;

  // the current job, published by the volatile write of generation
  private CompiledModel model;
  private int step;
  private Workspace stepSpace;
  private Workspace[] spaces;
  private int items;
  private boolean images;
  private float[] in, out;
  private volatile Throwable failure;

  public ThreadPool(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    this.threads = threads;
    this.workers = new Thread[threads - 1];
    for (int t = 1; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> work(id), "netc-worker-" + t);
      w.setDaemon(true);
      workers[t - 1] = w;
      w.start();
    }
  }

  public int threads() {
    return threads;
  }

  /** Runs items [0, n) of one step of {@code m} on all threads; returns when all are done. */
  synchronized void runStep(CompiledModel m, int stepIndex, Workspace ws, int n) {
    this.model = m;
    this.step = stepIndex;
    this.stepSpace = ws;
    this.items = n;
    this.images = false;
    go();
  }

  /** Runs whole images of a batch, image i on the thread whose share holds i, each with its own workspace. */
  synchronized void runImages(CompiledModel m, Workspace[] perThread, float[] input, float[] output, int n) {
    this.model = m;
    this.spaces = perThread;
    this.in = input;
    this.out = output;
    this.items = n;
    this.images = true;
    go();
  }

  private void go() {
    failure = null;
    pending.set(threads - 1);
    generation++;
    for (Thread w : workers) LockSupport.unpark(w);
    share(0);
    while (pending.get() != 0) Thread.onSpinWait();
    Throwable f = failure;
    if (f != null) throw new IllegalStateException("a worker failed", f);
  }

  private void share(int t) {
    int from = (int) ((long) items * t / threads), to = (int) ((long) items * (t + 1) / threads);
    if (from >= to) return;
    if (images) {
      for (int i = from; i < to; i++) model.forwardImage(spaces[t], in, i, out, i);
    } else {
      model.runStep(step, stepSpace, from, to);
    }
  }

  private void work(int t) {
    int seen = 0;
    while (true) {
      long start = System.nanoTime();
      while (generation == seen) {
        if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
        else LockSupport.parkNanos(this, 1_000_000);
      }
      seen = generation;
      try {
        share(t);
      } catch (Throwable e) {
        failure = e;
      }
      pending.decrementAndGet();
    }
  }
}
