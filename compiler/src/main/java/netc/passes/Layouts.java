package netc.passes;

import java.util.List;
import netc.ir.Node;
import netc.runtime.kernels.Kernels;

/** The physical size and geometry of a value under the layout assigned to it. */
public final class Layouts {
  private Layouts() {}

  /**
   * The most floats one Java array holds: a little under Integer.MAX_VALUE, because some VMs keep
   * header words in the array (ArrayList and the JDK's own growth code use the same bound). A
   * compiled model's packed weights are one array and each image's workspace is one array, indexed
   * by int, so code generation refuses a graph past it (codegen.Limits) and passes avoid choices
   * that would cross it.
   */
  public static final long MAX_ARRAY = netc.runtime.LargeArrays.MAX_ARRAY;

  /**
   * The first float of a Java array at a 64-byte boundary, when the array itself starts at one, as a
   * large array does (G1 places an array of half a region or more at the start of its own regions):
   * HotSpot's float[] header is 16 bytes (with compressed class pointers, the default under 32 GiB of
   * heap), so element 12 is 64 bytes in. Arena and packed-weight sections start at this index plus
   * multiples of 16 floats, so a channel block is one aligned 512-bit vector (or two aligned 256-bit
   * ones) rather than a vector split across two cache lines. Measured on an AVX-512 Xeon, alternating
   * jars in one process (netc compare): resnet50 47.1 -> 43.3 ms at two threads, 77.2 -> 71.7 and
   * 86.5 -> 83.9 at one, 95.3 -> 91.5 with 256-bit kernels (-XX:UseAVX=2); squeezenet1_1 3.7 -> 3.5;
   * a vector load-add-store loop over a 32 MB array ran 2x faster at element 12 than at 0, 4 or 8.
   * It holds for arrays G1 calls humongous, half a region or more (2 MB with the 4 MB regions of a
   * default heap on a 24 GiB machine, 8 MB under -Xmx32g): the runtime pads arenas and weight arrays
   * of 1 MB or more to that (netc.runtime.LargeArrays); smaller ones, and other collectors, place
   * them anywhere 8-byte aligned, as before.
   */
  public static final int ALIGNED_BASE = 12;

  /** The first index from {@code at} on that is {@link #ALIGNED_BASE} plus a multiple of 16 floats. */
  public static long alignedFrom(long at) {
    return Math.max(0, at - ALIGNED_BASE + 15) / 16 * 16 + ALIGNED_BASE;
  }

  /**
   * Floats a Winograd F(m x m, 3x3) conv works in past the planned arena: its transformed input tiles
   * V and its products M, (m + 2)^2 positions x tiles x 16 lanes for each input and each output
   * channel block; in the lanes layout ({@link #winogradLanes}), 16 lanes for each input channel and
   * each of {@link #winogradColumns} output channels. Code generation lays them out
   * (ModelGenerator.scratchFloats); the winograd pass keeps a conv direct where they could not fit one
   * workspace array.
   */
  public static long winogradScratch(int inChannels, int outChannels, int outH, int outW, int m) {
    long positions = (long) (m + 2) * (m + 2), tiles = (long) ((outH + m - 1) / m) * ((outW + m - 1) / m);
    if (winogradLanes(outH, outW, m)) return positions * 16 * ((inChannels + 15L) / 16 * 16 + winogradColumns(outChannels, outH, outW, m));
    return positions * tiles * 16 * ((inChannels + 15L) / 16 + (outChannels + 15L) / 16);
  }

  /**
   * Whether a Winograd conv runs in the lanes layout ({@code Kernels.winogradProductLanes}): F(2x2,3x3)
   * with at most {@link Kernels#LANE_TILES} tiles (a 7x7 map's 16), each position's values of a channel
   * one row of 16 lanes, a tile a lane. Its products then read each weight once, where the
   * channel-vector tiles read a weight group once per 8-pixel tile and stall on it, the weights of a
   * product serving so few tiles: resnet18's layer4 stride-1 3x3s (transforms and products) 0.93 of
   * their time one thread and 0.86 two at 256 bits, 0.95 at 512 (docs/performance-log.md, 2026-12-07).
   */
  public static boolean winogradLanes(int outH, int outW, int m) {
    return m == 2 && (long) ((outH + 1) / 2) * ((outW + 1) / 2) <= Kernels.LANE_TILES;
  }

  /**
   * Output channels a Winograd conv's transformed weights hold per input channel and position: its
   * channels padded to blocks of 16, and in the lanes layout further to the {@link
   * Kernels#LANE_CHANNELS} its products run in.
   */
  public static long winogradColumns(int outChannels, int outH, int outW, int m) {
    long blocked = (outChannels + 15L) / 16 * 16;
    return winogradLanes(outH, outW, m) ? (blocked + Kernels.LANE_CHANNELS - 1) / Kernels.LANE_CHANNELS * Kernels.LANE_CHANNELS : blocked;
  }

  /** Channels per block in a blocked layout name such as nchw16c; 1 for nchw and flat. */
  public static int block(Node n) {
    String l = n.attrs().getString("layout", "nchw");
    if (l.startsWith("nchw") && l.endsWith("c")) return Integer.parseInt(l.substring(4, l.length() - 1));
    return 1;
  }

  public static boolean isBlocked(Node n) {
    return block(n) > 1;
  }

  public static List<Integer> halo(Node n) {
    return n.attrs().has("halo") ? n.attrs().getInts("halo") : List.of(0, 0);
  }

  /** Channels rounded up to the block. */
  public static int paddedChannels(Node n) {
    int b = block(n);
    return (n.shape().dim(0) + b - 1) / b * b;
  }

  /** Floats one image of this value occupies, border and channel padding included. */
  public static long floats(Node n, int vectorFloats) {
    if (n.shape().rank() == 1) {
      return (n.shape().dim(0) + vectorFloats - 1L) / vectorFloats * vectorFloats; // long: a vector near 2^31 rounds past int
    }
    List<Integer> h = halo(n);
    long channels = (n.shape().dim(0) + block(n) - 1L) / block(n) * block(n); // long: paddedChannels' int may overflow before a limit check
    return channels * (n.shape().height() + 2L * h.get(0)) * (n.shape().width() + 2L * h.get(1));
  }
}
