package netc.codegen;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamSource;
import netc.ir.Shape;
import netc.passes.Layouts;
import netc.runtime.kernels.KernelTiles;
import netc.runtime.kernels.Kernels;

/**
 * All parameters of a compiled model in one float array, each section 16-float aligned, in the order
 * and padding the kernels read: conv weights as [output group][k][16 * blocks] where k runs over
 * (input block, kernel row, kernel column, lane) exactly as the conv's k-offset table (a grouped
 * conv's input blocks only those its groups read, see {@link #inputBlocks}), a depthwise conv's as
 * [block][kernel row][kernel column][16]; fc weights as
 * [outputs rounded to 16][inputs rounded to 16]; a standalone batch norm as per-channel scale and
 * shift. Symbolic parameters (folded batch norms, folded input normalization) are evaluated here,
 * in double, once.
 */
final class PackedWeights {
  /** The packed weights are one array: see {@link Layouts#MAX_ARRAY}. */
  static final long MAX_ARRAY = Layouts.MAX_ARRAY;

  private final float[] data;
  private int size;
  private final Map<String, Integer> offsets = new HashMap<>();

  private PackedWeights(long floats) {
    data = new float[(int) floats];
  }

  /**
   * One packed section: a layer's weights, bias, batch-norm scale or shift, with the floats it takes
   * once padded to the kernels' blocks. Counted in long before anything is packed, so a layer too
   * large for an array is refused by name instead of overflowing an int.
   */
  record Section(Node node, String role, long floats) {}

  /** Every section in packing order (the 64 zeros first, node null), each starting 16-float aligned. */
  static List<Section> layout(Graph g) {
    List<Section> out = new ArrayList<>();
    out.add(new Section(null, "zeros", 64));
    for (Node n : g.nodes()) {
      switch (n.op()) {
        case CONV -> {
          out.add(new Section(n, "weight", convWeightFloats(g, n)));
          out.add(new Section(n, "bias", (n.shape().channels() + 15L) / 16 * 16));
        }
        case FC -> {
          long outP = (n.shape().dim(0) + 15L) / 16 * 16, inP = (g.node(n.input(0)).shape().dim(0) + 15L) / 16 * 16;
          out.add(new Section(n, "weight", outP * inP));
          if (n.param("bias") != null) out.add(new Section(n, "bias", outP));
        }
        case BATCHNORM -> {
          long cp = (n.shape().dim(0) + 15L) / 16 * 16;
          out.add(new Section(n, "scale", cp));
          out.add(new Section(n, "shift", cp));
        }
        case LAYERNORM -> {
          long cp = (n.shape().dim(0) + 15L) / 16 * 16;
          out.add(new Section(n, "weight", cp));
          out.add(new Section(n, "bias", cp));
        }
        default -> {}
      }
    }
    return out;
  }

  /** Packed floats of a conv's weights: [groups of output blocks][k][16 x blocks per group], or Winograd's (m + 2)^2 of them. */
  static long convWeightFloats(Graph g, Node n) {
    Geometry in = Geometry.of(g.node(n.input(0)), 0, g.node(n.input(0)).op() == Op.INPUT);
    long outBlocks = (n.shape().channels() + 15L) / 16;
    if (n.attrs().getString("algo", "").equals("winograd")) {
      long m = n.attrs().getInt("tile");
      return (m + 2) * (m + 2) * winogradOutputs(n) * in.blocks() * 16L;
    }
    List<Integer> kernel = n.attrs().getInts("kernel");
    int rowGroup = rowGroupWidth(n, in);
    if (rowGroup > 0) return outBlocks * 16 * kernel.get(0) * kernel.get(1) * rowGroup;
    int nb = blocksPerGroup(n, in, (int) outBlocks);
    long k = (long) (in.blocked() ? inputBlocks(n, in, nb).blocks() : 1) * kernel.get(0) * kernel.get(1) * (in.blocked() ? 16 : in.channels());
    return outBlocks * 16 * k; // groups x blocks per group = output blocks, whatever the grouping
  }

