package netc.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Small random but valid specs built from the language's own layers, one per seed: convs with varied
 * kernel, stride, padding (asymmetric too), groups (depthwise too), dilation and bias; batch norms (also on flat
 * values), every activation (clips with and without a zero lower bound; silu, hardsigmoid, hardswish, gelu), layer norms over
 * the channels, squeeze-and-excitation gates, pools (identities included,
 * ceil mode, count_include_pad = false, asymmetric padding), zero pads, residual blocks with and without a downsample shortcut
 * (nested, back to back, adds that no conv can absorb), concats of two or three branches (empty ones,
 * named ones, whole and partial channel blocks, strided alike), channel ranges and shuffles (in chains,
 * and around concats), global average pooling, flatten (also of the
 * input and of a value a padded conv reads too), fc, softmax over a vector or over channels; odd
 * sizes; and now and then a layer named like a Java keyword or a name that collides with another
 * once made a Java identifier. The generator tracks shapes itself, so every spec it writes should
 * build; a refusal is a finding too.
 */
public final class RandomNetworks {
  /** Names that are hard for generated Java: keywords, restricted words, java.lang and runtime classes, locals. */
  static final List<String> HARD_NAMES = List.of("class", "int", "enum", "new", "static", "goto", "const", "_", "yield", "var",
      "record", "Math", "String", "Object", "K", "a", "w", "ws", "from", "to", "item", "ITEMS", "PARALLEL", "steps", "runStep",
      "predict", "wait", "getClass", "hashCode", "a-b", "a_b", "a b", "0", "1x", "\u00e9t\u00e9", "*/", "\\u000a");

  private final Random rng;
  private final StringBuilder out = new StringBuilder();
  private final Set<String> names = new HashSet<>();
  private int c, h, w; // the current feature map
  private int flat; // the current flat size once flattened, else 0

  private RandomNetworks(long seed) {
    rng = new Random(seed);
  }

  /** The spec of seed {@code seed}: the same text for the same seed. */
  public static String spec(long seed) {
    return new RandomNetworks(seed).generate();
  }

  private String generate() {
    c = pick(1, 2, 3, 3, 4, 5, 8, 16, 17, 20);
    h = 1 + rng.nextInt(rng.nextInt(4) == 0 ? 5 : 20);
    w = rng.nextInt(3) == 0 ? h : 1 + rng.nextInt(20);
    if (rng.nextInt(8) == 0) { // now and then a map whose stride-2 convs give whole 14-pixel rows (the in-place strided kernel)
      h = 8 + rng.nextInt(12);
      w = pick(27, 28, 55, 56);
    }
    out.append(String.format(Locale.ROOT, "input(%d, %d, %d%s)%n", c, h, w, rng.nextInt(4) == 0 ? normalization() : ""));
    int layers = 1 + rng.nextInt(6);
    for (int i = 0; i < layers; i++) featureLayer(0);
    switch (rng.nextInt(6)) {
      case 0 -> {} // the output is a feature map
      case 1 -> line(0, null, "softmax()");
      case 2 -> {
        if (c * h * w > 3000) {
          globalPool();
          line(0, null, "flatten()");
          flat = c;
        } else {
          flattenThroughResidual();
        }
        flatLayers();
      }
      default -> {
        if (rng.nextBoolean() || c * h * w > 3000) globalPool();
        line(0, null, "flatten()");
        flat = c * h * w;
        flatLayers();
      }
    }
    return out.toString();
  }

  private String normalization() {
    List<String> mean = new ArrayList<>(), std = new ArrayList<>();
    for (int i = 0; i < c; i++) {
      mean.add(String.format(Locale.ROOT, "%.3f", rng.nextDouble()));
      std.add(String.format(Locale.ROOT, "%.3f", 0.1 + rng.nextDouble()));
    }
    return ", mean = [" + String.join(", ", mean) + "], std = [" + String.join(", ", std) + "]";
  }

