package netc.interp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Activation;
import netc.ir.Attrs;
import netc.ir.ChannelRuns;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.ParamSource;
import netc.ir.Shape;
import netc.ir.ShapeInference;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.runtime.io.Safetensors;
import netc.runtime.kernels.Reorder;
import netc.runtime.kernels.Kernels;

/**
 * The reference interpreter: evaluates an IR graph on NCHW float tensors with plain loops,
 * accumulating in double. It is the numeric oracle for every pass and for generated code, so it
 * favours evident correctness over speed. It evaluates the logical value of every node: a layout
 * is a physical choice and {@code reorder} is the identity here.
 */
public final class Interpreter {
  private final Graph graph;
  private final Map<Node, float[][]> paramCache = new HashMap<>();
  private final ParamSource source;
  /** The most floats {@link #run} held in values at once, for the tests of what it keeps. */
  private long peakFloats;

  public Interpreter(Graph graph, ParamSource source) {
    this.graph = graph;
    this.source = source;
  }

  public static Tensor run(Graph graph, ParamSource source, Tensor input) {
    return new Interpreter(graph, source).run(input);
  }

  /**
   * Evaluates the graph on a batch {@code [N, C, H, W]} matching the declared input.
   *
   * @throws BadInputException when N images' values at some node would not fit one Java array
   */
  public Tensor run(Tensor input) {
    Shape declared = graph.input().shape();
    int[] s = input.shape();
    if (s.length != declared.rank() + 1) {
      throw new IllegalArgumentException("input has shape " + java.util.Arrays.toString(s) + ", the network expects [N, " + declared + "]");
    }
    for (int i = 0; i < declared.rank(); i++) {
      if (s[i + 1] != declared.dim(i)) {
        throw new IllegalArgumentException("input has shape " + java.util.Arrays.toString(s) + ", the network expects [N, " + declared + "]");
      }
    }
    int batch = s[0];
    checkBatch(batch);
    List<Node> nodes = graph.nodes();
    List<List<Integer>> dead = deadAfter();
    Map<Integer, float[]> values = new HashMap<>();
    // The values holding each array (flatten, reorder and an input left as given share their input's),
    // so the floats held count an array once; kept as values come and go, not recounted after each node.
    Map<float[], Integer> holders = new IdentityHashMap<>();
    long held = 0;
    peakFloats = 0;
    for (int at = 0; at < nodes.size(); at++) {
      Node n = nodes.get(at);
      float[] out = switch (n.op()) {
        case INPUT -> normalize(n, input.data(), batch);
        case CONV -> conv(n, values, batch);
        case BATCHNORM -> activation(n.attrs().activation(), n.attrs(), batchnorm(n, values.get(n.input(0)), batch));
        case RELU, SIGMOID, TANH, LEAKY_RELU, CLIP, SILU, HARDSIGMOID, HARDSWISH, GELU -> activation(Activation.of(n.op()), n.attrs(), values.get(n.input(0)));
        case GATE -> gate(n, values.get(n.input(0)), values.get(n.input(1)));
        case ADD -> activation(n.attrs().activation(), n.attrs(), add(values.get(n.input(0)), values.get(n.input(1))));
        case CONCAT -> concat(n, values, batch);
        case MAXPOOL, AVGPOOL -> pool(n, values.get(n.input(0)), batch);
        case GLOBAL_AVGPOOL -> globalAvgPool(n, values.get(n.input(0)), batch);
        case FLATTEN, REORDER -> values.get(n.input(0));
        case FC -> fc(n, values.get(n.input(0)), batch);
        case PAD -> pad(n, values.get(n.input(0)), batch);
        case LAYERNORM -> layernorm(n, values.get(n.input(0)), batch);
        case CHANNELS, CHANNEL_SHUFFLE -> channels(n, values.get(n.input(0)), batch);
        case GATHER -> gather(n, values, batch);
        case SOFTMAX -> softmax(n, values.get(n.input(0)), batch);
      };
      values.put(n.id(), out);
      if (holders.merge(out, 1, Integer::sum) == 1) held += out.length;
      peakFloats = Math.max(peakFloats, held); // n's inputs and output alive together
      for (int id : dead.get(at)) {
        float[] v = values.remove(id);
        if (holders.compute(v, (array, count) -> count == 1 ? null : count - 1) == null) held -= v.length; // its last holder
      }
    }
    Shape os = graph.output().shape();
    int[] shape = new int[os.rank() + 1];
    shape[0] = batch;
    for (int i = 0; i < os.rank(); i++) shape[i + 1] = os.dim(i);
    float[] result = values.get(graph.outputId());
    // a network that only reshapes its input (input, flatten) would hand back the caller's own array: a write to the
    // result changed the input
    return new Tensor(shape, result == input.data() ? result.clone() : result);
  }

