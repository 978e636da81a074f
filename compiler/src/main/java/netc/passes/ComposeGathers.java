package netc.passes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import netc.ir.Attrs;
import netc.ir.ChannelRuns;
import netc.ir.Graph;
import netc.ir.Node;
import netc.ir.Op;
import netc.ir.Origin;
import netc.ir.Shape;

/**
 * Composes chains of channel moves into single gathers. A channel move only copies channels:
 * {@code channels(start, end)}, {@code channel_shuffle(groups)} and {@code concat}. ShuffleNetV2
 * splits each unit's input in halves, runs one half through its branch, concatenates the other half
 * with the branch's output and shuffles the result, which the next unit splits again: every unit
 * copied its whole map five times (two halves, two concat branches of 58 channels, which start
 * mid-block and cannot be written in place, and the shuffle), 41% of shufflenet_v2_x1_0's time.
 *
 * <p>Every channel move is rewritten as a {@code gather} that reads each of its channels where that
 * channel was computed: for each output channel, the pass follows the moves back to the first node
 * that is not a move (a conv, say) and the channel there. A move whose readers are all moves is then
 * read by nobody and is removed, with whatever only it read (the branch of a concat that a channels()
 * after it skips); the others (read by a conv, a pool, the output) copy once, from
 * the sources. Per ShuffleNet unit that leaves one copy: the half the branch reads. A concat read by
 * anything but a move stays a concat (its inputs may be written in place); moves reading it see
 * through it all the same. A gather that copies one whole map in order is that map, and goes.
 *
 * <p>Legal because a move copies values unchanged: reading a channel at the end of a chain of moves
 * and reading it where it was computed give the same float. The sources a gather reads stay live
 * until it runs, which the memory plan accounts for like any input: in ShuffleNet, the branch
 * outputs of a stage live until the stage's last gather.
 */
final class ComposeGathers implements Pass {
  @Override
  public String name() {
    return "compose-gathers";
  }

  @Override
  public int optLevel() {
    return 1;
  }

  @Override
  public String description() {
    return "write chains of channel moves (channels, channel_shuffle, concat) as one gather from where each channel was computed";
  }

  @Override
  public Graph run(Graph graph, PassContext context) {
    GraphEditor e = new GraphEditor(graph);
    java.util.Set<Integer> wasLive = EliminateDeadNodes.live(e);
    // per move node: for each of its channels, {the node that computed it, the channel there}
    Map<Integer, int[][]> sourceOf = new HashMap<>();
    Map<Integer, List<Origin>> moveOrigins = new HashMap<>();
    boolean changed = false;
    for (int id : e.ids()) {
      Node n = e.node(id);
      if (!isMove(n.op())) continue;
      int[][] map = ownMap(n, e);
      for (int[] entry : map) {
        int[][] through = sourceOf.get(entry[0]);
        if (through != null) {
          int[] first = through[entry[1]];
          entry[0] = first[0];
          entry[1] = first[1];
        }
      }
      sourceOf.put(id, map);
      moveOrigins.put(id, n.origins());
      if (n.op() == Op.CONCAT) continue;
      Integer whole = wholeMap(map, e);
      if (whole != null) {
        e.replaceUses(id, whole);
        e.remove(id);
      } else {
        e.replace(gather(n, map, moveOrigins));
      }
      changed = true;
    }
    if (!changed) return graph;
    // what the output no longer depends on: moves read only by moves that now read past them, and what
    // only those read (the branch of a concat that a channels() after it skips); a node dead before this
    // pass is eliminate-dead-nodes' to remove, or not with --disable-pass
    java.util.Set<Integer> live = EliminateDeadNodes.live(e);
    for (Node n : List.copyOf(e.nodes())) {
      if (wasLive.contains(n.id()) && !live.contains(n.id()) && n.op() != Op.INPUT) e.remove(n.id());
    }
    return e.build();
  }

  static boolean isMove(Op op) {
    return op == Op.CHANNELS || op == Op.CHANNEL_SHUFFLE || op == Op.CONCAT || op == Op.GATHER;
  }

  /** The move's own map: for each output channel, {input node, channel of it}. */
  private static int[][] ownMap(Node n, GraphEditor e) {
    int out = n.shape().channels();
    int[][] map = new int[out][];
    switch (n.op()) {
      case CHANNELS, CHANNEL_SHUFFLE, GATHER -> {
        List<Integer> runs = n.op() == Op.GATHER ? n.attrs().getInts("runs") : ChannelRuns.ofMove(n.op(), n.attrs(), out);
        int[][] own = ChannelRuns.expand(runs, out, n.inputs().stream().map(i -> e.node(i).shape()).toList());
        for (int c = 0; c < out; c++) map[c] = new int[] {n.input(own[c][0]), own[c][1]};
      }
      case CONCAT -> {
        int c = 0;
        for (int in : n.inputs()) {
          for (int k = 0; k < e.node(in).shape().channels(); k++) map[c++] = new int[] {in, k};
        }
      }
      default -> throw new IllegalArgumentException(n.op() + " does not move channels");
    }
    return map;
  }

  /** The node whose channels the map reads whole and in order, or null. */
  private static Integer wholeMap(int[][] map, GraphEditor e) {
    int source = map[0][0];
    if (e.node(source).shape().channels() != map.length) return null;
    for (int c = 0; c < map.length; c++) if (map[c][0] != source || map[c][1] != c) return null;
    return source;
  }

  /** The gather that does {@code n}'s moves in one copy; it keeps n's id and name and takes the origins of the moves it reads past. */
  private static Node gather(Node n, int[][] map, Map<Integer, List<Origin>> moveOrigins) {
    Map<Integer, Integer> index = new LinkedHashMap<>();
    int[] sources = new int[map.length], channels = new int[map.length];
    for (int c = 0; c < map.length; c++) {
      sources[c] = index.computeIfAbsent(map[c][0], k -> index.size());
      channels[c] = map[c][1];
    }
    List<Origin> origins = new ArrayList<>(n.origins());
    for (int in : n.inputs()) {
      for (Origin o : moveOrigins.getOrDefault(in, List.of())) if (!origins.contains(o)) origins.add(o);
    }
    Attrs attrs = Attrs.EMPTY.with("runs", ChannelRuns.of(sources, channels));
    Shape shape = n.shape();
    return new Node(n.id(), Op.GATHER, n.name(), new ArrayList<>(index.keySet()), attrs, shape, Map.of(), origins);
  }
}
