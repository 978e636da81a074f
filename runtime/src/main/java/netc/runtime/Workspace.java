package netc.runtime;

/**
 * The mutable state of one forward pass over one image: the activation arena and where the input
 * and output are. A model keeps a pool of these, so concurrent callers never share one and steady
 * state allocates nothing.
 */
public final class Workspace {
  public final float[] arena;
  public float[] input;
  public int inputBase;
  /** predictNhwc's transpose of its input, kept for the next call of the caller set this workspace leads (null until one). */
  float[] nchw;

  /**
   * @throws TooLarge when the workspace does not fit in the heap (a model compiled for large inputs runs
   *     out at its first call, not at load), saying how large it is, where the JVM's own error would say
   *     only "Java heap space"
   */
  Workspace(int arenaFloats) {
    try {
      this.arena = LargeArrays.floats(arenaFloats); // 64-byte aligned where the compiler placed it (LargeArrays)
    } catch (OutOfMemoryError e) {
      throw new TooLarge(4L * LargeArrays.paddedLength(arenaFloats), e);
    }
  }

  /**
   * A workspace that did not fit in the heap: its size, so that each front end gives its own advice
   * (the command line -Xmx, Spark its executors' memory). Still an OutOfMemoryError, as callers catch.
   */
  public static final class TooLarge extends OutOfMemoryError {
    private static final long serialVersionUID = 1L;
    private final long bytes;

    /** A workspace of {@code bytes} that did not fit, {@code cause} the JVM's error (a front end's tests make their own). */
    public TooLarge(long bytes, OutOfMemoryError cause) {
      super(String.format(java.util.Locale.ROOT, "a workspace of %,.1f MiB (the model's activations for one image on one thread; a batch takes one"
          + " for each image a thread runs at once, up to %d a thread) does not fit in this JVM's heap of %,.1f MiB beside what it holds"
          + " already", bytes / 1048576.0, CompiledModel.BUNCH, Runtime.getRuntime().maxMemory() / 1048576.0));
      this.bytes = bytes;
      initCause(cause);
    }

    /** The workspace's bytes. */
    public long bytes() {
      return bytes;
    }
  }
}
