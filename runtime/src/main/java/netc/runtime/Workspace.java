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

  Workspace(int arenaFloats) {
    this.arena = LargeArrays.floats(arenaFloats); // 64-byte aligned where the compiler placed it (LargeArrays)
  }
}
