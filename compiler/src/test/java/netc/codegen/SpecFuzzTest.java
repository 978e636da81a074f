package netc.codegen;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.lang.model.SourceVersion;
import netc.ast.NetcException;
import netc.ast.SpecLoader;
import netc.ir.Graph;
import netc.ir.GraphBuilder;
import netc.passes.MemoryPlan;
import netc.passes.MemoryPlanner;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.BadInputException;
import netc.weights.SyntheticWeights;

/**
 * Fuzzes the spec front end and back end (FUZZING.md): spec text through the loader, the graph
 * builder, the passes, weight packing and Java source generation, without javac. A bad spec must be
 * a {@link NetcException} (located) or a {@link BadInputException}; anything else escaping, an
 * "internal error", a StackOverflowError or a hang, is a finding.
 */
class SpecFuzzTest {
  /** Specs a user writes are a few KiB; nesting and length limits are reached well within this. */
  private static final int MAX_LEN = 8192;
  /**
   * Weights are synthesized and packed only up to this many floats (4 MiB): a spec may legitimately
   * declare gigabytes of weights, which would measure the heap, not the compiler. Larger networks
   * still go through the loader, the builder and every pass.
   */
  private static final long MAX_SYNTHETIC_FLOATS = 1 << 20;

  @FuzzTest(maxDuration = "10m")
  void compile(@NotNull @WithLength(max = MAX_LEN) byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    try {
      Graph graph = GraphBuilder.build(SpecLoader.fromText("fuzz.net", text), Map.of());
      Graph optimized = PassManager.run(graph, PassContext.defaults());
      if (graph.parameterCount() > MAX_SYNTHETIC_FLOATS) return;
      // the compile's own checks, in its order (ModelCompiler): a network past the layer limit is refused before
      // planning and generation (100,000 relus, generated anyway, ran past libFuzzer's 10 s under instrumentation)
      Limits.checkLaidOut(optimized);
      Limits.checkLayers(optimized);
      MemoryPlan plan = MemoryPlanner.plan(optimized, 16);
      Limits.check(optimized, plan);
      PackedWeights weights = PackedWeights.pack(optimized, SyntheticWeights.source(graph, 0));
      ModelGenerator.Result gen = ModelGenerator.generate(optimized, plan, weights, "// fuzz", ModelGenerator.PACKAGE_PREFIX + JavaNames.modelName(optimized.name()));
      if (!SourceVersion.isName(gen.className())) throw new AssertionError("generated class name " + gen.className() + " is not a Java name");
      gen.file().toString();
    } catch (NetcException | BadInputException e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("a bad spec needs a message", e);
      // the CLI prints "internal error" only for exceptions outside these two; their messages must not claim one
      if (e.getMessage().contains("internal error")) throw new AssertionError("a netc bug reported as a spec error: " + e.getMessage(), e);
    }
  }
}
