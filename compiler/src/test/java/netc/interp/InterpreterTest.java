package netc.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import netc.ir.Graph;
import netc.runtime.BadInputException;
import netc.runtime.Tensor;
import netc.testing.MapParams;
import netc.testing.Specs;
import netc.weights.SyntheticWeights;
import org.junit.jupiter.api.Test;

/** Hand-checked cases: each expected value below is worked out in the comment next to it. */
class InterpreterTest {
  /** 1x1x4x4 holding 1..16 row by row. */
  private static Tensor oneToSixteen() {
    float[] x = new float[16];
    for (int i = 0; i < 16; i++) x[i] = i + 1;
    return new Tensor(new int[] {1, 1, 4, 4}, x);
  }

  private static float[] run(String spec, MapParams params, Tensor input) {
    Graph g = Specs.fromText(spec);
    return Interpreter.run(g, params, input).data();
  }

  @Test
  void conv3x3WithPaddingAndStride() {
    // all-ones 3x3 kernel, padding 1, stride 2: each output sums the in-bounds part of a window
    // centred on (0,0), (0,2), (2,0), (2,2):
    //   1+2+5+6 = 14;  2+3+4+6+7+8 = 30;  5+6+9+10+13+14 = 57;  6+7+8+10+11+12+14+15+16 = 99; plus bias 0.5
    MapParams p = new MapParams().put("c.weight", 1, 1, 1, 1, 1, 1, 1, 1, 1).put("c.bias", 0.5f);
    float[] y = run("input(1, 4, 4)\nc: conv(1, 3, stride = 2, padding = 1)", p, oneToSixteen());
    assertArrayEquals(new float[] {14.5f, 30.5f, 57.5f, 99.5f}, y);
  }

  @Test
  void conv3x3ValidWithAsymmetricWeights() {
    // kernel with a single 1 at (row 0, col 2) and -1 at (row 2, col 0): out(y,x) = in(y, x+2) - in(y+2, x)
    //   (0,0): 3 - 9 = -6; (0,1): 4 - 10 = -6; (1,0): 7 - 13 = -6; (1,1): 8 - 14 = -6
    MapParams p = new MapParams().put("c.weight", 0, 0, 1, 0, 0, 0, -1, 0, 0);
    float[] y = run("input(1, 4, 4)\nc: conv(1, 3, bias = false)", p, oneToSixteen());
    assertArrayEquals(new float[] {-6, -6, -6, -6}, y);
  }

  @Test
  void groupedConvKeepsChannelsApart() {
    // groups = 2, 1x1: out0 = 2 * in0 = [2, 4]; out1 = -1 * in1 = [-3, -4]
    MapParams p = new MapParams().put("g.weight", 2, -1);
    Tensor x = new Tensor(new int[] {1, 2, 1, 2}, new float[] {1, 2, 3, 4});
    assertArrayEquals(new float[] {2, 4, -3, -4}, run("input(2, 1, 2)\ng: conv(2, 1, groups = 2, bias = false)", p, x));
  }

  @Test
  void layerNormOverChannels() {
    // two channels of two pixels: pixel 0 holds (1, 3), mean 2, variance 1; pixel 1 holds (2, 2), variance 0.
    // weight (1, 2), bias (0, 1), eps 1e-5: pixel 0 gives (-1, 1) / sqrt(1 + 1e-5) times (1, 2) plus (0, 1); pixel 1 (0, 0) + (0, 1)
    Tensor x = new Tensor(new int[] {1, 2, 1, 2}, new float[] {1, 2, 3, 2});
    MapParams p = new MapParams().put("n.weight", 1, 2).put("n.bias", 0, 1);
    double s = 1 / Math.sqrt(1 + 1e-5);
    assertArrayEquals(new float[] {(float) -s, 0, (float) (2 * s + 1), 1}, run("input(2, 1, 2)\nn: layernorm()", p, x), 1e-7f);
  }

