package netc.runtime.kernels;

/**
 * The tile geometry of the kernels, apart from {@link Kernels} so that the compiler can plan a model
 * without initializing {@code Kernels.INSTANCE}: choosing the kernels probes jdk.incubator.vector and
 * warns when it is absent, which is true and harmless in a build tool's JVM (the Maven plugin's).
 */
public final class KernelTiles {
  private KernelTiles() {}

  /** Channel blocks per tile of the gathering kernel for a conv with this many output blocks: 4 when they group so, else 2, else 1. */
  public static int blocksPerTile(int outBlocks) {
    return outBlocks % 4 == 0 ? 4 : outBlocks % 2 == 0 ? 2 : 1;
  }

  /** Output pixels per tile of the gathering kernel for a tile of {@code blocks} channel blocks. */
  public static int tilePixels(int blocks) {
    return blocks == 4 ? Kernels.WIDE_TILE : Kernels.TILE;
  }

  /** Channel blocks per tile of the linear kernel: 2 when the output blocks pair up, else 1. */
  public static int linearBlocks(int outBlocks) {
    return outBlocks % 2 == 0 ? 2 : 1;
  }

  /** The steps {@link Kernels#convLinearStrided} takes. */
  public static boolean stridedStep(int step) {
    return step == 2 || step == 32;
  }
}
