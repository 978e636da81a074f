package netc.weights;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.ParamExpr;
import netc.ir.ParamSource;
import netc.runtime.Tensor;

/**
 * Deterministic weights with realistic statistics, so everything in netc runs without downloads:
 * conv weights He-initialized (normal, std sqrt(2 / fan_in)), fc weights uniform in
 * +-1/sqrt(fan_in) as torch initializes them, and batch-norm statistics that are far from the
 * identity (gamma around 1 but not 1, non-zero beta and running mean, variance away from 1), so that
 * folding batch norms is really exercised. A batch norm that feeds a residual add gets a smaller gamma
 * (0.3 to 0.6), in the spirit of torchvision's zero_init_residual: otherwise every block adds its
 * full output to the shortcut and the logits of resnet50 grow into the hundreds (measured: 876).
 * Each tensor draws from its own generator seeded by the seed and the tensor's name, so adding a
 * layer changes no other tensor.
 */
public final class SyntheticWeights {
  private SyntheticWeights() {}

  /** The synthetic weights of {@code graph} as a parameter source, for binding in place of a file. */
  public static ParamSource source(Graph graph, long seed) {
    Map<String, Tensor> tensors = generate(graph, seed);
    return (name, expected) -> tensors.get(name).data();
  }

  public static Map<String, Tensor> generate(Graph graph, long seed) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Node n : graph.nodes()) {
      for (Map.Entry<String, ParamExpr> p : n.params().entrySet()) add(graph, n, n.op(), p.getKey(), p.getValue(), seed, out, false);
    }
    return out;
  }

  /**
   * Draws the tensors {@code e} refers to, each by the role it had in the spec: a folded conv's
   * weight expression still refers to its batch norm's gamma and variance, which get a batch norm's
   * statistics (a conv weight's distribution would make some variances negative, and the folded
   * graph's outputs NaN), so a graph's weights are the same tensors before and after the passes. {@code summed}:
   * inside a merged conv's {@link ParamExpr.Sum}, whose terms' branches fed an add before the merge.
   */
  private static void add(Graph graph, Node n, Op op, String role, ParamExpr e, long seed, Map<String, Tensor> out, boolean summed) {
    if (e == null) return;
    if (e instanceof ParamExpr.Ref ref) {
      if (out.containsKey(ref.name())) return;
      Random rng = new Random(seed * 0x9E3779B97F4A7C15L + ref.name().hashCode());
      float[] v = new float[(int) ref.shape().size()];
      fill(op, role, ref, v, rng);
      if (op == Op.BATCHNORM && role.equals("weight") && (summed || feedsAdd(graph, n))) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (0.3 + 0.3 * rng.nextDouble());
      }
      out.put(ref.name(), new Tensor(ref.shape().dims(), v));
    } else if (e instanceof ParamExpr.BnScaledWeight w) {
      add(graph, n, op, role, w.weight(), seed, out, summed);
      add(graph, n, Op.BATCHNORM, "weight", w.gamma(), seed, out, summed);
      add(graph, n, Op.BATCHNORM, "running_var", w.var(), seed, out, summed);
    } else if (e instanceof ParamExpr.BnShiftedBias b) {
      add(graph, n, op, role, b.bias(), seed, out, summed);
      add(graph, n, Op.BATCHNORM, "weight", b.gamma(), seed, out, summed);
      add(graph, n, Op.BATCHNORM, "bias", b.beta(), seed, out, summed);
      add(graph, n, Op.BATCHNORM, "running_mean", b.mean(), seed, out, summed);
      add(graph, n, Op.BATCHNORM, "running_var", b.var(), seed, out, summed);
    } else if (e instanceof ParamExpr.InputScaledWeight w) {
      add(graph, n, op, role, w.weight(), seed, out, summed);
    } else if (e instanceof ParamExpr.InputShiftedBias b) {
      add(graph, n, op, "weight", b.weight(), seed, out, summed);
      add(graph, n, op, "bias", b.bias(), seed, out, summed);
    } else if (e instanceof ParamExpr.Sum sum) {
      // a merged conv's terms: its branches' kernels or biases (each a ref or a folded batch norm's expression), in their roles
      for (ParamExpr t : sum.terms()) add(graph, n, op, role, t, seed, out, true); // each term's branch fed the merged add
    } else if (e instanceof ParamExpr.IdentityKernel) {
      // no tensor of the weights file
    } else {
      throw new IllegalStateException("no synthetic weights for " + e.getClass().getSimpleName());
    }
  }

  /**
   * Whether n's output (a batch norm's, or the conv it folded into) is added to another branch's, directly or
   * through activations (a branch's batch norm, relu, then the add: after the passes one conv whose epilogue
   * holds all three), so that the same tensors are drawn before and after the passes.
   */
  private static boolean feedsAdd(Graph graph, Node n) {
    if (n.attrs().has("residual")) return true; // the add fused into this conv
    for (Node c : graph.consumers(n.id())) {
      if (c.op() == Op.ADD || (c.attrs().has("residual") && c.inputs().size() > 1 && c.input(1) == n.id())) return true;
      if (c.op().isActivation() && feedsAdd(graph, c)) return true;
    }
    return false;
  }

  private static void fill(Op op, String role, ParamExpr.Ref ref, float[] v, Random rng) {
    int fanIn = (int) (ref.shape().size() / ref.shape().dim(0));
    for (int i = 0; i < v.length; i++) {
      double x = switch (op) {
        case CONV -> role.equals("weight") ? rng.nextGaussian() * Math.sqrt(2.0 / fanIn) : uniform(rng, 0.1);
        case FC -> role.equals("weight") ? uniform(rng, 1 / Math.sqrt(fanIn)) : uniform(rng, 0.1);
        case BATCHNORM -> switch (role) {
          case "weight" -> 0.6 + 0.6 * rng.nextDouble();
          case "bias" -> 0.1 * rng.nextGaussian();
          case "running_mean" -> 0.1 * rng.nextGaussian();
          default -> 0.5 + rng.nextDouble();
        };
        // a layer norm's scale as a batch norm's (about 1, positive), not +-0.1: that scaled every norm's output by
        // ~0.05 with random signs, and the activations after it to nearly nothing
        case LAYERNORM -> role.equals("weight") ? 0.6 + 0.6 * rng.nextDouble() : 0.1 * rng.nextGaussian();
        default -> uniform(rng, 0.1);
      };
      v[i] = (float) x;
    }
  }

  private static double uniform(Random rng, double bound) {
    return (2 * rng.nextDouble() - 1) * bound;
  }
}
