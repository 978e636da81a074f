package netc.codegen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import netc.ir.Graph;
import netc.ir.ParamSource;
import netc.onnx.InputPreparation;
import netc.onnx.ModelSource;
import netc.passes.PassContext;
import netc.passes.PassManager;
import netc.runtime.BadInputException;
import netc.weights.SyntheticWeights;
import netc.weights.WeightBinding;

/**
 * One spec file compiled into a directory of classes and resources: the whole pipeline (load, build,
 * passes, limits, weights, generate, javac), shared by {@code netc compile} and the Maven plugin.
 */
public final class SpecCompiler {
  /** The seed of the synthetic weights used when no weights file is given. */
  public static final long SYNTHETIC_SEED = 0;

  /** Unused tensors named in the warning about a weights file; the rest are counted only. */
  private static final int MAX_UNUSED_NAMED = 6;

  /**
   * What to compile: the spec, the folders its imports may also come from, -D overrides of its
   * params, the weights (null: synthetic, seeded), the model's name (null: the network's, made
   * lower-case), the pass configuration, and how the compiled model names its spec (its properties
   * and the generated header: a path relative to the project, say, so builds on two machines agree), and
   * for an ONNX model how its images are prepared (the command line's --mean, --std, --resize), and the
   * labels its classes get (null: {@link Labels#DEFAULT}).
   */
  public record Request(Path spec, List<Path> importPaths, Map<String, String> defines, Path weights, String modelName,
      PassContext passes, String shownAs, InputPreparation preparation, Labels labels) {
    public Request {
      importPaths = List.copyOf(importPaths);
      defines = Map.copyOf(defines);
      if (shownAs == null) shownAs = spec.toString();
      if (preparation == null) preparation = InputPreparation.NONE;
      if (labels == null) labels = Labels.DEFAULT;
    }

    /** A request without an ONNX model's input preparation, its classes labelled by default. */
    public Request(Path spec, List<Path> importPaths, Map<String, String> defines, Path weights, String modelName, PassContext passes,
        String shownAs) {
      this(spec, importPaths, defines, weights, modelName, passes, shownAs, null, null);
    }

    /** A request whose spec is shown as given. */
    public Request(Path spec, List<Path> importPaths, Map<String, String> defines, Path weights, String modelName, PassContext passes) {
      this(spec, importPaths, defines, weights, modelName, passes, null, null, null);
    }
  }

  /**
   * The names a compiled model gives its classes (what {@code java -jar model.jar IMAGE} and top-k print):
   * by default ImageNet's where the network gives one score for each of 1000 classes (torchvision's
   * classifiers), none ("class i") otherwise; or a file's, one label a line, one per output value; or none.
   */
  public record Labels(Path file, boolean none) {
    public static final Labels DEFAULT = new Labels(null, false), NONE = new Labels(null, true);

    public Labels {
      if (file != null && none) throw new IllegalArgumentException("labels from a file, or none: not both");
    }

    /** The labels in {@code file}. */
    public static Labels of(Path file) {
      return new Labels(java.util.Objects.requireNonNull(file), false);
    }

