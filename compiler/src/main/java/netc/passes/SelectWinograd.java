package netc.passes;

import java.util.List;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;

/**
 * Selects Winograd F(m x m, 3x3) for 3x3 convolutions with stride 1 and dilation 1 (ResNet's
 * non-downsampling 3x3s): each m x m block of outputs comes from an (m + 2)^2 input patch with
 * (m + 2)^2 multiplications per channel pair instead of 9 m^2: 2.25x less work for F(2x2,3x3),
 * 4x for F(4x4,3x3), chosen per conv by {@link #tile}.
 *
 * <p>Y = A^T [ (G g G^T) .* (B^T d B) ] A, summed over input channels. F(2x2,3x3):
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 * A^T = [1 1 1 0; 0 1 -1 -1]. F(4x4,3x3) (points 0, +-1/2, +-2):
 * B^T = [1 0 -17/4 0 1 0; 0 -2 -4 1/2 1 0; 0 2 -4 -1/2 1 0; 0 -1/2 -1/4 2 1 0; 0 1/2 -1/4 -2 1 0; 0 1 0 -17/4 0 1],
 * G = [1 0 0; -8/15 -4/15 -2/15; -8/15 4/15 -2/15; 1/30 1/15 2/15; 1/30 -1/15 2/15; 0 0 1],
 * A^T = [1 1 1 1 1 0; 0 1/2 -1/2 2 -2 0; 0 1/4 1/4 4 4 0; 0 1/8 -1/8 8 -8 1]. The weight transform G g G^T
 * happens at compile time; the input and output transforms run around (m + 2)^2 independent
 * matrix products, and the output transform applies the conv's fused epilogue (bias, residual,
 * activation). Exact in real arithmetic; in float32 it adds rounding in the transforms (more for
 * F(4x4,3x3)), measured by the reference interpreter (which evaluates marked convs the same way)
 * under --verify-each. F(4x4,3x3)'s points were 0, +-1, +-2 (Lavin and Gray's) until 2026-12-07. With
 * +-1/2 for +-1 the transforms' rows weigh less: B^T's rows sum 6.25, 7.5, 7.5, 3.75, 3.75 and 6.25 in
 * absolute value (10, 10, 10, 6, 6 and 10 before), A^T's last 17.25 (19), so the values they add and
 * the rounding they carry are smaller against the sums they make. A float32 simulation of the kernels'
 * order of operations (numpy; random inputs and weights, 16 to 256 input channels) rounded 1.6-1.7x less
 * on average, WinogradTest's pinned case 1.5x (2.08e-6 -> 1.37e-6 of the largest output, 64 channels),
 * as Barabasz et al. (2020, "Error analysis and improving the accuracy of Winograd convolution for deep
 * neural networks") found of such points; the README's parity table has each model's logits.
 *
 * <p>Legal for any 3x3 stride-1 dilation-1 ungrouped conv with padding at most 1 per side; chosen
 * for those that read a channel-blocked tensor (not the caller's input) of more than one channel
 * block ({@link #MIN_INPUT_CHANNELS}) and marked with attributes
 * algo=winograd and tile=m; not where the transformed weights would outgrow one Java array
 * ({@link Layouts#MAX_ARRAY}) while the direct ones fit, nor where its transformed tiles would
 * outgrow the workspace array ({@link #scratchFits}). Disable with --disable-pass winograd.
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
    return "compute 3x3 stride-1 convs with Winograd F(4x4,3x3) or F(2x2,3x3): 4x or 2.25x fewer multiplications";
  }

  static boolean eligible(Node n) {
    if (n.op() != Op.CONV) return false;
    var a = n.attrs();
    return a.getInts("kernel").equals(List.of(3, 3)) && a.getInts("stride").equals(List.of(1, 1))
        && a.getInts("dilation").equals(List.of(1, 1)) && a.getInt("groups") == 1
        && a.getInts("padding").get(0) <= 1 && a.getInts("padding").get(1) <= 1 && !a.has("pad_value")
        && !a.has("padding_end"); // its tiles assume the same border on both sides
  }

  /** Output tiles of 4x4 from which F(4x4,3x3) is chosen over F(2x2,3x3). */
  static final int MIN_TILES_FOR_F4 = 32;

  /**
   * The output tile: 4x4 where the map holds at least {@link #MIN_TILES_FOR_F4} of them, else 2x2.
   * F(4x4,3x3) multiplies 36 positions per 16 outputs (2.25 per output, against 4 for F(2x2,3x3)), but
   * its transformed weights are 4x the conv's, streamed once per chunk of tiles, and its transforms
   * cost more per tile. Measured on resnet50 (one bottleneck's conv2, transforms and products, one
   * thread): 56x56 1.73 -> 1.10 ms, 28x28 1.34 -> 0.97, but 14x14 (16 tiles) 1.40 -> 1.65 and
   * 7x7 (4 tiles) 2.57 -> 3.95.
   */
  static int tile(Node n) {
    int tiles = ((n.shape().height() + 3) / 4) * ((n.shape().width() + 3) / 4);
    return tiles >= MIN_TILES_FOR_F4 ? 4 : 2;
  }

  /**
   * Input channels from which Winograd pays: more than one channel block. With a single block the
   * products are short (16 multiply-adds per output and position) and the transforms, whose cost
   * grows with the channels in and out, are not amortized. Measured on squeezenet1_1 (fire3 and
   * fire4: 16 channels into 64 3x3 filters on 55x55), one thread, the products and transforms took
   * 0.52 ms per fire module against 0.44 for the direct conv. The whole network, alternating the two
   * jars in one process (netc compare, 60-80 calls each, medians): one thread 6.4 -> 6.0, 7.1 -> 7.0
   * and 6.3 -> 6.2 ms; two threads 5.1 -> 5.0 and 4.7 -> 4.3 ms.
   */
  static final int MIN_INPUT_CHANNELS = 17;

  /**
   * Floats of a conv's packed Winograd weights with tile m: (m + 2)^2 per pair of channels, each padded
   * to blocks of 16, the outputs further in the lanes layout ({@link Layouts#winogradColumns}).
   */
  static long transformedFloats(Node n, Node input, int m) {
    long outs = Layouts.winogradColumns(n.shape().channels(), n.shape().height(), n.shape().width(), m);
    long ins = (input.shape().channels() + 15L) / 16 * 16;
    return (long) (m + 2) * (m + 2) * outs * ins;
  }

  /**
   * Whether a conv's Winograd scratch with tile m ({@link Layouts#winogradScratch}) can fit the
   * workspace, one Java array that codegen.Limits refuses past {@link Layouts#MAX_ARRAY}: the scratch
   * lies past the planned arena, which holds at least the conv's input and output at its step
   * (counted here unpadded and without borders: never more than the plan will). Where it cannot, the
   * direct conv, which reads its input in place, may: `input(3, 4096, 4096)` then two 3x3 convs of 32
   * channels compiled only with --disable-pass winograd (2.4 billion floats of F(4x4) tiles).
   */
  static boolean scratchFits(Node n, Node input, int m) {
    long scratch = Layouts.winogradScratch(input.shape().channels(), n.shape().channels(), n.shape().height(), n.shape().width(), m);
    long values = Math.min(input.shape().size(), Layouts.MAX_ARRAY) + Math.min(n.shape().size(), Layouts.MAX_ARRAY); // no overflow
    return scratch + values <= Layouts.MAX_ARRAY;
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    for (int id : e.ids()) {
      Node n = e.node(id);
      // the transforms work on channel-blocked tensors; a conv on the caller's NCHW input stays direct
      if (eligible(n) && e.node(n.input(0)).op() != Op.INPUT && e.node(n.input(0)).shape().channels() >= MIN_INPUT_CHANNELS) {
        Node input = e.node(n.input(0));
        int tile = tile(n);
        // the transformed weights are (m + 2)^2 / 9 times the direct ones: where they would not fit
        // one array (the model's packed weights), a smaller tile or the direct conv still may; where
        // its transformed tiles would not fit the workspace, the direct conv still may (F(2x2)'s tiles
        // take more than F(4x4)'s, so this rarely leaves F(2x2))
        if (transformedFloats(n, input, tile) > Layouts.MAX_ARRAY || !scratchFits(n, input, tile)) tile = 2;
        if (transformedFloats(n, input, tile) > Layouts.MAX_ARRAY || !scratchFits(n, input, tile)) continue;
        e.replace(n.withAttrs(n.attrs().with("algo", "winograd").with("tile", tile)));
      }
    }
    return e.build();
  }
}