  /**
   * The values to drop once each node (by position) has run: those no later node reads, so a run holds
   * the values alive at once, not every value of the graph (a ResNet-50 as parsed: 2.4M floats an image
   * at most, against 37.7M for all its values). A value nothing reads goes as soon as it is made; the
   * graph output stays.
   */
  private List<List<Integer>> deadAfter() {
    List<Node> nodes = graph.nodes();
    Map<Integer, Integer> last = new HashMap<>();
    for (int at = 0; at < nodes.size(); at++) {
      last.put(nodes.get(at).id(), at);
      for (int i : nodes.get(at).inputs()) last.put(i, at); // inputs precede their users: the later use wins
    }
    List<List<Integer>> dead = new ArrayList<>();
    for (int at = 0; at < nodes.size(); at++) dead.add(new ArrayList<>());
    last.forEach((id, at) -> {
      if (id != graph.outputId()) dead.get(at).add(id);
    });
    return dead;
  }

  /** The most floats the last {@link #run} held in its values at once (per batch, not per image). */
  long peakFloatsHeld() {
    return peakFloats;
  }

  /**
   * Refuses, before anything is allocated, a batch whose values at some node would not fit one Java
   * array. Each node's size per image is bounded, but times the batch it can pass 2^31, and the int
   * products the evaluators size their arrays and index with would wrap (a negative array size, or an
   * index past the end). Past this check every such product stays within the array limit. It bounds
   * each array, not the heap: a batch whose live values pass the heap is the CLI's out-of-memory
   * message, which names the batch as the thing to shrink.
   */
  private void checkBatch(int batch) {
    String tooLarge = batchTooLarge(graph, batch);
    if (tooLarge != null) throw new BadInputException(tooLarge);
  }

  /** Why a batch of {@code batch} is too large for the interpreter on {@code graph} (see {@link #checkBatch}), or null. */
  public static String batchTooLarge(Graph graph, int batch) {
    for (Node n : graph.nodes()) {
      String values;
      try {
        long v = Math.multiplyExact((long) batch, n.shape().size());
        if (v <= Safetensors.MAX_ARRAY) continue;
        values = Long.toString(v);
      } catch (ArithmeticException e) { // past a long (Shape.size() saturates there too)
        values = "more than " + Long.MAX_VALUE;
      }
      return "a batch of " + batch + " is too large for the reference interpreter: %" + n.id() + " " + n.name()
          + " (" + n.shape() + " per image) would hold " + values + " values, more than a Java array holds (" + Safetensors.MAX_ARRAY
          + "); give the batch in parts";
    }
    return null;
  }

  /** Each image's channels of every input in turn: NCHW makes an input's channels one run per image. */
  private float[] concat(Node n, Map<Integer, float[]> values, int batch) {
    int perImage = (int) n.shape().size();
    float[] y = new float[batch * perImage];
    int at = 0;
    for (int i : n.inputs()) {
      int size = (int) graph.node(i).shape().size();
      float[] x = values.get(i);
      for (int b = 0; b < batch; b++) System.arraycopy(x, b * size, y, b * perImage + at, size);
      at += size;
    }
    return y;
  }

  private float[][] params(Node n, String... roles) {
    return paramCache.computeIfAbsent(n, k -> {
      float[][] out = new float[roles.length][];
      for (int i = 0; i < roles.length; i++) out[i] = n.param(roles[i]) == null ? null : n.param(roles[i]).evaluate(source);
      return out;
    });
  }

