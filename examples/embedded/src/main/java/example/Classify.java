package example;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.ModelInfo;
import netc.runtime.Prediction;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;

/**
 * Classifies handwritten digits with the model "digits" that netc-maven-plugin compiled into this
 * project: {@code Classify DIGITS.npy [K]} prints the top K (default 3) classes of each 8x8 digit.
 */
public final class Classify {
  /** The model's name: the spec's file name, src/main/netc/digits.net. */
  static final String MODEL = "digits";

  /** The digits are 8x8 (sklearn's); the model was trained on them upscaled x4 by nearest neighbour, to 32x32. */
  static final int DIGIT_SIDE = 8, UPSCALE = 4;

  /** Classes printed per digit when K is not given. */
  static final int DEFAULT_K = 3;

  private Classify() {}

  public static void main(String[] args) {
    try {
      System.exit(run(args, System.out));
    } catch (BadInputException e) {
      System.err.println("classify: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Prints the top k of every digit in the file; 2 on a usage error. */
  static int run(String[] args, PrintStream out) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: Classify DIGITS.npy [K]   (DIGITS.npy: [N, 1, 8, 8] floats, ink in [0, 1])");
      return 2;
    }
    int k = DEFAULT_K;
    if (args.length == 2) {
      if (!args[1].matches("[1-9][0-9]?")) {
        System.err.println("classify: K is a whole number from 1 to 99, got " + args[1]);
        return 2;
      }
      k = Integer.parseInt(args[1]);
    }
    Tensor logits = logits(Path.of(args[0]));
    int n = logits.shape()[0], classes = logits.shape()[1];
    for (int i = 0; i < n; i++) {
      List<Prediction> top = Prediction.topK(logits.data(), i * classes, classes, Math.min(k, classes), digitNames(classes));
      StringBuilder line = new StringBuilder("digit " + i + ":");
      for (Prediction p : top) line.append(String.format(java.util.Locale.ROOT, " %s %.3f", p.label(), p.probability()));
      out.println(line);
    }
    return 0;
  }

  /** The model's logits [N, 10] for the digits of an .npy file, loaded from this program's own class path. */
  static Tensor logits(Path digits) {
    Tensor x = Npy.read(digits);
    int[] s = x.shape();
    if (s.length != 4 || s[1] != 1 || s[2] != DIGIT_SIDE || s[3] != DIGIT_SIDE) {
      throw new BadInputException(digits + ": shape " + java.util.Arrays.toString(s) + ", expected [N, 1, 8, 8]");
    }
    try (CompiledModel model = CompiledModel.load(Classify.class.getClassLoader(), MODEL, 1)) {
      ModelInfo info = model.info(); // what the model takes, without reading its spec: [1, 32, 32]
      if (info.inputShape().get(1) != DIGIT_SIDE * UPSCALE) throw new IllegalStateException("model " + MODEL + " takes " + info);
      return model.predict(upscale(x, UPSCALE));
    }
  }

  /** Nearest-neighbour upscale of [N, C, H, W], as torch's interpolate(mode="nearest") that the model was trained with. */
  static Tensor upscale(Tensor x, int factor) {
    int[] s = x.shape();
    int planes = s[0] * s[1], h = s[2], w = s[3], oh = h * factor, ow = w * factor;
    float[] in = x.data(), out = new float[planes * oh * ow];
    for (int p = 0; p < planes; p++) {
      for (int y = 0; y < oh; y++) {
        for (int xx = 0; xx < ow; xx++) out[(p * oh + y) * ow + xx] = in[(p * h + y / factor) * w + xx / factor];
      }
    }
    return new Tensor(new int[] {s[0], s[1], oh, ow}, out);
  }

  private static List<String> digitNames(int classes) {
    return java.util.stream.IntStream.range(0, classes).mapToObj(Integer::toString).toList();
  }
}
