package netc.codegen;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.CompiledModel;

/** Compiles a graph into a temporary directory and loads it, for tests. */
final class CompiledModels {
  private CompiledModels() {}

  static CompiledModel compile(Graph graph, ParamSource params, int threads) throws IOException {
    return compile(graph, params, threads, PassContext.defaults());
  }

  static CompiledModel compile(Graph graph, ParamSource params, int threads, PassContext ctx) throws IOException {
    return compile(graph, params, threads, ctx, source -> {});
  }

  /** As {@link #compile(Graph, ParamSource, int, PassContext)}, handing the generated Java source to {@code source}. */
  static CompiledModel compile(Graph graph, ParamSource params, int threads, PassContext ctx, java.util.function.Consumer<String> source)
      throws IOException {
    Path dir = Files.createTempDirectory("netc-test-model");
    Graph optimized = PassManager.run(graph, ctx);
    source.accept(ModelCompiler.compileTo(optimized, params, "test.net", false, dir, s -> {}).source());
    // the parent loader supplies the runtime, so the model shares this JVM's kernels
    URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, CompiledModels.class.getClassLoader());
    CompiledModel model = CompiledModel.load(loader, threads);
    ModelCompiler.deleteTree(dir); // loaded: class initialized, weights and labels read
    return model;
  }
}
