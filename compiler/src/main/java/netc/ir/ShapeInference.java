package netc.ir;

import java.util.List;

/** The output shape of every op from its attributes and input shapes; the one place shapes are derived. */
public final class ShapeInference {
  private ShapeInference() {}

  public static Shape infer(Op op, Attrs a, List<Shape> in) {
    return switch (op) {
      case INPUT -> throw new IllegalStateException("input shape is declared, not inferred");
      case CONV -> conv(a, in);
      case MAXPOOL, AVGPOOL -> pool(op, a, feature(op, in.get(0)));
      case GLOBAL_AVGPOOL -> new Shape(feature(op, in.get(0)).channels(), 1, 1);
      case FLATTEN -> new Shape((int) checkedSize(in.get(0)));
      case FC -> fc(a, in);
      case ADD -> add(in);
      case CONCAT -> concat(in);
      case GATE -> gate(in);
      case BATCHNORM -> {
        if (in.get(0).rank() != 3 && in.get(0).rank() != 1) throw new ShapeError("batchnorm expects CxHxW or a flat input, got " + in.get(0));
        yield in.get(0);
      }
      case PAD -> pad(a, feature(op, in.get(0)));
      case LAYERNORM -> feature(op, in.get(0));
      case CHANNELS -> {
        Shape x = feature(op, in.get(0));
        int start = a.getInt("start"), end = a.getInt("end");
        if (start < 0 || end <= start || end > x.channels()) {
          throw new ShapeError("channels(" + start + ", " + end + ") of a map of " + x.channels() + " channels; it takes 0 <= start < end <= "
              + x.channels());
        }
        yield new Shape(end - start, x.height(), x.width());
      }
      case CHANNEL_SHUFFLE -> {
        Shape x = feature(op, in.get(0));
        int groups = a.getInt("groups");
        if (groups < 1 || x.channels() % groups != 0) {
          throw new ShapeError("channel_shuffle(" + groups + ") of a map of " + x.channels() + " channels; the groups must divide the channels");
        }
        yield x;
      }
      case GATHER -> gather(a, in);
      case RELU, SIGMOID, TANH, LEAKY_RELU, CLIP, SILU, HARDSIGMOID, HARDSWISH, GELU, SOFTMAX, REORDER -> in.get(0);
    };
  }

  /**
   * A CHANNELS or CHANNEL_SHUFFLE node as the runtime's channel gather ({@code Reorder.sourceChannel}):
   * {start, groups}. channels(start, end) is {start, 1}; channel_shuffle(g) is {0, g}.
   */
  public static int[] channelGather(Op op, Attrs a) {
    return switch (op) {
      case CHANNELS -> new int[] {a.getInt("start"), 1};
      case CHANNEL_SHUFFLE -> new int[] {0, a.getInt("groups")};
      default -> throw new IllegalArgumentException(op + " does not move channels");
    };
  }

  /** A gather's output: the channels its runs give ({@link ChannelRuns}), every input a map of the same height and width. */
  private static Shape gather(Attrs a, List<Shape> in) {
    if (!a.has("runs")) throw new ShapeError("gather needs its runs");
    Shape first = feature(Op.GATHER, in.get(0));
    for (Shape s : in) {
      if (feature(Op.GATHER, s).height() != first.height() || s.width() != first.width()) {
        throw new ShapeError("gather inputs must have one height and width, got " + first + " and " + s);
      }
    }
    long channels = ChannelRuns.outputs(a.getInts("runs"));
    if (channels < 1 || channels > 1 << 24) throw new ShapeError("gather's runs give " + channels + " channels");
    ChannelRuns.expand(a.getInts("runs"), (int) channels, in);
    return new Shape((int) channels, first.height(), first.width());
  }

  private static Shape feature(Op op, Shape s) {
    if (s.rank() != 3) throw new ShapeError(op.spelling() + " expects a CxHxW feature map, got " + s);
    return s;
  }

  private static long checkedSize(Shape s) {
    long n = s.size();
    if (n > Integer.MAX_VALUE) throw new ShapeError("tensor of " + n + " elements per image is too large");
    return n;
  }

  /** floor((in + 2p - d(k-1) - 1) / s) + 1, as torch computes it; an error when not positive. */
  static int outSize(String what, int in, int k, int s, int p, int d) {
    return outSize(what, in, k, s, p, p, d, false);
  }

  /**
   * The output size with padding {@code p0} before and {@code p1} after: torch's rule
   * (pooling_output_shape_pad_lr), rounding up in ceil mode, where the last window must still start
   * inside the input or the leading padding. The quotient is rounded down, as torch's div_rtn, also
   * when negative: so in ceil mode a window up to {@code s - 1} longer than the padded input gives one
   * output (it covers the whole input), and anything that gives no output is an error, as in torch.
   */
  static int outSize(String what, int in, int k, int s, int p0, int p1, int d, boolean ceil) {
    long span = (long) d * (k - 1) + 1;
    long padded = (long) in + p0 + p1;
    long out = Math.floorDiv(padded - span + (ceil ? s - 1 : 0), s) + 1;
    if (ceil && (out - 1) * s >= (long) in + p0) out--;
    if (out < 1) {
      throw new ShapeError(what + " window " + span + " is larger than the padded input " + padded
          + (ceil ? " by " + (span - padded) + "; ceil mode allows at most stride - 1 = " + (s - 1) : ""));
    }
    return (int) out;
  }

