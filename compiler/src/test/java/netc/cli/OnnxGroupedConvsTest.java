package netc.cli;

import static netc.cli.SummaryTest.netc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import netc.runtime.Tensor;
import netc.runtime.io.Npy;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX models whose convs are depthwise (a narrowed MobileNetV2, ReLU for ReLU6) or grouped (a
 * narrowed ResNeXt), committed with torch's outputs by weights/make_onnx_fixtures.py: compiled, their
 * jars match torch at batch 1 and 2, and so does the reference interpreter, within
 * OnnxCommandsTest's 1e-4 x max|logit| (float32 sums over at most a few hundred terms in another
 * order than torch's differ by far less; a wrong group's weights by whole units). The generated
 * source is checked to run the groups apart, so a fall back to dense convs does not pass unseen.
 */
class OnnxGroupedConvsTest {
  static final Path FIXTURES = OnnxCommandsTest.FIXTURES;

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"mobilenet_v2_relu", "resnext"})
  void compiledJarAndInterpreterMatchTorchAtBatchOneAndTwo(String model) throws IOException {
    Path jar = dir.resolve(model + ".jar"), source = dir.resolve("src");
    Object[] r = netc("compile", FIXTURES.resolve(model + ".onnx").toString(), "-o", jar.toString(), "--emit-source", source.toString());
    assertEquals(0, r[0], (String) r[2]);
    String java;
    try (var files = Files.walk(source)) {
      java = Files.readString(files.filter(f -> f.toString().endsWith(".java")).findFirst().orElseThrow());
    }
    // the width-reduced ResNeXt's groups are narrower than a block (Kernels.groupedRow) or read their own input blocks
    assertTrue(model.equals("resnext") ? java.contains("K.groupedRow(") || java.contains("_FIRST_BLOCK[group]") : java.contains("K.depthwiseRow("),
        "groups run apart in " + model);
    Path in2 = FIXTURES.resolve(model + "_input.npy"), in1 = dir.resolve("x1.npy");
    Tensor x2 = Npy.read(in2);
    Npy.write(in1, new Tensor(new int[] {1, 3, 32, 32}, Arrays.copyOf(x2.data(), 3 * 32 * 32)));
    OnnxCommandsTest.assertMatches(model, "_logits_b1.npy", OnnxCommandsTest.runIn(dir, jar.toString(), in1));
    OnnxCommandsTest.assertMatches(model, "_logits_b2.npy", OnnxCommandsTest.runIn(dir, jar.toString(), in2));
    OnnxCommandsTest.assertMatches(model, "_logits_b2.npy", OnnxCommandsTest.runIn(dir, FIXTURES.resolve(model + ".onnx").toString(), in2, "--reference"));
  }
}