  private void featureLayer(int depth) {
    switch (rng.nextInt(19)) {
      case 18 -> sum(depth);
      case 16 -> gate(depth);
      case 17 -> line(depth, name(), rng.nextBoolean() ? "layernorm()" : "layernorm(eps = 1e-6)"); // over the channels
      case 0, 1, 2 -> conv(depth, false);
      case 12 -> pad(depth);
      case 13 -> concat(depth);
      case 14, 15 -> channelMove(depth);
      case 3 -> line(depth, name(), batchnorm());
      case 4, 5 -> line(depth, name(), activation());
      case 6 -> pool(depth);
      case 7 -> line(depth, name(), "softmax()"); // over channels, and not only at the end
      case 8 -> {
        line(depth, name(), "global_avgpool()");
        h = w = 1;
        conv(depth, false); // over a 1x1 map, padded or not
      }
      default -> residual(depth, true);
    }
  }

  private void globalPool() {
    line(0, name(), "global_avgpool()");
    h = 1;
    w = 1;
  }

  /** residual { flatten() } shortcut s { conv(c, 3, padding = 1) flatten() }: a flatten of a value a padded conv reads. */
  private void flattenThroughResidual() {
    line(0, null, "residual {");
    line(1, null, "flatten()");
    line(0, null, "} shortcut " + plainName() + " {");
    line(1, name(), String.format(Locale.ROOT, "conv(%d, 3, padding = 1)", c));
    line(1, null, "flatten()");
    line(0, null, "}");
    flat = c * h * w;
  }

  private void flatLayers() {
    int layers = rng.nextInt(5);
    for (int i = 0; i < layers; i++) {
      switch (rng.nextInt(5)) {
        case 0, 1 -> {
          flat = 1 + rng.nextInt(40);
          line(0, name(), "fc(" + flat + (rng.nextInt(4) == 0 ? ", bias = false" : "") + ")");
        }
        case 2 -> line(0, name(), activation());
        case 3 -> line(0, name(), batchnorm());
        default -> {
          if (rng.nextBoolean()) {
            line(0, null, "residual {");
            line(1, name(), activation());
            line(0, null, "}");
          } else {
            line(0, name(), "fc(" + flat + ")");
          }
        }
      }
    }
    if (rng.nextInt(3) == 0) line(0, null, "softmax()");
  }

  /** A conv; {@code same} keeps the map's size (stride 1, "same" padding, an odd kernel) and its channels. */
  private String convCall(boolean same, int stride) {
    int k = same ? pick(1, 3, 3, 5) : pick(1, 1, 2, 3, 3, 5);
    int kw = same || rng.nextInt(4) != 0 ? k : pick(1, 3);
    int dilation = rng.nextInt(5) == 0 ? pick(2, 2, 3) : 1;
    int groups = divisor(c);
    boolean depthwise = rng.nextInt(5) == 0; // each channel its own window: the depthwise kernel
    if (depthwise) groups = c;
    int outs = same || depthwise ? c : groups * (1 + rng.nextInt(Math.max(1, 40 / groups)));
    if (!same && !depthwise && rng.nextInt(3) == 0) outs = Math.max(groups, Math.min(outs, c + 3) / groups * groups);
    int ph, pw, pb = -1, pr = -1; // bottom and right: -1 for the same as top and left
    if (same) {
      ph = dilation * (k - 1) / 2;
      pw = dilation * (kw - 1) / 2;
    } else if (rng.nextInt(8) == 0) {
      ph = k + rng.nextInt(2); // padding past the window: borders wider than the kernel reads
      pw = kw + rng.nextInt(2);
    } else {
      ph = rng.nextInt(Math.min(k, 3));
      pw = k == kw && rng.nextBoolean() ? ph : rng.nextInt(Math.min(kw, 3));
      if (rng.nextInt(5) == 0) { // [top, left, bottom, right]
        pb = rng.nextInt(Math.min(k, 3));
        pr = rng.nextInt(Math.min(kw, 3));
      }
    }
    if (pb < 0) {
      pb = ph;
      pr = pw;
    }
    // shrink the window until it fits the padded map
    while (dilation * (k - 1) + 1 > h + ph + pb && k > 1) k--;
    while (dilation * (kw - 1) + 1 > w + pw + pr && kw > 1) kw--;
    if (same && (k % 2 == 0 || kw % 2 == 0 || ph != dilation * (k - 1) / 2 || pw != dilation * (kw - 1) / 2)) {
      k = kw = 1;
      ph = pw = 0;
    }
    StringBuilder b = new StringBuilder("conv(").append(outs).append(", ").append(k == kw ? String.valueOf(k) : "[" + k + ", " + kw + "]");
    if (stride != 1) b.append(", stride = ").append(stride);
    if (pb != ph || pr != pw) b.append(", padding = [").append(ph).append(", ").append(pw).append(", ").append(pb).append(", ").append(pr).append(']');
    else if (ph != 0 || pw != 0) b.append(", padding = ").append(ph == pw ? String.valueOf(ph) : "[" + ph + ", " + pw + "]");
    if (groups != 1) b.append(", groups = ").append(groups);
    if (dilation != 1) b.append(", dilation = ").append(dilation);
    if (rng.nextInt(3) == 0) b.append(", bias = false");
    c = outs;
    h = (h + ph + pb - dilation * (k - 1) - 1) / stride + 1;
    w = (w + pw + pr - dilation * (kw - 1) - 1) / stride + 1;
    return b.append(')').toString();
  }

