package netc.passes;

import java.util.List;
import netc.ir.Node;

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
  public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

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
