package netc.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A gather's runs: written from a per-channel map and read back to it, and the maps the shape rule refuses. */
class ChannelRunsTest {
  private static final List<Shape> TWO = List.of(new Shape(6, 4, 4), new Shape(5, 4, 4));

  @Test
  void runsRoundTripAndStayShort() {
    // a channel shuffle in 2 groups of concat(a[6], b[5] without its last): a's channels to the even places, b's to the odd
    int[] sources = new int[10], channels = new int[10];
    for (int c = 0; c < 10; c++) {
      sources[c] = c % 2;
      channels[c] = c / 2;
    }
    List<Integer> runs = ChannelRuns.of(sources, channels);
    assertEquals(List.of(0, 0, 1, 0, 2, 5, 1, 0, 1, 1, 2, 5), runs, "a run per input");
    assertEquals(10, ChannelRuns.outputs(runs));
    int[][] map = ChannelRuns.expand(runs, 10, TWO);
    for (int c = 0; c < 10; c++) assertArrayEquals(new int[] {sources[c], channels[c]}, map[c]);
    // irregular: a run each where no step holds
    int[] s2 = {1, 0, 1, 0}, c2 = {4, 5, 0, 3};
    int[][] back = ChannelRuns.expand(ChannelRuns.of(s2, c2), 4, TWO);
    for (int c = 0; c < 4; c++) assertArrayEquals(new int[] {s2[c], c2[c]}, back[c]);
  }

  @Test
  void theShapeRuleRefusesRunsThatDoNotGiveEachChannelOnce() {
    List<List<Integer>> bad = List.of(
        List.of(0, 0, 1, 0, 1, 3, 1, 0, 1, 2, 1, 2), // output channel 2 twice
        List.of(0, 0, 1, 0, 2, 2), // channel 1 of 3 given by no run: outputs() counts 2, so 0..1 expected, 2 written
        List.of(2, 0, 1, 0, 1, 1), // no input 2
        List.of(1, 3, 1, 0, 1, 3), // input 1 has 5 channels: 3, 4, 5
        List.of(0, 0, 1, 0, 1)); // not sextuples
    for (List<Integer> runs : bad) {
      ShapeError e = assertThrows(ShapeError.class, () -> ShapeInference.infer(Op.GATHER, Attrs.EMPTY.with("runs", runs), TWO), runs.toString());
      assertTrue(e.getMessage().startsWith("gather"), e.getMessage());
    }
    assertEquals(new Shape(3, 4, 4), ShapeInference.infer(Op.GATHER, Attrs.EMPTY.with("runs", List.of(1, 4, -2, 0, 1, 3)), TWO));
  }
}