  private void conv(int depth, boolean same) {
    line(depth, name(), convCall(same, same ? 1 : pick(1, 1, 1, 2, 3)));
  }

  private String batchnorm() {
    return rng.nextBoolean() ? "batchnorm()" : "batchnorm(eps = 0.001)";
  }

  private String activation() {
    return switch (rng.nextInt(8)) {
      case 6 -> rng.nextBoolean() ? "silu()" : "hardswish()";
      case 7 -> rng.nextBoolean() ? "hardsigmoid()" : "gelu()";
      case 5 -> pick(0, 1, 2) == 0 ? "clip(0, 6)" : rng.nextBoolean() ? "clip(min = -0.5, max = 0.25)" : "clip(max = 0.1)";
      case 0, 1 -> "relu()";
      case 2 -> "sigmoid()";
      case 3 -> "tanh()";
      default -> rng.nextBoolean() ? "leaky_relu()" : "leaky_relu(slope = 0.2)";
    };
  }

  private void pool(int depth) {
    String op = rng.nextBoolean() ? "maxpool" : "avgpool";
    int k = Math.min(pick(1, 2, 2, 3, 3), Math.min(h, w));
    int s = rng.nextInt(3) == 0 ? 1 : pick(1, 2, k);
    int p = rng.nextInt(3) == 0 ? k / 2 : 0;
    String args = k + (s != k ? ", stride = " + s : "") + (p != 0 ? ", padding = " + p : "");
    int[] pads = {p, p, p, p};
    if (rng.nextInt(4) == 0) { // [top, left, bottom, right], each at most half the kernel
      for (int i = 0; i < 4; i++) pads[i] = rng.nextInt(k / 2 + 1);
      args = k + (s != k ? ", stride = " + s : "") + String.format(Locale.ROOT, ", padding = [%d, %d, %d, %d]", pads[0], pads[1], pads[2], pads[3]);
    }
    boolean ceil = rng.nextInt(3) == 0;
    if (ceil) args += ", ceil_mode = true";
    if (op.equals("avgpool") && rng.nextInt(3) == 0) args += ", count_include_pad = false";
    line(depth, name(), op + "(" + args + ")");
    h = pooled(h, k, s, pads[0], pads[2], ceil);
    w = pooled(w, k, s, pads[1], pads[3], ceil);
  }

  /** torch's pooled size, rounding up in ceil mode unless the last window would start past the input and its leading padding. */
  private static int pooled(int in, int k, int s, int before, int after, boolean ceil) {
    int num = in + before + after - k;
    int out = (ceil ? (num + s - 1) / s : num / s) + 1;
    return ceil && (out - 1) * s >= in + before ? out - 1 : out;
  }

  /** pad([top, left, bottom, right]) of a few zeros, now and then none on a side. */
  private void pad(int depth) {
    int[] p = new int[4];
    for (int i = 0; i < 4; i++) p[i] = rng.nextInt(3);
    line(depth, name(), String.format(Locale.ROOT, "pad([%d, %d, %d, %d])", p[0], p[1], p[2], p[3]));
    h += p[0] + p[2];
    w += p[1] + p[3];
  }

  /**
   * A squeeze-and-excitation gate: the body pools to one value a channel, squeezes and expands with 1x1
   * convs and ends in a sigmoid or hardsigmoid; the gate scales each channel of the map by it (the map's
   * own buffer may take the result: the gate reads each element just before it writes it).
   */
  private void gate(int depth) {
    line(depth, null, "gate {");
    line(depth + 1, name(), "global_avgpool()");
    line(depth + 1, name(), String.format(Locale.ROOT, "conv(%d, 1)", Math.max(1, c / 4)));
    line(depth + 1, name(), rng.nextBoolean() ? "relu()" : "silu()");
    line(depth + 1, name(), String.format(Locale.ROOT, "conv(%d, 1%s)", c, rng.nextBoolean() ? ", bias = false" : ""));
    line(depth + 1, name(), rng.nextBoolean() ? "sigmoid()" : "hardsigmoid()");
    line(depth, null, "}");
  }

