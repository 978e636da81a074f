package netc.ir;

import java.util.List;

/**
 * A parameter tensor as an expression over the named tensors of a weights file. Passes rewrite
 * parameters symbolically (batch-norm folding scales a conv weight), so the IR never holds weights
 * and every rewrite stays visible in the text form; binding evaluates the expression once, in double.
 */
public sealed interface ParamExpr {
  /** The tensor's full shape, e.g. [out, in/groups, kh, kw] for a conv weight. */
  Shape shape();

  float[] evaluate(ParamSource source);

  String describe();

  /** The expressions this one is computed from (none for a {@link Ref}). */
  List<ParamExpr> operands();

  /** Every raw tensor this expression reads, depth first, in order. */
  default List<Ref> refs() {
    if (this instanceof Ref r) return List.of(r);
    java.util.ArrayList<Ref> out = new java.util.ArrayList<>();
    for (ParamExpr e : operands()) if (e != null) out.addAll(e.refs());
    return out;
  }

  /**
   * A tensor read from the weights file by its hierarchical name. Its shape must fit one float[]:
   * the spec refuses larger ones with their place, so this only guards against a compiler bug that
   * would otherwise surface as a NegativeArraySizeException far from its cause.
   */
  record Ref(String name, Shape shape) implements ParamExpr {
    public Ref {
      if (shape.size() > netc.runtime.LargeArrays.MAX_ARRAY) {
        throw new IllegalArgumentException(name + ": " + shape + " is over the JVM's array limit");
      }
    }

    @Override
    public List<ParamExpr> operands() {
      return List.of();
    }

    @Override
    public float[] evaluate(ParamSource source) {
      return source.tensor(name, shape);
    }

    @Override
    public String describe() {
      return name + "[" + shape + "]";
    }
  }

  /** w[o,...] * gamma[o] / sqrt(var[o] + eps): a conv weight with the batch-norm scale folded in. */
  record BnScaledWeight(ParamExpr weight, ParamExpr gamma, ParamExpr var, double eps) implements ParamExpr {
    @Override
    public List<ParamExpr> operands() {
      return List.of(weight, gamma, var);
    }

    @Override
    public Shape shape() {
      return weight.shape();
    }

    @Override
    public float[] evaluate(ParamSource source) {
      float[] w = weight.evaluate(source);
      float[] g = gamma.evaluate(source);
      float[] v = var.evaluate(source);
      int per = w.length / g.length;
      float[] out = new float[w.length];
      for (int o = 0; o < g.length; o++) {
        double scale = g[o] / Math.sqrt((double) v[o] + eps);
        for (int i = 0; i < per; i++) out[o * per + i] = (float) (w[o * per + i] * scale);
      }
      return out;
    }

    @Override
    public String describe() {
      // every operand and eps, so a printed fold can be checked (an ONNX model's epsilon = 1e-3 as well as PyTorch's 1e-5)
      return "bn_scale(" + weight.describe() + ", " + gamma.describe() + ", " + var.describe() + ", eps=" + eps + ")";
    }
  }

  /** beta + (bias - mean) * gamma / sqrt(var + eps); bias is null when the conv had none. */
  record BnShiftedBias(ParamExpr bias, ParamExpr gamma, ParamExpr beta, ParamExpr mean, ParamExpr var, double eps)
      implements ParamExpr {
    @Override
    public List<ParamExpr> operands() {
      return bias == null ? List.of(gamma, beta, mean, var) : List.of(bias, gamma, beta, mean, var);
    }

    @Override
    public Shape shape() {
      return gamma.shape();
    }

    @Override
    public float[] evaluate(ParamSource source) {
      float[] g = gamma.evaluate(source);
      float[] b = beta.evaluate(source);
      float[] m = mean.evaluate(source);
      float[] v = var.evaluate(source);
      float[] c = bias == null ? new float[g.length] : bias.evaluate(source);
      float[] out = new float[g.length];
      for (int o = 0; o < g.length; o++) {
        out[o] = (float) (b[o] + ((double) c[o] - m[o]) * g[o] / Math.sqrt((double) v[o] + eps));
      }
      return out;
    }

    @Override
    public String describe() {
      return "bn_shift(" + (bias == null ? "0" : bias.describe()) + ", " + gamma.describe() + ", " + beta.describe() + ", " + mean.describe()
          + ", " + var.describe() + ", eps=" + eps + ")";
    }
  }

  /** w[o,c,...] / std[c]: a first-layer weight that reads raw pixels instead of normalized ones. */
  record InputScaledWeight(ParamExpr weight, List<Double> std) implements ParamExpr {
    @Override
    public List<ParamExpr> operands() {
      return List.of(weight);
    }

    public InputScaledWeight {
      std = List.copyOf(std);
    }

    @Override
    public Shape shape() {
      return weight.shape();
    }

    @Override
    public float[] evaluate(ParamSource source) {
      float[] w = weight.evaluate(source);
      Shape s = weight.shape();
      int in = s.dim(1);
      int k = (int) (s.size() / s.dim(0) / in);
      float[] out = new float[w.length];
      for (int i = 0; i < w.length; i++) out[i] = (float) (w[i] / std.get((i / k) % in));
      return out;
    }

