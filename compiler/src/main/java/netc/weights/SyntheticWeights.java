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
      boolean feedsAdd = n.op() == Op.BATCHNORM && graph.consumers(n.id()).stream().anyMatch(c -> c.op() == Op.ADD);
      for (Map.Entry<String, ParamExpr> p : n.params().entrySet()) {
        for (ParamExpr.Ref ref : p.getValue().refs()) {
          if (out.containsKey(ref.name())) continue;
          Random rng = new Random(seed * 0x9E3779B97F4A7C15L + ref.name().hashCode());
          float[] v = new float[(int) ref.shape().size()];
          fill(n.op(), p.getKey(), ref, v, rng);
          if (feedsAdd && p.getKey().equals("weight")) for (int i = 0; i < v.length; i++) v[i] = (float) (0.3 + 0.3 * rng.nextDouble());
          out.put(ref.name(), new Tensor(ref.shape().dims(), v));
        }
      }
    }
    return out;
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
        default -> uniform(rng, 0.1);
      };
      v[i] = (float) x;
    }
  }

  private static double uniform(Random rng, double bound) {
    return (2 * rng.nextDouble() - 1) * bound;
  }
}