  /** A shape-keeping residual, or one whose main path changes the shape and a downsample shortcut follows. */
  private void residual(int depth, boolean mayProject) {
    int c0 = c, h0 = h, w0 = w;
    boolean project = mayProject && rng.nextBoolean();
    line(depth, null, "residual {");
    int layers = 1 + rng.nextInt(3);
    int stride = 1;
    if (project) {
      stride = pick(1, 2, 2);
      int outs = pick(4, 8, 16, 17, 32);
      int g = rng.nextInt(3) == 0 && c % 4 == 0 && outs % 4 == 0 ? 4 : 1;
      line(depth + 1, name(), String.format(Locale.ROOT, "conv(%d, 3, stride = %d, padding = 1%s)", outs, stride, g > 1 ? ", groups = " + g : ""));
      c = outs;
      h = (h - 1) / stride + 1;
      w = (w - 1) / stride + 1;
      layers--;
    }
    for (int i = 0; i < layers; i++) {
      switch (rng.nextInt(6)) {
        case 0, 1 -> conv(depth + 1, true);
        case 2 -> line(depth + 1, name(), batchnorm());
        case 3 -> line(depth + 1, name(), activation());
        case 4 -> line(depth + 1, name(), rng.nextBoolean() ? "maxpool(3, stride = 1, padding = 1)" : "avgpool(1)");
        default -> {
          if (depth < 2) residual(depth + 1, false); // the shortcut below assumes this path keeps the shape
          else line(depth + 1, name(), activation());
        }
      }
    }
    boolean changed = c != c0 || h != h0 || w != w0;
    if (changed) {
      line(depth, null, "} shortcut " + plainName() + " {");
      int k = rng.nextBoolean() ? 1 : 3;
      line(depth + 1, name(), String.format(Locale.ROOT, "conv(%d, %d, stride = %d%s%s)", c, k, stride, k == 3 ? ", padding = 1" : "",
          rng.nextBoolean() ? ", bias = false" : ""));
      if (rng.nextBoolean()) line(depth + 1, name(), "batchnorm()");
      line(depth, null, "}");
    } else {
      line(depth, null, "}");
    }
    if (rng.nextBoolean()) line(depth, name(), "relu()");
  }

  /**
   * concat { ... } and { ... }: two or three branches from the current map, each a conv that keeps
   * its size (or all with the same stride) and now and then more layers; an empty branch (the input
   * itself) when they keep the size. Channel counts mix whole and partial 16-channel blocks, so
   * both the in-place and the copying concat are fuzzed.
   */
  private void concat(int depth) {
    int c0 = c, h0 = h, w0 = w, total = 0, stride = rng.nextInt(4) == 0 ? 2 : 1;
    int branches = pick(2, 2, 3);
    for (int b = 0; b < branches; b++) {
      String scope = rng.nextInt(4) == 0 ? plainName() + ": " : "";
      line(depth, null, (b == 0 ? "concat " : "} and ") + scope + "{");
      c = c0;
      h = h0;
      w = w0;
      if (stride == 1 && rng.nextInt(4) == 0) {
        total += c; // an empty branch: the input itself
        continue;
      }
      int outs = pick(3, 8, 16, 16, 17, 32), k = Math.min(pick(1, 3, 3, 5), 2 * Math.min(h, w) - 1) / 2 * 2 + 1;
      line(depth + 1, name(), String.format(Locale.ROOT, "conv(%d, %d%s%s)", outs, k, stride == 1 ? "" : ", stride = " + stride,
          k > 1 ? ", padding = " + k / 2 : ""));
      c = outs;
      h = (h - 1) / stride + 1;
      w = (w - 1) / stride + 1;
      if (rng.nextBoolean()) line(depth + 1, name(), activation());
      if (rng.nextInt(4) == 0) {
        if (depth < 2 && rng.nextBoolean()) residual(depth + 1, false);
        else conv(depth + 1, true);
      }
      total += c;
    }
    line(depth, null, "}");
    c = total;
  }

