package netc.passes;

import java.util.List;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;

/**
 * Selects Winograd F(2x2, 3x3) for 3x3 convolutions with stride 1 and dilation 1 (ResNet's
 * non-downsampling 3x3s): each 2x2 block of outputs comes from a 4x4 input patch with 16
 * multiplications per channel pair instead of 36, a 2.25x cut of the work.
 *
 * <p>Y = A^T [ (G g G^T) .* (B^T d B) ] A, summed over input channels, with
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 * A^T = [1 1 1 0; 0 1 -1 -1]. The weight transform G g G^T happens at compile time; the input and
 * output transforms run around 16 independent matrix products, and the output transform applies the
 * conv's fused epilogue (bias, residual, activation). Exact in real arithmetic; in float32 it adds
 * rounding in the transforms, measured by the reference interpreter (which evaluates marked convs
 * the same way) under --verify-each: about 1e-6 of the output's scale on ResNets.
 *
 * <p>Legal for any 3x3 stride-1 dilation-1 ungrouped conv with padding at most 1 per side; chosen
 * for those that read a channel-blocked tensor (not the caller's input) and marked with attribute
 * algo=winograd. Disable with --disable-pass winograd.
 */
final class SelectWinograd implements Pass {
  @Override
  public String name() {
    return "winograd";
  }

  @Override
  public int optLevel() {
    return 2;
  }

  @Override
  public String description() {
    return "compute 3x3 stride-1 convs with Winograd F(2x2,3x3): 2.25x fewer multiplications";
  }

  static boolean eligible(Node n) {
    if (n.op() != Op.CONV) return false;
    var a = n.attrs();
    return a.getInts("kernel").equals(List.of(3, 3)) && a.getInts("stride").equals(List.of(1, 1))
        && a.getInts("dilation").equals(List.of(1, 1)) && a.getInt("groups") == 1
        && a.getInts("padding").get(0) <= 1 && a.getInts("padding").get(1) <= 1 && !a.has("pad_value");
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (Node n : List.copyOf(e.nodes())) {
      // the transforms work on channel-blocked tensors; a conv on the caller's NCHW input stays direct
      if (eligible(n) && e.node(n.input(0)).op() != Op.INPUT) e.replace(n.withAttrs(n.attrs().with("algo", "winograd")));
    }
    return e.build();
  }
}