  /**
   * batchnorm's default eps is torch's 1e-5: with a running variance of 0 it alone divides, so x = 1 over
   * mean 0 gives 1 / sqrt(1e-5) = 316.2 (the torch fixtures, whose variances are near 1, move by 1e-5 at most).
   */
  @Test
  void batchnormsDefaultEpsIsTorchs() {
    MapParams p = new MapParams().put("bn.weight", 1).put("bn.bias", 0).put("bn.running_mean", 0).put("bn.running_var", 0);
    float[] y = run("input(1, 1, 1)\nbn: batchnorm()", p, new Tensor(new int[] {1, 1, 1, 1}, new float[] {1}));
    assertEquals(1 / Math.sqrt(1e-5), y[0], 1e-3);
  }

  @Test
  void channelsAndChannelShuffle() {
    // six channels of one pixel holding 0..5
    Tensor x = new Tensor(new int[] {1, 6, 1, 1}, new float[] {0, 1, 2, 3, 4, 5});
    // channels(1, 4): channels 1, 2, 3
    assertArrayEquals(new float[] {1, 2, 3}, run("input(6, 1, 1)\nchannels(1, 4)", new MapParams(), x));
    // torch's channel_shuffle(x, 2): view(2, 3) = [[0, 1, 2], [3, 4, 5]], transposed [[0, 3], [1, 4], [2, 5]], flattened
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, run("input(6, 1, 1)\nchannel_shuffle(2)", new MapParams(), x));
    // in 3 groups: view(3, 2) = [[0, 1], [2, 3], [4, 5]], transposed [[0, 2, 4], [1, 3, 5]]
    assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, run("input(6, 1, 1)\nchannel_shuffle(3)", new MapParams(), x));
  }

  @Test
  void maxPool() {
    // 2x2 stride 2: max of each quadrant = 6, 8, 14, 16
    assertArrayEquals(new float[] {6, 8, 14, 16}, run("input(1, 4, 4)\nmaxpool(2)", new MapParams(), oneToSixteen()));
    // 3x3 stride 2 padding 1: windows centred on (0,0), (0,2), (2,0), (2,2) clipped: 6, 8, 14, 16;
    // padding never wins even for negative inputs: -1 * the same gives -1, -2, -5, -6
    assertArrayEquals(new float[] {6, 8, 14, 16}, run("input(1, 4, 4)\nmaxpool(3, stride = 2, padding = 1)", new MapParams(), oneToSixteen()));
    float[] neg = oneToSixteen().data().clone();
    for (int i = 0; i < 16; i++) neg[i] = -neg[i];
    assertArrayEquals(new float[] {-1, -2, -5, -6},
        run("input(1, 4, 4)\nmaxpool(3, stride = 2, padding = 1)", new MapParams(), new Tensor(new int[] {1, 1, 4, 4}, neg)));
  }

  @Test
  void avgPool() {
    // 2x2 stride 2: (1+2+5+6)/4 = 3.5, (3+4+7+8)/4 = 5.5, (9+10+13+14)/4 = 11.5, (11+12+15+16)/4 = 13.5
    assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, run("input(1, 4, 4)\navgpool(2)", new MapParams(), oneToSixteen()));
    // 3x3 stride 2 padding 1 counts the padding (torch's default): (1+2+5+6)/9 = 14/9; (2+3+4+6+7+8)/9 = 30/9
    float[] y = run("input(1, 4, 4)\navgpool(3, stride = 2, padding = 1)", new MapParams(), oneToSixteen());
    assertEquals(14 / 9.0, y[0], 1e-6);
    assertEquals(30 / 9.0, y[1], 1e-6);
    // global average of 1..16 is 8.5
    assertArrayEquals(new float[] {8.5f}, run("input(1, 4, 4)\nglobal_avgpool()", new MapParams(), oneToSixteen()));
  }

  @Test
  void softmaxRowsSumToOne() {
    Tensor x = new Tensor(new int[] {2, 3}, new float[] {1, 2, 3, -50, 0, 50});
    float[] y = run("input(3, 1, 1)\nflatten()\nsoftmax()", new MapParams(), x.reshape(2, 3, 1, 1));
    double e1 = Math.exp(1), e2 = Math.exp(2), e3 = Math.exp(3);
    assertEquals(e1 / (e1 + e2 + e3), y[0], 1e-7);
    assertEquals(e3 / (e1 + e2 + e3), y[2], 1e-7);
    assertEquals(1.0, y[0] + y[1] + y[2], 1e-6);
    assertEquals(1.0, y[3] + y[4] + y[5], 1e-6);
    assertEquals(1.0, y[5], 1e-6); // exp(-100) vanishes; no overflow from exp(50)
  }

  @Test
  void batchnormActivationsAndFc() {
    // bn: (x - 1) / sqrt(3 + 1) * 2 + 0.5 = x - 0.5 for x in {1, 2, -3}: 0.5, 1.5, -3.5
    MapParams p = new MapParams().put("bn.weight", 2).put("bn.bias", 0.5f).put("bn.running_mean", 1).put("bn.running_var", 3)
        .put("f.weight", 1, 1, 1, 2, 0, -1).put("f.bias", 0, 10);
    Tensor x = new Tensor(new int[] {1, 1, 1, 3}, new float[] {1, 2, -3});
    // leaky_relu(0.1): 0.5, 1.5, -0.35; fc: [0.5+1.5-0.35, 2*0.5 - (-0.35) + 10] = [1.65, 11.35]
    float[] y = run("input(1, 1, 3)\nbn: batchnorm(eps = 1)\nleaky_relu(0.1)\nflatten()\nf: fc(2)", p, x);
    assertEquals(1.65, y[0], 1e-6);
    assertEquals(11.35, y[1], 1e-5);
    float[] s = run("input(1, 1, 3)\nsigmoid()", new MapParams(), x);
    assertEquals(1 / (1 + Math.exp(-2)), s[1], 1e-7);
    float[] t = run("input(1, 1, 3)\ntanh()", new MapParams(), x);
    assertEquals(Math.tanh(-3), t[2], 1e-7);
    // x = 1, 2, -3: silu x / (1 + e^-x); hardsigmoid relu6(x + 3) / 6 = 2/3, 5/6, 0; hardswish x times that
    float[] silu = run("input(1, 1, 3)\nsilu()", new MapParams(), x);
    assertEquals(2 / (1 + Math.exp(-2)), silu[1], 1e-7);
    assertEquals(-3 / (1 + Math.exp(3)), silu[2], 1e-7);
    assertArrayEquals(new float[] {2f / 3, 5f / 6, 0f}, run("input(1, 1, 3)\nhardsigmoid()", new MapParams(), x), 1e-7f);
    assertArrayEquals(new float[] {2f / 3, 5f / 3, -0f}, run("input(1, 1, 3)\nhardswish()", new MapParams(), x), 1e-7f);
    // gelu x Phi(x), Phi the normal distribution function (Python: x * 0.5 * math.erfc(-x / math.sqrt(2)))
    assertArrayEquals(new float[] {0.8413447460685429f, 1.9544997361036416f, -0.004049694094890287f},
        run("input(1, 1, 3)\ngelu()", new MapParams(), x), 1e-7f);
    Tensor far = new Tensor(new int[] {1, 1, 1, 3}, new float[] {-10, -5, 0.5f});
    assertArrayEquals(new float[] {-7.619853024160593e-23f, -1.4332578593959731e-06f, 0.34573123063700656f},
        run("input(1, 1, 3)\ngelu()", new MapParams(), far), 1e-12f);
    // past float's range, as torch: gelu(inf) = inf (it was NaN here), gelu(-inf) = -inf * 0 = NaN
    Tensor infinite = new Tensor(new int[] {1, 1, 1, 3}, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1});
    float[] g = run("input(1, 1, 3)\ngelu()", new MapParams(), infinite);
    assertEquals(Float.POSITIVE_INFINITY, g[0]);
    assertTrue(Float.isNaN(g[1]), "gelu(-inf) " + g[1]);
  }

  @Test
  void inputNormalizationAndResidual() {
    // input normalized by (x - 1) / 2 = [0, 0.5]; residual of relu: relu(v) + v = [0, 1]
    Tensor x = new Tensor(new int[] {1, 1, 1, 2}, new float[] {1, 2});
    float[] y = run("input(1, 1, 2, mean = [1], std = [2])\nresidual {\n relu()\n}", new MapParams(), x);
    assertArrayEquals(new float[] {0, 1}, y);
  }

  @Test
  void batchOfThreeIsThreeSingleRuns() {
    MapParams p = new MapParams().put("c.weight", 1, -2, 3, 0.5f).put("c.bias", 0.25f);
    String spec = "input(1, 3, 3)\nc: conv(1, 2)\nrelu()";
    float[] batch = new float[27];
    for (int i = 0; i < 27; i++) batch[i] = (float) Math.sin(i);
    float[] all = run(spec, p, new Tensor(new int[] {3, 1, 3, 3}, batch));
    for (int b = 0; b < 3; b++) {
      float[] one = run(spec, p, new Tensor(new int[] {1, 1, 3, 3}, java.util.Arrays.copyOfRange(batch, b * 9, b * 9 + 9)));
      assertArrayEquals(one, java.util.Arrays.copyOfRange(all, b * 4, b * 4 + 4));
    }
  }

  /**
   * 524,289 images of one value each (2 MB) through conv(4096, 1): the conv's values, 2^31 + 4096,
   * pass what a Java array holds (the int product wrapped to a negative size). Refused by name and
   * batch before anything is allocated.
   */
  @Test
  void aBatchWhoseValuesPassAnArrayIsRefusedByName() {
    Graph g = Specs.fromText("input(1, 1, 1)\nc: conv(4096, 1)\nrelu()");
    int batch = (1 << 19) + 1;
    Tensor x = new Tensor(new int[] {batch, 1, 1, 1}, new float[batch]);
    BadInputException e = assertThrows(BadInputException.class, () -> Interpreter.run(g, SyntheticWeights.source(g, 1), x));
    assertEquals("a batch of 524289 is too large for the reference interpreter: %1 c (4096x1x1 per image) would hold 2147487744 values,"
        + " more than a Java array holds (2147483639); give the batch in parts", e.getMessage());
  }

  /**
   * A value is held until its last reader has run, then dropped: the run holds the peak of the values
   * alive at once, not their sum. Per image: input 1x4x4 = 16 floats, then c, a, relu, the residual
   * add and the last relu 8x4x4 = 128 each, 656 in all. The most alive at once is 384, at the
   * residual's relu (c, waiting for the add; a; the relu) and again at the add (c, the relu, the add).
   * Batch 2 doubles both.
   */
  @Test
  void aRunHoldsThePeakOfTheLiveValuesNotTheirSum() {
    Graph g = Specs.fromText("input(1, 4, 4)\nc: conv(8, 1)\nresidual {\n a: conv(8, 1)\n relu()\n}\nrelu()");
    assertEquals("[input, conv, conv, relu, add, relu]", g.nodes().stream().map(n -> n.op().name().toLowerCase()).toList().toString());
    Interpreter interpreter = new Interpreter(g, SyntheticWeights.source(g, 1));
    interpreter.run(Tensor.uniform(2, 2, 1, 4, 4));
    assertEquals(2 * 384, interpreter.peakFloatsHeld());
  }

  /**
   * Values that share one array count it once, until the last of them goes: the input left as given
   * is the caller's array and flatten passes it on, so per image input and flatten hold 16 floats
   * together (not 32), and still 16 once the input is dropped after flatten (not 0); the fc adds its
   * 2, 18 at most. Batch 2 doubles it.
   */
  @Test
  void valuesSharingAnArrayCountItOnceUntilTheLastGoes() {
    Graph g = Specs.fromText("input(1, 4, 4)\nflatten()\nf: fc(2)");
    assertEquals("[input, flatten, fc]", g.nodes().stream().map(n -> n.op().name().toLowerCase()).toList().toString());
    Interpreter interpreter = new Interpreter(g, SyntheticWeights.source(g, 1));
    interpreter.run(Tensor.uniform(2, 2, 1, 4, 4));
    assertEquals(2 * 18, interpreter.peakFloatsHeld());
  }

  /** A network that only reshapes its input gives a result of its own: a write to it leaves the caller's input as it was. */
  @Test
  void theResultIsNeverTheInputsArray() {
    Graph g = Specs.fromText("input(2, 1, 2)\nflatten()");
    Tensor x = new Tensor(new int[] {1, 2, 1, 2}, new float[] {1, 2, 3, 4});
    Tensor y = Interpreter.run(g, SyntheticWeights.source(g, 1), x);
    assertArrayEquals(new float[] {1, 2, 3, 4}, y.data());
    y.data()[0] = 9;
    assertEquals(1f, x.data()[0], "the input untouched");
  }
}
