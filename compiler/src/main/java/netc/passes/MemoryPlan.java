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
  /**
   * One buffer: its size, the steps it is live (first definition to last use) and its arena offset.
   * {@code parent} is the buffer of a concat this one is a channel slice of (it lies inside it, so a
   * concat needs no copy), or -1.
   */
  public record Buffer(int id, long floats, int first, int last, long offset, List<Integer> values, int parent) {}

  public MemoryPlan {
    buffers = List.copyOf(buffers);
    bufferOf = Map.copyOf(bufferOf);
  }

  /** Arena offset of a node's value, or -1 when it has no arena buffer (the caller's input). */
  public long offsetOf(int nodeId) {
    Integer b = bufferOf.get(nodeId);
    return b == null ? -1 : buffers.get(b).offset();
  }

  /** Whether buffer {@code inner} lies inside buffer {@code outer} as a slice, directly or through slices of slices. */
  public boolean within(int inner, int outer) {
    for (int b = buffers.get(inner).parent(); b >= 0; b = buffers.get(b).parent()) if (b == outer) return true;
    return false;
  }

  /** Whether value {@code input}'s buffer is a slice of value {@code concat}'s: its producer wrote it in place. */
  public boolean isSliceOf(int input, int concat) {
    Integer b = bufferOf.get(input), c = bufferOf.get(concat);
    return b != null && c != null && buffers.get(b).parent() == c;
  }

  public boolean hasBuffer(int nodeId) {
    return bufferOf.containsKey(nodeId);
  }
}
