package example;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.ModelInfo;
import netc.runtime.Prediction;
import netc.runtime.Preprocess;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;

/**
 * Classifies handwritten digits with the model "digits" that netc-maven-plugin compiled into this
 * project: {@code Classify DIGITS.npy|DIGIT.png [K]} prints the top K (default 3) classes of each
 * 8x8 digit of an .npy file, or of one digit in a PNG or JPEG image.
 */
public final class Classify {
  /** The model's name: the spec's file name, src/main/netc/digits.net. */
  static final String MODEL = "digits";

  /** The digits are 8x8 (sklearn's); the model was trained on them upscaled x4 by nearest neighbour, to 32x32. */
  static final int DIGIT_SIDE = 8, UPSCALE = 4;

  /**
   * The least ink contrast (max - min of the 8x8 digit, on a [0, 1] scale) an image must have: one of
   * sklearn's 17 gray levels. Below it the image is blank and stretching it would classify noise.
   */
  static final float MIN_CONTRAST = 1f / 16;

  /** A border brighter than this (on [0, 1]) is paper: the ink is dark and is inverted to sklearn's bright ink. */
  static final float PAPER = 0.5f;

  /** Classes printed per digit when K is not given. */
  static final int DEFAULT_K = 3;

  private Classify() {}

  public static void main(String[] args) {
    System.exit(cli(args, System.out, System.err));
  }