    @Override
    public String describe() {
      return "input_scale(" + weight.describe() + ", std=" + std + ")";
    }
  }

  /** bias[o] - sum over c,kh,kw of w[o,c,kh,kw] * mean[c] / std[c]: the shift of input normalization. */
  record InputShiftedBias(ParamExpr weight, ParamExpr bias, List<Double> mean, List<Double> std) implements ParamExpr {
    @Override
    public List<ParamExpr> operands() {
      return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    public InputShiftedBias {
      mean = List.copyOf(mean);
      std = List.copyOf(std);
    }

    @Override
    public Shape shape() {
      return new Shape(weight.shape().dim(0));
    }

    @Override
    public float[] evaluate(ParamSource source) {
      float[] w = weight.evaluate(source);
      Shape s = weight.shape();
      int outs = s.dim(0);
      int in = s.dim(1);
      int k = (int) (s.size() / outs / in);
      float[] b = bias == null ? new float[outs] : bias.evaluate(source);
      float[] out = new float[outs];
      for (int o = 0; o < outs; o++) {
        double acc = b[o];
        for (int c = 0; c < in; c++) {
          for (int j = 0; j < k; j++) acc -= w[(o * in + c) * k + j] * mean.get(c) / std.get(c);
        }
        out[o] = (float) acc;
      }
      return out;
    }

    @Override
    public String describe() {
      return "input_shift(" + weight.describe() + ", " + (bias == null ? "0" : bias.describe()) + ")";
    }
  }

  /**
   * Tensors of one role added: biases, or conv kernels each zero-padded around its center to {@code shape}
   * (a 1x1 kernel is the center of a 3x3), as merging the convs of a sum adds them (RepVGG's re-parameterization:
   * a 3x3, a 1x1 and an identity on one input are one 3x3 conv).
   */
  record Sum(List<ParamExpr> terms, Shape shape) implements ParamExpr {
    public Sum {
      terms = List.copyOf(terms);
      for (ParamExpr t : terms) {
        Shape s = t.shape();
        boolean fits = s.equals(shape) || s.rank() == 4 && shape.rank() == 4 && s.dim(0) == shape.dim(0) && s.dim(1) == shape.dim(1)
            && s.dim(2) <= shape.dim(2) && s.dim(3) <= shape.dim(3) && (shape.dim(2) - s.dim(2)) % 2 == 0 && (shape.dim(3) - s.dim(3)) % 2 == 0;
        if (!fits) throw new IllegalArgumentException("a term of " + s + " does not center in " + shape);
      }
    }

    @Override
    public List<ParamExpr> operands() {
      return terms;
    }

    @Override
    public float[] evaluate(ParamSource source) {
      double[] acc = new double[(int) shape.size()];
      for (ParamExpr t : terms) {
        float[] v = t.evaluate(source);
        Shape s = t.shape();
        if (s.equals(shape)) {
          for (int i = 0; i < v.length; i++) acc[i] += v[i];
          continue;
        }
        int kh = s.dim(2), kw = s.dim(3), h = shape.dim(2), w = shape.dim(3), top = (h - kh) / 2, left = (w - kw) / 2;
        int planes = s.dim(0) * s.dim(1);
        for (int pl = 0; pl < planes; pl++) {
          for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) acc[(pl * h + top + y) * w + left + x] += v[(pl * kh + y) * kw + x];
          }
        }
      }
      float[] out = new float[acc.length];
      for (int i = 0; i < out.length; i++) out[i] = (float) acc[i];
      return out;
    }

    @Override
    public String describe() {
      StringBuilder b = new StringBuilder("sum(");
      for (int i = 0; i < terms.size(); i++) b.append(i == 0 ? "" : ", ").append(terms.get(i).describe());
      return b.append(")").toString();
    }
  }

  /**
   * The kernel of the identity, [out, in / groups, kh, kw] with out = in: 1 at the center tap from each output
   * channel's own input channel, 0 elsewhere (a conv of it gives its input back, at stride 1).
   */
  record IdentityKernel(Shape shape) implements ParamExpr {
    public IdentityKernel {
      if (shape.rank() != 4 || shape.dim(2) % 2 == 0 || shape.dim(3) % 2 == 0) throw new IllegalArgumentException("no identity kernel of " + shape);
    }

    @Override
    public List<ParamExpr> operands() {
      return List.of();
    }

    @Override
    public float[] evaluate(ParamSource source) {
      int outs = shape.dim(0), per = shape.dim(1), kh = shape.dim(2), kw = shape.dim(3);
      float[] out = new float[(int) shape.size()];
      // with groups, output channel o's own input channel is o's place in its group (out = in, so groups split both alike)
      for (int o = 0; o < outs; o++) out[((o * per + o % per) * kh + kh / 2) * kw + kw / 2] = 1;
      return out;
    }

    @Override
    public String describe() {
      return "identity[" + shape + "]";
    }
  }
}
