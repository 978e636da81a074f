package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Classify, on the model the plugin compiled into this project, gives PyTorch's answers on the held-out digits. */
class ClassifyTest {
  /** Held-out digits and PyTorch's logits for them, committed by weights/train_digits.py. */
  static final Path FIXTURES = Path.of("../../weights/digits");

  /**
   * Logits against torch's committed ones: at most 1e-5 of the largest |logit|. netc reorders the
   * float math (batch norm folded into the convs, blocked layouts, fused multiply-adds), which moves
   * logits by rounding only, a few 1e-7 of the largest here; a wrong weight or kernel moves them by
   * far more than the bound (the bound of the compiler's DigitsTest on the same data, tight so that a
   * small slip shows).
   */
  static final double TOLERANCE = 1e-5;

  @Test
  void logitsAreTorchs() {
    Tensor ours = Classify.logits(FIXTURES.resolve("heldout_images.npy"));
    Tensor torch = Npy.read(FIXTURES.resolve("heldout_logits.npy"));
    assertEquals(List.of(360, 10), List.of(ours.shape()[0], ours.shape()[1]));
    double err = 0, scale = 0;
    for (int i = 0; i < torch.data().length; i++) {
      err = Math.max(err, Math.abs(ours.data()[i] - torch.data()[i]));
      scale = Math.max(scale, Math.abs(torch.data()[i]));
    }
    assertTrue(scale > 1, "torch's logits are not trivial: " + scale);
    assertTrue(err <= TOLERANCE * scale, "max |logit - torch| " + err + " vs max |logit| " + scale);
  }

