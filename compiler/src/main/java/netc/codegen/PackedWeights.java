package netc.codegen;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.ParamSource;
import netc.ir.Shape;
import netc.runtime.BadInputException;
import netc.runtime.kernels.Kernels;

/**
 * All parameters of a compiled model in one float array, each section 16-float aligned, in the order
 * and padding the kernels read: conv weights as [output group][k][16 * blocks] where k runs over
 * (input block, kernel row, kernel column, lane) exactly as the conv's k-offset table; fc weights as
 * [outputs rounded to 16][inputs rounded to 16]; a standalone batch norm as per-channel scale and
 * shift. Symbolic parameters (folded batch norms, folded input normalization) are evaluated here,
 * in double, once.
 */
final class PackedWeights {
  private float[] data = new float[1 << 16];
  private int size;
  private final Map<String, Integer> offsets = new HashMap<>();

  static PackedWeights pack(Graph g, ParamSource source) {
    PackedWeights p = new PackedWeights();
    p.zeros();
    for (Node n : g.nodes()) {
      int from = p.size;
      switch (n.op()) {
        case CONV -> p.conv(g, n, source);
        case FC -> p.fc(g, n, source);
        case BATCHNORM -> p.batchnorm(n, source);
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
    throw new BadInputException(n.name() + ": " + bad + " of its packed weight values are not finite (computed as " + sources
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

  byte[] bytes() {
    ByteBuffer b = ByteBuffer.allocate(size * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data, 0, size);
    return b.array();
  }

  private int allocate(String key, int floats) {
    int at = (size + 15) / 16 * 16;
    if ((long) at + floats > Integer.MAX_VALUE - 16) throw new IllegalStateException("weights exceed 2^31 floats");
    if (at + floats > data.length) data = Arrays.copyOf(data, Math.max(at + floats, data.length * 2));
    size = at + floats;
    offsets.put(key, at);
    return at;
  }

  /**
   * Output channel blocks per micro-kernel tile: the linear kernel's (2 or 1) for a blocked input,
   * the gathering kernel's (4, 2 or 1) for a plain one (see ModelGenerator.conv).
   */
  static int blocksPerGroup(boolean blockedInput, int outBlocks) {
    return blockedInput ? Kernels.linearBlocks(outBlocks) : Kernels.blocksPerTile(outBlocks);
  }

  /** {@link #blocksPerGroup(boolean, int)} for conv {@code n}: the linear kernel's also when it reads a plain input in place. */
  static int blocksPerGroup(Node n, Geometry in, int outBlocks) {
    return blocksPerGroup(in.blocked() || ModelGenerator.stridedStep(n, in) > 0, outBlocks);
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
    Geometry in = Geometry.of(input, 0, false);
    Shape ws = n.param("weight").shape(); // [out, in/groups, kh, kw]
    float[] w = n.param("weight").evaluate(source);
    float[] bias = n.param("bias") == null ? null : n.param("bias").evaluate(source);
    int out = ws.dim(0), cpg = ws.dim(1), kh = ws.dim(2), kw = ws.dim(3);
    int groups = n.attrs().getInt("groups"), opg = out / groups;
    int outBlocks = (out + 15) / 16, nb = blocksPerGroup(n, in, outBlocks), width = 16 * nb;
    int inBlocks = in.blocked() ? in.blocks() : 1, lanes = in.blocked() ? 16 : in.channels();
    int k = inBlocks * kh * kw * lanes;
    int wOff = allocate(n.id() + ".weight", outBlocks / nb * k * width);
    for (int grp = 0; grp < outBlocks / nb; grp++) {
      int step = 0;
      for (int b = 0; b < inBlocks; b++) {
        for (int y = 0; y < kh; y++) {
          for (int x = 0; x < kw; x++) {
            for (int l = 0; l < lanes; l++, step++) {
              int ci = in.blocked() ? b * 16 + l : l;
              int base = wOff + (grp * k + step) * width;
              for (int j = 0; j < width; j++) {
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
   * Winograd weights: U = G g G^T per (out, in) pair, then for each of the (m + 2)^2 positions the layout of
   * a 1x1 conv's weights, [position][output group][input channel][16 * blocks].
   */
  private void winograd(Graph g, Node n, ParamSource source) {
    Geometry in = Geometry.of(g.node(n.input(0)), 0, false);
    int out = n.shape().channels(), cin = in.channels();
    int m = n.attrs().getInt("tile"), positions = (m + 2) * (m + 2);
    float[] u = netc.interp.Interpreter.winogradWeights(n.param("weight").evaluate(source), out, cin, m);
    int outBlocks = (out + 15) / 16, nb = blocksPerGroup(true, outBlocks), width = 16 * nb, groups = outBlocks / nb;
    int k = in.blocks() * 16;
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