  /**
   * {@link #run}, with what it refuses as one line on {@code err} and status 1: a bad input, and what the
   * runtime refuses as an IllegalArgumentException (outputs a network overflowed to infinity or NaN),
   * named by the file.
   */
  static int cli(String[] args, PrintStream out, PrintStream err) {
    try {
      return run(args, out, err);
    } catch (BadInputException e) {
      err.println("classify: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      err.println("classify: " + args[0] + ": " + e.getMessage()); // run refuses a missing argument before anything else
    } catch (OutOfMemoryError e) { // a file of a million digits upscales to gigabytes: one line, not the JVM's stack trace
      err.println("classify: " + args[0] + ": out of memory (" + e.getMessage() + ") with a heap of " + (Runtime.getRuntime().maxMemory() >> 20)
          + " MB: give fewer digits per file, or raise the heap with -Xmx");
    }
    return 1;
  }

  /** Prints the top k of every digit in the file; 2 on a usage error, said on {@code err}. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length < 1 || args.length > 2) {
      err.println("usage: Classify DIGITS.npy|DIGIT.png [K]   (DIGITS.npy: [N, 1, 8, 8] floats, ink in [0, 1];"
          + " DIGIT.png or .jpg: one digit, either ink colour)");
      return 2;
    }
    int k = DEFAULT_K;
    if (args.length == 2) {
      if (!args[1].matches("[1-9][0-9]?")) {
        err.println("classify: K is a whole number from 1 to 99, got " + args[1]);
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

  /** The model's logits [N, 10] for the digits of an .npy file or an image, loaded from this program's own class path. */
  static Tensor logits(Path digits) {
    // a root folder ("/") has no file name: the image reader names what is wrong with it
    Tensor x = digits.getFileName() != null && digits.getFileName().toString().endsWith(".npy") ? npyDigits(digits) : imageDigit(digits);
    try (CompiledModel model = CompiledModel.load(Classify.class.getClassLoader(), MODEL, 1)) {
      ModelInfo info = model.info(); // what the model takes, without reading its spec: [1, 32, 32]
      if (info.inputShape().get(1) != DIGIT_SIDE * UPSCALE) throw new IllegalStateException("model " + MODEL + " takes " + info);
      return model.predict(upscale(x, UPSCALE));
    }
  }

  /**
   * The [N, 1, 8, 8] digits of an .npy file, refused by name when of another shape, with no digit, with
   * more digits than one Java array holds upscaled, or holding NaN, an infinity (no ranking comes of
   * it) or ink outside [0, 1]. The shape is checked from the header first: a wrong file of gigabytes is not read.
   */
  static Tensor npyDigits(Path file) {
    checkDigits(file, Npy.header(file).shape());
    Tensor x = Npy.read(file);
    checkDigits(file, x.shape()); // again as read: the file may have changed
    float[] v = x.data();
    int cells = DIGIT_SIDE * DIGIT_SIDE;
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) throw new BadInputException(file + ": digit " + i / cells + " holds " + v[i] + " (cell " + i % cells + ")");
      // sklearn's digits are ink 0..16: saved as they come they gave confident answers 16 times out of range
      if (v[i] < 0 || v[i] > 1) {
        throw new BadInputException(file + ": digit " + i / cells + " has ink " + v[i] + " (cell " + i % cells + "), outside [0, 1]"
            + " (sklearn's load_digits() gives 0..16: divide by 16)");
      }
    }
    return x;
  }

  /** The most floats one Java array holds: the upscaled digits are one. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** Refuses a shape that is not [N, 1, 8, 8] with N from 1 to what one upscaled array holds (2,097,151). */
  private static void checkDigits(Path file, int[] s) {
    if (s.length != 4 || s[1] != 1 || s[2] != DIGIT_SIDE || s[3] != DIGIT_SIDE) {
      throw new BadInputException(file + ": shape " + java.util.Arrays.toString(s) + ", expected [N, 1, 8, 8]");
    }
    if (s[0] < 1) throw new BadInputException(file + ": no digits (shape " + java.util.Arrays.toString(s) + ")");
    long upscaled = (long) s[0] * DIGIT_SIDE * UPSCALE * DIGIT_SIDE * UPSCALE, most = MAX_ARRAY / (upscaled / s[0]);
    if (upscaled > MAX_ARRAY) {
      throw new BadInputException(String.format(java.util.Locale.ROOT, "%s: %,d digits, upscaled to %,d floats, more than one Java array holds:"
          + " give at most %,d per file", file, s[0], upscaled, most));
    }
  }

  /**
   * One digit [1, 1, 8, 8] from a PNG or JPEG, made like sklearn's: gray, ink bright on dark (an
   * image on light paper is inverted), averaged over 8x8 areas (sklearn counted the ink of 4x4
   * blocks of a 32x32 bitmap), then stretched so the faintest cell is 0 and the inkiest 1.
   */
  static Tensor imageDigit(Path file) {
    Preprocess.Rgb rgb = Preprocess.decode(file); // checks the format, damage and size before decoding
    boolean paper = borderMean(rgb) > PAPER;
    float[] cells = areaAverage(rgb, paper);
    float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
    for (float v : cells) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (max - min < MIN_CONTRAST) throw new BadInputException(file + ": no digit (the image is blank at 8x8)");
    for (int i = 0; i < cells.length; i++) cells[i] = (cells[i] - min) / (max - min);
    return new Tensor(new int[] {1, 1, DIGIT_SIDE, DIGIT_SIDE}, cells);
  }

  /** Luma of pixel i in [0, 1] (ITU-R BT.601, as Pillow's convert("L")). */
  private static float gray(byte[] rgb, int i) {
    return (0.299f * (rgb[3 * i] & 0xff) + 0.587f * (rgb[3 * i + 1] & 0xff) + 0.114f * (rgb[3 * i + 2] & 0xff)) / 255f;
  }

  /** The mean gray of the outermost pixels: the paper's, for a digit drawn in the middle. */
  private static float borderMean(Preprocess.Rgb rgb) {
    int w = rgb.width(), h = rgb.height();
    double sum = 0;
    long n = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (y != 0 && y != h - 1 && x != 0 && x != w - 1) continue;
        sum += gray(rgb.pixels(), y * w + x);
        n++;
      }
    }
    return (float) (sum / n);
  }

  /** The mean ink of each of 8x8 equal areas of the image; a pixel across an area's edge counts by the part inside. */
  private static float[] areaAverage(Preprocess.Rgb rgb, boolean invert) {
    int w = rgb.width(), h = rgb.height();
    double[] sums = new double[DIGIT_SIDE * DIGIT_SIDE];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float g = gray(rgb.pixels(), y * w + x), ink = invert ? 1 - g : g;
        addPixel(sums, ink, x, w, y, h);
      }
    }
    float[] out = new float[sums.length];
    double area = (double) w * h / (DIGIT_SIDE * DIGIT_SIDE); // pixels per cell
    for (int i = 0; i < out.length; i++) out[i] = (float) (sums[i] / area);
    return out;
  }

  /** Adds pixel (x, y) to the cells it overlaps, each by the overlapping area (in pixels). */
  private static void addPixel(double[] sums, float ink, int x, int w, int y, int h) {
    double x0 = (double) x * DIGIT_SIDE / w, x1 = (double) (x + 1) * DIGIT_SIDE / w;
    double y0 = (double) y * DIGIT_SIDE / h, y1 = (double) (y + 1) * DIGIT_SIDE / h;
    for (int cy = (int) y0; cy < DIGIT_SIDE && cy < y1; cy++) {
      double fy = (Math.min(y1, cy + 1) - Math.max(y0, cy)) * h / DIGIT_SIDE;
      for (int cx = (int) x0; cx < DIGIT_SIDE && cx < x1; cx++) {
        double fx = (Math.min(x1, cx + 1) - Math.max(x0, cx)) * w / DIGIT_SIDE;
        sums[cy * DIGIT_SIDE + cx] += ink * fx * fy;
      }
    }
  }

  /** Nearest-neighbour upscale of [N, C, H, W], as torch's interpolate(mode="nearest") that the model was trained with. */
  static Tensor upscale(Tensor x, int factor) {
    int[] s = x.shape();
    long size = (long) s[0] * s[1] * s[2] * factor * s[3] * factor;
    if (size > MAX_ARRAY) {
      throw new IllegalArgumentException(java.util.Arrays.toString(s) + " upscaled x" + factor + " is " + size + " floats, more than one Java array holds");
    }
    int planes = s[0] * s[1], h = s[2], w = s[3], oh = h * factor, ow = w * factor;
    float[] in = x.data(), out = new float[(int) size];
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
