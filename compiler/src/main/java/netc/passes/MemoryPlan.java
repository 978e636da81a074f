package netc.passes;

import java.util.List;
import java.util.Map;

/**
 * Where every intermediate value of one image lives in a single arena of floats. Values that share
 * a buffer (a residual conv writing over its shortcut, an in-place activation, a flatten) map to the
 * same buffer. Sizes are in floats per image.
 */
public record MemoryPlan(List<Buffer> buffers, Map<Integer, Integer> bufferOf, long arenaFloats, long lowerBoundFloats,
    long withoutReuseFloats, long withoutPlanningFloats) {
  /** One buffer: its size, the steps it is live (first definition to last use) and its arena offset. */
  public record Buffer(int id, long floats, int first, int last, long offset, List<Integer> values) {}

  public MemoryPlan {
    buffers = List.copyOf(buffers);
    bufferOf = Map.copyOf(bufferOf);
  }

  /** Arena offset of a node's value, or -1 when it has no arena buffer (the caller's input). */
  public long offsetOf(int nodeId) {
    Integer b = bufferOf.get(nodeId);
    return b == null ? -1 : buffers.get(b).offset();
  }

  public boolean hasBuffer(int nodeId) {
    return bufferOf.containsKey(nodeId);
  }
}
