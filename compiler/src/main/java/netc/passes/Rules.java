package netc.passes;

import netc.ir.Node;

/** Legality facts shared by the fusion passes. */
final class Rules {
  private Rules() {}

  /** A conv or fc whose output is still W * x + b: nothing fused after the affine part yet. */
  static boolean plainEpilogue(Node n) {
    return !n.attrs().has("act") && !n.attrs().has("residual");
  }
}
