package example;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.ModelInfo;
import netc.runtime.Prediction;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;

/**
 * Runs two compiled models side by side in one JVM, each loaded from its jar's path:
 * {@code TwoModels A.jar A.npy B.jar B.npy} prints each model's top class for every image of its input.
 */
public final class TwoModels {
  /** Arguments: a model jar and its input, twice. */
  static final int ARGS = 4;

  /** Threads per model: two models share the machine. */
  static final int THREADS = 1;

  private TwoModels() {}

  public static void main(String[] args) {
    System.exit(cli(args, System.out, System.err));
  }

  /**
   * {@link #run}, with what it refuses as one line on {@code err} and status 1: a bad input, and what the
   * runtime refuses as an IllegalArgumentException (outputs a network overflowed to infinity or NaN, by the
   * input file and image; a batch whose outputs pass one Java array).
   */
  static int cli(String[] args, PrintStream out, PrintStream err) {
    try {
      return run(args, out, err);
    } catch (BadInputException | IllegalArgumentException e) {
      err.println("two-models: " + e.getMessage());
      return 1;
    } catch (OutOfMemoryError e) { // a batch of inputs or outputs larger than the heap: one line, not the JVM's stack trace
      err.println("two-models: out of memory (" + e.getMessage() + ") with a heap of " + (Runtime.getRuntime().maxMemory() >> 20)
          + " MB: give fewer inputs per file, or raise the heap with -Xmx");
      return 1;
    }
  }

  /** Prints both models' answers; 2 on a usage error, said on {@code err}. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length != ARGS) {
      err.println("usage: TwoModels A.jar A.npy B.jar B.npy   (X.npy: [N, C, H, W] floats, the input of model X)");
      return 2;
    }
    List<Path> jars = List.of(Path.of(args[0]), Path.of(args[2]));
    List<Path> inputs = List.of(Path.of(args[1]), Path.of(args[3]));
    List<Output> outputs = outputs(jars, inputs, out);
    for (int m = 0; m < outputs.size(); m++) {
      Tensor y = outputs.get(m).values();
      int n = y.shape()[0], classes = y.shape()[1];
      for (int i = 0; i < n; i++) {
        // labels: the class index; a model that ends in softmax gives probabilities, which a second softmax would flatten
        Prediction top = Prediction.topK(y.data(), i * classes, classes, 1, labels(classes), outputs.get(m).probabilities()).get(0);
        out.println(String.format(Locale.ROOT, "%s image %d: class %s %.3f", jars.get(m).getFileName(), i, top.label(), top.probability()));
      }
    }
    return 0;
  }

  /** A model's outputs [N, classes], and whether they are probabilities already (its network ends in softmax) rather than logits. */
  record Output(Tensor values, boolean probabilities) {}

  /**
   * Loads every jar (each in its own class loader, all open at once) and runs each on its input;
   * prints what each model is. Outputs in the order of the jars.
   */
  static List<Output> outputs(List<Path> jars, List<Path> inputs, PrintStream out) {
    List<CompiledModel> models = new ArrayList<>();
    try {
      for (Path jar : jars) models.add(CompiledModel.load(jar, THREADS));
      List<Output> result = new ArrayList<>();
      for (int m = 0; m < models.size(); m++) {
        ModelInfo info = models.get(m).info();
        // a map (a segmentation's, a feature extractor's) has no classes to rank: its positions would print as classes
        if (!info.classScores()) throw new BadInputException(jars.get(m) + ": the model " + info.notClassScores() + ": TwoModels prints top classes");
        out.println(jars.get(m).getFileName() + ": model " + info.name() + ", input [N, " + join(info.inputShape()) + "]");
        Tensor x = input(inputs.get(m), info);
        try {
          result.add(new Output(models.get(m).predict(x), info.probabilities()));
        } catch (IllegalArgumentException e) { // outputs the network overflowed to infinity or NaN, by image: named by the file
          throw new IllegalArgumentException(inputs.get(m) + ": " + e.getMessage(), e);
        }
      }
      return result;
    } finally {
      for (CompiledModel model : models) model.close();
    }
  }

  /**
   * The .npy input of a model, refused by name when its shape is not the model's [N, C, H, W], or it
   * holds NaN or an infinity (no ranking comes of it): Npy.readBatch checks both.
   */
  static Tensor input(Path file, ModelInfo info) {
    // the shape checked from the file's header before its data is read: a wrong file of gigabytes is refused at once
    return Npy.readBatch(file, info.inputShape().stream().mapToInt(Integer::intValue).toArray(), "model " + info.name());
  }

  private static String join(List<Integer> shape) {
    return String.join(", ", shape.stream().map(String::valueOf).toList());
  }

  private static List<String> labels(int classes) {
    return java.util.stream.IntStream.range(0, classes).mapToObj(Integer::toString).toList();
  }
}