  /**
   * The channels of each group of conv {@code n}, input and output alike, where they are fewer than a
   * channel block's 16 and the conv runs a row kernel over weights packed [block][kh][kw][g][16] (lane
   * c % 16 of block c / 16 holds output channel c's weights for channel j of its group): 1 for a
   * depthwise conv ({@code Kernels.depthwiseRow}), 2 or 4 for a grouped one ({@code Kernels.groupedRow}:
   * ResNeXt's layer1 groups of 4 channels, where the dense form of a block does 16 multiply-adds a lane
   * for 4 useful ones). Groups of 8 stay dense, reading their own input blocks ({@link #inputBlocks}):
   * the row kernel took 1.25-1.37x their time in resnext50_32x4d's layer2 (see VectorKernels.groupedRow).
   * 0 for a conv the linear kernels run.
   */
  static int rowGroupWidth(Node n, Geometry in) {
    int groups = n.attrs().getInt("groups"), cin = in.channels(), cout = n.shape().channels();
    if (groups == 1 || !in.blocked() || n.attrs().getString("algo", "").equals("winograd")) return 0;
    if (cin % groups != 0 || cout % groups != 0 || cin / groups != cout / groups) return 0;
    int g = cin / groups;
    return g == 1 || g == 2 || g == 4 ? g : 0;
  }

  /**
   * The input channel blocks each weight group (of {@code nb} output blocks) of a conv reads: all of
   * them, but for a grouped conv over a blocked input only those holding the channels of the conv
   * groups its output channels belong to (ResNeXt's 32 groups of 4 channels: 2 of 8 blocks), so its
   * k steps skip the blocks whose weights would be zero. Every weight group reads the same number,
   * {@code blocks}, starting at {@code first[group]} (moved back where the last blocks would run
   * past the input; the extra blocks get zero weights).
   */
  record InputBlocks(int blocks, int[] first) {
    /** Whether the weight groups read fewer blocks than the input has. */
    boolean restricted(Geometry in) {
      return blocks < in.blocks();
    }
  }

  static InputBlocks inputBlocks(Node n, Geometry in, int nb) {
    int inBlocks = in.blocked() ? in.blocks() : 1, out = n.shape().channels(), groups = n.attrs().getInt("groups");
    int weightGroups = weightGroups((out + 15) / 16, nb);
    if (groups == 1 || !in.blocked()) return new InputBlocks(inBlocks, new int[weightGroups]);
    int cpg = in.channels() / groups, opg = out / groups, width = 16 * nb;
    int[] first = new int[weightGroups], last = new int[weightGroups];
    int blocks = 1;
    for (int grp = 0; grp < weightGroups; grp++) {
      int lo = grp * width, hi = Math.min(out, lo + width) - 1; // the group's real output channels
      first[grp] = lo / opg * cpg / 16;
      last[grp] = ((hi / opg + 1) * cpg - 1) / 16;
      blocks = Math.max(blocks, last[grp] - first[grp] + 1);
    }
    for (int grp = 0; grp < weightGroups; grp++) first[grp] = Math.min(first[grp], inBlocks - blocks);
    return new InputBlocks(blocks, first);
  }

  /**
   * Refuses a graph whose packed weights do not fit one array: a single layer's section (named with
   * its size), or the running total (named at the layer that crosses the limit).
   */
  static long checkFits(Graph g) {
    long total = 0;
    for (Section s : layout(g)) {
      if (s.floats() > MAX_ARRAY) {
        throw Limits.refuse(s.node(), String.format(java.util.Locale.ROOT, "its %s take %,d floats once packed (%s), more than the %,d one Java array holds",
            describe(g, s), s.floats(), padding(s), MAX_ARRAY));
      }
      total = Layouts.alignedFrom(total) + s.floats();
      if (total > MAX_ARRAY) {
        throw Limits.refuse(s.node(), String.format(java.util.Locale.ROOT, "the network's packed weights reach %,d floats at this layer, more than the %,d one "
            + "Java array holds", total, MAX_ARRAY));
      }
    }
    return total;
  }

