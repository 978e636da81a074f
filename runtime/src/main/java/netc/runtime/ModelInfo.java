package netc.runtime;

import java.util.Arrays;
import java.util.List;

/**
 * What a caller needs to know about a compiled model without reading its spec: its name (the Java
 * package and resource folder it owns), what it takes and gives, how its inputs are prepared, and
 * which netc and kernels run it.
 *
 * @param name the model's name: {@code netc compile --name}, or the network's (the spec's file name)
 * @param network the network's name in the spec
 * @param spec the spec (or ONNX model) it was compiled from, as given to the compiler
 * @param inputName the input's name ("input")
 * @param inputShape [C, H, W] of one input image; a batch is [N, C, H, W]
 * @param outputShape the shape of one image's output (e.g. [1000]); a batch's is [N, ...]
 * @param labels one name per output class ("class i" when the model carries none)
 * @param preprocess how images become inputs, or null when the model does not take images as netc
 *     prepares them (not 3 channels, or not square: netc's preparation center-crops a square)
 * @param netcVersion the netc that compiled it
 * @param kernels the kernel variant this JVM runs it with (vector-512, vector-256, ...)
 * @param syntheticWeights whether it was compiled without real weights
 * @param probabilities whether the outputs are probabilities already (the network ends in a softmax), so
 *     {@link CompiledModel#topK} ranks them as they are
 */
public record ModelInfo(String name, String network, String spec, String inputName, List<Integer> inputShape,
    List<Integer> outputShape, List<String> labels, Preprocessing preprocess, String netcVersion, String kernels,
    boolean syntheticWeights, boolean probabilities) {

  /**
   * How an image becomes an input tensor: decode to RGB, resize the shorter side to {@code resize}
   * (Pillow's antialiased {@code interpolation}), center-crop {@code crop} x {@code crop}, scale to
   * [0, 1]; then {@code (x - mean) / std} per channel, which the model computes itself (it is folded
   * into its first conv), so callers pass [0, 1] pixels. {@code mean} and {@code std} are empty when
   * the model does not normalize.
   */
  public record Preprocessing(int resize, int crop, List<Double> mean, List<Double> std, Preprocess.Interpolation interpolation) {
    /** A null interpolation is the default, bilinear. */
    public Preprocessing {
      if (interpolation == null) interpolation = Preprocess.Interpolation.BILINEAR;
    }

    /** Bilinear, the default. */
    public Preprocessing(int resize, int crop, List<Double> mean, List<Double> std) {
      this(resize, crop, mean, std, Preprocess.Interpolation.BILINEAR);
    }

    /** Whether the model normalizes its input itself (and so expects pixels in [0, 1]). */
    public boolean normalizes() {
      return !mean.isEmpty();
    }
  }

  /**
   * Whether one image's output is one score per class, what top-k ranks and labels name: at most one dimension
   * past 1 ([1000], [1000, 1, 1]). A map ([C, H, W]: a segmentation, features) is not; its "classes" would be
   * positions.
   */
  public boolean classScores() {
    return classScores(outputShape.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * Why top-k and labels do not apply to this model ("gives [4, 8, 8] an image, not one score per class"), for
   * a message that goes on with its own remedy; null when they do.
   */
  public String notClassScores() {
    return notClassScores(outputShape.stream().mapToInt(Integer::intValue).toArray());
  }

  /** {@link #notClassScores()} of an output of shape {@code dims} (one image's). */
  public static String notClassScores(int... dims) {
    return classScores(dims) ? null : "gives " + Arrays.toString(dims) + " an image, not one score per class";
  }

  /** {@link #classScores()} of an output of shape {@code dims} (one image's). */
  public static boolean classScores(int... dims) {
    int wide = 0;
    for (int d : dims) if (d > 1) wide++;
    return wide <= 1;
  }

  /** A few lines for people: what {@code java -jar MODEL.jar --info} prints. */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append("model: ").append(name).append(" (network ").append(network).append(", from ").append(spec).append(")\n");
    b.append("input: ").append(inputName).append(" [N, ").append(join(inputShape)).append("] float32 NCHW\n");
    b.append("output: [N, ").append(join(outputShape)).append("]").append(probabilities ? " probabilities (ends in softmax)" : "").append(labels.isEmpty() || labels.get(0).equals("class 0") ? "" : ", labelled")
        .append('\n');
    if (preprocess != null) {
      b.append("preprocessing: resize ").append(preprocess.resize()).append(" (").append(preprocess.interpolation().spelled())
          .append("), center crop ").append(preprocess.crop())
          .append(", scale to [0, 1]");
      if (preprocess.normalizes()) {
        b.append(", then the model normalizes (mean ").append(preprocess.mean()).append(", std ").append(preprocess.std()).append(')');
      }
      b.append('\n');
    }
    b.append("weights: ").append(syntheticWeights ? "synthetic (meaningless classes)" : "real").append('\n');
    b.append("compiled by: netc ").append(netcVersion).append('\n');
    b.append("kernels: ").append(kernels);
    return b.toString();
  }

  static String join(List<Integer> dims) {
    return String.join(", ", dims.stream().map(String::valueOf).toList());
  }

  static List<Integer> list(int[] dims) {
    return Arrays.stream(dims).boxed().toList();
  }
}
