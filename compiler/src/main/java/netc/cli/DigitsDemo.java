package netc.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import netc.runtime.BadInputException;
import netc.runtime.CompiledModel;
import netc.runtime.Prediction;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;

/**
 * The digits part of {@code netc demo}: compiles examples/digits.net with the weights
 * weights/train_digits.py trained, classifies the held-out handwritten digits, and compares every
 * answer with PyTorch's committed logits; draws a few digits in the terminal and all of them in a PNG.
 */
final class DigitsDemo {
  /** sklearn's digits are 8x8; digits.net takes them upscaled by nearest neighbour x4 to 32x32. */
  static final int SIDE = 8;
  static final int UPSCALE = 4;
  static final int CLASSES = 10;

  /**
   * Bound on |netc - PyTorch| relative to the largest |logit|. Both compute in float32 but sum the
   * products of each conv in a different order (Winograd transforms, blocked layouts, FMAs), so
   * they differ by rounding: about 1e-7 per add over a few hundred adds per output, some 1e-6 of
   * the largest logit. 1e-4 leaves room for that and still catches any real mistake (a wrong
   * weight, a misplaced pixel), which moves logits by a good fraction of their size.
   */
  static final double TOLERANCE = 1e-4;

  /** Held-out sets larger than this are refused: the committed one has 360, a few KB each. */
  static final int MAX_DIGITS = 10_000;

  /** Digits drawn in the terminal (mistakes first, then the first held-out ones). */
  static final int SHOWN = 5;

  /** Ink from none to full: sklearn's 0..16 scaled to [0, 1], shown as ten shades. */
  private static final String SHADES = " .:-=+*#%@";

  /** Contact sheet: digits per row, pixels per input pixel, and the caption strip under each digit. */
  private static final int SHEET_COLUMNS = 24;
  private static final int SHEET_ZOOM = 2;
  private static final int CAPTION = 16;
  private static final int GAP = 6;
  private static final int TITLE = 28;

  private DigitsDemo() {}

  /** The committed held-out set: images [N, 1, 8, 8] in [0, 1], labels 0..9, torch's logits [N, 10]. */
  record HeldOut(Tensor images, int[] labels, Tensor torchLogits) {
    int size() {
      return labels.length;
    }

    /** The file's tensor, of the shape its header gave a moment ago (a file replaced since is refused, not half checked). */
    private static Tensor readAsHeaded(Path file, int[] shape) {
      Tensor t = Npy.read(file);
      if (!java.util.Arrays.equals(t.shape(), shape)) {
        throw new BadInputException(file + ": changed while being read (shape " + java.util.Arrays.toString(shape) + ", then "
            + java.util.Arrays.toString(t.shape()) + ")");
      }
      return t;
    }