  /** "weights (65536x4096x3x3)": the section's role and, where it is a spec tensor, its logical shape. */
  private static String describe(Graph g, Section s) {
    Node n = s.node();
    String what = s.role().equals("weight") ? "weights" : s.role();
    return n.param(s.role()) == null ? what : what + " (" + n.param(s.role()).shape() + ")";
  }

  private static String padding(Section s) {
    Node n = s.node();
    if (n.op() != Op.CONV || !s.role().equals("weight")) return "rows padded to multiples of 16";
    if (!n.attrs().getString("algo", "").equals("winograd")) return "channels padded to blocks of 16";
    int m = n.attrs().getInt("tile");
    return String.format(java.util.Locale.ROOT, "transformed for Winograd F(%dx%d,3x3): %d values per 3x3 kernel, channels padded to blocks of 16%s", m, m,
        (m + 2) * (m + 2), lanes(n) ? ", in panels of " + Kernels.LANE_PANEL + " output channels" : "");
  }

  static PackedWeights pack(Graph g, ParamSource source) {
    PackedWeights p = new PackedWeights(checkFits(g));
    p.zeros();
    for (Node n : g.nodes()) {
      int from = p.size;
      switch (n.op()) {
        case CONV -> p.conv(g, n, source);
        case FC -> p.fc(g, n, source);
        case BATCHNORM -> p.batchnorm(n, source);
        case LAYERNORM -> {
          int c = n.shape().dim(0), cp = (c + 15) / 16 * 16;
          System.arraycopy(n.param("weight").evaluate(source), 0, p.data, p.allocate(n.id() + ".weight", cp), c);
          System.arraycopy(n.param("bias").evaluate(source), 0, p.data, p.allocate(n.id() + ".bias", cp), c);
        }
        default -> {}
      }
      p.checkFinite(n, from);
    }
    return p;
  }

  /**
   * The file's values were checked at binding, but folding can still overflow float32 (a large
   * gamma over a variance near zero, a tiny input std): a jar must not carry infinities silently.
   */
  private void checkFinite(Node n, int from) {
    int bad = 0;
    for (int i = from; i < size; i++) if (!Float.isFinite(data[i])) bad++;
    if (bad == 0) return;
    StringBuilder sources = new StringBuilder();
    for (var p : n.params().values()) sources.append(sources.length() == 0 ? "" : ", ").append(p.describe());
    // placed at the layer's spec line (the first layer folded into it) where it has one, as the spec's other errors are
    netc.ast.Span at = n.origins().isEmpty() ? null : n.origins().get(0).span();
    throw new netc.ast.NetcException(at, n.name() + ": " + bad + " of its packed weight values are not finite (computed as " + sources
        + "): folding overflowed float32; check the batch-norm weights, variances and eps, or the input normalization's std");
  }

  int offset(Node n, String role) {
    Integer o = offsets.get(n.id() + "." + role);
    if (o == null) throw new IllegalStateException("no packed " + role + " for " + n.name());
    return o;
  }

  int floats() {
    return size;
  }

  /** Floats per chunk {@link #write(OutputStream)} converts to bytes at a time (256 KiB). */
  static final int CHUNK_FLOATS = 1 << 16;

  /**
   * Writes the packed floats little-endian onto {@code out} (left open), as the runtime reads them,
   * {@value #CHUNK_FLOATS} at a time: the weights may take up to {@link #MAX_ARRAY} floats, nearly
   * 8 GiB, which no byte array holds (a buffer of size * 4 bytes overflowed an int past 2 GiB).
   */
  void write(OutputStream out) throws IOException {
    write(data, size, out, CHUNK_FLOATS);
  }