  /** (x - mean) / std per channel when the input declares preprocessing; otherwise x itself. */
  private static float[] normalize(Node n, float[] x, int batch) {
    List<Double> mean = n.attrs().getDoubles("mean"), std = n.attrs().getDoubles("std");
    if (mean == null || n.attrs().has("normalization_folded")) return x;
    int c = n.shape().channels(), plane = n.shape().height() * n.shape().width();
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      int ch = (i / plane) % c;
      out[i] = (float) ((x[i] - mean.get(ch)) / std.get(ch));
    }
    return out;
  }

  private float[] conv(Node n, Map<Integer, float[]> values, int batch) {
    if (n.attrs().getString("algo", "").equals("winograd")) return winograd(n, values, batch);
    float[] x = values.get(n.input(0));
    float[] residual = n.inputs().size() > 1 ? values.get(n.input(1)) : null;
    Attrs a = n.attrs();
    Shape in = graph.node(n.input(0)).shape(), out = n.shape();
    float[][] p = params(n, "weight", "bias");
    float[] w = p[0], bias = p[1];
    int cin = in.channels(), h = in.height(), wd = in.width();
    int cout = out.channels(), oh = out.height(), ow = out.width();
    int groups = a.getInt("groups");
    int kh = a.getInts("kernel").get(0), kw = a.getInts("kernel").get(1);
    int sh = a.getInts("stride").get(0), sw = a.getInts("stride").get(1);
    int ph = a.getInts("padding").get(0), pw = a.getInts("padding").get(1);
    int dh = a.getInts("dilation").get(0), dw = a.getInts("dilation").get(1);
    List<Double> padValue = a.getDoubles("pad_value");
    int cpg = cin / groups, opg = cout / groups;
    Activation act = a.activation();
    float[] y = new float[batch * cout * oh * ow];
    double[] acc = new double[oh * ow];
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < cout; o++) {
        java.util.Arrays.fill(acc, bias == null ? 0 : bias[o]);
        int g = o / opg;
        for (int c = 0; c < cpg; c++) {
          int ci = g * cpg + c;
          double pad = padValue == null ? 0 : padValue.get(ci);
          int plane = (b * cin + ci) * h * wd;
          for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
              double wv = w[((o * cpg + c) * kh + ky) * kw + kx];
              for (int oy = 0; oy < oh; oy++) {
                int iy = oy * sh - ph + ky * dh;
                for (int ox = 0; ox < ow; ox++) {
                  int ix = ox * sw - pw + kx * dw;
                  double v = iy < 0 || iy >= h || ix < 0 || ix >= wd ? pad : x[plane + iy * wd + ix];
                  acc[oy * ow + ox] += wv * v;
                }
              }
            }
          }
        }
        int base = (b * cout + o) * oh * ow;
        for (int i = 0; i < oh * ow; i++) {
          double v = acc[i] + (residual == null ? 0 : residual[base + i]);
          y[base + i] = (float) act.apply(v, a);
        }
      }
    }
    return y;
  }

  /**
   * A conv marked algo=winograd, evaluated as the compiled code does: weights transformed in double
   * and rounded to float32, input and output transforms and the channel sums in float32. Comparing it
   * with the direct conv (in double) shows the error Winograd adds.
   */
  private float[] winograd(Node n, Map<Integer, float[]> values, int batch) {
    float[] x = values.get(n.input(0));
    float[] residual = n.inputs().size() > 1 ? values.get(n.input(1)) : null;
    Shape in = graph.node(n.input(0)).shape(), out = n.shape();
    float[][] p = params(n, "weight", "bias");
    int m = n.attrs().getInt("tile"), a = m + 2, positions = a * a;
    float[] u = winogradWeights(p[0], out.channels(), in.channels(), m);
    int cin = in.channels(), h = in.height(), wd = in.width(), cout = out.channels(), oh = out.height(), ow = out.width();
    int ph = n.attrs().getInts("padding").get(0), pw = n.attrs().getInts("padding").get(1);
    Activation act = n.attrs().activation();
    float[] y = new float[batch * cout * oh * ow];
    float[] v = new float[cin * positions], d = new float[positions], mm = new float[positions];
    for (int b = 0; b < batch; b++) {
      for (int ty = 0; ty < (oh + m - 1) / m; ty++) {
        for (int tx = 0; tx < (ow + m - 1) / m; tx++) {
          for (int c = 0; c < cin; c++) {
            for (int i = 0; i < a; i++) {
              for (int j = 0; j < a; j++) {
                int iy = m * ty - ph + i, ix = m * tx - pw + j;
                d[i * a + j] = iy < 0 || iy >= h || ix < 0 || ix >= wd ? 0 : x[((b * cin + c) * h + iy) * wd + ix];
              }
            }
            inputTransform(m, d, v, c * positions);
          }
          for (int o = 0; o < cout; o++) {
            java.util.Arrays.fill(mm, 0f);
            for (int c = 0; c < cin; c++) {
              for (int k = 0; k < positions; k++) mm[k] = Math.fma(v[c * positions + k], u[(o * cin + c) * positions + k], mm[k]);
            }
            float[] r = outputTransform(m, mm);
            for (int i = 0; i < m; i++) {
              for (int j = 0; j < m; j++) {
                int yy = m * ty + i, xx = m * tx + j;
                if (yy >= oh || xx >= ow) continue;
                int at = ((b * cout + o) * oh + yy) * ow + xx;
                double val = r[i * m + j] + (p[1] == null ? 0 : p[1][o]) + (residual == null ? 0 : residual[at]);
                y[at] = (float) act.apply(val, n.attrs());
              }
            }
          }
        }
      }
    }
    return y;
  }

  /** V = B^T d B of one (m + 2)^2 patch into v[at..], in the kernels' order of float operations. */
  private static void inputTransform(int m, float[] d, float[] v, int at) {
    if (m == 4) {
      float[] t = new float[36], s = new float[12];
      for (int j = 0; j < 6; j++) { // columns
        for (int i = 0; i < 6; i++) s[i] = d[i * 6 + j];
        Kernels.bt6(s, 0, s, 6);
        for (int i = 0; i < 6; i++) t[i * 6 + j] = s[6 + i];
      }
      for (int i = 0; i < 6; i++) Kernels.bt6(t, i * 6, v, at + i * 6); // rows
      return;
    }
    float[] t = new float[16];
    for (int j = 0; j < 4; j++) { // B^T d
      t[j] = d[j] - d[8 + j];
      t[4 + j] = d[4 + j] + d[8 + j];
      t[8 + j] = d[8 + j] - d[4 + j];
      t[12 + j] = d[4 + j] - d[12 + j];
    }
    for (int i = 0; i < 4; i++) { // (B^T d) B
      v[at + i * 4] = t[i * 4] - t[i * 4 + 2];
      v[at + i * 4 + 1] = t[i * 4 + 1] + t[i * 4 + 2];
      v[at + i * 4 + 2] = t[i * 4 + 2] - t[i * 4 + 1];
      v[at + i * 4 + 3] = t[i * 4 + 1] - t[i * 4 + 3];
    }
  }

  /** Y = A^T M A (m x m, row-major) of one tile's products, in the kernels' order of float operations. */
  private static float[] outputTransform(int m, float[] mm) {
    float[] r = new float[m * m];
    if (m == 4) {
      float[] t = new float[24], s = new float[10];
      for (int j = 0; j < 6; j++) { // columns: A^T M is 4 x 6
        for (int i = 0; i < 6; i++) s[i] = mm[i * 6 + j];
        Kernels.at6(s, 0, s, 6);
        for (int i = 0; i < 4; i++) t[i * 6 + j] = s[6 + i];
      }
      for (int i = 0; i < 4; i++) Kernels.at6(t, i * 6, r, i * 4); // rows
      return r;
    }
    float[] s = new float[8]; // A^T m: 2 x 4
    for (int j = 0; j < 4; j++) {
      s[j] = mm[j] + mm[4 + j] + mm[8 + j];
      s[4 + j] = mm[4 + j] - mm[8 + j] - mm[12 + j];
    }
    for (int i = 0; i < 2; i++) {
      r[i * 2] = s[i * 4] + s[i * 4 + 1] + s[i * 4 + 2];
      r[i * 2 + 1] = s[i * 4 + 1] - s[i * 4 + 2] - s[i * 4 + 3];
    }
    return r;
  }

  /**
   * G g G^T for every (out, in) pair of 3x3 weights [out][in][3][3], in double, rounded to float:
   * [out][in][(m + 2)^2] for Winograd F(m x m, 3x3), m = 2 or 4.
   */
  public static float[] winogradWeights(float[] g, int cout, int cin, int m) {
    double[][] gm = m == 4
        ? new double[][] {{1, 0, 0}, {-8 / 15.0, -4 / 15.0, -2 / 15.0}, {-8 / 15.0, 4 / 15.0, -2 / 15.0},
            {1 / 30.0, 1 / 15.0, 2 / 15.0}, {1 / 30.0, -1 / 15.0, 2 / 15.0}, {0, 0, 1}}
        : new double[][] {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    int a = m + 2, positions = a * a;
    float[] u = new float[cout * cin * positions];
    double[] tmp = new double[a * 3]; // G g: a x 3
    for (int oc = 0; oc < cout * cin; oc++) {
      for (int i = 0; i < a; i++) {
        for (int j = 0; j < 3; j++) {
          double acc = 0;
          for (int k = 0; k < 3; k++) acc += gm[i][k] * g[oc * 9 + k * 3 + j];
          tmp[i * 3 + j] = acc;
        }
      }
      for (int i = 0; i < a; i++) {
        for (int j = 0; j < a; j++) {
          double acc = 0;
          for (int k = 0; k < 3; k++) acc += tmp[i * 3 + k] * gm[j][k];
          u[oc * positions + i * a + j] = (float) acc;
        }
      }
    }
    return u;
  }

  private float[] batchnorm(Node n, float[] x, int batch) {
    float[][] p = params(n, "weight", "bias", "running_mean", "running_var");
    double eps = n.attrs().getDouble("eps");
    Shape s = n.shape();
    int c = s.channels();
    int plane = (int) (s.size() / c);
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      int ch = (i / plane) % c;
      y[i] = (float) ((x[i] - (double) p[2][ch]) / Math.sqrt(p[3][ch] + eps) * p[0][ch] + p[1][ch]);
    }
    return y;
  }

  private static float[] activation(Activation act, Attrs a, float[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) y[i] = (float) act.apply(x[i], a);
    return y;
  }

  /** Each channel of x (images one after another, [C][H][W] each) times its value in s ([C] each). */
  private static float[] gate(Node n, float[] x, float[] s) {
    int pixels = n.shape().height() * n.shape().width();
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) y[i] = x[i] * s[i / pixels];
    return y;
  }

  private static float[] add(float[] x, float[] z) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) y[i] = (float) ((double) x[i] + z[i]);
    return y;
  }

  /**
   * Max pooling pads with -infinity. Average pooling divides, as torch does, by the window clipped to
   * the padded input (count_include_pad, the default: padded zeros count, a ceil-mode overhang past the
   * padding does not) or by the pixels inside the input (count_include_pad = false).
   */
  private float[] pool(Node n, float[] x, int batch) {
    Shape in = graph.node(n.input(0)).shape(), out = n.shape();
    Attrs a = n.attrs();
    int kh = a.getInts("kernel").get(0), kw = a.getInts("kernel").get(1);
    int sh = a.getInts("stride").get(0), sw = a.getInts("stride").get(1);
    int ph = a.getInts("padding").get(0), pw = a.getInts("padding").get(1);
    int eh = a.paddingEnd().get(0), ew = a.paddingEnd().get(1);
    boolean max = n.op() == netc.ir.Op.MAXPOOL;
    boolean countPad = !a.has("count_include_pad") || a.getBool("count_include_pad");
    int c = in.channels(), h = in.height(), w = in.width(), oh = out.height(), ow = out.width();
    float[] y = new float[batch * c * oh * ow];
    for (int p = 0; p < batch * c; p++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          double acc = max ? Double.NEGATIVE_INFINITY : 0;
          int inside = 0;
          // the window's part inside the input, in the order of the whole window (a 65536x65536 window
          // over a 1x1 input is one pixel, not 2^32 positions to skip)
          int y0 = oy * sh - ph, x0 = ox * sw - pw;
          int iy1 = (int) Math.min((long) y0 + kh, h), ix1 = (int) Math.min((long) x0 + kw, w);
          for (int iy = Math.max(y0, 0); iy < iy1; iy++) {
            for (int ix = Math.max(x0, 0); ix < ix1; ix++) {
              double v = x[(p * h + iy) * w + ix];
              acc = max ? Math.max(acc, v) : acc + v;
              inside++;
            }
          }
          // in longs, as torch's int64: 65536 x 65536 padded pixels wrap an int to 0
          long padded = (Math.min((long) y0 + kh, (long) h + eh) - y0) * (Math.min((long) x0 + kw, (long) w + ew) - x0);
          y[(p * oh + oy) * ow + ox] = (float) (max ? acc : acc / (countPad ? padded : inside));
        }
      }
    }
    return y;
  }

  /** Zero rows and columns around each plane. */
  private float[] pad(Node n, float[] x, int batch) {
    Shape in = graph.node(n.input(0)).shape(), out = n.shape();
    int top = n.attrs().getInts("padding").get(0), left = n.attrs().getInts("padding").get(1);
    int h = in.height(), w = in.width(), oh = out.height(), ow = out.width();
    float[] y = new float[batch * in.channels() * oh * ow];
    for (int p = 0; p < batch * in.channels(); p++) {
      for (int iy = 0; iy < h; iy++) System.arraycopy(x, (p * h + iy) * w, y, (p * oh + iy + top) * ow + left, w);
    }
    return y;
  }

  /** channels(start, end) and channel_shuffle(groups): output channel c is input channel Reorder.sourceChannel(c, ...). */
  private float[] channels(Node n, float[] x, int batch) {
    Shape in = graph.node(n.input(0)).shape();
    int[] gather = ShapeInference.channelGather(n.op(), n.attrs());
    int plane = in.height() * in.width(), out = n.shape().channels();
    float[] y = new float[batch * out * plane];
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < out; c++) {
        int s = Reorder.sourceChannel(c, out, gather[0], gather[1]);
        System.arraycopy(x, (b * in.channels() + s) * plane, y, (b * out + c) * plane, plane);
      }
    }
    return y;
  }

  /** A gather: output channel c is the channel its runs give it ({@link ChannelRuns}), each image's plane copied whole. */
  private float[] gather(Node n, Map<Integer, float[]> values, int batch) {
    List<Shape> in = n.inputs().stream().map(i -> graph.node(i).shape()).toList();
    int plane = n.shape().height() * n.shape().width(), out = n.shape().channels();
    int[][] map = ChannelRuns.expand(n.attrs().getInts("runs"), out, in);
    float[] y = new float[batch * out * plane];
    for (int c = 0; c < out; c++) {
      float[] x = values.get(n.input(map[c][0]));
      int channels = in.get(map[c][0]).channels();
      for (int b = 0; b < batch; b++) System.arraycopy(x, (b * channels + map[c][1]) * plane, y, (b * out + c) * plane, plane);
    }
    return y;
  }

  /** Each pixel over its channels: (x - mean) / sqrt(variance + eps) * weight[c] + bias[c], in double. */
  private float[] layernorm(Node n, float[] x, int batch) {
    float[][] p = params(n, "weight", "bias");
    Shape in = n.shape();
    int c = in.channels(), plane = in.height() * in.width();
    double eps = n.attrs().getDouble("eps");
    float[] y = new float[x.length];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < plane; i++) {
        double sum = 0, sq = 0;
        for (int ch = 0; ch < c; ch++) sum += x[(b * c + ch) * plane + i];
        double mean = sum / c;
        for (int ch = 0; ch < c; ch++) {
          double d = x[(b * c + ch) * plane + i] - mean;
          sq += d * d;
        }
        double inv = 1 / Math.sqrt(sq / c + eps);
        for (int ch = 0; ch < c; ch++) {
          int at = (b * c + ch) * plane + i;
          y[at] = (float) ((x[at] - mean) * inv * p[0][ch] + p[1][ch]);
        }
      }
    }
    return y;
  }

  private float[] globalAvgPool(Node n, float[] x, int batch) {
    Shape in = graph.node(n.input(0)).shape();
    int plane = in.height() * in.width();
    float[] y = new float[batch * in.channels()];
    for (int p = 0; p < y.length; p++) {
      double acc = 0;
      for (int i = 0; i < plane; i++) acc += x[p * plane + i];
      y[p] = (float) (acc / plane);
    }
    return y;
  }

  private float[] fc(Node n, float[] x, int batch) {
    float[][] p = params(n, "weight", "bias");
    int out = n.shape().dim(0), in = graph.node(n.input(0)).shape().dim(0);
    Activation act = n.attrs().activation();
    float[] y = new float[batch * out];
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < out; o++) {
        double acc = p[1] == null ? 0 : p[1][o];
        for (int i = 0; i < in; i++) acc += (double) p[0][o * in + i] * x[b * in + i];
        y[b * out + o] = (float) act.apply(acc, n.attrs());
      }
    }
    return y;
  }

  /** Softmax over dimension 1 (features, or channels at each pixel), max-subtracted for stability. */
  private static float[] softmax(Node n, float[] x, int batch) {
    Shape s = n.shape();
    int c = s.dim(0);
    int inner = (int) (s.size() / c);
    float[] y = new float[x.length];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < inner; i++) {
        int base = b * c * inner + i;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k = 0; k < c; k++) max = Math.max(max, x[base + k * inner]);
        for (int k = 0; k < c; k++) sum += Math.exp(x[base + k * inner] - max);
        for (int k = 0; k < c; k++) y[base + k * inner] = (float) (Math.exp(x[base + k * inner] - max) / sum);
      }
    }
    return y;
  }
}
