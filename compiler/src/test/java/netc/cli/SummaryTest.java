package netc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SummaryTest {
  /** Runs the command line in-process; returns {exit status, stdout, stderr}. */
  static Object[] netc(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Object[] {status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  // Parameter counts are torchvision's (sum of p.numel() for p in model.parameters()); MACs are the
  // exact conv + fc multiply-accumulates at 224x224.
  @ParameterizedTest
  @CsvSource({
    "resnet18, '11,689,512', '1,814,073,344'",
    "resnet34, '21,797,672', '3,663,761,408'",
    "resnet50, '25,557,032', '4,089,184,256'",
    "resnet101, '44,549,160', '7,801,405,440'",
    "resnet152, '60,192,808', '11,513,626,624'",
  })
  void totalsMatchTorchvision(String net, String params, String macs) {
    Object[] r = netc("summary", "../examples/" + net + ".net");
    assertEquals(0, r[0], (String) r[2]);
    String out = (String) r[1];
    assertTrue(out.contains("total parameters: " + params + "\n"), out);
    assertTrue(out.contains("per image at 3x224x224): " + macs + " "), out);
  }

  @Test
  void layerRowsShowShapesParamsAndMacs() {
    String out = (String) netc("summary", "../examples/resnet50.net")[1];
    assertTrue(out.lines().anyMatch(l -> l.matches("layer3\\.5\\.conv2\\s+conv\\s+256x14x14\\s+589,824\\s+115,605,504")), out);
  }

  @Test
  void overridesReachTheSpec() {
    String out = (String) netc("summary", "../examples/resnet18.net", "-D", "size=64", "-Dwidth=8")[1];
    assertTrue(out.contains("input 3x64x64"), out);
  }

  @Test
  void badSpecGivesOneLocatedMessageAndExitOne() {
    Object[] r = netc("summary", "src/test/resources/lang/invalid/unknown_layer.net");
    assertEquals(1, r[0]);
    String err = (String) r[2];
    assertTrue(err.startsWith("netc summary: src/test/resources/lang/invalid/unknown_layer.net:2:1: unknown layer or block 'convolution'"), err);
    assertFalse(err.contains("Exception"), err);
  }

  @Test
  void missingSpecAndUsageErrors() {
    Object[] r = netc("summary", "no/such.net");
    assertEquals(1, r[0]);
    assertEquals("netc summary: cannot read spec no/such.net: no such file\n", r[2]);
    assertEquals(2, netc("summary")[0]);
    assertEquals(2, netc("frobnicate")[0]);
    assertEquals(2, netc("summary", "--bogus", "x.net")[0]);
  }
}