  private static Shape conv(Attrs a, List<Shape> in) {
    Shape x = feature(Op.CONV, in.get(0));
    int out = a.getInt("out");
    int groups = a.getInt("groups");
    List<Integer> k = a.getInts("kernel"), s = a.getInts("stride"), p = a.getInts("padding"), d = a.getInts("dilation");
    List<Integer> e = a.paddingEnd();
    if (x.channels() % groups != 0 || out % groups != 0) {
      throw new ShapeError("groups=" + groups + " must divide input channels " + x.channels() + " and output channels " + out);
    }
    int h = outSize("conv", x.height(), k.get(0), s.get(0), p.get(0), e.get(0), d.get(0), false);
    int w = outSize("conv", x.width(), k.get(1), s.get(1), p.get(1), e.get(1), d.get(1), false);
    Shape result = new Shape(out, h, w);
    if (in.size() > 1 && !in.get(1).equals(result)) {
      throw new ShapeError("residual operand " + in.get(1) + " does not match conv output " + result);
    }
    return result;
  }

  private static Shape pool(Op op, Attrs a, Shape x) {
    List<Integer> k = a.getInts("kernel"), s = a.getInts("stride"), p = a.getInts("padding"), e = a.paddingEnd();
    // torch's limit; it also keeps every window over at least one input pixel (a max of nothing is -inf)
    if (p.get(0) * 2 > k.get(0) || p.get(1) * 2 > k.get(1) || e.get(0) * 2 > k.get(0) || e.get(1) * 2 > k.get(1)) {
      throw new ShapeError(op.spelling() + " padding " + (a.has("padding_end") ? padText(p, e) : p) + " must be at most half the kernel " + k);
    }
    boolean ceil = a.has("ceil_mode") && a.getBool("ceil_mode");
    int h = outSize(op.spelling(), x.height(), k.get(0), s.get(0), p.get(0), e.get(0), 1, ceil);
    int w = outSize(op.spelling(), x.width(), k.get(1), s.get(1), p.get(1), e.get(1), 1, ceil);
    return new Shape(x.channels(), h, w);
  }

  private static String padText(List<Integer> p, List<Integer> e) {
    return "[" + p.get(0) + ", " + p.get(1) + ", " + e.get(0) + ", " + e.get(1) + "]";
  }

  private static Shape pad(Attrs a, Shape x) {
    List<Integer> p = a.getInts("padding"), e = a.paddingEnd();
    long h = (long) x.height() + p.get(0) + e.get(0), w = (long) x.width() + p.get(1) + e.get(1);
    if (h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) throw new ShapeError("pad gives a feature map too large: " + h + "x" + w);
    return new Shape(x.channels(), (int) h, (int) w);
  }

  private static Shape fc(Attrs a, List<Shape> in) {
    if (in.get(0).rank() != 1) throw new ShapeError("fc expects a flat input, got " + in.get(0) + "; add flatten() before it");
    return new Shape(a.getInt("out"));
  }

  /** Channels summed; every input a feature map of the first one's height and width. */
  private static Shape concat(List<Shape> in) {
    if (in.size() < 2) throw new ShapeError("concat joins at least two branches, got " + in.size());
    Shape first = feature(Op.CONCAT, in.get(0));
    long channels = 0;
    for (int i = 0; i < in.size(); i++) {
      Shape s = feature(Op.CONCAT, in.get(i));
      if (s.height() != first.height() || s.width() != first.width()) {
        throw new ShapeError("concat joins maps of one height and width: branch 1 gives " + first + ", branch " + (i + 1) + " gives " + s);
      }
      channels += s.channels();
    }
    if (channels > Integer.MAX_VALUE) throw new ShapeError("concat of " + channels + " channels is too large");
    return new Shape((int) channels, first.height(), first.width());
  }

  /** A feature map and one value per channel. */
  private static Shape gate(List<Shape> in) {
    Shape x = in.get(0), g = in.get(1);
    if (x.rank() != 3 || g.rank() != 3 || g.channels() != x.channels() || g.height() != 1 || g.width() != 1) {
      throw new ShapeError("the gate's body gives " + g + " for an input of " + x + "; a gate multiplies each channel of a feature map by one value, so its body must give "
          + (x.rank() == 3 ? "[" + x.channels() + ", 1, 1]" : "one value per channel of a CxHxW map"));
    }
    return x;
  }

  private static Shape add(List<Shape> in) {
    if (!in.get(0).equals(in.get(1))) {
      throw new ShapeError("shape mismatch at add: main path gives " + in.get(0) + ", shortcut gives " + in.get(1));
    }
    return in.get(0);
  }
}