    /**
     * The labels to write for {@code optimized}: the file's, read and checked against the model's outputs (one
     * label per value, UTF-8, none empty), ImageNet's by default for 1000 scores, or none (an empty list).
     */
    List<String> resolve(Graph optimized) {
      int classes = Math.toIntExact(optimized.output().shape().size()); // within an int: the limits were checked
      if (none) return List.of();
      if (file == null) return ModelCompiler.defaultLabels(optimized);
      int[] dims = optimized.output().shape().dims();
      String notClasses = netc.runtime.ModelInfo.notClassScores(dims);
      if (notClasses != null) { // it asked for a label per position, which top-k never ranks
        throw new BadInputException("--labels " + file + ": the model " + optimized.name() + " " + notClasses + ": it has no classes to name");
      }
      netc.runtime.io.RegularFile.require(file, "cannot read labels "); // a folder or a FIFO: named, not opened
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
        return netc.runtime.io.Labels.read(in, classes);
      } catch (netc.runtime.io.Labels.Problem e) {
        throw new BadInputException(file + ": " + e.getMessage() + " (the model " + optimized.name() + " gives " + classes + " values an image)");
      } catch (IOException e) {
        throw new BadInputException("cannot read labels " + file + ": " + netc.runtime.io.FileOutput.reason(e), e);
      }
    }
  }

  /** What a compile reports as it goes; every method does nothing by default. */
  public interface Listener {
    /**
     * The spec or model is read: {@code files} are every file read for it (the spec and its imports,
     * or the model and its external data files), which no output may be written over.
     */
    default void loaded(List<Path> files) {}

    /** An ONNX model was imported as {@code spec}, whose lines the generated source's comments give ("M.onnx (imported):11:1"). */
    default void imported(String spec) {}

    /** The passes ran and the limits hold; weights are read (or made: {@code syntheticWeights}) next. */
    default void planned(Graph graph, Graph optimized, boolean syntheticWeights) {}

    /** A long step begins ("packing weights", "compiling netc.models.x.X"). */
    default void step(String what) {}

    /** One line worth the user's attention that does not stop the compile. */
    default void warning(String line) {}

    /**
     * Whether a weights file with tensors the spec does not use is refused rather than warned of (as
     * PyTorch's {@code load_state_dict(strict=True)}): a file of another variant, or a spec that lost
     * a layer, then stops the compile.
     */
    default boolean strictWeights() {
      return false;
    }
  }

  private SpecCompiler() {}

  /** A valid model name made from {@code text} (a spec file's base name, a network's name): lower-case, Java-safe. */
  public static String modelName(String text) {
    return JavaNames.modelName(text);
  }

  /** Why {@code name} cannot be a model's name as given, or null when it can. */
  public static String modelNameProblem(String name) {
    return JavaNames.modelNameProblem(name);
  }

  /**
   * Compiles {@code request} (a spec, or an ONNX model imported in memory) into {@code dir}; bad input
   * ends in a located NetcException or a BadInputException. Weights: the request's file, else an ONNX
   * model's own, else synthetic.
   */
  public static ModelCompiler.Output compile(Request request, Path dir, Listener listener) throws IOException {
    ModelSource source = ModelSource.load(request.spec().toString(), request.defines(), request.importPaths(), request.preparation());
    listener.loaded(source.files());
    if (source.imported() != null) listener.imported(source.imported().spec());
    Graph graph = source.graph();
    Graph optimized = PassManager.run(graph, request.passes());
    ModelCompiler.checkLimits(optimized); // before weights are read or made: a layer too large for an array is refused by name
    // the labels before the weights: a mistyped --labels is refused at once, not after gigabytes of weights were read
    var labels = request.labels().resolve(optimized);
    boolean synthetic = request.weights() == null && source.weights() == null;
    listener.planned(graph, optimized, synthetic);
    ParamSource params = request.weights() == null && source.weights() != null ? WeightBinding.bind(graph, source.weights())
        : params(graph, request.weights(), listener);
    return ModelCompiler.compileTo(optimized, params, request.shownAs(), request.modelName(), labels, synthetic, dir, listener::step);
  }

  /**
   * The weights file bound to the graph (tensors it has that the spec does not use are a warning, or
   * an error where the listener asks for strict weights; one of a layer the spec has is an error of the
   * binding), or synthetic weights. A file whose metadata calls its weights random gets a note.
   */
  public static ParamSource params(Graph graph, Path weights, Listener listener) {
    if (weights == null) return SyntheticWeights.source(graph, SYNTHETIC_SEED);
    if (ModelSource.isOnnxNotWeights(weights)) {
      // what the safetensors reader would say of it: "header length 8031177557570357000 does not fit the file"
      throw new BadInputException(BadInputException.oneLine(weights + " is an ONNX model, not a safetensors file of weights: a model carries"
          + " its own weights, so give it where the spec goes (netc compile " + weights + " -o M.jar) and leave out --weights"));
    }
    WeightBinding binding = WeightBinding.bind(graph, weights);
    if (binding.random()) {
      listener.warning(BadInputException.oneLine("note: " + weights + " holds random weights (its metadata says so: not trained, not"
          + " ImageNet's): the model's answers mean nothing"));
    }
    List<String> u = binding.unused();
    if (!u.isEmpty()) {
      // tensor names come from the file: escaped, so the message stays one line
      String what = weights + " has " + u.size() + " tensor" + (u.size() == 1 ? "" : "s") + " the spec does not use: "
          + String.join(", ", u.subList(0, Math.min(MAX_UNUSED_NAMED, u.size()))) + (u.size() > MAX_UNUSED_NAMED ? ", ..." : "");
      if (listener.strictWeights()) throw new BadInputException(BadInputException.oneLine(what + " (refused: strict weights)"));
      listener.warning(BadInputException.oneLine("warning: " + what));
    }
    return binding;
  }
}