  /** The first {@code count} of {@code floats}, little-endian, onto {@code out}, {@code chunkFloats} at a time. */
  static void write(float[] floats, int count, OutputStream out, int chunkFloats) throws IOException {
    byte[] chunk = new byte[4 * Math.min(chunkFloats, Math.max(count, 1))];
    FloatBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    for (int at = 0; at < count; ) {
      int n = Math.min(chunk.length / 4, count - at);
      view.clear();
      view.put(floats, at, n);
      out.write(chunk, 0, 4 * n);
      at += n;
    }
  }

  /** The next section: {@link #layout} sized the array, in the same order and alignment. */
  private int allocate(String key, int floats) {
    int at = (int) Layouts.alignedFrom(size); // 64-byte aligned in the loaded array (see Layouts.ALIGNED_BASE)
    if ((long) at + floats > data.length) throw new IllegalStateException("section " + key + " is past the planned " + data.length + " floats");
    size = at + floats;
    offsets.put(key, at);
    return at;
  }

  /**
   * Output channel blocks per micro-kernel tile: the linear kernel's (2 or 1) for a blocked input,
   * the gathering kernel's (4, 2 or 1) for a plain one (see ModelGenerator.conv).
   */
  static int blocksPerGroup(boolean blockedInput, int outBlocks) {
    return blockedInput ? KernelTiles.linearBlocks(outBlocks) : KernelTiles.blocksPerTile(outBlocks);
  }

  /**
   * {@link #blocksPerGroup(boolean, int)} for conv {@code n}: the linear kernel's also when it reads a plain input in place;
   * and 2 for an ungrouped conv over a blocked input with an odd number of output blocks above one, whose
   * weight groups are then pairs and one last single block ({@link #pairedWithLastSingle}).
   */
  static int blocksPerGroup(Node n, Geometry in, int outBlocks) {
    if (pairedWithLastSingle(n, in, outBlocks)) return 2;
    if (singleBlockGroups(n, in)) return 1;
    return blocksPerGroup(in.blocked() || ModelGenerator.stridedStep(n, in) > 0, outBlocks);
  }

  /**
   * Whether grouped conv {@code n}'s weight groups are single output blocks: where its conv groups
   * are at most 16 channels wide, so a pair of output blocks would read the input blocks of both
   * (ResNeXt's layer3, 32 groups of 16 channels: 2 blocks, half of whose weights are zero) and one
   * block reads fewer (1). The 1-block tile does 14 multiply-adds per 15 loads where the 2-block one
   * does 28 per 16, but half as many. At stride 2 only where the conv reads a blocked input in place
   * (step 32), which the 1-block strided tile does; copying its windows into panels for the stride-1
   * kernel cost more than the saved work (resnext50_32x4d layer2.0.conv2, one thread: 1.24-1.47 ms in
   * place with 2-block tiles, 1.43-1.53 + 0.99-1.10 for the copy).
   * resnext50_32x4d's stride-1 grouped convs, one thread: see the commit.
   */
  static boolean singleBlockGroups(Node n, Geometry in) {
    if (n.attrs().getInt("groups") == 1 || !in.blocked() || rowGroupWidth(n, in) > 0) return false;
    if (!n.attrs().getInts("stride").equals(java.util.List.of(1, 1)) && ModelGenerator.stridedStep(n, in) != 32) return false;
    return inputBlocks(n, in, 1).blocks() < inputBlocks(n, in, 2).blocks();
  }

  /**
   * Whether conv {@code n}'s weight groups are pairs of output blocks and a last single one: an ungrouped
   * conv over a blocked input with an odd number of output blocks above one (SqueezeNet's 1000-class conv,
   * 63 blocks; MobileNetV2's 144-channel expansions, 9). The 2-block linear tile does 28 multiply-adds
   * per 16 loads where the 1-block one does 14 per 15, so all but the last block run on the faster
   * tile. Measured on SqueezeNet 1.1's classifier conv (512 -> 1000, 13x13), one thread: see the commit.
   */
  static boolean pairedWithLastSingle(Node n, Geometry in, int outBlocks) {
    return outBlocks % 2 == 1 && outBlocks > 1 && in.blocked() && n.attrs().getInt("groups") == 1
        && !n.attrs().getString("algo", "").equals("winograd");
  }

