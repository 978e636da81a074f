package netc.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * A gather's map from output channels to input channels, as runs: sextuples {input, its first
 * channel, channel step, first output channel, output channel step, count}. Per input, the channels
 * it gives go in output order, each run as long as both steps stay the same, so a channel shuffle's
 * half is one run and the IR stays short ({@code runs=[0,12,1,0,2,12,1,0,1,1,2,12]} for the shuffle
 * of two 12-channel halves). The generated code builds its lane tables from the same runs.
 */
public final class ChannelRuns {
  private ChannelRuns() {}

  /** Fields per run. */
  public static final int FIELDS = 6;

  /** The runs of a map given per output channel: input {@code sources[c]}, its channel {@code channels[c]}. */
  public static List<Integer> of(int[] sources, int[] channels) {
    int inputs = 0;
    for (int s : sources) inputs = Math.max(inputs, s + 1);
    List<Integer> runs = new ArrayList<>();
    for (int s = 0; s < inputs; s++) {
      List<int[]> pairs = new ArrayList<>(); // {output channel, input channel}, in output order
      for (int c = 0; c < sources.length; c++) if (sources[c] == s) pairs.add(new int[] {c, channels[c]});
      for (int i = 0; i < pairs.size();) {
        int to = pairs.get(i)[0], from = pairs.get(i)[1], toStep = 1, fromStep = 1, len = 1;
        if (i + 1 < pairs.size()) {
          toStep = pairs.get(i + 1)[0] - to;
          fromStep = pairs.get(i + 1)[1] - from;
          while (i + len < pairs.size() && pairs.get(i + len)[0] == to + len * toStep && pairs.get(i + len)[1] == from + len * fromStep) len++;
        }
        runs.addAll(List.of(s, from, fromStep, to, toStep, len));
        i += len;
      }
    }
    return runs;
  }

  /**
   * The runs of a channels(start, end) or channel_shuffle(groups) over its one input: output channel c
   * is input channel {@code Reorder.sourceChannel(c, ...)} (a shuffle's groups become one run each).
   */
  public static List<Integer> ofMove(Op op, Attrs a, int outChannels) {
    int[] gather = ShapeInference.channelGather(op, a);
    int[] sources = new int[outChannels], channels = new int[outChannels];
    for (int c = 0; c < outChannels; c++) channels[c] = netc.runtime.kernels.Reorder.sourceChannel(c, outChannels, gather[0], gather[1]);
    return of(sources, channels);
  }

  /**
   * Per output channel of {@code outChannels}, {input, its channel}; an error when the runs are not
   * sextuples, reach outside the inputs' channels, or do not give every output channel exactly once.
   */
  public static int[][] expand(List<Integer> runs, int outChannels, List<Shape> inputs) {
    if (runs.size() % FIELDS != 0 || outChannels < 1) throw new ShapeError("gather's runs are not sextuples {input, channel, step, output channel, step, count}");
    int[][] map = new int[outChannels][];
    for (int r = 0; r < runs.size(); r += FIELDS) {
      int s = runs.get(r), from = runs.get(r + 1), fromStep = runs.get(r + 2), to = runs.get(r + 3), toStep = runs.get(r + 4), count = runs.get(r + 5);
      if (s < 0 || s >= inputs.size() || count < 1) throw new ShapeError("gather's run " + r / FIELDS + " names input " + s + " of " + inputs.size());
      for (long i = 0; i < count; i++) {
        long c = from + i * fromStep, o = to + i * toStep;
        if (c < 0 || c >= inputs.get(s).channels() || o < 0 || o >= outChannels) {
          throw new ShapeError("gather's run " + r / FIELDS + " moves channel " + c + " of input " + s + " to " + o + ", outside the maps");
        }
        if (map[(int) o] != null) throw new ShapeError("gather's output channel " + o + " is given twice");
        map[(int) o] = new int[] {s, (int) c};
      }
    }
    for (int o = 0; o < outChannels; o++) if (map[o] == null) throw new ShapeError("gather's output channel " + o + " is given by no run");
    return map;
  }

  /** The number of output channels the runs give. */
  public static long outputs(List<Integer> runs) {
    long n = 0;
    for (int r = FIELDS - 1; r < runs.size(); r += FIELDS) n += Math.max(0, runs.get(r));
    return n;
  }
}