  /**
   * sum { ... } and { ... }: two or three branches from the current map, each a conv to the same channels at the
   * same stride (RepVGG's 3x3 and 1x1 side by side; now and then grouped), now and then a batch norm and an activation
   * after it; one empty branch (the input itself) or the input's batch norm, not the first, where the convs keep the map's shape; now and then a batch norm
   * after the sum. The adds fold into a branch's conv as a residual's does.
   */
  private void sum(int depth) {
    int c0 = c, h0 = h, w0 = w, stride = rng.nextInt(4) == 0 ? 2 : 1;
    int outs = stride == 1 && rng.nextBoolean() ? c0 : pick(3, 8, 16, 16, 17, 32);
    boolean empty = false;
    int branches = pick(2, 2, 3);
    for (int b = 0; b < branches; b++) {
      String scope = rng.nextInt(4) == 0 ? plainName() + ": " : "";
      line(depth, null, (b == 0 ? "sum " : "} and ") + scope + "{");
      if (b > 0 && !empty && stride == 1 && outs == c0 && rng.nextInt(3) == 0) {
        empty = true; // the input itself, or its batch norm (RepVGG's identity branch)
        if (rng.nextBoolean()) line(depth + 1, name(), batchnorm());
        continue;
      }
      int k = Math.min(pick(1, 3, 3, 5), 2 * Math.min(h0, w0) - 1) / 2 * 2 + 1;
      int groups = divisor(gcd(c0, outs)); // now and then grouped: branches of one group count merge
      line(depth + 1, name(), String.format(Locale.ROOT, "conv(%d, %d%s%s%s)", outs, k, stride == 1 ? "" : ", stride = " + stride,
          k > 1 ? ", padding = " + k / 2 : "", groups > 1 ? ", groups = " + groups : ""));
      if (rng.nextBoolean()) line(depth + 1, name(), batchnorm());
      if (rng.nextBoolean()) line(depth + 1, name(), activation());
    }
    line(depth, null, "}");
    if (rng.nextInt(3) == 0) line(depth, name(), batchnorm()); // after the sum, as ACNet's and DBB's blocks: folds once merged
    c = outs;
    h = (h0 - 1) / stride + 1;
    w = (w0 - 1) / stride + 1;
  }

  /**
   * channels(start, end) or channel_shuffle(groups), and as often another move right after it, or a
   * concat: the chains compose-gathers writes as one gather, from one map or several.
   */
  private void channelMove(int depth) {
    if (c < 2) return;
    if (rng.nextBoolean()) {
      int start = rng.nextInt(c - 1), end = start + 1 + rng.nextInt(c - start);
      line(depth, name(), String.format(Locale.ROOT, "channels(%d, %d)", start, end));
      c = end - start;
    } else {
      int groups = divisor(c);
      line(depth, name(), String.format(Locale.ROOT, "channel_shuffle(%d)", groups == 1 && c % 2 == 0 ? 2 : groups));
    }
    switch (rng.nextInt(4)) {
      case 0 -> channelMove(depth);
      case 1 -> concat(depth);
      default -> {}
    }
  }

  /** Null (an unnamed layer) most of the time, else a fresh name, now and then a hard one. */
  private String name() {
    int r = rng.nextInt(10);
    if (r < 7) return null;
    if (r < 9) return plainName();
    String hard = HARD_NAMES.get(rng.nextInt(HARD_NAMES.size()));
    String candidate = hard;
    for (int i = 2; names.contains(candidate); i++) candidate = hard + i;
    names.add(candidate);
    return "\"" + candidate.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private String plainName() {
    String n;
    do {
      n = "l" + rng.nextInt(1000);
    } while (!names.add(n));
    return n;
  }

  private void line(int depth, String name, String text) {
    out.append("    ".repeat(depth)).append(name == null ? "" : name + ": ").append(text).append('\n');
  }

  private int pick(int... values) {
    return values[rng.nextInt(values.length)];
  }

  /** A random divisor of n, 1 most often. */
  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private int divisor(int n) {
    if (rng.nextInt(3) != 0) return 1;
    List<Integer> d = new ArrayList<>();
    for (int i = 1; i <= n; i++) if (n % i == 0) d.add(i);
    return d.get(rng.nextInt(d.size()));
  }
}