  @Test
  void printsTheTopKOfEveryDigitAsTorchRanksThem() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status = Classify.run(new String[] {FIXTURES.resolve("heldout_images.npy").toString(), "2"}, new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
    assertEquals(0, status);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    float[] torch = Npy.read(FIXTURES.resolve("heldout_logits.npy")).data();
    float[] labels = Npy.read(FIXTURES.resolve("heldout_labels.npy")).data();
    assertEquals(360, lines.size());
    int correct = 0;
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      assertEquals(6, f.length, lines.get(i)); // "digit I:" then two "class probability" pairs
      assertEquals(Integer.toString(argmax(torch, i * 10)), f[2], "top-1 of digit " + i + ": " + lines.get(i));
      if (Integer.parseInt(f[2]) == (int) labels[i]) correct++;
    }
    assertEquals(358, correct, "right answers: torch's logits get 358 of the 360 held-out digits right");
  }

  /**
   * The project's specs are copies of examples/ (a project holds its own): apart from comment lines
   * they must not drift from the spec the weights were trained for.
   */
  @Test
  void theSpecsAreExamplesOwn() throws Exception {
    for (String spec : List.of("digits.net", "resnet.net")) {
      assertEquals(code(Path.of("../" + spec)), code(Path.of("src/main/netc/" + spec)), "src/main/netc/" + spec + " differs from examples/" + spec);
    }
  }

  private static List<String> code(Path spec) throws java.io.IOException {
    return java.nio.file.Files.readAllLines(spec).stream().filter(l -> !l.strip().startsWith("//")).toList();
  }

  /** The committed images (images/make_images.py): held-out rows drawn as a user would scan them. */
  static final Path IMAGES = Path.of("images");

  /**
   * An image's 8x8 digit against the .npy row it was drawn from: within 1/510 and float rounding. The PNG
   * holds 8-bit gray, so each of sklearn's levels k/16 was rounded to the nearest 1/255 (at most 1/510 off),
   * and an area average of such pixels is no further off; the rows have cells of 0 and 1, so stretching
   * changes nothing; a wrong cell, a missed inversion or a misplaced area is off by a gray level (1/16) or more.
   */
  static final double IMAGE_TOLERANCE = 1.0 / 510 + 1e-6;

  @Test
  void anImageIsTheDigitOfItsNpyRowWhateverItsInkColourAndSize() {
    Tensor digits = Npy.read(FIXTURES.resolve("heldout_images.npy"));
    // seven.png: row 0, dark ink on white, 32x32 gray; three.png: row 2, white ink on black, 24x24 RGB
    for (var image : List.of(java.util.Map.entry("seven.png", 0), java.util.Map.entry("three.png", 2))) {
      float[] got = Classify.imageDigit(IMAGES.resolve(image.getKey())).data();
      int row = image.getValue(), cells = 64;
      for (int i = 0; i < cells; i++) {
        assertEquals(digits.data()[row * cells + i], got[i], IMAGE_TOLERANCE, image.getKey() + " cell " + i);
      }
    }
  }

  @Test
  void classifyGivesAnImageTheAnswerOfItsNpyRow() {
    float[] torch = Npy.read(FIXTURES.resolve("heldout_logits.npy")).data();
    for (var image : List.of(java.util.Map.entry("seven.png", 0), java.util.Map.entry("three.png", 2))) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int status = Classify.run(new String[] {IMAGES.resolve(image.getKey()).toString(), "1"}, new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
      assertEquals(0, status);
      String line = bytes.toString(StandardCharsets.UTF_8).strip();
      assertTrue(line.startsWith("digit 0: " + argmax(torch, image.getValue() * 10) + " "), image.getKey() + ": " + line);
    }
  }

  /** A JPEG (lossy: its 8x8 digit is near, not equal, to the row) gets the row's answer too. */
  @Test
  void aJpegOfTheDigitGetsTheAnswerOfItsRow(@TempDir Path dir) throws Exception {
    Path jpeg = dir.resolve("seven.jpg");
    assertTrue(javax.imageio.ImageIO.write(javax.imageio.ImageIO.read(IMAGES.resolve("seven.png").toFile()), "jpeg", jpeg.toFile()));
    float[] torch = Npy.read(FIXTURES.resolve("heldout_logits.npy")).data();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertEquals(0, Classify.run(new String[] {jpeg.toString(), "1"}, new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err));
    assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("digit 0: " + argmax(torch, 0) + " "), bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aBlankOrNonImageFileIsNamed(@TempDir Path dir) throws Exception {
    Path blank = dir.resolve("blank.png");
    javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", blank.toFile());
    BadInputException e = assertThrows(BadInputException.class, () -> Classify.logits(blank));
    assertEquals(blank + ": no digit (the image is blank at 8x8)", e.getMessage());
    Path text = dir.resolve("digit.png");
    java.nio.file.Files.writeString(text, "not an image at all");
    e = assertThrows(BadInputException.class, () -> Classify.logits(text));
    assertTrue(e.getMessage().startsWith(text + ": "), e.getMessage());
  }

  @Test
  void aFileOfTheWrongShapeIsNamed(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.npy");
    Npy.write(bad, Tensor.zeros(2, 1, 32, 32));
    BadInputException e = assertThrows(BadInputException.class, () -> Classify.logits(bad));
    assertEquals(bad + ": shape [2, 1, 32, 32], expected [N, 1, 8, 8]", e.getMessage());
  }

  /**
   * An .npy of no digits, [0, 1, 8, 8], is named: the model's own refusal of the batch was a stack
   * trace. The file goes through Classify as main runs it: one line, status 1.
   */
  @Test
  void aFileOfNoDigitsIsNamed(@TempDir Path dir) throws Exception {
    Path none = dir.resolve("none.npy");
    Npy.write(none, Tensor.zeros(0, 1, 8, 8));
    BadInputException e = assertThrows(BadInputException.class, () -> Classify.logits(none));
    assertEquals(none + ": no digits (shape [0, 1, 8, 8])", e.getMessage());
    assertCliRefuses("classify: " + none + ": no digits (shape [0, 1, 8, 8])", none);
    // a root folder has no file name: refused by name too (it was a NullPointerException's stack trace)
    assertCliRefuses("classify: /: not a regular file (a directory)", Path.of("/"));
  }

  /** A digit holding NaN is named, with its cell: its logits had no ranking, a stack trace from Prediction.topK. */
  @Test
  void aDigitHoldingNaNIsNamed(@TempDir Path dir) throws Exception {
    Tensor x = Tensor.zeros(3, 1, 8, 8);
    x.data()[64 + 10] = Float.NaN;
    Path nan = dir.resolve("nan.npy");
    Npy.write(nan, x);
    BadInputException e = assertThrows(BadInputException.class, () -> Classify.logits(nan));
    assertEquals(nan + ": digit 1 holds NaN (cell 10)", e.getMessage());
    assertCliRefuses("classify: " + nan + ": digit 1 holds NaN (cell 10)", nan);
  }

  /**
   * Ink outside [0, 1] is refused by name: sklearn's load_digits() gives 0..16, saved as it comes it gave confident
   * answers 16 times out of range (and values so large the network overflowed, 3e38, logits with no ranking).
   */
  @Test
  void inkOutsideZeroToOneIsNamed(@TempDir Path dir) throws Exception {
    for (float ink : new float[] {16, 3e38f, -0.5f}) {
      Tensor x = Tensor.zeros(2, 1, 8, 8);
      x.data()[64 + 3] = ink;
      Path file = dir.resolve("ink.npy");
      Npy.write(file, x);
      String line = file + ": digit 1 has ink " + ink + " (cell 3), outside [0, 1] (sklearn's load_digits() gives 0..16: divide by 16)";
      assertEquals(line, assertThrows(BadInputException.class, () -> Classify.logits(file)).getMessage());
      assertCliRefuses("classify: " + line, file);
    }
  }

  /**
   * More digits than one run upscales into a Java array (2,097,152 of them would be 2^31 floats at 32x32,
   * an int overflow) is refused from the header, before the file's 512 MiB are read. The file is sparse:
   * nothing is written past its header.
   */
  @Test
  void moreDigitsThanOneArrayHoldsAreRefusedBeforeReading(@TempDir Path dir) throws Exception {
    Path many = sparseNpy(dir.resolve("many.npy"), 2_097_152, 1, 8, 8);
    String why = many + ": 2,097,152 digits, upscaled to 2,147,483,648 floats, more than one Java array holds: give at most 2,097,151 per file";
    BadInputException e = assertThrows(BadInputException.class, () -> Classify.npyDigits(many));
    assertEquals(why, e.getMessage());
    assertCliRefuses("classify: " + why, many);
  }

  /** A .npy file of float32 zeros of {@code shape}, its data a hole (a sparse file), as Npy.write lays out its header. */
  static Path sparseNpy(Path path, int... shape) throws java.io.IOException {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + String.join(", ", java.util.Arrays.stream(shape).mapToObj(String::valueOf).toList()) + "), }";
    int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
    byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
    long values = 1;
    for (int d : shape) values *= d;
    try (var f = new java.io.RandomAccessFile(path.toFile(), "rw")) {
      f.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, (byte) (header.length >> 8)});
      f.write(header);
      f.setLength(f.getFilePointer() + 4 * values);
    }
    return path;
  }

  /** Classify as main runs it on {@code file}: status 1 and exactly {@code line} on standard error, nothing on standard output. */
  static void assertCliRefuses(String line, Path file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Classify.cli(new String[] {file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(line + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    assertEquals(1, status);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  private static int argmax(float[] v, int offset) {
    int best = 0;
    for (int j = 1; j < 10; j++) if (v[offset + j] > v[offset + best]) best = j;
    return best;
  }
}
