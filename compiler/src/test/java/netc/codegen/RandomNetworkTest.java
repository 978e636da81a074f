package netc.codegen;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import netc.ast.NetcException;
import netc.interp.Interpreter;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.runtime.CompiledModel;
import netc.runtime.Tensor;
import netc.testing.RandomNetworks;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;

/**
 * Random valid networks ({@link RandomNetworks}) compile, and the compiled model equals the reference
 * interpreter on the unoptimized graph within 1e-4 of the largest output, at -O2, -O1, -O0,
 * without Winograd and without each other optional pass in turn. A spec the front end refuses is refused the same way by summary and
 * --reference, which build the graph the same way; it must be refused with a place in the spec.
 * {@code -Dnetc.randomNetworks=N} runs N networks (default {@value #DEFAULT_COUNT}) and
 * {@code -Dnetc.randomNetworks.from=S} starts at seed S, for a longer campaign. The runs at each
 * kernel width (the parent pom's surefire executions) run fewer, {@code netc.randomNetworks.width}
 * (the pom's {@code width.randomNetworks}), so that the width runs stay short.
 */
class RandomNetworkTest {
  static final int DEFAULT_COUNT = 150;

  /**
   * The pass settings a seed compiles with: the default pipeline, -O1, -O0, without Winograd, without
   * merge-parallel-convs, then each other optional pass switched off alone (so each pass also sees graphs
   * that the ones before it left unfused).
   */
  static PassContext context(long seed) {
    return switch ((int) (seed % 10)) {
      case 0 -> PassContext.defaults();
      case 4 -> without("merge-parallel-convs");
      case 1 -> new PassContext(1, Set.of(), 16, List.of());
      case 2 -> new PassContext(0, Set.of(), 16, List.of());
      case 3 -> without("winograd");
      case 5 -> without("fold-batchnorm");
      case 6 -> without("fuse-residual");
      case 7 -> without("fuse-activation");
      case 8 -> without("eliminate-dead-nodes");
      default -> without("fold-input-normalization");
    };
  }

  private static PassContext without(String pass) {
    return new PassContext(2, Set.of(pass), 16, List.of());
  }

  /**
   * What {@link #check} says of a network whose reference output is all zeros, which the compiled
   * model's equals too: a comparison that proves nothing (predict's output array starts zero-filled),
   * so the seed is skipped. The generator writes a few such networks, about 3 in 1000, whose data never
   * reaches the output: a relu after fc(1) whose outputs are negative, a dilated window whose taps
   * all fall on the padding.
   */
  static final String ALL_ZEROS = "the reference output is all zeros: nothing to compare";

  /** What {@link #check} says of a network whose reference output is the same for two inputs: skipped, counted with {@link #ALL_ZEROS}. */
  static final String CONSTANT = "the reference output does not depend on the input: nothing to compare";

  /** Null when the compiled model of {@code spec} equals the interpreter, else what went wrong (or {@link #ALL_ZEROS}). */
  static String check(long seed, String spec) {
    Graph g;
    try {
      g = Specs.fromText(spec);
    } catch (NetcException e) {
      assertNotNull(e.span(), "seed " + seed + ": refused without a place: " + e.getMessage() + "\n" + spec);
      return "refused: " + e.format();
    }
    try {
      ParamSource params = SyntheticWeights.source(g, seed);
      CompiledModel model = CompiledModels.compile(g, params, 2, context(seed));
      int batch = 1 + (int) (seed % 3);
      Tensor x = GeneratedModelTest.random(g, batch, seed);
      Tensor expected = Interpreter.run(g, params, x), actual = model.predict(x).reshape(shape(g, batch));
      double err = actual.maxAbsDiff(expected), scale = expected.maxAbs();
      if (!(err <= 1e-4 * scale)) return "max error " + err + " against max|output| " + scale;
      if (scale == 0) return ALL_ZEROS;
      // a second input: a reference that does not depend on its input (the data never reaching the output, only
      // biases) would let a model that ignores its input pass; such a network is skipped and counted as the above
      Tensor other = GeneratedModelTest.random(g, batch, seed + 1_000_003);
      Tensor expectedOther = Interpreter.run(g, params, other);
      if (expectedOther.maxAbsDiff(expected) == 0) return CONSTANT;
      double errOther = model.predict(other).reshape(shape(g, batch)).maxAbsDiff(expectedOther), scaleOther = expectedOther.maxAbs();
      return errOther <= 1e-4 * scaleOther ? null : "second input: max error " + errOther + " against max|output| " + scaleOther;
    } catch (Exception | AssertionError e) {
      return e.toString();
    }
  }

  /** [N, output shape]: predict gives [N, size] also for a feature map. */
  static int[] shape(Graph g, int batch) {
    int[] d = g.output().shape().dims(), s = new int[d.length + 1];
    s[0] = batch;
    System.arraycopy(d, 0, s, 1, d.length);
    return s;
  }

  @Test
  void randomNetworksCompileAndEqualTheInterpreter() {
    int count = Integer.getInteger("netc.randomNetworks.width", Integer.getInteger("netc.randomNetworks", DEFAULT_COUNT));
    long from = Long.getLong("netc.randomNetworks.from", 0L);
    List<String> failures = new ArrayList<>();
    List<Long> allZeros = new ArrayList<>();
    int refused = 0;
    for (long seed = from; seed < from + count; seed++) {
      String spec = RandomNetworks.spec(seed);
      String problem = check(seed, spec);
      if (problem == null) continue;
      if (problem.equals(ALL_ZEROS) || problem.equals(CONSTANT)) {
        allZeros.add(seed);
        continue;
      }
      if (problem.startsWith("refused")) refused++;
      failures.add("seed " + seed + " (" + flags(context(seed)) + "): " + problem + "\n" + spec);
    }
    // the generator writes only valid specs: a refusal is a front-end finding, reported with the rest
    assertTrue(failures.isEmpty(), failures.size() + " of " + count + " networks failed (" + refused + " refused):\n\n"
        + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    // a few skipped seeds are the generator's (8 of the first 150: 2 all zeros, 6 the same for two inputs); many
    // would be an interpreter (or generator) that zeros outputs or loses the input
    assertTrue(allZeros.size() <= Math.max(1, count / 10), allZeros.size() + " of " + count + " networks' reference outputs are all zeros"
        + " or the same for two inputs: " + allZeros);
  }

  /** The settings a failure was found with, in the words of the command line. */
  static String flags(PassContext c) {
    return "-O" + c.optLevel() + (c.disabled().isEmpty() ? "" : " --disable-pass " + String.join(",", c.disabled()));
  }
}