  /** Weight groups of a conv with {@code nb} output blocks per group: the last may hold fewer ({@link #pairedWithLastSingle}). */
  static int weightGroups(int outBlocks, int nb) {
    return (outBlocks + nb - 1) / nb;
  }

  /** Whether a Winograd conv runs in the lanes layout ({@link Layouts#winogradLanes}): its weights then lie in panels of 6 output channels. */
  static boolean lanes(Node n) {
    return Layouts.winogradLanes(n.shape().height(), n.shape().width(), n.attrs().getInt("tile"));
  }

  /** Output channels a Winograd conv's packed weights hold per input channel and position ({@link Layouts#winogradColumns}). */
  static long winogradOutputs(Node n) {
    return Layouts.winogradColumns(n.shape().channels(), n.shape().height(), n.shape().width(), n.attrs().getInt("tile"));
  }

  /** Offset of 64 zeros: the bias of Winograd's products, which get theirs in the output transform. */
  int zeros() {
    Integer o = offsets.get("zeros");
    return o != null ? o : allocate("zeros", 64);
  }

  private void conv(Graph g, Node n, ParamSource source) {
    if (n.attrs().getString("algo", "").equals("winograd")) {
      winograd(g, n, source);
      return;
    }
    Node input = g.node(n.input(0));
    Geometry in = Geometry.of(input, 0, input.op() == Op.INPUT); // the caller's input, or the arena: where reads may run past a tensor
    Shape ws = n.param("weight").shape(); // [out, in/groups, kh, kw]
    float[] w = n.param("weight").evaluate(source);
    float[] bias = n.param("bias") == null ? null : n.param("bias").evaluate(source);
    int out = ws.dim(0), cpg = ws.dim(1), kh = ws.dim(2), kw = ws.dim(3);
    int groups = n.attrs().getInt("groups"), opg = out / groups;
    int outBlocks = (out + 15) / 16;
    int rowGroup = rowGroupWidth(n, in);
    if (rowGroup > 0) {
      rowGroups(n, w, bias, out, kh, kw, rowGroup);
      return;
    }
    int nb = blocksPerGroup(n, in, outBlocks), width = 16 * nb;
    InputBlocks reads = inputBlocks(n, in, nb);
    int inBlocks = reads.blocks(), lanes = in.blocked() ? 16 : in.channels();
    int k = inBlocks * kh * kw * lanes;
    int wOff = allocate(n.id() + ".weight", outBlocks * 16 * k);
    for (int grp = 0; grp < weightGroups(outBlocks, nb); grp++) {
      int step = 0, groupWidth = 16 * Math.min(nb, outBlocks - grp * nb); // the last group may be a single block
      for (int b = 0; b < inBlocks; b++) {
        for (int y = 0; y < kh; y++) {
          for (int x = 0; x < kw; x++) {
            for (int l = 0; l < lanes; l++, step++) {
              int ci = in.blocked() ? (reads.first()[grp] + b) * 16 + l : l;
              int base = wOff + grp * k * width + step * groupWidth;
              for (int j = 0; j < groupWidth; j++) {
                int o = grp * width + j;
                if (o >= out || ci >= in.channels()) continue;
                int group = o / opg, local = ci - group * cpg;
                if (local < 0 || local >= cpg) continue; // another group's channel: zero in the dense form
                data[base + j] = w[((o * cpg + local) * kh + y) * kw + x];
              }
            }
          }
        }
      }
    }
    int bOff = allocate(n.id() + ".bias", outBlocks * 16);
    if (bias != null) System.arraycopy(bias, 0, data, bOff, out);
  }

