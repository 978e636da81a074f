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

  /** What an OutOfMemoryError of a workspace says first, so that messages can tell it from the JVM's own. */
  static final String TOO_LARGE = "a workspace of ";

  /**
   * @throws OutOfMemoryError saying how large the workspace is and the heap it did not fit, where the
   *     JVM's own would say only "Java heap space" (a model compiled for large inputs runs out at its
   *     first call, not at load)
   */
  Workspace(int arenaFloats) {
    try {
      this.arena = LargeArrays.floats(arenaFloats); // 64-byte aligned where the compiler placed it (LargeArrays)
    } catch (OutOfMemoryError e) {
      OutOfMemoryError named = new OutOfMemoryError(String.format(java.util.Locale.ROOT,
          TOO_LARGE + "%,.1f MiB (the model's activations for one image on one thread) does not fit in this JVM's heap of %,.1f MiB"
              + " beside what it holds already: raise it with -Xmx, or run fewer images or threads at once",
          arenaFloats * 4.0 / 1048576, Runtime.getRuntime().maxMemory() / 1048576.0));
      named.initCause(e);
      throw named;
    }
  }
}
