package netc.models.jartest;

import java.util.List;
import java.util.Properties;
import netc.runtime.CompiledModel;
import netc.runtime.Workspace;

/**
 * A model of [1, 1, 2] to 2 outputs and 2 weights, a workspace of 2 floats, output i = weight i x the sum of the input, in the package a
 * model called jartest owns. ModelJarTest copies its class file into hand-made jars: a model's
 * weights and labels are looked up beside its class, so the class must come from the jar for them to.
 */
public final class JarModel extends CompiledModel {
  public JarModel(Properties p, int threads) {
    super(p, threads, new Sizes(1, 1, 2, 2, 2, 2)); // as ModelJarTest.properties(2, ...) give
  }

  @Override
  protected int steps() {
    return 1;
  }

  @Override
  protected int items(int step) {
    return 1;
  }

  @Override
  protected boolean parallel(int step) {
    return false;
  }

  @Override
  protected void runStep(int step, Workspace ws, int from, int to) {
    float sum = ws.input[ws.inputBase] + ws.input[ws.inputBase + 1];
    ws.arena[0] = w[0] * sum;
    ws.arena[1] = w[1] * sum;
  }

  @Override
  protected int outputOffset() {
    return 0;
  }

  @Override
  public List<String> stepNames() {
    return List.of("scale");
  }
}