    /** Reads and checks the three files in {@code dir}, refusing any that disagree in shape or range. */
    static HeldOut load(Path dir) {
      Path imagesFile = dir.resolve("heldout_images.npy"), labelsFile = dir.resolve("heldout_labels.npy"),
          logitsFile = dir.resolve("heldout_logits.npy");
      // each file's shape from its header before its data is read: a file of gigabytes of another shape is refused at once
      int[] s = Npy.header(imagesFile).shape();
      if (s.length != 4 || s[0] < 1 || s[0] > MAX_DIGITS || s[1] != 1 || s[2] != SIDE || s[3] != SIDE) {
        throw new BadInputException(imagesFile + ": shape " + java.util.Arrays.toString(s) + ", expected [N, 1, 8, 8] with 1 <= N <= " + MAX_DIGITS);
      }
      int n = s[0];
      Tensor images = readAsHeaded(imagesFile, s);
      float[] px = images.data();
      for (int i = 0; i < px.length; i++) {
        if (!(px[i] >= 0 && px[i] <= 1)) throw new BadInputException(imagesFile + ": digit " + i / (SIDE * SIDE) + " has pixel " + px[i] + ", outside [0, 1]");
      }
      int[] ls = Npy.header(labelsFile).shape();
      if (ls.length != 1 || ls[0] != n) {
        throw new BadInputException(labelsFile + ": shape " + java.util.Arrays.toString(ls) + ", expected [" + n + "] (one label per image)");
      }
      Tensor labelTensor = readAsHeaded(labelsFile, ls);
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        float v = labelTensor.data()[i];
        if (!(v >= 0 && v < CLASSES && v == Math.rint(v))) throw new BadInputException(labelsFile + ": label " + i + " is " + v + ", not a digit 0..9");
        labels[i] = (int) v;
      }
      int[] gs = Npy.header(logitsFile).shape();
      if (gs.length != 2 || gs[0] != n || gs[1] != CLASSES) {
        throw new BadInputException(logitsFile + ": shape " + java.util.Arrays.toString(gs) + ", expected [" + n + ", " + CLASSES + "]");
      }
      Tensor logits = readAsHeaded(logitsFile, gs);
      for (float v : logits.data()) if (!Float.isFinite(v)) throw new BadInputException(logitsFile + ": has a non-finite logit " + v);
      return new HeldOut(images, labels, logits);
    }
  }

  /** How netc's answers compare with the truth and with PyTorch's. */
  record Report(int size, int correct, int agreeing, double maxError, double maxLogit, List<Integer> mistakes, List<Integer> disagreements) {
    double accuracy() {
      return (double) correct / size;
    }

    double relativeError() {
      return maxError / maxLogit;
    }
  }

  /**
   * Why the demo failed, or null: netc's logits further from PyTorch's than {@link #TOLERANCE} of the largest
   * (or not numbers). Answers that differ within the bound are near-ties, which the report lists with their gaps.
   */
  static String failure(Report r) {
    if (r.relativeError() <= TOLERANCE) return null;
    return String.format(java.util.Locale.ROOT, "netc's logits differ from PyTorch's by %.2g of the largest |logit| (%.2g against %.3g), over the bound %.0e",
        r.relativeError(), r.maxError(), r.maxLogit(), TOLERANCE);
  }

  /** Nearest-neighbour upscale of [N, C, H, W] by {@code factor}: out[y][x] = in[y / f][x / f], as torch's mode="nearest". */
  static Tensor upscale(Tensor x, int factor) {
    int[] s = x.shape();
    int n = s[0] * s[1], h = s[2], w = s[3], oh = h * factor, ow = w * factor;
    float[] in = x.data(), out = new float[n * oh * ow];
    for (int p = 0; p < n; p++) {
      for (int y = 0; y < oh; y++) {
        for (int xx = 0; xx < ow; xx++) out[(p * oh + y) * ow + xx] = in[(p * h + y / factor) * w + xx / factor];
      }
    }
    return new Tensor(new int[] {s[0], s[1], oh, ow}, out);
  }

  /** Compares netc's logits [N, 10] with the labels and with PyTorch's logits. */
  static Report compare(HeldOut h, Tensor logits) {
    int correct = 0, agreeing = 0;
    List<Integer> mistakes = new ArrayList<>(), disagreements = new ArrayList<>();
    for (int i = 0; i < h.size(); i++) {
      int mine = argmax(logits.data(), i), theirs = argmax(h.torchLogits().data(), i);
      if (mine == h.labels()[i]) correct++;
      else mistakes.add(i);
      if (mine == theirs) agreeing++;
      else disagreements.add(i);
    }
    return new Report(h.size(), correct, agreeing, logits.maxAbsDiff(h.torchLogits()), h.torchLogits().maxAbs(), mistakes, disagreements);
  }

  static int argmax(float[] logits, int image) {
    int best = 0;
    for (int c = 1; c < CLASSES; c++) if (logits[image * CLASSES + c] > logits[image * CLASSES + best]) best = c;
    return best;
  }

  /**
   * Compiles digits.net into {@code outDir}/digits.jar, classifies the held-out digits, prints the
   * comparison, a few digits and where the contact sheet is; returns the report.
   */
  static Report run(Path home, Path outDir, int threads, PrintStream out, PrintStream err) throws Exception {
    HeldOut heldOut = HeldOut.load(home.resolve("weights/digits"));
    Path jar = outDir.resolve("digits.jar");
    String spec = home.resolve("examples/digits.net").toString(), weights = home.resolve("weights/digits/digits.safetensors").toString();
    out.println("digits: a small ResNet (examples/digits.net) trained here on handwritten digits (weights/train_digits.py)");
    long t0 = System.nanoTime();
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      // values attached (--output=PATH): a folder named -old was read by compile's parser as an option of its own
      int status = new CompileCommand().run(new String[] {spec, "--weights=" + weights, "--output=" + jar}, quiet, err, true);
      if (status != 0) throw new IllegalStateException("netc compile returned " + status);
    }
    out.printf("  compiled in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, jar);
    try (CompiledModel model = CompiledModel.load(jar, threads)) {
      Tensor input = upscale(heldOut.images(), UPSCALE);
      long t1 = System.nanoTime();
      Tensor logits = model.predict(input);
      double cold = (System.nanoTime() - t1) / 1e6;
      float[] again = new float[logits.size()];
      double warm = DemoCommand.warmMedianMs(() -> model.predict(input.data(), heldOut.size(), again), 1_000_000_000L, 5);
      out.printf("  %d held-out digits (never trained on): %.0f ms the first time (JIT warm-up), %.0f ms warm (%.2f ms per digit, %s)%n",
          heldOut.size(), cold, warm, warm / heldOut.size(), DemoCommand.threads(model.threads()));
      Report r = compare(heldOut, logits);
      printReport(heldOut, logits, r, out);
      Path sheet = outDir.resolve("digits.png");
      boolean text = writeSheet(heldOut, logits, r, sheet);
      out.println("  contact sheet of all " + r.size() + " (mistakes in red): " + sheet
          + (text ? "" : " (without its labels: this JVM has no fonts to draw them with)"));
      return r;
    }
  }

  private static void printReport(HeldOut h, Tensor logits, Report r, PrintStream out) {
    out.printf("  accuracy: %d/%d = %.2f%%%n", r.correct(), r.size(), 100 * r.accuracy());
    out.printf("  same answer as PyTorch: %d/%d%s%n", r.agreeing(), r.size(), r.agreeing() == r.size() ? "" : ", differing:");
    for (int i : r.disagreements()) {
      out.printf("    digit %d: netc %d, PyTorch %d; PyTorch's top two logits %.3g apart, netc's %.3g%n", i, argmax(logits.data(), i),
          argmax(h.torchLogits().data(), i), topTwoGap(h.torchLogits().data(), i), topTwoGap(logits.data(), i));
    }
    out.printf("  max |logit - PyTorch's| = %.2g = %.2g of max |logit| %.1f (bound %.0e)%n", r.maxError(), r.relativeError(), r.maxLogit(), TOLERANCE);
    List<Integer> shown = new ArrayList<>(r.mistakes().subList(0, Math.min(2, r.mistakes().size())));
    for (int i = 0; shown.size() < SHOWN && i < r.size(); i++) if (!shown.contains(i)) shown.add(i);
    for (String line : drawDigits(h, logits, shown)) out.println("  " + line);
  }

  private static double topTwoGap(float[] logits, int image) {
    int best = argmax(logits, image);
    double second = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < CLASSES; c++) if (c != best) second = Math.max(second, logits[image * CLASSES + c]);
    return logits[image * CLASSES + best] - second;
  }

  /** The given digits side by side at their own 8x8 (two characters per pixel), a caption under each. */
  static List<String> drawDigits(HeldOut h, Tensor logits, List<Integer> which) {
    List<String> lines = new ArrayList<>();
    int cell = 2 * SIDE + 4;
    for (int y = 0; y < SIDE; y++) {
      StringBuilder sb = new StringBuilder();
      for (int i : which) {
        sb.append('|');
        for (int x = 0; x < SIDE; x++) {
          float v = h.images().data()[(i * SIDE + y) * SIDE + x];
          char c = SHADES.charAt(Math.min(SHADES.length() - 1, (int) (v * SHADES.length())));
          sb.append(c).append(c);
        }
        sb.append('|').append("  ");
      }
      lines.add(sb.toString().stripTrailing());
    }
    StringBuilder caption = new StringBuilder(), truth = new StringBuilder();
    for (int i : which) {
      Prediction p = Prediction.topK(logits.data(), i * CLASSES, CLASSES, 1, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")).get(0);
      caption.append(pad(String.format(java.util.Locale.ROOT, "-> %d %5.1f%%", p.index(), 100 * p.probability()), cell));
      truth.append(pad(p.index() == h.labels()[i] ? "   (right)" : "   WRONG: is " + h.labels()[i], cell));
    }
    lines.add(caption.toString().stripTrailing());
    lines.add(truth.toString().stripTrailing());
    return lines;
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
  }

  /**
   * Whether {@code probe} (setting a font and measuring text) works: in a minimal container without fonts
   * (no fontconfig, freetype or font files) the JDK's font system fails inside, with an InternalError, an
   * UnsatisfiedLinkError or a NullPointerException from FontConfiguration, and the demo stopped there.
   */
  static boolean canDrawText(Runnable probe) {
    try {
      probe.run();
      return true;
    } catch (LinkageError | InternalError | RuntimeException e) {
      return false;
    }
  }

  /**
   * Every held-out digit as the network saw it (32x32), its predicted label under it; mistakes framed in red.
   * False when the JVM has no fonts: the sheet is drawn without its text.
   */
  static boolean writeSheet(HeldOut h, Tensor logits, Report r, Path file) throws IOException {
    return writeSheet(h, logits, r, file, g -> {
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.getFontMetrics().stringWidth("0");
    });
  }

  /** {@link #writeSheet(HeldOut, Tensor, Report, Path)} with {@code fonts}, what tries the font system on the sheet's graphics. */
  static boolean writeSheet(HeldOut h, Tensor logits, Report r, Path file, java.util.function.Consumer<Graphics2D> fonts) throws IOException {
    int side = SIDE * UPSCALE * SHEET_ZOOM, cellW = side + GAP, cellH = side + CAPTION + GAP;
    int rows = (r.size() + SHEET_COLUMNS - 1) / SHEET_COLUMNS;
    BufferedImage img = new BufferedImage(SHEET_COLUMNS * cellW + GAP, TITLE + rows * cellH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    boolean text = canDrawText(() -> fonts.accept(g));
    if (text) {
      g.drawString(String.format(java.util.Locale.ROOT, "netc: examples/digits.net on %d held-out digits, %.2f%% right; label under each = netc's answer, red = wrong (true digit in brackets)",
          r.size(), 100 * r.accuracy()), GAP, 19);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    }
    Tensor seen = upscale(h.images(), UPSCALE); // exactly the network's input
    for (int i = 0; i < r.size(); i++) {
      int x0 = GAP + (i % SHEET_COLUMNS) * cellW, y0 = TITLE + (i / SHEET_COLUMNS) * cellH;
      drawDigit(img, seen.data(), i, x0, y0);
      int predicted = argmax(logits.data(), i);
      boolean wrong = predicted != h.labels()[i];
      g.setColor(wrong ? Color.RED : Color.LIGHT_GRAY);
      g.setStroke(new BasicStroke(wrong ? 3 : 1));
      g.drawRect(x0 - 1, y0 - 1, side + 1, side + 1);
      g.setColor(wrong ? Color.RED : Color.DARK_GRAY);
      if (text) g.drawString(wrong ? predicted + " (" + h.labels()[i] + ")" : Integer.toString(predicted), x0 + side / 2 - (wrong ? 14 : 3), y0 + side + CAPTION - 3);
    }
    g.dispose();
    Files.createDirectories(file.toAbsolutePath().getParent());
    // whole or not at all, refused by name: ImageIO.write to a file deletes it first, and the JDK printed a stack trace where it cannot open one
    netc.runtime.io.FileOutput.write(file, out -> ImageIO.write(img, "png", out));
    return text;
  }

  /** Ink as dark gray on white, each of the 32x32 input pixels as a SHEET_ZOOM square. */
  private static void drawDigit(BufferedImage img, float[] px, int image, int x0, int y0) {
    int n = SIDE * UPSCALE;
    for (int y = 0; y < n * SHEET_ZOOM; y++) {
      for (int x = 0; x < n * SHEET_ZOOM; x++) {
        int level = 255 - Math.round(255 * px[(image * n + y / SHEET_ZOOM) * n + x / SHEET_ZOOM]);
        img.setRGB(x0 + x, y0 + y, level << 16 | level << 8 | level);
      }
    }
  }
}
