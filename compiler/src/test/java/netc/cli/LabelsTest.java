package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import netc.runtime.CompiledModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The names a compiled model gives its classes: a file's with --labels, none with --no-labels, and by
 * default ImageNet's only where the network gives one score for each of 1000 classes. Every 1000-value
 * output got ImageNet's names before, and a model of other classes could carry none.
 */
class LabelsTest {
  @TempDir Path dir;

  static final String SMALL = "../examples/smallnet.net";

  private static List<String> labels(Path jar) {
    try (CompiledModel m = CompiledModel.load(jar, 1)) {
      return m.labels();
    }
  }

  @Test
  void aLabelsFileNamesTheClassesOnePerOutput() throws Exception {
    List<String> names = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine \u00e9");
    Path file = Files.writeString(dir.resolve("digits.txt"), String.join("\n", names) + "\n", StandardCharsets.UTF_8);
    Path jar = dir.resolve("m.jar");
    Object[] r = netc("compile", SMALL, "-o", jar.toString(), "--labels", file.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).contains("labels: 10 from " + file + "\n"), (String) r[1]);
    assertEquals(names, labels(jar));
  }

  /**
   * compile's last line says how to run the jar: on images where 3 x S x S goes in and one score per class comes out,
   * else on tensors (it told a map's model "IMAGE...", which the jar then refused).
   */
  @Test
  void compileSaysWhatTheJarRunsOn() throws Exception {
    Path jar = dir.resolve("m.jar"), map = Files.writeString(dir.resolve("map.net"), "input(3, 8, 8)\nconv(4, 3, padding = 1)\n");
    Object[] r = netc("compile", SMALL, "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).endsWith("run it: java -jar " + jar + " IMAGE...   (or --input X.npy --output Y.npy; --info)\n"), (String) r[1]);
    r = netc("compile", map.toString(), "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).endsWith("run it: java -jar " + jar + " --input X.npy --output Y.npy   (tensors: it takes no images; --info)\n"),
        (String) r[1]);
  }

  @Test
  void labelsNotOnePerOutputAreRefusedBeforeAJarIsWritten() throws Exception {
    Path jar = dir.resolve("m.jar");
    Path nine = Files.writeString(dir.resolve("nine.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\n");
    Object[] r = netc("compile", SMALL, "-o", jar.toString(), "--labels", nine.toString());
    assertEquals(1, r[0], (String) r[2]);
    assertEquals("netc compile: " + nine + ": 9 labels (lines) for 10 classes (the model smallnet gives 10 values an image)\n", r[2]);
    Path gap = Files.writeString(dir.resolve("gap.txt"), "a\nb\n\nd\ne\nf\ng\nh\ni\nj\n");
    r = netc("compile", SMALL, "-o", jar.toString(), "--labels", gap.toString());
    assertEquals("netc compile: " + gap + ": label 3 (line 3) is empty (the model smallnet gives 10 values an image)\n", r[2]);
    r = netc("compile", SMALL, "-o", jar.toString(), "--labels", dir.resolve("none.txt").toString());
    assertEquals(1, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc compile: cannot read labels " + dir.resolve("none.txt")), (String) r[2]);
    // a mistyped labels file is refused before the weights are read and bound (weights of another width here, which
    // binding would refuse): at once, not after gigabytes of them
    Path other = dir.resolve("other.safetensors");
    assertEquals(0, netc("weights", "init", SMALL, "-D", "classes=7", "-o", other.toString())[0]);
    r = netc("compile", SMALL, "-o", jar.toString(), "--weights", other.toString(), "--labels", dir.resolve("none.txt").toString());
    assertEquals(1, r[0], (String) r[2]);
    assertTrue(((String) r[2]).startsWith("netc compile: cannot read labels " + dir.resolve("none.txt")), (String) r[2]);
    r = netc("compile", SMALL, "-o", jar.toString(), "--labels", nine.toString(), "--no-labels");
    assertEquals(2, r[0], (String) r[2]);
    assertEquals("netc compile: --labels and --no-labels: give one of them\n", r[2]);
    r = netc("compile", SMALL, "-o", nine.toString(), "--labels", nine.toString());
    assertEquals(2, r[0], (String) r[2]);
    assertFalse(Files.exists(jar), "no jar from refused labels");
    assertEquals(9, Files.readAllLines(nine).size(), "the labels file is not written over");
  }

  /** A byte order mark (Windows' editors write one) is not part of the first label; a map has no classes to name. */
  @Test
  void aByteOrderMarkIsDroppedAndAMapTakesNoLabels() throws Exception {
    Path bom = Files.writeString(dir.resolve("bom.txt"), "\uFEFFa\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", StandardCharsets.UTF_8);
    Path jar = dir.resolve("m.jar");
    Object[] r = netc("compile", SMALL, "-o", jar.toString(), "--labels", bom.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals("a", labels(jar).get(0));
    Path map = Files.writeString(dir.resolve("map.net"), "input(3, 4, 4)\nc: conv(10, 1)\n"); // [10, 4, 4]
    r = netc("compile", map.toString(), "-o", jar.toString(), "--labels", bom.toString());
    assertEquals(1, r[0], (String) r[2]);
    assertEquals("netc compile: --labels " + bom + ": the model map gives [10, 4, 4] an image, not one score per class: it has no classes"
        + " to name\n", r[2]);
  }

  /** 1000 class scores get ImageNet's names, said so; --no-labels takes them away; a map of 1000 values gets none. */
  @Test
  void imagenetNamesOnlyForOneScoreForEachOf1000Classes() throws Exception {
    Path jar = dir.resolve("m.jar");
    Object[] r = netc("compile", SMALL, "-D", "classes=1000", "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertTrue(((String) r[1]).contains("labels: ImageNet's (the network gives 1000 class scores; --labels FILE or --no-labels for other"
        + " classes)\n"), (String) r[1]);
    assertEquals("tench", labels(jar).get(0));
    r = netc("compile", SMALL, "-D", "classes=1000", "-o", jar.toString(), "--no-labels");
    assertEquals(0, r[0], (String) r[2]);
    assertFalse(((String) r[1]).contains("labels:"), (String) r[1]);
    assertEquals("class 0", labels(jar).get(0));
    Path map = Files.writeString(dir.resolve("map.net"), "input(3, 10, 10)\nc: conv(10, 1)\n"); // [10, 10, 10]: 1000 values, no classes
    r = netc("compile", map.toString(), "-o", jar.toString());
    assertEquals(0, r[0], (String) r[2]);
    assertEquals("class 999", labels(jar).get(999));
  }
}
