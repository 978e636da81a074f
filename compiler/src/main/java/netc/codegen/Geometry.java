package netc.codegen;

import netc.ir.Node;
import netc.passes.Layouts;

/**
 * Where one value lives and how it is laid out, all in floats: the array (the arena, or the caller's
 * input), the offset of its storage, and the strides of its layout. Blocked values are
 * [blocks][h + 2hh][w + 2hw][16]; plain ones [c][h + 2hh][w + 2hw]; flat values are treated as
 * blocked [ceil(f / 16)][1][1][16], the same bytes, the floats past f zero as a block's padding
 * lanes are (their readers read whole blocks; see ModelGenerator.zeroFlatTail).
 */
record Geometry(boolean external, long offset, boolean blocked, int channels, int paddedChannels, int h, int w, int hh, int hw) {
  static Geometry of(Node n, long offset, boolean external) {
    var s = n.shape();
    if (s.rank() == 1) {
      int f = s.dim(0);
      return new Geometry(external, offset, true, f, (int) ((f + 15L) / 16 * 16), 1, 1, 0, 0);
    }
    var halo = Layouts.halo(n);
    boolean blocked = Layouts.isBlocked(n);
    int c = s.channels();
    return new Geometry(external, offset, blocked, c, blocked ? Layouts.paddedChannels(n) : c, s.height(), s.width(), halo.get(0), halo.get(1));
  }

  int pixStride() {
    return blocked ? 16 : 1;
  }

  int rowStride() {
    return (w + 2 * hw) * pixStride();
  }

  /** Floats between channel blocks (blocked) or channel planes (plain). */
  int plane() {
    return (h + 2 * hh) * rowStride();
  }

  int blocks() {
    return paddedChannels / 16;
  }

  /** Offset of the first interior element relative to the storage offset. */
  int interior() {
    return hh * rowStride() + hw * pixStride();
  }

  /** The array expression in generated code. */
  String array() {
    return external ? "ws.input" : "a";
  }

  /** The base expression of element (0, 0, 0) of the interior, plus {@code extra} floats. */
  String at(long extra) {
    long v = offset + interior() + extra;
    return external ? "ws.inputBase + " + v : Long.toString(v);
  }

  /** The storage base (border included) plus {@code extra}. */
  String storage(long extra) {
    long v = offset + extra;
    return external ? "ws.inputBase + " + v : Long.toString(v);
  }
}