  /**
   * The weights of a conv of groups of {@code g} channels ({@link #rowGroupWidth}), [block][kh][kw][g][16]
   * (channel c at block c / 16, lane c % 16; torch's [c][j][y][x] at lane c % 16 of j), and its bias.
   */
  private void rowGroups(Node n, float[] w, float[] bias, int channels, int kh, int kw, int g) {
    int blocks = (channels + 15) / 16;
    int wOff = allocate(n.id() + ".weight", blocks * kh * kw * g * 16);
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < kh; y++) {
        for (int x = 0; x < kw; x++) {
          for (int j = 0; j < g; j++) data[wOff + (((c / 16 * kh + y) * kw + x) * g + j) * 16 + c % 16] = w[((c * g + j) * kh + y) * kw + x];
        }
      }
    }
    int bOff = allocate(n.id() + ".bias", blocks * 16);
    if (bias != null) System.arraycopy(bias, 0, data, bOff, channels);
  }

  /**
   * Winograd weights: U = G g G^T per (out, in) pair, then for each of the (m + 2)^2 positions the layout of
   * a 1x1 conv's weights, [position][output group][input channel][16 * blocks]; or, in the lanes
   * layout ({@link #lanes}), [position][panel][input channel][6], the output channels padded to
   * {@link Kernels#LANE_CHANNELS} (two panels, what a lane tile computes a call on every width).
   */
  private void winograd(Graph g, Node n, ParamSource source) {
    Geometry in = Geometry.of(g.node(n.input(0)), 0, false);
    int out = n.shape().channels(), cin = in.channels();
    int m = n.attrs().getInt("tile"), positions = (m + 2) * (m + 2);
    float[] u = netc.interp.Interpreter.winogradWeights(n.param("weight").evaluate(source), out, cin, m);
    int outBlocks = (out + 15) / 16, nb = blocksPerGroup(true, outBlocks), width = 16 * nb, groups = outBlocks / nb;
    int k = in.blocks() * 16;
    if (lanes(n)) {
      width = Kernels.LANE_PANEL;
      groups = Math.toIntExact(winogradOutputs(n) / width);
    }
    int wOff = allocate(n.id() + ".weight", positions * groups * k * width);
    for (int q = 0; q < positions; q++) {
      for (int grp = 0; grp < groups; grp++) {
        for (int ci = 0; ci < Math.min(k, cin); ci++) {
          int base = wOff + ((q * groups + grp) * k + ci) * width;
          for (int j = 0; j < width && grp * width + j < out; j++) data[base + j] = u[((grp * width + j) * cin + ci) * positions + q];
        }
      }
    }
    int bOff = allocate(n.id() + ".bias", outBlocks * 16);
    if (n.param("bias") != null) System.arraycopy(n.param("bias").evaluate(source), 0, data, bOff, out);
  }

  private void fc(Graph g, Node n, ParamSource source) {
    int out = n.shape().dim(0), in = g.node(n.input(0)).shape().dim(0);
    int outP = (out + 15) / 16 * 16, inP = (in + 15) / 16 * 16;
    float[] w = n.param("weight").evaluate(source);
    int wOff = allocate(n.id() + ".weight", outP * inP);
    for (int o = 0; o < out; o++) System.arraycopy(w, o * in, data, wOff + o * inP, in);
    if (n.param("bias") != null) {
      int bOff = allocate(n.id() + ".bias", outP);
      System.arraycopy(n.param("bias").evaluate(source), 0, data, bOff, out);
    }
  }

  private void batchnorm(Node n, ParamSource source) {
    float[] gamma = n.param("weight").evaluate(source), beta = n.param("bias").evaluate(source);
    float[] mean = n.param("running_mean").evaluate(source), var = n.param("running_var").evaluate(source);
    double eps = n.attrs().getDouble("eps");
    int c = gamma.length, cp = (c + 15) / 16 * 16;
    int scale = allocate(n.id() + ".scale", cp), shift = allocate(n.id() + ".shift", cp);
    for (int i = 0; i < c; i++) {
      double s = gamma[i] / Math.sqrt((double) var[i] + eps);
      data[scale + i] = (float) s;
      data[shift + i] = (float) (beta[i] - mean[i] * s);
    }
  }

}
