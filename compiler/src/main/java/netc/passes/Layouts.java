package netc.passes;

import java.util.List;
import netc.ir.Node;

/** The physical size and geometry of a value under the layout assigned to it. */
public final class Layouts {
  private Layouts() {}

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
      return (n.shape().dim(0) + vectorFloats - 1) / vectorFloats * vectorFloats;
    }
    List<Integer> h = halo(n);
    return (long) paddedChannels(n) * (n.shape().height() + 2 * h.get(0)) * (n.shape().width() + 2 * h.get(1));
  }
}
