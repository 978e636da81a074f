package netc.runtime;

import java.util.List;
import java.util.Properties;

/** A test model of one serial step of one item, its output at the arena's start: the tests give the step. */
abstract class OneStepModel extends CompiledModel {
  private final String stepName;

  OneStepModel(Properties p, int threads, String stepName, Sizes sizes) {
    super(p, threads, sizes);
    this.stepName = stepName;
  }

  @Override protected int steps() {
    return 1;
  }

  @Override protected int items(int step) {
    return 1;
  }

  @Override protected boolean parallel(int step) {
    return false;
  }

  @Override protected int outputOffset() {
    return 0;
  }

  @Override public List<String> stepNames() {
    return List.of(stepName);
  }
}
